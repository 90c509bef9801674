"""A workbook's cells read straight from its XML with lxml: the reader's fast path.

openpyxl builds a full object model (styles, cells, dimensions…) and its `max_row` walks
every cell; the reader needs values, formulas, merged ranges and extents only. This module
gives exactly the values openpyxl gives (`load_workbook(data_only=False)`: the same number
casts, date conversion by number format, shared/inline/rich strings, formulas as `=…`,
merged cells blanked) behind the part of the Worksheet API the reader uses (`cell`,
`iter_rows`, `ws[row]`, `max_row`/`max_column`, `merged_cells.ranges`, `title`), with the
same side effects (touching a cell creates it and can grow the extents).

Whatever it does not reproduce exactly, it refuses with `NotPlain`, and the reader falls back
to openpyxl for that file: shared/array formulas, ISO dates, hyperlinks, drawings, comments,
a DOCTYPE, style indexes out of range, dates out of range, parts it does not know.
xlsxguard has already checked the package (sizes, cells, merges) before this runs, and hands
over the parts it parsed on the way (`parsed`): each part is parsed once.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from lxml import etree

from officeflow.xlsxguard import PARSER

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_PLAIN_PARTS = re.compile(r"\[Content_Types\]\.xml|_rels/\.rels|docProps/(app|core|custom)\.xml"
                          r"|xl/(workbook\.xml|_rels/workbook\.xml\.rels|styles\.xml|sharedStrings\.xml"
                          r"|calcChain\.xml|theme/theme\d+\.xml|worksheets/sheet\d+\.xml"
                          r"|printerSettings/printerSettings\d+\.bin)")
# Sheet elements openpyxl turns into objects the reader never looks at, or that add cells.
_ROW, _C, _F, _IS, _V, _T, _R = (NS + tag for tag in ("row", "c", "f", "is", "v", "t", "r"))
_SHEET_REFUSED = frozenset(NS + tag for tag in ("hyperlinks", "drawing", "legacyDrawing", "tableParts",
                                                "legacyDrawingHF", "picture", "oleObjects", "controls"))
if TYPE_CHECKING:
    from typing import TypeAlias

    from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook
    from openpyxl.worksheet.worksheet import Worksheet as OpenpyxlWorksheet

    # What officeflow.reader reads from: openpyxl's objects, or these (the same values and
    # cell-creation semantics; tests/test_reader_parity.py).
    AnyWorkbook: TypeAlias = "OpenpyxlWorkbook | Grid"
    AnyWorksheet: TypeAlias = "OpenpyxlWorksheet | Sheet"


class NotPlain(Exception):
    """The workbook holds something only openpyxl reads exactly as before: use openpyxl."""


class Range(NamedTuple):
    min_row: int
    min_col: int
    max_row: int
    max_col: int


class Cell:
    """What the reader uses of an openpyxl cell."""

    __slots__ = ("column", "data_type", "row", "value")

    def __init__(self, row: int, column: int, value: Any = None, data_type: str = "n") -> None:
        self.row, self.column, self.value, self.data_type = row, column, value, data_type


@dataclass
class MergedCells:
    ranges: list[Range] = field(default_factory=list)


class Sheet:
    """One worksheet's cells with openpyxl's extents and cell-creation semantics."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.cells: dict[tuple[int, int], Cell] = {}
        self.merged_cells = MergedCells()
        self.max_row = 1
        self.max_column = 1
        self._current_row = 0  # openpyxl: 0 until a value cell is read or a cell is created
        self.hidden_rows: set[int] = set()  # rows hidden in Excel (`<row hidden="1">`)

    def put(self, cell: Cell) -> None:
        # openpyxl's max_row is max() over every cell's row (1 when none): kept as we go.
        self.cells[(cell.row, cell.column)] = cell
        self.max_row = max(self.max_row, cell.row)
        self.max_column = max(self.max_column, cell.column)

    def cell(self, row: int, column: int) -> Cell:
        found = self.cells.get((row, column))
        if found is None:
            found = Cell(row, column)
            self.put(found)
            self._current_row = max(self._current_row, row)
        return found

    def iter_rows(self, min_row: int | None = None, max_row: int | None = None,
                  min_col: int | None = None, max_col: int | None = None) -> Iterator[tuple[Cell, ...]]:
        if self._current_row == 0 and not any((min_col, min_row, max_col, max_row)):
            return iter(())
        first_col, first_row = min_col or 1, min_row or 1
        last_col, last_row = max_col or self.max_column, max_row or self.max_row
        return (tuple(self.cell(r, c) for c in range(first_col, last_col + 1))
                for r in range(first_row, last_row + 1))

    def __getitem__(self, row: int) -> tuple[Cell, ...]:
        return next(self.iter_rows(min_row=row, max_row=row, max_col=self.max_column))


@dataclass
class Grid:
    worksheets: list[Sheet]
    epoch: datetime

    def close(self) -> None:
        """Nothing to release (openpyxl's Workbook has close(); the reader calls it)."""


def hidden_rows(ws: AnyWorksheet) -> set[int]:
    """The rows hidden in Excel, from a Sheet of this module or an openpyxl worksheet."""
    if isinstance(ws, Sheet):
        return ws.hidden_rows
    return {row for row, dimension in ws.row_dimensions.items() if dimension.hidden}


def load_grid(data: bytes, parsed: dict[str, Any] | None = None) -> Grid:
    """Every worksheet of an .xlsx, as openpyxl would load it; NotPlain when unsure.

    `parsed`: parts already parsed (by xlsxguard, with the same parser), by part name.
    """
    parsed = parsed or {}
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if any(not _PLAIN_PARTS.fullmatch(name) and not _printer_only(archive, name)
               for name in names if not name.endswith("/")):
            raise NotPlain("a part openpyxl reads and this module does not")
        workbook = _xml(archive, "xl/workbook.xml", parsed)
        rels = _relationships(archive, "xl/_rels/workbook.xml.rels", parsed)
        props = workbook.find(NS + "workbookPr")
        date1904 = props.get("date1904", "false") if props is not None else "false"
        if date1904 not in ("0", "1", "false", "true"):
            raise NotPlain("date1904")
        epoch = CALENDAR_MAC_1904 if date1904 in ("1", "true") else CALENDAR_WINDOWS_1900
        styles = _Styles(_xml(archive, "xl/styles.xml"))
        strings = _shared_strings(archive) if "xl/sharedStrings.xml" in names else []
        sheets: list[Sheet] = []
        for entry in workbook.iterfind(f"{NS}sheets/{NS}sheet"):
            kind, part = rels.get(entry.get(_R_ID, ""), ("", ""))
            title = entry.get("name", "")
            if kind != _WORKSHEET_REL or part not in names:
                raise NotPlain("a sheet that is not a plain worksheet")
            if not _plain_title(title, [s.title for s in sheets]):
                raise NotPlain("a sheet title openpyxl renames or refuses")
            sheets.append(_read_sheet(title, _xml(archive, part, parsed), strings, styles, epoch))
    return Grid(sheets, epoch)


def _plain_title(title: str, before: list[str]) -> bool:
    """A title openpyxl keeps as it is: 1–31 characters, none it forbids, not a duplicate."""
    return (0 < len(title) <= 31 and not _BAD_TITLE.search(title)
            and title.lower() not in {t.lower() for t in before})


_BAD_TITLE = re.compile(r"[\\*?:/\[\]]")


def _printer_only(archive: zipfile.ZipFile, name: str) -> bool:
    """A sheet's relationships that only name its printer settings (Excel adds them; openpyxl
    ignores them): still a plain sheet."""
    if not re.fullmatch(r"xl/worksheets/_rels/sheet\d+\.xml\.rels", name):
        return False
    return all(kind.endswith("/printerSettings") for kind, _ in _relationships(archive, name).values())


def _xml(archive: zipfile.ZipFile, name: str, parsed: dict[str, Any] | None = None) -> Any:
    root = parsed.get(name) if parsed else None
    if root is None:
        root = etree.fromstring(archive.read(name), PARSER)
    if root.getroottree().docinfo.doctype:
        raise NotPlain("a DOCTYPE: left to openpyxl's defused parser")
    return root


def _relationships(archive: zipfile.ZipFile, name: str,
                   parsed: dict[str, Any] | None = None) -> dict[str, tuple[str, str]]:
    rels = {}
    for rel in _xml(archive, name, parsed):
        target = rel.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        rels[rel.get("Id", "")] = (rel.get("Type", ""), part)
    return rels


def _text(node: Any) -> str:
    """openpyxl's Text.content: the (last) plain <t>, then every run's <t>; phonetic runs left out."""
    plain: str | None = None
    runs: list[str] = []
    for child in node:  # children walked, not find(): lxml's paths are Python, per call
        if child.tag == _T:
            plain = child.text
        elif child.tag == _R:
            last = None
            for t in child.iterchildren(_T):
                last = t.text
            if last is not None:
                runs.append(last)
    return "".join(runs) if plain is None else plain + "".join(runs)


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    return [_text(si).replace("x005F_", "") for si in _xml(archive, "xl/sharedStrings.xml").iterfind(NS + "si")]


class _Styles:
    """Which cell style indexes show numbers as dates or durations (openpyxl's rules)."""

    def __init__(self, root: Any) -> None:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format

        custom = {int(n.get("numFmtId")): n.get("formatCode") for n in root.iterfind(f"{NS}numFmts/{NS}numFmt")}
        xfs = root.find(NS + "cellXfs")
        self.count = len(xfs.findall(NS + "xf")) if xfs is not None else 0
        self.dates: set[int] = set()
        self.durations: set[int] = set()
        for index, xf in enumerate(xfs.iterfind(NS + "xf") if xfs is not None else ()):
            fmt_id = int(xf.get("numFmtId", 0))
            fmt = custom[fmt_id] if fmt_id in custom else BUILTIN_FORMATS.get(fmt_id)
            if fmt_id not in custom and fmt_id not in BUILTIN_FORMATS:
                raise NotPlain("a number format id openpyxl maps in its own way")
            if is_date_format(fmt):
                self.dates.add(index)
            if is_timedelta_format(fmt):
                self.durations.add(index)
        if self.count == 0:
            raise NotPlain("no cell styles")


def _read_sheet(title: str, root: Any, strings: list[str], styles: _Styles, epoch: datetime) -> Sheet:
    if any(child.tag in _SHEET_REFUSED for child in root):
        raise NotPlain("links, drawings or tables on a sheet")
    sheet = Sheet(title)
    for elem in root.iterfind(f"{NS}cols/{NS}col"):
        _style_index(elem.get("style"), styles)
    data = root.find(NS + "sheetData")
    row_number = 0
    for row in data.iterchildren(_ROW) if data is not None else ():
        number = row.get("r")
        if number is not None and not number.isdigit():
            raise NotPlain("a row number openpyxl reads in its own way")
        row_number = int(number) if number is not None else row_number + 1
        _style_index(row.get("s"), styles)
        if row.get("hidden") not in (None, "", "false", "f", "0"):  # openpyxl's Bool
            sheet.hidden_rows.add(row_number)
        column = 0
        for c in row.iterchildren(_C):
            ref = c.get("r")
            if ref:
                row_at, column = _position(ref)
            else:
                row_at, column = row_number, column + 1
            sheet.put(_cell(c, row_at, column, strings, styles, epoch))
    if sheet.cells:
        sheet._current_row = sheet.max_row
    for merged in root.iterfind(f"{NS}mergeCells/{NS}mergeCell"):
        _merge(sheet, merged.get("ref", ""))
    return sheet


def _style_index(value: str | None, styles: _Styles) -> int:
    if value is None:
        return 0
    if not value.isdigit() or int(value) >= styles.count:
        raise NotPlain("a style index openpyxl refuses or reads in its own way")
    return int(value)


_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def _position(ref: str) -> tuple[int, int]:
    match = _REF.fullmatch(ref)
    if match is None:
        raise NotPlain(f"a cell reference openpyxl reads in its own way: {ref!r}")
    column = 0
    for ch in match[1]:
        column = column * 26 + ord(ch) - 64
    return int(match[2]), column


def _cell(c: Any, row: int, column: int, strings: list[str], styles: _Styles, epoch: datetime) -> Cell:
    """openpyxl's WorkSheetParser.parse_cell, data_only=False."""
    data_type = c.get("t", "n")
    style = _style_index(c.get("s"), styles)
    first: dict[Any, Any] = {}
    for child in c:  # the first <f>, <is> and <v>, as find() would give them
        first.setdefault(child.tag, child)
    formula = first.get(_F)
    if formula is not None:
        if formula.get("t") not in (None, "normal"):
            raise NotPlain("a shared or array formula")
        return Cell(row, column, "=" + (formula.text or ""), "f")
    if data_type == "inlineStr":
        child = first.get(_IS)
        return Cell(row, column, _text(child), "s") if child is not None else Cell(row, column, None, data_type)
    value: Any = first[_V].text if _V in first else None
    value = value or None
    if value is None:
        return Cell(row, column, None, data_type)
    if data_type == "n":
        value = float(value) if "." in value or "E" in value or "e" in value else int(value)
        if style in styles.dates:
            from openpyxl.utils.datetime import from_excel  # only for date cells

            try:
                return Cell(row, column, from_excel(value, epoch, timedelta=style in styles.durations), "d")
            except (OverflowError, ValueError):
                raise NotPlain("a date out of range (openpyxl warns and reads #VALUE!)") from None
        return Cell(row, column, value, "n")
    if data_type == "s":
        return Cell(row, column, strings[int(value)], "s")
    if data_type == "b":
        return Cell(row, column, bool(int(value)), "b")
    if data_type == "str":
        return Cell(row, column, value, "s")
    if data_type == "d":
        raise NotPlain("an ISO 8601 date cell")
    return Cell(row, column, value, data_type)


def _merge(sheet: Sheet, ref: str) -> None:
    """openpyxl's _clean_merge_range: every cell but the top-left becomes an empty merged cell."""
    first, _, last = ref.partition(":")
    (top, left), (bottom, right) = _position(first), _position(last or first)
    if top > bottom or left > right:
        raise NotPlain("a merged range written backwards")
    sheet.merged_cells.ranges.append(Range(top, left, bottom, right))
    for r in range(top, bottom + 1):
        for c in range(left, right + 1):
            if (r, c) != (top, left):
                sheet.put(Cell(r, c))
