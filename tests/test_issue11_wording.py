"""Issue 11 item 4: wording warnings that a reviewer would not call wrong, every vague word listed."""

from __future__ import annotations

from pathlib import Path

from conftest import TODAY
from factory import make_workbook

from officeflow.findings import Finding
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import check_workbook
from officeflow.settings import Workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def findings_of(path: Path, workspace: Workspace, ledger: SqliteLedger) -> list[Finding]:
    return check_workbook(path.read_bytes(), workspace, ledger, TODAY).findings


def _step(control_point: str) -> list[str]:
    return ["1.1", "检验来料", "客服专员", "", "", "≤30分钟", control_point]


def test_standard_references_and_gate_conditions_are_measurable(tmp_path: Path, workspace: Workspace,
                                                                 ledger: SqliteLedger) -> None:
    checkable = ["符合GB/T 2828.1，AQL=0.65", "按 ISO 9001:2015 第8.5条执行", "部门经理审批通过后方可出差",
                 "未经质量部放行不得入库", "票据需与出差申请内容一致，抬头为公司全称"]
    steps = [[f"1.{i}", "检验来料", "客服专员", "", "", "≤30分钟", text] for i, text in enumerate(checkable, 1)]
    path = make_workbook(tmp_path, steps=steps)
    assert [f.code for f in findings_of(path, workspace, ledger)] == []


def test_a_control_point_without_any_criterion_still_warns(tmp_path: Path, workspace: Workspace,
                                                           ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path, steps=[_step("记录完整，分类准确")])
    assert [f"{f.where}: {f.message}" for f in findings_of(path, workspace, ledger)] == [
        "流程步骤!G2: “关键控制点”没有量化标准：请写明数值，如“响应时间≤2小时”“准确率≥95%”。",
    ]


def test_every_vague_word_in_a_cell_is_listed(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path, fields={"流程目标": "原则上尽快处理，及时回复，满意度≥90%"})
    assert [f"{f.where}: {f.message}" for f in findings_of(path, workspace, ledger)] == [
        "基本信息!B13: “流程目标”含模糊词“原则上”“尽快”“及时”：请写明谁在什么时间做到什么标准。",
    ]


def test_shipped_examples_carry_no_wrong_wording_warning(workspace: Workspace, ledger: SqliteLedger) -> None:
    wording = []
    for path in sorted(EXAMPLES.glob("*.xlsx")):
        for f in findings_of(path, workspace, ledger):
            if f.code.startswith("wording."):
                wording.append(f"{path.name} › {f.where}: {f.message}")
    # The one left is right: “记录完整，分类准确” states no criterion one can check.
    assert wording == [
        "客户投诉处理流程_CRM-CS-2024-005.xlsx › 流程步骤!G2: “关键控制点”没有量化标准："
        "请写明数值，如“响应时间≤2小时”“准确率≥95%”。",
    ]
