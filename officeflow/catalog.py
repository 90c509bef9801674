"""The field catalog: how a document kind is described as data.

A kind's catalog drives the reader (which labels to look for), the pydantic
model, the blank Excel template, the Word template and the Word context, so
these cannot drift. What the shared rules need of every kind is checked when a
kind is registered (officeflow.kinds.contract).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Optional

from pydantic import BaseModel, ConfigDict, create_model
from pydantic import Field as PydanticField

if TYPE_CHECKING:
    from officeflow.findings import Finding
    from officeflow.model import ParsedDocument
    from officeflow.rules import RuleContext


class FieldType(StrEnum):
    TEXT = "text"  # free text
    CODE = "code"  # an identifier typed as text (版本号, 步骤编号, 编号): a numeric cell is a finding
    DATE = "date"  # an Excel date cell or text YYYY-MM-DD
    LIST = "list"  # text split on 、，,; and new lines (the model keeps the typed text too)
    ENUM = "enum"  # one of `choices`


@dataclass(frozen=True)
class Field:
    """One labelled value: a key/value field of 基本信息 or a column of a table."""

    key: str
    label: str  # Simplified Chinese label, as shown to people
    alias: str  # English alias, also accepted by the reader
    type: FieldType = FieldType.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    hint: str = ""  # input hint shown in the template (Chinese)
    example: str = ""  # example value shown in the template's 填写说明
    width: int = 16  # column width in the template, in Excel characters
    word_width: float | None = None  # column width in the Word table, cm; None shares what is left
    word_center: bool = False  # centre the column's values in the Word table (numbers, names)

    @property
    def display_label(self) -> str:
        """`流程编号 Process ID`: Chinese first, English alias after."""
        return f"{self.label} {self.alias}" if self.alias else self.label


@dataclass(frozen=True)
class WordTable:
    """How a table appears in the Word template (officeflow.word_templates)."""

    title: str = ""  # section heading (no number); default the table's title, else its sheet
    source: str = ""  # the Word context list the table loops over; default the table key
    index: str = ""  # header of a leading column numbering the rows (序号), if any
    note: str = ""  # a field key printed as `label：value` under the table (总流程周期)
    legend: str = ""  # a line of text under the table (the meaning of R, A, C, I)
    lookup: tuple[str, str] = ()  # (table, column): that table's value for the row's `number`


@dataclass(frozen=True)
class Table:
    """A table sheet: a header row of labels, one record per row below it."""

    key: str
    sheet: str
    sheet_alias: str
    columns: tuple[Field, ...]
    required: bool = True  # the sheet must exist
    min_rows: int = 0
    title: str = ""  # a title row above the header (two tables on one sheet)
    extra_columns: Field | None = None  # columns beyond `columns` are data (RACI roles)
    word: WordTable = WordTable()

    @property
    def word_title(self) -> str:
        return self.word.title or self.title or self.sheet

    @property
    def word_source(self) -> str:
        return self.word.source or self.key

    def column(self, key: str) -> Field:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


Rule = Callable[["ParsedDocument", "RuleContext"], Iterable["Finding"]]


@dataclass(frozen=True)
class KindSpec:
    """A document kind: its catalog, its rules and its Word template."""

    key: str  # kind key: sop, scenario, standard, optimization
    label: str  # 模板类型 value written in the workbook
    fields: tuple[Field, ...]  # key/value fields of 基本信息
    tables: tuple[Table, ...]
    rules: tuple[Rule, ...] = ()
    word_template: str = ""  # file name in the workspace's templates/ folder
    description: str = ""  # one paragraph for the template's 填写说明
    step_table: str = "steps"  # the table whose numbering and roles the shared rules check
    role_columns: tuple[str, ...] = ()  # step columns naming a role (checked against 适用角色)
    duration_columns: tuple[str, ...] = ()  # step columns holding a duration
    measurable_columns: tuple[str, ...] = ()  # step columns that should hold a measurable target
    info_sheet: str = "基本信息"
    info_sheet_alias: str = "Basic information"
    # The Word template's layout, by field and table keys (labels come from the catalog):
    # rows of one or two fields for 一、基本信息 (empty: kinds.common.BASIC_INFO_ROWS), then
    # the numbered sections, text fields and tables in order (empty: the text fields not in
    # 基本信息, then every table).
    word_info_rows: tuple[tuple[str, ...], ...] = ()
    word_sections: tuple[str, ...] = ()

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    @cached_property
    def model(self) -> type[BaseModel]:
        """The pydantic model of this kind, generated from the catalog."""
        return build_model(self)


def typed_text_key(key: str) -> str:
    """The model attribute holding a list field's text as typed (`departments_text`): the items
    drive validation, the text is what the Word document prints, with the author's separators."""
    return f"{key}_text"


def _attributes(fields: Iterable[Field]) -> dict[str, Any]:
    """One attribute per field; a list field also has its typed text beside the items."""
    attributes: dict[str, Any] = {}
    for f in fields:
        attributes[f.key] = _python_type(f)
        if f.type is FieldType.LIST:
            attributes[typed_text_key(f.key)] = (str, PydanticField(default=""))
    return attributes


def _python_type(f: Field) -> tuple[Any, Any]:
    if f.type is FieldType.DATE:
        return Optional[date], None  # noqa: UP045 - create_model wants a runtime type
    if f.type is FieldType.LIST:
        return list[str], PydanticField(default_factory=list)
    return str, PydanticField(default="", max_length=f.max_length)


class DocumentModel(BaseModel):
    """Base of every generated kind model: strict, no unknown keys."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class RowModel(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def build_model(kind: KindSpec) -> type[BaseModel]:
    """Generate `<Kind>Document` with one attribute per field and a list per table."""
    attributes = _attributes(kind.fields)
    for table in kind.tables:
        row_fields = _attributes(table.columns)
        if table.extra_columns is not None:
            row_fields["extra"] = (dict[str, str], PydanticField(default_factory=dict))
        row_model = create_model(  # type: ignore[call-overload]
            f"{kind.key.title()}{table.key.title().replace('_', '')}Row",
            __base__=RowModel,
            **row_fields,
        )
        attributes[table.key] = (list[row_model], PydanticField(default_factory=list))
    return create_model(  # type: ignore[call-overload]
        f"{kind.key.title()}Document", __base__=DocumentModel, **attributes
    )
