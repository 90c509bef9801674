"""Stamp: the version a document is issued as, its merged history, status and review date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from officeflow.lifecycle import VersionState, next_review_date, states_on
from officeflow.model import ParsedDocument
from officeflow.records import RevisionEntry, Status
from officeflow.review_rules import approver
from officeflow.rulecontext import RuleContext, resolved_version
from officeflow.versions import version_key


@dataclass(frozen=True)
class _Dated:
    version: str
    effective_date: date


@dataclass(frozen=True)
class Stamp:
    """What document control adds to a valid workbook."""

    version: str
    version_assigned: bool  # 版本号 was blank and officeflow chose it
    status: Status  # on `stamped_on`
    stamped_on: date
    next_review_date: date
    revision_history: tuple[RevisionEntry, ...]  # all versions, oldest first
    approver: str  # 终审人
    supersedes: str | None  # the version that was current before this one


def stamp_document(doc: ParsedDocument, ctx: RuleContext) -> Stamp:
    """Stamp a document that passed validation (so its version and dates are sound)."""
    version = resolved_version(doc, ctx)
    assert version is not None, "stamp needs a validated document"
    effective: date = doc.value("effective_date")
    history = ctx.history
    dated = [_Dated(v.version, v.effective_date) for v in history.versions]
    withdrawn = history.withdrawn
    before = states_on(dated, ctx.today, withdrawn)
    after: dict[str, VersionState] = states_on([*dated, _Dated(version, effective)], ctx.today, withdrawn)
    supersedes = next((v for v, s in before.items() if s.status is Status.CURRENT), None)
    return Stamp(
        version=version,
        version_assigned=not doc.value("version"),
        status=after[version].status,
        stamped_on=ctx.today,
        next_review_date=next_review_date(effective, ctx.settings.review_interval_months),
        revision_history=merged_history(doc, ctx, version),
        approver=approver(doc, ctx.settings.review_levels),
        supersedes=supersedes,
    )


def merged_history(doc: ParsedDocument, ctx: RuleContext, version: str) -> tuple[RevisionEntry, ...]:
    """Archived entries win (history cannot be rewritten); the workbook adds the rest."""
    entries = dict(ctx.history.revision_entries)
    rows = doc.rows("revision_log")
    for index, row in enumerate(rows):
        entry_version = row.version or (version if index == len(rows) - 1 else "")
        if entry_version and entry_version not in entries:
            entries[entry_version] = RevisionEntry(entry_version, row.date, row.content, row.reason,
                                                   row.author, row.reviewer)
    return tuple(sorted(entries.values(), key=lambda e: version_key(e.version)))
