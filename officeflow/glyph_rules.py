"""Characters the document fonts lack (issue 11 item 15): emoji and other pictographs.

The Word documents use 宋体 and Times New Roman. 宋体 covers the GBK repertoire, Times New
Roman the Latin letter-like symbols (©, ™, ℃…); a symbol outside both (✅, 🚀, ☎) is drawn by
whatever fallback font the printing machine has, and as an empty box where it has none. The
author is warned on the cell, once per cell, naming each such character.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import TYPE_CHECKING

from officeflow.findings import CellRef, Finding, warning

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument
    from officeflow.rulecontext import RuleContext

_LATIN_SYMBOLS_END = 0x2190  # Times New Roman draws the symbols before the arrows block
_NO_GLYPH_CATEGORIES = ("Co", "Cn")  # private use, unassigned: no shipped font draws them


def lacks_glyph(char: str) -> bool:
    """True when neither 宋体 nor Times New Roman has a glyph for `char`."""
    category = unicodedata.category(char)
    if category in _NO_GLYPH_CATEGORIES:
        return True
    if category != "So" or ord(char) < _LATIN_SYMBOLS_END:
        return False
    try:
        char.encode("gbk")
    except UnicodeEncodeError:
        return True
    return False


def unsupported_chars(text: str) -> list[str]:
    """The distinct characters of `text` the fonts lack, in the order they first appear."""
    return list(dict.fromkeys(c for c in text if lacks_glyph(c)))


def _finding(label: str, value: object, where: CellRef | None) -> Finding | None:
    # A list field (涉及部门…) is checked as the text its items make together.
    text = "".join(map(str, value)) if isinstance(value, list | tuple) else value
    chars = unsupported_chars(text) if isinstance(text, str) else []
    if not chars:
        return None
    listed = "".join(f"“{c}”（U+{ord(c):04X}）" for c in chars)
    return warning("text.unsupported-char",
                   f"“{label}”含文档字体没有的字符{listed}：打印时可能显示为方框，请删去或改用文字。", where)


def check_unsupported_chars(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """One warning per cell (基本信息 value or table cell) holding characters the fonts lack."""
    for field in doc.kind.fields:
        if found := _finding(field.label, doc.value(field.key), doc.source.field(field.key)):
            yield found
    for table in doc.kind.tables:
        for index, row in enumerate(doc.rows(table.key)):
            for column in table.columns:
                where = doc.source.cell(table.key, index, column.key)
                if found := _finding(column.label, getattr(row, column.key, None), where):
                    yield found
