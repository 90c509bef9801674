"""The Word template of a kind, generated from its catalog in the house style.

Every heading, column label and width comes from the kind (officeflow.catalog: the
fields and tables, `Field.word_width`, `Table.word`, `KindSpec.word_info_rows` and
`word_sections`); the tags are the Word context of officeflow.render.build_context. So a
new kind needs no Word code: its catalog is its template. Output is byte for byte the same
on every run, so the committed templates/*.docx can be compared with fresh ones.

    python -m officeflow.word_templates OUT_DIR   # every registered kind's template
    python tools/build_word_templates.py          # the same into the repository's templates/
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table as DocxTable

from officeflow.catalog import Field, KindSpec, Table
from officeflow.flow.branches import NEXT_COLUMN
from officeflow.flow.steps import has_lanes
from officeflow.kinds import KINDS
from officeflow.kinds.common import REVIEW_RECORDS, STAMP_FIELDS, word_info_rows, word_sections
from officeflow.word_style import (
    HEADER_FILL,
    LABEL_FILL,
    STYLE_BODY,
    STYLE_CELL,
    STYLE_SUBTITLE,
    STYLE_TITLE,
    TEXT_WIDTH_CM,
    add_footer,
    add_header,
    document_bytes,
    merge_row,
    new_document,
    new_table,
    row_flag,
    save_template,
    shade,
    var,
    write_cell,
)

INFO_WIDTHS = (2.6, 5.4, 2.6, 5.4)  # label, value, label, value
INDEX_WIDTH = 1.4  # the 序号 column
ROW = "row"  # the loop variable of a table row
_DIGITS = "一二三四五六七八九"
_LABEL_VARIABLES = {"next_review_date": "next_review_label"}


class Column(NamedTuple):
    """One column of a loop table: header label, cell expression, width in cm (None: share)."""

    label: str
    expr: str
    width_cm: float | None = None
    center: bool = False


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (section numbers 一、二、…)."""
    if not 1 <= n <= 99:
        raise ValueError(f"section number out of range: {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _DIGITS[tens - 1] + "十"
    return head + (_DIGITS[ones - 1] if ones else "")


def _column_widths(columns: Sequence[Column]) -> list[float]:
    """Resolve None widths by sharing what is left of the text width."""
    fixed = sum(c.width_cm for c in columns if c.width_cm is not None)
    free = [c for c in columns if c.width_cm is None]
    rest = (TEXT_WIDTH_CM - fixed) / len(free) if free else 0.0
    return [c.width_cm if c.width_cm is not None else round(rest, 2) for c in columns]


def _fields(kind: KindSpec) -> dict[str, Field]:
    """The kind's fields and the stamp's values, by key: what 基本信息 may show."""
    return {f.key: f for f in (*kind.fields, *STAMP_FIELDS)}


# --- blocks -------------------------------------------------------------------------------


def add_title(doc: DocumentObject) -> None:
    """Document title (流程名称) and the kind as subtitle."""
    doc.add_paragraph(var("name"), style=STYLE_TITLE)
    doc.add_paragraph(var("kind_label"), style=STYLE_SUBTITLE)


def add_heading(doc: DocumentObject, number: int, title: str) -> None:
    """Numbered section heading such as 一、基本信息."""
    doc.add_paragraph(f"{chinese_number(number)}、{title}", style="Heading 1")


def add_info_table(doc: DocumentObject, kind: KindSpec) -> DocxTable:
    """Key/value table, four columns; a row with one field spans the value across the row."""
    fields = _fields(kind)
    rows = word_info_rows(kind)
    add_heading(doc, 1, kind.info_sheet)
    table = new_table(doc, len(rows), INFO_WIDTHS)
    for row_index, keys in enumerate(rows):
        cells = table.rows[row_index].cells
        if len(keys) == 1:
            cells = [cells[0], cells[1].merge(cells[3])]
        for offset, key in enumerate(keys):
            label_cell, value_cell = cells[2 * offset], cells[2 * offset + 1]
            # The copy's marking may relabel a row (an obsolete copy: 失效日期, not 下次回顾日期).
            label = var(_LABEL_VARIABLES[key]) if key in _LABEL_VARIABLES else fields[key].label
            write_cell(label_cell, label, head=True)
            shade(label_cell, LABEL_FILL)
            write_cell(value_cell, var(key))
        row_flag(table.rows[row_index], "w:cantSplit")
    return table


def _header_row(table: DocxTable, texts: Iterable[str]) -> None:
    header = table.rows[0]
    for cell, text in zip(header.cells, texts, strict=True):
        write_cell(cell, text, head=True)
        shade(cell, HEADER_FILL)
    row_flag(header, "w:tblHeader")  # repeat the header row on every page
    row_flag(header, "w:cantSplit")


def _loop_rows(table: DocxTable, source: str, data: Sequence[tuple[str, bool]]) -> None:
    """Fill rows 1… of `table`: one docxtpl row loop over `source`, then a "无" row when empty.

    Control rows are merged into one cell (docxtpl drops them whole, so this is only for a
    tidy template).
    """
    tag_rows = [f"{{%tr for {ROW} in {source} %}}", None, "{%tr endfor %}",
                f"{{%tr if not {source} %}}", "无", "{%tr endif %}"]
    for offset, text in enumerate(tag_rows, start=1):
        row = table.rows[offset]
        if text is None:  # the data row
            for cell, (expr, center) in zip(row.cells, data, strict=True):
                write_cell(cell, expr, center=center)
            row_flag(row, "w:cantSplit")
        else:
            write_cell(merge_row(table, offset), text, center=not text.startswith("{%"))


def add_loop_table(doc: DocumentObject, table: Table) -> DocxTable:
    """A table with one row per record of the table's context list."""
    columns = [Column(table.word.index, var("loop.index"), INDEX_WIDTH, True)] if table.word.index else []
    columns += [Column(c.label, var(f"{ROW}.{c.key}"), c.word_width, c.word_center)
                for c in table.columns if c.key != NEXT_COLUMN]  # 后续步骤: the 流程图 draws it
    docx_table = new_table(doc, 7, _column_widths(columns))
    _header_row(docx_table, [c.label for c in columns])
    _loop_rows(docx_table, table.word_source, [(c.expr, c.center) for c in columns])
    return docx_table


def add_column_loop_table(doc: DocumentObject, kind: KindSpec, table: Table) -> DocxTable:
    """A table whose extra columns (RACI roles) are a docxtpl column loop, one per header.

    The loop's three template cells (`{%tc for %}`, the cell, `{%tc endfor %}`) become one
    cell per role; docxtpl's fix_tables then resizes the grid, keeping the template's columns
    in proportion and giving added ones the new average width. With the three loop cells at
    exactly that average, every role column comes out equal for any number of roles, and the
    fixed columns keep the proportions of their word widths.
    """
    assert table.extra_columns is not None
    fixed = [Column(c.label, var(f"{ROW}.{c.key}"), c.word_width or 1.0, c.word_center)
             for c in table.columns]
    if table.word.lookup:
        other, key = table.word.lookup
        looked_up = kind.table(other).column(key)
        expr = (f"{{% for other in {kind.table(other).word_source} if other.number == {ROW}.number %}}"
                f"{var(f'other.{key}')}{{% endfor %}}")
        fixed.append(Column(looked_up.label, expr, looked_up.word_width or 1.0, looked_up.word_center))
    average = round(TEXT_WIDTH_CM / (len(fixed) + 3), 2)
    share = average * len(fixed) / sum(c.width_cm or 0 for c in fixed)
    widths = [round((c.width_cm or 0) * share, 2) for c in fixed] + [average] * 3
    docx_table = new_table(doc, 7, widths)
    headers = f"{table.key}_extra_headers"
    loop = f"{{%tc for role in {headers} %}}"
    _header_row(docx_table, [*(c.label for c in fixed), loop, var("role"), "{%tc endfor %}"])
    center = table.extra_columns.word_center
    data = [(c.expr, c.center) for c in fixed]
    data += [(loop, center), (var(f"{ROW}.extra.get(role, '')"), center), ("{%tc endfor %}", center)]
    _loop_rows(docx_table, table.word_source, data)
    # Cell widths would pin every rendered role cell to the template's width; without them
    # Word and LibreOffice lay the table out on the grid that docxtpl resizes.
    for tc_width in docx_table._tbl.iter(qn("w:tcW")):
        tc_width.getparent().remove(tc_width)
    return docx_table


def add_labelled_line(doc: DocumentObject, label: str, key: str) -> None:
    """A body line `label：value` right under a table (e.g. 总流程周期)."""
    paragraph = doc.add_paragraph(style=STYLE_BODY)
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.space_before = Pt(4)
    paragraph.add_run(f"{label}：").bold = True
    paragraph.add_run(var(key))


def add_text_lines(doc: DocumentObject, key: str) -> None:
    """A text field as one body paragraph per line the author typed (Alt+Enter in Excel).

    A line break inside one paragraph would start the next line at the margin, without the
    first-line indent; one paragraph per line gives every line the same indent.
    """
    line = "line"
    doc.add_paragraph(f"{{%p for {line} in ({key}|string).splitlines() or [''] %}}", style=STYLE_BODY)
    doc.add_paragraph(var(line), style=STYLE_BODY)
    doc.add_paragraph("{%p endfor %}", style=STYLE_BODY)


def keep_table_with_next(table: DocxTable) -> None:
    """Keep every paragraph of `table` with the next one, so the table and what follows it
    (the 批准人 line) move to a new page together rather than leave the line alone."""
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True


def add_sign_off(doc: DocumentObject, kind: KindSpec) -> None:
    """The approval line under 审核与批准: who approved, from when it applies."""
    sign_off = doc.add_paragraph(style=STYLE_BODY)
    sign_off.paragraph_format.keep_together = True
    sign_off.paragraph_format.first_line_indent = Pt(0)
    sign_off.paragraph_format.space_before = Pt(10)
    sign_off.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    effective = kind.field("effective_date").label
    sign_off.add_run(f"批准人：{var('approver')}　　　{effective}：{var('effective_date')}")


def add_table_section(doc: DocumentObject, kind: KindSpec, number: int, table: Table) -> None:
    add_heading(doc, number, table.word_title)
    if table.extra_columns is not None:
        docx_table = add_column_loop_table(doc, kind, table)
    else:
        docx_table = add_loop_table(doc, table)
    if table.key == REVIEW_RECORDS.key:
        keep_table_with_next(docx_table)
    if table.word.note:
        add_labelled_line(doc, _fields(kind)[table.word.note].label, table.word.note)
    if table.word.legend:
        legend = doc.add_paragraph(table.word.legend, style=STYLE_CELL)
        legend.paragraph_format.space_before = Pt(3)
    if table.key == REVIEW_RECORDS.key:
        add_sign_off(doc, kind)


FLOWCHART_TITLE = "流程图"
FLOWCHART = "flowchart"  # the Word context list of pictures (officeflow.render.flowchart_context)
PICTURE = "pic"


def add_flowchart_section(doc: DocumentObject, number: int) -> None:
    """流程图: one picture per A4 page of the diagram, each with its caption; 无 without steps.

    Paragraph tags (`{%p %}`) vanish with their paragraph, so an empty list leaves only 无.
    """
    add_heading(doc, number, FLOWCHART_TITLE)
    doc.add_paragraph(f"{{%p for {PICTURE} in {FLOWCHART} %}}", style=STYLE_CELL)
    picture = doc.add_paragraph(style="Normal")
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True  # the caption stays under its picture
    picture.paragraph_format.space_before = Pt(6)
    picture.add_run(var(PICTURE))
    caption = doc.add_paragraph(style=STYLE_CELL)
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.add_run(f"图 {FLOWCHART_TITLE}{{% if loop.length > 1 %}}（{var('loop.index')}/"
                    f"{var('loop.length')}）{{% endif %}}")
    doc.add_paragraph("{%p endfor %}", style=STYLE_CELL)
    doc.add_paragraph(f"{{%p if not {FLOWCHART} %}}", style=STYLE_CELL)
    doc.add_paragraph("无", style=STYLE_BODY)
    doc.add_paragraph("{%p endif %}", style=STYLE_CELL)


# --- documents ----------------------------------------------------------------------------


def build_document(kind: KindSpec) -> DocumentObject:
    """The kind's Word template: header, footer, title, 基本信息, then its sections."""
    doc = new_document()
    identity = "　·　".join(f"{kind.field(key).label} {var(key)}"
                           for key in ("doc_id", "version", "effective_date"))
    add_header(doc, identity)
    add_footer(doc)
    add_title(doc)
    add_info_table(doc, kind)
    tables = {t.key: t for t in kind.tables}
    number = 2
    for key in word_sections(kind):
        if key in tables:
            add_table_section(doc, kind, number, tables[key])
        else:
            add_heading(doc, number, kind.field(key).label)
            add_text_lines(doc, key)
        number += 1
        if key == kind.step_table and has_lanes(kind):  # the diagram right after its steps
            add_flowchart_section(doc, number)
            number += 1
    return doc


def template_bytes(kind: KindSpec) -> bytes:
    """The kind's Word template as .docx bytes (the same bytes on every run)."""
    return document_bytes(build_document(kind))


def build_template(kind: KindSpec, path: Path) -> Path:
    """Write the kind's Word template to `path` (atomically) and return the path."""
    save_template(build_document(kind), path)
    return path


def build_all(out_dir: Path, kinds: Iterable[KindSpec] | None = None) -> list[Path]:
    """Rebuild the Word template of every registered kind (or of `kinds`) into out_dir."""
    chosen = list(KINDS.values()) if kinds is None else list(kinds)
    return [build_template(kind, out_dir / kind.word_template) for kind in chosen]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: python -m officeflow.word_templates OUT_DIR."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m officeflow.word_templates OUT_DIR", file=sys.stderr)
        return 2
    for path in build_all(Path(args[0])):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
