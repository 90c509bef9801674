"""Read a workbook by its labels: raw values, each with the sheet and cell it came from."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from officeflow import kinds
from officeflow.catalog import KindSpec, Table
from officeflow.findings import CellRef, Finding, error
from officeflow.kinds.common import KIND_FIELD
from officeflow.text import label_keys, match_label, normalise_label
from officeflow.xlsx_grid import load_grid
from officeflow.xlsx_stream import column_letter
from officeflow.xlsxguard import MAX_COLUMNS, MAX_ROWS, check_package

if TYPE_CHECKING:  # the reading below takes openpyxl's objects or xlsx_grid's alike
    from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook

    from officeflow.xlsx_grid import AnyWorkbook as Workbook
    from officeflow.xlsx_grid import AnyWorksheet as Worksheet

# Guards against hostile files; the watcher's size limit is checked before this, the
# streaming limits of xlsxguard (rows, columns, cells, merged area, XML bytes) after.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
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


class Unreadable(Exception):
    """The file is not a workbook we can read; carries the findings that say why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.message for f in findings))
        self.findings = findings


def _check_container(data: bytes) -> None:
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise Unreadable([error(
            "file.legacy-or-encrypted",
            "文件是旧版 .xls 格式或已加密：请在 Excel 中取消密码保护，另存为 .xlsx 后重新提交。",
        )])
    if data[:2] != b"PK":
        raise Unreadable([error("file.not-workbook", "文件不是 Excel 工作簿（.xlsx），请使用模板填写后提交。")])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_archive(archive)
    except zipfile.BadZipFile:
        raise Unreadable([error("file.corrupt", "文件已损坏，无法作为 Excel 工作簿打开，请重新保存后提交。")]) from None


def _check_archive(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO and total > 10_000_000:
        raise Unreadable([error("file.too-large", "工作簿解压后体积异常（疑似压缩炸弹），已拒收。")])
    if "xl/vbaProject.bin" in names:
        raise Unreadable([error("file.macros", "工作簿包含宏，不予接收：请另存为不含宏的 .xlsx 后提交。")])
    try:
        refused = check_package(archive)
    except (zipfile.BadZipFile, MemoryError):
        raise
    except Exception as exc:  # a malformed or hostile part (ParseError, EntitiesForbidden, zlib.error…)
        raise Unreadable([error("file.corrupt", f"无法读取工作簿（{type(exc).__name__}），"
                                "请用 Excel 打开检查后重新保存提交。")]) from exc
    if refused:
        raise Unreadable(refused)


def get_column_letter(column: int) -> str:
    return column_letter(column - 1)


def open_workbook(data: bytes) -> OpenpyxlWorkbook:
    """Load a workbook from bytes in normal mode (read-only mode loses merged cells)."""
    _check_container(data)
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


def _find_sheet(wb: Workbook, name: str, alias: str) -> Worksheet | None:
    wanted = {normalise_label(name), normalise_label(alias)}
    for ws in wb.worksheets:
        if normalise_label(ws.title) in wanted:
            return ws
    return None


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
    return RawValue(cell.value, where, is_formula=cell.data_type == "f")


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
                    if kind is None:
                        names = "、".join(k.label for k in kinds.KINDS.values())
                        raise Unreadable([error(
                            "kind.unknown",
                            f"模板类型“{value or ''}”无法识别，应为：{names}。",
                            CellRef(ws.title, f"{get_column_letter(cell.column + 1)}{cell.row}"),
                        )])
                    return kind
    raise Unreadable([error(
        "kind.missing",
        "找不到“模板类型”字段：请使用 officeflow 生成的模板填写（基本信息 工作表）。",
    )])


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
    extra: dict[int, str] = {}
    if table.extra_columns is not None:
        for cell in ws[header_row]:
            if cell.column not in used_columns and isinstance(cell.value, str) and cell.value.strip():
                extra[cell.column] = cell.value.strip()
        raw_table.extra_columns = {text: get_column_letter(col) for col, text in extra.items()}
    for row in range(header_row + 1, end + 1):
        cells = [_raw(ws, row, col, merged) for col in range(1, ws.max_column + 1)]
        filled = [c for c in cells if not c.is_blank]
        if not filled:
            continue  # blank rows are allowed anywhere
        if len(filled) == 1 and isinstance(filled[0].value, str) and normalise_label(filled[0].value) in titles:
            continue  # the title row of the next table on this sheet
        values = {key: cells[col - 1] for key, col in matches.items()}
        extras = {text: cells[col - 1] for col, text in extra.items()}
        for col_number, raw in enumerate(cells, start=1):
            if raw.is_blank or col_number in used_columns or col_number in extra:
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
    info = _find_sheet(wb, kind.info_sheet, kind.info_sheet_alias)
    fields: dict[str, RawValue] = {}
    if info is None:
        findings.append(error("sheet.missing", f"缺少工作表“{kind.info_sheet}”，请使用模板填写。"))
    else:
        findings.extend(_check_size(info))
        if not findings:
            fields, field_findings = read_fields(info, kind)
            findings.extend(field_findings)
    tables: dict[str, RawTable] = {}
    by_sheet: dict[str, list[Table]] = {}
    for table in kind.tables:
        by_sheet.setdefault(table.sheet, []).append(table)
    for sheet_name, sheet_tables in by_sheet.items():
        ws = _find_sheet(wb, sheet_name, sheet_tables[0].sheet_alias)
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
    return RawDocument(kind, info.title if info else kind.info_sheet, fields, tables, findings)


def read_workbook(data: bytes, *, fast: bool = True) -> RawDocument:
    """Workbook bytes → raw values with locations. Raises Unreadable for non-workbooks.

    The guard runs first; then the cells are read straight from the XML (xlsx_grid), or by
    openpyxl when that path is not sure to give the same values (`fast=False`: always).
    """
    _check_container(data)
    wb: Any = None
    if fast:
        try:
            wb = load_grid(data)
        except MemoryError:
            raise
        except Exception:  # NotPlain, or a malformed part: openpyxl decides, exactly as before
            wb = None
    if wb is None:
        wb = _load_openpyxl(data)
    try:
        document = read_document(wb, detect_kind(wb))
        document.epoch = wb.epoch
        return document
    finally:
        wb.close()
