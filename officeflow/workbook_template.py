"""The blank Excel template of a kind, generated from its catalog (SPEC §2.1).

The reader finds values by the same catalog labels, so template and reader cannot
drift. Output is byte-for-byte deterministic so committed templates can be compared
with freshly generated ones. The 填写说明 sheet is written by officeflow.workbook_guide,
dropdowns and prompts by officeflow.workbook_dropdowns, the shared look by
officeflow.workbook_style.
"""

from __future__ import annotations

import io
import sys
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from officeflow.catalog import Field, FieldType, KindSpec, Table
from officeflow.fsutil import atomic_write_with
from officeflow.workbook_dropdowns import add_prompt, add_validation

# kind_choices is re-exported: it was defined here before the dropdowns got their own module.
from officeflow.workbook_dropdowns import kind_choices as kind_choices
from officeflow.workbook_guide import GUIDE_SHEET, write_guide
from officeflow.workbook_style import (
    HEADER_FONT,
    SECTION_FONT,
    TITLE_FONT,
    TOP_ALIGN,
    WRAP_ALIGN,
    display_width,
    fit_row_heights,
    header_text,
    style_header,
)

if TYPE_CHECKING:
    from officeflow.settings import Settings

INFO_HEADERS = ("字段 Field", "填写内容 Value", "填写说明 Hint")
INFO_FIRST_ROW = 3  # row 1 title, row 2 headers
LAST_FORMATTED_ROW = 200  # formats and dropdowns reach this row on table sheets
SHARED_TABLE_ROWS = 10  # data rows reserved per table when tables share a sheet
EXTRA_HEADER_CELLS = 6  # empty header cells left for RACI role names
EXTRA_HEADER_HINT = "在表头空白单元格填写角色名称，每列一个角色"
LIST_SEPARATOR = "、"
WRAP_WIDTH = 24  # columns at least this wide hold long text: wrap it
MAX_WIDTH = 60

# Fixed timestamps: openpyxl stamps "now" into docProps/core.xml and zipfile stamps
# every member, which would make each generated file different.
FIXED_TIME = datetime(2024, 1, 1)
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)

_NUMBER_FORMATS = {FieldType.CODE: "@", FieldType.DATE: "yyyy-mm-dd"}


@dataclass(frozen=True)
class TableBlock:
    """Where one table sits in the template: its sheet, header row and data rows."""

    table: Table
    sheet: str
    title_row: int | None
    header_row: int
    first_row: int
    last_row: int  # last row formatted for data; a shared sheet's next table starts below
    shared: bool  # other tables on the same sheet


def table_layout(kind: KindSpec) -> list[TableBlock]:
    """The position of every table: one per sheet from row 1, or stacked when sheets are shared."""
    by_sheet: dict[str, list[Table]] = {}
    for table in kind.tables:
        by_sheet.setdefault(table.sheet, []).append(table)
    blocks = []
    for sheet, tables in by_sheet.items():
        row = 1
        for i, table in enumerate(tables):
            title_row = None
            if table.title:
                title_row, row = row, row + 1
            last_table = i == len(tables) - 1
            last = LAST_FORMATTED_ROW if last_table else row + SHARED_TABLE_ROWS
            blocks.append(TableBlock(table, sheet, title_row, row, row + 1, last,
                                     len(tables) > 1))
            row = last + 2  # one blank row between stacked tables
    return blocks


def build_template(kind: KindSpec) -> Workbook:
    """A blank workbook for `kind`: 填写说明, 基本信息, then one sheet per table sheet."""
    wb = openpyxl.Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    write_guide(guide, kind)
    _write_info(wb.create_sheet(kind.info_sheet), kind)
    _landscape(guide)
    _landscape(wb[kind.info_sheet])
    blocks = table_layout(kind)
    for sheet in dict.fromkeys(b.sheet for b in blocks):
        ws = wb.create_sheet(sheet)
        sheet_blocks = [b for b in blocks if b.sheet == sheet]
        for block in sheet_blocks:
            _write_table(ws, block)
        _set_table_widths(ws, sheet_blocks)
        # Freezing the first header would hide the right header of a stacked table.
        if len(sheet_blocks) == 1:
            ws.freeze_panes = f"A{sheet_blocks[0].first_row}"
        _landscape(ws)
    wb.properties.creator = "officeflow"
    wb.properties.lastModifiedBy = "officeflow"
    wb.properties.title = f"{kind.label} 模板"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes with fixed timestamps, so equal workbooks give equal bytes."""
    raw = io.BytesIO()
    wb.save(raw)
    wb.properties.modified = FIXED_TIME  # save() overwrote it with now
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info)
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.create_system = 0  # zipfile records the host OS; keep bytes platform-free
            dst.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_template(kind: KindSpec, path: Path, settings: Settings | None = None) -> None:
    """Write the blank template of `kind` to `path` atomically; with `settings`, the kind as
    they shape it (review levels, controlled 流程类别/主责部门: officeflow.tailor)."""
    if settings is not None:
        from officeflow.tailor import tailored

        kind = tailored(kind, settings)
    data = workbook_bytes(build_template(kind))
    atomic_write_with(path, lambda temp: temp.write_bytes(data))


def write_all_templates(folder: Path) -> list[Path]:
    """Write `<kind.key>.xlsx` for every registered kind into `folder`."""
    from officeflow.kinds import KINDS

    paths = []
    for kind in KINDS.values():
        path = folder / f"{kind.key}.xlsx"
        write_template(kind, path)
        paths.append(path)
    return paths


def fill_template(kind: KindSpec, data: dict, path: Path) -> None:
    """Fill a fresh template as a person would and write it to `path`.

    `data = {"fields": {key: value}, "tables": {table_key: [{column_key: value}]}}`;
    values are str, date or list[str] (joined with 、); a RACI row may carry
    `"extra": {role: value}`, the roles going into the empty header cells.
    Text is always stored as text (a leading = stays literal). Unknown keys raise.
    """
    wb = build_template(kind)
    info = wb[kind.info_sheet]
    for key, value in data.get("fields", {}).items():
        field = kind.field(key)
        _put(info.cell(INFO_FIRST_ROW + kind.fields.index(field), 2), value)
    blocks = {b.table.key: b for b in table_layout(kind)}
    for key, records in data.get("tables", {}).items():
        block = blocks[key]
        capacity = block.last_row - block.first_row + 1
        if block.shared and len(records) > capacity:
            raise ValueError(f"{key}: at most {capacity} rows fit on shared sheet {block.sheet}")
        _fill_table(wb[block.sheet], block, records)
    payload = workbook_bytes(wb)
    atomic_write_with(path, lambda temp: temp.write_bytes(payload))


def _fill_table(ws: Worksheet, block: TableBlock, records: list[dict[str, Any]]) -> None:
    table = block.table
    index = {col.key: i + 1 for i, col in enumerate(table.columns)}
    roles: list[str] = []  # extra header names, in order of first use
    for offset, record in enumerate(records):
        row = block.first_row + offset
        for key, value in record.items():
            if key == "extra" and table.extra_columns is not None:
                for role, mark in value.items():
                    if role not in roles:
                        roles.append(role)
                    _put(ws.cell(row, len(table.columns) + 1 + roles.index(role)), mark)
                continue
            if key not in index:
                raise KeyError(f"{table.key}.{key}")
            _put(ws.cell(row, index[key]), value)
    for i, role in enumerate(roles):
        _put(ws.cell(block.header_row, len(table.columns) + 1 + i), role)


def _put(cell: Cell, value: Any) -> None:
    """Store one value the way typing it would, but text always as text."""
    if value is None:
        return
    if isinstance(value, list | tuple):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, str | date | int | float):
        raise TypeError(f"unsupported value {value!r} for {cell.coordinate}")
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # after assigning: keeps "=…" literal instead of a formula


# --- sheets -------------------------------------------------------------------------


def _write_info(ws: Worksheet, kind: KindSpec) -> None:
    ws.cell(1, 1, f"{kind.label} · {kind.info_sheet}").font = TITLE_FONT
    for col, text in enumerate(INFO_HEADERS, start=1):
        style_header(ws.cell(2, col, text))
    ws.row_dimensions[2].height = 20
    for row, field in enumerate(kind.fields, start=INFO_FIRST_ROW):
        label = ws.cell(row, 1, header_text(field))
        label.font, label.alignment = HEADER_FONT, TOP_ALIGN
        value = ws.cell(row, 2, kind.label if field.key == "kind" else None)
        _format_value_cell(value, field)
        ws.cell(row, 3, field.hint or None).alignment = WRAP_ALIGN
        add_validation(ws, field, value.coordinate)
    labels = [display_width(header_text(f)) for f in kind.fields]
    hints = [display_width(f.hint) for f in kind.fields]
    ws.column_dimensions["A"].width = max([*labels, display_width(INFO_HEADERS[0])]) + 2
    ws.column_dimensions["B"].width = max([*(f.width for f in kind.fields), 30])
    ws.column_dimensions["C"].width = min(max([*hints, 20]) + 2, MAX_WIDTH)
    ws.freeze_panes = f"A{INFO_FIRST_ROW}"
    fit_row_heights(ws)


def _write_table(ws: Worksheet, block: TableBlock) -> None:
    table = block.table
    if block.title_row is not None:
        ws.cell(block.title_row, 1, table.title).font = SECTION_FONT
    for col, field in enumerate(table.columns, start=1):
        style_header(ws.cell(block.header_row, col, header_text(field)))
        letter = get_column_letter(col)
        for row in range(block.first_row, block.last_row + 1):
            _format_value_cell(ws.cell(row, col), field)
        add_validation(ws, field, f"{letter}{block.first_row}:{letter}{block.last_row}")
    if table.extra_columns is not None:
        extra = table.extra_columns
        first, last = len(table.columns) + 1, len(table.columns) + EXTRA_HEADER_CELLS
        for col in range(first, last + 1):
            style_header(ws.cell(block.header_row, col))
            for row in range(block.first_row, block.last_row + 1):
                _format_value_cell(ws.cell(row, col), extra)
        a, b = get_column_letter(first), get_column_letter(last)
        add_prompt(ws, extra.label, extra.hint or EXTRA_HEADER_HINT,
                   f"{a}{block.header_row}:{b}{block.header_row}")
        add_validation(ws, extra, f"{a}{block.first_row}:{b}{block.last_row}")
    ws.row_dimensions[block.header_row].height = 32  # room for label and alias on two lines


def _set_table_widths(ws: Worksheet, blocks: list[TableBlock]) -> None:
    widths: dict[int, float] = {}
    for block in blocks:
        fields = list(block.table.columns)
        if block.table.extra_columns is not None:
            fields += [block.table.extra_columns] * EXTRA_HEADER_CELLS
        for col, field in enumerate(fields, start=1):
            widths[col] = max(widths.get(col, 0), _column_width(field))
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


# --- cells --------------------------------------------------------------------------


def _format_value_cell(cell: Cell, field: Field) -> None:
    if field.type in _NUMBER_FORMATS:
        cell.number_format = _NUMBER_FORMATS[field.type]
    if field.width >= WRAP_WIDTH or field.type is FieldType.LIST:
        cell.alignment = WRAP_ALIGN


def _column_width(field: Field) -> int:
    """The catalog width, widened so the Chinese part of the header never breaks."""
    label = f"* {field.label}" if field.required else field.label
    return min(max(field.width, display_width(label) + 2), MAX_WIDTH)


def _landscape(ws: Worksheet) -> None:
    """Print landscape, one page wide, so a PDF of the template stays readable."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


if __name__ == "__main__":  # python -m officeflow.workbook_template templates
    for written in write_all_templates(Path(sys.argv[1] if len(sys.argv) > 1 else "templates")):
        print(written)
