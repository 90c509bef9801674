"""Compare two versions of a document and describe the change in Chinese, as a person would."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel

from officeflow.catalog import KindSpec, Table
from officeflow.model import ParsedDocument
from officeflow.render import format_value

_BASIC_KEYS = ("name", "objective", "scope", "owner", "department", "category")
# A removed and an added step this similar are one step edited (its text extended, reworded).
_SIMILAR = 0.5


def _quote(text: Any, shorten: int | None) -> str:
    """A value as quoted in a sentence: whole for the record, cut only for the screen."""
    text = str(text).replace("\n", " ")
    if shorten is None or len(text) <= shorten:
        return text
    return text[: shorten - 1] + "…"


def _label_column(table: Table) -> str:
    """The column that names a step (操作内容, 步骤名称…): the first text column after the number."""
    keys = [c.key for c in table.columns]
    for preferred in ("name", "content", "action"):
        if preferred in keys:
            return preferred
    return keys[1] if len(keys) > 1 else keys[0]


def _row_dict(row: BaseModel) -> dict[str, Any]:
    return {k: format_value(getattr(row, k)) for k in type(row).model_fields}


def _similar(a: str, b: str) -> bool:
    a, b = str(a), str(b)
    return bool(a and b) and (a in b or b in a
                              or difflib.SequenceMatcher(a=a, b=b, autojunk=False).ratio() >= _SIMILAR)


def _pair_up(before: list[dict[str, Any]], after: list[dict[str, Any]],
             label: str) -> tuple[list[tuple[int, int, bool]], list[int], list[int]]:
    """(old index, new index, moved) pairs of the same step, then removed and added indexes.

    Steps are matched by their label text; what is left is paired when the label is the
    same (a move) or similar (an edit, the same number preferred), so an extended step is
    described as changed, not as deleted and added.
    """
    matcher = difflib.SequenceMatcher(a=[r[label] for r in before], b=[r[label] for r in after],
                                      autojunk=False)
    pairs: list[tuple[int, int, bool]] = []
    removed: list[int] = []
    added: list[int] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and a2 - a1 == b2 - b1):  # kept, or edited in place
            pairs.extend((a, b, False) for a, b in zip(range(a1, a2), range(b1, b2), strict=True))
        else:
            removed.extend(range(a1, a2))
            added.extend(range(b1, b2))
    for gone in list(removed):
        text = before[gone][label]
        twin = next((b for b in added if after[b][label] == text), None)
        moved = twin is not None
        if twin is None:
            similar = [b for b in added if _similar(text, after[b][label])]
            twin = next((b for b in similar if after[b]["number"] == before[gone]["number"]),
                        similar[0] if similar else None)
        if twin is not None:
            removed.remove(gone)
            added.remove(twin)
            pairs.append((gone, twin, moved))
    return pairs, removed, added


def describe_steps(kind: KindSpec, old: list[BaseModel], new: list[BaseModel],
                   shorten: int | None = None) -> list[str]:
    """Steps added, removed, moved, renumbered and changed (naming the field that changed),
    in the order of the new document, removals last."""
    table = kind.table(kind.step_table)
    label = _label_column(table)
    columns = {c.key: c.label for c in table.columns if c.key != "number"}
    before = [_row_dict(r) for r in old]
    after = [_row_dict(r) for r in new]
    pairs, removed, added = _pair_up(before, after, label)
    keyed: list[tuple[tuple[int, int], str]] = []
    for b in added:
        keyed.append(((b, 0), f"新增步骤 {after[b]['number']}“{_quote(after[b][label], shorten)}”"))
    for a in removed:
        keyed.append(((len(after) + a, 0), f"删除步骤 {before[a]['number']}“{_quote(before[a][label], shorten)}”"))
    for a, b, moved in pairs:
        old_step, new_step = before[a], after[b]
        lines: list[str] = []
        if moved:
            lines.append(f"步骤“{_quote(old_step[label], shorten)}”由 {old_step['number']} 移至 {new_step['number']}")
        elif old_step["number"] != new_step["number"]:
            lines.append(f"原步骤 {old_step['number']}“{_quote(old_step[label], shorten)}”"
                         f"编号改为 {new_step['number']}")
        for key, column_label in columns.items():
            if old_step.get(key, "") != new_step.get(key, ""):
                lines.append(f"步骤 {new_step['number']} 的{column_label}由“{_quote(old_step.get(key, ''), shorten)}”"
                             f"改为“{_quote(new_step.get(key, ''), shorten)}”")
        keyed.extend(((b, i), line) for i, line in enumerate(lines))
    return [line for _, line in sorted(keyed, key=lambda item: item[0])]


def _set_change(label: str, old: list[str], new: list[str]) -> list[str]:
    lines = []
    plus = [x for x in new if x not in old]
    minus = [x for x in old if x not in new]
    if plus:
        lines.append(f"{label}增加{'、'.join(plus)}")
    if minus:
        lines.append(f"{label}删除{'、'.join(minus)}")
    return lines


def describe_changes(old: ParsedDocument, new: ParsedDocument, shorten: int | None = None) -> list[str]:
    """Every difference between two versions, one Chinese sentence each, in document order.

    Quoted values are whole (the text goes into the record); `shorten` cuts each quote to
    that many characters, for messages on screen only.
    """
    lines: list[str] = []
    kind = new.kind
    for key in _BASIC_KEYS:
        before, after = old.value(key), new.value(key)
        if before != after:
            lines.append(f"{kind.field(key).label}由“{_quote(before, shorten)}”改为“{_quote(after, shorten)}”")
    for key in ("departments", "roles"):
        lines.extend(_set_change(kind.field(key).label, old.value(key), new.value(key)))
    if kind.step_table in {t.key for t in kind.tables}:
        lines.extend(describe_steps(kind, old.rows(kind.step_table), new.rows(kind.step_table), shorten))
    old_docs = [f"{r.name}（{r.code}）" if r.code else r.name for r in old.rows("related_documents")]
    new_docs = [f"{r.name}（{r.code}）" if r.code else r.name for r in new.rows("related_documents")]
    lines.extend(_set_change("相关文件", old_docs, new_docs))
    return lines


def draft_entry(old: ParsedDocument, new: ParsedDocument, shorten: int | None = None) -> str:
    """The 修订内容 officeflow proposes for the new version (`shorten`: for the screen only)."""
    lines = describe_changes(old, new, shorten)
    return "；".join(lines) + "。" if lines else "无实质内容变化。"
