"""The blank Excel template generated from the catalog: layout, determinism, filling, LibreOffice."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from officeflow.catalog import Field, FieldType, KindSpec, Table
from officeflow.kinds import KINDS
from officeflow.kinds.common import BASIC_FIELDS
from officeflow.kinds.sop import SOP
from officeflow.reader import read_document, read_workbook
from officeflow.workbook_template import (
    EXTRA_HEADER_CELLS,
    build_template,
    fill_template,
    table_layout,
    workbook_bytes,
    write_all_templates,
    write_template,
)

REPO = Path(__file__).resolve().parents[1]

# Seed 000, 客户服务类流程示例, as a person would type it: the shipped example's data.
sys.path.insert(0, str(REPO / "tools"))
from make_examples import COMPLAINTS as SEED_000  # noqa: E402


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "sop.xlsx"
    write_template(SOP, path)
    return path


def _validations(ws) -> list:
    return list(ws.data_validations.dataValidation)


def _list_formula(ws, cell: str) -> str | None:
    """formula1 of the list validation covering `cell`."""
    for dv in _validations(ws):
        if dv.type == "list" and cell in dv.sqref:
            return dv.formula1
    return None


def _info_row(ws, label: str) -> int:
    for row in range(3, ws.max_row + 1):
        if label in str(ws.cell(row, 1).value):
            return row
    raise AssertionError(f"no row for {label}")


def test_sop_layout(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    assert wb.sheetnames == ["填写说明", "基本信息", "流程步骤", "相关文件", "修订记录", "审核记录"]

    info = wb["基本信息"]
    assert info["A1"].value == "标准化服务流程 · 基本信息"
    assert [info.cell(2, c).value for c in (1, 2, 3)] == ["字段 Field", "填写内容 Value", "填写说明 Hint"]
    for row, field in enumerate(SOP.fields, start=3):
        expected = f"* {field.display_label}" if field.required else field.display_label
        assert info.cell(row, 1).value == expected
        assert info.cell(row, 3).value == (field.hint or None)
    assert info["A3"].value == "* 模板类型 Template"
    assert info["B3"].value == "标准化服务流程"
    assert info.cell(_info_row(info, "流程编号"), 2).number_format == "@"
    assert info.cell(_info_row(info, "版本号"), 2).number_format == "@"
    assert info.cell(_info_row(info, "生效日期"), 2).number_format == "yyyy-mm-dd"
    assert info.freeze_panes == "A3"

    steps = wb["流程步骤"]
    headers = [steps.cell(1, c).value for c in range(1, 9)]
    assert headers == ["* 步骤编号 Step", "* 操作内容 Action", "* 责任角色 Role", "输入 Input",
                       "输出 Output", "耗时 Duration", "关键控制点 Key control point",
                       "后续步骤 Next steps"]
    assert steps["A2"].number_format == "@"
    assert steps["A200"].number_format == "@"
    assert steps["I1"].value is None
    assert steps.freeze_panes == "A2"
    assert steps["A1"].font.b
    assert steps.column_dimensions["B"].width == 40

    assert wb["相关文件"]["B1"].value == "文件编号 Document ID"
    assert wb["相关文件"]["B2"].number_format == "@"
    revisions = wb["修订记录"]
    assert [revisions.cell(1, c).value for c in range(1, 7)] == [
        "版本号 Version", "* 修订日期 Revision date", "修订内容 Change", "修订原因 Reason",
        "修订人 Author", "审核人 Reviewer"]
    assert revisions["A2"].number_format == "@"
    assert revisions["B2"].number_format == "yyyy-mm-dd"
    reviews = wb["审核记录"]
    assert reviews["A1"].value == "* 审核级别 Review level"
    assert reviews["C5"].number_format == "yyyy-mm-dd"
    for name in ("流程步骤", "相关文件", "修订记录", "审核记录"):
        assert wb[name].freeze_panes == "A2"

    guide = wb["填写说明"]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    for needle in (SOP.description, "CRM-CS-2024-005", "V1.0", "V1.1", "V2.0", "初审", "复审", "终审",
                   "原则上", "一般情况下", "≤2小时", "≥95%", "1.1、1.2", "修订原因", "接收客户投诉信息"):
        assert needle in text, needle


def test_sop_dropdowns_and_prompts(template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    info = wb["基本信息"]
    labels = ",".join(k.label for k in KINDS.values())
    assert _list_formula(info, "B3") == f'"{labels}"'
    assert '"标准化服务流程' in _list_formula(info, "B3")
    reviews = wb["审核记录"]
    assert _list_formula(reviews, "A2") == '"初审,复审,终审"'
    assert _list_formula(reviews, "A200") == '"初审,复审,终审"'
    assert _list_formula(reviews, "D2") == '"通过,不通过,需修改"'
    assert _list_formula(reviews, "B2") is None

    doc_id_cell = f"B{_info_row(info, '流程编号')}"
    prompts = {dv.prompt for dv in _validations(info) if doc_id_cell in dv.sqref}
    assert prompts == {SOP.field("doc_id").hint}
    step_prompts = [dv for dv in _validations(wb["流程步骤"]) if "A2" in dv.sqref]
    assert step_prompts and step_prompts[0].showInputMessage
    assert step_prompts[0].prompt == SOP.table("steps").column("number").hint


def test_written_twice_is_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_template(SOP, first)
    write_template(SOP, second)
    assert first.read_bytes() == second.read_bytes()
    assert workbook_bytes(build_template(SOP)) == first.read_bytes()
    assert openpyxl.load_workbook(first).properties.created == datetime(2024, 1, 1)


def test_identical_across_processes(tmp_path: Path) -> None:
    """Another interpreter (other hash seed) writes the same bytes: no set order leaks in."""
    write_all_templates(tmp_path / "here")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    code = ("import sys; from pathlib import Path; from officeflow.workbook_template import "
            "write_all_templates; write_all_templates(Path(sys.argv[1]))")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there")], check=True, env=env,
                   timeout=120)
    for kind in KINDS.values():
        here = (tmp_path / "here" / f"{kind.key}.xlsx").read_bytes()
        assert here == (tmp_path / "there" / f"{kind.key}.xlsx").read_bytes()


def test_committed_templates_are_current(tmp_path: Path) -> None:
    write_all_templates(tmp_path)
    for kind in KINDS.values():
        committed = REPO / "templates" / f"{kind.key}.xlsx"
        assert committed.exists(), f"missing {committed}: run python -m officeflow.workbook_template"
        assert committed.read_bytes() == (tmp_path / f"{kind.key}.xlsx").read_bytes(), (
            f"{committed} is stale: run python -m officeflow.workbook_template templates")


def test_fill_with_seed_000(tmp_path: Path) -> None:
    path = tmp_path / "filled.xlsx"
    fill_template(SOP, SEED_000, path)
    wb = openpyxl.load_workbook(path)
    info = wb["基本信息"]
    assert info["B3"].value == "标准化服务流程"
    assert info.cell(_info_row(info, "流程名称"), 2).value == "客户投诉处理流程"
    doc_id = info.cell(_info_row(info, "流程编号"), 2)
    assert doc_id.value == "CRM-CS-2024-005" and doc_id.data_type == "s"
    assert info.cell(_info_row(info, "版本号"), 2).value == "V2.0"
    effective = info.cell(_info_row(info, "生效日期"), 2)
    assert effective.value == datetime(2024, 8, 1)
    assert effective.number_format == "yyyy-mm-dd"
    assert info.cell(_info_row(info, "适用部门"), 2).value == "客服部、技术部、法务部"

    steps = wb["流程步骤"]
    for row, number in ((2, "1.1"), (3, "1.2"), (4, "1.3")):
        assert steps.cell(row, 1).value == number
        assert steps.cell(row, 1).data_type == "s"
    assert steps["B2"].value == "接收客户投诉信息（电话、邮件、在线表单）"
    assert steps["C3"].value == "客服主管"
    assert steps["F4"].value == "≤10分钟"
    assert steps["A5"].value is None
    assert wb["相关文件"]["B4"].value == "CRM-PO-003"
    revisions = wb["修订记录"]
    assert revisions["A3"].value == "V2.0"
    assert revisions["B3"].value == datetime(2024, 7, 15)
    assert revisions["D3"].value == "紧急投诉未及时升级导致二次投诉"
    reviews = wb["审核记录"]
    assert [reviews.cell(r, 1).value for r in (2, 3, 4)] == ["初审", "复审", "终审"]
    assert reviews["E4"].value == "同意发布"
    # The template's dropdowns and formats survive filling.
    assert _list_formula(reviews, "D2") == '"通过,不通过,需修改"'


def test_filled_template_reads_back(tmp_path: Path) -> None:
    """Template and reader agree: every filled value is found under its key, without findings."""
    path = tmp_path / "filled.xlsx"
    fill_template(SOP, SEED_000, path)
    document = read_workbook(path.read_bytes())
    assert document.kind is SOP
    assert document.findings == []
    assert document.fields["doc_id"].value == "CRM-CS-2024-005"
    assert str(document.fields["doc_id"].where) == f"基本信息!B{3 + SOP.fields.index(SOP.field('doc_id'))}"
    assert [r.values["number"].value for r in document.tables["steps"].rows] == ["1.1", "1.2", "1.3"]
    assert len(document.tables["reviews"].rows) == 3
    assert document.tables["revision_log"].rows[1].values["reason"].value == "紧急投诉未及时升级导致二次投诉"


def test_blank_template_reads_back_empty(template: Path) -> None:
    document = read_workbook(template.read_bytes())
    assert document.kind is SOP
    assert document.findings == []
    assert set(document.fields) == {f.key for f in SOP.fields}
    assert all(not t.rows for t in document.tables.values())


def test_fill_keeps_text_literal(tmp_path: Path) -> None:
    path = tmp_path / "formula.xlsx"
    data = {"fields": {"name": "=HYPERLINK(\"x\")", "version": "V1.10"},
            "tables": {"steps": [{"number": "1.10", "content": "+1 确认"}]}}
    fill_template(SOP, data, path)
    wb = openpyxl.load_workbook(path)
    info = wb["基本信息"]
    name = info.cell(_info_row(info, "流程名称"), 2)
    assert name.value == "=HYPERLINK(\"x\")" and name.data_type == "s"
    assert info.cell(_info_row(info, "版本号"), 2).value == "V1.10"
    assert wb["流程步骤"]["A2"].value == "1.10"
    assert wb["流程步骤"]["B2"].value == "+1 确认"


def test_fill_rejects_unknown_keys(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        fill_template(SOP, {"fields": {"nmae": "x"}}, tmp_path / "x.xlsx")
    with pytest.raises(KeyError):
        fill_template(SOP, {"tables": {"steps": [{"step": "1"}]}}, tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


# A kind with two tables on one sheet and a RACI table (not in the registry).
RISKS = Table("risks", "风险与优化", "Risks and improvements", title="关键风险点", columns=(
    Field("number", "序号", "No.", FieldType.CODE, required=True, width=8),
    Field("risk", "风险描述", "Risk", required=True, width=30),
    Field("measure", "应对措施", "Measure", width=30),
))
PROPOSALS = Table("proposals", "风险与优化", "Risks and improvements", title="优化建议", columns=(
    Field("number", "序号", "No.", FieldType.CODE, required=True, width=8),
    Field("proposal", "建议内容", "Proposal", required=True, width=30),
    Field("effect", "预期效果", "Expected effect", width=30),
))
RACI = Table("raci", "责任矩阵", "RACI", columns=(
    Field("step", "步骤编号", "Step", FieldType.CODE, required=True, width=10),
), extra_columns=Field("role", "角色", "Role", hint="R/A/C/I，可组合如 R/A", width=10))
STACKED = KindSpec("stacked", "测试用流程", BASIC_FIELDS, (RACI, RISKS, PROPOSALS))


def test_stacked_tables_and_extra_columns(tmp_path: Path) -> None:
    wb = build_template(STACKED)
    assert wb.sheetnames == ["填写说明", "基本信息", "责任矩阵", "风险与优化"]
    shared = wb["风险与优化"]
    risks, proposals = (b for b in table_layout(STACKED) if b.sheet == "风险与优化")
    assert shared.cell(risks.title_row, 1).value == "关键风险点"
    assert shared.cell(risks.header_row, 1).value == "* 序号 No."
    assert risks.header_row == risks.title_row + 1
    assert proposals.title_row == risks.last_row + 2  # one blank row between the tables
    assert all(shared.cell(proposals.title_row - 1, c).value is None for c in range(1, 4))
    assert shared.cell(proposals.title_row, 1).value == "优化建议"
    assert shared.cell(proposals.header_row, 2).value == "* 建议内容 Proposal"
    assert shared.cell(risks.first_row, 1).number_format == "@"
    assert shared.freeze_panes is None  # a frozen first header would sit above the second table

    raci = wb["责任矩阵"]
    assert raci["A1"].value == "* 步骤编号 Step"
    extra = [raci.cell(1, c) for c in range(2, 2 + EXTRA_HEADER_CELLS)]
    assert all(c.value is None and c.font.b for c in extra)
    assert any("B1" in dv.sqref and dv.showInputMessage for dv in _validations(raci))

    path = tmp_path / "stacked.xlsx"
    fill_template(STACKED, {"tables": {
        "risks": [{"number": "1", "risk": "投诉升级不及时", "measure": "紧急投诉≤2小时升级"}],
        "proposals": [{"number": "1", "proposal": "上线工单系统", "effect": "响应时间缩短50%"},
                      {"number": "2", "proposal": "月度复盘", "effect": "重复投诉率≤5%"}],
        "raci": [{"step": "1.1", "extra": {"客服专员": "R", "客服主管": "A"}},
                 {"step": "1.2", "extra": {"客服主管": "R/A", "技术部": "C"}}],
    }}, path)
    filled = openpyxl.load_workbook(path)
    assert [filled["责任矩阵"].cell(1, c).value for c in (2, 3, 4)] == ["客服专员", "客服主管", "技术部"]
    assert filled["责任矩阵"]["C3"].value == "R/A"

    document = read_document(filled, STACKED)
    assert document.findings == []
    assert [r.values["risk"].value for r in document.tables["risks"].rows] == ["投诉升级不及时"]
    assert [r.values["proposal"].value for r in document.tables["proposals"].rows] == [
        "上线工单系统", "月度复盘"]
    raci_rows = document.tables["raci"].rows
    assert {k: v.value for k, v in raci_rows[1].extra.items() if v.value} == {
        "客服主管": "R/A", "技术部": "C"}

    with pytest.raises(ValueError):
        fill_template(STACKED, {"tables": {"risks": [{"number": str(i)} for i in range(50)]}},
                      tmp_path / "overflow.xlsx")


def _convert_to_pdf(source: Path, outdir: Path, profile: Path) -> subprocess.CompletedProcess:
    """soffice in its own process group with a private profile; the group is killed on timeout."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed: it is needed to check the template")
    cmd = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
           "--convert-to", "pdf", "--outdir", str(outdir), str(source)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("soffice did not convert the template within 120 s")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.mark.slow
def test_libreoffice_opens_template(tmp_path: Path) -> None:
    source = tmp_path / "sop.xlsx"
    write_template(SOP, source)
    result = _convert_to_pdf(source, tmp_path / "pdf", tmp_path / "profile")
    pdf = tmp_path / "pdf" / "sop.pdf"
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert pdf.exists(), result.stdout.decode(errors="replace")
    assert pdf.read_bytes().startswith(b"%PDF")
    wb = openpyxl.load_workbook(source)
    for name in ("基本信息", "流程步骤", "审核记录"):
        assert _validations(wb[name]), name
