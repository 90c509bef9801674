"""Issue 11 items 13 and 14 (dates of an obsolete copy): the periodic review is 定期回顾 —
复审 is an approval level — and a superseded or withdrawn copy shows its 失效/废止 date,
not a next review date."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import openpyxl
from conftest import TODAY
from factory import make_workbook

from officeflow.control import withdraw
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import Result, process_bytes
from officeflow.publish import publish
from officeflow.settings import Settings, Workspace

V11_REVISIONS = [["V1.0", date(2024, 1, 1), "初稿编写", "新建流程", "王敏", "客服主管"],
                 ["V1.1", date(2024, 8, 10), "增加升级时限", "业务调整", "王敏", "客服主管"]]


def info_rows(document: Path) -> list[list[str]]:
    """The rows of 一、基本信息 as a reader sees them (merged cells once)."""
    table = docx.Document(io.BytesIO(document.read_bytes())).tables[0]
    return [list(dict.fromkeys(c.text for c in row.cells)) for row in table.rows]


def issue(workspace: Workspace, ledger: SqliteLedger, path: Path) -> None:
    outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger, TODAY)
    assert outcome.result is Result.ISSUED, outcome.findings
    publish(workspace, ledger, TODAY)


def copy_of(workspace: Workspace, version: str) -> Path:
    (path,) = workspace.outbox.rglob(f"*_{version}.docx")
    return path


def test_current_copy_says_next_periodic_review(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path))
    assert info_rows(copy_of(workspace, "V1.0"))[-1] == ["下次回顾日期", "2025-02-01", "文件类型", "标准化服务流程"]
    register = openpyxl.load_workbook(workspace.register_path)
    assert register.sheetnames[:3] == ["总台账", "现行有效", "定期回顾提醒"]
    assert "下次回顾日期" in [c.value for c in register["总台账"][1]]
    assert "复审" not in Settings.model_fields["review_interval_months"].description


def test_superseded_copy_shows_its_expiry_date(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path))
    later = make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 8, 20)},
                          revisions=V11_REVISIONS)
    issue(workspace, ledger, later)
    assert info_rows(copy_of(workspace, "V1.0"))[-2:] == [
        ["生效日期", "2024-08-01", "状态", "已失效（2024-08-20 起）"],
        ["失效日期", "2024-08-20", "文件类型", "标准化服务流程"],
    ]


def test_withdrawn_copy_shows_the_date_and_the_reason(tmp_path: Path, workspace: Workspace,
                                                      ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path))
    later = make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 8, 20)},
                          revisions=V11_REVISIONS)
    issue(workspace, ledger, later)
    withdraw(workspace, ledger, "CRM-CS-2024-005", "业务停办", TODAY)
    publish(workspace, ledger, TODAY)
    assert info_rows(copy_of(workspace, "V1.1"))[-1] == ["废止日期", "2024-09-01（原因：业务停办）", "文件类型",
                                                         "标准化服务流程"]
