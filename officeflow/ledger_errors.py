"""Errors a ledger backend raises that callers handle the same on every backend."""

from __future__ import annotations

import sqlite3

from officeflow.errors import OfficeflowError


class LedgerError(OfficeflowError):
    """The ledger cannot be used as configured (a message a person can act on, in Chinese)."""


class VersionTaken(LedgerError):
    """record_issue lost a race: this 流程编号/版本号 (or this source file) is already issued.

    Another host committed it first; the pipeline turns this into the `version.exists` finding.
    """

    def __init__(self, doc_id: str, version: str, detail: str = "") -> None:
        self.doc_id, self.version = doc_id, version
        super().__init__(detail or f"{doc_id} {version} 已由另一台主机发布")


def database_errors() -> tuple[type[BaseException], ...]:
    """What a damaged or unreachable ledger raises, on whichever backends are installed."""
    errors: list[type[BaseException]] = [sqlite3.DatabaseError]
    try:
        import psycopg
    except ImportError:
        pass
    else:
        errors.append(psycopg.Error)
    return tuple(errors)
