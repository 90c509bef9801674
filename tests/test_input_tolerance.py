"""Input an author really types (issue 11, items 1, 2, 5, 8, 18, 19).

Workbooks are built the way a person fills them: the factory's sheets, the real template
(`fill_template`), and one re-saved through LibreOffice. Findings are asserted whole:
code, severity, sheet!cell and the Chinese message the author reads.
"""

from __future__ import annotations

import copy
import html
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import TODAY
from factory import STEP_HEADER, STEPS, make_workbook, sop_sheets, write_book

from officeflow.annotate import annotate_workbook
from officeflow.archive import plan_paths, sanitize_part
from officeflow.findings import Finding, Severity, error
from officeflow.kinds import KINDS
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import check_workbook
from officeflow.settings import Workspace
from officeflow.workbook_template import fill_template
from officeflow.xlsx_stream import text_cell, xml_safe


def check(path: Path, workspace: Workspace, ledger: SqliteLedger):  # noqa: ANN201 - Checked
    return check_workbook(path.read_bytes(), workspace, ledger, TODAY)


def lines(findings: list[Finding]) -> list[str]:
    """Each finding as the author reads it, with its code and severity."""
    return [f"{f.severity.value} {f.code} {f.located()}" for f in findings]


# ------------------------------------------------------------------ 1. an extra column


def test_extra_headed_column_is_one_warning_on_its_header(tmp_path: Path, workspace: Workspace,
                                                         ledger: SqliteLedger) -> None:
    sheets = sop_sheets()
    sheets["流程步骤"] = [[*STEP_HEADER, "备注"], *([*row, f"备注{i}"] for i, row in enumerate(STEPS))]
    checked = check(write_book(tmp_path / "extra.xlsx", sheets), workspace, ledger)
    assert lines(checked.findings) == [
        "warning table.unknown-column 流程步骤!H1: 列“备注”不是模板中的列，其内容不会进入文件："
        "如需保留，请写入模板中的列；否则可删除该列。",
    ]


# ------------------------------------------------------------------ 2. full-width and v1.0


def test_full_width_codes_numbers_and_dates_are_normalised(tmp_path: Path, workspace: Workspace,
                                                           ledger: SqliteLedger) -> None:
    steps = [["１．１", *STEPS[0][1:]], ["１．２", *STEPS[1][1:]], ["１．３", *STEPS[2][1:]]]
    fields = {"版本号": "Ｖ１.０", "生效日期": "２０２４－０８－０１", "流程编号": "CRM－CS－2024－005",
              "流程目标": "客户投诉２４小时内响应，满意度≥９０%"}
    checked = check(make_workbook(tmp_path, fields=fields, steps=steps), workspace, ledger)
    assert lines(checked.findings) == []
    doc = checked.parsed
    assert (doc.value("version"), str(doc.value("effective_date")), doc.value("doc_id")) == (
        "V1.0", "2024-08-01", "CRM-CS-2024-005")
    assert [row.number for row in doc.rows("steps")] == ["1.1", "1.2", "1.3"]
    assert doc.value("objective") == "客户投诉24小时内响应，满意度≥90%"


def test_lower_case_version_is_read_alike_in_both_sheets(tmp_path: Path, workspace: Workspace,
                                                        ledger: SqliteLedger) -> None:
    revisions = [["v1.0", "2024-01-01", "初稿编写", "新建流程", "王敏", "客服主管"]]
    checked = check(make_workbook(tmp_path, fields={"版本号": "v1.0"}, revisions=revisions),
                    workspace, ledger)
    assert lines(checked.findings) == []
    assert checked.parsed.value("version") == "V1.0"
    assert checked.parsed.rows("revision_log")[0].version == "V1.0"


def test_chinese_punctuation_in_a_code_names_full_width_input(tmp_path: Path, workspace: Workspace,
                                                              ledger: SqliteLedger) -> None:
    checked = check(make_workbook(tmp_path, fields={"版本号": "V1。0"}), workspace, ledger)
    assert lines(checked.findings) == [
        "error cell.full-width 基本信息!B6: “版本号”含中文（全角）标点“。”：请切换到半角（英文）"
        "输入法后重新输入（中文输入法下按 Shift 切换中英文，Shift+空格 切换全角/半角）。",
    ]


# ------------------------------------------------------------------ 5. one mistake, one finding


def test_renamed_info_sheet_is_one_finding_with_the_likely_fix(tmp_path: Path, workspace: Workspace,
                                                               ledger: SqliteLedger) -> None:
    sheets = sop_sheets()
    sheets = {("基本资料" if name == "基本信息" else name): rows for name, rows in sheets.items()}
    checked = check(write_book(tmp_path / "renamed.xlsx", sheets), workspace, ledger)
    assert lines(checked.findings) == [
        "error sheet.renamed 基本资料: 找到工作表“基本资料”，是否应为“基本信息”？请把工作表名改回“基本信息”。",
    ]


def test_renamed_steps_sheet_is_one_finding_with_the_likely_fix(tmp_path: Path, workspace: Workspace,
                                                                ledger: SqliteLedger) -> None:
    sheets = {("步骤" if name == "流程步骤" else name): rows for name, rows in sop_sheets().items()}
    checked = check(write_book(tmp_path / "renamed.xlsx", sheets), workspace, ledger)
    assert lines(checked.findings) == [
        "error sheet.renamed 步骤: 找到工作表“步骤”，是否应为“流程步骤”？请把工作表名改回“流程步骤”。",
    ]


def test_wrong_template_kind_is_one_finding(tmp_path: Path, workspace: Workspace,
                                            ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path, fields={"模板类型": "流程梳理优化"})
    checked = check(path, workspace, ledger)
    assert lines(checked.findings) == [
        "error kind.mismatch 基本信息!B3: 模板类型填写为“流程梳理优化”，但工作簿的工作表与"
        "“标准化服务流程”模板一致：是否应为“标准化服务流程”？",
    ]


def test_raci_letters_with_a_chinese_separator_are_read_as_combined(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    from test_kinds import RACI_DATA

    data = copy.deepcopy(RACI_DATA)
    data["tables"]["raci"][4]["extra"] = {"客服专员": "R、A", "客服主管": "I"}
    path = tmp_path / "raci.xlsx"
    fill_template(KINDS["optimization"], data, path)
    checked = check(path, workspace, ledger)
    assert lines([f for f in checked.findings if f.severity is Severity.ERROR]) == []
    assert checked.parsed.rows("raci")[4].extra["客服专员"] == "R/A"


def test_150_numeric_step_numbers_fold_into_one_finding_with_a_range(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    steps = [[float(f"{1 + i // 9}.{1 + i % 9}"), f"操作{i}", "客服专员"] for i in range(150)]
    checked = check(make_workbook(tmp_path, steps=steps), workspace, ledger)
    assert lines(checked.findings) == [
        "error cell.numeric-code 流程步骤!A2:A151: “步骤编号”被 Excel 存成了数字（如 1.10 会变成 1.1）："
        "请把该单元格设为“文本”格式后重新输入。",
    ]


def test_findings_are_listed_in_workbook_order(tmp_path: Path, workspace: Workspace,
                                               ledger: SqliteLedger) -> None:
    revisions = [["V1.0", "2024-02-30", "初稿", "新建流程", "王敏", "主管"]]
    related = [["《客户投诉登记表》", "CRM-TAB-001"], ["《服务质量考核办法》", "CRM-TAB-001"]]
    path = make_workbook(tmp_path, fields={"生效日期": "下周一"}, revisions=revisions, related=related)
    sheets = [f.sheet for f in check(path, workspace, ledger).findings]
    assert list(dict.fromkeys(sheets)) == ["基本信息", "相关文件", "修订记录"]


# ------------------------------------------------------------------ 8. hidden rows


def _hide_rows(path: Path, sheet: str, rows: list[int]) -> Path:
    wb = openpyxl.load_workbook(path)
    for row in rows:
        wb[sheet].row_dimensions[row].hidden = True
    wb.save(path)
    return path


def test_hidden_step_rows_are_one_warning_per_run(tmp_path: Path, workspace: Workspace,
                                                  ledger: SqliteLedger) -> None:
    steps = [*STEPS, ["1.4", "回访客户", "客服专员"], ["1.5", "归档", "客服专员"]]
    path = _hide_rows(make_workbook(tmp_path, steps=steps), "流程步骤", [3, 4, 6])
    message = "该行在 Excel 中被隐藏，但仍会发布到文件中：请取消隐藏核对内容，不需要的行请删除。"
    assert lines(check(path, workspace, ledger).findings) == [
        f"warning table.hidden-row 流程步骤!A3:A4: {message}",
        f"warning table.hidden-row 流程步骤!A6: {message}",
    ]


@pytest.mark.slow
def test_template_resaved_by_libreoffice_keeps_extra_column_and_hidden_row_notices(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    from test_identity import resave_with_libreoffice
    from test_kinds import BY_KIND

    original = tmp_path / "filled.xlsx"
    fill_template(KINDS["sop"], BY_KIND["sop"], original)
    wb = openpyxl.load_workbook(original)
    ws = wb["流程步骤"]
    header = next(r for r in range(1, 10) if ws.cell(r, 1).value and "步骤编号" in str(ws.cell(r, 1).value))
    added = ws.max_column + 1
    ws.cell(header, added, "重点步骤")
    ws.cell(header + 1, added, "是")  # the author marks a key step in the added column
    ws.row_dimensions[header + 2].hidden = True
    wb.save(original)
    resaved = resave_with_libreoffice(original, tmp_path)
    findings = check(resaved, workspace, ledger).findings
    ours = [f for f in findings if f.code in ("table.unknown-column", "table.hidden-row")]
    column = f"{chr(ord('A') + ws.max_column - 1)}{header}"
    assert lines(ours) == [
        f"warning table.unknown-column 流程步骤!{column}: 列“重点步骤”不是模板中的列，其内容不会进入文件："
        "如需保留，请写入模板中的列；否则可删除该列。",
        f"warning table.hidden-row 流程步骤!A{header + 2}: 该行在 Excel 中被隐藏，但仍会发布到文件中："
        "请取消隐藏核对内容，不需要的行请删除。",
    ]
    assert not any(f.code == "table.cell-without-header" for f in findings)


# ------------------------------------------------------------------ 18. _xHHHH_ escapes


def _as_excel_stores(path: Path, typed: dict[str, str]) -> Path:
    """Each marker's inline cell turned into a shared string stored as Excel writes it.

    openpyxl writes inline strings; Excel writes sharedStrings.xml, where a control character
    typed in a cell is `_x0007_` and typed text that looks like an escape is `_x005F_x0041_`.
    """
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    strings = []
    for marker, stored in typed.items():
        inline = f'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t>{marker}</t></is></c>'.encode()
        [name] = [n for n, data in parts.items() if re.search(inline, data)]
        shared = f'<c r="\\1" t="s"><v>{len(strings)}</v></c>'.encode()
        parts[name] = re.sub(inline, shared, parts[name])
        strings.append(f"<si><t>{stored}</t></si>")
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts["xl/sharedStrings.xml"] = (f'<sst xmlns="{main}" count="{len(strings)}" '
                                     f'uniqueCount="{len(strings)}">{"".join(strings)}</sst>').encode()
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{content_type}"/></Types>'.encode())
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", f'<Relationship Id="rIdSST" Type="{rel}" Target="sharedStrings.xml"/>'
                             "</Relationships>".encode())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


@pytest.mark.parametrize("fast", [True, False])
def test_excel_control_escapes_are_decoded_and_cleaned(tmp_path: Path, fast: bool) -> None:
    from officeflow.model import parse_document
    from officeflow.reader import read_workbook

    path = make_workbook(tmp_path, fields={"流程目标": "GOAL", "适用范围": "SCOPE"})
    _as_excel_stores(path, {"GOAL": "响应_x0007_及时", "SCOPE": "全部_x000D__x000A_客户_x005F_x0041_"})
    raw = read_workbook(path.read_bytes(), fast=fast)
    doc = parse_document(raw, raw.epoch)
    assert (doc.value("objective"), doc.value("scope")) == ("响应及时", "全部\n客户_x0041_")


def test_register_writer_escapes_text_that_looks_like_an_escape() -> None:
    assert text_cell("A1", 0, "_x0041_ 与 _X0041_") == (
        '<c r="A1" s="0" t="inlineStr"><is><t>_x005F_x0041_ 与 _x005F_X0041_</t></is></c>')


def test_returned_workbook_keeps_what_the_author_typed(tmp_path: Path) -> None:
    path = make_workbook(tmp_path, fields={"流程负责人": "OWNER", "流程目标": "GOAL"})
    _as_excel_stores(path, {"OWNER": "_x005F_x0041_王敏", "GOAL": "响应_x0007_及时"})
    finding = error("field.invalid", "测试", None)
    marked = annotate_workbook(path.read_bytes(), [finding])
    assert marked is not None
    info = zipfile.ZipFile(io.BytesIO(marked)).read("xl/worksheets/sheet1.xml").decode()
    stored = [html.unescape(text) for text in re.findall(r"<t>(.*?)</t>", info)]
    assert "_x005F_x0041_王敏" in stored  # Excel shows `_x0041_王敏`, as typed
    assert "响应_x0007_及时" in stored  # Excel's own escape of a control character, kept


# ------------------------------------------------------------------ 19. limits as Excel and the file system count


def test_register_cell_is_cut_at_32767_utf16_units_never_mid_character() -> None:
    cut = xml_safe("😀" * 20_000)
    assert len(cut.encode("utf-16-le")) // 2 == 32_766
    assert cut == "😀" * 16_383


def test_eighty_emoji_department_fits_the_file_system(tmp_path: Path) -> None:
    part = sanitize_part("😀" * 80)
    assert len(part.encode("utf-8")) <= 200 and part == "😀" * 50
    paths = plan_paths("质量管理类", "😀" * 80, TODAY, "QA-IQC-2024-004", "V1.0")
    target = tmp_path / paths.manifest
    target.parent.mkdir(parents=True)
    target.write_text("{}", encoding="utf-8")  # no "File name too long"
    assert target.read_text(encoding="utf-8") == "{}"
