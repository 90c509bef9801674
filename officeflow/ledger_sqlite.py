"""The default ledger: one SQLite file (WAL); every write is one IMMEDIATE transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime
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
from officeflow.ledger_sqlite_schema import (
    _ORDER_BY_VERSION,
    _RECORD_COLUMNS,
    MIGRATIONS,
    SCHEMA,
    SCHEMA_VERSION,
    _copy,
    _record,
)  # noqa: E402
from officeflow.records import (
    DocumentHistory,
    RevisionEntry,
    TrainingCopy,
    VersionRecord,
    Withdrawal,
)
from officeflow.versions import version_key

HEAD_SUFFIX = ".head"  # beside the ledger: "<last event id> <its hash>", the chain's anchor

class SqliteLedger:
    """The ledger in one SQLite file; every write is one IMMEDIATE transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.head_path = path.with_name(path.name + HEAD_SUFFIX)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._actor = actor()
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

    def history(self, doc_id: str) -> DocumentHistory:
        rows = self._db.execute(f"SELECT {_RECORD_COLUMNS} FROM versions WHERE doc_id = ?", (doc_id,))
        versions = sorted((_record(tuple(r)) for r in rows), key=lambda v: version_key(v.version))
        entries = {
            r["version"]: RevisionEntry(r["version"], date.fromisoformat(r["date"]) if r["date"] else None,
                                        r["content"], r["reason"], r["author"], r["reviewer"])
            for r in self._db.execute("SELECT * FROM revision_entries WHERE doc_id = ?", (doc_id,))
        }
        withdrawn = {r["version"]: date.fromisoformat(r["withdrawn_on"]) for r in
                     self._db.execute("SELECT * FROM withdrawals WHERE doc_id = ?", (doc_id,))}
        return DocumentHistory(doc_id, versions, entries, withdrawn)

    def find_source(self, sha256: str) -> VersionRecord | None:
        row = self._db.execute(f"SELECT {_RECORD_COLUMNS} FROM versions WHERE source_sha256 = ?",
                               (sha256,)).fetchone()
        return _record(tuple(row)) if row else None

    def versions(self) -> list[VersionRecord]:
        """Every version, by doc_id then version number (the register's order)."""
        # Plain tuples and an SQL sort: this is the hot path of every register export.
        cursor = self._db.cursor()
        cursor.row_factory = None
        rows = cursor.execute(f"SELECT {_RECORD_COLUMNS} FROM versions ORDER BY doc_id, {_ORDER_BY_VERSION}")
        return [_record(row) for row in rows.fetchall()]

    def iter_versions(self) -> Iterator[VersionRecord]:
        """`versions()` streamed in the same order, a batch at a time: for the register export."""
        return map(_record, self._stream(_RECORD_COLUMNS))

    def _stream(self, columns: str) -> Iterator[tuple[Any, ...]]:
        cursor = self._db.cursor()
        cursor.row_factory = None
        cursor.execute(f"SELECT {columns} FROM versions ORDER BY doc_id, {_ORDER_BY_VERSION}")
        while batch := cursor.fetchmany(2000):
            yield from batch

    def record_issue(self, record: VersionRecord, entries: Iterable[RevisionEntry],
                     events: Iterable[Event], marking: str = "") -> None:
        """Store a new version, the revision entries not yet known, and its events, atomically."""
        with self._write() as db:
            self._insert_version(db, record, marking)
            self._insert_entries(db, record.doc_id, entries)
            self._set_stale(db)
            self._append(db, events)

    @staticmethod
    def _insert_version(db: sqlite3.Connection, record: VersionRecord, marking: str) -> None:
        values = asdict(record)
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

    @staticmethod
    def _insert_entries(db: sqlite3.Connection, doc_id: str, entries: Iterable[RevisionEntry]) -> None:
        for entry in entries:
            db.execute("INSERT OR IGNORE INTO revision_entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (doc_id, entry.version, entry.date.isoformat() if entry.date else None,
                        entry.content, entry.reason, entry.author, entry.reviewer))

    def withdraw(self, withdrawals: Iterable[Withdrawal], events: Iterable[Event]) -> None:
        """Mark versions 已废止 (nothing is deleted) and log it, atomically."""
        with self._write() as db:
            for w in withdrawals:
                db.execute("INSERT OR REPLACE INTO withdrawals VALUES (?, ?, ?, ?, ?)",
                           (w.doc_id, w.version, w.withdrawn_on.isoformat(), w.reason, w.actor))
            self._set_stale(db)
            self._append(db, events)

    def withdrawals(self) -> list[Withdrawal]:
        return [Withdrawal(r["doc_id"], r["version"], date.fromisoformat(r["withdrawn_on"]),
                           r["reason"], r["actor"])
                for r in self._db.execute("SELECT * FROM withdrawals ORDER BY doc_id, version")]

    # ------------------------------------------------------------ reading copies

    def markings(self) -> dict[tuple[str, str], str]:
        return {(r[0], r[1]): r[2] for r in self._db.execute("SELECT doc_id, version, marking FROM versions")}

    def iter_markings(self) -> Iterator[CopyMarking]:
        """What each version's reading copy shows, streamed in `iter_versions()`'s order."""
        return map(copy_marking_from_row, self._stream(COPY_MARKING_COLUMNS))

    def set_reading_copies(self, updates: Iterable[tuple[str, str, str, str]],
                           events: Iterable[Event]) -> None:
        """(doc_id, version, sha256, marking) of re-rendered reading copies, with their events."""
        with self._write() as db:
            db.executemany("UPDATE versions SET document_sha256 = ?, marking = ? WHERE doc_id = ? AND version = ?",
                           [(sha, marking, doc_id, version) for doc_id, version, sha, marking in updates])
            self._append(db, events)

    def adopt_issued_records(self, updates: Iterable[tuple[str, str, str, str]],
                             events: Iterable[Event]) -> None:
        """(doc_id, version, issued_path, sha256) of versions issued before records/ existed."""
        with self._write() as db:
            db.executemany("UPDATE versions SET issued_path = ?, issued_sha256 = ? WHERE doc_id = ? AND version = ?",
                           [(path, sha, doc_id, version) for doc_id, version, path, sha in updates])
            self._append(db, events)

    # ------------------------------------------------------------ training copies

    def next_training_sequence(self, doc_id: str, version: str) -> int:
        """The number the next copy of this version gets (T0001, T0002…)."""
        row = self._db.execute("SELECT MAX(sequence) AS n FROM training_copies WHERE doc_id = ? AND version = ?",
                               (doc_id, version)).fetchone()
        return (row["n"] or 0) + 1

    def record_training_copies(self, copies: Iterable[TrainingCopy], events: Iterable[Event]) -> None:
        """Store printed copies and their audit events atomically (a taken serial aborts all)."""
        with self._write() as db:
            self._insert_copies(db, copies)
            self._set_stale(db)
            self._append(db, events)

    @staticmethod
    def _insert_copies(db: sqlite3.Connection, copies: Iterable[TrainingCopy]) -> None:
        for c in copies:
            db.execute("INSERT INTO training_copies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (c.serial, c.doc_id, c.version, c.sequence, c.recipient,
                        c.printed_at.isoformat(timespec="seconds"), c.pdf_path,
                        c.returned_at.isoformat(timespec="seconds") if c.returned_at else None, c.closed_as))

    def training_copies(self, doc_id: str | None = None) -> list[TrainingCopy]:
        """Every recorded copy (of one document), oldest first."""
        query = "SELECT * FROM training_copies" + (" WHERE doc_id = ?" if doc_id else "")
        rows = self._db.execute(query + " ORDER BY printed_at, serial", (doc_id,) if doc_id else ())
        return [_copy(r) for r in rows]

    def close_training_copies(self, serials: Iterable[str], closed_as: str, at: datetime,
                              events: Iterable[Event]) -> list[str]:
        """Note copies as returned/lost/destroyed; returns the serials that were outstanding."""
        closed: list[str] = []
        with self._write() as db:
            for serial in serials:
                cursor = db.execute("UPDATE training_copies SET returned_at = ?, closed_as = ? "
                                    "WHERE serial = ? AND returned_at IS NULL",
                                    (at.isoformat(timespec="seconds"), closed_as, serial))
                if cursor.rowcount:
                    closed.append(serial)
            self._set_stale(db)
            self._append(db, events)
        return closed

    # ------------------------------------------------------------ register export marker

    @staticmethod
    def _set_stale(db: sqlite3.Connection) -> None:
        # In the same transaction as the change: a kill before the export leaves the register known
        # stale. A counter, not a flag: an export clears only the changes it has seen.
        db.execute("INSERT INTO meta VALUES ('register_generation', '1') ON CONFLICT(key) "
                   "DO UPDATE SET value = CAST(value AS INTEGER) + 1")

    def _meta_int(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def register_generation(self) -> int:
        """How many changes the ledger has seen that the register must show."""
        return self._meta_int("register_generation")

    def register_stale(self) -> bool:
        return self._meta_int("register_exported") < self.register_generation()

    def mark_register_exported(self, events: Iterable[Event], generation: int | None = None) -> None:
        """The register now shows every change up to `generation` (read before the export began)."""
        seen = self.register_generation() if generation is None else generation
        with self._write() as db:
            db.execute("INSERT INTO meta VALUES ('register_exported', ?) ON CONFLICT(key) "
                       "DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                       (str(seen),))
            self._append(db, events)

    # ------------------------------------------------------------ audit trail and integrity

    def add_events(self, events: Iterable[Event]) -> None:
        with self._write() as db:
            self._append(db, events)

    def _append(self, db: sqlite3.Connection, events: Iterable[Event]) -> None:
        broken = self._anchor_broken(db)
        if broken:
            # Events deleted or rewritten since the last commit: seal that into the chain before the
            # new head replaces the anchor, so later appends cannot hide it.
            events = [Event("anchor-lost", detail=broken), *events]
        last = db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        previous = last["hash"] if last else ""
        user, host = self._actor
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
        if anchored == 0:
            return ""
        row = db.execute("SELECT hash FROM events WHERE id = ?", (anchored,)).fetchone()
        if row is None:
            return f"审计记录曾被截断：锚定的记录 #{anchored} 已不在审计记录中"
        if row["hash"] != digest:
            return f"审计记录曾被改写：记录 #{anchored} 与锚定的哈希不符"
        return ""

    def _write_head(self) -> None:
        head_id, head_hash = self.chain_head()
        atomic_write_bytes(self.head_path, f"{head_id} {head_hash}\n".encode())

    def events(self, doc_id: str | None = None) -> list[dict[str, str]]:
        query = "SELECT * FROM events" + (" WHERE doc_id = ?" if doc_id else "") + " ORDER BY id"
        return [dict(r) for r in self._db.execute(query, (doc_id,) if doc_id else ())]

    def chain_head(self) -> tuple[int, str]:
        row = self._db.execute("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        return (int(row["id"]), str(row["hash"])) if row else (0, "")

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
        columns = ("id", "at", "event", "doc_id", "version", "file", "sha256", "actor", "host", "detail",
                   "prev_hash", "hash")
        with self._write() as db:
            db.executemany(f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                           [tuple(row[c] for c in columns) for row in rows])
            self._pending_head = True

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
            for w in withdrawals:
                db.execute("INSERT OR REPLACE INTO withdrawals VALUES (?, ?, ?, ?, ?)",
                           (w.doc_id, w.version, w.withdrawn_on.isoformat(), w.reason, w.actor))
            self._insert_copies(db, copies)
            self._set_stale(db)
            self._append(db, events)

    def close(self) -> None:
        self._db.close()
