"""A register row's XML: its cells, their styles, and the column widths its values need.

`RowRenderer.render` turns one version's values (officeflow.register's FIELDS order) into its
<row> once; `place` then numbers it for each tab that lists it and records its hyperlink.
This is most of the export's time (bench/register_export_bench.py), so a row is a join of
cached cells, already UTF-8: a value seen before (a department, a person, a status, a day)
costs a dict look-up (`_Cells`: a plain dict per column, not lru_cache, whose bookkeeping cost
more than the look-up), and is escaped, encoded and measured for the column widths only the
first time. Only the paths, hashes and times that differ on every row are built each time,
and a row's hyperlink relationship once for every tab it is placed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from officeflow.xlsx_stream import (
    MAX_LINK_CHARS,
    Links,
    display_width,
    inline_text,
    plain_ascii,
    relationship_tail,
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
_CACHED_CELLS = 4096  # per column and style: a few thousand documents' ids and names


class RenderedRow(NamedTuple):
    """A row's XML (UTF-8) with `_MARK` for its row number, its 文档链接 cell (M) a hyperlink's text.

    Bytes: rendered once, written to up to three tabs, spooled for one; encoded once per value.
    """

    xml: bytes  # <row>, A–Q, </row>
    link_at: int  # where M starts in `xml`
    link_end: int  # where it ends (== link_at: no document)
    target: str  # the link's target, "" for none
    rel: str  # its relationship after the id (`Links.add_rel`), "" when Excel could not take it
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

    def _text_cell(self, column: int, head: str) -> _CellCache:
        """A text cell of one column in one style, cached by value: a value is measured when new."""
        return _CellCache(lambda value: self._unique(column, head, value).encode())

    def _measure(self, column: int, value: str) -> None:
        if (width := display_width(value)) > self.widest[column]:
            self.widest[column] = width

    def render(self, values: RowValues) -> RenderedRow:
        """The row's XML, its row number left as `_MARK` (`place` puts it in)."""
        (doc_id, name, kind_label, version, status, effective, expiry, category, department, owner, approver,
         review, document_path, source_path, sha256, received_at, reason) = values
        # Superseded and withdrawn versions stay listed but greyed out; the status cell says why.
        (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, style, link_style) = (  # noqa: E741 - column letters
            self._muted if status in _MUTED_STATUSES else self._normal)
        overdue = status == STATUS_CURRENT and review is not None and _day(review) < self.today
        head = b"".join((_ROW_OPEN, a[doc_id], b[name], c[kind_label], d[version], self._status.get(status, e)[status],
                         f[effective], g[expiry], h[category], i[department], j[owner], k[approver],
                         (self._overdue if overdue else l)[review]))
        # Paths and hashes differ on every row: measured and escaped each time, not cached.
        received = f"{p}{serial(received_at)}</v></c>" if received_at is not None else ""
        unique = f"{self._unique(13, n, source_path)}{self._unique(14, o, sha256)}{received}".encode()
        tail = b"".join((unique, q[reason], b"</row>"))
        at = len(head)
        if not document_path:
            return _new_row(RenderedRow, (head + tail, at, at, "", "", style))
        safe = xml_safe(document_path)
        target = safe.replace("\\", "/")
        text = target.rsplit("/", 1)[-1]
        rel = relationship_tail(target) if len(target) <= MAX_LINK_CHARS else ""
        if safe == document_path:  # the usual case: the text shown is the one measured
            link = m[text]
        else:
            if measured := link_text(document_path):
                self._measure(12, measured)
            cell = f'<c r="M{_MARK}" s="{link_style}" t="inlineStr"><is>{inline_text(text)}</is></c>' if text else ""
            link = cell.encode()
        return _new_row(RenderedRow, (b"".join((head, link, tail)), at, at + len(link), target, rel, style))

    def _unique(self, column: int, head: str, value: str) -> str:
        """A text cell, measured for its column's width ("" for no value)."""
        if not value:
            return ""
        if plain_ascii(value):
            if len(value) > self.widest[column]:
                self.widest[column] = len(value)
            return f"{head}<t>{value}</t></is></c>"
        if (width := display_width(value)) > self.widest[column]:
            self.widest[column] = width
        return f"{head}{inline_text(value)}</is></c>"

    def widths(self, base: Sequence[float], caps: Sequence[int]) -> list[float]:
        """`base` widened to the widest value measured, up to each column's cap."""
        widths = list(base)
        for column in MEASURED:
            widths[column] = min(max(widths[column], self.widest[column] + 2), caps[column])
        return widths


_new_row = tuple.__new__  # a RenderedRow without its Python-level __new__ (once per version)


def place(links: Links, number: int, row: RenderedRow) -> bytes:
    """The rendered row as row `number` of a tab; records its hyperlink in that tab's `links`."""
    r = str(number)
    if (row.rel and links.add_rel("M" + r, row.rel)) or not row.target:
        return row.xml.replace(_MARK_BYTE, r.encode())
    # Beyond Excel's limits: the whole relative path, so it can still be found.
    xml = row.xml
    link = unique_text_cell("M" + r, row.text_style, row.target).encode()
    return b"".join((xml[:row.link_at], link, xml[row.link_end:])).replace(_MARK_BYTE, r.encode())


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


def _date_cell(head: str) -> _CellCache:
    """A date cell of one column in one style, cached by day (days repeat across versions)."""

    def date_cell(value: date | None) -> bytes:
        return b"" if value is None else f"{head}{serial(value)}</v></c>".encode()

    return _CellCache(date_cell)


class _CellCache(dict):  # type: ignore[type-arg]
    """value → its cell, made by `make` the first time (`cache[value]`: a dict look-up in C).
    Emptied when full, so a column of unique values (ids, names) keeps memory flat."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[Any], bytes]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, value: Any) -> bytes:
        if len(self) >= _CACHED_CELLS:
            self.clear()
        cell = self[value] = self.make(value)
        return cell


class _Cells(NamedTuple):
    """One row style's cells, a field per column letter (the letters follow COLUMNS): caches
    from a value to its cell, or the head of a cell not worth caching (N, O, P)."""

    a: _CellCache
    b: _CellCache
    c: _CellCache
    d: _CellCache
    e: _CellCache
    f: _CellCache
    g: _CellCache
    h: _CellCache
    i: _CellCache
    j: _CellCache
    k: _CellCache
    l: _CellCache  # noqa: E741 - the column letter
    m: _CellCache
    n: str
    o: str
    p: str
    q: _CellCache
    style: int  # the row's text style
    link_style: int
