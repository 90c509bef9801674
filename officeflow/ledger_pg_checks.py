"""What `PgLedger.integrity_problems()` checks, and the anchor check made before every append.

PostgreSQL has no `PRAGMA integrity_check`. What can go wrong with a server-side ledger is a
guard removed (a trigger disabled or dropped, a constraint dropped by someone with the owner's
rights), a schema left half-upgraded, or a damaged index. So:
- the schema version is the one this officeflow writes;
- the append-only and chain triggers exist and are enabled; the uniqueness constraints exist;
- where the `amcheck` extension is installed and this role may run it, every B-tree index of
  the ledger's tables passes `bt_index_check` (a DBA runs `CREATE EXTENSION amcheck` and grants
  EXECUTE on `bt_index_check(regclass)`; without that, this part is skipped, and `pg_amcheck` by
  the DBA does the same from outside).
"""

from __future__ import annotations

from typing import Any

from officeflow.ledger_pg_schema import SCHEMA_VERSION, schema_version
from officeflow.ledger_sql import anchored_event_changed

_TRIGGERS = {
    ("events", "events_append_only"): "审计记录表的防改写触发器",
    ("events", "events_no_truncate"): "审计记录表的防清空触发器",
    ("events", "events_chain"): "审计链的接续触发器",
    ("chain_head", "chain_head_no_delete"): "审计链锚记录的防删除触发器",
}
_CONSTRAINTS = {
    ("versions", "versions_one_version"): "每个流程编号/版本号只登记一次的约束",
    ("versions", "versions_one_path"): "每个文档路径只属于一个版本的约束",
    ("versions", "versions_one_source"): "每个源文件只登记一次的约束",
    ("events", "events_no_fork"): "审计链不分叉的约束",
}
_TABLES = ("versions", "revision_entries", "withdrawals", "training_copies", "meta", "events", "chain_head",
           "intake_claims")


def structural_problems(db: Any) -> list[str]:
    """One sentence per problem; empty when sound."""
    current = schema_version(db)
    if current < SCHEMA_VERSION:
        return [f"台账数据库结构为第 {current} 版，应为第 {SCHEMA_VERSION} 版"]
    problems: list[str] = []
    triggers = _dicts(db, "triggers")
    for key, label in _TRIGGERS.items():
        if key not in triggers:
            problems.append(f"{label}（{key[1]}）已被删除")
        elif triggers[key] == "D":
            problems.append(f"{label}（{key[1]}）已被停用")
    constraints = {(r["relname"], r["conname"]) for r in _dicts(db, "constraints")}
    problems += [f"{label}（{key[1]}）已被删除" for key, label in _CONSTRAINTS.items() if key not in constraints]
    return problems + _index_problems(db)


def _dicts(db: Any, what: str) -> Any:
    if what == "triggers":
        rows = db.execute(
            "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal").fetchall()
        return {(r["relname"], r["tgname"]): r["tgenabled"] for r in rows}
    return db.execute(
        "SELECT c.relname, k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace").fetchall()


def _index_problems(db: Any) -> list[str]:
    """amcheck's verdict on the ledger's indexes, when this role may ask for it."""
    allowed = db.execute(
        "SELECT to_regprocedure('bt_index_check(regclass)') IS NOT NULL "
        "AND has_function_privilege(to_regprocedure('bt_index_check(regclass)'), 'EXECUTE') AS ok").fetchone()
    if not allowed["ok"]:
        return []
    indexes = db.execute(
        "SELECT i.indexrelid::regclass::text AS name FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid "
        "JOIN pg_am a ON a.oid = x.relam WHERE a.amname = 'btree' "
        "AND c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s)", (list(_TABLES),)).fetchall()
    problems: list[str] = []
    for index in indexes:
        try:
            with db.transaction():
                db.execute("SELECT bt_index_check(%s::regclass)", (index["name"],))
        except Exception as exc:  # noqa: BLE001 - psycopg's error: the index is damaged; say which
            problems.append(f"索引 {index['name']} 损坏：{str(exc).strip()}")
    return problems


def anchor_broken(db: Any, anchor: tuple[int, str] | None, has_events: bool) -> str:
    """Why the anchored head no longer matches the trail ('' when it does); the words SQLite uses."""
    if anchor is None:
        return "审计记录曾被改写：锚记录被删除" if has_events else ""
    number, digest = anchor
    return anchored_event_changed(db, number, digest, "%s")
