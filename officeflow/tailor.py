"""A kind as the workspace's settings shape it: one source for every entry point.

officeflow.toml may extend `review_levels` and give controlled lists of 流程类别 and 主责部门
(`categories`, `departments`). The catalog holds the defaults; `tailored` returns the kind
whose 审核级别 enum and, when a list is set, 流程类别/主责部门 enums carry the settings'
values, so the template's dropdowns (officeflow.workbook_template) and the model's enum check
(officeflow.model) offer and accept the same words, whatever the command.
"""

from __future__ import annotations

from dataclasses import replace

from officeflow.catalog import Field, FieldType, KindSpec, Table
from officeflow.settings import Settings

_CACHE: dict[tuple[object, ...], KindSpec] = {}


def _enum(field: Field, choices: tuple[str, ...]) -> Field:
    return replace(field, type=FieldType.ENUM, choices=choices)


def _levels(table: Table, levels: tuple[str, ...]) -> Table:
    if table.key != "reviews":
        return table
    columns = tuple(_enum(c, levels) if c.key == "level" else c for c in table.columns)
    return replace(table, columns=columns)


def tailored(kind: KindSpec, settings: Settings) -> KindSpec:
    """`kind` with the settings' review levels and controlled lists (the kind itself if they
    change nothing). Cached: a tailored kind builds its pydantic model once."""
    levels = tuple(settings.review_levels)
    lists = {"category": tuple(settings.categories), "department": tuple(settings.departments)}
    key = (id(kind), levels, *lists.values())
    if key in _CACHE:
        return _CACHE[key]
    fields = tuple(_enum(f, lists[f.key]) if lists.get(f.key) else f for f in kind.fields)
    tables = tuple(_levels(t, levels) for t in kind.tables)
    result = kind if (fields, tables) == (kind.fields, kind.tables) else replace(kind, fields=fields, tables=tables)
    _CACHE[key] = result
    return result
