"""A register row's XML: its cells, their styles, and the column widths its values need.

`RowRenderer.render` turns one version's values (officeflow.register's FIELDS order) into its
<row> once; `place` then numbers it for each tab that lists it and records its hyperlink.
This is most of the export's time (bench/register_export_bench.py), so a row is a join of
cached cells, already UTF-8: a value seen before (a department, a person, a status, a day)
costs a cache look-up, and is escaped, encoded and measured for the column widths only the
first time. Only the paths, hashes and times that differ on every row are built each time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from officeflow.xlsx_stream import (
    Links,
    display_width,
    inline_text,
    relationship_target,
    serial,
    unique_text_cell,
    xml_safe,
)
from officeflow.xlsx_styles import NUMFMT_DATE, NUMFMT_DATETIME, NUMFMT_TEXT, Styles

STATUS_PENDING = "待生效"
STATUS_CURRENT = "现行有效"
STATUS_EXPIRED = "已失效"
STATUS_WITHDRAWN = "已废止"

# A register row's values in officeflow.register.FIELDS order: what `RowRenderer.render` takes.
RowValues = tuple[
    str, str, str, str, str, date | None, date | None, str, str, str, str, date | None, str, str, str, datetime, str,
]  # fmt: skip
STATUS, NEXT_REVIEW = 4, 11  # positions in RowValues the export sorts and filters on
MEASURED = (0, 1, 2, 3, 4, 7, 8, 9, 10, 12, 13, 14, 16)  # columns sized to their values (not dates)
_MARK = "\x00"  # never in a value (xml_safe removes it): stands for the row number
_MARK_BYTE = b"\x00"
_ROW_OPEN = f'<row r="{_MARK}">'.encode()
_CACHED_CELLS = 4096  # per column and style: a few document's worth of ids and names


class RenderedRow(NamedTuple):
    """A row's XML (UTF-8) with `_MARK` for its row number, around its 文档链接 cell (per tab).

    Bytes: rendered once, written to up to three tabs, spooled for one; encoded once per value.
    """

    head: bytes  # <row> and A–L
    link: bytes  # M as a hyperlink's text (b"" for no document)
    tail: bytes  # N–Q and </row>
    target: str  # the link's target, "" for none
    xml_target: str  # the same, as the relationships part writes it
    text_style: int  # M as plain text when the tab cannot take another hyperlink


class RowRenderer:
    """Renders each row once, keeping the widest value of each column (`widest`) on the way.

    One per export: its cell caches are what tell a new value (measured) from one seen before.
    """

    def __init__(self, today: date) -> None:
        self.today = today
        self.widest = [0] * 17
        self._normal, self._muted = self._cells(XF_NORMAL), self._cells(XF_MUTED)
        self._status = {status: self._text_cell(4, _text_head("E", style)) for status, style in _XF_STATUS.items()}
        self._overdue = _date_cell(_date_head("L", _XF_OVERDUE))

    def _cells(self, xf: RowStyles) -> _Cells:
        text = {letter: self._text_cell(ord(letter) - ord("A"), _text_head(letter, xf.text)) for letter in "ABCDEHIJKQ"}
        day = {letter: _date_cell(_date_head(letter, xf.date)) for letter in "FGL"}
        return _Cells(text["A"], text["B"], text["C"], text["D"], text["E"], day["F"], day["G"], text["H"], text["I"],
                      text["J"], text["K"], day["L"], self._text_cell(12, _text_head("M", xf.link)),
                      _text_head("N", xf.text), _text_head("O", xf.text), _date_head("P", xf.datetime), text["Q"],
                      xf.text, xf.link)

    def _text_cell(self, column: int, head: str) -> Callable[[str], bytes]:
        """A text cell of one column in one style, cached by value: a value is measured when new."""
        widest = self.widest

        @lru_cache(maxsize=_CACHED_CELLS)
        def text_cell(value: str) -> bytes:
            if not value:
                return b""
            if (width := display_width(value)) > widest[column]:
                widest[column] = width
            return f"{head}{inline_text(value)}</is></c>".encode()

        return text_cell

    def _measure(self, column: int, value: str) -> None:
        if (width := display_width(value)) > self.widest[column]:
            self.widest[column] = width

    def render(self, values: RowValues) -> RenderedRow:
        """The row's XML, its row number left as `_MARK` (`place` puts it in)."""
        (doc_id, name, kind_label, version, status, effective, expiry, category, department, owner, approver,
         review, document_path, source_path, sha256, received_at, reason) = values
        # Superseded and withdrawn versions stay listed but greyed out; the status cell says why.
        c = self._muted if status in _MUTED_STATUSES else self._normal
        overdue = status == STATUS_CURRENT and review is not None and _day(review) < self.today
        head = b"".join((_ROW_OPEN, c.a(doc_id), c.b(name), c.c(kind_label), c.d(version),
                         self._status.get(status, c.e)(status), c.f(effective), c.g(expiry), c.h(category),
                         c.i(department), c.j(owner), c.k(approver), (self._overdue if overdue else c.l)(review)))
        # Paths and hashes differ on every row: measured and escaped each time, not cached.
        received = f"{c.p}{serial(received_at)}</v></c>" if received_at is not None else ""
        unique = f"{self._unique(13, c.n, source_path)}{self._unique(14, c.o, sha256)}{received}".encode()
        tail = b"".join((unique, c.q(reason), b"</row>"))
        if not document_path:
            return RenderedRow(head, b"", tail, "", "", c.style)
        safe = xml_safe(document_path)
        target = safe.replace("\\", "/")
        text = target.rsplit("/", 1)[-1]
        if safe == document_path:  # the usual case: the text shown is the one measured
            return RenderedRow(head, c.m(text), tail, target, relationship_target(target), c.style)
        if measured := link_text(document_path):
            self._measure(12, measured)
        link = f'<c r="M{_MARK}" s="{c.link_style}" t="inlineStr"><is>{inline_text(text)}</is></c>' if text else ""
        return RenderedRow(head, link.encode(), tail, target, relationship_target(target), c.style)

    def _unique(self, column: int, head: str, value: str) -> str:
        if not value:
            return ""
        if (width := display_width(value)) > self.widest[column]:
            self.widest[column] = width
        return f"{head}{inline_text(value)}</is></c>"

    def widths(self, base: Sequence[float], caps: Sequence[int]) -> list[float]:
        """`base` widened to the widest value measured, up to each column's cap."""
        widths = list(base)
        for column in MEASURED:
            widths[column] = min(max(widths[column], self.widest[column] + 2), caps[column])
        return widths


def place(links: Links, number: int, row: RenderedRow) -> bytes:
    """The rendered row as row `number` of a tab; records its hyperlink in that tab's `links`."""
    r = str(number)
    if not row.target:
        return (row.head + row.tail).replace(_MARK_BYTE, r.encode())
    if links.add("M" + r, row.target, row.xml_target):
        return b"".join((row.head, row.link, row.tail)).replace(_MARK_BYTE, r.encode())
    # Beyond Excel's limits: the whole relative path, so it can still be found.
    link = unique_text_cell("M" + r, row.text_style, row.target).encode()
    return b"".join((row.head, link, row.tail)).replace(_MARK_BYTE, r.encode())


def link_text(path: str) -> str:
    """What the 文档链接 cell shows: the document's file name."""
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def _day(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value


_MUTED_STATUSES = frozenset({STATUS_EXPIRED, STATUS_WITHDRAWN})

# --- styles: the writer's header style first, then the register's own -------------------------

STYLES = Styles()
_MUTED_FONT = STYLES.add_font(rgb="808080")  # superseded/withdrawn rows
_LINK_FONT = STYLES.add_font("<u/>", "0563C1")
_MUTED_LINK_FONT = STYLES.add_font("<u/>", "808080")
_STATUS_FONTS = {
    STATUS_CURRENT: STYLES.add_font("<b/>", "006100"),
    STATUS_PENDING: STYLES.add_font(rgb="1F4E78"),
    STATUS_EXPIRED: STYLES.add_font("<strike/>", "808080"),
    STATUS_WITHDRAWN: STYLES.add_font("<strike/>", "9C0006"),
}
_OVERDUE_FONT = STYLES.add_font("<b/>", "9C0006")
_STATUS_FILLS = {
    STATUS_CURRENT: STYLES.add_fill("C6EFCE"),  # green
    STATUS_PENDING: STYLES.add_fill("DDEBF7"),  # blue
    STATUS_EXPIRED: STYLES.add_fill("E7E6E6"),  # grey
    STATUS_WITHDRAWN: STYLES.add_fill("FFC7CE"),  # red
}


class RowStyles(NamedTuple):
    text: int
    date: int
    datetime: int
    link: int


def _row_styles(font: int, link_font: int) -> RowStyles:
    return RowStyles(
        STYLES.add_xf(NUMFMT_TEXT, font),
        STYLES.add_xf(NUMFMT_DATE, font),
        STYLES.add_xf(NUMFMT_DATETIME, font),
        STYLES.add_xf(NUMFMT_TEXT, link_font),
    )


XF_NORMAL = _row_styles(0, _LINK_FONT)
XF_MUTED = _row_styles(_MUTED_FONT, _MUTED_LINK_FONT)
_XF_STATUS = {
    status: STYLES.add_xf(NUMFMT_TEXT, font, _STATUS_FILLS[status]) for status, font in _STATUS_FONTS.items()
}
_XF_OVERDUE = STYLES.add_xf(NUMFMT_DATE, _OVERDUE_FONT, _STATUS_FILLS[STATUS_WITHDRAWN])


# --- each column's cell up to its value, per style: <c r="A\x00" s="2" t="inlineStr"><is> ------


def _text_head(letter: str, style: int) -> str:
    return f'<c r="{letter}{_MARK}" s="{style}" t="inlineStr"><is>'


def _date_head(letter: str, style: int) -> str:
    return f'<c r="{letter}{_MARK}" s="{style}"><v>'


def _date_cell(head: str) -> Callable[[date | None], bytes]:
    """A date cell of one column in one style, cached by day (days repeat across versions)."""

    @lru_cache(maxsize=_CACHED_CELLS)
    def date_cell(value: date | None) -> bytes:
        return b"" if value is None else f"{head}{serial(value)}</v></c>".encode()

    return date_cell


class _Cells(NamedTuple):
    """One row style's cells, a field per column letter (the letters follow COLUMNS): functions
    from a value to its cell, or the head of a cell not worth caching (N, O, P)."""

    a: Callable[[str], bytes]
    b: Callable[[str], bytes]
    c: Callable[[str], bytes]
    d: Callable[[str], bytes]
    e: Callable[[str], bytes]
    f: Callable[[date | None], bytes]
    g: Callable[[date | None], bytes]
    h: Callable[[str], bytes]
    i: Callable[[str], bytes]
    j: Callable[[str], bytes]
    k: Callable[[str], bytes]
    l: Callable[[date | None], bytes]  # noqa: E741 - the column letter
    m: Callable[[str], bytes]
    n: str
    o: str
    p: str
    q: Callable[[str], bytes]
    style: int  # the row's text style
    link_style: int
