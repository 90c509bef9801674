"""Issue 13, item 4: `officeflow ledger info` and `officeflow ledger migrate --to URL [--grant ROLE]`,
through the real CLI, against the session's PostgreSQL cluster (tests/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from factory import make_workbook
from pgcluster import APP, OWNER, PgCluster

from officeflow.cli import main
from officeflow.ledger_sqlite_schema import SCHEMA_VERSION as SQLITE_SCHEMA
from officeflow.settings import Workspace

PG_SCHEMA = 3  # officeflow.ledger_pg_schema.SCHEMA_VERSION (psycopg is imported only when installed)
OTHER = "HR-TR-2024-002"


def invoke(workspace: Workspace, *args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["-w", str(workspace.root), *args], env=env)
    return result.exit_code, result.output.splitlines()


def issue_two(workspace: Workspace, tmp_path: Path) -> None:
    books = [make_workbook(tmp_path, "a.xlsx"),
             make_workbook(tmp_path, "b.xlsx", fields={"流程编号": OTHER, "流程名称": "员工培训流程"})]
    code, lines = invoke(workspace, "process", *map(str, books))
    assert code == 0, lines


def events_in(workspace: Workspace) -> int:
    import sqlite3

    with sqlite3.connect(workspace.ledger_path) as db:
        return int(db.execute("SELECT count(*) FROM events").fetchone()[0])


def test_ledger_info_on_sqlite(workspace: Workspace, tmp_path: Path) -> None:
    issue_two(workspace, tmp_path)
    code, lines = invoke(workspace, "ledger", "info")
    size = sum(p.stat().st_size for p in (workspace.ledger_path, Path(f"{workspace.ledger_path}-wal"))
               if p.exists())
    assert (code, lines) == (0, [
        "台账：SQLite",
        f"位置：{workspace.ledger_path}",
        f"结构版本：{SQLITE_SCHEMA}",
        f"大小：{size / 1_048_576:.1f} MB",
        "版本：2",
        f"审计记录：{events_in(workspace)}",
    ])


def test_ledger_migrate_then_every_host_runs_on_postgresql(workspace: Workspace, tmp_path: Path,
                                                            shared_pg_cluster: PgCluster) -> None:
    cluster = shared_pg_cluster
    issue_two(workspace, tmp_path)
    events = events_in(workspace)
    database = cluster.new_database()
    owner_url = cluster.url(database, OWNER)
    code, lines = invoke(workspace, "ledger", "migrate", "--to", owner_url, "--grant", APP)
    assert (code, lines) == (0, [
        f"已迁移到 PostgreSQL：user={OWNER} dbname={database} host={cluster.root}",
        f"版本 2，修订记录 2，撤销 0，培训副本 0，审计记录 {events}（另记 1 条 migrated）",
        f"已授权角色 {APP}：读写台账所用的表，审计记录只能追加",
        "校验通过 verified",
        "下一步：在 officeflow.toml 中设置 ledger_url（或环境变量 OFFICEFLOW_LEDGER_URL）；"
        ".officeflow/ledger.sqlite3 保留作迁移前的备份",
    ])
    # The hosts run as the app role: verify passes there, info names it and counts the copy.
    app = {"OFFICEFLOW_LEDGER_URL": cluster.url(database, APP)}
    assert invoke(workspace, "verify", env=app) == (0, ["校验通过 verified"])
    code, lines = invoke(workspace, "ledger", "info", env=app)
    assert code == 0
    assert lines[1:4] == [f"位置：user={APP} dbname={database} host={cluster.root}（数据库 {database}，模式 public）",
                          f"角色：{APP}", f"结构版本：{PG_SCHEMA}"]
    assert re.fullmatch(r"台账：PostgreSQL \d+\.\d+.*", lines[0]), lines
    assert re.fullmatch(r"大小：\d+\.\d MB（整个数据库）", lines[4]), lines
    assert lines[5:] == ["版本：2", f"审计记录：{events + 1}"]


def test_ledger_migrate_refuses_what_it_cannot_do(workspace: Workspace, tmp_path: Path,
                                                  shared_pg_cluster: PgCluster) -> None:
    cluster = shared_pg_cluster
    url = cluster.url(cluster.new_database(), OWNER)
    code, lines = invoke(workspace, "ledger", "migrate", "--to", url)
    assert (code, lines) == (2, [f"错误 Error: 没有可迁移的 SQLite 台账：{workspace.ledger_path} 不存在"])
    issue_two(workspace, tmp_path)
    assert invoke(workspace, "ledger", "migrate", "--to", "sqlite:///x.db") == (
        2, ["错误 Error: --to 应为 PostgreSQL 连接串，以 postgresql:// 开头"])
    assert invoke(workspace, "ledger", "migrate", "--to", url)[0] == 0
    assert invoke(workspace, "ledger", "migrate", "--to", url) == (
        2, ["错误 Error: 目标数据库中已有台账：ledger migrate 只写入空的数据库"])


def test_an_unreachable_ledger_is_an_operator_error(workspace: Workspace, tmp_path: Path) -> None:
    url = f"postgresql://nobody@/nowhere?host={tmp_path}"  # no server listens on that socket
    code, lines = invoke(workspace, "ledger", "info", env={"OFFICEFLOW_LEDGER_URL": url})
    assert code == 2
    prefix = f"错误 Error: 无法连接 PostgreSQL 台账（user=nobody dbname=nowhere host={tmp_path}）："
    assert lines[0].startswith(prefix) and "No such file or directory" in "\n".join(lines), lines
