"""`officeflow flowchart FILE.xlsx|DOC_ID [--version V] -o OUT.svg|OUT.png`: the diagram alone.

A workbook is previewed before it is submitted (no workspace needed; its settings are used
when there is one); a 流程编号 draws an archived version (the latest unless --version says).
Exit codes as every command: 1 when the steps have errors (printed as findings, nothing
written), 2 for usage (an unknown 流程编号 or version, an output that is neither .svg nor .png).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from officeflow.cli_common import is_workspace, opened_ledger, print_findings
from officeflow.errors import OfficeflowError

if TYPE_CHECKING:
    from officeflow.findings import Finding
    from officeflow.model import ParsedDocument
    from officeflow.settings import Settings, Workspace

# Start-up (tests/test_startup.py): the CLI group imports this module, so everything heavy
# (the drawing and resvg, openpyxl, pydantic) is imported in the functions that use it.

SUFFIXES = (".svg", ".png")


def _workspace(ctx: click.Context) -> Workspace | None:
    from officeflow.settings import open_workspace

    root = Path(ctx.obj["workspace"])
    return open_workspace(root) if is_workspace(root) else None


def _archived_source(workspace: Workspace | None, doc_id: str, version: str | None) -> tuple[bytes, str]:
    """The archived source workbook of `doc_id` (the latest version, or `version`) and its name."""
    from officeflow.versions import version_key

    if workspace is None:
        raise OfficeflowError(f"“{doc_id}”不是工作簿文件；按流程编号绘制需要在 officeflow 工作区中运行（用 -w 指定）")
    with opened_ledger(workspace) as ledger:
        history = ledger.history(doc_id)
    if not history.versions:
        raise OfficeflowError(f"未找到流程编号 {doc_id}：台账中没有它的已发布版本，或它不是工作簿文件")
    record = history.version(version) if version else max(history.versions, key=lambda v: version_key(v.version))
    if record is None:
        known = "、".join(v.version for v in history.versions)
        raise OfficeflowError(f"{doc_id} 没有版本 {version}（已发布的版本：{known}）")
    path = workspace.outbox / record.source_path
    try:
        return path.read_bytes(), f"{doc_id} {record.version}"
    except OSError as exc:
        raise OfficeflowError(f"{doc_id} {record.version} 的归档源工作簿无法读取：{path}（{exc.strerror}）") from exc


def _step_findings(findings: list[Finding], step_sheet: str) -> list[Finding]:
    """What stands between the workbook and its diagram: findings on the steps sheet."""
    return [f for f in findings if f.sheet == step_sheet or f.code.startswith("flow.")]


def _source_bytes(source: str, version: str | None, workspace: Workspace | None,
                  settings: Settings) -> tuple[bytes, str]:
    """The workbook to draw and the name findings are shown under (exit 1 when the file is refused)."""
    from officeflow.gate import admit

    path = Path(source)
    if path.suffix.lower() not in (".xlsx", ".xlsm") and not path.is_file():
        return _archived_source(workspace, source, version)
    if version:
        raise OfficeflowError("--version 只用于流程编号；工作簿文件按其内容绘制")
    data, refused = admit(path, settings.max_file_mb)
    if refused or data is None:
        print_findings(path.name, refused)
        sys.exit(1)
    return data, path.name


def _parsed(data: bytes, shown: str, settings: Settings) -> ParsedDocument:
    """The workbook's document; its step findings printed, exit 1 when one is an error."""
    from officeflow.findings import Severity
    from officeflow.flow.branches import next_steps
    from officeflow.model import parse_document
    from officeflow.reader import Unreadable, read_workbook
    from officeflow.records import DocumentHistory
    from officeflow.rules import RuleContext

    try:
        raw = read_workbook(data)
    except Unreadable as exc:
        print_findings(shown, exc.findings)
        sys.exit(1)
    parsed = parse_document(raw, raw.epoch)
    step_sheet = parsed.kind.table(parsed.kind.step_table).sheet
    context = RuleContext(settings, DocumentHistory(""), date.today())
    findings = _step_findings([*parsed.findings, *next_steps(parsed, context)], step_sheet)
    if findings:
        print_findings(shown, findings)
    if any(f.severity is Severity.ERROR for f in findings):
        click.echo(click.style("步骤有错误，未生成流程图：请先修正以上问题。", fg="red"))
        sys.exit(1)
    return parsed


@click.command("flowchart", short_help="流程图 Draw the swimlane flowchart of a workbook or DOC_ID")
@click.argument("source")
@click.option("--version", "version", help="With a 流程编号: the version to draw (default: the latest).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Where to write the diagram: OUT.svg (vector) or OUT.png (200 dpi).")
@click.pass_context
def flowchart(ctx: click.Context, source: str, version: str | None, output: Path) -> None:
    """Draw the swimlane flowchart of a workbook (FILE.xlsx) or an archived document (DOC_ID)."""
    from officeflow import flowchart as drawing
    from officeflow.settings import Settings

    if output.suffix.lower() not in SUFFIXES:
        raise OfficeflowError(f"输出文件须以 .svg 或 .png 结尾：{output.name}")
    workspace = _workspace(ctx)
    settings = workspace.settings if workspace else Settings()
    data, shown = _source_bytes(source, version, workspace, settings)
    parsed = _parsed(data, shown, settings)
    if workspace is not None:
        drawing.use_cache_folder(workspace.root / ".cache" / "flowcharts")
    hours = settings.workday_hours
    picture = (drawing.svg_for(parsed, hours) if output.suffix.lower() == ".svg"
               else drawing.png_for(parsed, hours))
    if not picture:
        click.echo(click.style(f"{shown} › 没有可绘制的步骤（步骤表为空，或步骤没有责任角色/部门列），"
                               "未生成流程图。", fg="red"))
        sys.exit(1)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(picture)
    steps = len(drawing.flow_of(parsed, hours).steps)
    click.echo(f"流程图已生成 Flowchart written: {output}（{steps} 个步骤）")
