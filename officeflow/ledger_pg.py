"""The ledger on PostgreSQL (psycopg 3): the same behaviour as `SqliteLedger`, shared by many hosts.

Every write is one transaction that first takes the chain's advisory lock, so writes from all
hosts serialise as SQLite's IMMEDIATE transactions do on one machine, and the hash chain is
appended by one host at a time. The database guards it besides (officeflow.ledger_pg_schema):
an insert that does not follow the last event is refused, two events can never seal the same
predecessor, and the anchor (`chain_head`) is moved by a trigger the app role cannot bypass.
What both backends do alike (the same statements) is written once in officeflow.ledger_sql.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors
from psycopg.rows import dict_row

from officeflow.ledger_errors import LedgerError, VersionTaken
from officeflow.ledger_pg_checks import anchor_broken, structural_problems
from officeflow.ledger_pg_rows import RECORD_COLUMNS, UPSERT_VERSION, redact, to_record
from officeflow.ledger_pg_schema import (
    LOCK_CLASS_CHAIN,
    LOCK_CLASS_DOCUMENT,
    LOCK_CLASS_EXPORT,
    SCHEMA_VERSION,
    migrate,
    schema_version,
)
from officeflow.ledger_pg_stream import stream_markings, stream_rows, stream_versions
from officeflow.ledger_protocol import CopyMarking, Event, actor, chain_hash
from officeflow.ledger_sql import INSERT_EVENT, SqlLedger
from officeflow.records import VersionRecord
from officeflow.versions import version_key


class PgLedger(SqlLedger):
    """The ledger in a PostgreSQL database (one ledger per schema, chosen by the URL's search_path)."""

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        try:
            self._db = psycopg.connect(url, autocommit=True, row_factory=dict_row)
        except psycopg.OperationalError as exc:
            raise LedgerError(f"无法连接 PostgreSQL 台账（{redact(url)}）：{exc}".strip()) from exc
        self._actor = actor()
        self._chain_key = (LOCK_CLASS_CHAIN,)
        current = schema_version(self._db)
        if current < SCHEMA_VERSION:
            if not upgrade and current:
                self._db.close()
                raise LedgerError(f"台账数据库结构为第 {current} 版，需要第 {SCHEMA_VERSION} 版："
                                  "请以属主角色运行 officeflow ledger migrate")
            try:
                migrate(self._db)
            except errors.InsufficientPrivilege as exc:
                self._db.close()
                raise LedgerError(f"台账数据库需要建立或升级到第 {SCHEMA_VERSION} 版结构，当前角色无权建表："
                                  "请以属主角色运行 officeflow ledger migrate") from exc

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        # The chain lock first, before any row lock: every writer waits here, none deadlocks later.
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", self._chain_key)
            yield self._db

    def _tuple_cursor(self) -> psycopg.Cursor[tuple[Any, ...]]:
        return self._db.cursor(row_factory=psycopg.rows.tuple_row)

    # ------------------------------------------------------------ documents and versions

    def versions(self) -> list[VersionRecord]:
        """Every version, by doc_id then version number (the register's order)."""
        records = [to_record(r) for r in self._rows(f"SELECT {RECORD_COLUMNS} FROM versions")]
        records.sort(key=lambda v: (v.doc_id, version_key(v.version)))
        return records

    def iter_versions(self) -> Iterator[VersionRecord]:
        return stream_versions(self._db)  # server-side cursor (ledger_pg_stream)

    def _stream(self, columns: str) -> Iterator[tuple[Any, ...]]:
        return stream_rows(self._db, columns)  # server-side cursor, as iter_versions

    @staticmethod
    def _insert_version(db: psycopg.Connection[Any], record: VersionRecord, marking: str) -> None:
        values = record._asdict()
        values["effective_date"] = record.effective_date.isoformat()
        values["received_at"] = record.received_at.isoformat(timespec="seconds")
        values["marking"] = marking
        try:
            with db.transaction():  # a savepoint: the constraint's name says what was taken
                stored = db.execute(UPSERT_VERSION, values).fetchone()
        except errors.UniqueViolation as exc:
            constraint = exc.diag.constraint_name or ""
            what = {"versions_one_source": "内容完全相同的源文件已作为另一版本发布",
                    "versions_one_path": "同一文档路径已被另一版本占用",
                    "versions_one_issued_path": "同一发布记录路径已被另一版本占用"}.get(constraint, str(exc))
            raise VersionTaken(record.doc_id, record.version,
                               f"{record.doc_id} {record.version} 未能登记：{what}") from exc
        if stored is None:
            raise VersionTaken(record.doc_id, record.version)

    # ------------------------------------------------------------ reading copies

    def iter_markings(self) -> Iterator[CopyMarking]:
        return stream_markings(self._db)  # server-side cursor, as iter_versions

    # ------------------------------------------------------------ register export marker

    @staticmethod
    def _set_stale(db: psycopg.Connection[Any]) -> None:
        # A counter in the same transaction as the change: an export clears only what it has seen.
        db.execute("INSERT INTO meta VALUES ('register_generation', 1) "
                   "ON CONFLICT (key) DO UPDATE SET value = meta.value + 1")

    @staticmethod
    def _set_exported(db: psycopg.Connection[Any], generation: int) -> None:
        db.execute("INSERT INTO meta VALUES ('register_exported', %s) "
                   "ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value, EXCLUDED.value)", (generation,))

    @contextmanager
    def export_lock(self) -> Iterator[bool]:
        """`with ledger.export_lock() as mine:` True for one host at a time; False: another is exporting.

        Coalesces register exports across hosts: the loser skips, the register stays stale for
        whatever it did not see, and the next export (any host) picks that up.
        """
        key = (LOCK_CLASS_EXPORT,)
        got = self._rows("SELECT pg_try_advisory_lock(%s, hashtext(current_schema()))", key)[0][0]
        try:
            yield bool(got)
        finally:
            if got:
                self._rows("SELECT pg_advisory_unlock(%s, hashtext(current_schema()))", key)

    @contextmanager
    def document_lock(self, doc_id: str) -> Iterator[None]:
        """Held across check → render → archive → record_issue of one 流程编号, so a second host
        validates against the version the first one issued (and gets `version.exists`) instead of
        overwriting its archived files before losing at record_issue."""
        key = (LOCK_CLASS_DOCUMENT, doc_id)
        self._rows("SELECT pg_advisory_lock(%s, hashtext(current_schema() || ':' || %s))", key)
        try:
            yield
        finally:
            self._rows("SELECT pg_advisory_unlock(%s, hashtext(current_schema() || ':' || %s))", key)

    # ------------------------------------------------------------ audit trail and integrity

    def _append(self, db: psycopg.Connection[Any], events: Iterable[Event]) -> None:
        """Under the chain lock: number and seal the events after the last one."""
        events = list(events)
        if not events:
            return
        last = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        anchor = db.execute("SELECT id, hash FROM chain_head").fetchone()
        broken = anchor_broken(db, (int(anchor["id"]), anchor["hash"]) if anchor else None, last is not None)
        if broken:  # deleted or rewritten by someone with the owner's rights: sealed before moving on
            events = [Event("anchor-lost", detail=broken), *events]
        previous = last["hash"] if last else ""
        # Never reuse the number of a removed event: the anchor may be ahead of the trail.
        number = max(int(last["id"]) if last else 0, int(anchor["id"]) if anchor else 0)
        user, host = self._actor
        rows = []
        for event in events:
            row: dict[str, Any] = {"at": event.at.isoformat(timespec="seconds"), "event": event.event,
                                   "doc_id": event.doc_id, "version": event.version, "file": event.file,
                                   "sha256": event.sha256, "actor": user, "host": host, "detail": event.detail,
                                   "prev_hash": previous}
            row["hash"] = chain_hash(row)  # each event seals the one before it
            number += 1
            rows.append((number, *row.values()))
            previous = row["hash"]
        with db.cursor() as cursor:
            cursor.executemany(INSERT_EVENT, rows)

    def anchored_head(self) -> tuple[int, str] | None:
        """The anchor the database keeps (SQLite's `.head` file); None if someone deleted it."""
        rows = self._rows("SELECT id, hash FROM chain_head")
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def integrity_problems(self) -> list[str]:
        """Guards and constraints in place and enabled, indexes sound (amcheck, where allowed)."""
        try:
            return structural_problems(self._db)
        except psycopg.Error as exc:
            return [str(exc).strip()]

    # ------------------------------------------------------------ beyond the protocol

    def claims(self, host: str, lease_seconds: float = 120.0) -> Any:
        """Intake claims on this connection (officeflow.claims_pg.IntakeClaims)."""
        from officeflow.claims_pg import IntakeClaims

        return IntakeClaims(self._db, host, lease_seconds)

    def info(self) -> dict[str, str]:
        """Which ledger this is and how big (for `officeflow ledger info`)."""
        row = self._rows("SELECT current_setting('server_version'), current_database(), current_schema(), "
                         "current_user, pg_database_size(current_database())")[0]
        return {"台账": f"PostgreSQL {row[0]}", "位置": f"{redact(self.url)}（数据库 {row[1]}，模式 {row[2]}）",
                "角色": str(row[3]), "结构版本": str(schema_version(self._db)),
                "大小": f"{int(row[4]) / 1_048_576:.1f} MB（整个数据库）"}

