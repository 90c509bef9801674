"""Plain data passed between the ledger, the rules and the stamp."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple


class Status(StrEnum):
    PENDING = "待生效"  # approved, effective date in the future
    CURRENT = "现行有效"
    SUPERSEDED = "已失效"
    WITHDRAWN = "已废止"


class RevisionEntry(NamedTuple):
    """One line of 修订记录."""

    version: str
    date: date | None
    content: str = ""
    reason: str = ""
    author: str = ""
    reviewer: str = ""


class VersionRecord(NamedTuple):  # a ledger row; a frozen dataclass of 18 fields took ~2.5 ms to create
    """One archived version of one document, as the ledger keeps it."""

    doc_id: str
    version: str
    kind: str
    name: str
    effective_date: date
    category: str
    department: str
    owner: str
    approver: str
    document_path: str  # relative to outbox/
    source_path: str  # relative to outbox/
    manifest_path: str  # relative to outbox/
    source_sha256: str
    document_sha256: str
    received_at: datetime
    kind_label: str = ""
    # The as-issued document (immutable, under records/, relative to the workspace) and its hash;
    # `document_path`/`document_sha256` are the reading copy in outbox/, re-marked when the status changes.
    issued_path: str = ""
    issued_sha256: str = ""


# The columns both ledger backends select for a VersionRecord, in `version_from_row`'s order.
VERSION_COLUMNS = ("doc_id, version, kind, name, effective_date, category, department, owner, approver, "
                   "document_path, source_path, manifest_path, source_sha256, document_sha256, "
                   "received_at, kind_label, issued_path, issued_sha256")


def version_from_row(row: tuple) -> VersionRecord:  # type: ignore[type-arg]
    """A VersionRecord from a row of VERSION_COLUMNS (dates stored as ISO text)."""
    (doc_id, version, kind, name, effective, category, department, owner, approver, document, source,
     manifest, source_sha, document_sha, received, kind_label, issued_path, issued_sha) = row
    return VersionRecord(doc_id, version, kind, name, date.fromisoformat(effective), category,
                         department, owner, approver, document, source, manifest, source_sha,
                         document_sha, datetime.fromisoformat(received), kind_label, issued_path,
                         issued_sha)


class Withdrawal(NamedTuple):
    """A version withdrawn (已废止) by the process office, with the reason."""

    doc_id: str
    version: str
    withdrawn_on: date
    reason: str
    actor: str = ""


@dataclass(frozen=True)
class DocumentHistory:
    """Everything archived for one doc_id: what the rules and the stamp compare against."""

    doc_id: str
    versions: list[VersionRecord] = field(default_factory=list)
    revision_entries: dict[str, RevisionEntry] = field(default_factory=dict)
    withdrawn: dict[str, date] = field(default_factory=dict)  # version → date withdrawn

    def version(self, version: str) -> VersionRecord | None:
        for record in self.versions:
            if record.version == version:
                return record
        return None


class CopyClosure(StrEnum):
    """How an outstanding training copy was closed."""

    RETURNED = "已回收"
    LOST = "已遗失"
    DESTROYED = "已销毁"


class TrainingCopy(NamedTuple):
    """One printed, uncontrolled training copy: who has it, of which version."""

    serial: str  # e.g. CRM-CS-2024-005-V2.0-T0003
    doc_id: str
    version: str
    sequence: int
    recipient: str
    printed_at: datetime
    pdf_path: str  # relative to outbox/
    returned_at: datetime | None = None
    closed_as: str = ""  # a CopyClosure value once closed
