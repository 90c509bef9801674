"""The ledger: SQLite (WAL) state of documents, versions, revision entries and events.

It is the source of truth; the register spreadsheet is exported from it. The `Ledger`
protocol is all the pipeline uses, so another database could back it later.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from officeflow.records import DocumentHistory, RevisionEntry, VersionRecord, Withdrawal
from officeflow.versions import version_key

SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    kind TEXT NOT NULL,
    kind_label TEXT NOT NULL,
    name TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    category TEXT NOT NULL,
    department TEXT NOT NULL,
    owner TEXT NOT NULL,
    approver TEXT NOT NULL,
    document_path TEXT NOT NULL,
    source_path TEXT NOT NULL,
    manifest_path TEXT NOT NULL,
    source_sha256 TEXT NOT NULL UNIQUE,
    document_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (doc_id, version)
);
CREATE TABLE IF NOT EXISTS revision_entries (
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    date TEXT,
    content TEXT NOT NULL,
    reason TEXT NOT NULL,
    author TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    PRIMARY KEY (doc_id, version)
);
CREATE TABLE IF NOT EXISTS withdrawals (
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    withdrawn_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (doc_id, version)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    actor TEXT NOT NULL,
    host TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


def _actor() -> tuple[str, str]:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        user = "unknown"
    return user, socket.gethostname()


@dataclass(frozen=True)
class Event:
    """One audit-trail entry: received, rejected, issued, superseded, exported…"""

    event: str
    doc_id: str = ""
    version: str = ""
    file: str = ""
    sha256: str = ""
    detail: str = ""
    at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))


class Ledger(Protocol):
    def history(self, doc_id: str) -> DocumentHistory: ...
    def find_source(self, sha256: str) -> VersionRecord | None: ...
    def record_issue(self, record: VersionRecord, entries: Iterable[RevisionEntry],
                     events: Iterable[Event]) -> None: ...
    def withdraw(self, withdrawals: Iterable[Withdrawal], events: Iterable[Event]) -> None: ...
    def rebuild(self, records: Iterable[VersionRecord], entries: Iterable[tuple[str, RevisionEntry]],
                withdrawals: Iterable[Withdrawal], events: Iterable[Event]) -> None: ...
    def add_events(self, events: Iterable[Event]) -> None: ...
    def versions(self) -> list[VersionRecord]: ...
    def withdrawals(self) -> list[Withdrawal]: ...
    def close(self) -> None: ...


_RECORD_COLUMNS = ("doc_id, version, kind, name, effective_date, category, department, owner, approver, "
                   "document_path, source_path, manifest_path, source_sha256, document_sha256, "
                   "received_at, kind_label")


def _record(row: sqlite3.Row) -> VersionRecord:
    values = dict(row)
    values["effective_date"] = date.fromisoformat(values["effective_date"])
    values["received_at"] = datetime.fromisoformat(values["received_at"])
    return VersionRecord(**values)


class SqliteLedger:
    """The ledger in one SQLite file; every write is one IMMEDIATE transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._actor = _actor()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so two processes serialise here.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def history(self, doc_id: str) -> DocumentHistory:
        rows = self._db.execute("SELECT * FROM versions WHERE doc_id = ?", (doc_id,)).fetchall()
        versions = sorted((_record(r) for r in rows), key=lambda v: version_key(v.version))
        entries = {
            r["version"]: RevisionEntry(r["version"], date.fromisoformat(r["date"]) if r["date"] else None,
                                        r["content"], r["reason"], r["author"], r["reviewer"])
            for r in self._db.execute("SELECT * FROM revision_entries WHERE doc_id = ?", (doc_id,))
        }
        withdrawn = {r["version"]: date.fromisoformat(r["withdrawn_on"]) for r in
                     self._db.execute("SELECT * FROM withdrawals WHERE doc_id = ?", (doc_id,))}
        return DocumentHistory(doc_id, versions, entries, withdrawn)

    def find_source(self, sha256: str) -> VersionRecord | None:
        row = self._db.execute("SELECT * FROM versions WHERE source_sha256 = ?", (sha256,)).fetchone()
        return _record(row) if row else None

    def record_issue(self, record: VersionRecord, entries: Iterable[RevisionEntry],
                     events: Iterable[Event]) -> None:
        """Store a new version, the revision entries not yet known, and its events, atomically."""
        values = asdict(record)
        values["effective_date"] = record.effective_date.isoformat()
        values["received_at"] = record.received_at.isoformat(timespec="seconds")
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        with self._write() as db:
            # REPLACE: a re-run after a crash between archive and ledger writes the same row.
            db.execute(f"INSERT OR REPLACE INTO versions ({columns}) VALUES ({marks})", values)
            for entry in entries:
                db.execute(
                    "INSERT OR IGNORE INTO revision_entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (record.doc_id, entry.version, entry.date.isoformat() if entry.date else None,
                     entry.content, entry.reason, entry.author, entry.reviewer),
                )
            self._append(db, events)

    def withdraw(self, withdrawals: Iterable[Withdrawal], events: Iterable[Event]) -> None:
        """Mark versions 已废止 (nothing is deleted) and log it, atomically."""
        with self._write() as db:
            for w in withdrawals:
                db.execute("INSERT OR REPLACE INTO withdrawals VALUES (?, ?, ?, ?, ?)",
                           (w.doc_id, w.version, w.withdrawn_on.isoformat(), w.reason, w.actor))
            self._append(db, events)

    def withdrawals(self) -> list[Withdrawal]:
        return [Withdrawal(r["doc_id"], r["version"], date.fromisoformat(r["withdrawn_on"]),
                           r["reason"], r["actor"])
                for r in self._db.execute("SELECT * FROM withdrawals ORDER BY doc_id, version")]

    def rebuild(self, records: Iterable[VersionRecord], entries: Iterable[tuple[str, RevisionEntry]],
                withdrawals: Iterable[Withdrawal], events: Iterable[Event]) -> None:
        """Replace the document state (not the audit trail) with what the archive says."""
        with self._write() as db:
            for table in ("versions", "revision_entries", "withdrawals"):
                db.execute(f"DELETE FROM {table}")
        for record in records:
            self.record_issue(record, [], [])
        with self._write() as db:
            for doc_id, entry in entries:
                db.execute(
                    "INSERT OR IGNORE INTO revision_entries VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (doc_id, entry.version, entry.date.isoformat() if entry.date else None,
                     entry.content, entry.reason, entry.author, entry.reviewer),
                )
        self.withdraw(withdrawals, events)

    def add_events(self, events: Iterable[Event]) -> None:
        with self._write() as db:
            self._append(db, events)

    def _append(self, db: sqlite3.Connection, events: Iterable[Event]) -> None:
        last = db.execute("SELECT hash FROM events ORDER BY id DESC LIMIT 1").fetchone()
        previous = last["hash"] if last else ""
        user, host = self._actor
        for event in events:
            row = {"at": event.at.isoformat(timespec="seconds"), "event": event.event,
                   "doc_id": event.doc_id, "version": event.version, "file": event.file,
                   "sha256": event.sha256, "actor": user, "host": host, "detail": event.detail,
                   "prev_hash": previous}
            # Each event seals the one before it: editing any row breaks the chain.
            row["hash"] = hashlib.sha256(
                json.dumps(row, ensure_ascii=False, sort_keys=True).encode("utf-8")
            ).hexdigest()
            db.execute(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                       tuple(row.values()))
            previous = row["hash"]

    def events(self, doc_id: str | None = None) -> list[dict[str, str]]:
        query = "SELECT * FROM events" + (" WHERE doc_id = ?" if doc_id else "") + " ORDER BY id"
        return [dict(r) for r in self._db.execute(query, (doc_id,) if doc_id else ())]

    def versions(self) -> list[VersionRecord]:
        """Every version, by doc_id then version number (the register's order)."""
        # Plain tuples and an SQL sort: this is the hot path of every register export.
        cursor = self._db.cursor()
        cursor.row_factory = None
        rows = cursor.execute(
            f"SELECT {_RECORD_COLUMNS} FROM versions ORDER BY doc_id, "
            "CAST(substr(version, 2, instr(version, '.') - 2) AS INTEGER), "
            "CAST(substr(version, instr(version, '.') + 1) AS INTEGER)"
        ).fetchall()
        return [VersionRecord(doc_id, version, kind, name, date.fromisoformat(effective), category,
                              department, owner, approver, document, source, manifest, source_sha,
                              document_sha, datetime.fromisoformat(received), kind_label)
                for (doc_id, version, kind, name, effective, category, department, owner, approver,
                     document, source, manifest, source_sha, document_sha, received, kind_label)
                in rows]

    def close(self) -> None:
        self._db.close()


def open_ledger(path: Path) -> SqliteLedger:
    return SqliteLedger(path)


# ---------------------------------------------------------------------------------------------
# Training copies and regeneration (issue 6). Functions over a SqliteLedger, kept apart from
# the class; each write is one IMMEDIATE transaction together with its audit events.

TRAINING_SCHEMA = """
CREATE TABLE IF NOT EXISTS training_copies (
    serial TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    printed_at TEXT NOT NULL,
    pdf_path TEXT NOT NULL,
    returned_at TEXT,
    UNIQUE (doc_id, version, sequence)
);
"""


@dataclass(frozen=True)
class TrainingCopy:
    """One printed, uncontrolled training copy: who has it, of which version."""

    serial: str  # e.g. CRM-CS-2024-005-V2.0-T0003
    doc_id: str
    version: str
    sequence: int
    recipient: str
    printed_at: datetime
    pdf_path: str  # relative to outbox/
    returned_at: datetime | None = None


def ensure_training_schema(ledger: SqliteLedger) -> None:
    ledger._db.executescript(TRAINING_SCHEMA)


def next_training_sequence(ledger: SqliteLedger, doc_id: str, version: str) -> int:
    """The number the next copy of this version gets (T0001, T0002…)."""
    ensure_training_schema(ledger)
    row = ledger._db.execute(
        "SELECT MAX(sequence) AS n FROM training_copies WHERE doc_id = ? AND version = ?",
        (doc_id, version)).fetchone()
    return (row["n"] or 0) + 1


def record_training_copies(ledger: SqliteLedger, copies: Iterable[TrainingCopy],
                           events: Iterable[Event]) -> None:
    """Store printed copies and their audit events atomically (a taken serial aborts all)."""
    ensure_training_schema(ledger)
    with ledger._write() as db:
        for c in copies:
            db.execute("INSERT INTO training_copies VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (c.serial, c.doc_id, c.version, c.sequence, c.recipient,
                        c.printed_at.isoformat(timespec="seconds"), c.pdf_path,
                        c.returned_at.isoformat(timespec="seconds") if c.returned_at else None))
        ledger._append(db, events)


def training_copies(ledger: SqliteLedger, doc_id: str | None = None) -> list[TrainingCopy]:
    """Every recorded copy (of one document), oldest first."""
    ensure_training_schema(ledger)
    query = "SELECT * FROM training_copies" + (" WHERE doc_id = ?" if doc_id else "")
    rows = ledger._db.execute(query + " ORDER BY printed_at, serial", (doc_id,) if doc_id else ())
    return [TrainingCopy(
        r["serial"], r["doc_id"], r["version"], r["sequence"], r["recipient"],
        datetime.fromisoformat(r["printed_at"]), r["pdf_path"],
        datetime.fromisoformat(r["returned_at"]) if r["returned_at"] else None) for r in rows]


def mark_copies_returned(ledger: SqliteLedger, serials: Iterable[str], events: Iterable[Event],
                         at: datetime | None = None) -> int:
    """Note collected copies; returns how many were outstanding."""
    ensure_training_schema(ledger)
    stamp = (at or datetime.now()).isoformat(timespec="seconds")
    count = 0
    with ledger._write() as db:
        for serial in serials:
            count += db.execute("UPDATE training_copies SET returned_at = ? "
                                "WHERE serial = ? AND returned_at IS NULL", (stamp, serial)).rowcount
        ledger._append(db, events)
    return count


def set_document_sha256(ledger: SqliteLedger, updates: Iterable[tuple[str, str, str]],
                        events: Iterable[Event]) -> None:
    """After regeneration: (doc_id, version, sha256) of rewritten documents, with their events."""
    with ledger._write() as db:
        db.executemany("UPDATE versions SET document_sha256 = ? WHERE doc_id = ? AND version = ?",
                       [(sha, doc_id, version) for doc_id, version, sha in updates])
        ledger._append(db, events)
