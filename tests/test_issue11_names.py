"""Issue 11 items 6, 7, 17: archive-folder names under control, settings that drive the
catalog's dropdowns, values too long for the Word writer's core properties."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import TODAY
from factory import REVIEWS, make_workbook

from officeflow.cli import main
from officeflow.findings import Finding
from officeflow.kinds import KINDS
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import check_workbook, process_files
from officeflow.settings import Settings, Workspace
from officeflow.tailor import tailored
from officeflow.workbook_template import write_template


def findings_of(path: Path, workspace: Workspace, ledger: SqliteLedger) -> list[Finding]:
    return check_workbook(path.read_bytes(), workspace, ledger, TODAY).findings


def lines(findings: list[Finding]) -> list[str]:
    return [f"{f.where}: {f.message}  [{f.code}]" for f in findings]


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def _with_settings(workspace: Workspace, **values: object) -> Workspace:
    return Workspace(workspace.root, Settings(**values))


# ---------------------------------------------------------------- item 6


def test_folder_names_too_long_or_unsafe_are_findings(tmp_path: Path, workspace: Workspace,
                                                      ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path, fields={"流程类别": "客" * 40, "主责部门": "客服部\n二组"})
    assert lines(findings_of(path, workspace, ledger)) == [
        "基本信息!B8: “流程类别”有 40 个字，用作归档文件夹名最多 30 个字：请缩短。  [archive.folder-name]",
        "基本信息!B9: “主责部门”含换行，不能用作归档文件夹名：请写在一行内。  [archive.folder-name]",
    ]
    dots = make_workbook(tmp_path, "dots.xlsx", fields={"流程类别": "..", "主责部门": "CON"})
    assert lines(findings_of(dots, workspace, ledger)) == [
        "基本信息!B8: “流程类别”“..”不能用作归档文件夹名：请写部门或类别的名称。  [archive.folder-name]",
        "基本信息!B9: “主责部门”“CON”是 Windows 保留的文件名，不能用作归档文件夹名：请换一个名称。"
        "  [archive.folder-name]",
    ]


def test_controlled_lists_refuse_other_values_and_drive_the_dropdowns(tmp_path: Path, workspace: Workspace,
                                                                      ledger: SqliteLedger) -> None:
    controlled = _with_settings(workspace, categories=["客户服务类", "质量管理类"], departments=["客服部", "质量部"])
    path = make_workbook(tmp_path, fields={"流程类别": "质量管理", "主责部门": "客服部"})
    assert lines(findings_of(path, controlled, ledger)) == [
        "基本信息!B8: “流程类别”填写了“质量管理”，应为以下之一：客户服务类、质量管理类。  [cell.choice]",
    ]
    assert findings_of(make_workbook(tmp_path, "ok.xlsx"), controlled, ledger) == []
    sheet = tmp_path / "sop.xlsx"
    write_template(tailored(KINDS["sop"], controlled.settings), sheet)
    info = openpyxl.load_workbook(sheet)["基本信息"]
    rows = {str(info.cell(r, 1).value).lstrip("* ").split(" ")[0]: r for r in range(3, info.max_row + 1)}
    dropdowns = {str(dv.sqref): dv.formula1 for dv in info.data_validations.dataValidation if dv.type == "list"}
    assert dropdowns[f"B{rows['流程类别']}"] == '"客户服务类,质量管理类"'
    assert dropdowns[f"B{rows['主责部门']}"] == '"客服部,质量部"'


def test_a_value_never_seen_in_the_ledger_is_a_warning(tmp_path: Path, workspace: Workspace,
                                                       ledger: SqliteLedger) -> None:
    first = make_workbook(tmp_path, "first.xlsx")
    assert process_files([first], workspace, ledger, today=TODAY)[0].result.value == "issued"
    other = make_workbook(tmp_path, "other.xlsx",
                          fields={"流程编号": "CRM-CS-2024-006", "流程类别": "客户服务", "主责部门": "客服部"})
    assert lines(findings_of(other, workspace, ledger)) == [
        "基本信息!B8: 流程类别“客户服务”在台账中从未出现（已有：客户服务类）：是否应为“客户服务类”？"
        "若确是新类别，可忽略此提示。  [archive.new-category]",
    ]


# ---------------------------------------------------------------- item 7


def test_an_added_review_level_drives_dropdown_and_enum(tmp_path: Path, workspace: Workspace,
                                                        ledger: SqliteLedger) -> None:
    levels = ["初审", "复审", "会签", "终审"]
    four = _with_settings(workspace, review_levels=levels)
    reviews = [*REVIEWS[:2], ["会签", "孙丽", date(2024, 7, 8), "通过", "同意"], REVIEWS[2]]
    path = make_workbook(tmp_path, reviews=reviews)
    assert findings_of(path, four, ledger) == []
    assert lines(findings_of(make_workbook(tmp_path, "three.xlsx"), four, ledger)) == [
        "审核记录!A1: 缺少“会签”记录：初审、复审、会签、终审均须通过后才能发布。  [review.missing]",
    ]
    sheet = tmp_path / "sop.xlsx"
    write_template(tailored(KINDS["sop"], four.settings), sheet)
    review_sheet = openpyxl.load_workbook(sheet)["审核记录"]
    formulas = [dv.formula1 for dv in review_sheet.data_validations.dataValidation if dv.type == "list"]
    assert '"初审,复审,会签,终审"' in formulas


def test_settings_accept_an_added_level_but_not_an_empty_list() -> None:
    assert Settings(review_levels=["初审", "会签", "终审"]).review_levels == ["初审", "会签", "终审"]
    with pytest.raises(ValueError):
        Settings(review_levels=[])


# ---------------------------------------------------------------- item 17


def test_a_long_owner_is_cut_for_the_core_property_only(tmp_path: Path) -> None:
    (tmp_path / "officeflow.toml").write_text("", encoding="utf-8")
    owner = "王" * 300
    path = make_workbook(tmp_path, fields={"流程负责人": owner})
    assert invoke("-w", str(tmp_path), "validate", str(path))[0] == 0
    code, output = invoke("-w", str(tmp_path), "process", str(path))
    assert code == 0, output
    (document,) = (tmp_path / "outbox").rglob("CRM-CS-2024-005_V1.0.docx")
    with zipfile.ZipFile(document) as docx:
        core = docx.read("docProps/core.xml").decode()
        body = docx.read("word/document.xml").decode()
    assert f"<dc:creator>{'王' * 255}</dc:creator>" in core
    assert owner in body


def test_a_long_category_is_a_finding_in_validate_and_process_alike(tmp_path: Path) -> None:
    (tmp_path / "officeflow.toml").write_text("", encoding="utf-8")
    path = make_workbook(tmp_path, fields={"流程类别": "类" * 300})
    assert invoke("-w", str(tmp_path), "validate", str(path))[0] == 1
    assert invoke("-w", str(tmp_path), "process", str(path))[0] == 1
