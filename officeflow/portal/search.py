"""The portal's full-text index: a local SQLite FTS5 table (trigram tokenizer) under the state folder.

It is derived data, never the truth: built from the ledger's versions and the archived source
workbooks (read with the same reader and model as the pipeline), refreshed incrementally by the
source's content hash, and safe to delete. The ledger schema does not change for it, and it
works the same whether the ledger is SQLite or PostgreSQL.

Chinese has no spaces between words, so the trigram tokenizer matches any substring of three
characters or more through the index; shorter terms (`投诉`) fall back to LIKE over the text.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from officeflow.archive import inside
from officeflow.model import parse_document
from officeflow.portal.library import Library
from officeflow.reader import Unreadable, read_workbook
from officeflow.records import Status, VersionRecord

INDEX_FILE = "search.sqlite3"
SCHEMA = 1
_SNIPPET = 36  # characters of context either side of a hit

_TABLES = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, version TEXT NOT NULL, source_sha256 TEXT NOT NULL,
    name TEXT NOT NULL, category TEXT NOT NULL, department TEXT NOT NULL, kind TEXT NOT NULL,
    effective_date TEXT NOT NULL, status TEXT NOT NULL, shown INTEGER NOT NULL,
    departments TEXT NOT NULL, roles TEXT NOT NULL, body TEXT NOT NULL, UNIQUE (doc_id, version));
CREATE INDEX IF NOT EXISTS entries_status ON entries (status, shown);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (body, tokenize = 'trigram');
"""


@dataclass(frozen=True)
class Facts:
    """What the source workbook says beyond the ledger record: who must follow it, and its text."""

    departments: tuple[str, ...]
    roles: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Hit:
    doc_id: str
    version: str
    name: str
    category: str
    department: str
    kind: str
    effective_date: str
    status: str
    snippet: tuple[str, str, str]  # text before the match, the match, text after

    def as_dict(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "version": self.version, "name": self.name, "category": self.category,
                "department": self.department, "kind": self.kind, "effective_date": self.effective_date,
                "status": self.status, "snippet": "".join(self.snippet)}


@dataclass(frozen=True)
class Filters:
    category: str = ""
    department: str = ""
    status: str = ""  # one Status value; empty: current (and not-yet-effective new) documents only
    kind: str = ""
    all_versions: bool = False


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        if value.strip():
            yield value.strip()
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def read_facts(outbox: Path, record: VersionRecord) -> Facts:
    """The archived source workbook's lists and text; the record alone when it cannot be read."""
    head = [record.doc_id, record.name, record.category, record.department, record.owner]
    try:
        raw = read_workbook(inside(outbox, record.source_path).read_bytes())
    except (OSError, ValueError, Unreadable):
        return Facts((), (), "\n".join(head))
    model = parse_document(raw, raw.epoch).model
    dumped = model.model_dump(mode="json")
    dumped.pop("kind", None)
    departments = tuple(getattr(model, "departments", None) or ())
    roles = tuple(getattr(model, "roles", None) or ())
    return Facts(departments, roles, "\n".join(dict.fromkeys([*head, *_strings(dumped)])))


class SearchIndex:
    """One index file; a connection per thread (the server answers on several)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / INDEX_FILE
        self._local = threading.local()
        self._write = threading.Lock()
        db = self._db()
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            db.executescript("DROP TABLE IF EXISTS entries; DROP TABLE IF EXISTS fts;")
        db.executescript(_TABLES)
        db.execute(f"PRAGMA user_version = {SCHEMA}")

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # derived data: rebuilt if ever lost
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    # ------------------------------------------------------------ refresh

    def refresh(self, outbox: Path, library: Library) -> int:
        """Bring the index up to the library; returns how many sources were read again."""
        with self._write:
            db = self._db()
            known = {(r[0], r[1]): tuple(r)[2:] for r in db.execute(
                "SELECT doc_id, version, id, source_sha256, status, shown FROM entries")}
            parsed = 0
            db.execute("BEGIN IMMEDIATE")
            try:
                for document in library.documents.values():
                    shown = document.shown.record.version
                    for view in document.versions:
                        r = view.record
                        row = known.pop((r.doc_id, r.version), None)
                        flag = int(r.version == shown)
                        if row is None or row[1] != r.source_sha256:
                            self._store(db, row[0] if row else None, r, view.status, flag,
                                        read_facts(outbox, r))
                            parsed += 1
                        elif (row[2], row[3]) != (view.status.value, flag):
                            db.execute("UPDATE entries SET status = ?, shown = ? WHERE id = ?",
                                       (view.status.value, flag, row[0]))
                for row in known.values():  # versions the ledger no longer has (a rebuild)
                    db.execute("DELETE FROM entries WHERE id = ?", (row[0],))
                    db.execute("DELETE FROM fts WHERE rowid = ?", (row[0],))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return parsed

    @staticmethod
    def _store(db: sqlite3.Connection, rowid: int | None, r: VersionRecord, status: Status, shown: int,
               facts: Facts) -> None:
        if rowid is not None:
            db.execute("DELETE FROM entries WHERE id = ?", (rowid,))
            db.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
        cursor = db.execute(
            "INSERT INTO entries (doc_id, version, source_sha256, name, category, department, kind, "
            "effective_date, status, shown, departments, roles, body) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (r.doc_id, r.version, r.source_sha256, r.name, r.category, r.department, r.kind_label or r.kind,
             r.effective_date.isoformat(), status.value, shown, "\n".join(facts.departments),
             "\n".join(facts.roles), facts.body))
        db.execute("INSERT INTO fts (rowid, body) VALUES (?, ?)", (cursor.lastrowid, facts.body))

    def facts(self, doc_id: str, version: str) -> Facts | None:
        row = self._db().execute("SELECT departments, roles, body FROM entries WHERE doc_id = ? AND version = ?",
                                 (doc_id, version)).fetchone()
        if row is None:
            return None
        return Facts(tuple(filter(None, row[0].split("\n"))), tuple(filter(None, row[1].split("\n"))), row[2])

    # ------------------------------------------------------------ query

    def search(self, query: str, filters: Filters = Filters(), limit: int = 50) -> list[Hit]:
        terms = [t for t in query.split() if t][:8]
        where, params = _filter_sql(filters)
        long = [t for t in terms if len(t) >= 3]
        for term in terms:
            if len(term) < 3:  # below the trigram size: a scan, still a substring match
                where.append("e.body LIKE ? ESCAPE '\\'")
                params.append("%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        if long:
            sql = ("SELECT e.* FROM fts JOIN entries e ON e.id = fts.rowid WHERE fts MATCH ?"
                   + "".join(f" AND {w}" for w in where) + " ORDER BY fts.rank LIMIT ?")
            params = [" ".join('"' + t.replace('"', '""') + '"' for t in long), *params]
        else:
            sql = ("SELECT e.* FROM entries e" + (" WHERE " + " AND ".join(where) if where else "")
                   + " ORDER BY e.doc_id, e.version LIMIT ?")
        rows = self._db().execute(sql, (*params, limit)).fetchall()
        return [Hit(r["doc_id"], r["version"], r["name"], r["category"], r["department"], r["kind"],
                    r["effective_date"], r["status"], snippet(r["body"], terms)) for r in rows]


def _filter_sql(filters: Filters) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("category", filters.category), ("department", filters.department),
                          ("kind", filters.kind), ("status", filters.status)):
        if value:
            where.append(f"e.{column} = ?")
            params.append(value)
    if not filters.status and not filters.all_versions:
        # Current versions; a new document not yet in force shows its pending version.
        where.append("e.shown = 1 AND e.status IN (?, ?)")
        params += [Status.CURRENT.value, Status.PENDING.value]
    return where, params


def snippet(body: str, terms: list[str]) -> tuple[str, str, str]:
    """The first hit of any term with some context; the text's start when there is none."""
    folded = body.casefold()
    hits = [(i, t) for t in terms if (i := folded.find(t.casefold())) >= 0]
    flat = body.replace("\n", " ")
    if not hits:
        return (flat[: 2 * _SNIPPET], "", "")
    start, term = min(hits)
    before = flat[max(0, start - _SNIPPET):start]
    return ("…" + before if start > _SNIPPET else before, flat[start:start + len(term)],
            flat[start + len(term):start + len(term) + _SNIPPET])
