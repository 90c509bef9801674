"""Rows of the PostgreSQL ledger: the version columns and upsert, row → record, and the URL for messages."""

from __future__ import annotations

import psycopg

from officeflow.records import VERSION_COLUMNS, version_from_row

RECORD_COLUMNS = VERSION_COLUMNS
_VERSION_FIELDS = (*RECORD_COLUMNS.split(", "), "marking")
UPSERT_VERSION = (
    f"INSERT INTO versions ({', '.join(_VERSION_FIELDS)}) VALUES ({', '.join(f'%({c})s' for c in _VERSION_FIELDS)}) "
    "ON CONFLICT ON CONSTRAINT versions_one_version DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in _VERSION_FIELDS[2:])
    # A re-run after a crash between archive and ledger writes the same row again; a different
    # source for the same 流程编号/版本号 is another host that issued it first.
    + " WHERE versions.source_sha256 = EXCLUDED.source_sha256 RETURNING 1"
)


to_record = version_from_row


def redact(url: str) -> str:
    """The URL without its password (for messages and `ledger info`)."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(无法解析的连接串)"
    if "password" in params:
        params["password"] = "***"
    return " ".join(f"{k}={v}" for k, v in params.items())
