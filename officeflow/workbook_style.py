"""How the template's cells look and how wide their text is: shared by the data sheets
(officeflow.workbook_template) and the 填写说明 sheet (officeflow.workbook_guide)."""

from __future__ import annotations

import unicodedata

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from officeflow.catalog import Field

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="A6A6A6")
HEADER_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP_ALIGN = Alignment(vertical="top", wrap_text=True)
TOP_ALIGN = Alignment(vertical="top")
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=12)


def header_text(field: Field) -> str:
    """The header of a field's column or row: its label, starred when required."""
    return f"* {field.display_label}" if field.required else field.display_label


def style_header(cell: Cell) -> None:
    """Bold on light blue, boxed and centred: the look of every header cell."""
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.border = HEADER_BORDER
    cell.alignment = HEADER_ALIGN


def display_width(text: str) -> int:
    """Width in Excel characters: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit_row_heights(ws: Worksheet) -> None:
    """Set the height of rows with wrapped text: LibreOffice does not grow them on load."""
    spans = {(m.min_row, m.min_col): range(m.min_col, m.max_col + 1) for m in ws.merged_cells.ranges}
    for cells in ws.iter_rows():
        lines = 1
        for cell in cells:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            columns = spans.get((cell.row, cell.column), [cell.column])
            width = sum(ws.column_dimensions[get_column_letter(c)].width or 8 for c in columns)
            per_line = max(int(width) - 2, 1)
            lines = max(lines, sum(-(-max(display_width(part), 1) // per_line)
                                   for part in cell.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[cells[0].row].height = 15 * lines + 2
