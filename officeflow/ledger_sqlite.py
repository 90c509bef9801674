"""The default ledger: one SQLite file (WAL); every write is one IMMEDIATE transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any

from officeflow.fsutil import atomic_write_bytes
from officeflow.ledger_errors import VersionTaken
from officeflow.ledger_protocol import (
    COPY_MARKING_COLUMNS,
    CopyMarking,
    Event,
    actor,
    chain_hash,
    copy_marking_from_row,
)
from officeflow.ledger_sql import SqlLedger, anchored_event_changed, in_version_order
from officeflow.ledger_sqlite_schema import (
    _RECORD_COLUMNS,
    MIGRATIONS,
    SCHEMA,
    SCHEMA_VERSION,
    _record,
)  # noqa: E402
from officeflow.records import VersionRecord

HEAD_SUFFIX = ".head"  # beside the ledger: "<last event id> <its hash>", the chain's anchor


class SqliteLedger(SqlLedger):
    """The ledger in one SQLite file; every write is one IMMEDIATE transaction."""

    PLACEHOLDER = "?"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.head_path = path.with_name(path.name + HEAD_SUFFIX)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._pending_head = False
        self._migrate()

    def _migrate(self) -> None:
        current = self._db.execute("PRAGMA user_version").fetchone()[0]
        if current >= SCHEMA_VERSION:
            return
        with self._write() as db:
            current = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have done it
            if current == 0:
                for statement in SCHEMA.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
                current = 1
            for step in MIGRATIONS[current:]:
                for statement in step:
                    try:
                        db.execute(statement)
                    except sqlite3.OperationalError as exc:  # a column already there
                        if "duplicate column" not in str(exc):
                            raise
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            # Anchor from the start (a fresh ledger: "0", unless a head is left by a deleted one, which
            # the next append then reports), so a head file missing later means someone removed it.
            if not self.head_path.exists():
                self._pending_head = True

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so two processes serialise here.
        self._db.execute("BEGIN IMMEDIATE")
        self._pending_head = False
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        if self._pending_head:
            # Anchor the chain's head outside the database: deleting the last events shows.
            self._write_head()

    # ------------------------------------------------------------ documents and versions

    def versions(self) -> list[VersionRecord]:
        """Every version, by doc_id then version number (the register's order)."""
        return list(self.iter_versions())

    def iter_versions(self) -> Iterator[VersionRecord]:
        """`versions()` streamed in the same order, a batch at a time: for the register export."""
        return map(_record, self._stream(_RECORD_COLUMNS))

    def _tuple_cursor(self) -> sqlite3.Cursor:
        cursor = self._db.cursor()
        cursor.row_factory = None
        return cursor

    def _stream(self, columns: str) -> Iterator[tuple[Any, ...]]:
        # By doc_id alone: the primary key's index gives that order with no sort (a sort by version
        # number too took a third of the read); each document's versions are ordered in Python.
        cursor = self._tuple_cursor()
        cursor.execute(f"SELECT {columns} FROM versions ORDER BY doc_id")
        return in_version_order(chain.from_iterable(iter(partial(cursor.fetchmany, 2000), [])))

    @staticmethod
    def _insert_version(db: sqlite3.Connection, record: VersionRecord, marking: str) -> None:
        values = record._asdict()
        values["effective_date"] = record.effective_date.isoformat()
        values["received_at"] = record.received_at.isoformat(timespec="seconds")
        values["marking"] = marking
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        held = db.execute("SELECT source_sha256 FROM versions WHERE doc_id = ? AND version = ?",
                          (record.doc_id, record.version)).fetchone()
        if held is not None and held[0] != record.source_sha256:
            raise VersionTaken(record.doc_id, record.version)  # as PostgreSQL: never replace another source
        # REPLACE: a re-run after a crash between archive and ledger writes the same row.
        db.execute(f"INSERT OR REPLACE INTO versions ({columns}) VALUES ({marks})", values)

    # ------------------------------------------------------------ reading copies

    def iter_markings(self) -> Iterator[CopyMarking]:
        """What each version's reading copy shows, streamed in `iter_versions()`'s order."""
        return map(copy_marking_from_row, self._stream(COPY_MARKING_COLUMNS))

    # ------------------------------------------------------------ register export marker

    @staticmethod
    def _set_stale(db: sqlite3.Connection) -> None:
        # In the same transaction as the change: a kill before the export leaves the register known
        # stale. A counter, not a flag: an export clears only the changes it has seen.
        db.execute("INSERT INTO meta VALUES ('register_generation', '1') ON CONFLICT(key) "
                   "DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    @staticmethod
    def _set_exported(db: sqlite3.Connection, generation: int) -> None:
        db.execute("INSERT INTO meta VALUES ('register_exported', ?) ON CONFLICT(key) "
                   "DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                   (str(generation),))

    # ------------------------------------------------------------ audit trail and integrity

    def _append(self, db: sqlite3.Connection, events: Iterable[Event]) -> None:
        broken = self._anchor_broken(db)
        if broken:
            # Events deleted or rewritten since the last commit: seal that into the chain before the
            # new head replaces the anchor, so later appends cannot hide it.
            events = [Event("anchor-lost", detail=broken), *events]
        last = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        previous = last["hash"] if last else ""
        user, host = actor()  # asked here: read-only commands never need getpass
        appended = False
        for event in events:
            row = {"at": event.at.isoformat(timespec="seconds"), "event": event.event,
                   "doc_id": event.doc_id, "version": event.version, "file": event.file,
                   "sha256": event.sha256, "actor": user, "host": host, "detail": event.detail,
                   "prev_hash": previous}
            # Each event seals the one before it: editing any row breaks the chain.
            row["hash"] = chain_hash(row)
            db.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       tuple(row.values()))
            previous = row["hash"]
            appended = True
        if appended:
            self._pending_head = True

    def _anchor_broken(self, db: sqlite3.Connection) -> str:
        """Why the anchored head no longer matches the trail ('' when it does)."""
        try:
            number, _, digest = self.head_path.read_text(encoding="ascii").strip().partition(" ")
            anchored = int(number)
        except FileNotFoundError:
            anchored, digest = -1, ""
        except (OSError, ValueError):
            return "审计记录曾被改写：锚文件无法读取"
        if anchored == -1:
            has_events = db.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None
            return "审计记录曾被改写：锚文件被删除" if has_events else ""
        return anchored_event_changed(db, anchored, digest, self.PLACEHOLDER)

    def _write_head(self) -> None:
        head_id, head_hash = self.chain_head()
        atomic_write_bytes(self.head_path, f"{head_id} {head_hash}\n".encode())

    def anchored_head(self) -> tuple[int, str] | None:
        """The anchor file beside the database; None when it is missing or unreadable."""
        try:
            number, _, digest = self.head_path.read_text(encoding="ascii").strip().partition(" ")
            return int(number), digest
        except (OSError, ValueError):
            return None

    @contextmanager
    def document_lock(self, doc_id: str) -> Iterator[None]:
        # One host per SQLite file: the pipeline lock (officeflow.locks) already serialises issues.
        yield

    @contextmanager
    def export_lock(self) -> Iterator[bool]:
        yield True

    def integrity_problems(self) -> list[str]:
        """SQLite's own check of the file (pages, indexes); empty when sound."""
        try:
            rows = self._db.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.DatabaseError as exc:
            return [str(exc)]
        problems = [str(r[0]) for r in rows]
        return [] if problems == ["ok"] else problems

    def restore_events(self, rows: Iterable[dict[str, str]]) -> None:
        """Carry audit rows verbatim (ids and hashes) into an empty trail, after setting a damaged ledger aside."""
        super().restore_events(rows)
        self._write_head()  # committed: anchor the restored chain
