"""The fast reader (lxml over the sheet XML, officeflow.xlsx_grid) against openpyxl's.

Every finding, cell location and parsed value must be the same (issue 15, item 2). Here: the
shipped examples and templates, workbooks built as people fill them (and the same saved the
way Excel saves: shared strings, rich text, 1904 dates, merges), broken and hostile files.
The whole suite can be run through both readers: `pytest -p tests.reader_parity tests/`.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path

import openpyxl
import pytest
from factory import Formula, make_workbook, sop_sheets, write_book
from lxml import etree
from reader_parity import snapshot, took_fast_path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "examples").glob("*.xlsx")) + sorted((ROOT / "templates").glob("*.xlsx"))
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS = {"m": MAIN}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_workbooks_read_the_same_on_the_fast_path(path: Path) -> None:
    data = path.read_bytes()
    assert took_fast_path(data)
    assert snapshot(data, fast=True) == snapshot(data, fast=False)


def merged(path: Path) -> Path:
    """The default workbook with merges as people make them: a label and its value spread."""
    wb = openpyxl.load_workbook(path)
    info, steps = wb["基本信息"], wb["流程步骤"]
    info.insert_cols(2)
    info.merge_cells("A5:B5")  # a label over two columns: its value is in C
    info.merge_cells("C6:E6")
    steps.merge_cells("B2:C2")  # a step's text spilling into the next column
    steps.merge_cells("A3:A4")
    wb.save(path)
    return path


def styled(path: Path) -> Path:
    """Numbers in date, time, duration and custom formats, booleans, numeric-looking text, as
    step cells (read by the steps table) and as the 生效日期 field (a serial shown as a date)."""
    wb = openpyxl.load_workbook(path)
    info, steps = wb["基本信息"], wb["流程步骤"]
    label = next(row[0] for row in info.iter_rows() if row[0].value == "生效日期")
    info.cell(label.row, 2, 45505).number_format = "yyyy/m/d"
    values = [(45500, "yyyy/m/d"), (45500.75, "yyyy-mm-dd hh:mm"), (0.5, "h:mm"), (1.25, "[h]:mm:ss"),
              (3, "0.00"), (12345678901, "@"), (True, "General"), (1e-7, "0.00E+00"), (-1, "yyyy-mm-dd"),
              (45500, '[$-804]yyyy"年"m"月"d"日"'), ("0012", "@"), (time(9, 30), "h:mm"),
              (datetime(2024, 8, 1, 12, 0), "yyyy-mm-dd hh:mm")]
    for row, (value, fmt) in enumerate(values, start=steps.max_row + 1):
        steps.cell(row, 1, f"9.{row}")
        steps.cell(row, 2, value).number_format = fmt
    wb.save(path)
    return path


def builders() -> dict[str, Callable[[Path], Path]]:
    return {
        "valid": lambda d: make_workbook(d),
        "formulas": lambda d: make_workbook(d, fields={"流程名称": Formula("=CONCAT(\"客户\",\"投诉\")"),
                                                        "生效日期": Formula("=TODAY()")}),
        "typed-values": lambda d: make_workbook(d, fields={"版本号": 1.0, "生效日期": "2024/8/1",
                                                            "流程编号": 20240005, "流程负责人": True}),
        "missing-fields": lambda d: make_workbook(d, fields={"流程名称": None, "生效日期": None}),
        "unknown-kind": lambda d: make_workbook(d, fields={"模板类型": "作业指导书"}),
        "blank-and-extra": lambda d: write_book(d / "b.xlsx", {
            **sop_sheets(steps=[["1.1", "受理", "客服专员", "", "", "", ""], [], [None, None, "多余"],
                                ["1.2", "  ", "客服专员", "", "", "", "", "表外内容"]]),
            "备注": [["随便写的"], [None, 1, 2.5]]}),
        "no-steps-sheet": lambda d: write_book(d / "c.xlsx", {
            k: v for k, v in sop_sheets().items() if k != "流程步骤"}),
        "empty-sheets": lambda d: write_book(d / "e.xlsx", {"基本信息": [], "流程步骤": []}),
        "merged": lambda d: merged(make_workbook(d)),
        "styled": lambda d: styled(make_workbook(d)),
    }


def excel_saved(data: bytes, date1904: bool = False) -> bytes:
    """The same workbook as Excel stores it: strings shared (one rich with runs and phonetics)."""
    shared: list[bytes] = []
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                root = etree.fromstring(body)
                for c in root.iterfind(".//m:c[@t='inlineStr']", NS):
                    inline = c.find("m:is", NS)
                    if inline is None:
                        continue  # an empty string cell: left inline
                    c.remove(inline)
                    c.set("t", "s")
                    etree.SubElement(c, f"{{{MAIN}}}v").text = str(len(shared))
                    shared.append(b"".join(etree.tostring(child) for child in inline))
                body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            elif info.filename == "xl/workbook.xml" and date1904:
                body = re.sub(rb"<(\w+:)?workbookPr(?=[\s/>])", rb'<\1workbookPr date1904="1"', body) \
                    if b"workbookPr" in body else body.replace(b"<sheets>", b'<workbookPr date1904="1"/><sheets>')
            elif info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                    b'"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings'
                                    b'+xml"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.'
                                    b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                    b'Target="sharedStrings.xml"/></Relationships>')
            dst.writestr(info, body)
        if shared:  # the first string as rich text (a bold first character) with a phonetic run
            text = etree.fromstring(b"<x xmlns='" + MAIN.encode() + b"'>" + shared[0] + b"</x>").findtext(f"{{{MAIN}}}t")
            shared[0] = (f'<r><rPr><b/></rPr><t>{text[:1]}</t></r><r><t xml:space="preserve">{text[1:]}</t></r>'
                         '<rPh sb="0" eb="1"><t>mo</t></rPh>').encode()
        sst = b"".join(b"<si>" + s + b"</si>" for s in shared)
        dst.writestr("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="' + MAIN.encode()
                     + b'" count="%d" uniqueCount="%d">' % (len(shared), len(shared)) + sst + b"</sst>")
    return out.getvalue()


def with_printer_settings(data: bytes) -> bytes:
    """As Excel saves a sheet whose page was set up: a printerSettings part the sheet refers to."""
    rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/printerSettings" Target="../printerSettings/printerSettings1.bin"/>'
            b"</Relationships>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        dst.writestr("xl/worksheets/_rels/sheet1.xml.rels", rels)
        dst.writestr("xl/printerSettings/printerSettings1.bin", b"\x00" * 64)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(builders()))
@pytest.mark.parametrize("saved_by", ["openpyxl", "excel", "excel-1904", "excel-printer"])
def test_built_workbooks_read_the_same_on_the_fast_path(tmp_path: Path, name: str, saved_by: str) -> None:
    data = builders()[name](tmp_path).read_bytes()
    if saved_by != "openpyxl":
        data = excel_saved(data, date1904=saved_by == "excel-1904")
    if saved_by == "excel-printer":
        data = with_printer_settings(data)
    assert took_fast_path(data)
    assert snapshot(data, fast=True) == snapshot(data, fast=False)


def with_part(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info, change(body) if info.filename == part else body)
    return out.getvalue()


SHEET1 = "xl/worksheets/sheet1.xml"


def unusual() -> dict[str, Callable[[bytes], bytes]]:
    """Workbooks the fast path hands to openpyxl, or that neither reads."""
    link = (b'<hyperlinks><hyperlink ref="A1" r:id="rId9" xmlns:r="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships"/></hyperlinks>')
    comments = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/comments" Target="../comments1.xml"/></Relationships>')
    return {
        "sheet-rels-beyond-printer": lambda d: with_part(
            with_printer_settings(d), "xl/worksheets/_rels/sheet1.xml.rels", lambda _: comments),
        "hyperlink": lambda d: with_part(d, SHEET1, lambda b: b.replace(b"<pageMargins", link + b"<pageMargins")),
        "shared-formula": lambda d: with_part(d, SHEET1, lambda b: b.replace(
            b'<c r="B3" t="inlineStr">', b'<c r="B3"><f t="shared" si="0" ref="B3:B4">A3</f></c><c r="Z3" t="inlineStr">', 1)),
        "style-out-of-range": lambda d: with_part(d, SHEET1, lambda b: b.replace(b'<c r="A1"', b'<c r="A1" s="999"', 1)),
        "bad-number": lambda d: with_part(d, SHEET1, lambda b: re.sub(
            rb'<c r="B5"[^>]*>.*?</c>', b'<c r="B5"><v>abc</v></c>', b, count=1)),
        "doctype": lambda d: with_part(d, "xl/styles.xml", lambda b: b"<!DOCTYPE x [<!ENTITY a 'b'>]>" + b),
        "not-a-zip": lambda d: b"PK\x03\x04" + d[100:2000],
        "not-a-workbook": lambda d: b"hello",
        "bad-sheet-xml": lambda d: with_part(d, SHEET1, lambda b: b[: len(b) // 2]),
        "lowercase-ref": lambda d: with_part(d, SHEET1, lambda b: b.replace(b'<c r="A2"', b'<c r="a2"', 1)),
    }


@pytest.mark.parametrize("name", sorted(unusual()))
def test_unusual_workbooks_read_the_same(tmp_path: Path, name: str) -> None:
    data = unusual()[name](make_workbook(tmp_path).read_bytes())
    assert snapshot(data, fast=True) == snapshot(data, fast=False)


def test_the_unusual_cases_do_leave_the_fast_path(tmp_path: Path) -> None:
    base = make_workbook(tmp_path).read_bytes()
    assert {name: took_fast_path(change(base)) for name, change in unusual().items()} == dict.fromkeys(unusual(), False)


def test_dates_and_epoch_come_out_as_openpyxl_gives_them(tmp_path: Path) -> None:
    data = excel_saved(styled(make_workbook(tmp_path)).read_bytes(), date1904=True)
    fast = snapshot(data, fast=True)
    assert fast[-1] == repr(datetime(1904, 1, 1))
    assert fast == snapshot(data, fast=False)
    assert fast[4]["effective_date"][:2] == ("datetime", repr(datetime(2028, 8, 2)))  # 45505 days after 1904-01-01
