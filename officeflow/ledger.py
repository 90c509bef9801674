"""The ledger: the state of documents, versions, revision entries, copies and the audit trail.

It is the source of truth; the register spreadsheet and the reading copies are derived from
it. The API is `officeflow.ledger_protocol.Ledger`; this module opens the backend (SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from officeflow.ledger_protocol import Event, Ledger, TrainingCopy, chain_hash
from officeflow.ledger_sqlite import SqliteLedger

__all__ = ["Event", "Ledger", "SqliteLedger", "TrainingCopy", "chain_hash", "open_ledger"]


def open_ledger(path: Path) -> SqliteLedger:
    return SqliteLedger(path)


# Compatibility wrappers (older call sites); each is one Ledger method.

def next_training_sequence(ledger: Ledger, doc_id: str, version: str) -> int:
    return ledger.next_training_sequence(doc_id, version)


def record_training_copies(ledger: Ledger, copies: Iterable[TrainingCopy], events: Iterable[Event]) -> None:
    ledger.record_training_copies(copies, events)


def training_copies(ledger: Ledger, doc_id: str | None = None) -> list[TrainingCopy]:
    return ledger.training_copies(doc_id)
