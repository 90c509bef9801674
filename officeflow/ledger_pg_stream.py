"""The PostgreSQL ledger's streaming reads: versions in register order through a server-side cursor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
from psycopg.rows import tuple_row

from officeflow.ledger_pg_rows import RECORD_COLUMNS, to_record
from officeflow.ledger_protocol import COPY_MARKING_COLUMNS, CopyMarking, copy_marking_from_row
from officeflow.ledger_sql import in_version_order
from officeflow.records import VersionRecord

_BATCH = 2000
T = TypeVar("T")


def stream_versions(db: psycopg.Connection) -> Iterator[VersionRecord]:  # type: ignore[type-arg]
    """Every version, by doc_id then version number, as `versions()` returns them."""
    return _stream(db, "officeflow_versions", RECORD_COLUMNS, to_record)


def stream_markings(db: psycopg.Connection) -> Iterator[CopyMarking]:  # type: ignore[type-arg]
    """What each version's reading copy shows, in `stream_versions`' order."""
    return _stream(db, "officeflow_markings", COPY_MARKING_COLUMNS, copy_marking_from_row)


def stream_rows(db: psycopg.Connection, columns: str) -> Iterator[tuple[Any, ...]]:  # type: ignore[type-arg]
    """`columns` of every version as plain tuples, in `stream_versions`' order."""
    return _stream(db, "officeflow_rows", columns, None)


def _stream(db: psycopg.Connection, name: str, columns: str,  # type: ignore[type-arg]
            convert: Callable[[tuple[Any, ...]], T] | None) -> Iterator[T]:
    """Rows of `versions` (doc_id and version first) in register order, converted.

    A named (server-side) cursor inside a transaction: the server sends a batch at a time, so
    neither side holds the whole table. COLLATE "C" orders doc_ids by code point, as Python's
    sort does; the version order within one document is Python's version_key (a few rows).
    """
    with db.transaction(), db.cursor(name=name, row_factory=tuple_row) as cursor:
        cursor.itersize = _BATCH
        cursor.execute(f'SELECT {columns} FROM versions ORDER BY doc_id COLLATE "C"')
        ordered = in_version_order(cursor)
        yield from ordered if convert is None else map(convert, ordered)  # type: ignore[misc]
