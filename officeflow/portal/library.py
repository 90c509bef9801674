"""What the ledger says as of one day: every document, its versions and their statuses.

Built from the Ledger protocol only (versions(), withdrawals(), register_generation()), so it
reads SQLite and PostgreSQL alike. A Library is immutable: the portal builds a new one when the
ledger's register generation moves (an issue, a withdrawal, a rebuild: what the register shows,
which is what the library shows) or the date changes (statuses follow the calendar, SPEC §3).
Events that change neither (问题反馈, notices sent, exports) leave it as it is: rebuilding 50,000
versions takes seconds, and the portal's own feedback form must not cost that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from officeflow.ledger_protocol import Ledger
from officeflow.lifecycle import next_review_date, states_on
from officeflow.records import Status, VersionRecord
from officeflow.versions import version_key

# The order a page lists statuses in, and the CSS class of each badge.
BADGES = {Status.CURRENT: "current", Status.PENDING: "pending",
          Status.SUPERSEDED: "superseded", Status.WITHDRAWN: "withdrawn"}


@dataclass(frozen=True)
class VersionView:
    record: VersionRecord
    status: Status
    expiry: date | None  # 失效日期 (superseded) or the withdrawal date
    next_review: date | None  # 下次定期回顾: current and pending versions only
    withdrawal_reason: str = ""

    @property
    def badge(self) -> str:
        return BADGES[self.status]

    @property
    def is_current(self) -> bool:
        return self.status is Status.CURRENT


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    versions: tuple[VersionView, ...]  # oldest first

    # Cached: a search page asks every document for these (the filter choices).
    @cached_property
    def current(self) -> VersionView | None:
        return next((v for v in self.versions if v.is_current), None)

    @cached_property
    def pending(self) -> list[VersionView]:
        return [v for v in self.versions if v.status is Status.PENDING]

    @cached_property
    def shown(self) -> VersionView:
        """The version a page leads with: the current one, else the next pending, else the newest."""
        return self.current or (self.pending[0] if self.pending else self.versions[-1])

    def version(self, version: str) -> VersionView | None:
        return next((v for v in self.versions if v.record.version == version), None)


@dataclass(frozen=True)
class Library:
    day: date
    generation: int  # the ledger's register_generation() it was built from
    documents: dict[str, DocumentView] = field(default_factory=dict)

    def document(self, doc_id: str) -> DocumentView | None:
        return self.documents.get(doc_id)

    def statuses(self) -> dict[tuple[str, str], Status]:
        return {(d.doc_id, v.record.version): v.status for d in self.documents.values() for v in d.versions}

    @cached_property
    def categories(self) -> list[str]:
        return sorted({d.shown.record.category for d in self.documents.values()})

    @cached_property
    def departments(self) -> list[str]:
        return sorted({d.shown.record.department for d in self.documents.values()})

    @cached_property
    def kinds(self) -> list[str]:
        return sorted({d.shown.record.kind_label or d.shown.record.kind for d in self.documents.values()})


def load_library(ledger: Ledger, review_months: int, today: date) -> Library:
    """Every document in the ledger with each version's status on `today`."""
    generation = ledger.register_generation()  # read first: a change while loading rebuilds again
    by_doc: dict[str, list[VersionRecord]] = {}
    for record in ledger.versions():
        by_doc.setdefault(record.doc_id, []).append(record)
    withdrawn: dict[str, dict[str, date]] = {}
    reasons: dict[tuple[str, str], str] = {}
    for w in ledger.withdrawals():
        withdrawn.setdefault(w.doc_id, {})[w.version] = w.withdrawn_on
        reasons[(w.doc_id, w.version)] = w.reason
    documents: dict[str, DocumentView] = {}
    for doc_id, records in by_doc.items():
        records.sort(key=lambda r: version_key(r.version))
        states = states_on(records, today, withdrawn.get(doc_id, {}))
        views = []
        for r in records:
            state = states[r.version]
            live = state.status in (Status.CURRENT, Status.PENDING)
            views.append(VersionView(
                r, state.status, state.expiry_date,
                next_review_date(r.effective_date, review_months) if live else None,
                reasons.get((doc_id, r.version), "") if state.status is Status.WITHDRAWN else ""))
        documents[doc_id] = DocumentView(doc_id, tuple(views))
    return Library(today, generation, documents)
