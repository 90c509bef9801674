"""The seed kinds scenario, standard and optimization end to end (a test-only kind: test_plugin_kind).

Workbooks are real files filled the way a person fills the blank template
(`fill_template`); findings are asserted on their exact sheet!cell.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import docx
import openpyxl
import pytest
from conftest import TODAY
from docx.shared import Cm

from officeflow.catalog import FieldType
from officeflow.fastrender import prepared_template
from officeflow.findings import Finding, Severity
from officeflow.kinds import KINDS, find_kind
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import Result, check_workbook, process_bytes
from officeflow.reader import read_workbook
from officeflow.render import build_context
from officeflow.settings import Workspace
from officeflow.stamp import stamp_document
from officeflow.workbook_template import fill_template, write_all_templates

ROOT = Path(__file__).resolve().parent.parent


def _load_tool(name: str) -> ModuleType:
    """Import tools/<name>.py (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


EXAMPLES_TOOL = _load_tool("make_examples")
EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = EXAMPLES_TOOL.EXAMPLES
SEED_EXAMPLES = {name: value for name, value in EXAMPLES.items() if value[0] != "sop"}
# One example per kind, for the tests that change one value.
BY_KIND = {kind: data for _name, (kind, data) in reversed(EXAMPLES.items())}
STANDARD_DATA = EXAMPLES_TOOL.SERVICE_STANDARDS
RACI_DATA = EXAMPLES_TOOL.ENTERPRISE_COMPLAINTS


# --------------------------------------------------------------------- helpers


def fill(tmp_path: Path, kind: str, data: dict[str, Any], name: str = "book.xlsx") -> Path:
    path = tmp_path / name
    fill_template(KINDS[kind], data, path)
    return path


def check(path: Path, workspace: Workspace, ledger: SqliteLedger) -> list[Finding]:
    return check_workbook(path.read_bytes(), workspace, ledger, TODAY).findings


def located(findings: list[Finding], severity: Severity = Severity.ERROR) -> set[tuple[str, str]]:
    return {(f.code, str(f.where or "")) for f in findings if f.severity is severity}


def changed(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)


def table_rows(path: Path, first_header: list[str]) -> list[list[str]]:
    """The rows (header included) of the body table whose header starts with first_header."""
    for table in docx.Document(str(path)).tables:
        header = [cell.text for cell in table.rows[0].cells]
        if header[: len(first_header)] == first_header:
            return [[cell.text for cell in row.cells] for row in table.rows]
    raise AssertionError(f"no table with header {first_header}")


def body_text(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


# --------------------------------------------------------------------- catalog


def test_registry_has_the_four_seed_kinds() -> None:
    assert {k: v.label for k, v in KINDS.items()} == {
        "sop": "标准化服务流程", "scenario": "业务场景流程", "standard": "产品服务标准",
        "optimization": "流程梳理优化"}
    assert find_kind("流程梳理优化") is KINDS["optimization"]
    assert find_kind("Standard") is KINDS["standard"]


def test_catalog_matches_the_spec_tables() -> None:
    def labels(kind: str, table: str) -> tuple[str, list[str]]:
        spec = KINDS[kind].table(table)
        return spec.sheet, [c.label for c in spec.columns]

    assert labels("scenario", "steps") == (
        "流程步骤", ["步骤编号", "步骤名称", "责任部门", "配合部门", "操作内容", "输出", "时限",
                     "后续步骤"])
    assert labels("scenario", "key_points") == ("执行要点", ["序号", "要点"])
    assert labels("standard", "standards") == (
        "服务标准", ["标准编号", "服务项目", "标准类别", "具体要求", "责任部门", "达标指标", "备注"])
    assert labels("standard", "procedure") == (
        "操作流程", ["步骤编号", "流程阶段", "操作步骤", "操作要点", "责任岗位", "输出成果", "时限要求",
                 "关联标准", "后续步骤"])
    assert labels("standard", "inspections") == (
        "检查记录", ["检查日期", "检查项目", "检查标准", "检查结果", "问题描述", "责任部门", "整改措施",
                 "整改时限", "验证结果"])
    assert not KINDS["standard"].table("inspections").required
    assert KINDS["standard"].table("standards").column("category").choices == (
        "基础标准", "过程标准", "结果标准")
    assert KINDS["standard"].table("inspections").column("result").choices == ("达标", "不达标")
    assert labels("optimization", "steps") == (
        "流程步骤", ["步骤编号", "步骤名称", "责任岗位", "输入", "输出", "耗时", "后续步骤"])
    assert labels("optimization", "raci") == ("责任矩阵", ["步骤编号"])
    assert KINDS["optimization"].table("raci").extra_columns is not None
    risks, proposals = KINDS["optimization"].table("risks"), KINDS["optimization"].table("proposals")
    assert (risks.sheet, risks.title, [c.label for c in risks.columns]) == (
        "风险与优化", "关键风险点", ["序号", "风险描述", "应对措施"])
    assert (proposals.sheet, proposals.title, [c.label for c in proposals.columns]) == (
        "风险与优化", "优化建议", ["序号", "建议内容", "预期效果"])
    assert [f.label for f in KINDS["optimization"].fields[-3:]] == ["协同部门", "支持部门", "总流程周期"]
    assert KINDS["scenario"].fields[-1].label == "适用场景"
    for kind in KINDS.values():
        assert [t.sheet for t in kind.tables[-3:]] == ["相关文件", "修订记录", "审核记录"]


# --------------------------------------------------------------------- shipped examples


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_committed_example_is_current(name: str, tmp_path: Path) -> None:
    kind, data = EXAMPLES[name]
    committed = ROOT / "examples" / name
    assert committed.exists(), "run: python tools/make_examples.py"
    assert committed.read_bytes() == fill(tmp_path, kind, data, name).read_bytes(), (
        f"examples/{name} is stale: run python tools/make_examples.py")


@pytest.mark.parametrize("name", sorted(SEED_EXAMPLES))
def test_seed_example_is_issued_without_findings(name: str, workspace: Workspace,
                                                 ledger: SqliteLedger) -> None:
    path = ROOT / "examples" / name
    outcome = process_bytes(path.read_bytes(), name, workspace, ledger, TODAY)
    assert outcome.result is Result.ISSUED, [f.located() for f in outcome.findings]
    assert outcome.findings == []
    assert outcome.document is not None and outcome.document.exists()
    kind, data = SEED_EXAMPLES[name]
    text = body_text(outcome.document)
    assert data["fields"]["name"] in text and KINDS[kind].label in text
    assert "{{" not in text and "{%" not in text


def _issue(name: str, workspace: Workspace, ledger: SqliteLedger) -> Path:
    path = ROOT / "examples" / name
    outcome = process_bytes(path.read_bytes(), name, workspace, ledger, TODAY)
    assert outcome.result is Result.ISSUED and outcome.document is not None
    return outcome.document


def test_scenario_document_content(workspace: Workspace, ledger: SqliteLedger) -> None:
    document = _issue("新业务上线流程规范_PRD-NB-2024-001.xlsx", workspace, ledger)
    steps = table_rows(document, ["步骤编号", "步骤名称", "责任部门", "配合部门"])
    assert steps[0] == ["步骤编号", "步骤名称", "责任部门", "配合部门", "操作内容", "输出", "时限"]
    assert [row[0] for row in steps[1:]] == ["1", "2", "3", "4", "5", "6"]
    assert steps[2][1:4] == ["可行性分析", "产品部", "技术部、财务部"]
    assert steps[2][6] == "≤5个工作日"
    points = table_rows(document, ["序号", "要点"])
    assert len(points) == 5 and "MVP" in points[1][1]
    forms = table_rows(document, ["序号", "文件名称", "文件编号"])
    assert forms[1][1:] == ["表1《新业务需求申请表》", "PRD-TAB-001"]
    text = body_text(document)
    assert "二、适用场景" in text and "从需求提出到正式上线的全流程管理" in text


def test_standard_document_content(workspace: Workspace, ledger: SqliteLedger) -> None:
    document = _issue("产品服务标准与客户投诉处理操作流程_QM-ST-2024-001.xlsx", workspace, ledger)
    standards = table_rows(document, ["标准编号"])
    assert [row[0] for row in standards[1:]] == ["CS-001", "CS-002", "CS-003", "QL-001"]
    assert standards[1][1:3] == ["售前咨询响应", "过程标准"] and standards[1][5] == "响应率≥98%"
    procedure = table_rows(document, ["步骤编号", "流程阶段"])
    assert procedure[0][-1] == "关联标准"
    assert [row[-1] for row in procedure[1:]] == ["CS-003", "", "", "CS-003", "CS-003"]
    inspections = table_rows(document, ["检查日期"])
    assert [row[3] for row in inspections[1:]] == ["不达标", "达标", "不达标"]
    assert inspections[1][0] == "2023-10-10" and inspections[1][6] == "增加高峰期客服人员配置"


def test_optimization_document_has_a_real_raci_table(workspace: Workspace,
                                                     ledger: SqliteLedger) -> None:
    document = _issue("企业客户投诉处理流程_CSC-2024-001.xlsx", workspace, ledger)
    raci = table_rows(document, ["步骤编号", "步骤名称", "客服专员"])
    assert raci == [
        ["步骤编号", "步骤名称", "客服专员", "客服主管", "客服经理", "销售", "法务", "客户"],
        ["1", "客户投诉接收", "R", "A", "", "", "", ""],
        ["2", "投诉分类与初步判定", "", "R", "A", "", "", ""],
        ["3", "跨部门协同处理", "C", "", "A", "R", "R", ""],
        ["4", "结果反馈与客户确认", "R", "A", "", "", "", "I"],
        ["5", "流程关闭归档", "R", "A", "", "", "", ""],
    ]
    # docxtpl resized the grid to one column per role, within the text width.
    table = next(t for t in docx.Document(str(document)).tables
                 if t.rows[0].cells[2].text == "客服专员")
    grid = table._tbl.tblGrid.findall(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}gridCol")
    assert len(grid) == 8
    assert sum(int(g.get(grid[0].tag.replace("gridCol", "w"))) for g in grid) <= Cm(16.01).twips
    risks = table_rows(document, ["序号", "风险描述", "应对措施"])
    assert risks[1][1] == "客户信息不全导致处理延误"
    proposals = table_rows(document, ["序号", "建议内容", "预期效果"])
    assert proposals[1][2] == "减少人工登记耗时，预计缩短步骤1耗时50%"
    info = docx.Document(str(document)).tables[0]
    cells = [cell.text for row in info.rows for cell in row.cells]
    assert "≤48小时" in cells and "销售部" in cells and "法务部" in cells
    assert "CSC-2024-001" in docx.Document(str(document)).sections[0].header.paragraphs[0].text


def test_word_templates_use_only_what_the_kind_provides(workspace: Workspace,
                                                       ledger: SqliteLedger) -> None:
    """Every variable of each kind's Word template is in the context built from its catalog."""
    for name, (kind, _data) in SEED_EXAMPLES.items():
        path = ROOT / "examples" / name
        checked = check_workbook(path.read_bytes(), workspace, ledger, TODAY)
        assert checked.parsed is not None and checked.context is not None
        context = build_context(checked.parsed, stamp_document(checked.parsed, checked.context))
        template = ROOT / "templates" / KINDS[kind].word_template
        assert prepared_template(template).undeclared_variables(context) == set(), kind


@pytest.mark.parametrize("kind", ["sop", "scenario", "standard", "optimization"])
def test_blank_template_filled_by_a_person_is_accepted(kind: str, tmp_path: Path,
                                                       workspace: Workspace,
                                                       ledger: SqliteLedger) -> None:
    path = fill(tmp_path, kind, BY_KIND[kind])
    assert read_workbook(path.read_bytes()).kind is KINDS[kind]
    assert located(check(path, workspace, ledger)) == set()


def test_inspection_records_are_optional(tmp_path: Path, workspace: Workspace,
                                         ledger: SqliteLedger) -> None:
    path = fill(tmp_path, "standard", STANDARD_DATA)
    wb = openpyxl.load_workbook(path)
    del wb["检查记录"]
    wb.save(path)
    assert located(check(path, workspace, ledger)) == set()


# --------------------------------------------------------------------- standard rules


def test_dangling_linked_standard_is_an_error_on_its_cell(tmp_path: Path, workspace: Workspace,
                                                          ledger: SqliteLedger) -> None:
    data = changed(STANDARD_DATA)
    data["tables"]["procedure"][1]["standards"] = ["CS-001", "CS-009"]
    data["tables"]["procedure"][4]["standards"] = ["cs-003"]  # case does not matter
    findings = check(fill(tmp_path, "standard", data), workspace, ledger)
    assert located(findings) == {("standards.link-unknown", "操作流程!H3")}
    assert "CS-009" in findings[0].message and "CS-001、CS-002、CS-003、QL-001" in findings[0].message


def test_duplicate_and_malformed_standard_codes(tmp_path: Path, workspace: Workspace,
                                               ledger: SqliteLedger) -> None:
    data = changed(STANDARD_DATA)
    data["tables"]["standards"][3]["code"] = "CS-002"
    data["tables"]["standards"][0]["code"] = "CS001"
    data["tables"]["procedure"][0]["standards"] = ["CS001"]
    findings = check(fill(tmp_path, "standard", data), workspace, ledger)
    assert located(findings) == {
        ("numbering.standard-code", "服务标准!A2"),
        ("numbering.standard-code-duplicate", "服务标准!A5"),
    }


def test_standard_warnings_and_enums(tmp_path: Path, workspace: Workspace,
                                     ledger: SqliteLedger) -> None:
    data = changed(STANDARD_DATA)
    data["tables"]["standards"][1]["target"] = "客户满意"
    data["tables"]["standards"][2]["requirement"] = "客户投诉需尽快处理"
    data["tables"]["standards"][0]["category"] = "服务标准"
    data["tables"]["inspections"][1]["result"] = "合格"
    data["tables"]["inspections"][2]["corrective_action"] = ""
    data["tables"]["standards"][3]["department"] = "研发中心"
    findings = check(fill(tmp_path, "standard", data), workspace, ledger)
    assert located(findings) == {("cell.choice", "服务标准!C2"), ("cell.choice", "检查记录!D3")}
    assert located(findings, Severity.WARNING) == {
        ("wording.unmeasurable", "服务标准!F3"),
        ("wording.vague", "服务标准!D4"),
        ("inspection.no-corrective-action", "检查记录!G4"),
        ("departments.unknown", "服务标准!E5"),
    }


# --------------------------------------------------------------------- optimization rules


def _raci(data: dict[str, Any]) -> list[dict[str, Any]]:
    return data["tables"]["raci"]


def test_step_with_two_accountable_roles(tmp_path: Path, workspace: Workspace,
                                         ledger: SqliteLedger) -> None:
    data = changed(RACI_DATA)
    _raci(data)[2]["extra"]["客服专员"] = "A"
    findings = check(fill(tmp_path, "optimization", data), workspace, ledger)
    assert located(findings) == {("raci.accountable", "责任矩阵!A4")}
    assert "客服专员、客服经理" in findings[0].message


def test_step_without_accountable_or_responsible_role(tmp_path: Path, workspace: Workspace,
                                                      ledger: SqliteLedger) -> None:
    """Seed 003 as printed: 结果反馈 and 归档 have no A; a step with only C/I has no R."""
    data = changed(RACI_DATA)
    _raci(data)[3]["extra"] = {"客服专员": "R", "客户": "I"}
    _raci(data)[4]["extra"] = {"客服专员": "C", "客服主管": "A"}
    findings = check(fill(tmp_path, "optimization", data), workspace, ledger)
    assert located(findings) == {("raci.accountable", "责任矩阵!A5"),
                                 ("raci.responsible", "责任矩阵!A6")}


def test_combined_letters_count_for_both(tmp_path: Path, workspace: Workspace,
                                         ledger: SqliteLedger) -> None:
    data = changed(RACI_DATA)
    _raci(data)[4]["extra"] = {"客服专员": "r/a", "客服主管": "I"}  # typed in lower case
    assert located(check(fill(tmp_path, "optimization", data), workspace, ledger)) == set()


def test_step_without_raci_row_and_raci_row_without_step(tmp_path: Path, workspace: Workspace,
                                                         ledger: SqliteLedger) -> None:
    data = changed(RACI_DATA)
    del _raci(data)[4]  # step 5 loses its row
    _raci(data).append({"number": "6", "extra": {"客服专员": "R", "客服主管": "A"}})
    findings = check(fill(tmp_path, "optimization", data), workspace, ledger)
    assert located(findings) == {("raci.missing-row", "流程步骤!A6"),
                                 ("raci.unknown-step", "责任矩阵!A6")}


def test_unknown_role_column_is_an_error_on_its_header(tmp_path: Path, workspace: Workspace,
                                                       ledger: SqliteLedger) -> None:
    data = changed(RACI_DATA)
    _raci(data)[3]["extra"] = {"客服专员": "R", "客服主管": "A", "客户代表": "I"}
    findings = check(fill(tmp_path, "optimization", data), workspace, ledger)
    # Role columns in order of first use: 客服专员 B … 法务 F, 客户代表 G.
    assert located(findings) == {("raci.unknown-role", "责任矩阵!G1")}
    assert "客户代表" in findings[0].message


def test_invalid_raci_letter_is_an_error_on_its_cell(tmp_path: Path, workspace: Workspace,
                                                     ledger: SqliteLedger) -> None:
    data = changed(RACI_DATA)
    _raci(data)[0]["extra"]["客服主管"] = "X"
    findings = check(fill(tmp_path, "optimization", data), workspace, ledger)
    # The invalid letter is dropped, so step 1 also has no A.
    assert located(findings) == {("cell.choice", "责任矩阵!C2"), ("raci.accountable", "责任矩阵!A2")}


def test_cycle_time_exceeded_warns_with_the_sum(tmp_path: Path, workspace: Workspace,
                                                ledger: SqliteLedger) -> None:
    data = changed(RACI_DATA)
    data["fields"]["cycle_time"] = "≤6小时"
    findings = check(fill(tmp_path, "optimization", data), workspace, ledger)
    assert located(findings) == set()
    assert located(findings, Severity.WARNING) == {("duration.cycle-exceeded", "基本信息!B17")}
    [exceeded] = findings
    assert "6.25小时" in exceeded.message and "≤6小时" in exceeded.message


def test_unquantified_proposal_and_unlisted_role(tmp_path: Path, workspace: Workspace,
                                                 ledger: SqliteLedger) -> None:
    data = changed(RACI_DATA)
    data["tables"]["proposals"][2]["effect"] = "提升客户体验"
    data["tables"]["steps"][2]["role"] = "客服专员对接销售/法务"
    findings = check(fill(tmp_path, "optimization", data), workspace, ledger)
    assert located(findings) == set()
    assert located(findings, Severity.WARNING) == {("wording.unmeasurable", "风险与优化!C18"),
                                                   ("roles.unknown", "流程步骤!C4")}


# --------------------------------------------------------------------- scenario rules


def test_scenario_departments_and_steps(tmp_path: Path, workspace: Workspace,
                                        ledger: SqliteLedger) -> None:
    data = changed(BY_KIND["scenario"])
    steps = data["tables"]["steps"]
    steps[1]["department"] = "人事部"
    steps[2]["supporting"] = ["技术部", "分管领导"]
    steps[3]["number"] = "5"
    steps[4]["duration"] = "视情况而定"
    findings = check(fill(tmp_path, "scenario", data), workspace, ledger)
    assert located(findings) == {("numbering.step-gap", "流程步骤!A5"),
                                 ("numbering.step-duplicate", "流程步骤!A6")}
    assert located(findings, Severity.WARNING) == {
        ("departments.unknown", "流程步骤!C3"),
        ("departments.unknown", "流程步骤!D4"),
        ("duration.unparsed", "流程步骤!G6"),
        ("wording.vague", "流程步骤!G6"),
    }


def test_scenario_requires_its_scenario_field(tmp_path: Path, workspace: Workspace,
                                              ledger: SqliteLedger) -> None:
    data = changed(BY_KIND["scenario"])
    data["fields"]["scenario"] = ""
    assert located(check(fill(tmp_path, "scenario", data), workspace, ledger)) == {
        ("field.required", "基本信息!B15")}


# --------------------------------------------------------------------- Excel templates


def test_excel_templates_have_the_seed_dropdowns(tmp_path: Path) -> None:
    write_all_templates(tmp_path)

    def lists(path: Path, sheet: str) -> dict[str, str]:
        ws = openpyxl.load_workbook(path)[sheet]
        return {str(dv.sqref).split(":")[0]: dv.formula1
                for dv in ws.data_validations.dataValidation if dv.type == "list"}

    assert lists(tmp_path / "standard.xlsx", "服务标准")["C2"] == '"基础标准,过程标准,结果标准"'
    assert lists(tmp_path / "standard.xlsx", "检查记录")["D2"] == '"达标,不达标"'
    raci = lists(tmp_path / "optimization.xlsx", "责任矩阵")
    assert raci["B2"].startswith('"R,A,C,I,R/A')
    info = openpyxl.load_workbook(tmp_path / "optimization.xlsx")["基本信息"]
    assert info["B3"].value == "流程梳理优化"
    assert info["A17"].value == "* 总流程周期 Total cycle time"
    shared = openpyxl.load_workbook(tmp_path / "optimization.xlsx")["风险与优化"]
    assert (shared["A1"].value, shared["A14"].value) == ("关键风险点", "优化建议")
    guide = openpyxl.load_workbook(tmp_path / "standard.xlsx")["填写说明"]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert "CS-001" in text and "关联标准" in text and "基础标准" in text


@pytest.mark.slow
def test_libreoffice_opens_every_template_and_dropdowns_survive(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed: it is needed to check the templates")
    sources = write_all_templates(tmp_path / "xlsx")
    profile = Path(f"/tmp/officeflow-lo-{uuid.uuid4().hex}")  # private: parallel soffice runs clash
    try:
        result = subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
             "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), *map(str, sources)],
            capture_output=True, timeout=240)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    for source in sources:
        pdf = tmp_path / "pdf" / f"{source.stem}.pdf"
        assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF"), source.name
        data = source.read_bytes()
        kind = KINDS[source.stem]
        assert read_workbook(data).kind is kind  # the reader reads it …
        assert source.read_bytes() == data  # … without touching it
        wb = openpyxl.load_workbook(io.BytesIO(data))
        for table in kind.tables:
            enums = [c for c in table.columns if c.type is FieldType.ENUM]
            if table.extra_columns is not None and table.extra_columns.type is FieldType.ENUM:
                enums.append(table.extra_columns)
            formulas = {dv.formula1 for dv in wb[table.sheet].data_validations.dataValidation
                        if dv.type == "list"}
            for column in enums:
                assert '"' + ",".join(column.choices) + '"' in formulas, (source.name, column.label)
