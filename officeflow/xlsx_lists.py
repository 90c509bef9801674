"""Dropdown lists too long for Excel's inline list (255 characters): kept on a hidden sheet.

A controlled list of 主责部门 (officeflow.toml `departments`) easily passes that limit.
"""

from __future__ import annotations

from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

LISTS_SHEET = "下拉选项"
INLINE_MAX = 255  # Excel refuses a longer inline list formula


def list_formula(wb: Workbook, choices: tuple[str, ...]) -> str:
    """The data-validation formula for `choices`: inline when it fits, else a range of the
    hidden sheet (one column per list, reused for an equal list)."""
    inline = '"' + ",".join(choices) + '"'
    if len(inline) <= INLINE_MAX:
        return inline
    if LISTS_SHEET in wb.sheetnames:
        sheet = wb[LISTS_SHEET]
    else:
        sheet = wb.create_sheet(LISTS_SHEET)
        sheet.sheet_state = "hidden"
    column = 1
    while sheet.cell(1, column).value is not None:
        if tuple(sheet.cell(r, column).value for r in range(1, len(choices) + 2)) == (*choices, None):
            break
        column += 1
    else:
        for row, choice in enumerate(choices, start=1):
            sheet.cell(row, column, choice)
    letter = get_column_letter(column)
    return f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(choices)}"
