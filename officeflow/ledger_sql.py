"""What the SQLite and PostgreSQL ledgers do alike: the same statements over DB-API, written once.

The statements are written with psycopg's `%s` placeholder; `SqlLedger._sql` turns it into the
backend's own (`?` for sqlite3) in one place. None of them holds a literal `%` or `?`.
What truly differs stays in each backend: transactions and locks (`_write`), the version upsert,
the register counters' SQL, the chain append and its anchor, streaming, migrations.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, closing
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from officeflow.ledger_protocol import REGISTER_COLUMNS, Event
from officeflow.records import (
    VERSION_COLUMNS,
    DocumentHistory,
    RevisionEntry,
    TrainingCopy,
    VersionRecord,
    Withdrawal,
    version_from_row,
)
from officeflow.versions import version_key

EVENT_COLUMNS = ("id", "at", "event", "doc_id", "version", "file", "sha256", "actor", "host", "detail",
                 "prev_hash", "hash")
INSERT_EVENT = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join(['%s'] * len(EVENT_COLUMNS))})"


def copy_from_row(r: Any) -> TrainingCopy:
    """A TrainingCopy from a `training_copies` row read by column name (dates stored as ISO text)."""
    return TrainingCopy(r["serial"], r["doc_id"], r["version"], r["sequence"], r["recipient"],
                        datetime.fromisoformat(r["printed_at"]), r["pdf_path"],
                        datetime.fromisoformat(r["returned_at"]) if r["returned_at"] else None,
                        r["closed_as"])


def in_version_order(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Rows of `versions` (doc_id and version first) that come by doc_id, each document's in
    version order (`version_key`, as `history()` sorts them: V1.10 after V1.9). The database
    sorts by doc_id alone, on its primary key's index; a document's few versions are sorted here."""
    for _, group in groupby(rows, key=_DOC_ID):
        versions = list(group)
        if len(versions) > 1:
            versions.sort(key=_VERSION_KEY)
        yield from versions


_DOC_ID = itemgetter(0)


def _VERSION_KEY(row: tuple[Any, ...]) -> tuple[int, int]:  # noqa: N802 - a sort key, named as one
    return version_key(row[1])


def anchored_event_changed(db: Any, number: int, digest: str, placeholder: str) -> str:
    """Why anchored event `number` no longer has hash `digest` ('' when it does, or nothing is anchored)."""
    if number == 0:
        return ""
    row = db.execute(f"SELECT hash FROM events WHERE id = {placeholder}", (number,)).fetchone()
    if row is None:
        return f"审计记录曾被截断：锚定的记录 #{number} 已不在审计记录中"
    if row["hash"] != digest:
        return f"审计记录曾被改写：记录 #{number} 与锚定的哈希不符"
    return ""


class SqlLedger(ABC):
    """The `Ledger` methods both backends run alike; `_db` is a connection whose rows read by name."""

    PLACEHOLDER = "%s"
    _db: Any

    # ------------------------------------------------------------ what each backend supplies

    @abstractmethod
    def _write(self) -> AbstractContextManager[Any]:
        """One write transaction, serialised with every other writer; yields the connection."""

    @abstractmethod
    def _tuple_cursor(self) -> Any:
        """A cursor whose rows are plain tuples (quicker than rows by name, for many rows)."""

    @abstractmethod
    def _stream(self, columns: str) -> Iterator[tuple[Any, ...]]:
        """`columns` of every version as plain tuples, in register order (by doc_id in code-point
        order, then version number), a batch at a time: neither side holds the whole table."""

    @abstractmethod
    def _insert_version(self, db: Any, record: VersionRecord, marking: str) -> None: ...

    @abstractmethod
    def _set_stale(self, db: Any) -> None:
        """Count one more change the register must show, in the change's transaction."""

    @abstractmethod
    def _set_exported(self, db: Any, generation: int) -> None:
        """The register shows every change up to `generation` (never lowered)."""

    @abstractmethod
    def _append(self, db: Any, events: Iterable[Event]) -> None: ...

    # ------------------------------------------------------------ statements

    def _sql(self, statement: str) -> str:
        return statement if self.PLACEHOLDER == "%s" else statement.replace("%s", self.PLACEHOLDER)

    def _run(self, db: Any, statement: str, params: tuple[Any, ...] = ()) -> Any:
        return db.execute(self._sql(statement), params)

    def _run_many(self, db: Any, statement: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with closing(db.cursor()) as cursor:
                cursor.executemany(self._sql(statement), rows)

    def _rows(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with closing(self._tuple_cursor()) as cursor:
            return cursor.execute(self._sql(statement), params).fetchall()

    # ------------------------------------------------------------ documents and versions

    def history(self, doc_id: str) -> DocumentHistory:
        rows = self._rows(f"SELECT {VERSION_COLUMNS} FROM versions WHERE doc_id = %s", (doc_id,))
        versions = sorted((version_from_row(r) for r in rows), key=lambda v: version_key(v.version))
        entries = {
            r["version"]: RevisionEntry(r["version"], date.fromisoformat(r["date"]) if r["date"] else None,
                                        r["content"], r["reason"], r["author"], r["reviewer"])
            for r in self._run(self._db, "SELECT * FROM revision_entries WHERE doc_id = %s", (doc_id,))
        }
        withdrawn = {r["version"]: date.fromisoformat(r["withdrawn_on"]) for r in
                     self._run(self._db, "SELECT * FROM withdrawals WHERE doc_id = %s", (doc_id,))}
        return DocumentHistory(doc_id, versions, entries, withdrawn)

    def find_source(self, sha256: str) -> VersionRecord | None:
        rows = self._rows(f"SELECT {VERSION_COLUMNS} FROM versions WHERE source_sha256 = %s", (sha256,))
        return version_from_row(rows[0]) if rows else None

    def iter_register(self) -> Iterator[tuple[Any, ...]]:
        """Each version's REGISTER_COLUMNS as stored (dates as ISO text), streamed in `iter_versions()`'s
        order: the register export's one pass over the ledger (officeflow.publish)."""
        return self._stream(REGISTER_COLUMNS)

    def record_issue(self, record: VersionRecord, entries: Iterable[RevisionEntry],
                     events: Iterable[Event], marking: str = "") -> None:
        """Store a new version, the revision entries not yet known, and its events, atomically.

        Raises VersionTaken when another source (on PostgreSQL: another host) issued this
        流程编号/版本号 first, or (on PostgreSQL) this source as another version.
        """
        with self._write() as db:
            self._insert_version(db, record, marking)
            self._insert_entries(db, record.doc_id, entries)
            self._set_stale(db)
            self._append(db, events)

    def _insert_entries(self, db: Any, doc_id: str, entries: Iterable[RevisionEntry]) -> None:
        rows = [(doc_id, e.version, e.date.isoformat() if e.date else None, e.content, e.reason, e.author,
                 e.reviewer) for e in entries]
        self._run_many(db, "INSERT INTO revision_entries VALUES (%s, %s, %s, %s, %s, %s, %s) "
                           "ON CONFLICT DO NOTHING", rows)

    def _insert_withdrawals(self, db: Any, withdrawals: Iterable[Withdrawal]) -> None:
        rows = [(w.doc_id, w.version, w.withdrawn_on.isoformat(), w.reason, w.actor) for w in withdrawals]
        self._run_many(db, "INSERT INTO withdrawals VALUES (%s, %s, %s, %s, %s) ON CONFLICT (doc_id, version) "
                           "DO UPDATE SET withdrawn_on = EXCLUDED.withdrawn_on, reason = EXCLUDED.reason, "
                           "actor = EXCLUDED.actor", rows)

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

    def _update_versions(self, statement: str, rows: list[tuple[Any, ...]], events: Iterable[Event]) -> None:
        with self._write() as db:
            self._run_many(db, statement, rows)
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

    def _insert_copies(self, db: Any, copies: Iterable[TrainingCopy]) -> None:
        rows = [(c.serial, c.doc_id, c.version, c.sequence, c.recipient, c.printed_at.isoformat(timespec="seconds"),
                 c.pdf_path, c.returned_at.isoformat(timespec="seconds") if c.returned_at else None, c.closed_as)
                for c in copies]
        self._run_many(db, "INSERT INTO training_copies VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)

    def training_copies(self, doc_id: str | None = None) -> list[TrainingCopy]:
        """Every recorded copy (of one document), oldest first."""
        query = "SELECT * FROM training_copies" + (" WHERE doc_id = %s" if doc_id else "")
        rows = self._run(self._db, query + " ORDER BY printed_at, serial", (doc_id,) if doc_id else ())
        return [copy_from_row(r) for r in rows]

    def close_training_copies(self, serials: Iterable[str], closed_as: str, at: datetime,
                              events: Iterable[Event]) -> list[str]:
        """Note copies as returned/lost/destroyed; returns the serials that were outstanding."""
        closed: list[str] = []
        with self._write() as db:
            for serial in serials:
                cursor = self._run(db, "UPDATE training_copies SET returned_at = %s, closed_as = %s "
                                       "WHERE serial = %s AND returned_at IS NULL",
                                   (at.isoformat(timespec="seconds"), closed_as, serial))
                if cursor.rowcount:
                    closed.append(serial)
            self._set_stale(db)
            self._append(db, events)
        return closed

    # ------------------------------------------------------------ register export marker

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
            self._set_exported(db, seen)
            self._append(db, events)

    # ------------------------------------------------------------ audit trail

    def add_events(self, events: Iterable[Event]) -> None:
        with self._write() as db:
            self._append(db, events)

    def events(self, doc_id: str | None = None) -> list[dict[str, str]]:
        query = "SELECT * FROM events" + (" WHERE doc_id = %s" if doc_id else "") + " ORDER BY id"
        return [dict(r) for r in self._run(self._db, query, (doc_id,) if doc_id else ())]

    def chain_head(self) -> tuple[int, str]:
        rows = self._rows("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1")
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, "")

    def restore_events(self, rows: Iterable[dict[str, str]]) -> None:
        """Carry audit rows verbatim (ids and hashes) into an empty trail."""
        values = [tuple(row[c] for c in EVENT_COLUMNS) for row in rows]
        with self._write() as db:
            self._run_many(db, INSERT_EVENT, values)

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

    def close(self) -> None:
        self._db.close()
