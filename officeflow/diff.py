"""Compare two versions of a document and describe the change in Chinese, as a person would."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel

from officeflow.catalog import KindSpec, Table
from officeflow.model import ParsedDocument
from officeflow.render import format_value

_BASIC_KEYS = ("name", "objective", "scope", "owner", "department", "category")
_SHORT = 24


def _short(text: str) -> str:
    text = str(text).replace("\n", " ")
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def _label_column(table: Table) -> str:
    """The column that names a step (操作内容, 步骤名称…): the first text column after the number."""
    keys = [c.key for c in table.columns]
    for preferred in ("name", "content", "action"):
        if preferred in keys:
            return preferred
    return keys[1] if len(keys) > 1 else keys[0]


def _row_dict(row: BaseModel) -> dict[str, Any]:
    return {k: format_value(getattr(row, k)) for k in type(row).model_fields}


def describe_steps(kind: KindSpec, old: list[BaseModel], new: list[BaseModel]) -> list[str]:
    """Steps added, removed, moved, renumbered and changed (naming the field that changed)."""
    table = kind.table(kind.step_table)
    label = _label_column(table)
    columns = {c.key: c.label for c in table.columns}
    before = [_row_dict(r) for r in old]
    after = [_row_dict(r) for r in new]
    matcher = difflib.SequenceMatcher(a=[r[label] for r in before], b=[r[label] for r in after],
                                      autojunk=False)
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    removed: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pairs.extend(zip(before[a1:a2], after[b1:b2], strict=True))
        elif op == "replace" and a2 - a1 == b2 - b1:
            pairs.extend(zip(before[a1:a2], after[b1:b2], strict=True))  # edited in place
        else:
            removed.extend(before[a1:a2])
            added.extend(after[b1:b2])
    lines: list[str] = []
    for gone in list(removed):  # a step deleted here and inserted there was moved
        twin = next((a for a in added if a[label] == gone[label]), None)
        if twin is not None:
            removed.remove(gone)
            added.remove(twin)
            lines.append(f"步骤“{_short(gone[label])}”由 {gone['number']} 移至 {twin['number']}")
            pairs.append((gone, twin))
    for step in added:
        lines.append(f"新增步骤 {step['number']}“{_short(step[label])}”")
    for step in removed:
        lines.append(f"删除步骤 {step['number']}“{_short(step[label])}”")
    for old_step, new_step in pairs:
        if old_step["number"] != new_step["number"] and not any(
                line.startswith(f"步骤“{_short(old_step[label])}”由") for line in lines):
            lines.append(f"原步骤 {old_step['number']}“{_short(old_step[label])}”编号改为 {new_step['number']}")
        for key, column_label in columns.items():
            if key == "number":
                continue
            if old_step.get(key, "") != new_step.get(key, ""):
                lines.append(f"步骤 {new_step['number']} 的{column_label}由“{_short(old_step.get(key, ''))}”"
                             f"改为“{_short(new_step.get(key, ''))}”")
    return lines


def _set_change(label: str, old: list[str], new: list[str]) -> list[str]:
    lines = []
    plus = [x for x in new if x not in old]
    minus = [x for x in old if x not in new]
    if plus:
        lines.append(f"{label}增加{'、'.join(plus)}")
    if minus:
        lines.append(f"{label}删除{'、'.join(minus)}")
    return lines


def describe_changes(old: ParsedDocument, new: ParsedDocument) -> list[str]:
    """Every difference between two versions, one Chinese sentence each, in document order."""
    lines: list[str] = []
    kind = new.kind
    for key in _BASIC_KEYS:
        before, after = old.value(key), new.value(key)
        if before != after:
            lines.append(f"{kind.field(key).label}由“{_short(before)}”改为“{_short(after)}”")
    for key in ("departments", "roles"):
        lines.extend(_set_change(kind.field(key).label, old.value(key), new.value(key)))
    if kind.step_table in {t.key for t in kind.tables}:
        lines.extend(describe_steps(kind, old.rows(kind.step_table), new.rows(kind.step_table)))
    old_docs = [f"{r.name}（{r.code}）" if r.code else r.name for r in old.rows("related_documents")]
    new_docs = [f"{r.name}（{r.code}）" if r.code else r.name for r in new.rows("related_documents")]
    lines.extend(_set_change("相关文件", old_docs, new_docs))
    return lines


def draft_entry(old: ParsedDocument, new: ParsedDocument) -> str:
    """The 修订内容 officeflow proposes for the new version."""
    lines = describe_changes(old, new)
    return "；".join(lines) + "。" if lines else "无实质内容变化。"
