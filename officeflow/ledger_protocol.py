"""The `Ledger` protocol, the audit `Event` and the one place the audit hash is computed.

The protocol is the whole state API: the pipeline, the CLI and every other module use only
these methods, so a second backend (in-memory, PostgreSQL) can be written against it alone.
Backends import this module; `officeflow.ledger` picks one.
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple, Protocol

from officeflow.records import (
    DocumentHistory,
    RevisionEntry,
    TrainingCopy,
    VersionRecord,
    Withdrawal,
)

__all__ = ["CopyMarking", "Event", "Ledger", "TrainingCopy", "chain_hash"]


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


class CopyMarking(NamedTuple):
    """One version as the re-marking pass reads it (officeflow.remark): enough for its status today
    and its reading copy, not the whole VersionRecord."""

    doc_id: str
    version: str
    effective_date: date
    document_path: str  # the reading copy, relative to outbox/
    issued_path: str  # "" for a version issued before records/ existed
    marking: str  # Marking.key of what the reading copy shows now


# The columns both backends select for a CopyMarking, in its order.
COPY_MARKING_COLUMNS = "doc_id, version, effective_date, document_path, issued_path, marking"


def copy_marking_from_row(row: tuple[Any, ...]) -> CopyMarking:
    doc_id, version, effective, document, issued, marking = row
    return CopyMarking(doc_id, version, date.fromisoformat(effective), document, issued, marking)


# What `Ledger.iter_register` yields for each version: these columns as stored, in this order, as a
# plain tuple (dates as ISO text): the register's values and the re-marking pass's, without a
# VersionRecord per version (officeflow.publish turns them into the register's row values).
REGISTER_COLUMNS = ("doc_id, version, name, kind, kind_label, effective_date, category, department, owner, "
                    "approver, document_path, source_path, source_sha256, received_at, issued_path, marking")


@functools.cache  # one user and host per process
def actor() -> tuple[str, str]:
    """(user, host) recorded on every audit event."""
    import getpass  # here, not at the top: read-only commands never record an event

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        user = "unknown"
    return user, platform.node()


def chain_hash(row: dict[str, Any]) -> str:
    """The hash sealing one audit row (every column but id and hash, prev_hash included)."""
    import hashlib  # here, not at the top: their start-up cost, and read-only commands never hash
    import json

    body = {k: v for k, v in row.items() if k not in ("id", "hash")}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


class Ledger(Protocol):
    # documents and versions
    def history(self, doc_id: str) -> DocumentHistory: ...
    def find_source(self, sha256: str) -> VersionRecord | None: ...
    def versions(self) -> list[VersionRecord]: ...
    def iter_versions(self) -> Iterator[VersionRecord]: ...
    def iter_register(self) -> Iterator[tuple[Any, ...]]: ...  # REGISTER_COLUMNS, in iter_versions' order
    def record_issue(self, record: VersionRecord, entries: Iterable[RevisionEntry],
                     events: Iterable[Event], marking: str = "") -> None: ...
    def withdraw(self, withdrawals: Iterable[Withdrawal], events: Iterable[Event]) -> None: ...
    def withdrawals(self) -> list[Withdrawal]: ...
    # reading copies: what each archived copy shows now
    def markings(self) -> dict[tuple[str, str], str]: ...
    def iter_markings(self) -> Iterator[CopyMarking]: ...  # streamed in iter_versions' order
    def set_reading_copies(self, updates: Iterable[tuple[str, str, str, str]],
                           events: Iterable[Event]) -> None: ...
    def adopt_issued_records(self, updates: Iterable[tuple[str, str, str, str]],
                             events: Iterable[Event]) -> None: ...
    # training copies
    def next_training_sequence(self, doc_id: str, version: str) -> int: ...
    def record_training_copies(self, copies: Iterable[TrainingCopy], events: Iterable[Event]) -> None: ...
    def training_copies(self, doc_id: str | None = None) -> list[TrainingCopy]: ...
    def close_training_copies(self, serials: Iterable[str], closed_as: str, at: datetime,
                              events: Iterable[Event]) -> list[str]: ...
    # the register export
    def register_generation(self) -> int: ...
    def register_stale(self) -> bool: ...
    def mark_register_exported(self, events: Iterable[Event], generation: int | None = None) -> None: ...
    # the audit trail and integrity
    def add_events(self, events: Iterable[Event]) -> None: ...
    def events(self, doc_id: str | None = None) -> list[dict[str, str]]: ...
    def chain_head(self) -> tuple[int, str]: ...
    def anchored_head(self) -> tuple[int, str] | None: ...  # the chain's anchor kept apart; None: lost
    # coordination between hosts (SQLite: one host, so these only say yes)
    def document_lock(self, doc_id: str) -> AbstractContextManager[None]: ...
    def export_lock(self) -> AbstractContextManager[bool]: ...
    def integrity_problems(self) -> list[str]: ...
    def restore_events(self, rows: Iterable[dict[str, str]]) -> None: ...
    def rebuild(self, records: Iterable[VersionRecord], entries: Iterable[tuple[str, RevisionEntry]],
                withdrawals: Iterable[Withdrawal], copies: Iterable[TrainingCopy],
                events: Iterable[Event], markings: dict[tuple[str, str], str] | None = None) -> None: ...
    def close(self) -> None: ...
