"""The template's data validations: a dropdown list for each enum, an input prompt for each hint."""

from __future__ import annotations

from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from officeflow.catalog import Field, FieldType
from officeflow.xlsx_lists import list_formula


def kind_choices(field: Field) -> tuple[str, ...]:
    """Dropdown values: 模板类型 offers every registered kind, other enums their choices."""
    if field.key == "kind" and not field.choices:
        from officeflow.kinds import KINDS  # late: the registry imports the kinds

        return tuple(k.label for k in KINDS.values())
    return field.choices


def add_validation(ws: Worksheet, field: Field, sqref: str) -> None:
    """A dropdown for an enum, an input prompt for a hint; nothing if neither applies."""
    choices = kind_choices(field) if field.type is FieldType.ENUM else ()
    if not choices:
        add_prompt(ws, field.label, field.hint, sqref)
        return
    if any("," in c or '"' in c for c in choices):
        raise ValueError(f"{field.key}: a dropdown choice may not contain , or \"")
    dv = DataValidation(
        type="list",
        formula1=list_formula(ws.parent, choices),  # a hidden sheet past Excel's 255 characters
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",  # the reader also accepts variants (traditional, kind key)
        errorTitle=field.label[:32],
        error=f"请从列表中选择：{'、'.join(choices)}"[:255],
    )
    if field.hint:
        dv.showInputMessage = True
        dv.promptTitle = field.label[:32]
        dv.prompt = field.hint[:255]
    dv.add(sqref)
    ws.add_data_validation(dv)


def add_prompt(ws: Worksheet, title: str, hint: str, sqref: str) -> None:
    """An input prompt shown when one of `sqref`'s cells is selected; nothing without a hint."""
    if not hint:
        return
    dv = DataValidation(allow_blank=True, showInputMessage=True,
                        promptTitle=title[:32], prompt=hint[:255])
    dv.add(sqref)
    ws.add_data_validation(dv)
