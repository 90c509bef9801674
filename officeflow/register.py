"""Master register export: the register's columns and sheets (SPEC §4).

The sheets are streamed by `officeflow.xlsx_stream`; this module says what the register
lists (17 columns per version), how each cell is styled (greyed superseded rows, coloured
statuses, overdue reviews in red) and its tabs: 总台账, 现行有效, 定期回顾提醒, 培训副本发放….
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from operator import attrgetter
from pathlib import Path
from tempfile import TemporaryFile
from typing import IO, NamedTuple

from officeflow.fsutil import atomic_write_with
from officeflow.vocabulary import NEXT_REVIEW_LABEL
from officeflow.xlsx_spool import RowWriter, Spool
from officeflow.xlsx_stream import (
    Links,
    SheetPart,
    column_letter,
    date_cell,
    display_width,
    link_target,
    printed,
    text_cell,
    unique_text_cell,
    write_package,
    xml_safe,
)
from officeflow.xlsx_styles import NUMFMT_DATE, NUMFMT_DATETIME, NUMFMT_TEXT, Styles

__all__ = [
    "COLUMNS", "FIELDS", "HEADERS", "RegisterRow", "RegisterSheet", "TableSheet", "column_widths",
    "display_width", "export_register", "link_target", "write_workbook", "xml_safe",
]  # fmt: skip

STATUS_PENDING = "待生效"
STATUS_CURRENT = "现行有效"
STATUS_EXPIRED = "已失效"
STATUS_WITHDRAWN = "已废止"

SHEET_ALL = "总台账"
SHEET_CURRENT = "现行有效"
SHEET_REVIEW = "定期回顾提醒"
TITLE = "流程文件总台账"


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
    (NEXT_REVIEW_LABEL, "date", 14),
    ("文档链接", "link", 40),
    ("源文件", "text", 60),
    ("SHA-256", "text", 20),  # 64 hex digits; nobody reads them, the filter still works
    ("接收时间", "datetime", 20),
    ("废止原因", "text", 30),
)
HEADERS: tuple[str, ...] = tuple(header for header, _, _ in COLUMNS)
_HIDDEN = (HEADERS.index("源文件"), HEADERS.index("SHA-256"))  # paths and hashes: unhide to read
_LETTERS: tuple[str, ...] = tuple(column_letter(i) for i in range(len(COLUMNS)))
FIELDS: tuple[str, ...] = (
    "doc_id", "name", "kind_label", "version", "status", "effective_date", "expiry_date",
    "category", "department", "owner", "approver", "next_review_date", "document_path",
    "source_path", "sha256", "received_at", "withdrawal_reason",
)  # fmt: skip
_MUTED_STATUSES = frozenset({STATUS_EXPIRED, STATUS_WITHDRAWN})


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


@dataclass(frozen=True)
class RenderedSheet:
    """A register tab (same 17 columns) whose rows `export_register` already rendered to a temp file."""

    name: str
    row_count: int
    body: IO[bytes]
    links: Links
    widths: Sequence[float]


def export_register(
    rows: Iterable[RegisterRow],
    path: Path,
    *,
    today: date | None = None,
    review_notice_days: int = 30,
    extra_sheets: Sequence[TableSheet] | Callable[[], Sequence[TableSheet]] = (),
) -> int:
    """Write the register workbook atomically; return the number of rows written.

    `rows` is consumed once, each rendered once into every tab that lists it (定期回顾提醒 spooled,
    sorted): memory stays flat. `extra_sheets` may be a function, called after that pass.
    """
    today = today or date.today()
    notice = today + timedelta(days=review_notice_days)
    with ExitStack() as temp_files:
        all_body, current_body, due_body, due_rows = (temp_files.enter_context(TemporaryFile()) for _ in range(4))
        meter, due = _WidthMeter(), Spool[_RenderedRow](due_rows)  # 定期回顾提醒 is sorted by review date
        links = tuple(temp_files.enter_context(closing(Links())) for _ in range(3))
        writer_all, writer_current, writer_due = (
            RowWriter(body, partial(_place, links=tab_links))
            for body, tab_links in zip((all_body, current_body, due_body), links, strict=True))
        for row in rows:
            meter.add(row)
            rendered = _render(row, today)
            writer_all.add(rendered)
            if row.status == STATUS_CURRENT:
                writer_current.add(rendered)
                if row.next_review_date and _day(row.next_review_date) <= notice:
                    due.add((_day(row.next_review_date), row.doc_id), rendered)
        for rendered in due.sort():
            writer_due.add(rendered)
        widths = meter.widths()
        sheets: list[RenderedSheet | TableSheet] = [
            RenderedSheet(name, writer.count, body, tab_links, widths)
            for name, writer, body, tab_links in zip((SHEET_ALL, SHEET_CURRENT, SHEET_REVIEW),
                                                     (writer_all, writer_current, writer_due),
                                                     (all_body, current_body, due_body), links, strict=True)
        ]
        for writer in (writer_all, writer_current, writer_due):
            writer.flush()
        sheets += extra_sheets() if callable(extra_sheets) else extra_sheets
        atomic_write_with(path, lambda temp: write_workbook(temp, sheets, today))
    return writer_all.count


class _WidthMeter:
    """`column_widths` of every row seen, kept as one running maximum per column."""

    def __init__(self) -> None:
        self.widest = [0] * len(COLUMNS)
        self._measured = [
            (col, attrgetter(FIELDS[col]), _link_width if kind == "link"
             else display_width if FIELDS[col] in _UNIQUE_FIELDS else _cached_width)
            for col, (_, kind, _) in enumerate(COLUMNS) if kind not in ("date", "datetime")
        ]

    def add(self, row: RegisterRow) -> None:
        widest = self.widest
        for col, value_of, width in self._measured:
            value = value_of(row)
            if value and (w := width(value)) > widest[col]:
                widest[col] = w

    def widths(self) -> list[float]:
        widths = column_widths([])
        for col, (_, kind, cap) in enumerate(COLUMNS):
            if kind not in ("date", "datetime"):
                widths[col] = min(max(widths[col], self.widest[col] + 2), cap)
        return widths


_UNIQUE_FIELDS = frozenset({"source_path", "sha256"})  # differ on every row: a cache would churn
_cached_width = lru_cache(maxsize=4096)(display_width)


def _link_width(path: str) -> int:
    text = _link_text(path)
    return display_width(text) if text else 0


def write_workbook(path: Path, sheets: Sequence[RegisterSheet | RenderedSheet | TableSheet],
                   today: date) -> None:
    """Stream the sheets into an .xlsx at `path` (not atomic: export_register wraps it)."""
    # Widths come from the full register so every tab lines up the same way.
    rendered = [sheet for sheet in sheets if isinstance(sheet, RenderedSheet)]
    register = [sheet for sheet in sheets if isinstance(sheet, RegisterSheet)]
    widths = rendered[0].widths if rendered else column_widths(register[0].rows if register else [])
    parts = [
        _table_part(sheet, today) if isinstance(sheet, TableSheet)
        else _rendered_part(sheet, selected=number == 1, today=today) if isinstance(sheet, RenderedSheet)
        else _register_part(sheet, widths, today, selected=number == 1)
        for number, sheet in enumerate(sheets, start=1)
    ]  # fmt: skip
    write_package(path, parts, _STYLES, TITLE)


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


def _rendered_part(sheet: RenderedSheet, selected: bool, today: date) -> SheetPart:
    return SheetPart(sheet.name, HEADERS, sheet.widths, sheet.row_count, (), sheet.links, selected=selected,
                     select_first_row=True, body=sheet.body, **printed(TITLE, sheet.name, today, _HIDDEN))


def _register_part(sheet: RegisterSheet, widths: Sequence[float], today: date, selected: bool) -> SheetPart:
    links = Links()
    rows = (_row_xml(number, row, today, links) for number, row in enumerate(sheet.rows, start=2))
    return SheetPart(sheet.name, HEADERS, widths, len(sheet.rows), rows, links, selected=selected,
                     select_first_row=True, **printed(TITLE, sheet.name, today, _HIDDEN))


def _row_xml(number: int, row: RegisterRow, today: date, links: Links) -> str:
    """One <row>; records its hyperlink in `links`."""
    return _place(number, _render(row, today), links)


class _RenderedRow(NamedTuple):
    """A row's XML with `_MARK` for its row number, around its 文档链接 cell (per sheet)."""

    head: str  # <row> and A–L
    tail: str  # N–Q and </row>
    target: str  # the link's target, "" for none
    link_style: int
    text_style: int


_MARK = "\x00"  # never in a value (xml_safe removes it): stands for the row number


def _render(row: RegisterRow, today: date) -> _RenderedRow:
    """Rendered once per version, then numbered for each tab that lists it (`_place`)."""
    # Spelled out cell by cell (no loop over COLUMNS): this runs 17 times per row and is
    # most of the export time. The letters follow COLUMNS; the tests pin every column.
    r = _MARK
    # Superseded and withdrawn versions stay listed but greyed out; the status cell says why.
    xf = _XF_MUTED if row.status in _MUTED_STATUSES else _XF_NORMAL
    text = xf.text
    review = row.next_review_date
    overdue = row.status == STATUS_CURRENT and review is not None and _day(review) < today
    head = "".join((
        f'<row r="{r}">',
        text_cell("A" + r, text, row.doc_id),
        text_cell("B" + r, text, row.name),
        text_cell("C" + r, text, row.kind_label),
        text_cell("D" + r, text, row.version),
        text_cell("E" + r, _XF_STATUS.get(row.status, text), row.status),
        date_cell("F" + r, xf.date, row.effective_date),
        date_cell("G" + r, xf.date, row.expiry_date),
        text_cell("H" + r, text, row.category),
        text_cell("I" + r, text, row.department),
        text_cell("J" + r, text, row.owner),
        text_cell("K" + r, text, row.approver),
        date_cell("L" + r, _XF_OVERDUE if overdue else xf.date, review),
    ))
    tail = "".join((
        unique_text_cell("N" + r, text, row.source_path),
        unique_text_cell("O" + r, text, row.sha256),
        date_cell("P" + r, xf.datetime, row.received_at),
        text_cell("Q" + r, text, row.withdrawal_reason),
        "</row>",
    ))
    target = xml_safe(row.document_path).replace("\\", "/") if row.document_path else ""
    return _RenderedRow(head, tail, target, xf.link, text)


def _place(number: int, row: _RenderedRow, links: Links) -> str:
    """The rendered row as row `number` of a tab; records its hyperlink in that tab's `links`."""
    r = str(number)
    link = ""
    if row.target:
        if links.add("M" + r, row.target):
            link = unique_text_cell("M" + r, row.link_style, _link_text(row.target))
        else:  # beyond Excel's limits: the whole relative path, so it can still be found
            link = unique_text_cell("M" + r, row.text_style, row.target)
    return row.head.replace(_MARK, r) + link + row.tail.replace(_MARK, r)


def _table_part(sheet: TableSheet, today: date) -> SheetPart:
    headers, widths = [header for header, _, _ in sheet.columns], [width for _, _, width in sheet.columns]
    return SheetPart(sheet.name, headers, widths, len(sheet.rows), _table_rows(sheet), **printed(TITLE, sheet.name, today))


def _table_rows(sheet: TableSheet) -> Iterator[str]:
    """Plain text/date cells in the register's normal style."""
    letters = [column_letter(i) for i in range(len(sheet.columns))]
    kinds = [kind for _, kind, _ in sheet.columns]
    for number, values in enumerate(sheet.rows, start=2):
        cells = []
        for letter, kind, value in zip(letters, kinds, values, strict=True):
            ref = f"{letter}{number}"
            if kind == "text" or not isinstance(value, date):
                cells.append(text_cell(ref, _XF_NORMAL.text, "" if value is None else str(value)))
            else:
                style = _XF_NORMAL.datetime if kind == "datetime" else _XF_NORMAL.date
                cells.append(date_cell(ref, style, value))
        yield f'<row r="{number}">{"".join(cells)}</row>'


def _link_text(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- styles: the writer's header style first, then the register's own -------------------------

_STYLES = Styles()
_MUTED_FONT = _STYLES.add_font(rgb="808080")  # superseded/withdrawn rows
_LINK_FONT = _STYLES.add_font("<u/>", "0563C1")
_MUTED_LINK_FONT = _STYLES.add_font("<u/>", "808080")
_STATUS_FONTS = {
    STATUS_CURRENT: _STYLES.add_font("<b/>", "006100"),
    STATUS_PENDING: _STYLES.add_font(rgb="1F4E78"),
    STATUS_EXPIRED: _STYLES.add_font("<strike/>", "808080"),
    STATUS_WITHDRAWN: _STYLES.add_font("<strike/>", "9C0006"),
}
_OVERDUE_FONT = _STYLES.add_font("<b/>", "9C0006")
_STATUS_FILLS = {
    STATUS_CURRENT: _STYLES.add_fill("C6EFCE"),  # green
    STATUS_PENDING: _STYLES.add_fill("DDEBF7"),  # blue
    STATUS_EXPIRED: _STYLES.add_fill("E7E6E6"),  # grey
    STATUS_WITHDRAWN: _STYLES.add_fill("FFC7CE"),  # red
}


class _RowStyles(NamedTuple):
    text: int
    date: int
    datetime: int
    link: int


def _row_styles(font: int, link_font: int) -> _RowStyles:
    return _RowStyles(
        _STYLES.add_xf(NUMFMT_TEXT, font),
        _STYLES.add_xf(NUMFMT_DATE, font),
        _STYLES.add_xf(NUMFMT_DATETIME, font),
        _STYLES.add_xf(NUMFMT_TEXT, link_font),
    )


_XF_NORMAL = _row_styles(0, _LINK_FONT)
_XF_MUTED = _row_styles(_MUTED_FONT, _MUTED_LINK_FONT)
_XF_STATUS = {
    status: _STYLES.add_xf(NUMFMT_TEXT, font, _STATUS_FILLS[status]) for status, font in _STATUS_FONTS.items()
}
_XF_OVERDUE = _STYLES.add_xf(NUMFMT_DATE, _OVERDUE_FONT, _STATUS_FILLS[STATUS_WITHDRAWN])
