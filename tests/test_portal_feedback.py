"""问题反馈 where the process office works: counted beside each review in `officeflow due`, listed by
`officeflow feedback`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from factory import make_workbook

from officeflow.cli import main
from officeflow.ledger import open_ledger
from officeflow.lifecycle import next_review_date
from officeflow.pipeline import Result, process_bytes
from officeflow.portal.feedback import add_feedback
from officeflow.settings import Workspace

TODAY = date.today()
YEAR = (TODAY - timedelta(days=400)).year  # a 流程编号 year no later than the effective dates below
CRM, HR = f"CRM-CS-{YEAR}-001", f"HR-TR-{YEAR}-002"


def _reviews(first: date) -> list[list[object]]:
    return [["初审", "王敏", first, "通过"], ["复审", "李强", first + timedelta(days=1), "通过"],
            ["终审", "赵总", first + timedelta(days=2), "通过"]]


def _issue(workspace: Workspace, book: Path, effective: date) -> None:
    ledger = open_ledger(workspace.ledger_path)
    try:
        outcome = process_bytes(book.read_bytes(), book.name, workspace, ledger, effective - timedelta(days=5),
                                received_at=datetime.combine(effective - timedelta(days=5), time(9)))
        assert outcome.result is Result.ISSUED, outcome.findings
    finally:
        ledger.close()


@pytest.fixture
def due_soon(workspace: Workspace, tmp_path: Path) -> Workspace:
    """CRM due for review in about 10 days with two 问题反馈, HR overdue with none."""
    crm_day, hr_day = TODAY - timedelta(days=172), TODAY - timedelta(days=200)
    _issue(workspace, make_workbook(tmp_path, "crm.xlsx", fields={"流程编号": CRM, "生效日期": crm_day},
                                    revisions=[["V1.0", crm_day - timedelta(days=30), "初稿编写", "新建流程",
                                                "王敏", "客服主管"]],
                                    reviews=_reviews(crm_day - timedelta(days=20))), crm_day)
    hr = {"流程名称": "新员工入职培训流程", "流程编号": HR, "生效日期": hr_day, "主责部门": "人力资源部",
          "适用部门": "人力资源部", "流程负责人": "陈静"}
    _issue(workspace, make_workbook(tmp_path, "hr.xlsx", fields=hr,
                                    revisions=[["V1.0", hr_day - timedelta(days=30), "初稿编写", "新建流程",
                                                "陈静", "人事主管"]],
                                    reviews=_reviews(hr_day - timedelta(days=20))), hr_day)
    ledger = open_ledger(workspace.ledger_path)
    try:
        at = datetime.combine(TODAY - timedelta(days=2), time(10, 30))
        add_feedback(ledger, CRM, "V1.0", "张三", "技术部", "步骤1.3的时限\n在周末无法达到", at=at)
        add_feedback(ledger, CRM, "V1.0", "李四", "", "登记表缺少客户等级栏", at=at + timedelta(hours=1))
    finally:
        ledger.close()
    return workspace


def test_due_counts_the_feedback_of_each_document(due_soon: Workspace) -> None:
    result = CliRunner().invoke(main, ["-w", str(due_soon.root), "due"])
    assert result.exit_code == 0, result.output
    crm_due = next_review_date(TODAY - timedelta(days=172), 6)
    hr_due = next_review_date(TODAY - timedelta(days=200), 6)
    assert result.output.splitlines() == [
        f"{HR} V1.0  新员工入职培训流程  回顾日期 {hr_due}  已逾期 {(TODAY - hr_due).days} 天  负责人 陈静  反馈 0 条",
        f"{CRM} V1.0  客户投诉处理流程  回顾日期 {crm_due}  {(crm_due - TODAY).days} 天后到期  负责人 王敏  反馈 2 条",
    ]


def test_due_with_nothing_due_says_so_in_the_seeds_word(workspace: Workspace) -> None:
    result = CliRunner().invoke(main, ["-w", str(workspace.root), "due", "--within", "30"])
    assert (result.exit_code, result.output) == (0, "30 天内没有到期的定期回顾\n")


def test_feedback_lists_the_items_oldest_first(due_soon: Workspace) -> None:
    result = CliRunner().invoke(main, ["-w", str(due_soon.root), "feedback", CRM])
    assert result.exit_code == 0, result.output
    day = (TODAY - timedelta(days=2)).isoformat()
    assert result.output.splitlines() == [
        f"{day} 10:30  {CRM} V1.0  张三（技术部）：步骤1.3的时限 / 在周末无法达到",
        f"{day} 11:30  {CRM} V1.0  李四：登记表缺少客户等级栏",
        "共 2 条",
    ]
    none = CliRunner().invoke(main, ["-w", str(due_soon.root), "feedback", HR])
    assert none.output == "没有问题反馈 (no feedback)\n"
