"""流程类别 and 主责部门 name the archive's folders (officeflow.archive): rules that keep them
names a folder can carry, and that notice a new name that is likely a variant of an old one
(质量管理类 / 质量管理 / 品质管理类 would otherwise become three trees)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from officeflow.findings import Finding, error, warning

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument
    from officeflow.rulecontext import RuleContext

FOLDER_NAME_MAX = 30  # characters: a name a person reads in a file browser, not a sentence
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_SEPARATORS = re.compile(r'[/\\:*?"<>|]')
_NOUN = {"category": "类别", "department": "部门"}
_LISTED = 10  # names quoted in a message at most


def _folder_problem(text: str) -> str | None:
    """Why `text` cannot be a folder name as typed, or None."""
    if "\n" in text or "\r" in text:
        return "含换行，不能用作归档文件夹名：请写在一行内。"
    if len(text) > FOLDER_NAME_MAX:
        return f"有 {len(text)} 个字，用作归档文件夹名最多 {FOLDER_NAME_MAX} 个字：请缩短。"
    if not text.strip(". "):
        return f"“{text}”不能用作归档文件夹名：请写部门或类别的名称。"
    separator = _SEPARATORS.search(text)
    if separator:
        return f"含“{separator.group()}”，不能用作归档文件夹名：请去掉或改用“、”。"
    if text.split(".")[0].strip().upper() in _RESERVED:
        return f"“{text}”是 Windows 保留的文件名，不能用作归档文件夹名：请换一个名称。"
    return None


def check_folder_names(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    names = ctx.archive_names
    for key in ("category", "department"):
        text = doc.value(key)
        if not isinstance(text, str) or not text:
            continue
        where = doc.source.field(key)
        label = doc.kind.field(key).label
        problem = _folder_problem(text)
        if problem:
            yield error("archive.folder-name", f"“{label}”{problem}", where)
            continue
        known = (names.categories if key == "category" else names.departments) if names else ()
        controlled = ctx.settings.categories if key == "category" else ctx.settings.departments
        if known and text not in known and not controlled:
            yield warning(f"archive.new-{key}", _new_name_message(label, _NOUN[key], text, known), where)


def _new_name_message(label: str, noun: str, text: str, known: tuple[str, ...]) -> str:
    listed = "、".join(known[:_LISTED]) + ("等" if len(known) > _LISTED else "")
    close = difflib.get_close_matches(text, known, n=1, cutoff=0.5)
    ask = f"是否应为“{close[0]}”？" if close else "请核对是否笔误；"
    return f"{label}“{text}”在台账中从未出现（已有：{listed}）：{ask}若确是新{noun}，可忽略此提示。"
