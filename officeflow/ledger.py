"""The ledger: the state of documents, versions, revision entries, copies and the audit trail.

It is the source of truth; the register spreadsheet and the reading copies are derived from
it. The API is `officeflow.ledger_protocol.Ledger`; this module opens the backend: the SQLite
file by default, PostgreSQL (officeflow.ledger_pg, the `postgres` extra) for a `postgresql://` URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from officeflow.ledger_errors import LedgerError
from officeflow.ledger_protocol import Event, Ledger, TrainingCopy, chain_hash
from officeflow.ledger_sqlite import SqliteLedger
from officeflow.settings import Workspace

__all__ = ["Event", "Ledger", "SqliteLedger", "TrainingCopy", "chain_hash", "is_postgres_url", "open_ledger",
           "workspace_ledger"]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and url.strip().lower().startswith(_POSTGRES_SCHEMES)  # type: ignore[union-attr]


def open_ledger(path: Path, url: str | None = None) -> Ledger:
    """The SQLite file at `path`, or the PostgreSQL ledger at `url` (ledger_url / OFFICEFLOW_LEDGER_URL)."""
    if not url or not url.strip():
        return SqliteLedger(path)
    if not is_postgres_url(url):
        raise LedgerError(f"ledger_url 无法识别：应以 postgresql:// 开头（{url.split('://')[0]}://…）")
    try:  # the optional extra: imported only when asked for
        from officeflow.ledger_pg import PgLedger
    except ImportError as exc:
        raise LedgerError("使用 PostgreSQL 台账需要安装 psycopg：pip install 'officeflow[postgres]'") from exc
    return PgLedger(url.strip())


def workspace_ledger(workspace: Workspace) -> Ledger:
    """The workspace's ledger: PostgreSQL when ledger_url / OFFICEFLOW_LEDGER_URL says so, else its SQLite file."""
    return open_ledger(workspace.ledger_path, workspace.ledger_url)


# Compatibility wrappers (older call sites); each is one Ledger method.

def next_training_sequence(ledger: Ledger, doc_id: str, version: str) -> int:
    return ledger.next_training_sequence(doc_id, version)


def record_training_copies(ledger: Ledger, copies: Iterable[TrainingCopy], events: Iterable[Event]) -> None:
    ledger.record_training_copies(copies, events)


def training_copies(ledger: Ledger, doc_id: str | None = None) -> list[TrainingCopy]:
    return ledger.training_copies(doc_id)
