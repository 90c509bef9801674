"""Raw values → the kind's typed pydantic model, with a map back to each value's cell."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl.utils.datetime import from_excel
from pydantic import BaseModel, ValidationError

from officeflow.catalog import Field, FieldType, KindSpec, Table, typed_text_key
from officeflow.findings import CellRef, Finding, error
from officeflow.kinds.common import KIND_FIELD
from officeflow.reader import RawDocument, RawRow, RawTable, RawValue
from officeflow.text import clean_text, half_width_alnum, normalise_label, split_list
from officeflow.versions import normalise_version

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
# Excel serials of 1990-01-01 … 2099-12-31: a bare number outside is not a date.
_SERIAL_RANGE = (32874, 73415)


@dataclass
class SourceMap:
    """Where each value of the model came from, for locating findings."""

    fields: dict[str, CellRef] = field(default_factory=dict)
    tables: dict[str, CellRef] = field(default_factory=dict)  # the table's sheet (header row)
    rows: dict[str, list[dict[str, CellRef]]] = field(default_factory=dict)
    extra: dict[str, list[dict[str, CellRef]]] = field(default_factory=dict)
    extra_headers: dict[str, dict[str, CellRef]] = field(default_factory=dict)
    info_sheet: str = "基本信息"
    sheets: list[str] = field(default_factory=list)  # the workbook's sheets, in order

    def field(self, key: str) -> CellRef:
        return self.fields.get(key, CellRef(self.info_sheet))

    def table(self, key: str) -> CellRef | None:
        return self.tables.get(key)

    def cell(self, table: str, index: int, column: str) -> CellRef | None:
        rows = self.rows.get(table, [])
        if index < len(rows):
            return rows[index].get(column) or self.tables.get(table)
        return self.tables.get(table)

    def extra_cell(self, table: str, index: int, header: str) -> CellRef | None:
        rows = self.extra.get(table, [])
        return rows[index].get(header) if index < len(rows) else None


@dataclass
class ParsedDocument:
    """The typed document of one workbook plus where each value came from."""

    kind: KindSpec
    model: BaseModel
    source: SourceMap
    findings: list[Finding]

    def value(self, key: str) -> Any:
        return getattr(self.model, key)

    def rows(self, table: str) -> list[BaseModel]:
        return list(getattr(self.model, table))


# ---------------------------------------------------------------- converters


def _parse_date_text(text: str) -> date | None:
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def convert(spec: Field, raw: RawValue, epoch: datetime | None = None) -> tuple[Any, Finding | None]:
    """One cell's value as the field's Python type, or a located finding saying why not."""
    value, where = raw.value, raw.where
    if raw.is_formula:
        return None, error("cell.formula",
                           f"“{spec.label}”是公式，系统不计算公式：请直接输入值。", where)
    if raw.is_blank:
        return None, None
    if isinstance(value, bool):
        return None, error("cell.boolean", f"“{spec.label}”应为文字，不能是 TRUE/FALSE。", where)
    if spec.type is FieldType.DATE:
        return _convert_date(spec, value, where, epoch)
    if isinstance(value, datetime | date):
        if spec.type is FieldType.TEXT:
            return value.strftime("%Y-%m-%d"), None
        return None, error("cell.date-not-text",
                           f"“{spec.label}”应为文字，单元格却是日期：请设为文本格式后重新输入。", where)
    if isinstance(value, int | float):
        return _convert_number(spec, value, where)
    text = clean_text(str(value))
    if spec.type is FieldType.CODE:
        return _convert_code(spec, text, where)
    if spec.type is FieldType.ENUM:
        choice = _choice(spec, text)
        if choice is None:
            return None, error("cell.choice",
                               f"“{spec.label}”填写了“{text}”，应为以下之一：{'、'.join(spec.choices)}。",
                               where)
        return choice, None
    text = half_width_alnum(text)  # full-width digits never reach the document as typed
    if spec.type is FieldType.LIST:
        return split_list(text), None
    return text, None


_LIST_ENDS = " \t\n、，,;；"
_SPACES = re.compile(r"[ \t]+")


def typed_list_text(raw: RawValue) -> str:
    """A list cell's text as the author typed it, for the Word document: runs of spaces as one,
    every line trimmed, no blank line, no separator left dangling at either end."""
    if not isinstance(raw.value, str):
        return ""  # a number is one item: the item is the text
    text = half_width_alnum(clean_text(raw.value))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line).strip(_LIST_ENDS)


def _typed_text(spec: Field, raw: RawValue, value: Any) -> dict[str, str]:
    """The typed text beside a list's items (catalog.typed_text_key); nothing for other fields."""
    if spec.type is not FieldType.LIST or not value:
        return {}
    text = typed_list_text(raw)
    return {typed_text_key(spec.key): text} if text else {}


# Chinese punctuation NFKC leaves as it is, typed in a code with the input method on.
_IME_PUNCTUATION = re.compile(r"[。—–―]")
_CHOICE_SEPARATORS = re.compile(r"[/、，,;；\s]+")


def _convert_code(spec: Field, text: str, where: CellRef) -> tuple[Any, Finding | None]:
    """A code typed full-width (`Ｖ１.０`, `QA－IQC`) is the same code; `v1.0` is `V1.0`."""
    text = unicodedata.normalize("NFKC", text)
    stray = _IME_PUNCTUATION.search(text)
    if stray:
        return None, error(
            "cell.full-width",
            f"“{spec.label}”含中文（全角）标点“{stray[0]}”：请切换到半角（英文）输入法后重新输入"
            "（中文输入法下按 Shift 切换中英文，Shift+空格 切换全角/半角）。", where)
    return normalise_version(text), None


def _choice(spec: Field, text: str) -> str | None:
    """The choice `text` names; combined letters in any order and with any separator
    (`R、A`, `a/r`) name the combined choice `R/A`."""
    text = unicodedata.normalize("NFKC", text)
    for choice in spec.choices:
        if normalise_label(text) == normalise_label(choice):
            return choice
    parts = {p.upper() for p in _CHOICE_SEPARATORS.split(text) if p}
    for choice in spec.choices:
        if "/" in choice and parts == {p.upper() for p in choice.split("/")}:
            return choice
    return None


def _convert_date(spec: Field, value: Any, where: CellRef, epoch: datetime | None) -> tuple[Any, Finding | None]:
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    if isinstance(value, int | float) and _SERIAL_RANGE[0] <= value <= _SERIAL_RANGE[1]:
        # Chinese built-in date formats read back as bare serial numbers (PITFALLS).
        converted = from_excel(value, epoch) if epoch else from_excel(value)
        return converted.date(), None
    if isinstance(value, str):
        parsed = _parse_date_text(unicodedata.normalize("NFKC", clean_text(value)))
        if parsed is not None:
            return parsed, None
    return None, error("cell.date",
                       f"“{spec.label}”不是有效日期（“{value}”），请填写 YYYY-MM-DD，如 2024-08-01。",
                       where)


def _convert_number(spec: Field, value: float, where: CellRef) -> tuple[Any, Finding | None]:
    whole = isinstance(value, int) or float(value).is_integer()
    if spec.type is FieldType.CODE and not whole:
        # Excel turned `1.10` into 1.1: the typed text is lost, so we must not guess.
        return None, error(
            "cell.numeric-code",
            f"“{spec.label}”被 Excel 存成了数字（如 1.10 会变成 1.1）："
            "请把该单元格设为“文本”格式后重新输入。",
            where,
        )
    text = str(int(value)) if whole else f"{value:g}"
    if spec.type is FieldType.LIST:
        return [text], None
    if spec.type is FieldType.ENUM:
        return None, error("cell.choice",
                           f"“{spec.label}”应为以下之一：{'、'.join(spec.choices)}。", where)
    return text, None


# ---------------------------------------------------------------- building the model


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def parse_document(raw: RawDocument, epoch: datetime | None = None) -> ParsedDocument:
    """Type every value, check presence, and build the kind's pydantic model."""
    typed = _Typing(SourceMap(info_sheet=raw.info_sheet, sheets=raw.sheets), list(raw.findings), epoch)
    values = typed.fields(raw)
    for table in raw.kind.tables:
        values[table.key] = typed.table(table, raw.tables.get(table.key))
    model, model_findings = _build_model(raw.kind.model, values, typed.source)
    typed.findings.extend(model_findings)
    return ParsedDocument(raw.kind, model, typed.source, typed.findings)


@dataclass
class _Typing:
    """Converts a raw document's values, recording where each came from and what was wrong."""

    source: SourceMap
    findings: list[Finding]
    epoch: datetime | None

    def _convert(self, spec: Field, cell: RawValue, required_code: str) -> Any:
        value, problem = convert(spec, cell, self.epoch)
        if problem:
            self.findings.append(problem)
        elif _is_empty(value) and spec.required:
            self.findings.append(error(required_code, f"“{spec.label}”为必填项，请填写。", cell.where))
        return value

    def fields(self, raw: RawDocument) -> dict[str, Any]:
        """The basic-information fields, typed."""
        values: dict[str, Any] = {}
        for spec in raw.kind.fields:
            cell = raw.fields.get(spec.key)
            if cell is None:
                if spec.required and not raw.info_missing:  # no sheet at all: said once
                    self.findings.append(error(
                        "field.missing", f"缺少字段“{spec.label}”：请在{raw.info_sheet}中补上该行。",
                        CellRef(raw.info_sheet)))
                continue
            self.source.fields[spec.key] = cell.where
            if spec.key == KIND_FIELD.key:
                values[spec.key] = raw.kind.label  # the reader already matched it to this kind
                continue
            value = self._convert(spec, cell, "field.required")
            if value is not None:
                values[spec.key] = value
                values.update(_typed_text(spec, cell, value))
        return values

    def table(self, table: Table, raw_table: RawTable | None) -> list[dict[str, Any]]:
        """One table's rows, typed, each value's cell recorded."""
        rows: list[dict[str, Any]] = []
        self.source.rows[table.key] = []
        self.source.extra[table.key] = []
        if raw_table is None or raw_table.sheet is None:
            return rows
        sheet = raw_table.sheet
        self.source.tables[table.key] = CellRef(sheet, f"A{raw_table.header_row}" if raw_table.header_row else "")
        self.source.extra_headers[table.key] = {
            text: CellRef(sheet, f"{letter}{raw_table.header_row}")
            for text, letter in raw_table.extra_columns.items()
        }
        for raw_row in raw_table.rows:
            locations = {key: CellRef(sheet, f"{letter}{raw_row.row}")
                         for key, letter in raw_table.columns.items()}
            rows.append(self._row(table, raw_row, locations))
        if len(rows) < table.min_rows and raw_table.header_row:  # no header: the reader said so
            self.findings.append(error("table.empty",
                                       f"“{table.sheet}”至少需要 {table.min_rows} 行记录，请填写。",
                                       self.source.tables[table.key]))
        return rows

    def _row(self, table: Table, raw_row: RawRow, columns: dict[str, CellRef]) -> dict[str, Any]:
        row_values: dict[str, Any] = {}
        locations: dict[str, CellRef] = {}
        for spec in table.columns:
            if spec.key not in columns:
                continue
            locations[spec.key] = columns[spec.key]
            cell = raw_row.values[spec.key]
            value = self._convert(spec, cell, "cell.required")
            if value is not None:
                row_values[spec.key] = value
                row_values.update(_typed_text(spec, cell, value))
        if table.extra_columns is not None:
            extra_values: dict[str, str] = {}
            extra_locations: dict[str, CellRef] = {}
            for header, cell in raw_row.extra.items():
                extra_locations[header] = cell.where
                value, problem = convert(table.extra_columns, cell, self.epoch)
                if problem:
                    self.findings.append(problem)
                elif value:
                    extra_values[header] = value
            row_values["extra"] = extra_values
            self.source.extra[table.key].append(extra_locations)
        self.source.rows[table.key].append(locations)
        return row_values


def _locate(loc: tuple[Any, ...], source: SourceMap) -> CellRef | None:
    if len(loc) >= 3 and isinstance(loc[1], int):
        return source.cell(str(loc[0]), loc[1], str(loc[2]))
    return source.field(str(loc[0])) if loc else None


def _build_model(model_type: type[BaseModel], values: dict[str, Any],
                 source: SourceMap) -> tuple[BaseModel, list[Finding]]:
    """Validate with pydantic; each error becomes a finding on its cell and the value is dropped."""
    findings: list[Finding] = []
    for _attempt in range(50):
        try:
            return model_type.model_validate(values), findings
        except ValidationError as exc:
            for problem in exc.errors():
                loc = problem["loc"]
                findings.append(error("field.invalid", _message(problem), _locate(loc, source)))
                _drop(values, loc)
    raise RuntimeError("model could not be built from converted values")  # a bug, not user input


def _message(problem: dict[str, Any]) -> str:
    if problem["type"] == "string_too_long":
        limit = problem.get("ctx", {}).get("max_length")
        return f"内容过长：不能超过 {limit} 个字符，请精简。"
    return f"内容无效（{problem['msg']}），请检查。"


def _drop(values: dict[str, Any], loc: tuple[Any, ...]) -> None:
    target: Any = values
    for part in loc[:-1]:
        target = target[part]
    if isinstance(target, dict):
        target.pop(loc[-1], None)

