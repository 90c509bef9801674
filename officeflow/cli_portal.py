"""Portal commands: `serve` (the knowledge base in the browser), `notices` (mail), `feedback` (问题反馈).

Registered in officeflow.cli by one line. Everything heavy (the WSGI app, waitress, the mailer)
is imported inside the command that needs it, so `officeflow --help` stays fast.
"""

from __future__ import annotations

import sys
from datetime import date

import click

from officeflow.cli_common import opened_ledger, workspace_of
from officeflow.errors import OfficeflowError


@click.command(short_help="流程知识库 Serve the process knowledge base in the browser")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep 127.0.0.1 behind a reverse proxy).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int) -> None:
    """Serve the process knowledge base (search, document pages, downloads, feedback, /api/)."""
    from officeflow.portal.config import portal_settings
    from officeflow.portal.server import serve as run

    workspace = workspace_of(ctx)
    settings = portal_settings(workspace.settings)
    click.echo(f"流程知识库 Portal: http://{host}:{port}/  (Ctrl+C 停止 to stop)")
    run(workspace, settings, host, port, threads)


@click.command(short_help="邮件通知 Mail the release, review and withdrawal notices due")
@click.option("--dry-run", is_flag=True, help="Print the notices due; send and record nothing.")
@click.pass_context
def notices(ctx: click.Context, dry_run: bool) -> None:
    """Mail release notices, periodic-review reminders and withdrawal notices that are due."""
    from officeflow.portal.config import portal_settings
    from officeflow.portal.mailer import send_notices
    from officeflow.portal.notices import plan_notices

    workspace = workspace_of(ctx)
    settings = portal_settings(workspace.settings).notices
    if not dry_run and not settings.from_address:
        raise OfficeflowError("请在 officeflow.toml 的 [notices] 中设置 from_address（发件人地址）")
    with opened_ledger(workspace) as ledger:
        plan = plan_notices(workspace, ledger, settings, date.today())
        for line in plan.unaddressed:
            click.echo(click.style(f"未发送 not addressed: {line}", fg="yellow"))
        if dry_run:
            for n in plan.notices:
                click.echo(f"收件人 To: {', '.join(n.to)}\n主题 Subject: {n.subject}\n\n{n.body}")
            click.echo(f"待发送 {len(plan.notices)} 封（预览，未发送）")
            return
        report = send_notices(plan.notices, settings, ledger)
    for n in report.sent:
        click.echo(f"已发送 sent  {n.kind} {n.doc_id} {n.version} → {', '.join(n.to)}")
    for n, problem in report.failed:
        click.echo(click.style(f"未发送 failed  {n.kind} {n.doc_id} {n.version}: {problem}", fg="red"), err=True)
    click.echo(f"发送 {len(report.sent)} 封，失败 {len(report.failed)} 封"
               + ("（下次运行时重试）" if report.failed else ""))
    sys.exit(1 if report.failed else 0)


@click.command("feedback", short_help="问题反馈 List the feedback (of DOC_ID) for the next review")
@click.argument("doc_id", required=False)
@click.pass_context
def feedback_command(ctx: click.Context, doc_id: str | None) -> None:
    """List 问题反馈 (of DOC_ID), oldest first, for the next periodic review."""
    from officeflow.portal.feedback import list_feedback

    workspace = workspace_of(ctx)
    with opened_ledger(workspace) as ledger:
        items = list_feedback(ledger, doc_id)
    if not items:
        click.echo("没有问题反馈 (no feedback)")
        return
    for item in items:
        who = item.name + (f"（{item.department}）" if item.department else "")
        text = item.text.replace("\n", " / ")
        click.echo(f"{item.at.replace('T', ' ')[:16]}  {item.doc_id} {item.version}  {who}：{text}")
    click.echo(f"共 {len(items)} 条")


COMMANDS = [serve, notices, feedback_command]


def add_portal_commands(group: click.Group) -> None:
    for command in COMMANDS:
        group.add_command(command)
