"""Tests for the master register export: real .xlsx files read back with openpyxl."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest

from officeflow import register, xlsx_stream
from officeflow.register import RegisterRow, display_width, export_register

TODAY = date(2025, 3, 1)
MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

EXPECTED_HEADERS = [
    "流程编号", "流程名称", "模板类型", "版本号", "状态", "生效日期", "失效日期", "流程类别",
    "主责部门", "流程负责人", "终审人", "下次回顾日期", "文档链接", "源文件", "SHA-256", "接收时间",
    "废止原因",
]  # fmt: skip

DOC_PATH = "客户服务类/客服部/2024-08-01/CRM-CS-2024-005_V2.0.docx"
SRC_PATH = "客户服务类/客服部/2024-08-01/CRM-CS-2024-005_V2.0.xlsx"
SHA = "0f" * 32

INJECTIONS = [
    "=1+1",
    "+SUM(A1:A9)",
    "-2+3",
    "@SUM(A1)",
    '=HYPERLINK("http://evil.example","点我")',
    "=cmd|' /C calc'!A0",
    "a<b & c>d",
    "{{ name }}",
    "<f>1</f>",
]


def make_row(**changes: object) -> RegisterRow:
    row = RegisterRow(
        doc_id="CRM-CS-2024-005",
        name="客户投诉处理流程",
        kind_label="标准化服务流程",
        version="V2.0",
        status="现行有效",
        effective_date=date(2024, 8, 1),
        expiry_date=None,
        category="客户服务类",
        department="客服部",
        owner="张伟",
        approver="李娜",
        next_review_date=date(2025, 2, 1),
        document_path=DOC_PATH,
        source_path=SRC_PATH,
        sha256=SHA,
        received_at=datetime(2024, 7, 30, 9, 15, 3),
    )
    return replace(row, **changes)  # type: ignore[arg-type]


def sample_rows() -> list[RegisterRow]:
    """Three versions of one document plus a withdrawn and a pending one."""
    return [
        make_row(),
        make_row(
            version="V1.1",
            status="已失效",
            effective_date=date(2023, 5, 10),
            expiry_date=date(2024, 8, 1),
            next_review_date=None,
            document_path="客户服务类/客服部/2023-05-10/CRM-CS-2024-005_V1.1.docx",
        ),
        make_row(
            doc_id="HR-TR-2024-012",
            name="新员工入职培训流程",
            status="已废止",
            department="人力资源部",
            category="人力资源类",
            next_review_date=date(2025, 3, 20),
        ),
        make_row(
            doc_id="CSC-2024-001",
            name="门店巡检服务标准",
            status="待生效",
            effective_date=date(2025, 4, 1),
            next_review_date=date(2025, 10, 1),
        ),
        make_row(
            doc_id="QM-QA-2024-003", name="质量异常闭环管理流程", next_review_date=date(2025, 3, 15)
        ),
    ]


def export(tmp_path: Path, rows: list[RegisterRow]) -> tuple[Path, openpyxl.Workbook]:
    path = tmp_path / "流程文件总台账.xlsx"
    assert export_register(rows, path, today=TODAY) == len(rows)
    return path, openpyxl.load_workbook(path)


def sheet_xml(path: Path, number: int = 1) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(f"xl/worksheets/sheet{number}.xml").decode("utf-8")


def test_header_row_is_exact(tmp_path: Path) -> None:
    _, wb = export(tmp_path, [make_row()])
    ws = wb["总台账"]
    assert ws["A1"].value == "流程编号"
    assert ws["P1"].value == "接收时间"
    assert ws["Q1"].value == "废止原因"
    assert [cell.value for cell in ws[1]] == EXPECTED_HEADERS
    assert ws["A1"].font.b is True
    assert ws["A1"].fill.fgColor.rgb == "FFD9E1F2"


def test_row_values_land_in_exact_cells(tmp_path: Path) -> None:
    _, wb = export(tmp_path, [make_row()])
    ws = wb["总台账"]
    assert [ws.cell(2, col).value for col in (1, 2, 3, 4, 5)] == [
        "CRM-CS-2024-005",
        "客户投诉处理流程",
        "标准化服务流程",
        "V2.0",
        "现行有效",
    ]
    assert ws["F2"].value == datetime(2024, 8, 1)
    assert ws["G2"].value is None  # no 失效日期 yet
    assert [ws[ref].value for ref in ("H2", "I2", "J2", "K2")] == [
        "客户服务类",
        "客服部",
        "张伟",
        "李娜",
    ]
    assert ws["L2"].value == datetime(2025, 2, 1)
    assert ws["M2"].value == "CRM-CS-2024-005_V2.0.docx"
    assert ws["N2"].value == SRC_PATH
    assert ws["O2"].value == SHA
    assert ws["P2"].value == datetime(2024, 7, 30, 9, 15, 3)
    assert ws.max_row == 2


def test_dates_are_real_excel_dates(tmp_path: Path) -> None:
    path, wb = export(tmp_path, [make_row()])
    ws = wb["总台账"]
    for ref in ("F2", "L2"):
        assert ws[ref].is_date
        assert ws[ref].number_format == "yyyy-mm-dd"
    assert ws["P2"].is_date
    assert ws["P2"].number_format == "yyyy-mm-dd hh:mm:ss"
    # Stored as day numbers, not text: 2024-08-01 is day 45505 in Excel's 1900 system.
    assert re.search(r'<c r="F2" s="\d+"><v>45505</v></c>', sheet_xml(path))


def test_frozen_header_filter_and_widths(tmp_path: Path) -> None:
    rows = sample_rows()
    _, wb = export(tmp_path, rows)
    ws = wb["总台账"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:Q{len(rows) + 1}"
    # CJK text counts double: 质量异常闭环管理流程 (10 characters) needs 20+ units.
    assert ws.column_dimensions["B"].width >= 20
    assert ws.column_dimensions["O"].width <= 20  # hashes are capped, not 64 wide
    for letter in "ABCDEFGHIJKLMNOP":
        assert ws.column_dimensions[letter].width >= 8


def test_display_width_counts_cjk_double() -> None:
    assert display_width("abc") == 3
    assert display_width("流程名称") == 8
    assert display_width("V2.0 版本") == 9


def test_document_link_is_relative_hyperlink(tmp_path: Path) -> None:
    odd = "质量管理类/质量部/2024-09-01/QM #1 审核?.docx"
    path, wb = export(tmp_path, [make_row(), make_row(document_path=odd)])
    ws = wb["总台账"]
    assert ws["M2"].hyperlink.target == DOC_PATH
    assert ws["M2"].font.u == "single"
    # Spaces, # and ? would break the link as typed; CJK stays readable.
    assert ws["M3"].hyperlink.target == "质量管理类/质量部/2024-09-01/QM%20%231%20审核%3F.docx"
    assert ws["M3"].value == "QM #1 审核?.docx"
    with zipfile.ZipFile(path) as zf:
        rels = zf.read("xl/worksheets/_rels/sheet1.xml.rels").decode("utf-8")
    assert f'Target="{DOC_PATH}" TargetMode="External"' in rels
    assert "file:" not in rels and "/tmp" not in rels  # relative: the archive can move


def test_formula_injection_stays_literal_text(tmp_path: Path) -> None:
    rows = [
        make_row(doc_id=text, name=text, owner=text, approver=text, department=text, version=text)
        for text in INJECTIONS
    ]
    path, wb = export(tmp_path, rows)
    ws = wb["总台账"]
    for row_number, text in enumerate(INJECTIONS, start=2):
        for ref in ("A", "B", "D", "I", "J", "K"):
            cell = ws[f"{ref}{row_number}"]
            assert cell.value == text
            assert cell.data_type == "s"
    for number in (1, 2):  # 总台账 and 现行有效 both carry these rows
        root = ElementTree.fromstring(sheet_xml(path, number))
        assert root.findall(f".//{MAIN_NS}f") == []
        cells = root.findall(f".//{MAIN_NS}c")
        assert all(c.get("t") in (None, "inlineStr") for c in cells)
    # Formula-looking text in openpyxl's own formula view must be plain strings too.
    formula_wb = openpyxl.load_workbook(path, data_only=False)
    assert formula_wb["总台账"]["B2"].value == "=1+1"
    assert formula_wb["总台账"]["B2"].data_type == "s"


def test_empty_register_is_still_a_valid_workbook(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    assert export_register([], path, today=TODAY) == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["总台账", "现行有效", "定期回顾提醒"]
    ws = wb["总台账"]
    assert ws.max_row == 1
    assert [cell.value for cell in ws[1]] == EXPECTED_HEADERS
    assert ws.auto_filter.ref == "A1:Q1"
    assert ws.freeze_panes == "A2"
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert "xl/worksheets/_rels/sheet1.xml.rels" not in zf.namelist()


def test_control_characters_are_stripped_not_fatal(tmp_path: Path) -> None:
    dirty = "a\x00b\x07c\x0bd\r\ne\ud800f\uffff\x1f"
    _, wb = export(
        tmp_path, [make_row(name=dirty, owner="\x1b张伟\x08", document_path=f"x/{dirty}.docx")]
    )
    ws = wb["总台账"]
    assert ws["B2"].value == "abc\nd\nef"
    assert ws["J2"].value == "张伟"
    assert ws["M2"].value == "abc\nd\nef.docx"


def test_surrounding_spaces_are_kept(tmp_path: Path) -> None:
    _, wb = export(tmp_path, [make_row(name="  前后有空格 ")])
    assert wb["总台账"]["B2"].value == "  前后有空格 "


def test_status_colours_and_superseded_rows(tmp_path: Path) -> None:
    _, wb = export(tmp_path, sample_rows())
    ws = wb["总台账"]
    fills = {ws[f"E{n}"].value: ws[f"E{n}"].fill.fgColor.rgb for n in range(2, 6)}
    assert fills == {
        "现行有效": "FFC6EFCE",
        "已失效": "FFE7E6E6",
        "已废止": "FFFFC7CE",
        "待生效": "FFDDEBF7",
    }
    assert ws["E3"].font.strike is True  # 已失效
    assert ws["E2"].font.strike is not True
    # A superseded version's whole row is greyed out; the current one is not.
    assert ws["B3"].font.color.rgb == "FF808080"
    assert ws["B2"].font.color is None
    # Overdue review of a current version (2025-02-01 < today) is flagged red.
    assert ws["L2"].font.color.rgb == "FF9C0006"
    assert ws["L6"].font.color is None  # 2025-03-15 is not overdue yet


def test_current_and_review_sheets(tmp_path: Path) -> None:
    _, wb = export(tmp_path, sample_rows())
    assert wb.sheetnames == ["总台账", "现行有效", "定期回顾提醒"]
    current = wb["现行有效"]
    assert [cell.value for cell in current[1]] == EXPECTED_HEADERS
    assert [current[f"A{n}"].value for n in range(2, current.max_row + 1)] == [
        "CRM-CS-2024-005",
        "QM-QA-2024-003",
    ]
    assert {current[f"E{n}"].value for n in range(2, current.max_row + 1)} == {"现行有效"}
    assert current["M2"].hyperlink.target == DOC_PATH
    assert current.freeze_panes == "A2"
    assert current.auto_filter.ref == "A1:Q3"
    # Due within 30 days of 2025-03-01 or overdue, soonest first; withdrawn ones never.
    review = wb["定期回顾提醒"]
    assert [(review[f"A{n}"].value, review[f"L{n}"].value) for n in (2, 3)] == [
        ("CRM-CS-2024-005", datetime(2025, 2, 1)),
        ("QM-QA-2024-003", datetime(2025, 3, 15)),
    ]
    assert review.max_row == 3


def test_generator_input_and_row_count(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    count = export_register((make_row(doc_id=f"HR-TR-2024-{n:03d}") for n in range(1, 8)), path)
    assert count == 7
    ws = openpyxl.load_workbook(path)["总台账"]
    assert ws["A8"].value == "HR-TR-2024-007"


def test_datetimes_in_date_fields_are_accepted(tmp_path: Path) -> None:
    row = make_row(
        effective_date=datetime(2024, 8, 1, 0, 0), next_review_date=datetime(2025, 3, 2, 8, 0)
    )
    _, wb = export(tmp_path, [row])
    assert wb["总台账"]["F2"].value == datetime(2024, 8, 1)
    assert wb["定期回顾提醒"]["L2"].value == datetime(2025, 3, 2, 8, 0)


def test_links_beyond_excel_limit_become_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_stream, "MAX_LINKS_PER_SHEET", 2)
    rows = [make_row(document_path=f"a/{n}.docx") for n in range(3)]
    _, wb = export(tmp_path, rows)
    ws = wb["总台账"]
    assert [ws[f"M{n}"].hyperlink.target for n in (2, 3)] == ["a/0.docx", "a/1.docx"]
    assert ws["M4"].hyperlink is None
    assert ws["M4"].value == "a/2.docx"  # the whole relative path, so it can still be found


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "register.xlsx"
    export_register([make_row()], path, today=TODAY)
    before = path.read_bytes()

    def crash(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(register, "write_workbook", crash)
    with pytest.raises(RuntimeError):
        export_register([make_row(name="新名称")], path, today=TODAY)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["register.xlsx"]  # no temp left


def test_export_replaces_previous_register(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    export_register(sample_rows(), path, today=TODAY)
    export_register([make_row(name="新名称")], path, today=TODAY)
    ws = openpyxl.load_workbook(path)["总台账"]
    assert ws.max_row == 2
    assert ws["B2"].value == "新名称"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["register.xlsx"]


def test_invalid_sheet_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sheet name"):
        register.write_workbook(tmp_path / "x.xlsx", [register.RegisterSheet("a/b", [])], TODAY)


@pytest.mark.slow
def test_libreoffice_converts_register(tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed; the register check needs it")
    rows = [make_row(name="=1+1 客户投诉<处理>&流程"), *sample_rows()[1:]]
    path, _ = export(tmp_path, rows)
    out = tmp_path / "csv"
    profile = (tmp_path / "lo-profile").as_uri()  # private profile: parallel runs don't clash
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",  # comma, quote, UTF-8, from row 1
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    converted = out / f"{path.stem}.csv"
    assert result.returncode == 0, result.stderr
    assert converted.exists(), f"no CSV produced: {result.stdout} {result.stderr}"
    with converted.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == EXPECTED_HEADERS
    assert len(table) == len(rows) + 1
    first = table[1]
    assert first[0] == "CRM-CS-2024-005"
    assert first[1] == "=1+1 客户投诉<处理>&流程"  # literal text, not evaluated to 2
    assert first[5] == "2024-08-01"  # a real date shown with the yyyy-mm-dd format
    assert first[12] == "CRM-CS-2024-005_V2.0.docx"
    assert first[15] == "2024-07-30 09:15:03"


def test_table_sheet_beside_the_register(tmp_path: Path) -> None:
    """A plain TableSheet: typed cells, the header style, frozen header and filter, any width."""
    columns = (("流水号", "text", 20), ("发放日期", "date", 12), ("打印时间", "datetime", 20)) + tuple(
        (f"列{n}", "text", 8) for n in range(4, 29)
    )  # 28 columns: past Z into AA, AB
    rows = [
        ("CRM-CS-2024-005-V2.0-001", date(2024, 8, 1), datetime(2024, 8, 1, 9, 30), *["x"] * 24, "末"),
        ("=1+1", None, "未打印", *[None] * 25),
    ]
    path = tmp_path / "register.xlsx"
    extra = register.TableSheet("培训副本发放", columns, rows)
    export_register([make_row()], path, today=TODAY, extra_sheets=[extra])
    wb = openpyxl.load_workbook(path)
    ws = wb["培训副本发放"]
    assert wb.sheetnames == ["总台账", "现行有效", "定期回顾提醒", "培训副本发放"]
    assert [c.value for c in ws[1]] == [header for header, _, _ in columns]
    assert ws["AB1"].value == "列28"
    assert ws["AB1"].font.b is True
    assert [c.value for c in ws[2]][:3] == ["CRM-CS-2024-005-V2.0-001", datetime(2024, 8, 1), datetime(2024, 8, 1, 9, 30)]
    assert ws["AB2"].value == "末"
    assert [c.value for c in ws[3]][:4] == ["=1+1", None, "未打印", None]
    assert ws["A3"].data_type == "s"  # literal text, never a formula
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:AB3"
    assert ws.column_dimensions["AB"].width == 8
    wb.close()
