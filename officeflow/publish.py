"""After the ledger: bring every reading copy and the register up to date with today's statuses.

`publish` runs after every batch (process, watch), after withdrawal and recall, and on
`register export` (the watcher does it again when the date changes), so a copy opened from
the archive tree never says 现行有效 after its version was superseded or withdrawn.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from officeflow.ledger_protocol import CopyMarking, Event, Ledger
from officeflow.lifecycle import next_review_date, states_on
from officeflow.records import Status, TrainingCopy, Withdrawal
from officeflow.regenerate import refresh_markings
from officeflow.register import RowValues, TableSheet, export_register_values
from officeflow.remark import Remarking, withdrawals_by_doc, withdrawn_days
from officeflow.settings import Workspace

_REVIEWED = (Status.CURRENT, Status.PENDING)


def iter_register_values(source: Iterable[tuple[Any, ...]], on: date, review_months: int,
                         withdrawals: list[Withdrawal], remarking: Remarking | None = None) -> Iterator[RowValues]:
    """One register row's values per version (`export_register_values`), with its status on `on`,
    from the ledger's own stream (`ledger.iter_register()`: plain tuples of REGISTER_COLUMNS, grouped
    by document), one document at a time: only that document's versions are held, no VersionRecord
    is built.
    `remarking`, when given, checks each reading copy's marking on the way (officeflow.remark)."""
    withdrawn = withdrawals_by_doc(withdrawals)
    for doc_id, group in groupby(source, key=_DOC_ID):
        rows = list(group)
        # CopyMarking: what states_on and the re-marking check read (tuple.__new__: no Python __new__).
        copies = [_new_tuple(CopyMarking, (doc_id, r[1], _iso_day(r[5]), r[10], r[14], r[15])) for r in rows]
        gone = withdrawn.get(doc_id, {})
        states = states_on(copies, on, withdrawn_days(gone))
        if remarking is not None:
            remarking.check(copies, states, gone)
        for (_, version, name, kind, label, _, category, department, owner, approver, document, source_path,
             source_sha, received, _, _), copy in zip(rows, copies, strict=True):
            state = states[version]
            status = state.status
            effective = copy.effective_date
            yield (doc_id, name, label or _kind_label(kind), version, status.value, effective, state.expiry_date,
                   category, department, owner, approver,
                   next_review_date(effective, review_months) if status in _REVIEWED else None,
                   document, source_path, source_sha, datetime.fromisoformat(received),
                   gone[version].reason if status is Status.WITHDRAWN else "")


_DOC_ID = itemgetter(0)
_new_tuple = tuple.__new__
# Effective dates repeat across versions (a few thousand days in ten years); next_review_date
# keeps its own cache.
_iso_day = lru_cache(maxsize=8192)(date.fromisoformat)


def _kind_label(kind: str) -> str:
    """The label of a version archived before labels were stored (loads the kinds: rare)."""
    from officeflow.kinds import KINDS

    return KINDS[kind].label


DISTRIBUTION_COLUMNS = (("副本编号", "text", 30), ("流程编号", "text", 20), ("版本号", "text", 10),
                        ("版本状态", "text", 10), ("领取人/部门", "text", 24), ("发放时间", "datetime", 20),
                        ("回收时间", "datetime", 20), ("回收情况", "text", 10), ("PDF", "text", 40))


def distribution_sheet(copies: list[TrainingCopy], status: dict[tuple[str, str], str]) -> TableSheet:
    """培训副本发放: every training copy handed out, with its version's status today."""
    return TableSheet("培训副本发放", DISTRIBUTION_COLUMNS, [
        (c.serial, c.doc_id, c.version, status.get((c.doc_id, c.version), ""), c.recipient,
         c.printed_at, c.returned_at, c.closed_as, c.pdf_path)
        for c in copies
    ])


def export_register_from_ledger(workspace: Workspace, ledger: Ledger, today: date | None = None, *,
                                remark: bool = False) -> int:
    """Rewrite the register spreadsheet from the ledger; the ledger then knows it is fresh.

    The versions stream from the ledger in register order through the streaming writer, so
    memory stays flat however large the archive (bench/register_export_bench.py).
    `remark`: re-mark the reading copies whose status changed too (`publish`), found on this
    same pass over the ledger and re-rendered once the workbook is written, before the export
    is recorded (so the audit trail reads record-adopted, remarked, exported, as before).
    """
    today = today or date.today()
    generation = ledger.register_generation()  # before reading: a change made meanwhile stays stale
    copies = ledger.training_copies()
    # Only the statuses the distribution sheet shows are kept, not one per version.
    wanted = {(c.doc_id, c.version) for c in copies}
    status: dict[tuple[str, str], str] = {}
    remarking = Remarking(workspace) if remark else None

    def rows() -> Iterator[RowValues]:
        values = iter_register_values(ledger.iter_register(), today, workspace.settings.review_interval_months,
                                      ledger.withdrawals(), remarking)
        if not wanted:
            yield from values
            return
        for row in values:
            if (row[0], row[3]) in wanted:
                status[(row[0], row[3])] = row[4]
            yield row

    count = export_register_values(rows(), workspace.register_path, today=today,
                                   extra_sheets=lambda: [distribution_sheet(copies, status)])
    if remarking is not None:
        remarking.record_adopted(ledger)
        refresh_markings(workspace, ledger, today, remarking.stale)
    ledger.mark_register_exported([Event("exported", file=workspace.settings.register_file,
                                         detail=f"{count} rows")], generation)
    return count


def publish(workspace: Workspace, ledger: Ledger, today: date | None = None) -> int:
    """Re-mark the reading copies whose status changed, then export the register; returns its rows.

    One exporter at a time across hosts (PostgreSQL): while another host exports, wait, then
    export what it may not have seen. (The watcher skips instead: watch_register retries.)
    """
    today = today or date.today()
    while True:
        with ledger.export_lock() as mine:
            if mine:
                return export_register_from_ledger(workspace, ledger, today, remark=True)
        time.sleep(0.2)
