"""Document control commands: status, withdrawal, reviews, IDs, diffs, audit, integrity,
regeneration, training copies and recall. `officeflow.cli` adds them to its group.

Each loads the workspace and calls one core function.
"""

from __future__ import annotations

import sys
from datetime import date

import click

from officeflow.cli_common import DOC_ID, VERSION, KindChoice, opened_ledger, workspace_of
from officeflow.cli_text import display_width, event_label, padded

# Each command imports its core module in its body: the group and `--help` load none of them.


@click.command(short_help="版本状态 Every version of DOC_ID with today's status and dates")
@click.argument("doc_id", **DOC_ID)
@click.pass_context
def status(ctx: click.Context, doc_id: str) -> None:
    """Show every version of DOC_ID with today's status, dates and approver."""
    from officeflow.control import status_report

    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        lines = status_report(workspace, ledger, doc_id)
    click.echo(f"{doc_id}  {lines[-1].record.name}")
    click.echo("版本   状态    生效日期    失效日期    下次回顾    终审人  接收时间          废止原因")
    for line in lines:
        r, s = line.record, line.state
        # Dates as text first: a format spec on a date object is an strftime pattern.
        click.echo(f"{r.version:<6} {s.status.value:<5} {r.effective_date.isoformat()}  "
                   f"{_day(s.expiry_date):<10}  {_day(line.next_review):<10}  {r.approver:<5} "
                   f"{r.received_at:%Y-%m-%d %H:%M}  {line.withdrawal_reason}".rstrip())


def _day(value: date | None) -> str:
    return value.isoformat() if value else "-"


@click.command(short_help="废止或撤销 Withdraw DOC_ID or revoke one pending version")
@click.argument("doc_id", **DOC_ID)
@click.option("--reason", required=True, help="Why the document is withdrawn (废止原因).")
@click.option("--version", "version", help="Revoke only this pending (待生效) version.", **VERSION)
@click.pass_context
def withdraw(ctx: click.Context, doc_id: str, reason: str, version: str | None) -> None:
    """Withdraw DOC_ID (已废止) or revoke one pending version; nothing is deleted."""
    from officeflow.control import withdraw as withdraw_document

    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
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


@click.command(short_help="到期回顾 Current documents whose periodic review is due soon")
@click.option("--within", "within_days", type=int, default=30, show_default=True,
              help="Days ahead to look for reviews.")
@click.pass_context
def due(ctx: click.Context, within_days: int) -> None:
    """List current documents whose periodic review is due within N days or overdue."""
    from officeflow.control import due_reviews
    from officeflow.portal.feedback import feedback_counts  # 问题反馈 to weigh at each review

    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        items = due_reviews(workspace, ledger, within_days)
        feedback = feedback_counts(ledger) if items else {}
    if not items:
        click.echo(f"{within_days} 天内没有到期的定期回顾")
    for item in items:
        r = item.record
        when = (click.style(f"已逾期 {-item.days_left} 天", fg="red") if item.days_left < 0
                else f"{item.days_left} 天后到期")
        click.echo(f"{r.doc_id} {r.version}  {r.name}  回顾日期 {item.due}  {when}  负责人 {r.owner}"
                   f"  反馈 {feedback.get(r.doc_id, 0)} 条")


@click.command("next-id", short_help="下一个流程编号 Print the next free ID for PREFIX[-CAT]")
@click.argument("prefix")
@click.option("--year", type=int, help="Year in the ID (default: this year).")
@click.pass_context
def next_id_command(ctx: click.Context, prefix: str, year: int | None) -> None:
    """Print the next free 流程编号 for PREFIX[-CAT], e.g. CRM-CS → CRM-CS-2024-006."""
    from officeflow.control import next_id

    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        click.echo(next_id(ledger, prefix, year))


@click.command(short_help="版本差异 What changed in DOC_ID between versions OLD and NEW")
@click.argument("doc_id", **DOC_ID)
@click.argument("old", **VERSION)
@click.argument("new", **VERSION)
@click.pass_context
def diff(ctx: click.Context, doc_id: str, old: str, new: str) -> None:
    """Print what changed in DOC_ID between versions OLD and NEW."""
    from officeflow.control import diff_versions

    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        lines = diff_versions(workspace, ledger, doc_id, old, new)
    for line in lines or ["无实质内容变化 (no changes)"]:
        click.echo(f"- {line}")


@click.command(short_help="审计记录 Print the audit trail (all events, or those of DOC_ID)")
@click.argument("doc_id", required=False, **DOC_ID)
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON, with their stable codes.")
@click.pass_context
def audit(ctx: click.Context, doc_id: str | None, as_json: bool) -> None:
    """Print the audit trail (all events, or those of DOC_ID)."""
    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        events = ledger.events(doc_id)
    if as_json:
        import json

        click.echo(json.dumps(events, ensure_ascii=False, indent=2, default=str))
        return
    for e in events:
        click.echo(f"{e['at']}  {event_label(e['event'])}  {e['doc_id']} {e['version']}  {e['actor']}@{e['host']}  "
                   f"{e['file']}  {e['sha256'][:12]}  {e['detail']}".rstrip())


@click.command(short_help="完整性校验 Re-hash the archive, check the audit chain")
@click.pass_context
def verify(ctx: click.Context) -> None:
    """Re-hash archived files against the ledger and check the audit chain; exit 1 on any problem."""
    from officeflow.integrity import verify as verify_archive

    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
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


@click.command(short_help="重新生成 Re-render archived documents with current templates")
@click.argument("doc_ids", nargs=-1, **DOC_ID)
@click.option("--all", "all_documents", is_flag=True, help="Every archived version.")
@click.option("--kind", type=KindChoice(), help="Only documents of this kind.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--workers", type=int, help="Processes to use (default: all cores).")
@click.pass_context
def regenerate(ctx: click.Context, doc_ids: tuple[str, ...], all_documents: bool, kind: str | None,
               dry_run: bool, workers: int | None) -> None:
    """Re-render archived documents with the current templates (only changed files are rewritten)."""
    from officeflow.regenerate import regenerate as regenerate_documents

    if not doc_ids and not all_documents and not kind:
        raise click.UsageError("请指定流程编号、--all 或 --kind / give DOC_ID…, --all or --kind")
    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        summary = regenerate_documents(workspace, ledger, list(doc_ids) or None, kind, dry_run,
                                       workers, progress=sys.stderr.isatty())
    for item in summary.failed:
        click.echo(click.style(f"失败 failed: {item.doc_id} {item.version}: {item.message}", fg="red"))
    verb = "将更新 would change" if dry_run else "已更新 changed"
    click.echo(f"{verb} {len(summary.changed)}，未变 unchanged {len(summary.unchanged)}，"
               f"失败 failed {len(summary.failed)}（{summary.seconds:.1f} s）")
    sys.exit(1 if summary.failed else 0)


@click.command(short_help="培训副本 Print training copies (PDF) of a document")
@click.argument("doc_id", required=False, **DOC_ID)
@click.option("--version", "version", help="A version other than the current one.", **VERSION)
@click.option("--copies", type=int, default=1, show_default=True, help="Number of serial-numbered copies.")
@click.option("--to", "recipient", default="", help="Recipient (name / department) for the distribution log.")
@click.option("--allow-obsolete", is_flag=True,
              help="Allow a superseded (已失效) or withdrawn (已废止) version; pending ones need no flag.")
@click.option("--current", is_flag=True, help="Copies of every current document (see --department).")
@click.option("--department", help="With --current: only this 主责部门.")
@click.pass_context
def training(ctx: click.Context, doc_id: str | None, version: str | None, copies: int, recipient: str,
             allow_obsolete: bool, current: bool, department: str | None) -> None:
    """Print training copies of a document's current version: PDFs marked 培训专用 · 非受控文件."""
    from officeflow.training import make_department_copies, make_training_copies

    if not doc_id and not current:
        raise click.UsageError("请指定流程编号或 --current / give DOC_ID or --current")
    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        if current:
            results = make_department_copies(workspace, ledger, department, copies, recipient)
        else:
            results = [make_training_copies(workspace, ledger, doc_id or "", version, copies, recipient,
                                            allow_obsolete)]
    for result in results:
        for serial, pdf in zip(result.serials, result.pdfs, strict=True):
            click.echo(f"培训副本 training copy {serial}: {pdf}")


@click.command(short_help="回收培训副本 Copies of obsolete versions still out; close them")
@click.argument("doc_id", **DOC_ID)
@click.option("--returned", multiple=True, metavar="SERIAL", help="Record this copy as returned (回收).", **DOC_ID)
@click.option("--lost", multiple=True, metavar="SERIAL", help="Record this copy as lost (遗失).", **DOC_ID)
@click.option("--destroyed", multiple=True, metavar="SERIAL", help="Record this copy as destroyed (销毁).",
              **DOC_ID)
@click.pass_context
def recall(ctx: click.Context, doc_id: str, returned: tuple[str, ...], lost: tuple[str, ...],
           destroyed: tuple[str, ...]) -> None:
    """List outstanding training copies of DOC_ID's obsolete versions, or record copies as closed."""
    from officeflow.control import close_copies
    from officeflow.records import CopyClosure
    from officeflow.training import outstanding_copies

    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        for serials, how in ((returned, CopyClosure.RETURNED), (lost, CopyClosure.LOST),
                             (destroyed, CopyClosure.DESTROYED)):
            if serials:
                closed = close_copies(workspace, ledger, doc_id, list(serials), how)
                click.echo(f"{how.value} {len(closed)} 份：{'、'.join(closed)}")
        copies = outstanding_copies(ledger, doc_id)
    if not copies:
        click.echo(f"{doc_id} 没有需回收的旧版培训副本")
        return
    rows = [("副本编号", "版本", "领用人", "打印时间"),
            *((c.serial, c.version, c.recipient or "-", f"{c.printed_at:%Y-%m-%d %H:%M}") for c in copies)]
    widths = [max(display_width(row[i]) for row in rows) for i in range(3)]
    click.echo(f"{doc_id} 需回收的旧版培训副本：{len(copies)} 份")
    for row in rows:
        click.echo(padded(row, widths))


COMMANDS: tuple[click.Command, ...] = (
    status, withdraw, due, next_id_command, diff, audit, verify, regenerate, training, recall,
)
