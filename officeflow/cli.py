"""Command line: each command loads the workspace and calls one core function.

This is the one place that prints, configures logging and turns errors into exit codes:
0 success, 1 a workbook was rejected / has errors, 2 usage or environment error.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from officeflow import __version__
from officeflow.errors import OfficeflowError
from officeflow.findings import Finding, Severity, has_errors
from officeflow.kinds import KINDS
from officeflow.ledger import Ledger, open_ledger
from officeflow.pipeline import Result, check_workbook, process_files, word_template
from officeflow.publish import publish
from officeflow.settings import (
    CONFIG_FILE,
    STATE_DIR,
    Workspace,
    default_config_text,
    open_workspace,
)
from officeflow.workbook_template import write_template

log = logging.getLogger("officeflow")
F = TypeVar("F", bound=Callable[..., Any])


def is_workspace(root: Path) -> bool:
    """A folder officeflow has set up: its config, its state, or both inbox/ and outbox/."""
    return ((root / CONFIG_FILE).is_file() or (root / STATE_DIR).is_dir()
            or ((root / "inbox").is_dir() and (root / "outbox").is_dir()))


def _workspace(ctx: click.Context) -> Workspace:
    """The workspace every command but `init` works in; never silently created elsewhere."""
    root = Path(ctx.obj["workspace"])
    if not is_workspace(root):
        raise OfficeflowError(f"{root.resolve()} 不是 officeflow 工作区（没有 {CONFIG_FILE}，也没有 inbox/ 和 "
                              f"outbox/）。请用 -w 指定工作区，或先运行 officeflow init {root}")
    return open_workspace(root)


class _ledger:
    """`with _ledger(workspace) as ledger:` opens and always closes the ledger."""

    def __init__(self, workspace: Workspace) -> None:
        self.ledger = open_ledger(workspace.ledger_path)

    def __enter__(self) -> Ledger:
        return self.ledger

    def __exit__(self, *_: object) -> None:
        self.ledger.close()


def print_findings(file: str, findings: list[Finding]) -> None:
    """`file › sheet!cell: message`, errors in red, warnings in yellow."""
    for finding in findings:
        colour = "red" if finding.severity is Severity.ERROR else "yellow"
        label = "错误" if finding.severity is Severity.ERROR else "警告"
        click.echo(f"{file} › {finding.located()}  " + click.style(f"[{label} {finding.code}]", fg=colour))


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
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            click.echo(click.style(f"内部错误 Internal error: {type(exc).__name__}: {exc} "
                                   "(run with -v for details)", fg="red"), err=True)
            sys.exit(3)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="officeflow")
@click.option("-w", "--workspace", type=click.Path(file_okay=False, path_type=Path),
              default=lambda: os.environ.get("OFFICEFLOW_WORKSPACE", "."), show_default="$OFFICEFLOW_WORKSPACE or .",
              help="Workspace folder (officeflow.toml, templates/, inbox/, outbox/).")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging and tracebacks.")
@click.pass_context
def main(ctx: click.Context, workspace: Path, verbose: bool) -> None:
    """officeflow: validate process workbooks, issue controlled Word documents, keep the register."""
    ctx.obj = {"workspace": workspace, "verbose": verbose}
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s")


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def init(ctx: click.Context, directory: Path | None) -> None:
    """Create a workspace: default config, templates and empty folders."""
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
            shutil.copyfile(word_template(workspace, kind.word_template), target)
        sheet = root / "templates" / f"{kind.key}.xlsx"
        if not sheet.exists():
            write_template(kind, sheet)
    click.echo(f"工作区已就绪 Workspace ready: {root.resolve()}")


@main.command()
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the workbook (default: <kind>.xlsx here).")
def template(kind: str, output: Path | None) -> None:
    """Write a blank template workbook for KIND (dropdowns, hints, an example)."""
    target = output or Path(f"{kind}.xlsx")
    write_template(KINDS[kind], target)
    click.echo(f"模板已生成 Template written: {target}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print findings as a JSON list.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_context
def validate(ctx: click.Context, files: tuple[Path, ...], as_json: bool, strict: bool) -> None:
    """Check workbooks and change nothing; exit 1 if any has an error."""
    workspace = _workspace(ctx)
    strict = strict or workspace.settings.strict
    failed = False
    report: list[dict[str, str]] = []
    with _ledger(workspace) as ledger:
        for path in files:
            findings = check_workbook(path.read_bytes(), workspace, ledger, date.today()).findings
            failed |= has_errors(findings, strict)
            if as_json:
                report.extend(f.as_dict(str(path)) for f in findings)
            elif findings:
                print_findings(path.name, findings)
            else:
                click.echo(f"{path.name} › 通过 OK")
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def process(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Run the pipeline on files now; exit 1 if any was rejected."""
    from officeflow.intake import PIPELINE_LOCK, FileLock

    workspace = _workspace(ctx)
    workspace.state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(workspace.state_dir / PIPELINE_LOCK)  # the lock a running watcher holds per file
    lock.acquire()
    try:
        with _ledger(workspace) as ledger:
            outcomes = process_files(list(files), workspace, ledger)
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


@main.group()
def register() -> None:
    """The master register spreadsheet."""


@register.command("export")
@click.pass_context
def register_export(ctx: click.Context) -> None:
    """Rewrite the register from the ledger (statuses as of today)."""
    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        count = publish(workspace, ledger)
    click.echo(f"台账已导出 Register exported: {workspace.register_path} ({count} 行 rows)")


@main.command()
@click.option("--once", is_flag=True, help="Drain the inbox, print a summary and exit.")
@click.option("--polling", is_flag=True, default=None,
              help="Poll instead of native events (network shares: SMB/NFS).")
@click.pass_context
def watch(ctx: click.Context, once: bool, polling: bool | None) -> None:
    """Watch the inbox and process every workbook dropped there."""
    from officeflow.watcher import WatchOptions, run_watch  # imported late: watchdog start-up

    workspace = _workspace(ctx)
    options = WatchOptions.from_settings(workspace.settings, once=once, polling=polling)
    summary = run_watch(workspace, options)
    click.echo(str(summary))
    sys.exit(1 if once and summary.failed else 0)


@register.command("rebuild")
@click.pass_context
def register_rebuild(ctx: click.Context) -> None:
    """Rebuild the ledger's documents from the archive's manifests, then re-export the register."""
    from officeflow.integrity import rebuild

    workspace = _workspace(ctx)
    report = rebuild(workspace)
    for note in report.notes:
        click.echo(click.style(f"注意：{note}", fg="yellow"))
    for item in report.untrusted:
        click.echo(click.style(f"未采用 refused: {item}", fg="red"))
    click.echo(f"已从归档重建 Rebuilt from the archive: {report.versions} 个版本 versions，"
               f"{report.copies} 份培训副本记录 training copies")
    sys.exit(1 if report.untrusted else 0)


@main.command()
@click.argument("doc_id")
@click.pass_context
def status(ctx: click.Context, doc_id: str) -> None:
    """Show every version of DOC_ID with today's status, dates and approver."""
    from officeflow.control import status_report

    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        lines = status_report(workspace, ledger, doc_id)
    click.echo(f"{doc_id}  {lines[-1].record.name}")
    click.echo("版本   状态    生效日期    失效日期    下次复审    终审人  接收时间          废止原因")
    for line in lines:
        r, s = line.record, line.state
        # Dates as text first: a format spec on a date object is an strftime pattern.
        click.echo(f"{r.version:<6} {s.status.value:<5} {r.effective_date.isoformat()}  "
                   f"{_day(s.expiry_date):<10}  {_day(line.next_review):<10}  {r.approver:<5} "
                   f"{r.received_at:%Y-%m-%d %H:%M}  {line.withdrawal_reason}".rstrip())


def _day(value: date | None) -> str:
    return value.isoformat() if value else "-"


@main.command()
@click.argument("doc_id")
@click.option("--reason", required=True, help="Why the document is withdrawn (废止原因).")
@click.option("--version", "version", help="Revoke only this pending (待生效) version.")
@click.pass_context
def withdraw(ctx: click.Context, doc_id: str, reason: str, version: str | None) -> None:
    """Withdraw DOC_ID (已废止) or revoke one pending version; nothing is deleted."""
    from officeflow.control import withdraw as withdraw_document

    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        versions = withdraw_document(workspace, ledger, doc_id, reason, actor=_actor_name(), version=version)
    if versions and version:
        click.echo(f"已撤销 Revoked: {doc_id} {version}（原因：{reason}），现行版本不受影响")
    elif versions:
        click.echo(f"已废止 Withdrawn: {doc_id} {'、'.join(versions)}（原因：{reason}）")
    else:
        click.echo(f"{doc_id} 没有现行有效或待生效的版本，无需废止")


def _actor_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@main.command()
@click.option("--within", "within_days", type=int, default=30, show_default=True,
              help="Days ahead to look for reviews.")
@click.pass_context
def due(ctx: click.Context, within_days: int) -> None:
    """List current documents whose periodic review is due within N days or overdue."""
    from officeflow.control import due_reviews

    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        items = due_reviews(workspace, ledger, within_days)
    if not items:
        click.echo(f"{within_days} 天内没有到期的复审 (no reviews due)")
    for item in items:
        r = item.record
        when = (click.style(f"已逾期 {-item.days_left} 天", fg="red") if item.days_left < 0
                else f"{item.days_left} 天后到期")
        click.echo(f"{r.doc_id} {r.version}  {r.name}  复审日期 {item.due}  {when}  负责人 {r.owner}")


@main.command("next-id")
@click.argument("prefix")
@click.option("--year", type=int, help="Year in the ID (default: this year).")
@click.pass_context
def next_id_command(ctx: click.Context, prefix: str, year: int | None) -> None:
    """Print the next free 流程编号 for PREFIX[-CAT], e.g. CRM-CS → CRM-CS-2024-006."""
    from officeflow.control import next_id

    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        click.echo(next_id(ledger, prefix, year))


@main.command()
@click.argument("doc_id")
@click.argument("old")
@click.argument("new")
@click.pass_context
def diff(ctx: click.Context, doc_id: str, old: str, new: str) -> None:
    """Print what changed in DOC_ID between versions OLD and NEW."""
    from officeflow.control import diff_versions

    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        lines = diff_versions(workspace, ledger, doc_id, old, new)
    for line in lines or ["无实质内容变化 (no changes)"]:
        click.echo(f"- {line}")


@main.command()
@click.argument("doc_id", required=False)
@click.pass_context
def audit(ctx: click.Context, doc_id: str | None) -> None:
    """Print the audit trail (all events, or those of DOC_ID)."""
    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        events = ledger.events(doc_id)
    for e in events:
        click.echo(f"{e['at']}  {e['event']:<12} {e['doc_id']} {e['version']}  {e['actor']}@{e['host']}  "
                   f"{e['file']}  {e['sha256'][:12]}  {e['detail']}")


@main.command()
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Re-hash archived files against the ledger and check the audit chain; exit 1 on any problem."""
    from officeflow.integrity import verify as verify_archive

    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        report = verify_archive(workspace, ledger)
    for label, items in (("已被修改 edited", report.edited), ("缺失 missing", report.missing),
                         ("多余文件 stray", report.stray)):
        for item in items:
            click.echo(click.style(f"{label}: {item}", fg="red"))
    for event_id in report.broken_events:
        click.echo(click.style(f"审计记录被篡改 audit event tampered: #{event_id}", fg="red"))
    for problem in report.problems:
        click.echo(click.style(problem, fg="red"))
    click.echo("校验通过 verified" if report.ok else "校验失败 verification failed")
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("doc_ids", nargs=-1)
@click.option("--all", "all_documents", is_flag=True, help="Every archived version.")
@click.option("--kind", type=click.Choice(sorted(KINDS)), help="Only documents of this kind.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--workers", type=int, help="Processes to use (default: all cores).")
@click.pass_context
def regenerate(ctx: click.Context, doc_ids: tuple[str, ...], all_documents: bool, kind: str | None,
               dry_run: bool, workers: int | None) -> None:
    """Re-render archived documents with the current templates (only changed files are rewritten)."""
    from officeflow.regenerate import regenerate as regenerate_documents

    if not doc_ids and not all_documents and not kind:
        raise click.UsageError("give DOC_ID…, --all or --kind")
    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        summary = regenerate_documents(workspace, ledger, list(doc_ids) or None, kind, dry_run,
                                       workers, progress=sys.stderr.isatty())
    for item in summary.failed:
        click.echo(click.style(f"失败 failed: {item.doc_id} {item.version}: {item.message}", fg="red"))
    verb = "将更新 would change" if dry_run else "已更新 changed"
    click.echo(f"{verb} {len(summary.changed)}，未变 unchanged {len(summary.unchanged)}，"
               f"失败 failed {len(summary.failed)}（{summary.seconds:.1f} s）")
    sys.exit(1 if summary.failed else 0)


@main.command()
@click.argument("doc_id", required=False)
@click.option("--version", "version", help="A version other than the current one.")
@click.option("--copies", type=int, default=1, show_default=True, help="Number of serial-numbered copies.")
@click.option("--to", "recipient", default="", help="Recipient (name / department) for the distribution log.")
@click.option("--allow-obsolete", is_flag=True,
              help="Allow a superseded (已失效) or withdrawn (已废止) version; pending ones need no flag.")
@click.option("--current", is_flag=True, help="Copies of every current document (see --department).")
@click.option("--department", help="With --current: only this 主责部门.")
@click.pass_context
def training(ctx: click.Context, doc_id: str | None, version: str | None, copies: int, recipient: str,
             allow_obsolete: bool, current: bool, department: str | None) -> None:
    """Print training copies (PDF, marked 培训专用 · 非受控文件) of a document's current version."""
    from officeflow.training import make_department_copies, make_training_copies

    if not doc_id and not current:
        raise click.UsageError("give DOC_ID or --current")
    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        if current:
            results = make_department_copies(workspace, ledger, department, copies, recipient)
        else:
            results = [make_training_copies(workspace, ledger, doc_id or "", version, copies, recipient,
                                            allow_obsolete)]
    for result in results:
        for serial, pdf in zip(result.serials, result.pdfs, strict=True):
            click.echo(f"培训副本 training copy {serial}: {pdf}")
    if not results:
        click.echo("没有现行有效的文件 (no current documents)")


@main.command()
@click.argument("doc_id")
@click.option("--returned", multiple=True, metavar="SERIAL", help="Record this copy as returned (回收).")
@click.option("--lost", multiple=True, metavar="SERIAL", help="Record this copy as lost (遗失).")
@click.option("--destroyed", multiple=True, metavar="SERIAL", help="Record this copy as destroyed (销毁).")
@click.pass_context
def recall(ctx: click.Context, doc_id: str, returned: tuple[str, ...], lost: tuple[str, ...],
           destroyed: tuple[str, ...]) -> None:
    """List outstanding training copies of DOC_ID's obsolete versions, or record copies as closed."""
    from officeflow.control import close_copies
    from officeflow.records import CopyClosure
    from officeflow.training import outstanding_copies

    workspace = _workspace(ctx)
    with _ledger(workspace) as ledger:
        for serials, how in ((returned, CopyClosure.RETURNED), (lost, CopyClosure.LOST),
                             (destroyed, CopyClosure.DESTROYED)):
            if serials:
                closed = close_copies(workspace, ledger, doc_id, list(serials), how)
                click.echo(f"{how.value} {len(closed)} 份：{'、'.join(closed)}")
        copies = outstanding_copies(ledger, doc_id)
    if not copies:
        click.echo(f"{doc_id} 没有需回收的旧版培训副本")
    for copy in copies:
        click.echo(f"{copy.serial}  {copy.version}  {copy.recipient or '-'}  {copy.printed_at:%Y-%m-%d %H:%M}")
