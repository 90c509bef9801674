"""Master register export: the register's columns and sheets (SPEC §4).

The sheets are streamed by `officeflow.xlsx_stream`; this module says what the register
lists (17 columns per version) and its tabs: 总台账, 现行有效, 定期回顾提醒, 培训副本发放….
How each row's cells look (greyed superseded rows, coloured statuses, overdue reviews in
red) is `officeflow.register_render`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from operator import attrgetter
from pathlib import Path
from tempfile import TemporaryFile

from officeflow.fsutil import atomic_write_with
from officeflow.register_render import (
    NEXT_REVIEW,
    STATUS,
    STATUS_CURRENT,
    STATUS_EXPIRED,
    STATUS_PENDING,
    STATUS_WITHDRAWN,
    STYLES,
    XF_NORMAL,
    RenderedRow,
    RowRenderer,
    RowValues,
    link_text,
    place,
)
from officeflow.vocabulary import NEXT_REVIEW_LABEL
from officeflow.xlsx_spool import Spool
from officeflow.xlsx_stream import (
    Links,
    SheetPart,
    column_letter,
    date_cell,
    display_width,
    link_target,
    printed,
    text_cell,
    write_package,
    xml_safe,
)
from officeflow.xlsx_zip import DeflatedPart

__all__ = [
    "COLUMNS", "FIELDS", "HEADERS", "STATUS_CURRENT", "STATUS_EXPIRED", "STATUS_PENDING", "STATUS_WITHDRAWN",
    "RegisterRow", "RegisterSheet", "RowValues", "TableSheet", "column_widths", "display_width", "export_register",
    "export_register_values", "link_target", "row_values", "write_workbook", "xml_safe",
]  # fmt: skip

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
    body: DeflatedPart
    links: Links
    widths: Sequence[float]


row_values: Callable[[RegisterRow], RowValues] = attrgetter(*FIELDS)  # type: ignore[assignment]


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
    return export_register_values(map(row_values, rows), path, today=today, review_notice_days=review_notice_days,
                                  extra_sheets=extra_sheets)


def export_register_values(
    rows: Iterable[RowValues],
    path: Path,
    *,
    today: date | None = None,
    review_notice_days: int = 30,
    extra_sheets: Sequence[TableSheet] | Callable[[], Sequence[TableSheet]] = (),
) -> int:
    """`export_register` for rows given as their values in FIELDS order (`row_values`), as the
    ledger's export builds them: no RegisterRow per version."""
    today = today or date.today()
    notice = today + timedelta(days=review_notice_days)
    renderer = RowRenderer(today)
    render = renderer.render
    with ExitStack() as temp_files:
        everything, current, due = (_Tab(name, temp_files.enter_context(DeflatedPart()),
                                         temp_files.enter_context(closing(Links())))
                                    for name in (SHEET_ALL, SHEET_CURRENT, SHEET_REVIEW))
        # 定期回顾提醒 is sorted by review date: its rows wait on disk, as plain tuples (pickled fast).
        due_rows = Spool[tuple[bytes, int, int, str, str, int]](
            temp_files.enter_context(TemporaryFile(buffering=1 << 20)))
        add, add_current = everything.add, current.add
        for values in rows:
            rendered = render(values)
            add(rendered)
            if values[STATUS] == STATUS_CURRENT:
                add_current(rendered)
                review = values[NEXT_REVIEW]
                if review and _day(review) <= notice:
                    due_rows.add((_day(review), values[0]), tuple(rendered))
        for row in due_rows.sort():
            due.add(RenderedRow(*row))
        widths = renderer.widths(column_widths([]), [cap for _, _, cap in COLUMNS])
        sheets: list[RenderedSheet | TableSheet] = [tab.sheet(widths) for tab in (everything, current, due)]
        sheets += extra_sheets() if callable(extra_sheets) else extra_sheets
        atomic_write_with(path, lambda temp: write_workbook(temp, sheets, today))
    return everything.count


class _Tab:
    """A register tab being written: its rows numbered from 2 (below the header) into a temp file."""

    def __init__(self, name: str, body: DeflatedPart, links: Links) -> None:
        self.name, self.body, self.links = name, body, links
        self.count = 0
        self._rows: list[bytes] = []

    def add(self, row: RenderedRow) -> None:
        self.count += 1
        self._rows.append(place(self.links, self.count + 1, row))
        if len(self._rows) >= _ROWS_PER_WRITE:
            self._flush()

    def _flush(self) -> None:
        self.body.write(b"".join(self._rows))
        self._rows.clear()

    def sheet(self, widths: Sequence[float]) -> RenderedSheet:
        self._flush()
        return RenderedSheet(self.name, self.count, self.body, self.links, widths)


_ROWS_PER_WRITE = 1000  # ~1.5 MB of XML per chunk keeps memory flat


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
    write_package(path, parts, STYLES, TITLE)


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
            texts = map(link_text, values) if kind == "link" else values
            widest = max(map(display_width, filter(None, texts)), default=0)
            widths[col] = min(max(widths[col], widest + 2), cap)
    return widths


def _rendered_part(sheet: RenderedSheet, selected: bool, today: date) -> SheetPart:
    return SheetPart(sheet.name, HEADERS, sheet.widths, sheet.row_count, (), sheet.links, selected=selected,
                     select_first_row=True, body=sheet.body, **printed(TITLE, sheet.name, today, _HIDDEN))


def _register_part(sheet: RegisterSheet, widths: Sequence[float], today: date, selected: bool) -> SheetPart:
    links, render = Links(), RowRenderer(today).render
    rows = (place(links, number, render(row_values(row))).decode() for number, row in enumerate(sheet.rows, start=2))
    return SheetPart(sheet.name, HEADERS, widths, len(sheet.rows), rows, links, selected=selected,
                     select_first_row=True, **printed(TITLE, sheet.name, today, _HIDDEN))


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
                cells.append(text_cell(ref, XF_NORMAL.text, "" if value is None else str(value)))
            else:
                style = XF_NORMAL.datetime if kind == "datetime" else XF_NORMAL.date
                cells.append(date_cell(ref, style, value))
        yield f'<row r="{number}">{"".join(cells)}</row>'


_link_text = link_text  # bench/register_bench.py shows the same text


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value
