"""A streaming SpreadsheetML (.xlsx) writer: sheets of typed cells written row by row.

It knows nothing of documents: a sheet is headers, widths and the XML of its rows (built
with the cell helpers below), written in chunks so 50,000 rows keep memory flat. It adds a
styled header row, frozen panes, an autofilter, hyperlinks and print titles.

Why a hand-written writer: with the same styles and links, openpyxl write-only and
xlsxwriter constant_memory both take far longer than the 3 s budget for 50,000 rows;
streaming the sheet XML ourselves takes ~1.2 s per 50,000 rows with a flat memory profile
(bench/register_bench.py). Strings are inline strings (t="inlineStr"), so no user value can
ever become a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from officeflow.text import cut_utf16, escape_xstring
from officeflow.xlsx_parts import (
    APP,
    NS_R,
    PKG_REL,
    REL,
    ROOT_RELS,
    content_types_xml,
    core_xml,
    escape,
    workbook_rels_xml,
)
from officeflow.xlsx_styles import HEADER_STYLE, NS_MAIN, XML_DECL, Styles
from officeflow.xlsx_zip import DeflatedPart, ZipEntry, ZipWriter

# Excel refuses more hyperlinks than this on one sheet, or longer addresses; callers show
# such cells as text instead.
MAX_LINKS_PER_SHEET = 65_530
MAX_LINK_CHARS = 2_079
MAX_CELL_CHARS = 32_767  # Excel's limit; longer text makes Excel "repair" the file
MAX_SHEET_ROWS = 1_048_575  # Excel's row limit, minus the header
_EXCEL_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()  # day 0 of Excel's 1900 system
_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")
_ROWS_PER_WRITE = 1000  # ~0.5 MB of XML per write keeps memory flat

# Characters XML 1.0 cannot carry (\t and \n are fine; \r is normalised to \n first).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# --- cells ------------------------------------------------------------------------------------


def column_letter(index: int) -> str:
    """A, B, … Z, AA, AB, … for a 0-based column index."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def display_width(text: str) -> int:
    """Width in Excel character units: CJK and other wide characters count about 2."""
    if text.isascii():  # a flag Python keeps: no scan
        return len(text)
    # UTF-8 takes 3 bytes for CJK and 1 for ASCII, so this counts the wide ones cheaply.
    return len(text) + (len(text.encode("utf-8", "replace")) - len(text)) // 2


def xml_safe(value: str) -> str:
    """Remove what XML cannot hold and cut to Excel's cell limit; data stays otherwise as typed."""
    value = str(value)
    if not value.isprintable():  # fast path: most values have no control characters
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
        value = _ILLEGAL_XML.sub("", value)
    return cut_utf16(value, MAX_CELL_CHARS)  # Excel counts UTF-16 units: an emoji is two


def escape_attr(text: str) -> str:
    return escape(text).replace('"', "&quot;")


def text_cell(ref: str, style: int, value: str) -> str:
    """A text cell as an inline string: never a formula, whatever the value starts with."""
    if not value:
        return ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is>{_cached_text(value)}</is></c>'


def unique_text_cell(ref: str, style: int, value: str) -> str:
    """`text_cell` for values that differ on every row (hashes, paths): caching would only churn."""
    if not value:
        return ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is>{inline_text(value)}</is></c>'


def plain_ascii(value: str) -> bool:
    """True when `inline_text(value)` is `<t>value</t>` and its display width its length: short
    printable ASCII, no `_`, `&`, `<`, `>`, no leading or trailing space (hashes, most paths and
    ids). A handful of checks in C, where `inline_text` and `display_width` are two calls."""
    return (value.isascii() and value.isprintable() and len(value) * 2 <= MAX_CELL_CHARS and "_" not in value
            and "&" not in value and "<" not in value and ">" not in value and value[:1] != " " != value[-1:])


def inline_text(value: str) -> str:
    """A text cell's <t>: XML-safe, escaped, its leading and trailing spaces kept."""
    # Each step only when needed: most values are short, printable and plain (the register
    # writes a few of these per row, so the checks are spelled out here).
    if len(value) * 2 > MAX_CELL_CHARS or not value.isprintable():
        value = xml_safe(value)
    if "_" in value:  # `_x0041_` typed as text is written `_x005F_x0041_`: readers show it as typed.
        value = escape_xstring(value)
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    # Excel drops leading/trailing spaces unless told to keep them.
    if value[:1].isspace() or value[-1:].isspace():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


# Statuses, departments, people, names… repeat on most rows.
_cached_text = lru_cache(maxsize=8192)(inline_text)


def date_cell(ref: str, style: int, value: date | None) -> str:
    """A date or datetime as Excel's day number; the style's number format shows it."""
    return "" if value is None else f'<c r="{ref}" s="{style}"><v>{serial(value)}</v></c>'


def serial(value: date) -> str:
    """Excel's day number (1900 date system); datetimes keep the time as a fraction."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return repr(value.toordinal() - _EXCEL_EPOCH_ORDINAL + seconds / 86400)
    return str(value.toordinal() - _EXCEL_EPOCH_ORDINAL)


# Characters a relationship target (a URI reference) cannot carry as typed. CJK stays as is
# (IRI, as Excel writes it); `#` and `?` would otherwise cut the path short.
_URI_ESCAPES = {c: f"%{ord(c):02X}" for c in ' "%#<>?[\\]^`{|}'} | {
    chr(i): f"%{i:02X}" for i in range(0x20)
}
_URI_TABLE = str.maketrans(_URI_ESCAPES)
_URI_UNSAFE = re.compile("[" + re.escape("".join(_URI_ESCAPES)) + "]")


def link_target(path: str) -> str:
    """The relationship Target for a relative POSIX path: a relative URI reference."""
    # translate() is slow on non-ASCII text; most paths need no escaping at all.
    return path.translate(_URI_TABLE) if _URI_UNSAFE.search(path) else path


class Links:
    """A sheet's hyperlinks, collected while its rows are built (rId1, rId2, … in order).

    Kept as the XML they become (the sheet's <hyperlink> elements and its relationships),
    deflated into temp files a chunk at a time (`DeflatedPart`): a register tab can hold 65,530
    of them, three tabs at once.
    """

    def __init__(self) -> None:
        self.count = 0
        self._refs: list[str] = []
        self._rels: list[str] = []
        self._parts: tuple[DeflatedPart, DeflatedPart] | None = None

    def add(self, cell: str, target: str, xml_target: str | None = None) -> bool:
        """Record a link from `cell`; False when Excel could not take it (the caller shows text).

        `xml_target`: `relationship_target(target)`, when the caller has it already.
        """
        if len(target) > MAX_LINK_CHARS:
            return False
        return self.add_rel(cell, _RELATIONSHIP_TAIL.format(xml_target or relationship_target(target)))

    def add_rel(self, cell: str, rel: str) -> bool:
        """`add`, given the link's `relationship_tail` (made once for every tab a row is in)."""
        if self.count >= MAX_LINKS_PER_SHEET:
            return False
        self.count = number = self.count + 1
        self._refs.append(f'<hyperlink ref="{cell}" r:id="rId{number}"/>')
        self._rels.append(f'<Relationship Id="rId{number}{rel}')
        if len(self._refs) >= _ROWS_PER_WRITE:
            self._spill()
        return True

    def _spill(self) -> None:
        if self._parts is None:
            self._parts = (DeflatedPart(), DeflatedPart())
        for part, pieces in zip(self._parts, (self._refs, self._rels), strict=True):
            part.write("".join(pieces).encode())
            pieces.clear()

    def write_refs(self, fh: ZipEntry) -> None:
        """The sheet's <hyperlink> elements, in order (once, before `write_rels`)."""
        self._copy(fh, 0)

    def write_rels(self, fh: ZipEntry) -> None:
        """Their relationships (the sheet's .rels part, without its head and tail), in order."""
        self._copy(fh, 1)

    def _copy(self, fh: ZipEntry, which: int) -> None:
        if self._parts is None:  # a few links: never spilled
            fh.write("".join((self._refs, self._rels)[which]).encode())
            return
        self._spill()
        fh.copy(self._parts[which])

    def close(self) -> None:
        if self._parts is not None:
            for part in self._parts:
                part.close()
            self._parts = None


def relationship_target(target: str) -> str:
    """A link's Target as written in the relationships part."""
    return escape_attr(link_target(target))


def relationship_tail(target: str) -> str:
    """A hyperlink's relationship element after its id: `Links.add_rel` puts rId<n> before it."""
    if _PLAIN_TARGET(target):  # most paths: nothing to escape (one regex instead of five passes)
        return _RELATIONSHIP_TAIL.format(target)
    return _RELATIONSHIP_TAIL.format(relationship_target(target))


_RELATIONSHIP_TAIL = f'" Type="{REL}/hyperlink" Target="{{}}" TargetMode="External"/>'
# No character link_target or escape_attr would change.
_PLAIN_TARGET = re.compile("[^" + re.escape("".join(_URI_ESCAPES)) + "&]*").fullmatch


# --- sheets and the package -------------------------------------------------------------------


@dataclass
class SheetPart:
    """One worksheet as the writer streams it: `rows` yields each row's XML, lazily."""

    name: str
    headers: Sequence[str]
    widths: Sequence[float]
    row_count: int
    rows: Iterable[str]
    links: Links | None = None  # filled while `rows` is consumed
    selected: bool = False  # the tab open when the workbook opens
    select_first_row: bool = False  # put the cursor on A2 (below the frozen header)
    landscape: bool = False  # printed A4 landscape, one page wide, as many pages long as it takes
    hidden_columns: Sequence[int] = ()  # 0-based columns hidden until unhidden (SHA-256)
    print_header: str = ""  # the printed page header, in Excel's header codes (&L, &R…)
    body: DeflatedPart | None = None  # rows already rendered (and deflated), copied before `rows`


def printed(title: str, tab: str, day: date, hidden: Sequence[int] = ()) -> dict[str, Any]:
    """SheetPart arguments for a tab that prints: landscape, one page wide, `hidden` columns,
    the title and tab on the left and the export date on the right of every page's header
    (Excel header codes: a literal & is written &&)."""
    header = f"&L{title.replace('&', '&&')} · {tab.replace('&', '&&')}&R导出日期 {day:%Y-%m-%d}"
    return {"landscape": True, "hidden_columns": tuple(hidden), "print_header": header}


def check_sheets(names: Sequence[str], row_counts: Sequence[int]) -> None:
    """Refuse what Excel would refuse: no sheet, a bad tab name, too many rows."""
    if not names:
        raise ValueError("a workbook needs at least one sheet")
    for name, count in zip(names, row_counts, strict=True):
        if not 0 < len(name) <= 31 or _BAD_SHEET_NAME.search(name):
            raise ValueError(f"invalid sheet name for Excel: {name!r}")
        if count > MAX_SHEET_ROWS:
            raise ValueError(f"{name}: {count} rows exceed Excel's limit")


def write_package(path: Path, sheets: Sequence[SheetPart], styles: Styles, title: str) -> None:
    """Stream the sheets into an .xlsx at `path` (not atomic: callers wrap it)."""
    check_sheets([s.name for s in sheets], [s.row_count for s in sheets])
    with open(path, "wb") as out:
        zf = ZipWriter(out)  # deflate level 1 (xlsx_zip.LEVEL)
        zf.writestr("[Content_Types].xml", content_types_xml(len(sheets)))
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("docProps/app.xml", APP)
        zf.writestr("docProps/core.xml", core_xml(datetime.now(), title))
        zf.writestr("xl/styles.xml", styles.xml())
        for number, sheet in enumerate(sheets, start=1):
            with zf.open(f"xl/worksheets/sheet{number}.xml") as fh:
                _write_sheet(fh, sheet)
            if sheet.links and sheet.links.count:
                with zf.open(f"xl/worksheets/_rels/sheet{number}.xml.rels") as fh:
                    fh.write(f'{XML_DECL}<Relationships xmlns="{PKG_REL}">'.encode())
                    sheet.links.write_rels(fh)
                    fh.write(b"</Relationships>")
            if sheet.links:
                sheet.links.close()  # written: the temp file goes
        zf.writestr("xl/workbook.xml", _workbook(sheets))
        zf.writestr("xl/_rels/workbook.xml.rels", workbook_rels_xml(len(sheets)))
        zf.close()


def _write_sheet(fh: ZipEntry, sheet: SheetPart) -> None:
    """Head, rows in chunks, then filter, links and page setup."""
    fh.write(_sheet_head(sheet).encode())
    if sheet.body is not None:
        fh.copy(sheet.body)
    buffer: list[str] = []
    for row in sheet.rows:
        buffer.append(row)
        if len(buffer) >= _ROWS_PER_WRITE:
            fh.write("".join(buffer).encode())
            buffer.clear()
    fh.write("".join(buffer).encode())
    _write_tail(fh, sheet)


def _sheet_head(sheet: SheetPart) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"{_HIDDEN if i - 1 in sheet.hidden_columns else ""}/>'
        for i, w in enumerate(sheet.widths, 1)
    )
    fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if sheet.landscape else ""
    header = "".join(
        f'<c r="{column_letter(i)}1" s="{HEADER_STYLE}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
        for i, text in enumerate(sheet.headers)
    )
    tab = ' tabSelected="1"' if sheet.selected else ""
    selection = (
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>' if sheet.select_first_row else ""
    )
    return (
        f"{XML_DECL}<worksheet {NS_MAIN} {NS_R}>{fit}"
        f'<sheetViews><sheetView workbookViewId="0"{tab}>'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        f"{selection}</sheetView></sheetViews>"
        f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
        f'<row r="1">{header}</row>'
    )


def _write_tail(fh: ZipEntry, sheet: SheetPart) -> None:
    last = column_letter(len(sheet.headers) - 1)
    tail = f'</sheetData><autoFilter ref="A1:{last}{sheet.row_count + 1}"/>'
    if sheet.links and sheet.links.count:
        fh.write(f"{tail}<hyperlinks>".encode())
        sheet.links.write_refs(fh)
        tail = "</hyperlinks>"
    tail += '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    if sheet.landscape:
        tail += '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
    if sheet.print_header:
        tail += (f"<headerFooter><oddHeader>{escape(sheet.print_header)}</oddHeader>"
                 f"<oddFooter>{escape(_PAGE_FOOTER)}</oddFooter></headerFooter>")
    fh.write(f"{tail}</worksheet>".encode())


# --- the workbook part (the fixed parts are officeflow.xlsx_parts) ------------------------------

_HIDDEN = ' hidden="1"'
_PAGE_FOOTER = "&C第 &P 页，共 &N 页"
def _workbook(sheets: Sequence[SheetPart]) -> str:
    entries = []
    names = []
    for index, sheet in enumerate(sheets):
        entries.append(f'<sheet name="{escape_attr(sheet.name)}" sheetId="{index + 1}" r:id="rId{index + 1}"/>')
        quoted = "'" + escape(sheet.name).replace("'", "''") + "'"
        last = column_letter(len(sheet.headers) - 1)
        # Excel keeps the filter range in this hidden name; without it some versions
        # re-create the filter on the first row only.
        names.append(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
            f"{quoted}!$A$1:${last}${sheet.row_count + 1}</definedName>"
        )
        names.append(  # repeat the header on every printed page
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">{quoted}!$1:$1</definedName>'
        )
    return (
        f"{XML_DECL}<workbook {NS_MAIN} {NS_R}>"
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{''.join(entries)}</sheets><definedNames>{''.join(names)}</definedNames>"
        "</workbook>"
    )
