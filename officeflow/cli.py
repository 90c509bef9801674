"""Command line: each command loads the workspace and calls one core function.

This package of modules is the one place that prints, configures logging and turns errors
into exit codes: 0 success, 1 a workbook was rejected / has errors, 2 usage or environment
error. Here: the group and the document commands (init, template, validate, process, watch,
register); the document control commands live in `officeflow.cli_control`.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from officeflow import __version__, cli_zh
from officeflow.cli_common import (
    KindChoice,
    is_workspace,
    opened_ledger,
    print_findings,
    workspace_of,
)
from officeflow.cli_control import COMMANDS as CONTROL_COMMANDS
from officeflow.errors import OfficeflowError, TemplateError

# Start-up: only click and these light modules load with the group. Each command imports
# what it uses in its body (kinds, pydantic models, openpyxl, docxtpl, the pipeline), so
# `--help`, `status` or `due` do not pay for the whole product (tests/test_startup.py).

__all__ = ["is_workspace", "main", "print_findings"]


# Commands that only read the ledger and print: they log nothing, so they skip importing and
# configuring logging (~6 ms of their start-up).
QUIET_COMMANDS = frozenset({"status", "due", "audit", "next-id"})

cli_zh.install()  # click's usage errors ("Missing option", "No such command") in Chinese
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a writer whose reader has gone


class _Group(click.Group):
    """Turns OfficeflowError into a message and exit 2; a traceback only with -v."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OfficeflowError as exc:
            click.echo(click.style(f"错误 Error: {exc}", fg="red"), err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            _quiet_closed_pipe()
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            click.echo(click.style(f"内部错误 Internal error: {type(exc).__name__}: {exc} "
                                   "(run with -v for details)", fg="red"), err=True)
            sys.exit(3)


def _quiet_closed_pipe() -> None:
    """`officeflow audit | head`: the reader has gone; stop without a message or a traceback.

    Whatever is still buffered for stdout goes to /dev/null, so the interpreter's final flush
    does not raise (and print) the same BrokenPipeError again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (CliRunner): nothing will be flushed there
        pass
    finally:
        os.close(devnull)
    sys.exit(EXIT_CLOSED_PIPE)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="officeflow")
@click.option("-w", "--workspace", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              default=lambda: os.environ.get("OFFICEFLOW_WORKSPACE", "."), show_default="$OFFICEFLOW_WORKSPACE or .",
              help="Workspace folder (officeflow.toml, templates/, inbox/, outbox/).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging and tracebacks.")
@click.pass_context
def main(ctx: click.Context, workspace: Path, verbose: bool) -> None:
    """officeflow 流程文件管理：校验工作簿，发布受控 Word 文件，维护总台账。

    Validate process workbooks, issue them as controlled Word documents, keep the register.
    """
    ctx.obj = {"workspace": workspace, "verbose": verbose}
    if ctx.invoked_subcommand in QUIET_COMMANDS and not verbose:
        return
    import logging

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")


@main.command(short_help="创建工作区 Create a workspace: config, templates, folders")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def init(ctx: click.Context, directory: Path | None) -> None:
    """Create a workspace: default config, templates and empty folders."""
    from officeflow.kinds import KINDS
    from officeflow.pipeline import word_template
    from officeflow.settings import CONFIG_FILE, default_config_text, open_workspace
    from officeflow.workbook_template import write_template

    root = directory or Path(ctx.obj["workspace"])
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    config = root / CONFIG_FILE
    if not config.exists():
        config.write_text(default_config_text(), encoding="utf-8")
    workspace = open_workspace(root)
    for kind in KINDS.values():
        target = root / "templates" / kind.word_template
        if not target.exists():
            import shutil

            shutil.copyfile(word_template(workspace, kind.word_template), target)
        sheet = root / "templates" / f"{kind.key}.xlsx"
        if not sheet.exists():
            write_template(kind, sheet, workspace.settings)
    click.echo(f"工作区已就绪 Workspace ready: {root.resolve()}")


@main.command(short_help="空白模板 Write a blank template workbook for KIND")
@click.argument("kind", type=KindChoice())
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Where to write the workbook (default: <kind>.xlsx here).")
@click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
@click.pass_context
def template(ctx: click.Context, kind: str, output: Path | None, force: bool) -> None:
    """Write a blank template workbook for KIND (dropdowns, hints, an example)."""
    from officeflow.kinds import KINDS
    from officeflow.settings import load_settings
    from officeflow.workbook_template import write_template

    target = output or Path(f"{kind}.xlsx")
    if target.exists() and not force:  # it may be an author's filled workbook
        raise OfficeflowError(f"{target} 已存在，未覆盖。确需覆盖请加 --force。")
    # the workspace's controlled lists and review levels (defaults when there is no workspace)
    write_template(KINDS[kind], target, load_settings(Path(ctx.obj["workspace"])))
    click.echo(f"模板已生成 Template written: {target}")


@main.command(short_help="校验工作簿 Check workbooks, change nothing; exit 1 on an error")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print findings as a JSON list.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[Path, ...], as_json: bool, strict: bool) -> None:
    """Check workbooks and change nothing; exit 1 if any has an error."""
    from officeflow.duplicates import Duplicate
    from officeflow.findings import has_errors
    from officeflow.gate import admit
    from officeflow.pipeline import preview
    from officeflow.template_check import check_word_template

    workspace = workspace_of(ctx)
    strict = strict or workspace.settings.strict
    failed = False
    report: list[dict[str, str]] = []
    with opened_ledger(workspace) as ledger:
        for path in files:
            # The same gate as process and the watcher: a file they refuse, validate refuses too.
            data, findings = admit(path, workspace.settings.max_file_mb)
            if data is not None and not findings:
                checked = preview(data, workspace, ledger, date.today())  # what process would do
                if isinstance(checked, Duplicate):  # process issues nothing and exits 0: no finding
                    if not as_json:
                        click.echo(f"{path.name} › " + click.style("重复 duplicate", fg="yellow")
                                   + f": {checked.message}")
                    continue
                findings = checked.findings
                if not has_errors(findings, strict):
                    check_word_template(checked, workspace)  # the Word template this would render with
            failed |= has_errors(findings, strict)
            if as_json:
                report.extend(f.as_dict(str(path)) for f in findings)
            elif findings:
                print_findings(path.name, findings)
            else:
                click.echo(f"{path.name} › 通过 OK")
    if as_json:
        import json

        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    sys.exit(1 if failed else 0)


@main.command(short_help="处理工作簿 Validate and issue workbooks; exit 1 if any rejected")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def process(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Run the pipeline on files now; exit 1 if any was rejected."""
    from officeflow.fsutil import clean_orphans
    from officeflow.intake import PIPELINE_LOCK, FileLock
    from officeflow.pipeline import Result, process_files
    from officeflow.publish import publish
    from officeflow.template_check import explain_template_error

    workspace = workspace_of(ctx)
    workspace.state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(workspace.state_dir / PIPELINE_LOCK)  # the lock a running watcher holds per file
    lock.acquire()
    try:
        clean_orphans(workspace)  # temp files a killed run left behind
        with opened_ledger(workspace) as ledger:
            try:
                outcomes = process_files(list(files), workspace, ledger)
            except TemplateError:  # say which template and which variables, in the operator's words
                explain_template_error(list(files), workspace, ledger, date.today())
                raise
            # Also after a kill during an earlier export: the ledger knows the register is stale.
            if any(o.result is Result.ISSUED for o in outcomes) or ledger.register_stale():
                publish(workspace, ledger)
    finally:
        lock.release()
    for outcome in outcomes:
        if outcome.result is Result.ISSUED:
            click.echo(click.style("已发布 issued", fg="green")
                       + f"  {outcome.file} → {outcome.doc_id} {outcome.version} {outcome.status}"
                       f"  {outcome.document}  ({outcome.milliseconds:.0f} ms)")
            print_findings(outcome.file, outcome.findings)
        elif outcome.result is Result.DUPLICATE:
            click.echo(click.style("重复 duplicate", fg="yellow") + f"  {outcome.file}: {outcome.message}")
        else:
            click.echo(click.style("退回 rejected", fg="red") + f"  {outcome.file}")
            print_findings(outcome.file, outcome.findings)
    issued = sum(o.result is Result.ISSUED for o in outcomes)
    rejected = sum(o.result is Result.REJECTED for o in outcomes)
    click.echo(f"共 {len(outcomes)} 个文件：发布 {issued}，退回 {rejected}，"
               f"重复 {len(outcomes) - issued - rejected}。台账 Register: {workspace.register_path}")
    sys.exit(1 if rejected else 0)


@main.group(short_help="总台账 The master register spreadsheet (export, rebuild)")
def register() -> None:
    """The master register spreadsheet."""


@register.command("export", short_help="导出总台账 Rewrite the register from the ledger, as of today")
@click.pass_context
def register_export(ctx: click.Context) -> None:
    """Rewrite the register from the ledger (statuses as of today)."""
    from officeflow.publish import publish

    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        count = publish(workspace, ledger)
    click.echo(f"台账已导出 Register exported: {workspace.register_path} ({count} 行 rows)")


@main.command(short_help="监视收件箱 Watch the inbox, process every workbook dropped there")
@click.option("--once", is_flag=True, help="Drain the inbox, print a summary and exit.")
@click.option("--polling", is_flag=True, default=None,
              help="Poll instead of native events (network shares: SMB/NFS).")
@click.pass_context
def watch(ctx: click.Context, once: bool, polling: bool | None) -> None:
    """Watch the inbox and process every workbook dropped there."""
    from officeflow.watcher import WatchOptions, run_watch  # imported late: watchdog start-up

    workspace = workspace_of(ctx)
    options = WatchOptions.from_settings(workspace.settings, once=once, polling=polling)
    summary = run_watch(workspace, options)
    click.echo(str(summary))
    sys.exit(1 if once and summary.failed else 0)


@register.command("rebuild", short_help="从归档重建 Rebuild the ledger from the archive, re-export")
@click.pass_context
def register_rebuild(ctx: click.Context) -> None:
    """Rebuild the ledger's documents from the archive's manifests, then re-export the register."""
    from officeflow.integrity import rebuild

    workspace = workspace_of(ctx)
    report = rebuild(workspace)
    for note in report.notes:
        click.echo(click.style(f"注意：{note}", fg="yellow"))
    for item in report.untrusted:
        click.echo(click.style(f"未采用 refused: {item}", fg="red"))
    click.echo(f"已从归档重建 Rebuilt from the archive: {report.versions} 个版本 versions，"
               f"{report.copies} 份培训副本记录 training copies")
    sys.exit(1 if report.untrusted else 0)


for _command in CONTROL_COMMANDS:
    main.add_command(_command)

from officeflow.cli_portal import add_portal_commands  # noqa: E402  (portal: serve, notices, feedback)

add_portal_commands(main)
main.add_command(__import__("officeflow.cli_flowchart", fromlist=["flowchart"]).flowchart)  # issue 12: flowchart
main.add_command(__import__("officeflow.cli_ledger", fromlist=["ledger_group"]).ledger_group)  # issue 13: ledger info/migrate
