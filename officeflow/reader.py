"""Read a workbook by its labels: raw values, each with the sheet and cell it came from."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from officeflow import kinds
from officeflow.catalog import KindSpec, Table
from officeflow.findings import CellRef, Finding, error, warning
from officeflow.kinds.common import KIND_FIELD
from officeflow.reader_guard import Unreadable, check_container
from officeflow.sheet_match import find_sheet, kind_mismatch, renamed, renamed_finding, spare_sheets
from officeflow.text import decode_xstring, label_keys, match_label, normalise_label
from officeflow.xlsx_grid import hidden_rows, load_grid
from officeflow.xlsx_stream import column_letter
from officeflow.xlsxguard import MAX_COLUMNS, MAX_ROWS

if TYPE_CHECKING:  # the reading below takes openpyxl's objects or xlsx_grid's alike
    from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook

    from officeflow.xlsx_grid import AnyWorkbook as Workbook
    from officeflow.xlsx_grid import AnyWorksheet as Worksheet

HEADER_SEARCH_ROWS = 30
__all__ = ["MAX_COLUMNS", "MAX_ROWS", "RawDocument", "Unreadable", "open_workbook", "read_workbook"]


@dataclass(frozen=True)
class RawValue:
    """A cell's value exactly as openpyxl gives it, with its location."""

    value: Any
    where: CellRef
    is_formula: bool = False

    @property
    def is_blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass
class RawRow:
    row: int  # the Excel row number
    values: dict[str, RawValue]  # column key → cell (every header column, blank or not)
    extra: dict[str, RawValue] = field(default_factory=dict)  # extra header text → cell


@dataclass
class RawTable:
    key: str
    sheet: str | None  # the sheet's real name; None when the sheet is missing
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # column key → column letter
    extra_columns: dict[str, str] = field(default_factory=dict)  # header text → letter
    rows: list[RawRow] = field(default_factory=list)


@dataclass
class RawDocument:
    """Everything read from one workbook, before any typing or checking."""

    kind: KindSpec
    info_sheet: str
    fields: dict[str, RawValue]  # field key → its value cell
    tables: dict[str, RawTable]
    findings: list[Finding]
    epoch: datetime | None = None  # the workbook's date system, for serial-number dates
    sheets: list[str] = field(default_factory=list)  # every sheet's title, in workbook order
    info_missing: bool = False  # no 基本信息 sheet at all: reported once, not field by field


def get_column_letter(column: int) -> str:
    return column_letter(column - 1)


def open_workbook(data: bytes) -> OpenpyxlWorkbook:
    """Load a workbook from bytes in normal mode (read-only mode loses merged cells)."""
    check_container(data)
    return _load_openpyxl(data)


def _load_openpyxl(data: bytes) -> OpenpyxlWorkbook:
    import openpyxl  # on first use: the CLI's start-up and the fast path do without it

    try:
        # data_only=False: a formula stays visible as a formula, so it becomes a finding
        # instead of a value openpyxl never computed.
        return openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except MemoryError:
        raise  # the budget's business, not a corrupt file
    except Exception as exc:  # openpyxl raises many types on malformed parts
        raise Unreadable([error("file.corrupt", f"无法读取工作簿（{type(exc).__name__}），请用 Excel 打开检查后重新保存提交。")]) from exc


class _MergedLookup:
    """Maps every cell of a merged range to its top-left cell (the one holding the value)."""

    def __init__(self, ws: Worksheet) -> None:
        self._origin: dict[tuple[int, int], tuple[int, int]] = {}
        self._span_end: dict[tuple[int, int], int] = {}
        for merged in ws.merged_cells.ranges:
            for row in range(merged.min_row, merged.max_row + 1):
                for col in range(merged.min_col, merged.max_col + 1):
                    self._origin[(row, col)] = (merged.min_row, merged.min_col)
            self._span_end[(merged.min_row, merged.min_col)] = merged.max_col

    def origin(self, row: int, col: int) -> tuple[int, int]:
        return self._origin.get((row, col), (row, col))

    def last_column(self, row: int, col: int) -> int:
        return self._span_end.get((row, col), col)


def _raw(ws: Worksheet, row: int, col: int, merged: _MergedLookup) -> RawValue:
    origin_row, origin_col = merged.origin(row, col)
    cell = ws.cell(origin_row, origin_col)
    where = CellRef(ws.title, f"{get_column_letter(col)}{row}")
    value = cell.value
    if isinstance(value, str) and "_x" in value:
        value = decode_xstring(value)  # Excel's `_x0007_` for a control character typed in a cell
    return RawValue(value, where, is_formula=cell.data_type == "f")


def _check_size(ws: Worksheet) -> list[Finding]:
    if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
        return [error("sheet.too-large",
                      f"工作表行列数超出上限（{MAX_ROWS} 行、{MAX_COLUMNS} 列），请删除多余的行列。",
                      CellRef(ws.title))]
    return []


def detect_kind(wb: Workbook) -> KindSpec:
    """The kind named by 模板类型 on the 基本信息 sheet."""
    kind_field = KIND_FIELD
    info_names = {normalise_label(k.info_sheet) for k in kinds.KINDS.values()}
    # The info sheet first: the 填写说明 sheet may quote the label with an example beside it.
    ordered = sorted(wb.worksheets, key=lambda ws: normalise_label(ws.title) not in info_names)
    for ws in ordered:
        index = dict.fromkeys(label_keys(kind_field.label, kind_field.alias), kind_field.key)
        for row in ws.iter_rows(max_row=min(ws.max_row, 100), max_col=min(ws.max_column, 20)):
            for cell in row:
                if isinstance(cell.value, str) and match_label(cell.value, index):
                    value = ws.cell(cell.row, cell.column + 1).value
                    kind = kinds.find_kind(str(value)) if value is not None else None
                    where = CellRef(ws.title, f"{get_column_letter(cell.column + 1)}{cell.row}")
                    if kind is None:
                        names = "、".join(k.label for k in kinds.KINDS.values())
                        raise Unreadable([error(
                            "kind.unknown", f"模板类型“{value or ''}”无法识别，应为：{names}。", where)])
                    # The wrong kind named: one finding, not every sheet and field of that kind.
                    mismatch = kind_mismatch(wb, kind, kinds.KINDS.values(), str(value), where,
                                             lambda k: _labels_matched(wb, k))
                    if mismatch is not None:
                        raise Unreadable([mismatch])
                    return kind
    raise Unreadable([error(
        "kind.missing",
        "找不到“模板类型”字段：请使用 officeflow 生成的模板填写（基本信息 工作表）。",
    )])


def _labels_matched(wb: Workbook, kind: KindSpec) -> int:
    """How many of the kind's field and column labels the workbook's sheets carry."""
    info = find_sheet(wb, kind.info_sheet, kind.info_sheet_alias)
    matched = len(read_fields(info, kind)[0]) if info is not None else 0
    for table in kind.tables:
        ws = find_sheet(wb, table.sheet, table.sheet_alias)
        header = _find_header(ws, table, 1) if ws is not None else None
        matched += len(header[1]) if header else 0
    return matched


def read_fields(ws: Worksheet, kind: KindSpec) -> tuple[dict[str, RawValue], list[Finding]]:
    """Key/value fields: a label cell, its value in the cell to its right (after any merge)."""
    index: dict[str, str] = {}
    for f in kind.fields:
        index.update(dict.fromkeys(label_keys(f.label, f.alias), f.key))
    merged = _MergedLookup(ws)
    found: dict[str, RawValue] = {}
    findings: list[Finding] = []
    for row in ws.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str):
                continue
            key = match_label(cell.value, index)
            if key is None:
                continue
            value_col = merged.last_column(cell.row, cell.column) + 1
            raw = _raw(ws, cell.row, value_col, merged)
            if key in found:
                findings.append(error(
                    "field.duplicate",
                    f"字段“{kind.field(key).label}”出现了两次（另见 {found[key].where.cell}），请删除多余的一行。",
                    raw.where,
                ))
                continue
            found[key] = raw
    return found, findings


def _header_index(table: Table) -> dict[str, str]:
    index: dict[str, str] = {}
    for col in table.columns:
        index.update(dict.fromkeys(label_keys(col.label, col.alias), col.key))
    return index


def _header_matches(ws: Worksheet, row: int, index: dict[str, str]) -> dict[str, int]:
    matches: dict[str, int] = {}
    for cell in ws[row]:
        if isinstance(cell.value, str):
            key = match_label(cell.value, index)
            if key and key not in matches:
                matches[key] = cell.column
    return matches


def _find_header(ws: Worksheet, table: Table, start: int) -> tuple[int, dict[str, int]] | None:
    best: tuple[int, dict[str, int]] | None = None
    # A sheet holding several tables has its later headers far down; search it all.
    last = ws.max_row if table.title else min(ws.max_row, start + HEADER_SEARCH_ROWS)
    index = _header_index(table)  # once per table, not per row searched
    for row in range(start, last + 1):
        matches = _header_matches(ws, row, index)
        if len(matches) >= min(2, len(table.columns)) and (best is None or len(matches) > len(best[1])):
            best = (row, matches)
    return best


def read_tables(ws: Worksheet, tables: list[Table]) -> tuple[dict[str, RawTable], list[Finding]]:
    """All tables of one sheet; with several, each ends where the next one's header begins."""
    findings: list[Finding] = []
    headers: list[tuple[int, Table, dict[str, int]]] = []
    for table in tables:
        found = _find_header(ws, table, 1)
        if found is None:
            labels = "、".join(c.label for c in table.columns)
            findings.append(error(
                "table.header-missing",
                f"工作表“{ws.title}”中找不到{table.title or '表格'}的表头行，应包含：{labels}。",
                CellRef(ws.title, "A1"),
            ))
            continue
        headers.append((found[0], table, found[1]))
    headers.sort(key=lambda item: item[0])
    titles = {normalise_label(t.title) for t in tables if t.title}
    merged = _MergedLookup(ws)
    result: dict[str, RawTable] = {}
    for position, (header_row, table, matches) in enumerate(headers):
        end = headers[position + 1][0] - 1 if position + 1 < len(headers) else ws.max_row
        raw_table, table_findings = _read_rows(ws, table, header_row, matches, end, titles, merged)
        result[table.key] = raw_table
        findings.extend(table_findings)
    return result, findings


def _read_rows(
    ws: Worksheet, table: Table, header_row: int, matches: dict[str, int], end: int,
    titles: set[str], merged: _MergedLookup,
) -> tuple[RawTable, list[Finding]]:
    findings: list[Finding] = []
    raw_table = RawTable(table.key, ws.title, header_row,
                         {key: get_column_letter(col) for key, col in matches.items()})
    for col in table.columns:
        if col.required and col.key not in matches:
            findings.append(error(
                "table.column-missing",
                f"表头缺少必填列“{col.label}”，请按模板补上该列。",
                CellRef(ws.title, f"A{header_row}"),
            ))
    used_columns = set(matches.values())
    headed = {cell.column: cell.value.strip() for cell in ws[header_row] if cell.column not in used_columns
              and isinstance(cell.value, str) and cell.value.strip()}
    extra: dict[int, str] = {}
    if table.extra_columns is not None:
        extra = headed
        raw_table.extra_columns = {text: get_column_letter(col) for col, text in extra.items()}
    else:  # a column the author added (备注, 重点步骤…): ignored, said once on its header
        findings.extend(warning(
            "table.unknown-column",
            f"列“{text}”不是模板中的列，其内容不会进入文件：如需保留，请写入模板中的列；否则可删除该列。",
            CellRef(ws.title, f"{get_column_letter(col)}{header_row}")) for col, text in headed.items())
    hidden = hidden_rows(ws)
    for row in range(header_row + 1, end + 1):
        cells = [_raw(ws, row, col, merged) for col in range(1, ws.max_column + 1)]
        filled = [c for c in cells if not c.is_blank]
        if not filled:
            continue  # blank rows are allowed anywhere
        if len(filled) == 1 and isinstance(filled[0].value, str) and normalise_label(filled[0].value) in titles:
            continue  # the title row of the next table on this sheet
        values = {key: cells[col - 1] for key, col in matches.items()}
        extras = {text: cells[col - 1] for col, text in extra.items()}
        if row in hidden:
            findings.append(warning("table.hidden-row", "该行在 Excel 中被隐藏，但仍会发布到文件中："
                                    "请取消隐藏核对内容，不需要的行请删除。", CellRef(ws.title, f"A{row}")))
        for col_number, raw in enumerate(cells, start=1):
            if raw.is_blank or col_number in used_columns or col_number in headed:
                continue
            if merged.origin(row, col_number)[1] != col_number:
                continue  # a horizontal merge spilling over from a known column
            findings.append(error(
                "table.cell-without-header",
                "该单元格有内容但所在列没有表头：请把内容移到对应列，或删除。",
                raw.where,
            ))
        raw_table.rows.append(RawRow(row, values, extras))
    return raw_table, findings


def read_document(wb: Workbook, kind: KindSpec) -> RawDocument:
    """Read the kind's fields and tables by their labels; collect located findings."""
    findings: list[Finding] = []
    spare = spare_sheets(wb, kinds.KINDS.values())
    info = _locate(wb, (kind.info_sheet, kind.info_sheet_alias), spare, findings,
                   lambda ws: len(read_fields(ws, kind)[0]) >= 3)
    fields: dict[str, RawValue] = {}
    if info is None:
        findings.append(error("sheet.missing", f"缺少工作表“{kind.info_sheet}”，请使用模板填写。"))
    elif not _check_size(info):
        fields, field_findings = read_fields(info, kind)
        findings.extend(field_findings)
    else:
        findings.extend(_check_size(info))
    tables: dict[str, RawTable] = {}
    by_sheet: dict[str, list[Table]] = {}
    for table in kind.tables:
        by_sheet.setdefault(table.sheet, []).append(table)
    for sheet_name, sheet_tables in by_sheet.items():
        ws = _locate(wb, (sheet_name, sheet_tables[0].sheet_alias), spare, findings,
                     lambda ws, first=sheet_tables[0]: _find_header(ws, first, 1) is not None)
        if ws is None:
            for table in sheet_tables:
                tables[table.key] = RawTable(table.key, None)
                if table.required:
                    findings.append(error("sheet.missing", f"缺少工作表“{sheet_name}”，请按模板补上。"))
            continue
        size_findings = _check_size(ws)
        if size_findings:
            findings.extend(size_findings)
            continue
        read, table_findings = read_tables(ws, sheet_tables)
        tables.update(read)
        findings.extend(table_findings)
        for table in sheet_tables:
            tables.setdefault(table.key, RawTable(table.key, ws.title))
    return RawDocument(kind, info.title if info else kind.info_sheet, fields, tables, findings,
                       sheets=[ws.title for ws in wb.worksheets], info_missing=info is None)


def _locate(wb: Workbook, names: tuple[str, str], spare: list[Worksheet], findings: list[Finding],
            holds: Callable[[Worksheet], bool]) -> Worksheet | None:
    """The sheet by its name; else a renamed sheet that holds its content (one finding)."""
    ws = find_sheet(wb, *names)
    if ws is None:
        ws = renamed(spare, holds)
        if ws is not None:
            findings.append(renamed_finding(ws.title, names[0]))
    return ws


def read_workbook(data: bytes, *, fast: bool = True) -> RawDocument:
    """Workbook bytes → raw values with locations. Raises Unreadable for non-workbooks.

    The guard runs first; then the cells are read straight from the XML (xlsx_grid), or by
    openpyxl when that path is not sure to give the same values (`fast=False`: always).
    """
    parsed = check_container(data)  # the parts the guard parsed whole: not parsed again
    wb: Any = None
    if fast:
        try:
            wb = load_grid(data, parsed)
        except MemoryError:
            raise
        except Exception:  # NotPlain, or a malformed part: openpyxl decides, exactly as before
            wb = None
    parsed.clear()  # openpyxl builds its own: the guard's trees are not held meanwhile
    if wb is None:
        wb = _load_openpyxl(data)
    try:
        document = read_document(wb, detect_kind(wb))
        document.epoch = wb.epoch
        return document
    finally:
        wb.close()
