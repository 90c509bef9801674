"""Returned workbooks: findings marked on their cells in a copy, and the text report."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import openpyxl
from conftest import TODAY
from factory import STEPS, make_workbook

from officeflow.annotate import ERROR_FILL, annotate_workbook, format_report
from officeflow.findings import CellRef, error, warning
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import check_workbook
from officeflow.settings import Workspace


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_every_finding_is_a_comment_on_its_cell(tmp_path: Path, workspace: Workspace,
                                                ledger: SqliteLedger) -> None:
    steps = [STEPS[0], ["1.3", *STEPS[1][1:]], STEPS[2]]
    path = make_workbook(tmp_path, fields={"流程编号": "bad-id"}, steps=steps)
    original = path.read_bytes()
    findings = check_workbook(original, workspace, ledger, TODAY).findings
    located = [f for f in findings if f.cell]
    assert {str(f.where) for f in located} >= {"基本信息!B5", "流程步骤!A3"}

    wb = load(annotate_workbook(original, findings) or b"")
    for finding in located:
        cell = wb[finding.sheet][finding.cell]
        assert cell.comment is not None, finding
        assert finding.message in cell.comment.text
        assert cell.comment.author == "officeflow"
        assert cell.fill.fgColor.rgb.endswith(ERROR_FILL.fgColor.rgb[-6:])
    assert wb["基本信息"]["B5"].value == "bad-id"  # values untouched
    assert wb["基本信息"]["B6"].comment is None  # no finding there, no mark
    assert path.read_bytes() == original  # the user's file is never modified


def test_findings_without_a_cell_go_to_a_note_on_the_first_sheet(tmp_path: Path) -> None:
    data = make_workbook(tmp_path).read_bytes()
    findings = [error("sheet.missing", "缺少工作表“审核记录”，请按模板补上。"),
                warning("sheet.too-large", "工作表太大。", CellRef("流程步骤")),
                error("field.invalid", "这里错了。", CellRef("基本信息", "B4")),
                warning("field.vague", "这里含糊。", CellRef("基本信息", "B4"))]
    wb = load(annotate_workbook(data, findings) or b"")
    note = wb.worksheets[0]["A1"].comment.text
    assert "缺少工作表“审核记录”" in note and "流程步骤：【警告】工作表太大。" in note
    both = wb["基本信息"]["B4"].comment.text
    assert both == "【错误】这里错了。\n【警告】这里含糊。"


def test_merged_cell_is_marked_on_its_top_left(tmp_path: Path) -> None:
    path = make_workbook(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["基本信息"].merge_cells("B4:D4")
    wb.save(path)
    marked = load(annotate_workbook(path.read_bytes(), [error("x", "合并单元格。", CellRef("基本信息", "C4"))])
                  or b"")
    assert marked["基本信息"]["B4"].comment.text == "【错误】合并单元格。"


def test_not_a_workbook_cannot_be_annotated() -> None:
    assert annotate_workbook(b"hello", [error("x", "y", CellRef("a", "A1"))]) is None


def test_report_lists_every_finding_as_sheet_cell_message() -> None:
    findings = [warning("w", "第二个。", CellRef("流程步骤", "C3")),
                error("e", "第一个。", CellRef("基本信息", "B4")),
                error("n", "没有单元格。")]
    text = format_report("book.xlsx", "3 个问题", findings, intake_id="20240901-101500-abc123",
                         at=datetime(2024, 9, 1, 10, 15), files=["book.xlsx"])
    lines = text.splitlines()
    assert "文件 File: book.xlsx" in lines
    assert "处理编号 Intake ID: 20240901-101500-abc123" in lines
    # Sheets keep the order the findings come in (validate gives the workbook's order); the
    # whole-file finding first, then row by row within a sheet.
    assert lines[8:11] == ["1. 没有单元格。  [错误 n]", "2. 流程步骤!C3: 第二个。  [警告 w]",
                           "3. 基本信息!B4: 第一个。  [错误 e]"]
    assert text.endswith("\r\n")


def test_drafted_revision_entry_is_prefilled_in_the_returned_copy(tmp_path: Path) -> None:
    from datetime import date

    from factory import REVISIONS

    source = make_workbook(tmp_path, revisions=[*REVISIONS, ["V1.1", date(2024, 8, 1), None, "业务调整", "王敏", "主管"]])
    draft = "新增步骤 1.2“投诉分级”；原步骤 1.2“转派至责任部门”编号改为 1.3。"
    finding = error("revision.content-missing", "请填写 V1.1 的修订内容。", CellRef("修订记录", "C3"), suggestion=draft)
    annotated = annotate_workbook(source.read_bytes(), [finding])
    assert annotated is not None
    sheet = openpyxl.load_workbook(io.BytesIO(annotated))["修订记录"]
    assert sheet["C3"].value == draft and sheet["C3"].comment is not None
