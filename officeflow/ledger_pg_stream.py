"""The PostgreSQL ledger's streaming read: versions in register order through a server-side cursor."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

import psycopg
from psycopg.rows import tuple_row

from officeflow.ledger_pg_rows import RECORD_COLUMNS, to_record
from officeflow.records import VersionRecord
from officeflow.versions import version_key

_BATCH = 2000


def stream_versions(db: psycopg.Connection) -> Iterator[VersionRecord]:  # type: ignore[type-arg]
    """Every version, by doc_id then version number, as `versions()` returns them.

    A named (server-side) cursor inside a transaction: the server sends a batch at a time, so
    neither side holds the whole table. COLLATE "C" orders doc_ids by code point, as Python's
    sort does; the version order within one document is Python's version_key (a few rows).
    """
    with db.transaction(), db.cursor(name="officeflow_versions", row_factory=tuple_row) as cursor:
        cursor.itersize = _BATCH
        cursor.execute(f'SELECT {RECORD_COLUMNS} FROM versions ORDER BY doc_id COLLATE "C"')
        for _, rows in groupby(cursor, key=lambda row: row[0]):
            yield from sorted(map(to_record, rows), key=lambda v: version_key(v.version))
