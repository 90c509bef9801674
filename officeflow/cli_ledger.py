"""`officeflow ledger info` and `officeflow ledger migrate --to URL [--grant ROLE]` (issue 13).

Registered in officeflow.cli by one line. The ledger backends, psycopg and the archive checks
are imported inside the commands, so `officeflow --help` stays fast (tests/test_startup.py).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from officeflow.cli_common import workspace_of
from officeflow.errors import OfficeflowError

if TYPE_CHECKING:
    from officeflow.ledger import Ledger
    from officeflow.settings import Workspace


@click.group("ledger", short_help="台账数据库 Which ledger is in use; move it to PostgreSQL")
def ledger_group() -> None:
    """Which ledger is in use; copy the SQLite ledger into PostgreSQL."""


@contextmanager
def _ledger_errors() -> Iterator[None]:
    """A ledger that cannot be opened as configured is the operator's to fix: exit 2, in Chinese."""
    from officeflow.ledger_errors import LedgerError, database_errors

    try:
        yield
    except LedgerError as exc:
        raise OfficeflowError(str(exc)) from exc
    except database_errors() as exc:
        raise OfficeflowError(f"台账数据库出错：{str(exc).strip()}") from exc


@ledger_group.command("info", short_help="台账信息 Which ledger is in use, and its size")
@click.pass_context
def info(ctx: click.Context) -> None:
    """Which ledger is in use (SQLite file or PostgreSQL, without the password) and its size."""
    from officeflow.ledger import workspace_ledger

    workspace = workspace_of(ctx)
    with _ledger_errors():
        opened = workspace_ledger(workspace)
        try:
            lines = info_lines(workspace, opened)
        finally:
            opened.close()
    for line in lines:
        click.echo(line)


def info_lines(workspace: Workspace, opened: Ledger) -> list[str]:
    """describe()'s lines; for SQLite with its schema version too (PostgreSQL's says its own)."""
    from officeflow.ledger_admin import describe

    lines = describe(opened, workspace.ledger_path)
    if not workspace.ledger_url:
        from officeflow.ledger_sqlite_schema import SCHEMA_VERSION

        lines.insert(2, f"结构版本：{SCHEMA_VERSION}")
    return lines


@ledger_group.command("migrate", short_help="迁移台账 Copy the SQLite ledger into PostgreSQL and verify it")
@click.option("--to", "url", required=True, metavar="URL",
              help="An empty PostgreSQL database, as its owner role: postgresql://owner@host/db")
@click.option("--grant", "role", metavar="ROLE",
              help="The role the hosts run as: granted exactly what the ledger uses.")
@click.pass_context
def migrate(ctx: click.Context, url: str, role: str | None) -> None:
    """Copy this workspace's SQLite ledger into an empty PostgreSQL database; verify it there."""
    from officeflow.integrity import verify
    from officeflow.ledger import is_postgres_url, open_ledger
    from officeflow.ledger_admin import copy_ledger

    workspace = workspace_of(ctx)
    if not is_postgres_url(url):
        raise OfficeflowError("--to 应为 PostgreSQL 连接串，以 postgresql:// 开头")
    if not workspace.ledger_path.is_file():
        raise OfficeflowError(f"没有可迁移的 SQLite 台账：{workspace.ledger_path} 不存在")
    name = workspace.ledger_path.relative_to(workspace.root).as_posix()
    with _ledger_errors():
        source = open_ledger(workspace.ledger_path)
        try:
            target = open_ledger(workspace.ledger_path, url)  # psycopg is there once this opened
            from officeflow.ledger_pg_rows import redact

            try:
                report = copy_ledger(source, target, name)
                if role:
                    _grant(url, role)
                verified = verify(workspace, target)
            finally:
                target.close()
        finally:
            source.close()
    click.echo(f"已迁移到 PostgreSQL：{redact(url)}")
    click.echo(f"版本 {report.versions}，修订记录 {report.revision_entries}，撤销 {report.withdrawals}，"
               f"培训副本 {report.training_copies}，审计记录 {report.events}（另记 1 条 migrated）")
    if role:
        click.echo(f"已授权角色 {role}：读写台账所用的表，审计记录只能追加")
    for problem in [*verified.problems, *verified.edited, *verified.missing, *verified.stray]:
        click.echo(click.style(problem, fg="red"))
    click.echo("校验通过 verified" if verified.ok else "校验失败 verification failed")
    click.echo(f"下一步：在 officeflow.toml 中设置 ledger_url（或环境变量 OFFICEFLOW_LEDGER_URL）；"
               f"{name} 保留作迁移前的备份")
    sys.exit(0 if verified.ok else 1)


def _grant(url: str, role: str) -> None:
    import psycopg

    from officeflow.ledger_pg_schema import grant_statements

    with psycopg.connect(url, autocommit=True) as db:
        for statement in grant_statements(role):
            db.execute(statement)  # type: ignore[arg-type]
