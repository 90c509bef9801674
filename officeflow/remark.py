"""Re-marking: bring each reading copy's status marking (现行有效, 已失效, 已废止…) up to today's.

Runs with every register export (officeflow.publish), on the export's own pass over the ledger
(`Remarking`), one document at a time; it holds only the versions whose copy is stale: with
nothing to re-mark (the steady state) it never loads the rendering machinery, whatever the size
of the archive. `stale_markings` is the same check on a pass of its own.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import groupby
from operator import attrgetter

from officeflow.archive import RECORDS_FOLDER, inside
from officeflow.fsutil import atomic_write_bytes, sha256_file
from officeflow.ledger_protocol import CopyMarking, Event, Ledger
from officeflow.lifecycle import Dated, VersionState, states_on
from officeflow.marks import Marking, marking_for
from officeflow.records import Withdrawal
from officeflow.settings import Workspace

# (doc_id, version) → what its reading copy must say
Markings = dict[tuple[str, str], Marking]
_DOC_ID = attrgetter("doc_id")


def withdrawals_by_doc(withdrawals: Iterable[Withdrawal]) -> dict[str, dict[str, Withdrawal]]:
    """doc_id → version → its withdrawal: each document's found once, not by scanning them all."""
    by_doc: dict[str, dict[str, Withdrawal]] = defaultdict(dict)
    for w in withdrawals:
        by_doc[w.doc_id][w.version] = w
    return by_doc


def document_markings(records: Sequence[Dated], today: date,
                      gone: dict[str, Withdrawal]) -> dict[str, Marking]:
    """version → what its reading copy must say today, for the versions of one document."""
    states = states_on(records, today, withdrawn_days(gone))
    return {r.version: marking_for(states[r.version], r.effective_date, gone.get(r.version)) for r in records}


def markings_today(ledger: Ledger, today: date) -> Markings:
    """What every version's reading copy must say today (status, dates, withdrawal reason)."""
    withdrawn = withdrawals_by_doc(ledger.withdrawals())
    result: Markings = {}
    for doc_id, records in groupby(ledger.iter_markings(), key=_DOC_ID):
        for version, marking in document_markings(list(records), today, withdrawn.get(doc_id, {})).items():
            result[(doc_id, version)] = marking
    return result


def stale_markings(workspace: Workspace, ledger: Ledger, today: date) -> Markings:
    """The versions whose reading copy shows another marking than today's, with today's.

    One pass over the ledger, a document at a time. On the way, a version issued before
    records/ existed gets its document kept as the as-issued record (`_adopt`), before any
    re-marking can rewrite it. (`publish` does the same on the register export's own pass:
    `Remarking`, fed by officeflow.publish.)
    """
    withdrawn = withdrawals_by_doc(ledger.withdrawals())
    remarking = Remarking(workspace)
    for doc_id, group in groupby(ledger.iter_markings(), key=_DOC_ID):
        copies = list(group)
        gone = withdrawn.get(doc_id, {})
        remarking.check(copies, states_on(copies, today, withdrawn_days(gone)), gone)
    remarking.record_adopted(ledger)
    return remarking.stale


class Remarking:
    """The re-marking pass's findings, gathered a document at a time on a pass over the ledger
    (its own in `stale_markings`, the register export's in officeflow.publish): the stale copies
    with today's marking, and the legacy versions' documents kept as their as-issued records."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.stale: Markings = {}
        self.adopted: list[tuple[str, str, str, str]] = []

    def check(self, copies: Sequence[CopyMarking], states: dict[str, VersionState],
              gone: dict[str, Withdrawal]) -> None:
        """One document's versions, with their states today (`states_on`) and its withdrawals."""
        for copy in copies:
            if not copy.issued_path and (update := _adopt(self.workspace, copy)):
                self.adopted.append(update)
            version = copy.version
            marking = marking_for(states[version], copy.effective_date, gone.get(version) if gone else None)
            if copy.marking != marking.key:
                self.stale[(copy.doc_id, version)] = marking

    def record_adopted(self, ledger: Ledger) -> None:
        """Note the adopted as-issued records in the ledger (after the pass: one write)."""
        if self.adopted:
            ledger.adopt_issued_records(self.adopted, [
                Event("record-adopted", d, v, f"{RECORDS_FOLDER}/{p}", sha,
                      "as-issued record kept from the archive before re-marking")
                for d, v, p, sha in self.adopted])
            self.adopted = []


def withdrawn_days(gone: dict[str, Withdrawal]) -> dict[str, date] | None:
    """version → the day it was withdrawn, as `states_on` takes it (None: nothing withdrawn)."""
    return {v: w.withdrawn_on for v, w in gone.items()} if gone else None


def _adopt(workspace: Workspace, copy: CopyMarking) -> tuple[str, str, str, str] | None:
    """Keep a legacy version's document as its as-issued record (upgrading never loses the
    bytes that were issued; if an older `regenerate` had already rewritten them, `verify` says
    so: the hash differs from the `issued` event). Its ledger update; None: no document."""
    document = inside(workspace.outbox, copy.document_path)
    if not document.is_file():
        return None
    target = inside(workspace.root / RECORDS_FOLDER, copy.document_path)
    atomic_write_bytes(target, document.read_bytes())
    os.chmod(target, 0o444)
    return copy.doc_id, copy.version, copy.document_path, sha256_file(target)
