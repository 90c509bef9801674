"""Text widths and wrapping for the diagram, without loading a font.

Noto Sans CJK draws CJK characters (and the ambiguous ones it ships full-width, such as ≤)
one em wide and Latin letters and digits about half an em; we count them a little wider
than they are so a line we fit never overflows its box in any renderer.
"""

from __future__ import annotations

import re
import unicodedata

from officeflow.durations import parse_duration

ELLIPSIS = "…"
_NARROW_EM = 0.6
_AMOUNT = re.compile(r"[≤<＜]?\s*\d+(?:\.\d+)?\s*个?\s*(?:工作日|自然日|小时|分钟|秒|天|日|周|月)内?")


def char_em(char: str) -> float:
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F", "A") else _NARROW_EM


def text_em(text: str) -> float:
    return sum(char_em(c) for c in text)


def fit_line(text: str, max_em: float) -> str:
    """`text` if it fits in `max_em`, else its longest head that fits followed by an ellipsis."""
    if text_em(text) <= max_em:
        return text
    room = max_em - char_em(ELLIPSIS)
    head, used = "", 0.0
    for char in text:
        if used + char_em(char) > room:
            break
        head += char
        used += char_em(char)
    return head.rstrip() + ELLIPSIS


def wrap(text: str, max_em: float, max_lines: int) -> list[str]:
    """Greedy wrap into at most `max_lines` lines; an ellipsis ends the last line only when
    text was cut (CJK breaks anywhere; Latin words and numbers are kept whole when they fit)."""
    lines: list[str] = []
    rest = " ".join(text.split())
    while rest and len(lines) < max_lines:
        if len(lines) == max_lines - 1:
            lines.append(fit_line(rest, max_em))
            return lines
        cut = _break_at(rest, max_em)
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return lines


def _break_at(text: str, max_em: float) -> int:
    used, cut = 0.0, 0
    for index, char in enumerate(text):
        used += char_em(char)
        if used > max_em:
            cut = index
            break
    else:
        return len(text)
    cut = max(cut, 1)
    # Do not split an ASCII word or number (CRM-TAB-001, 1.5) when it can move whole.
    start = cut
    while start > 0 and text[start - 1].isascii() and text[start].isascii() and not text[start].isspace():
        start -= 1
    return start if start > 0 else cut


def fit_time(text: str, max_em: float) -> str:
    """A time as it fits one line: whole, else its largest amount (`按复杂度确定，≤15个工作日`
    → `≤15个工作日`, the bound the bottleneck mark uses), else cut with an ellipsis."""
    if text_em(text) <= max_em:
        return text
    amounts = [m.group(0).replace(" ", "") for m in _AMOUNT.finditer(text)]
    fitting = [a for a in amounts if text_em(a) <= max_em and parse_duration(a) is not None]
    if not fitting:
        return fit_line(text, max_em)
    return max(fitting, key=lambda a: parse_duration(a).minutes)  # type: ignore[union-attr]
