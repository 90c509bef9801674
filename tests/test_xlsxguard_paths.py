"""The guard's two ways through a part (issue 15, item 2): parsed whole by lxml, its tree kept
for the reader, or streamed by defusedxml. Whatever the file, both must refuse or pass it with
the same finding, word for word; an ordinary workbook must take the parsed way."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from factory import make_workbook
from hypothesis import given
from hypothesis import strategies as st

from officeflow import xlsxguard
from officeflow.reader_guard import Unreadable, check_container
from officeflow.text import label_keys, match_label, normalise_label

SHEET = "xl/worksheets/sheet2.xml"  # 流程步骤
WORKBOOK = "xl/workbook.xml"
LAUGHS = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
BOMB = f'<!DOCTYPE lolz [<!ENTITY lol0 "lol">{LAUGHS}]>'
CORRUPT = "无法读取工作簿（{}），请用 Excel 打开检查后重新保存提交。"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_workbook(tmp_path_factory.mktemp("g"), "g.xlsx").read_bytes()


def replaced(data: bytes, part: str, edit: Callable[[bytes], bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info, edit(body) if info.filename == part else body)
    return out.getvalue()


def outcome(data: bytes) -> str:
    try:
        parsed = check_container(data)
    except Unreadable as refused:
        return "\n".join(f"{f.where.sheet if f.where else ''}: {f.message}" for f in refused.findings)
    return "passed, parsed whole: " + ", ".join(sorted(parsed))


def both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    parsed_way = outcome(data)
    with monkeypatch.context() as patch:
        patch.setattr(xlsxguard, "KEEP_XML_BYTES", 0)  # every part streamed, as before lxml
        streamed_way = outcome(data)
    return parsed_way, streamed_way


def test_an_ordinary_workbook_is_parsed_once_and_its_trees_go_to_the_reader(book: bytes) -> None:
    assert outcome(book) == ("passed, parsed whole: [Content_Types].xml, xl/_rels/workbook.xml.rels, "
                             "xl/workbook.xml, xl/worksheets/sheet1.xml, xl/worksheets/sheet2.xml, "
                             "xl/worksheets/sheet3.xml, xl/worksheets/sheet4.xml, xl/worksheets/sheet5.xml")


def test_parts_beyond_the_kept_bytes_are_streamed(book: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsxguard, "KEEP_XML_BYTES", 4000)
    assert outcome(book) == ("passed, parsed whole: [Content_Types].xml, xl/_rels/workbook.xml.rels, "
                             "xl/workbook.xml")


def _sheet(text: str) -> Callable[[bytes], bytes]:
    """The sheet's XML with `text` put where `<sheetData>` was."""
    return lambda body: body.replace(b"<sheetData>", text.encode("utf-8"), 1)


def _declared(prolog: str) -> Callable[[bytes], bytes]:
    return lambda body: prolog.encode("utf-8") + body.split(b"?>", 1)[-1]


def _deep(levels: int) -> str:
    return "<sheetData>" + '<row r="1"><c r="A1"><is>' + "<x>" * levels + "</x>" * levels + "</is></c></row>"


FOUND = {
    "cells beyond the columns": (SHEET, _sheet('<sheetData><row r="1"><c r="GS1"/></row>'),
                                 "流程步骤: 工作表“流程步骤”的单元格 GS1 超出行列上限（5000 行、200 列），"
                                 "请删除多余的行列后重新提交。"),
    "a merge before the cells": (SHEET, _sheet('<mergeCells><mergeCell ref="A1:A9999"/></mergeCells><sheetData>'),
                                 "流程步骤: 工作表“流程步骤”的合并单元格 A1:A9999 超出行列上限（5000 行、200 列），"
                                 "已拒收：请取消该合并后重新提交。"),
    "an invalid merge": (SHEET, _sheet('<mergeCells><mergeCell ref="A1:B"/></mergeCells><sheetData>'),
                         "流程步骤: 工作表“流程步骤”的合并单元格“A1:B”无效，请在 Excel 中取消该合并后重新保存提交。"),
    "a limit crossed, then broken XML": (SHEET, lambda b: _sheet('<sheetData><row r="9999"><c/></row>')(b)[:-40],
                                         "流程步骤: 工作表“流程步骤”的单元格  超出行列上限（5000 行、200 列），"
                                         "请删除多余的行列后重新提交。"),
    "a billion laughs in a sheet": (SHEET, _declared(BOMB), ": " + CORRUPT.format("EntitiesForbidden")),
    "a billion laughs in the workbook": (WORKBOOK, _declared(BOMB), ": " + CORRUPT.format("EntitiesForbidden")),
    "an external entity": (SHEET, _declared('<!DOCTYPE w [<!ENTITY e SYSTEM "file:///etc/passwd">]>'),
                           ": " + CORRUPT.format("EntitiesForbidden")),
    "broken XML": (SHEET, lambda body: body[:-30], ": " + CORRUPT.format("ParseError")),
    "a name of XML's 5th edition only": (SHEET, _sheet("<sheetData><x\U00010000/>"), ": " + CORRUPT.format("ParseError")),
    "a row numbered in superscript": (SHEET, _sheet('<sheetData><row r="²"/>'), ": " + CORRUPT.format("ValueError")),
    "GBK": (WORKBOOK, lambda body: _declared('<?xml version="1.0" encoding="GBK"?>')(body.decode("utf-8").encode("gbk")),
            ": " + CORRUPT.format("ValueError")),
}
STREAMED = {
    "an external DTD, never fetched": (SHEET, _declared('<!DOCTYPE worksheet SYSTEM "http://127.0.0.1:9/w.dtd">')),
    "a DOCTYPE without entities": (SHEET, _declared("<!DOCTYPE worksheet>")),
    "XML 1.1": (WORKBOOK, _declared('<?xml version="1.1"?>')),
    "UTF-16": (SHEET, lambda body: body.decode("utf-8").encode("utf-16")),
    "300 levels deep (over libxml2's 256)": (SHEET, _sheet(_deep(300))),
    "a Chinese element name": (SHEET, _sheet("<sheetData><数据/>")),
}


@pytest.mark.parametrize("case", sorted(FOUND))
def test_a_refused_file_is_refused_alike_both_ways(case: str, book: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    part, edit, message = FOUND[case]
    assert both_ways(replaced(book, part, edit), monkeypatch) == (message, message)


@pytest.mark.parametrize("case", sorted(STREAMED))
def test_an_unusual_part_passes_streamed_and_is_not_handed_on(case: str, book: bytes,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    part, edit = STREAMED[case]
    parsed_way, streamed_way = both_ways(replaced(book, part, edit), monkeypatch)
    assert streamed_way == "passed, parsed whole: "
    kept = [p for p in ("xl/_rels/workbook.xml.rels", WORKBOOK, "xl/worksheets/sheet1.xml", SHEET,
                        "xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml", "xl/worksheets/sheet5.xml")
            if p != part]
    assert parsed_way == "passed, parsed whole: [Content_Types].xml, " + ", ".join(kept)


def test_a_row_number_in_other_digits_passes_both_ways(book: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    data = replaced(book, SHEET, _sheet('<sheetData><row r="٣"/>'))  # Arabic-Indic 3: int() takes it
    assert both_ways(data, monkeypatch) == (outcome(book), "passed, parsed whole: ")


def _scan(cell_text: str, index: dict[str, str]) -> str | None:
    """match_label as it was: every label of the index tried in turn."""
    norm = normalise_label(cell_text)
    if not norm:
        return None
    if norm in index:
        return index[norm]
    for label, key in index.items():
        if label and not label.isascii() and norm.startswith(label) and norm[len(label):].isascii():
            return key
    return None


WORDS = st.text(alphabet="流程编号版本ID id:（）() *Process-_步骤", max_size=8)


@given(labels=st.lists(st.tuples(WORDS, WORDS), max_size=6), cells=st.lists(WORDS, max_size=10))
def test_match_label_finds_what_a_scan_of_the_index_finds(labels: list[tuple[str, str]], cells: list[str]) -> None:
    index: dict[str, str] = {}
    for number, (label, alias) in enumerate(labels):
        index.update(dict.fromkeys(label_keys(label, alias), f"k{number}"))
    for text in cells + [label + tail for label, _ in labels for tail in ("", "ID", " id", "x1")]:
        assert match_label(text, index) == _scan(text, index), (text, index)
