"""The blank Excel template of a kind, generated from its catalog (SPEC §2.1).

The reader finds values by the same catalog labels, so template and reader cannot
drift. Output is byte-for-byte deterministic so committed templates can be compared
with freshly generated ones.
"""

from __future__ import annotations

import io
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from officeflow.catalog import Field, FieldType, KindSpec, Table
from officeflow.fsutil import atomic_write_with
from officeflow.vocabulary import REVIEW_LEVEL_NOTES, VAGUE_WORDS, Status
from officeflow.xlsx_lists import list_formula

if TYPE_CHECKING:
    from officeflow.settings import Settings

GUIDE_SHEET = "填写说明"
INFO_HEADERS = ("字段 Field", "填写内容 Value", "填写说明 Hint")
INFO_FIRST_ROW = 3  # row 1 title, row 2 headers
LAST_FORMATTED_ROW = 200  # formats and dropdowns reach this row on table sheets
SHARED_TABLE_ROWS = 10  # data rows reserved per table when tables share a sheet
EXTRA_HEADER_CELLS = 6  # empty header cells left for RACI role names
EXTRA_HEADER_HINT = "在表头空白单元格填写角色名称，每列一个角色"
LIST_SEPARATOR = "、"
WRAP_WIDTH = 24  # columns at least this wide hold long text: wrap it
MAX_WIDTH = 60

# Fixed timestamps: openpyxl stamps "now" into docProps/core.xml and zipfile stamps
# every member, which would make each generated file different.
FIXED_TIME = datetime(2024, 1, 1)
_ZIP_TIME = (2024, 1, 1, 0, 0, 0)

_NUMBER_FORMATS = {FieldType.CODE: "@", FieldType.DATE: "yyyy-mm-dd"}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_THIN = Side(style="thin", color="A6A6A6")
_HEADER_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP_ALIGN = Alignment(vertical="top", wrap_text=True)
_TOP_ALIGN = Alignment(vertical="top")
_TITLE_FONT = Font(bold=True, size=14)
_SECTION_FONT = Font(bold=True, size=12)


@dataclass(frozen=True)
class TableBlock:
    """Where one table sits in the template: its sheet, header row and data rows."""

    table: Table
    sheet: str
    title_row: int | None
    header_row: int
    first_row: int
    last_row: int  # last row formatted for data; a shared sheet's next table starts below
    shared: bool  # other tables on the same sheet


def table_layout(kind: KindSpec) -> list[TableBlock]:
    """The position of every table: one per sheet from row 1, or stacked when sheets are shared."""
    by_sheet: dict[str, list[Table]] = {}
    for table in kind.tables:
        by_sheet.setdefault(table.sheet, []).append(table)
    blocks = []
    for sheet, tables in by_sheet.items():
        row = 1
        for i, table in enumerate(tables):
            title_row = None
            if table.title:
                title_row, row = row, row + 1
            last_table = i == len(tables) - 1
            last = LAST_FORMATTED_ROW if last_table else row + SHARED_TABLE_ROWS
            blocks.append(TableBlock(table, sheet, title_row, row, row + 1, last,
                                     len(tables) > 1))
            row = last + 2  # one blank row between stacked tables
    return blocks


def kind_choices(field: Field) -> tuple[str, ...]:
    """Dropdown values: 模板类型 offers every registered kind, other enums their choices."""
    if field.key == "kind" and not field.choices:
        from officeflow.kinds import KINDS  # late: the registry imports the kinds

        return tuple(k.label for k in KINDS.values())
    return field.choices


def build_template(kind: KindSpec) -> Workbook:
    """A blank workbook for `kind`: 填写说明, 基本信息, then one sheet per table sheet."""
    wb = openpyxl.Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    _write_guide(guide, kind)
    _write_info(wb.create_sheet(kind.info_sheet), kind)
    _landscape(guide)
    _landscape(wb[kind.info_sheet])
    blocks = table_layout(kind)
    for sheet in dict.fromkeys(b.sheet for b in blocks):
        ws = wb.create_sheet(sheet)
        sheet_blocks = [b for b in blocks if b.sheet == sheet]
        for block in sheet_blocks:
            _write_table(ws, block)
        _set_table_widths(ws, sheet_blocks)
        # Freezing the first header would hide the right header of a stacked table.
        if len(sheet_blocks) == 1:
            ws.freeze_panes = f"A{sheet_blocks[0].first_row}"
        _landscape(ws)
    wb.properties.creator = "officeflow"
    wb.properties.lastModifiedBy = "officeflow"
    wb.properties.title = f"{kind.label} 模板"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx bytes with fixed timestamps, so equal workbooks give equal bytes."""
    raw = io.BytesIO()
    wb.save(raw)
    wb.properties.modified = FIXED_TIME  # save() overwrote it with now
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info)
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.create_system = 0  # zipfile records the host OS; keep bytes platform-free
            dst.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_template(kind: KindSpec, path: Path, settings: Settings | None = None) -> None:
    """Write the blank template of `kind` to `path` atomically; with `settings`, the kind as
    they shape it (review levels, controlled 流程类别/主责部门: officeflow.tailor)."""
    if settings is not None:
        from officeflow.tailor import tailored

        kind = tailored(kind, settings)
    data = workbook_bytes(build_template(kind))
    atomic_write_with(path, lambda temp: temp.write_bytes(data))


def write_all_templates(folder: Path) -> list[Path]:
    """Write `<kind.key>.xlsx` for every registered kind into `folder`."""
    from officeflow.kinds import KINDS

    paths = []
    for kind in KINDS.values():
        path = folder / f"{kind.key}.xlsx"
        write_template(kind, path)
        paths.append(path)
    return paths


def fill_template(kind: KindSpec, data: dict, path: Path) -> None:
    """Fill a fresh template as a person would and write it to `path`.

    `data = {"fields": {key: value}, "tables": {table_key: [{column_key: value}]}}`;
    values are str, date or list[str] (joined with 、); a RACI row may carry
    `"extra": {role: value}`, the roles going into the empty header cells.
    Text is always stored as text (a leading = stays literal). Unknown keys raise.
    """
    wb = build_template(kind)
    info = wb[kind.info_sheet]
    for key, value in data.get("fields", {}).items():
        field = kind.field(key)
        _put(info.cell(INFO_FIRST_ROW + kind.fields.index(field), 2), value)
    blocks = {b.table.key: b for b in table_layout(kind)}
    for key, records in data.get("tables", {}).items():
        block = blocks[key]
        capacity = block.last_row - block.first_row + 1
        if block.shared and len(records) > capacity:
            raise ValueError(f"{key}: at most {capacity} rows fit on shared sheet {block.sheet}")
        _fill_table(wb[block.sheet], block, records)
    payload = workbook_bytes(wb)
    atomic_write_with(path, lambda temp: temp.write_bytes(payload))


def _fill_table(ws: Worksheet, block: TableBlock, records: list[dict[str, Any]]) -> None:
    table = block.table
    index = {col.key: i + 1 for i, col in enumerate(table.columns)}
    roles: list[str] = []  # extra header names, in order of first use
    for offset, record in enumerate(records):
        row = block.first_row + offset
        for key, value in record.items():
            if key == "extra" and table.extra_columns is not None:
                for role, mark in value.items():
                    if role not in roles:
                        roles.append(role)
                    _put(ws.cell(row, len(table.columns) + 1 + roles.index(role)), mark)
                continue
            if key not in index:
                raise KeyError(f"{table.key}.{key}")
            _put(ws.cell(row, index[key]), value)
    for i, role in enumerate(roles):
        _put(ws.cell(block.header_row, len(table.columns) + 1 + i), role)


def _put(cell: Cell, value: Any) -> None:
    """Store one value the way typing it would, but text always as text."""
    if value is None:
        return
    if isinstance(value, list | tuple):
        value = LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, str | date | int | float):
        raise TypeError(f"unsupported value {value!r} for {cell.coordinate}")
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # after assigning: keeps "=…" literal instead of a formula


# --- sheets -------------------------------------------------------------------------


def _write_info(ws: Worksheet, kind: KindSpec) -> None:
    ws.cell(1, 1, f"{kind.label} · {kind.info_sheet}").font = _TITLE_FONT
    for col, text in enumerate(INFO_HEADERS, start=1):
        _style_header(ws.cell(2, col, text))
    ws.row_dimensions[2].height = 20
    for row, field in enumerate(kind.fields, start=INFO_FIRST_ROW):
        label = ws.cell(row, 1, _header_text(field))
        label.font, label.alignment = _HEADER_FONT, _TOP_ALIGN
        value = ws.cell(row, 2, kind.label if field.key == "kind" else None)
        _format_value_cell(value, field)
        ws.cell(row, 3, field.hint or None).alignment = _WRAP_ALIGN
        _add_validation(ws, field, value.coordinate)
    labels = [_display_width(_header_text(f)) for f in kind.fields]
    hints = [_display_width(f.hint) for f in kind.fields]
    ws.column_dimensions["A"].width = max([*labels, _display_width(INFO_HEADERS[0])]) + 2
    ws.column_dimensions["B"].width = max([*(f.width for f in kind.fields), 30])
    ws.column_dimensions["C"].width = min(max([*hints, 20]) + 2, MAX_WIDTH)
    ws.freeze_panes = f"A{INFO_FIRST_ROW}"
    _fit_row_heights(ws)


def _write_table(ws: Worksheet, block: TableBlock) -> None:
    table = block.table
    if block.title_row is not None:
        ws.cell(block.title_row, 1, table.title).font = _SECTION_FONT
    for col, field in enumerate(table.columns, start=1):
        _style_header(ws.cell(block.header_row, col, _header_text(field)))
        letter = get_column_letter(col)
        for row in range(block.first_row, block.last_row + 1):
            _format_value_cell(ws.cell(row, col), field)
        _add_validation(ws, field, f"{letter}{block.first_row}:{letter}{block.last_row}")
    if table.extra_columns is not None:
        extra = table.extra_columns
        first, last = len(table.columns) + 1, len(table.columns) + EXTRA_HEADER_CELLS
        for col in range(first, last + 1):
            _style_header(ws.cell(block.header_row, col))
            for row in range(block.first_row, block.last_row + 1):
                _format_value_cell(ws.cell(row, col), extra)
        a, b = get_column_letter(first), get_column_letter(last)
        _add_prompt(ws, extra.label, extra.hint or EXTRA_HEADER_HINT,
                    f"{a}{block.header_row}:{b}{block.header_row}")
        _add_validation(ws, extra, f"{a}{block.first_row}:{b}{block.last_row}")
    ws.row_dimensions[block.header_row].height = 32  # room for label and alias on two lines


def _set_table_widths(ws: Worksheet, blocks: list[TableBlock]) -> None:
    widths: dict[int, float] = {}
    for block in blocks:
        fields = list(block.table.columns)
        if block.table.extra_columns is not None:
            fields += [block.table.extra_columns] * EXTRA_HEADER_CELLS
        for col, field in enumerate(fields, start=1):
            widths[col] = max(widths.get(col, 0), _column_width(field))
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width


def _write_guide(ws: Worksheet, kind: KindSpec) -> None:
    """填写说明: purpose, how to fill, the rules of seed 000, every field, an example."""
    for letter, width in zip("ABCDEFG", (24, 44, 50, 16, 16, 16, 16), strict=True):
        ws.column_dimensions[letter].width = width
    row = 1
    ws.cell(row, 1, f"{kind.label} · {GUIDE_SHEET}").font = _TITLE_FONT
    row += 1
    if kind.description:
        cell = ws.cell(row, 1, "用途")
        cell.font, cell.alignment = _HEADER_FONT, _TOP_ALIGN
        _prose(ws, row, kind.description)
        row += 1

    def section(title: str, items: list[tuple[str, str]]) -> None:
        nonlocal row
        row += 1
        ws.cell(row, 1, title).font = _SECTION_FONT
        row += 1
        for topic, text in items:
            cell = ws.cell(row, 1, topic)
            cell.font, cell.alignment = _HEADER_FONT, _TOP_ALIGN
            _prose(ws, row, text)
            row += 1

    section("一、填写方法", _how_to_fill(kind))
    section("二、填写规则", _rules_text(kind))

    row += 1
    ws.cell(row, 1, "三、字段说明").font = _SECTION_FONT
    row += 1
    # Example right of the label: a label scanner (detect_kind looks at every sheet) that
    # meets 模板类型 here must find this kind's label beside it, not a hint.
    for col, text in enumerate(("字段 Field", "示例 Example", "填写说明 Hint", "必填"), start=1):
        _style_header(ws.cell(row, col, text))
    row += 1
    groups: list[tuple[str, tuple[Field, ...]]] = [(kind.info_sheet, kind.fields)]
    for table in kind.tables:
        extra = (table.extra_columns,) if table.extra_columns is not None else ()
        groups.append((_table_name(table), table.columns + extra))
    for name, fields in groups:
        cell = ws.cell(row, 1, f"「{name}」")
        cell.font, cell.fill = _HEADER_FONT, _SECTION_FILL
        row += 1
        for field in fields:
            example = kind.label if field.key == "kind" else field.example
            ws.cell(row, 1, field.display_label).alignment = _TOP_ALIGN
            ws.cell(row, 2, example or None).alignment = _WRAP_ALIGN
            ws.cell(row, 3, _field_note(field)).alignment = _WRAP_ALIGN
            ws.cell(row, 4, "是" if field.required else None).alignment = _TOP_ALIGN
            row += 1

    row += 1
    ws.cell(row, 1, "四、填写示例").font = _SECTION_FONT
    row += 1
    for table in kind.tables:
        if not any(col.example for col in table.columns):
            continue
        ws.cell(row, 1, f"「{_table_name(table)}」示例").font = _HEADER_FONT
        row += 1
        for col, field in enumerate(table.columns, start=1):
            _style_header(ws.cell(row, col, field.display_label))
            ws.cell(row + 1, col, field.example or None).alignment = _WRAP_ALIGN
        row += 3

    _fit_row_heights(ws)


def _prose(ws: Worksheet, row: int, text: str) -> None:
    """A paragraph across columns B:C (merged; the guide is never read back)."""
    ws.cell(row, 2, text).alignment = _WRAP_ALIGN
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)


def _how_to_fill(kind: KindSpec) -> list[tuple[str, str]]:
    sheets = "".join(f"「{s}」" for s in dict.fromkeys(t.sheet for t in kind.tables))
    items = [
        ("基本信息", f"在「{kind.info_sheet}」表的“填写内容”列逐项填写，带 * 的为必填项；"
                     f"模板类型已预填为“{kind.label}”，请勿修改。"),
        ("表格", f"{sheets}各表第一行为表头，请勿修改或删除表头；从表头下一行起每行填写一条"
                 "记录，可插入行，空行会被忽略。"),
        ("下拉选项", "带下拉箭头的单元格请从列表中选择；选中单元格时会显示填写提示。"),
        ("编号与版本号", "编号、版本号、步骤编号单元格已设为文本格式，请直接输入"
                         "（如 1.10、V1.0），不要改成数字格式，否则 1.10 会变成 1.1。"),
        ("日期", "日期单元格请按 YYYY-MM-DD 填写，如 2024-08-01。"),
    ]
    lists = [f for f in kind.fields if f.type is FieldType.LIST]
    if lists:
        example = next((f.example for f in lists if f.example), "客服部、技术部、法务部")
        names = "、".join(f.label for f in lists)
        items.append(("多项内容", f"{names}等多项内容用顿号（、）分隔，如 {example}。"))
    return items


def _rules_text(kind: KindSpec) -> list[tuple[str, str]]:
    keys = {f.key: f for f in kind.fields}
    tables = {t.key: t for t in kind.tables}
    items = []
    if "doc_id" in keys:
        example = keys["doc_id"].example or "CRM-CS-2024-005"
        items.append((keys["doc_id"].label, f"按企业编码规则“前缀-类别-年份-序号”填写，如 {example}；"
                      "年份不得晚于生效日期所在的年份。"))
    if "version" in keys:
        items.append((keys["version"].label,
                      "首次发布为 V1.0；此后每次修订递增：小幅修订为下一个次版本（如 V1.1），"
                      "重大修订为下一个主版本（如 V2.0），不得跳号或回退；留空则由系统自动分配。"
                      f"遵循“一流程一版本”，新版本生效后旧版本标注为“{Status.SUPERSEDED}”。"))
    steps = tables.get(kind.step_table)
    if steps is not None and any(c.key == "number" for c in steps.columns):
        items.append((steps.column("number").label,
                      f"「{steps.sheet}」中步骤编号按 1.1、1.2、1.3…（或 1、2、3…）顺序连续编号，"
                      "不跳号、不重复。"))
        if kind.role_columns and "roles" in keys:
            roles = "、".join(steps.column(c).label for c in kind.role_columns)
            items.append((roles, f"须列在「{kind.info_sheet}」的“{keys['roles'].label}”中。"))
    vague = "".join(f"“{w}”" for w in VAGUE_WORDS)
    items.append(("用语规范", f"避免使用{vague}等模糊词汇，写清谁在什么时间做什么事、做到什么标准；"
                  "流程目标和关键控制点需量化，如“响应时间≤2小时”“准确率≥95%”。"))
    if "revision_log" in tables:
        log = tables["revision_log"]
        items.append((log.sheet, f"每次修订须在「{log.sheet}」中新增一行，写明版本号、修订日期、"
                      "修订内容和修订原因（如“根据2024年财税新规调整票据要求”），保证修订可追溯。"))
    if "reviews" in tables:
        reviews = tables["reviews"]
        levels = reviews.column("level").choices
        notes = "；".join(f"{lv}：{REVIEW_LEVEL_NOTES[lv]}" for lv in levels
                          if lv in REVIEW_LEVEL_NOTES)
        items.append((reviews.sheet, f"{'、'.join(levels)}均须填写，审核结论均为“通过”后方可正式发布"
                      f"（{notes}）。"))
    return items


# --- cells --------------------------------------------------------------------------


def _header_text(field: Field) -> str:
    return f"* {field.display_label}" if field.required else field.display_label


def _table_name(table: Table) -> str:
    return f"{table.sheet} · {table.title}" if table.title else table.sheet


def _field_note(field: Field) -> str | None:
    """The hint, plus the allowed values of an enum."""
    choices = kind_choices(field)
    if field.type is FieldType.ENUM and choices and field.key != "kind":
        listed = f"可选：{'、'.join(choices)}"
        return f"{field.hint}；{listed}" if field.hint else listed
    return field.hint or None


def _style_header(cell: Cell) -> None:
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    cell.border = _HEADER_BORDER
    cell.alignment = _HEADER_ALIGN


def _format_value_cell(cell: Cell, field: Field) -> None:
    if field.type in _NUMBER_FORMATS:
        cell.number_format = _NUMBER_FORMATS[field.type]
    if field.width >= WRAP_WIDTH or field.type is FieldType.LIST:
        cell.alignment = _WRAP_ALIGN


def _add_validation(ws: Worksheet, field: Field, sqref: str) -> None:
    """A dropdown for an enum, an input prompt for a hint; nothing if neither applies."""
    choices = kind_choices(field) if field.type is FieldType.ENUM else ()
    if not choices:
        _add_prompt(ws, field.label, field.hint, sqref)
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


def _add_prompt(ws: Worksheet, title: str, hint: str, sqref: str) -> None:
    if not hint:
        return
    dv = DataValidation(allow_blank=True, showInputMessage=True,
                        promptTitle=title[:32], prompt=hint[:255])
    dv.add(sqref)
    ws.add_data_validation(dv)


def _display_width(text: str) -> int:
    """Width in Excel characters: a CJK character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit_row_heights(ws: Worksheet) -> None:
    """Set the height of rows with wrapped text: LibreOffice does not grow them on load."""
    spans = {(m.min_row, m.min_col): range(m.min_col, m.max_col + 1) for m in ws.merged_cells.ranges}
    for cells in ws.iter_rows():
        lines = 1
        for cell in cells:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            columns = spans.get((cell.row, cell.column), [cell.column])
            width = sum(ws.column_dimensions[get_column_letter(c)].width or 8 for c in columns)
            per_line = max(int(width) - 2, 1)
            lines = max(lines, sum(-(-max(_display_width(part), 1) // per_line)
                                   for part in cell.value.split("\n")))
        if lines > 1:
            ws.row_dimensions[cells[0].row].height = 15 * lines + 2


def _column_width(field: Field) -> int:
    """The catalog width, widened so the Chinese part of the header never breaks."""
    label = f"* {field.label}" if field.required else field.label
    return min(max(field.width, _display_width(label) + 2), MAX_WIDTH)


def _landscape(ws: Worksheet) -> None:
    """Print landscape, one page wide, so a PDF of the template stays readable."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


if __name__ == "__main__":  # python -m officeflow.workbook_template templates
    for written in write_all_templates(Path(sys.argv[1] if len(sys.argv) > 1 else "templates")):
        print(written)
