"""The ledger on PostgreSQL (psycopg 3): the same behaviour as `SqliteLedger`, shared by many hosts.

Every write is one transaction that first takes the chain's advisory lock, so writes from all
hosts serialise as SQLite's IMMEDIATE transactions do on one machine, and the hash chain is
appended by one host at a time. The database guards it besides (officeflow.ledger_pg_schema):
an insert that does not follow the last event is refused, two events can never seal the same
predecessor, and the anchor (`chain_head`) is moved by a trigger the app role cannot bypass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import errors
from psycopg.rows import dict_row

from officeflow.ledger_errors import LedgerError, VersionTaken
from officeflow.ledger_pg_checks import anchor_broken, structural_problems
from officeflow.ledger_pg_rows import (
    EVENT_COLUMNS,
    RECORD_COLUMNS,
    UPSERT_VERSION,
    redact,
    to_copy,
    to_record,
)
from officeflow.ledger_pg_schema import (
    LOCK_CLASS_CHAIN,
    LOCK_CLASS_DOCUMENT,
    LOCK_CLASS_EXPORT,
    SCHEMA_VERSION,
    migrate,
    schema_version,
)
from officeflow.ledger_pg_stream import stream_markings, stream_versions
from officeflow.ledger_protocol import CopyMarking, Event, actor, chain_hash
from officeflow.records import (
    DocumentHistory,
    RevisionEntry,
    TrainingCopy,
    VersionRecord,
    Withdrawal,
)
from officeflow.versions import version_key


class PgLedger:
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

    def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._db.cursor(row_factory=psycopg.rows.tuple_row) as cursor:
            return cursor.execute(query, params).fetchall()  # type: ignore[arg-type]

    # ------------------------------------------------------------ documents and versions

    def history(self, doc_id: str) -> DocumentHistory:
        rows = self._rows(f"SELECT {RECORD_COLUMNS} FROM versions WHERE doc_id = %s", (doc_id,))
        versions = sorted((to_record(r) for r in rows), key=lambda v: version_key(v.version))
        entries = {
            r["version"]: RevisionEntry(r["version"], date.fromisoformat(r["date"]) if r["date"] else None,
                                        r["content"], r["reason"], r["author"], r["reviewer"])
            for r in self._db.execute("SELECT * FROM revision_entries WHERE doc_id = %s", (doc_id,))
        }
        withdrawn = {r["version"]: date.fromisoformat(r["withdrawn_on"]) for r in
                     self._db.execute("SELECT * FROM withdrawals WHERE doc_id = %s", (doc_id,))}
        return DocumentHistory(doc_id, versions, entries, withdrawn)

    def find_source(self, sha256: str) -> VersionRecord | None:
        rows = self._rows(f"SELECT {RECORD_COLUMNS} FROM versions WHERE source_sha256 = %s", (sha256,))
        return to_record(rows[0]) if rows else None

    def versions(self) -> list[VersionRecord]:
        """Every version, by doc_id then version number (the register's order)."""
        records = [to_record(r) for r in self._rows(f"SELECT {RECORD_COLUMNS} FROM versions")]
        records.sort(key=lambda v: (v.doc_id, version_key(v.version)))
        return records

    def iter_versions(self) -> Iterator[VersionRecord]:
        return stream_versions(self._db)  # server-side cursor (ledger_pg_stream)

    def record_issue(self, record: VersionRecord, entries: Iterable[RevisionEntry],
                     events: Iterable[Event], marking: str = "") -> None:
        """Store a new version, the revision entries not yet known, and its events, atomically.

        Raises VersionTaken when another host issued this 流程编号/版本号 (or this source) first.
        """
        with self._write() as db:
            self._insert_version(db, record, marking)
            self._insert_entries(db, record.doc_id, entries)
            self._set_stale(db)
            self._append(db, events)

    @staticmethod
    def _insert_version(db: psycopg.Connection[Any], record: VersionRecord, marking: str) -> None:
        values = asdict(record)
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

    @staticmethod
    def _insert_entries(db: psycopg.Connection[Any], doc_id: str, entries: Iterable[RevisionEntry]) -> None:
        rows = [(doc_id, e.version, e.date.isoformat() if e.date else None, e.content, e.reason, e.author,
                 e.reviewer) for e in entries]
        if rows:
            with db.cursor() as cursor:
                cursor.executemany("INSERT INTO revision_entries VALUES (%s, %s, %s, %s, %s, %s, %s) "
                                   "ON CONFLICT DO NOTHING", rows)

    @staticmethod
    def _insert_withdrawals(db: psycopg.Connection[Any], withdrawals: Iterable[Withdrawal]) -> None:
        rows = [(w.doc_id, w.version, w.withdrawn_on.isoformat(), w.reason, w.actor) for w in withdrawals]
        if rows:
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO withdrawals VALUES (%s, %s, %s, %s, %s) ON CONFLICT (doc_id, version) DO UPDATE "
                    "SET withdrawn_on = EXCLUDED.withdrawn_on, reason = EXCLUDED.reason, actor = EXCLUDED.actor",
                    rows)

    def withdraw(self, withdrawals: Iterable[Withdrawal], events: Iterable[Event]) -> None:
        """Mark versions 已废止 (nothing is deleted) and log it, atomically."""
        with self._write() as db:
            self._insert_withdrawals(db, withdrawals)
            self._set_stale(db)
            self._append(db, events)

    def withdrawals(self) -> list[Withdrawal]:
        return [Withdrawal(r["doc_id"], r["version"], date.fromisoformat(r["withdrawn_on"]), r["reason"], r["actor"])
                for r in self._db.execute("SELECT * FROM withdrawals ORDER BY doc_id, version")]

    # ------------------------------------------------------------ reading copies
    def markings(self) -> dict[tuple[str, str], str]:
        return {(r[0], r[1]): r[2] for r in self._rows("SELECT doc_id, version, marking FROM versions")}

    def iter_markings(self) -> Iterator[CopyMarking]:
        return stream_markings(self._db)  # server-side cursor, as iter_versions

    def set_reading_copies(self, updates: Iterable[tuple[str, str, str, str]],
                           events: Iterable[Event]) -> None:
        """(doc_id, version, sha256, marking) of re-rendered reading copies, with their events."""
        self._update_versions("UPDATE versions SET document_sha256 = %s, marking = %s "
                              "WHERE doc_id = %s AND version = %s",
                              [(sha, marking, d, v) for d, v, sha, marking in updates], events)

    def adopt_issued_records(self, updates: Iterable[tuple[str, str, str, str]],
                             events: Iterable[Event]) -> None:
        """(doc_id, version, issued_path, sha256) of versions issued before records/ existed."""
        self._update_versions("UPDATE versions SET issued_path = %s, issued_sha256 = %s "
                              "WHERE doc_id = %s AND version = %s",
                              [(path, sha, d, v) for d, v, path, sha in updates], events)

    def _update_versions(self, query: str, rows: list[tuple[str, ...]], events: Iterable[Event]) -> None:
        with self._write() as db:
            if rows:
                with db.cursor() as cursor:
                    cursor.executemany(query, rows)
            self._append(db, events)

    # ------------------------------------------------------------ training copies

    def next_training_sequence(self, doc_id: str, version: str) -> int:
        """The number the next copy of this version gets (T0001, T0002…)."""
        rows = self._rows("SELECT MAX(sequence) FROM training_copies WHERE doc_id = %s AND version = %s",
                          (doc_id, version))
        return (rows[0][0] or 0) + 1

    def record_training_copies(self, copies: Iterable[TrainingCopy], events: Iterable[Event]) -> None:
        """Store printed copies and their audit events atomically (a taken serial aborts all)."""
        with self._write() as db:
            self._insert_copies(db, copies)
            self._set_stale(db)
            self._append(db, events)

    @staticmethod
    def _insert_copies(db: psycopg.Connection[Any], copies: Iterable[TrainingCopy]) -> None:
        rows = [(c.serial, c.doc_id, c.version, c.sequence, c.recipient, c.printed_at.isoformat(timespec="seconds"),
                 c.pdf_path, c.returned_at.isoformat(timespec="seconds") if c.returned_at else None, c.closed_as)
                for c in copies]
        if rows:
            with db.cursor() as cursor:
                cursor.executemany("INSERT INTO training_copies VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)

    def training_copies(self, doc_id: str | None = None) -> list[TrainingCopy]:
        """Every recorded copy (of one document), oldest first."""
        query = "SELECT * FROM training_copies" + (" WHERE doc_id = %s" if doc_id else "")
        rows = self._db.execute(query + " ORDER BY printed_at, serial", (doc_id,) if doc_id else ())
        return [to_copy(r) for r in rows]

    def close_training_copies(self, serials: Iterable[str], closed_as: str, at: datetime,
                              events: Iterable[Event]) -> list[str]:
        """Note copies as returned/lost/destroyed; returns the serials that were outstanding."""
        closed: list[str] = []
        with self._write() as db:
            for serial in serials:
                cursor = db.execute("UPDATE training_copies SET returned_at = %s, closed_as = %s "
                                    "WHERE serial = %s AND returned_at IS NULL",
                                    (at.isoformat(timespec="seconds"), closed_as, serial))
                if cursor.rowcount:
                    closed.append(serial)
            self._set_stale(db)
            self._append(db, events)
        return closed

    # ------------------------------------------------------------ register export marker

    @staticmethod
    def _set_stale(db: psycopg.Connection[Any]) -> None:
        # A counter in the same transaction as the change: an export clears only what it has seen.
        db.execute("INSERT INTO meta VALUES ('register_generation', 1) "
                   "ON CONFLICT (key) DO UPDATE SET value = meta.value + 1")

    def _meta_int(self, key: str) -> int:
        rows = self._rows("SELECT value FROM meta WHERE key = %s", (key,))
        return int(rows[0][0]) if rows else 0

    def register_generation(self) -> int:
        """How many changes the ledger has seen that the register must show."""
        return self._meta_int("register_generation")

    def register_stale(self) -> bool:
        return self._meta_int("register_exported") < self.register_generation()

    def mark_register_exported(self, events: Iterable[Event], generation: int | None = None) -> None:
        """The register now shows every change up to `generation` (read before the export began)."""
        seen = self.register_generation() if generation is None else generation
        with self._write() as db:
            db.execute("INSERT INTO meta VALUES ('register_exported', %s) "
                       "ON CONFLICT (key) DO UPDATE SET value = GREATEST(meta.value, EXCLUDED.value)", (seen,))
            self._append(db, events)

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

    def add_events(self, events: Iterable[Event]) -> None:
        with self._write() as db:
            self._append(db, events)

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
            cursor.executemany(f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
                               f"VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})", rows)

    def events(self, doc_id: str | None = None) -> list[dict[str, str]]:
        query = "SELECT * FROM events" + (" WHERE doc_id = %s" if doc_id else "") + " ORDER BY id"
        return list(self._db.execute(query, (doc_id,) if doc_id else ()))

    def chain_head(self) -> tuple[int, str]:
        rows = self._rows("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, "")

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

    def restore_events(self, rows: Iterable[dict[str, str]]) -> None:
        """Carry audit rows verbatim (ids and hashes) into an empty trail."""
        values = [tuple(row[c] for c in EVENT_COLUMNS) for row in rows]
        with self._write() as db:
            if values:
                with db.cursor() as cursor:
                    cursor.executemany(f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
                                       f"VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})", values)

    def rebuild(self, records: Iterable[VersionRecord], entries: Iterable[tuple[str, RevisionEntry]],
                withdrawals: Iterable[Withdrawal], copies: Iterable[TrainingCopy],
                events: Iterable[Event], markings: dict[tuple[str, str], str] | None = None) -> None:
        """Replace the document state (not the audit trail) with what the archive says, atomically."""
        markings = markings or {}
        with self._write() as db:
            for table in ("versions", "revision_entries", "withdrawals", "training_copies"):
                db.execute(f"DELETE FROM {table}")
            for record in records:
                self._insert_version(db, record, markings.get((record.doc_id, record.version), ""))
            for doc_id, entry in entries:
                self._insert_entries(db, doc_id, [entry])
            self._insert_withdrawals(db, withdrawals)
            self._insert_copies(db, copies)
            self._set_stale(db)
            self._append(db, events)

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

    def close(self) -> None:
        self._db.close()

