"""The contract every kind meets: what the shared rules, stamp, pipeline and generators read.

`register_kind` checks it, so a kind that breaks it fails when its module is imported,
with every problem named, instead of an AttributeError in the middle of a validation.
"""

from __future__ import annotations

from officeflow import rules
from officeflow.catalog import Field, FieldType, KindSpec, Table, typed_text_key
from officeflow.kinds.common import (
    BASIC_FIELDS,
    CLOSING_TABLES,
    CONTRACT_FIELDS,
    STAMP_FIELDS,
    word_info_rows,
    word_sections,
)

# Shared rules that read the kind's step table (`step_table`, `*_columns`).
STEP_RULES = (rules.step_numbering, rules.step_roles_known, rules.step_durations,
              rules.step_wording)
_SHARED_FIELDS = {f.key: f for f in BASIC_FIELDS}


class KindContractError(ValueError):
    """A kind that the shared rules, the stamp or the generators could not work with."""


def check_kind(kind: KindSpec) -> None:
    """Raise KindContractError naming the kind and everything it lacks."""
    problems = [*_field_problems(kind), *_step_problems(kind), *_table_problems(kind),
                *_layout_problems(kind), *_typed_text_problems(kind)]
    if problems:
        raise KindContractError(
            f"kind {kind.key!r} ({kind.label}) does not meet the kind contract: " + "; ".join(problems))


def _field_problems(kind: KindSpec) -> list[str]:
    problems = []
    if not kind.word_template:
        problems.append("word_template is empty")
    own = {f.key: f for f in kind.fields}
    for key in CONTRACT_FIELDS:
        shared = _SHARED_FIELDS[key]
        field = own.get(key)
        if field is None:
            problems.append(f"field {key!r} ({shared.label}) is missing")
        elif field.type is not shared.type:
            problems.append(f"field {key!r} ({shared.label}) must be of type {shared.type.value}, "
                            f"not {field.type.value}")
    return problems


def _step_problems(kind: KindSpec) -> list[str]:
    """The step table the step rules, the change description and the role check read."""
    tables = {t.key: t for t in kind.tables}
    columns = {"role_columns": kind.role_columns, "duration_columns": kind.duration_columns,
               "measurable_columns": kind.measurable_columns}
    needed = any(rule in STEP_RULES for rule in kind.rules) or any(columns.values())
    step = tables.get(kind.step_table)
    if step is None:
        return [f"step_table {kind.step_table!r} is not a table of the kind"] if needed else []
    keys = {c.key for c in step.columns}
    problems = [] if "number" in keys else [f"step table {step.key!r} has no column 'number'"]
    for name, wanted in columns.items():
        problems += [f"{name}: table {step.key!r} has no column {c!r}" for c in wanted if c not in keys]
    if kind.role_columns and "roles" not in {f.key for f in kind.fields}:
        problems.append("role_columns need the field 'roles' (适用角色)")
    return problems


def _column_problems(own: Table, shared: Table) -> list[str]:
    columns = {c.key: c for c in own.columns}
    problems = []
    for wanted in shared.columns:
        column = columns.get(wanted.key)
        if column is None:
            problems.append(f"table {shared.key!r} ({shared.sheet}) has no column {wanted.key!r} "
                            f"({wanted.label})")
        elif column.type is not wanted.type:
            problems.append(f"table {shared.key!r} column {wanted.key!r} must be of type "
                            f"{wanted.type.value}, not {column.type.value}")
    return problems


def _table_problems(kind: KindSpec) -> list[str]:
    tables = {t.key: t for t in kind.tables}
    problems = []
    for shared in CLOSING_TABLES:
        own = tables.get(shared.key)
        if own is None:
            problems.append(f"table {shared.key!r} ({shared.sheet}) is missing")
        else:
            problems += _column_problems(own, shared)
    for table in kind.tables:
        for column in table.columns:
            # In the Word template `row.items` finds dict.items before the key `items`.
            if hasattr(dict, column.key):
                problems.append(f"table {table.key!r} column {column.key!r} is also a name of dict "
                                "(the Word template would print a method)")
    return problems


def _typed_text_problems(kind: KindSpec) -> list[str]:
    """A list field's typed text is a model attribute of its own: no field may take its name."""
    problems = []
    for owner, fields in (("fields", kind.fields), *((f"table {t.key!r}", t.columns) for t in kind.tables)):
        keys = {f.key for f in fields}
        problems += [f"{owner}: {typed_text_key(f.key)!r} is the typed text of the list field {f.key!r}"
                     for f in fields if f.type is FieldType.LIST and typed_text_key(f.key) in keys]
    return problems


def _layout_problems(kind: KindSpec) -> list[str]:
    """The Word layout names only fields, stamp values and tables the kind has."""
    # A missing contract field is named once, by _field_problems.
    fields: dict[str, Field] = {f.key: f for f in (*kind.fields, *STAMP_FIELDS)}
    fields.update({key: _SHARED_FIELDS[key] for key in CONTRACT_FIELDS})
    tables = {t.key: t for t in kind.tables}
    problems = [f"word_info_rows names {key!r}, not a field of the kind"
                for row in word_info_rows(kind) for key in row if key not in fields]
    problems += [f"word_info_rows has a row of {len(row)} fields (one or two)"
                 for row in word_info_rows(kind) if len(row) not in (1, 2)]
    problems += [f"word_sections names {key!r}, neither a field nor a table of the kind"
                 for key in word_sections(kind) if key not in fields and key not in tables]
    for table in kind.tables:
        if table.word.note and table.word.note not in fields:
            problems.append(f"table {table.key!r} word note {table.word.note!r} is not a field")
        if table.word.lookup:
            other, column = table.word.lookup
            keys = {c.key for c in tables[other].columns} if other in tables else set()
            if column not in keys or "number" not in keys or "number" not in {c.key for c in table.columns}:
                problems.append(f"table {table.key!r} word lookup {other}.{column} needs that column "
                                f"and a column 'number' in both tables")
    return problems
