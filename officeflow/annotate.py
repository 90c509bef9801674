"""Returned workbooks: an annotated copy with every finding on its cell, and a text report.

The user's file is never modified: the annotated workbook is a new file built from a copy
of the bytes. Findings without a cell (or on a sheet that is not there) are listed in a
note on the first sheet's A1 and, like every finding, in the plain-text report.
"""

from __future__ import annotations

import io
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from officeflow.drafts import DraftedCell, RowDraft
from officeflow.findings import Finding, Severity, sort_findings
from officeflow.reader import Unreadable, open_workbook
from officeflow.text import escape_xstring

log = logging.getLogger(__name__)

AUTHOR = "officeflow"
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")  # Excel's "bad" red
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")  # Excel's "neutral" yellow
REPORT_SUFFIX = ".问题清单.txt"
ORIGINAL_MARK = ".原件"  # `book.原件.xlsx`: the untouched original beside the annotated copy

_LABEL = {Severity.ERROR: "错误", Severity.WARNING: "警告"}


def _label(finding: Finding) -> str:
    return f"【{_LABEL[finding.severity]}】{finding.message}"


def _target_cell(ws: Worksheet, coordinate: str):  # noqa: ANN202 - openpyxl's Cell
    """The cell to mark; a cell inside a merged range is marked on the range's top-left."""
    cell = ws[coordinate]
    if isinstance(cell, MergedCell):
        for merged in ws.merged_cells.ranges:
            if coordinate in merged:
                return ws.cell(merged.min_row, merged.min_col)
    return cell


def _valid_coordinate(cell: str) -> bool:
    try:
        coordinate_from_string(cell)
    except ValueError:
        return False
    return True


def _comment(text: str) -> Comment:
    comment = Comment(text, AUTHOR)
    lines = sum(1 + len(line) // 18 for line in text.splitlines())
    comment.width = 260
    comment.height = min(40 + 16 * lines, 600)
    return comment


def annotate_workbook(data: bytes, findings: Sequence[Finding]) -> bytes | None:
    """A copy of the workbook with a fill and a comment on each finding's cell.

    Returns None when the bytes cannot be opened as a workbook (then there is no cell to
    mark and the report alone explains why).
    """
    try:
        wb = open_workbook(data)
    except Unreadable:
        return None
    try:
        _mark(wb, findings)
        _escape_text(wb)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    except Exception:  # a workbook openpyxl reads but cannot write back: the report still tells all
        log.warning("could not annotate workbook", exc_info=True)
        return None
    finally:
        wb.close()


def _escape_text(wb: Workbook) -> None:
    """Text that looks like an ST_Xstring escape written escaped, so Excel shows it as typed.

    openpyxl reads Excel's `_x005F_x0041_` as `_x0041_` and would write it back bare, which
    Excel then shows as `A`; Excel's own escapes of control characters are written as read.
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "_x" in cell.value.lower():
                    cell.value = escape_xstring(cell.value, keep_controls=True)


def _mark(wb: Workbook, findings: Sequence[Finding]) -> None:
    """A fill and a comment on each finding's cell; drafted values filled in."""
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    unplaced: list[Finding] = []
    for finding in sort_findings(list(findings)):
        sheet, cell = finding.sheet, finding.cell
        if (sheet in wb.sheetnames and isinstance(wb[sheet], Worksheet) and cell
                and _valid_coordinate(cell)):
            by_cell[(sheet, cell)].append(finding)
        else:
            unplaced.append(finding)
    for (sheet, coordinate), items in by_cell.items():
        cell = _target_cell(wb[sheet], coordinate)
        errors = any(f.severity is Severity.ERROR for f in items)
        cell.fill = ERROR_FILL if errors else WARNING_FILL
        text = "\n".join(_label(f) for f in items)
        if cell.comment is not None and cell.comment.author == AUTHOR:
            text = cell.comment.text + "\n" + text  # two coordinates, one merged cell
        cell.comment = _comment(text)
        suggestion = next((f.suggestion for f in items if f.suggestion), "")
        if suggestion and cell.value in (None, ""):
            # A drafted value (e.g. the 修订内容 officeflow compared out): the author confirms it.
            cell.value = suggestion
            cell.data_type = "s"  # literal text, even if it starts with `=`
    for drafted in (c for f in findings if isinstance(f, RowDraft) for c in f.cells):
        if drafted.where.sheet in wb.sheetnames and isinstance(wb[drafted.where.sheet], Worksheet):
            _apply_draft(wb[drafted.where.sheet], drafted)
    _mark_unplaced(wb, unplaced)


def _mark_unplaced(wb: Workbook, unplaced: list[Finding]) -> None:
    """Findings without a cell of their own: one comment on the first sheet's A1."""
    first = next((ws for ws in wb.worksheets), None) if unplaced else None
    if first is None:
        return
    cell = first["A1"]
    lines = ["officeflow：以下问题没有具体单元格，请对照处理："]
    lines += [f"{i}. {f.sheet + '：' if f.sheet else ''}{_label(f)}"
              for i, f in enumerate(unplaced, start=1)]
    if cell.comment is not None and cell.comment.author == AUTHOR:
        lines.append(cell.comment.text)
    cell.comment = _comment("\n".join(lines))
    cell.fill = ERROR_FILL if any(f.severity is Severity.ERROR for f in unplaced) else WARNING_FILL


def _apply_draft(ws: Worksheet, drafted: DraftedCell) -> None:
    """Pre-fill an empty cell of a drafted row, or mark a cell the author must still fill."""
    if not _valid_coordinate(drafted.where.cell):
        return
    cell = _target_cell(ws, drafted.where.cell)
    if cell.value not in (None, ""):
        return  # the author has written there already
    if drafted.value is None:
        cell.fill = WARNING_FILL
    else:
        cell.value = drafted.value
        if isinstance(drafted.value, date):
            cell.number_format = "yyyy-mm-dd"
        else:
            cell.data_type = "s"  # literal text
    text = drafted.note
    if cell.comment is not None and cell.comment.author == AUTHOR:
        text = cell.comment.text + "\n" + text
    cell.comment = _comment(text)


RESUBMIT = "请修改后把工作簿重新放入收件箱（inbox）。"


def format_report(file: str, reason: str, findings: Sequence[Finding], *, intake_id: str,
                  at: datetime, files: Sequence[str] = (), closing: str = RESUBMIT) -> str:
    """The plain-text report placed beside a returned file: why, and every finding located."""
    ordered = sort_findings(list(findings))
    errors = sum(1 for f in ordered if f.severity is Severity.ERROR)
    lines = [
        "officeflow 退回说明 Return report",
        "",
        f"文件 File: {file}",
        f"时间 Time: {at.isoformat(sep=' ', timespec='seconds')}",
        f"处理编号 Intake ID: {intake_id}",
        f"原因 Reason: {reason}",
    ]
    if ordered:
        lines += ["", f"问题清单 Findings（{errors} 个错误，{len(ordered) - errors} 个警告）:"]
        lines += [f"{i}. {f.located()}  [{_LABEL[f.severity]} {f.code}]"
                  for i, f in enumerate(ordered, start=1)]
    if files:
        lines += ["", "退回的文件 Returned files:"]
        lines += [f"- {name}" for name in files]
    lines += ["", closing]  # a duplicate says there is nothing to fix
    return "\r\n".join(lines) + "\r\n"
