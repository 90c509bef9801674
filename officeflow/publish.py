"""After the ledger: bring every reading copy and the register up to date with today's statuses.

`publish` runs after every batch (process, watch), after withdrawal and recall, and on
`register export` (the watcher does it again when the date changes), so a copy opened from
the archive tree never says 现行有效 after its version was superseded or withdrawn.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from officeflow.kinds import KINDS
from officeflow.ledger_protocol import Event, Ledger
from officeflow.lifecycle import next_review_date, states_on
from officeflow.records import Status, VersionRecord, Withdrawal
from officeflow.regenerate import refresh_markings
from officeflow.register import RegisterRow, TableSheet, export_register
from officeflow.settings import Workspace

_REVIEWED = (Status.CURRENT, Status.PENDING)


def register_rows(versions: list[VersionRecord], on: date, review_months: int,
                  withdrawals: list[Withdrawal] | None = None) -> list[RegisterRow]:
    """One register row per archived version, with its status on the date `on`."""
    by_doc: dict[str, list[VersionRecord]] = defaultdict(list)
    for record in versions:
        by_doc[record.doc_id].append(record)
    withdrawn: dict[str, dict[str, Withdrawal]] = defaultdict(dict)
    for w in withdrawals or []:
        withdrawn[w.doc_id][w.version] = w
    rows: list[RegisterRow] = []
    for doc_id, records in by_doc.items():
        gone = withdrawn[doc_id]
        states = states_on(records, on, {v: w.withdrawn_on for v, w in gone.items()})
        for r in records:
            state = states[r.version]
            reason = gone[r.version].reason if state.status is Status.WITHDRAWN else ""
            rows.append(RegisterRow(
                doc_id=r.doc_id, name=r.name, kind_label=r.kind_label or KINDS[r.kind].label,
                version=r.version, status=state.status.value, effective_date=r.effective_date,
                expiry_date=state.expiry_date, category=r.category, department=r.department,
                owner=r.owner, approver=r.approver,
                next_review_date=(next_review_date(r.effective_date, review_months)
                                  if state.status in _REVIEWED else None),
                document_path=r.document_path, source_path=r.source_path, sha256=r.source_sha256,
                received_at=r.received_at, withdrawal_reason=reason,
            ))
    return rows


DISTRIBUTION_COLUMNS = (("副本编号", "text", 30), ("流程编号", "text", 20), ("版本号", "text", 10),
                        ("版本状态", "text", 10), ("领取人/部门", "text", 24), ("发放时间", "datetime", 20),
                        ("回收时间", "datetime", 20), ("回收情况", "text", 10), ("PDF", "text", 40))


def distribution_sheet(ledger: Ledger, rows: list[RegisterRow]) -> TableSheet:
    """培训副本发放: every training copy handed out, with its version's status today."""
    status = {(r.doc_id, r.version): r.status for r in rows}
    return TableSheet("培训副本发放", DISTRIBUTION_COLUMNS, [
        (c.serial, c.doc_id, c.version, status.get((c.doc_id, c.version), ""), c.recipient,
         c.printed_at, c.returned_at, c.closed_as, c.pdf_path)
        for c in ledger.training_copies()
    ])


def export_register_from_ledger(workspace: Workspace, ledger: Ledger, today: date | None = None) -> int:
    """Rewrite the register spreadsheet from the ledger; the ledger then knows it is fresh."""
    today = today or date.today()
    generation = ledger.register_generation()  # before reading: a change made meanwhile stays stale
    rows = register_rows(ledger.versions(), today, workspace.settings.review_interval_months,
                         ledger.withdrawals())
    count = export_register(rows, workspace.register_path, today=today,
                            extra_sheets=[distribution_sheet(ledger, rows)])
    ledger.mark_register_exported([Event("exported", file=workspace.settings.register_file,
                                         detail=f"{count} rows")], generation)
    return count


def publish(workspace: Workspace, ledger: Ledger, today: date | None = None) -> int:
    """Re-mark the reading copies whose status changed, then export the register; returns its rows."""
    today = today or date.today()
    refresh_markings(workspace, ledger, today)
    return export_register_from_ledger(workspace, ledger, today)
