"""When the portal rebuilds its library and search index: on an issue or a date change, not on 问题反馈
(at 50,000 versions a rebuild takes seconds, and the portal's own form writes feedback)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from factory import make_workbook

from officeflow.ledger import open_ledger
from officeflow.pipeline import Result, process_bytes
from officeflow.portal.feedback import add_feedback
from officeflow.portal.state import Portal
from officeflow.settings import Workspace


def _issue(workspace: Workspace, book: Path) -> None:
    ledger = open_ledger(workspace.ledger_path)
    try:
        outcome = process_bytes(book.read_bytes(), book.name, workspace, ledger, date(2024, 7, 20))
        assert outcome.result is Result.ISSUED, outcome.findings
    finally:
        ledger.close()


def test_feedback_keeps_the_library_and_an_issue_or_a_new_day_rebuilds_it(workspace: Workspace,
                                                                          tmp_path: Path) -> None:
    days = [date(2024, 9, 1)]
    portal = Portal(workspace, today=lambda: days[-1])
    try:
        _issue(workspace, make_workbook(tmp_path, "crm.xlsx"))
        first = portal.library()
        assert sorted(first.documents) == ["CRM-CS-2024-005"]
        add_feedback(portal.ledger, "CRM-CS-2024-005", "V1.0", "张三", "技术部", "时限过紧")
        assert portal.library() is first
        _issue(workspace, make_workbook(tmp_path, "hr.xlsx", fields={"流程编号": "HR-TR-2024-012"}))
        second = portal.library()
        assert sorted(second.documents) == ["CRM-CS-2024-005", "HR-TR-2024-012"]
        assert [h.doc_id for h in portal.index.search("HR-TR-2024")] == ["HR-TR-2024-012"]
        assert portal.library() is second
        days.append(date(2024, 9, 2))
        assert portal.library().day == date(2024, 9, 2)
    finally:
        portal.close()
