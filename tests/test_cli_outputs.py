"""The whole usual output of the control commands, every line (issue 11): next-id, withdraw, training.

The state is built as an operator builds it: real workbooks (tests/factory.py) through
`officeflow process`. The other control commands have theirs already, not repeated here:
`due` (tests/test_portal_feedback.py), `verify` passing and failing and `register export`
(tests/test_integrity.py), `withdraw` of a whole document (tests/test_document_control.py).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from factory import REVISIONS, make_workbook

from officeflow.cli import main

DOC = "CRM-CS-2024-005"


def run(ws: Path, *args: str) -> tuple[int, str, str]:
    """`officeflow -w ws ARGS…`: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["-w", str(ws), *args], prog_name="officeflow")
    return result.exit_code, result.stdout, result.stderr


def issued(ws: Path, *books: Path) -> None:
    code, out, err = run(ws, "process", *map(str, books))
    assert (code, err) == (0, ""), out


def pending_v11(folder: Path) -> Path:
    """V1.1 of the factory document, approved this week, effective in 30 days (待生效)."""
    today = date.today()
    return make_workbook(folder, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": today + timedelta(days=30)},
                         revisions=[*REVISIONS, ["V1.1", today - timedelta(days=10), "增加回访步骤", "业务调整",
                                                 "王敏", "客服主管"]],
                         reviews=[["初审", "王敏", today - timedelta(days=5), "通过"],
                                  ["复审", "李强", today - timedelta(days=4), "通过"],
                                  ["终审", "赵总", today - timedelta(days=3), "通过"]])


def test_next_id_prints_the_number_after_the_highest_in_use(tmp_path: Path, ws: Path) -> None:
    issued(ws, make_workbook(tmp_path, "005.xlsx"),
           make_workbook(tmp_path, "011.xlsx", fields={"流程编号": "CRM-CS-2024-011", "流程名称": "客户回访流程"}))
    assert run(ws, "next-id", "CRM-CS", "--year", "2024") == (0, "CRM-CS-2024-012\n", "")
    assert run(ws, "next-id", "crm-cs-", "--year", "2024") == (0, "CRM-CS-2024-012\n", "")  # as typed in a hurry
    assert run(ws, "next-id", "CRM-CS", "--year", "2025") == (0, "CRM-CS-2025-001\n", "")
    assert run(ws, "next-id", "CRM", "--year", "2024") == (0, "CRM-2024-001\n", "")  # another series
    assert run(ws, "next-id", "CRM-CS") == (0, f"CRM-CS-{date.today().year}-001\n", "")  # this year's first
    assert run(ws, "next-id", "客服") == (
        2, "", "错误 Error: 前缀“客服”格式不对，应为 PREFIX 或 PREFIX-CAT，如 CRM-CS\n")


def test_withdraw_revokes_a_pending_version_then_the_document(tmp_path: Path, ws: Path) -> None:
    issued(ws, make_workbook(tmp_path, "v10.xlsx"), pending_v11(tmp_path))
    assert run(ws, "withdraw", DOC, "--version", "v1.1", "--reason", "生效日期有误") == (
        0, f"已撤销 Revoked: {DOC} V1.1（原因：生效日期有误），现行版本不受影响\n", "")
    # V1.0 was left current: withdrawing the document now withdraws it alone.
    assert run(ws, "withdraw", DOC, "--reason", "业务合并") == (
        0, f"已废止 Withdrawn: {DOC} V1.0（原因：业务合并）\n", "")
    assert run(ws, "withdraw", DOC, "--reason", "业务合并") == (
        0, f"{DOC} 没有现行有效或待生效的版本，无需废止\n", "")
    assert run(ws, "withdraw", "CRM-CS-2024-999", "--reason", "业务合并") == (
        2, "", "错误 Error: 流程编号 CRM-CS-2024-999 不在台账中\n")


@pytest.mark.slow
def test_training_prints_one_line_per_copy(tmp_path: Path, ws: Path) -> None:
    issued(ws, make_workbook(tmp_path, "v10.xlsx"))
    folder = ws / "outbox" / "培训副本"
    serials = [f"{DOC}-V1.0-T000{n}" for n in (1, 2, 3)]
    assert run(ws, "training", DOC, "--copies", "2", "--to", "张三/客服部") == (0, (
        f"培训副本 training copy {serials[0]}: {folder / serials[0]}.pdf\n"
        f"培训副本 training copy {serials[1]}: {folder / serials[1]}.pdf\n"), "")
    assert run(ws, "training", "--current", "--department", "客服部") == (
        0, f"培训副本 training copy {serials[2]}: {folder / serials[2]}.pdf\n", "")
    for serial in serials:
        assert (folder / f"{serial}.pdf").read_bytes()[:5] == b"%PDF-"


def test_training_for_a_department_without_current_documents(tmp_path: Path, ws: Path) -> None:
    issued(ws, make_workbook(tmp_path, "v10.xlsx"))
    assert run(ws, "training", "--current", "--department", "人力资源部") == (
        2, "", "错误 Error: 部门“人力资源部”没有现行有效的流程文件 / no current documents for department 人力资源部\n")


def test_training_of_every_current_document_when_there_is_none(ws: Path) -> None:
    # make_department_copies says it (台账, as everywhere); the CLI has no line of its own for it.
    assert run(ws, "training", "--current") == (2, "", "错误 Error: 台账中没有现行有效的流程文件 / no current documents\n")
