"""Table columns as wide as their longest word, so a narrow column never breaks a word in two.

Word and LibreOffice lay a fixed table out on its grid and break a word wider than its column
in the middle (责任角色 "Representa|tive"). After rendering, each column's narrowest width that
breaks no word is measured from its cells: the widest run of Latin text with no break
opportunity (a word, with the Chinese punctuation that may not be parted from it), in the
house Latin font Times New Roman (Liberation Serif, which LibreOffice uses for it, has the same
widths) at the run's size, plus the cell's margins. Chinese may wrap after any character.
A column narrower than that takes the difference from the columns with room to spare
(fitted_widths says in which order); the table's total width stays. A table whose words all
fit is left exactly as rendered.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Advance widths of Times New Roman (= Liberation Serif) for ' '…'~', in 1/1000 em.
_REGULAR = (250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500,
            500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667,
            722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722,
            722, 944, 722, 722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500,
            500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500,
            444, 480, 200, 480, 541)
_BOLD = (250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500,
         500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667,
         611, 778, 778, 389, 500, 778, 667, 944, 722, 778, 611, 778, 722, 556, 667, 722, 722, 1000, 722,
         722, 667, 333, 278, 333, 581, 500, 333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556,
         278, 833, 556, 500, 556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520)
_EM = 1000  # anything else: a full em (the runs' eastAsia hint lends symbols the Chinese font)
_DEFAULT_SIZE = 20  # half-points: Word's 10 pt when neither run, style nor defaults say
_DEFAULT_MARGIN = 108  # twips: Word's left/right cell margin when the table says none
_SAFETY = 1.03  # the measured word plus 3 %: rounding in the layout must not break it after all
_RULES = 10  # twips: the grid's 0.5 pt lines also take from the text's width
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
# Characters two columns wide (East Asian Width W and F; a line may break before and after
# each), and those of them that may not end a line (open) or start one (close).
_WIDE = ("\u1100-\u115f\u2e80-\u2fff\u3001-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff"
         "\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff01-\uff60"
         "\uffe0-\uffe6\U0001f300-\U0001f64f\U0001f900-\U0001f9ff\U00020000-\U0003fffd")
_OPEN = "（［｛｟｢〈《「『【〔〖〘〚〝"
_CLOSE = "）］｝｠｣〉》」』】〕〗〙〛〞〟、。，．：；！？％…‥・ー々ゝゞヽヾ"
# Spaces a line may break at (not the no-break ones: U+00A0, U+2007, U+202F).
_SPACES = " \t\r\f\v\u1680\u2000-\u2006\u2008-\u200b\u2028\u2029\u205f\u3000"
# Words: Latin letters, digits and signs with the marks that may not be parted from them, and
# Chinese characters (one em each) with theirs.
_LATIN_WORD = re.compile(f"[{_OPEN}]*[^{_SPACES}{_WIDE}]+[{_CLOSE}]*")
_WIDE_WORD = re.compile(f"[{_OPEN}]*[{_WIDE}][{_CLOSE}]*")
_P, _PSTYLE, _R, _RPR, _T = f"{W}p", f"{W}pStyle", f"{W}r", f"{W}rPr", f"{W}t"
_BR, _TAB, _CR, _VAL = f"{W}br", f"{W}tab", f"{W}cr", f"{W}val"


@dataclass(frozen=True)
class TextStyles:
    """What the measure needs of styles.xml: paragraph styles' size and weight, table styles'
    cell margins (each with its basedOn chain resolved)."""

    paragraphs: dict[str, tuple[int, bool]]  # style id → (size in half-points, bold)
    default: tuple[int, bool]  # the default paragraph style's
    margins: dict[str, tuple[int, int]]  # table style id → (left, right) in twips


def _number(text: str | None) -> int | None:
    """A measure written in the XML, or None when it is absent or no number (a hand-edited
    template must render as before, not fail on its widths)."""
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None


def _on(element: etree._Element | None) -> bool | None:
    if element is None:
        return None
    return element.get(f"{W}val", "true") not in ("0", "false", "off")


def _run_format(rpr: etree._Element | None) -> tuple[int | None, bool | None]:
    if rpr is None:
        return None, None
    size = rpr.find(f"{W}sz")
    return (_number(size.get(f"{W}val")) if size is not None else None), _on(rpr.find(f"{W}b"))


def _margins(tblpr: etree._Element | None) -> tuple[int | None, int | None]:
    margins = tblpr.find(f"{W}tblCellMar") if tblpr is not None else None
    if margins is None:
        return None, None

    def side(*names: str) -> int | None:
        found = next((m for name in names if (m := margins.find(f"{W}{name}")) is not None), None)
        return _number(found.get(f"{W}w")) if found is not None else None

    return side("left", "start"), side("right", "end")


@dataclass(frozen=True)
class _Style:
    based_on: str | None
    size: int | None
    bold: bool | None
    left: int | None
    right: int | None


def text_styles(styles_xml: bytes | None) -> TextStyles:
    """The sizes, weights and margins of a styles part (none: Word's defaults)."""
    try:
        root = etree.fromstring(styles_xml or b"", _PARSER)
    except etree.XMLSyntaxError:  # no styles, or broken ones: Word's defaults rather than no document
        return TextStyles({}, (_DEFAULT_SIZE, False), {})
    base_size, base_bold = _run_format(root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr"))
    own: dict[str, _Style] = {}
    default_id = ""
    for style in root.iter(f"{W}style"):
        style_id = style.get(f"{W}styleId", "")
        based = style.find(f"{W}basedOn")
        own[style_id] = _Style(based.get(f"{W}val") if based is not None else None,
                               *_run_format(style.find(f"{W}rPr")), *_margins(style.find(f"{W}tblPr")))
        if style.get(f"{W}type") == "paragraph" and style.get(f"{W}default") in ("1", "true", "on"):
            default_id = style_id

    def inherited(style_id: str, name: str, fallback: object) -> object:
        seen: set[str] = set()
        current: str | None = style_id
        while current in own and current not in seen:
            seen.add(current)
            value = getattr(own[current], name)
            if value is not None:
                return value
            current = own[current].based_on
        return fallback

    fallback = (base_size or _DEFAULT_SIZE, bool(base_bold))
    paragraphs = {i: (int(inherited(i, "size", fallback[0])), bool(inherited(i, "bold", fallback[1])))
                  for i in own}
    margins = {i: (int(inherited(i, "left", _DEFAULT_MARGIN)), int(inherited(i, "right", _DEFAULT_MARGIN)))
               for i in own}
    return TextStyles(paragraphs, paragraphs.get(default_id, fallback), margins)


def _char_width(char: str, bold: bool) -> int:
    """1/1000 em of a character that belongs to a word (a Latin letter's base letter for é)."""
    code = ord(char)
    if _wide(char):
        return _EM
    if 32 <= code < 127:
        return (_BOLD if bold else _REGULAR)[code - 32]
    base = unicodedata.normalize("NFKD", char)[:1]  # é → e, a no-break space → a space
    if base and base != char and 32 <= ord(base) < 127:
        return (_BOLD if bold else _REGULAR)[ord(base) - 32]
    return _EM


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")  # a full em in the Chinese font


def cell_paragraphs(cell: etree._Element, styles: TextStyles) -> list[list[tuple[str, int, bool]]]:
    """A cell's paragraphs, each as (text, size in half-points, bold) per stretch of one format
    (a break or tab as "\\n"); one pass over the cell's elements, as this runs on every render."""
    paragraphs: list[list[tuple[str, int, bool]]] = []
    style = form = styles.default
    for element in cell.iter(_P, _PSTYLE, _R, _RPR, _T, _BR, _TAB, _CR):
        tag = element.tag
        if tag == _P:
            paragraphs.append([])
            style = form = styles.default
            continue
        if tag == _PSTYLE:
            style = form = styles.paragraphs.get(element.get(_VAL, ""), styles.default)
        elif tag == _R:
            form = style
        elif tag == _RPR:
            if element.getparent().tag == _R:  # not the paragraph mark's
                size, bold = _run_format(element)
                form = (size or style[0], style[1] if bold is None else bold)
        elif paragraphs:
            text = (element.text or "") if tag == _T else "\n"
            runs = paragraphs[-1]
            if runs and runs[-1][1:] == form:
                runs[-1] = (runs[-1][0] + text, *form)
            else:
                runs.append((text, *form))
    return paragraphs


class _Widths(dict[str, int]):
    """1/1000 em by character, each looked up once (`sum(map(...))` stays in C)."""

    def __init__(self, bold: bool) -> None:
        super().__init__()
        self.bold = bold

    def __missing__(self, char: str) -> int:
        self[char] = width = _char_width(char, self.bold)
        return width


_WIDTHS = {False: _Widths(False), True: _Widths(True)}


@dataclass
class Measure:
    """Twips of the widest word (no break opportunity inside) and of the widest line unwrapped.

    A word is Latin letters, digits and signs up to a space or a Chinese character, or one
    Chinese character, each with the Chinese marks that may not be parted from it. A word
    across two formats (a bold part) is measured as two: the templates' cells never do that.
    """

    word: float = 0.0
    line: float = 0.0

    def add(self, runs: list[tuple[str, int, bool]]) -> None:
        """Measure one paragraph (cell_paragraphs)."""
        line = 0.0
        for text, size, bold in runs:
            widths, scale = _WIDTHS[bold], size / 100  # 1/1000 em at `size` half-points → twips
            for index, part in enumerate(text.split("\n")):
                line = (0.0 if index else line) + sum(map(widths.__getitem__, part)) * scale
                self.line = max(self.line, line)
                latin = _LATIN_WORD.findall(part)
                if latin:
                    self.word = max(self.word, max(sum(map(widths.__getitem__, w)) for w in latin) * scale)
                wide = _WIDE_WORD.findall(part)
                if wide:
                    self.word = max(self.word, max(map(len, wide)) * _EM * scale)


def _cells(table: etree._Element) -> Iterator[tuple[int, int, etree._Element]]:
    """(first grid column, columns spanned, w:tc) of every cell of the table's own rows."""
    for row in table.iterchildren(f"{W}tr"):
        before = row.find(f"{W}trPr/{W}gridBefore")
        column = (_number(before.get(f"{W}val")) or 0) if before is not None else 0
        for cell in row.iterchildren(f"{W}tc"):
            span = cell.find(f"{W}tcPr/{W}gridSpan")
            count = max(1, (_number(span.get(f"{W}val")) or 1) if span is not None else 1)
            yield column, count, cell
            column += count


def _table_margins(table: etree._Element, styles: TextStyles) -> int:
    """Left plus right cell margin in twips: the table's own, else its style's."""
    tblpr = table.find(f"{W}tblPr")
    left, right = _margins(tblpr)
    style = tblpr.find(f"{W}tblStyle") if tblpr is not None else None
    inherited = styles.margins.get(style.get(f"{W}val", "") if style is not None else "",
                                   (_DEFAULT_MARGIN, _DEFAULT_MARGIN))
    return (inherited[0] if left is None else left) + (inherited[1] if right is None else right)


def column_measures(table: etree._Element, styles: TextStyles, columns: int) -> list[tuple[int, int]]:
    """Per grid column, in twips with the cell margins: (the widest word, with a margin of
    safety, and the widest line), from the cells spanning that one column only."""
    measures = [Measure() for _ in range(columns)]
    for column, span, cell in _cells(table):
        if span == 1 and column < columns:
            for runs in cell_paragraphs(cell, styles):
                measures[column].add(runs)
    margins = _table_margins(table, styles) + _RULES
    return [(round(m.word * _SAFETY) + margins, round(m.line) + margins) for m in measures]


def fitted_widths(widths: list[int], needs: list[int], ideals: list[int]) -> list[int] | None:
    """New column widths, same total, each at least its need (widest word) where the total
    allows; None when there is nothing to change.

    Words too wide for the table to give room to all break as before, the widest first. The
    width comes first from room nobody misses (a column wider than its widest line), then from
    columns that wrap already (a line more), then from any column above its need.
    """
    total, needs = sum(widths), list(needs)
    while sum(needs) > total:  # give up the word that asks most beyond its column
        hopeless = max(range(len(needs)), key=lambda i: needs[i] - widths[i])
        needs[hopeless] = widths[hopeless]
    if all(need <= width for width, need in zip(widths, needs, strict=True)):
        return None
    fitted = [max(width, need) for width, need in zip(widths, needs, strict=True)]
    tiers = (lambda i: fitted[i] - max(needs[i], ideals[i]),  # (fitted as it is at each tier)
             lambda i: fitted[i] - needs[i] if ideals[i] > widths[i] else 0,
             lambda i: fitted[i] - needs[i])
    for room_of in tiers:
        excess = sum(fitted) - total
        room = [max(0, room_of(i)) for i in range(len(fitted))]
        if excess > 0 and sum(room):
            taken = min(excess, sum(room))
            fitted = [width - r * taken // sum(room) for width, r in zip(fitted, room, strict=True)]
    roomiest = max(range(len(fitted)), key=lambda i: fitted[i] - needs[i])
    fitted[roomiest] += total - sum(fitted)  # what rounding left over, where there is most room
    return fitted


def fit_table(table: etree._Element, styles: TextStyles) -> bool:
    """Widen the columns of `table` whose words would break; True when it changed."""
    grid = table.findall(f"{W}tblGrid/{W}gridCol")
    widths = [_number(col.get(f"{W}w")) for col in grid]
    if not grid or any(width is None or width <= 0 for width in widths):
        return False  # no grid to fit: the layout is the reader's
    measures = column_measures(table, styles, len(grid))
    fitted = fitted_widths(widths, [word for word, _line in measures], [line for _word, line in measures])
    if fitted is None:
        return False
    for col, width in zip(grid, fitted, strict=True):
        col.set(f"{W}w", str(width))
    for column, span, cell in _cells(table):
        cell_width = cell.find(f"{W}tcPr/{W}tcW")
        if cell_width is not None and cell_width.get(f"{W}type") == "dxa":
            cell_width.set(f"{W}w", str(sum(fitted[column:column + span])))
    return True


def fit_tables(body: etree._Element, styles: TextStyles) -> None:
    """Fit every table of a rendered document body (officeflow.fastrender)."""
    for table in body.iter(f"{W}tbl"):
        fit_table(table, styles)
