"""Master register export: a streaming .xlsx writer for the document register (SPEC §4)."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import IO, NamedTuple

from officeflow.fsutil import atomic_write_with

# Why a hand-written writer: with the same styles and links, openpyxl write-only and
# xlsxwriter constant_memory both take far longer than the 3 s budget for 50,000 rows;
# streaming the sheet XML ourselves takes ~1.2 s per 50,000 rows with a flat memory
# profile (bench/register_bench.py). Strings are inline strings (t="inlineStr"), so no
# user value can ever become a formula.

STATUS_PENDING = "待生效"
STATUS_CURRENT = "现行有效"
STATUS_EXPIRED = "已失效"
STATUS_WITHDRAWN = "已废止"

SHEET_ALL = "总台账"
SHEET_CURRENT = "现行有效"
SHEET_REVIEW = "复审提醒"


@dataclass(frozen=True)
class RegisterRow:
    """One version of one document, as the register lists it."""

    doc_id: str
    name: str
    kind_label: str
    version: str
    status: str  # 待生效 / 现行有效 / 已失效 / 已废止
    effective_date: date | None
    expiry_date: date | None  # 失效日期
    category: str
    department: str
    owner: str
    approver: str  # 终审人
    next_review_date: date | None
    document_path: str  # .docx relative to the register's folder, POSIX separators
    source_path: str  # archived source workbook, same convention
    sha256: str  # of the source workbook
    received_at: datetime
    withdrawal_reason: str = ""  # 废止原因, for 已废止 versions


# Column header, value kind, maximum width. Kinds: text, date, datetime, link, status.
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("流程编号", "text", 24),
    ("流程名称", "text", 50),
    ("模板类型", "text", 20),
    ("版本号", "text", 10),
    ("状态", "status", 12),
    ("生效日期", "date", 12),
    ("失效日期", "date", 12),
    ("流程类别", "text", 24),
    ("主责部门", "text", 24),
    ("流程负责人", "text", 16),
    ("终审人", "text", 16),
    ("下次复审日期", "date", 14),
    ("文档链接", "link", 40),
    ("源文件", "text", 60),
    ("SHA-256", "text", 20),  # 64 hex digits; nobody reads them, the filter still works
    ("接收时间", "datetime", 20),
    ("废止原因", "text", 30),
)
HEADERS: tuple[str, ...] = tuple(header for header, _, _ in COLUMNS)
_LETTERS: tuple[str, ...] = tuple(chr(ord("A") + i) for i in range(len(COLUMNS)))
_LAST = _LETTERS[-1]
FIELDS: tuple[str, ...] = (
    "doc_id", "name", "kind_label", "version", "status", "effective_date", "expiry_date",
    "category", "department", "owner", "approver", "next_review_date", "document_path",
    "source_path", "sha256", "received_at", "withdrawal_reason",
)  # fmt: skip
_MUTED_STATUSES = frozenset({STATUS_EXPIRED, STATUS_WITHDRAWN})

# Excel refuses more hyperlinks than this on one sheet, or longer addresses; such cells
# show the relative path as text instead.
MAX_LINKS_PER_SHEET = 65_530
_MAX_LINK_CHARS = 2_079
_MAX_CELL_CHARS = 32_767  # Excel's limit; longer text makes Excel "repair" the file
_EXCEL_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()  # day 0 of Excel's 1900 system

# Characters XML 1.0 cannot carry (\t and \n are fine; \r is normalised to \n first).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class RegisterSheet:
    """One worksheet of the register: a tab name and the rows it lists (same 17 columns)."""

    name: str
    rows: Sequence[RegisterRow]


@dataclass(frozen=True)
class TableSheet:
    """A plain sheet with its own columns (e.g. 培训副本发放): header, kind, width; then rows."""

    name: str
    columns: tuple[tuple[str, str, int], ...]  # kinds: text, date, datetime
    rows: Sequence[tuple[str | date | None, ...]]


_MAX_SHEET_ROWS = 1_048_575  # Excel's row limit, minus the header
_BAD_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def export_register(
    rows: Iterable[RegisterRow],
    path: Path,
    *,
    today: date | None = None,
    review_notice_days: int = 30,
    extra_sheets: Sequence[TableSheet] = (),
) -> int:
    """Write the register workbook atomically; return the number of rows written."""
    today = today or date.today()
    all_rows = rows if isinstance(rows, Sequence) else list(rows)
    current = [row for row in all_rows if row.status == STATUS_CURRENT]
    notice = today + timedelta(days=review_notice_days)
    due = sorted(
        (r for r in current if r.next_review_date and _day(r.next_review_date) <= notice),
        key=lambda r: (_day(r.next_review_date), r.doc_id),  # type: ignore[arg-type]
    )
    sheets = [
        RegisterSheet(SHEET_ALL, all_rows),
        RegisterSheet(SHEET_CURRENT, current),
        RegisterSheet(SHEET_REVIEW, due),
        *extra_sheets,
    ]
    atomic_write_with(path, lambda temp: write_workbook(temp, sheets, today))
    return len(all_rows)


def write_workbook(path: Path, sheets: Sequence[RegisterSheet | TableSheet], today: date) -> None:
    """Stream the sheets into an .xlsx at `path` (not atomic: export_register wraps it)."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    for sheet in sheets:
        if not 0 < len(sheet.name) <= 31 or _BAD_SHEET_NAME.search(sheet.name):
            raise ValueError(f"invalid sheet name for Excel: {sheet.name!r}")
        if len(sheet.rows) > _MAX_SHEET_ROWS:
            raise ValueError(f"{sheet.name}: {len(sheet.rows)} rows exceed Excel's limit")
    # Widths come from the full register so every tab lines up the same way.
    register = [sheet for sheet in sheets if isinstance(sheet, RegisterSheet)]
    widths = column_widths(register[0].rows if register else [])
    # Level 1 deflate: 2.5x faster than the default 6 on register XML, the file ~25 % larger.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _content_types(len(sheets)))
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("docProps/app.xml", _APP)
        zf.writestr("docProps/core.xml", _core(datetime.now()))
        zf.writestr("xl/styles.xml", _STYLES)
        for number, sheet in enumerate(sheets, start=1):
            with zf.open(f"xl/worksheets/sheet{number}.xml", "w") as fh:
                if isinstance(sheet, TableSheet):
                    links = _write_table_sheet(fh, sheet)
                else:
                    links = _write_sheet(fh, sheet.rows, widths, today, selected=number == 1)
            if links:
                zf.writestr(f"xl/worksheets/_rels/sheet{number}.xml.rels", _sheet_rels(links))
        zf.writestr("xl/workbook.xml", _workbook(sheets))
        zf.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))


def display_width(text: str) -> int:
    """Width in Excel character units: CJK and other wide characters count about 2."""
    # UTF-8 takes 3 bytes for CJK and 1 for ASCII, so this counts the wide ones cheaply.
    return len(text) + (len(text.encode("utf-8", "replace")) - len(text)) // 2


def column_widths(rows: Sequence[RegisterRow]) -> list[float]:
    """Column widths that fit the header and the widest value, capped per column."""
    # +4 leaves room for the filter button beside the bold header.
    widths = [display_width(header) + 4 for header in HEADERS]
    for col, (_, kind, cap) in enumerate(COLUMNS):
        if kind == "date":
            widths[col] = max(widths[col], 12)
        elif kind == "datetime":
            widths[col] = max(widths[col], 20)
        else:
            # Distinct values only: most columns repeat a few departments, people, statuses.
            values = set(map(attrgetter(FIELDS[col]), rows))
            texts = map(_link_text, values) if kind == "link" else values
            widest = max(map(display_width, filter(None, texts)), default=0)
            widths[col] = min(max(widths[col], widest + 2), cap)
    return widths


def _write_sheet(
    fh: IO[bytes], rows: Sequence[RegisterRow], widths: Sequence[float], today: date, selected: bool
) -> list[str]:
    """Write one worksheet row by row; return the hyperlink targets (rId1, rId2, … in order)."""
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1)
    )
    header = "".join(
        f'<c r="{letter}1" s="{_XF_HEADER}" t="inlineStr"><is><t>{text}</t></is></c>'
        for letter, text in zip(_LETTERS, HEADERS, strict=True)
    )
    tab = ' tabSelected="1"' if selected else ""
    fh.write(
        (
            f"{_XML_DECL}<worksheet {_NS_MAIN} {_NS_R}>"
            f'<sheetViews><sheetView workbookViewId="0"{tab}>'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
            f'<row r="1">{header}</row>'
        ).encode()
    )
    links: list[str] = []
    link_cells: list[str] = []
    buffer: list[str] = []
    for number, row in enumerate(rows, start=2):
        buffer.append(_row_xml(number, row, today, links, link_cells))
        if len(buffer) >= 1000:  # ~0.5 MB of XML per write keeps memory flat
            fh.write("".join(buffer).encode())
            buffer.clear()
    fh.write("".join(buffer).encode())
    last_row = len(rows) + 1
    tail = [f'</sheetData><autoFilter ref="A1:{_LAST}{last_row}"/>']
    if links:
        tail.append("<hyperlinks>")
        tail.extend(
            f'<hyperlink ref="{cell}" r:id="rId{i}"/>' for i, cell in enumerate(link_cells, 1)
        )
        tail.append("</hyperlinks>")
    tail.append(
        '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape"/></worksheet>'
    )
    fh.write("".join(tail).encode())
    return links


def _write_table_sheet(fh: IO[bytes], sheet: TableSheet) -> list[str]:
    """A small sheet of plain text/date cells, same header style, filter and frozen row."""
    letters = [chr(ord("A") + i) for i in range(len(sheet.columns))]
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, (_, _, w) in enumerate(sheet.columns, 1))
    header = "".join(f'<c r="{letter}1" s="{_XF_HEADER}" t="inlineStr"><is><t>{_escape(text)}</t></is></c>'
                     for letter, (text, _, _) in zip(letters, sheet.columns, strict=True))
    body = [f"{_XML_DECL}<worksheet {_NS_MAIN} {_NS_R}><sheetViews><sheetView workbookViewId=\"0\">"
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView>'
            f'</sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
            f'<row r="1">{header}</row>']
    for number, values in enumerate(sheet.rows, start=2):
        cells = []
        for letter, (_, kind, _), value in zip(letters, sheet.columns, values, strict=True):
            ref = f"{letter}{number}"
            if kind == "text" or not isinstance(value, date):
                cells.append(_str(ref, _XF_NORMAL.text, "" if value is None else str(value)))
            else:
                cells.append(_num(ref, _XF_NORMAL.datetime if kind == "datetime" else _XF_NORMAL.date, value))
        body.append(f'<row r="{number}">{"".join(cells)}</row>')
    body.append(f'</sheetData><autoFilter ref="A1:{letters[-1]}{len(sheet.rows) + 1}"/>'
                '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                "</worksheet>")
    fh.write("".join(body).encode())
    return []


def _row_xml(
    number: int, row: RegisterRow, today: date, links: list[str], link_cells: list[str]
) -> str:
    """One <row>; records its hyperlink (target, cell) in `links`/`link_cells`."""
    # Spelled out cell by cell (no loop over COLUMNS): this runs 17 times per row and is
    # most of the export time. The letters follow COLUMNS; the tests pin every column.
    r = str(number)
    # Superseded and withdrawn versions stay listed but greyed out; the status cell says why.
    xf = _XF_MUTED if row.status in _MUTED_STATUSES else _XF_NORMAL
    text = xf.text
    review = row.next_review_date
    overdue = row.status == STATUS_CURRENT and review is not None and _day(review) < today
    link = ""
    if row.document_path:
        target = xml_safe(row.document_path).replace("\\", "/")
        if len(links) < MAX_LINKS_PER_SHEET and len(target) <= _MAX_LINK_CHARS:
            links.append(target)
            link_cells.append("M" + r)
            link = _str_unique("M" + r, xf.link, _link_text(target))
        else:
            link = _str_unique("M" + r, text, target)
    return "".join(
        (
            f'<row r="{r}">',
            _str("A" + r, text, row.doc_id),
            _str("B" + r, text, row.name),
            _str("C" + r, text, row.kind_label),
            _str("D" + r, text, row.version),
            _str("E" + r, _XF_STATUS.get(row.status, text), row.status),
            _num("F" + r, xf.date, row.effective_date),
            _num("G" + r, xf.date, row.expiry_date),
            _str("H" + r, text, row.category),
            _str("I" + r, text, row.department),
            _str("J" + r, text, row.owner),
            _str("K" + r, text, row.approver),
            _num("L" + r, _XF_OVERDUE if overdue else xf.date, review),
            link,
            _str_unique("N" + r, text, row.source_path),
            _str_unique("O" + r, text, row.sha256),
            _num("P" + r, xf.datetime, row.received_at),
            _str("Q" + r, text, row.withdrawal_reason),
            "</row>",
        )
    )


def _str(ref: str, style: int, value: str) -> str:
    """A text cell as an inline string: never a formula, whatever the value starts with."""
    if not value:
        return ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is>{_cached_text(value)}</is></c>'


def _str_unique(ref: str, style: int, value: str) -> str:
    """`_str` for values that differ on every row (hashes, paths): caching would only churn."""
    if not value:
        return ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is>{_inline_text(value)}</is></c>'


def _inline_text(value: str) -> str:
    text = _escape(xml_safe(value))
    # Excel drops leading/trailing spaces unless told to keep them.
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


# Statuses, departments, people, names… repeat on most rows.
_cached_text = lru_cache(maxsize=8192)(_inline_text)


def _num(ref: str, style: int, value: date | None) -> str:
    return "" if value is None else f'<c r="{ref}" s="{style}"><v>{_serial(value)}</v></c>'


def xml_safe(value: str) -> str:
    """Remove what XML cannot hold and cut to Excel's cell limit; data stays otherwise as typed."""
    value = str(value)
    if not value.isprintable():  # fast path: most values have no control characters
        value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
        value = _ILLEGAL_XML.sub("", value)
    return value[:_MAX_CELL_CHARS]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;")


def _link_text(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


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


def _serial(value: date) -> str:
    """Excel's day number (1900 date system); datetimes keep the time as a fraction."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone().replace(tzinfo=None)
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        return repr(value.toordinal() - _EXCEL_EPOCH_ORDINAL + seconds / 86400)
    return str(value.toordinal() - _EXCEL_EPOCH_ORDINAL)


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- the fixed parts of the package ---------------------------------------------------------

_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"

_ROOT_RELS = (
    f'{_XML_DECL}<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    f'{_XML_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>officeflow</Application></Properties>'
)


def _core(now: datetime) -> str:
    stamp = now.astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    stamp = f"{stamp[:-2]}:{stamp[-2:]}"  # W3CDTF wants +08:00, strftime gives +0800
    return (
        f'{_XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:title>流程文件总台账</dc:title><dc:creator>officeflow</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _content_types(sheet_count: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="{_CT}.spreadsheetml.worksheet+xml"/>'
        for i in range(1, sheet_count + 1)
    )
    return (
        f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
        f"{sheets}"
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        f'<Override PartName="/docProps/app.xml" ContentType="{_CT}.extended-properties+xml"/>'
        "</Types>"
    )


def _workbook(sheets: Sequence[RegisterSheet | TableSheet]) -> str:
    entries = []
    names = []
    for index, sheet in enumerate(sheets):
        entries.append(
            f'<sheet name="{_escape_attr(sheet.name)}" sheetId="{index + 1}" r:id="rId{index + 1}"/>'
        )
        quoted = "'" + _escape(sheet.name).replace("'", "''") + "'"
        # Excel keeps the filter range in this hidden name; without it some versions
        # re-create the filter on the first row only.
        names.append(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
            f"{quoted}!$A$1:${_last_letter(sheet)}${len(sheet.rows) + 1}</definedName>"
        )
        names.append(  # repeat the header on every printed page
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">{quoted}!$1:$1</definedName>'
        )
    return (
        f"{_XML_DECL}<workbook {_NS_MAIN} {_NS_R}>"
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{''.join(entries)}</sheets><definedNames>{''.join(names)}</definedNames>"
        "</workbook>"
    )


def _last_letter(sheet: RegisterSheet | TableSheet) -> str:
    return chr(ord("A") + len(sheet.columns) - 1) if isinstance(sheet, TableSheet) else _LAST


def _workbook_rels(sheet_count: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, sheet_count + 1)
    )
    styles = f'<Relationship Id="rId{sheet_count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return f'{_XML_DECL}<Relationships xmlns="{_PKG_REL}">{sheets}{styles}</Relationships>'


def _sheet_rels(targets: Sequence[str]) -> str:
    links = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/hyperlink" '
        f'Target="{_escape_attr(link_target(t))}" TargetMode="External"/>'
        for i, t in enumerate(targets, 1)
    )
    return f'{_XML_DECL}<Relationships xmlns="{_PKG_REL}">{links}</Relationships>'


# Styles. Fonts/fills are listed once; each cell format (xf) picks one of each.
_FONT = '<font>{}<sz val="11"/>{}<name val="等线"/><family val="2"/><charset val="134"/></font>'
_FONTS = (
    _FONT.format("", ""),  # 0 normal
    _FONT.format("<b/>", ""),  # 1 header
    _FONT.format("", '<color rgb="FF808080"/>'),  # 2 muted (superseded/withdrawn rows)
    _FONT.format("<u/>", '<color rgb="FF0563C1"/>'),  # 3 link
    _FONT.format("<u/>", '<color rgb="FF808080"/>'),  # 4 muted link
    _FONT.format("<b/>", '<color rgb="FF006100"/>'),  # 5 现行有效
    _FONT.format("", '<color rgb="FF1F4E78"/>'),  # 6 待生效
    _FONT.format("<strike/>", '<color rgb="FF808080"/>'),  # 7 已失效
    _FONT.format("<strike/>", '<color rgb="FF9C0006"/>'),  # 8 已废止
    _FONT.format("<b/>", '<color rgb="FF9C0006"/>'),  # 9 overdue review
)
_FILLS = (
    '<fill><patternFill patternType="none"/></fill>',
    '<fill><patternFill patternType="gray125"/></fill>',  # 0 and 1 are reserved by Excel
    *(
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{rgb}"/>'
        '<bgColor indexed="64"/></patternFill></fill>'
        for rgb in ("D9E1F2", "C6EFCE", "DDEBF7", "E7E6E6", "FFC7CE")
    ),  # 2 header, 3 green, 4 blue, 5 grey, 6 red
)
_BORDERS = (
    "<border><left/><right/><top/><bottom/><diagonal/></border>",
    '<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>',
)
_NUMFMT_DATE = 164
_NUMFMT_DATETIME = 165
_NUMFMT_TEXT = 49  # built-in "@": a value retyped in Excel stays text, never a formula

# (number format, font, fill, border, extra) → position in cellXfs.
_XFS: list[tuple[int, int, int, int, str]] = [(0, 0, 0, 0, "")]


def _xf(num_fmt: int, font: int, fill: int = 0, border: int = 0, extra: str = "") -> int:
    _XFS.append((num_fmt, font, fill, border, extra))
    return len(_XFS) - 1


_XF_HEADER = _xf(
    _NUMFMT_TEXT, 1, 2, 1, '<alignment horizontal="center" vertical="center"/>'
)  # fmt: skip


class _RowStyles(NamedTuple):
    text: int
    date: int
    datetime: int
    link: int


_XF_NORMAL = _RowStyles(
    _xf(_NUMFMT_TEXT, 0), _xf(_NUMFMT_DATE, 0), _xf(_NUMFMT_DATETIME, 0), _xf(_NUMFMT_TEXT, 3)
)
_XF_MUTED = _RowStyles(
    _xf(_NUMFMT_TEXT, 2), _xf(_NUMFMT_DATE, 2), _xf(_NUMFMT_DATETIME, 2), _xf(_NUMFMT_TEXT, 4)
)
_XF_STATUS = {
    STATUS_CURRENT: _xf(_NUMFMT_TEXT, 5, 3),
    STATUS_PENDING: _xf(_NUMFMT_TEXT, 6, 4),
    STATUS_EXPIRED: _xf(_NUMFMT_TEXT, 7, 5),
    STATUS_WITHDRAWN: _xf(_NUMFMT_TEXT, 8, 6),
}
_XF_OVERDUE = _xf(_NUMFMT_DATE, 9, 6)


def _styles() -> str:
    xfs = "".join(_xf_xml(*xf) for xf in _XFS)
    return (
        f"{_XML_DECL}<styleSheet {_NS_MAIN}>"
        f'<numFmts count="2"><numFmt numFmtId="{_NUMFMT_DATE}" formatCode="yyyy-mm-dd"/>'
        f'<numFmt numFmtId="{_NUMFMT_DATETIME}" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
        f'<fonts count="{len(_FONTS)}">{"".join(_FONTS)}</fonts>'
        f'<fills count="{len(_FILLS)}">{"".join(_FILLS)}</fills>'
        f'<borders count="{len(_BORDERS)}">{"".join(_BORDERS)}</borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(_XFS)}">{xfs}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
        '<dxfs count="0"/><tableStyles count="0"/>'
        "</styleSheet>"
    )


def _xf_xml(num_fmt: int, font: int, fill: int, border: int, extra: str) -> str:
    applied = [
        name
        for name, used in (
            ("applyNumberFormat", num_fmt),
            ("applyFont", font),
            ("applyFill", fill),
            ("applyBorder", border),
            ("applyAlignment", extra),
        )  # fmt: skip
        if used
    ]
    attrs = "".join(f' {name}="1"' for name in applied)
    head = f'<xf numFmtId="{num_fmt}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"{attrs}'
    return f"{head}>{extra}</xf>" if extra else f"{head}/>"


_STYLES = _styles()
