"""Text helpers: label normalisation (Simplified/Traditional/aliases) and value cleaning."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Traditional → Simplified for the characters that occur in labels and enum values
# of the catalogs. Labels only need these; values are kept exactly as typed.
_TRADITIONAL = (
    "類稱編號責門適負標圍範場協總週驟內輸時關鍵點務項體達備註階崗聯檢問題證驗陣險優應對議預執"
    "訂記錄審級別結論見處礎過續規產業條說寫單訴計劃調狀態質發現確義種數據與風進運營會報價間經"
    "設認頭長員網環節戶該則開啟實際績資訊這為個複覆終賬帳導級細參準務衛號齊圖擔權屬並際們來時"
)
_SIMPLIFIED = (
    "类称编号责门适负标围范场协总周骤内输时关键点务项体达备注阶岗联检问题证验阵险优应对议预执"
    "订记录审级别结论见处础过续规产业条说写单诉计划调状态质发现确义种数据与风进运营会报价间经"
    "设认头长员网环节户该则开启实际绩资讯这为个复复终账账导级细参准务卫号齐图担权属并际们来时"
)
assert len(_TRADITIONAL) == len(_SIMPLIFIED)
_TO_SIMPLIFIED = str.maketrans(_TRADITIONAL, _SIMPLIFIED)

# Characters dropped from labels before comparing: required-marks, colons, spaces.
_LABEL_NOISE = re.compile(r"[\s*＊:：_\-]+")
_BRACKETED = re.compile(r"[（(【\[].*?[）)】\]]")
_ASCII = "".join(map(chr, range(128)))

# Control characters openpyxl, Word or lxml choke on; \t and \n are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0c\x0e-\x1f\x7f]")


def to_simplified(text: str) -> str:
    return text.translate(_TO_SIMPLIFIED)


@lru_cache(maxsize=4096)  # the reader asks again for every label and header cell it scans
def normalise_label(text: str) -> str:
    """The comparable form of a label: NFKC, Simplified, no marks/colons/spaces, lower case.

    `* 流程編號：`, `流程编号 Process ID` and `process id` all normalise so they can be
    matched against a field's label and alias.
    """
    text = unicodedata.normalize("NFKC", str(text))
    text = _BRACKETED.sub("", text)
    text = to_simplified(text)
    return _LABEL_NOISE.sub("", text).lower()


@lru_cache(maxsize=1024)  # the catalog's labels: asked for on every read
def label_keys(label: str, alias: str) -> frozenset[str]:
    """The normalised forms a cell may take to name this field."""
    keys = {normalise_label(label), normalise_label(f"{label} {alias}")}
    if alias:
        keys.add(normalise_label(alias))
        keys.add(normalise_label(f"{alias} {label}"))
    return frozenset(keys)


def match_label(cell_text: str, index: dict[str, str]) -> str | None:
    """The key a label cell names, or None.

    Exact normalised match first; then a known Chinese label followed by ASCII only
    (an English alias someone typed differently, `流程编号(ID)` …).
    """
    norm = normalise_label(cell_text)
    if not norm:
        return None
    if norm in index:
        return index[norm]
    # A label that matches is `norm` cut inside its ASCII tail (it keeps a non-ASCII character):
    # those few cuts are looked up, instead of every label of the index tried against `norm`.
    head = len(norm.rstrip(_ASCII))
    if head == 0:
        return None
    found = [norm[:end] for end in range(head, len(norm)) if norm[:end] in index]
    if len(found) > 1:  # the first in the index's order, as a scan of it would find
        return next(key for label, key in index.items() if label in found)
    return index[found[0]] if found else None



def clean_text(value: str) -> str:
    """Normalise line breaks (Word's soft break \\x0b, \\r\\n) and strip control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\x0b", "\n")
    value = _CONTROL.sub("", value)
    return value.strip()


_LIST_SEPARATORS = re.compile(r"[、，,;；\n]+")


def split_list(value: str) -> list[str]:
    """`客服部、技术部，法务部` → ['客服部', '技术部', '法务部']."""
    return [part.strip() for part in _LIST_SEPARATORS.split(value) if part.strip()]


# ECMA-376 ST_Xstring: `_xHHHH_` stands for the character U+HHHH. Excel writes a control
# character typed in a cell that way, and writes text that itself looks like an escape as
# `_x005F_xHHHH_` (openpyxl turns that back into the literal text, and leaves the rest).
_XSTRING = re.compile(r"_x([0-9A-Fa-f]{4})_")
_XSTRING_LITERAL = re.compile(r"_([xX][0-9A-Fa-f]{4}_)")


def decode_xstring(value: str) -> str:
    """Excel's escapes of control characters decoded (`_x0007_` → \\x07, `_x000A_` → \\n).

    Only control characters: any other `_xHHHH_` left by openpyxl is text the author typed.
    """

    def control(match: re.Match[str]) -> str:
        code = int(match[1], 16)
        return chr(code) if code < 0x20 or code == 0x7F else match[0]

    return _XSTRING.sub(control, value)


def escape_xstring(value: str, *, keep_controls: bool = False) -> str:
    """Text that looks like an escape written so conformant readers show it as typed.

    `keep_controls`: Excel's own escapes of control characters stay as they are (a workbook
    returned to its author keeps what Excel stored).
    """
    if "_" not in value:
        return value

    def literal(match: re.Match[str]) -> str:
        code = int(match[1][1:5], 16)
        if keep_controls and (code < 0x20 or code == 0x7F):
            return match[0]
        return "_x005F_" + match[1]

    return _XSTRING_LITERAL.sub(literal, value)


def cut_utf16(text: str, units: int) -> str:
    """`text` cut to `units` UTF-16 code units (how Excel counts), never inside a character."""
    if len(text) * 2 <= units:
        return text
    return text.encode("utf-16-le")[: units * 2].decode("utf-16-le", "ignore")


def cut_bytes(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-8 bytes (how file systems count names), never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


# Full-width letters and digits (ＡＢＣ１２３) typed with a Chinese input method on.
_FULL_WIDTH_ALNUM = {code: code - 0xFEE0 for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                     for code in range(start, end + 1)}
_FULL_STOP_BETWEEN_DIGITS = re.compile(r"(?<=\d)．(?=\d)")


def half_width_alnum(text: str) -> str:
    """Full-width letters and digits (and `．` between digits) as ASCII; the rest as typed.

    Chinese punctuation (，（）：) is right in Chinese text, so free text keeps it.
    """
    if text.isascii():
        return text
    return _FULL_STOP_BETWEEN_DIGITS.sub(".", text.translate(_FULL_WIDTH_ALNUM))
