"""The 填写说明 sheet of a template: purpose, how to fill, the rules, every field, an example.

Written for people only: the reader never reads it back, so its paragraphs may be merged.
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from officeflow.catalog import Field, FieldType, KindSpec, Table
from officeflow.vocabulary import REVIEW_LEVEL_NOTES, VAGUE_WORDS, Status
from officeflow.workbook_dropdowns import kind_choices
from officeflow.workbook_style import (
    HEADER_FONT,
    SECTION_FILL,
    SECTION_FONT,
    TITLE_FONT,
    TOP_ALIGN,
    WRAP_ALIGN,
    fit_row_heights,
    style_header,
)

GUIDE_SHEET = "填写说明"
GUIDE_WIDTHS = (24, 44, 50, 16, 16, 16, 16)  # columns A–G


def write_guide(ws: Worksheet, kind: KindSpec) -> None:
    """填写说明: purpose, how to fill, the rules of seed 000, every field, an example.

    Each part starts one row below the previous one's last row, leaving a blank row.
    """
    for letter, width in zip("ABCDEFG", GUIDE_WIDTHS, strict=True):
        ws.column_dimensions[letter].width = width
    ws.cell(1, 1, f"{kind.label} · {GUIDE_SHEET}").font = TITLE_FONT
    row = 2
    if kind.description:
        _write_topic(ws, row, "用途", kind.description)
        row += 1
    row = _write_section(ws, row + 1, "一、填写方法", _how_to_fill(kind))
    row = _write_section(ws, row + 1, "二、填写规则", _filling_rules(kind))
    row = _write_field_notes(ws, row + 1, kind)
    _write_examples(ws, row + 1, kind)
    fit_row_heights(ws)


def _write_topic(ws: Worksheet, row: int, topic: str, text: str) -> None:
    """One row: the topic in column A, its paragraph across B:C (merged)."""
    cell = ws.cell(row, 1, topic)
    cell.font, cell.alignment = HEADER_FONT, TOP_ALIGN
    ws.cell(row, 2, text).alignment = WRAP_ALIGN
    ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)


def _write_section(ws: Worksheet, row: int, title: str, topics: list[tuple[str, str]]) -> int:
    """A titled list of topics from `row`; returns the first row after it."""
    ws.cell(row, 1, title).font = SECTION_FONT
    for offset, (topic, text) in enumerate(topics, start=1):
        _write_topic(ws, row + offset, topic, text)
    return row + 1 + len(topics)


def _write_field_notes(ws: Worksheet, row: int, kind: KindSpec) -> int:
    """三、字段说明 from `row`: every field, grouped by sheet; returns the first row after it."""
    ws.cell(row, 1, "三、字段说明").font = SECTION_FONT
    row += 1
    # Example right of the label: a label scanner (detect_kind looks at every sheet) that
    # meets 模板类型 here must find this kind's label beside it, not a hint.
    for col, text in enumerate(("字段 Field", "示例 Example", "填写说明 Hint", "必填"), start=1):
        style_header(ws.cell(row, col, text))
    row += 1
    groups: list[tuple[str, tuple[Field, ...]]] = [(kind.info_sheet, kind.fields)]
    for table in kind.tables:
        extra = (table.extra_columns,) if table.extra_columns is not None else ()
        groups.append((_table_name(table), table.columns + extra))
    for name, fields in groups:
        cell = ws.cell(row, 1, f"「{name}」")
        cell.font, cell.fill = HEADER_FONT, SECTION_FILL
        row += 1
        for field in fields:
            example = kind.label if field.key == "kind" else field.example
            ws.cell(row, 1, field.display_label).alignment = TOP_ALIGN
            ws.cell(row, 2, example or None).alignment = WRAP_ALIGN
            ws.cell(row, 3, _field_note(field)).alignment = WRAP_ALIGN
            ws.cell(row, 4, "是" if field.required else None).alignment = TOP_ALIGN
            row += 1
    return row


def _write_examples(ws: Worksheet, row: int, kind: KindSpec) -> None:
    """四、填写示例 from `row`: each table that has examples, as a header and one filled row."""
    ws.cell(row, 1, "四、填写示例").font = SECTION_FONT
    row += 1
    for table in kind.tables:
        if not any(col.example for col in table.columns):
            continue
        ws.cell(row, 1, f"「{_table_name(table)}」示例").font = HEADER_FONT
        row += 1
        for col, field in enumerate(table.columns, start=1):
            style_header(ws.cell(row, col, field.display_label))
            ws.cell(row + 1, col, field.example or None).alignment = WRAP_ALIGN
        row += 3


def _table_name(table: Table) -> str:
    return f"{table.sheet} · {table.title}" if table.title else table.sheet


def _field_note(field: Field) -> str | None:
    """The hint, plus the allowed values of an enum."""
    choices = kind_choices(field)
    if field.type is FieldType.ENUM and choices and field.key != "kind":
        listed = f"可选：{'、'.join(choices)}"
        return f"{field.hint}；{listed}" if field.hint else listed
    return field.hint or None


def _how_to_fill(kind: KindSpec) -> list[tuple[str, str]]:
    """一、填写方法: (topic, text) on where and how each kind of value is typed."""
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


def _filling_rules(kind: KindSpec) -> list[tuple[str, str]]:
    """二、填写规则: (topic, text) for the rules of seed 000 that apply to `kind`."""
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
