"""Rows of the PostgreSQL ledger: column lists, the version upsert, and row → record conversions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from officeflow.records import VERSION_COLUMNS, TrainingCopy, version_from_row

RECORD_COLUMNS = VERSION_COLUMNS
EVENT_COLUMNS = ("id", "at", "event", "doc_id", "version", "file", "sha256", "actor", "host", "detail",
                  "prev_hash", "hash")
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


def to_copy(r: dict[str, Any]) -> TrainingCopy:
    return TrainingCopy(r["serial"], r["doc_id"], r["version"], r["sequence"], r["recipient"],
                        datetime.fromisoformat(r["printed_at"]), r["pdf_path"],
                        datetime.fromisoformat(r["returned_at"]) if r["returned_at"] else None,
                        r["closed_as"])


def redact(url: str) -> str:
    """The URL without its password (for messages and `ledger info`)."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(无法解析的连接串)"
    if "password" in params:
        params["password"] = "***"
    return " ".join(f"{k}={v}" for k, v in params.items())
