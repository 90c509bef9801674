"""Build the docxtpl Word templates in templates/ with python-docx, so the house style lives in code."""

from __future__ import annotations

import io
import os
import sys
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

# House style. Chinese documents use 宋体 for body text and 黑体 for headings; Latin text in
# Times New Roman. Sizes follow the Chinese 字号 scale: 五号 10.5pt, 小五 9pt, 四号 14pt, 二号 22pt.
LATIN_FONT = "Times New Roman"
BODY_FONT = "宋体"
HEADING_FONT = "黑体"
HEADING_LATIN_FONT = "Arial"
BODY_SIZE = Pt(10.5)
TABLE_SIZE = Pt(9)
PAGE_WIDTH, PAGE_HEIGHT = Cm(21.0), Cm(29.7)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Cm(2.5), Cm(2.3), Cm(2.5), Cm(2.5)
TEXT_WIDTH_CM = round((PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / Cm(1), 2)
HEADER_FILL = "D9D9D9"  # table header rows
LABEL_FILL = "F2F2F2"  # label cells of the key/value table
MARK_COLOR = RGBColor(0xC0, 0x00, 0x00)  # control mark, the red of a document-control stamp
RULE_COLOR = "404040"

# Elements that must come after w:pBdr inside w:pPr (schema order).
_PBDR_SUCCESSORS = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)
# Elements that must come after w:shd inside w:tcPr (schema order).
_SHD_SUCCESSORS = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")

STYLE_TITLE = "OF Title"
STYLE_SUBTITLE = "OF Subtitle"
STYLE_BODY = "OF Body"
STYLE_CELL = "OF Table Text"
STYLE_CELL_HEAD = "OF Table Head"
STYLE_HEADER = "OF Header"
STYLE_FOOTER = "OF Footer"


class Column(NamedTuple):
    """One column of a loop table: header label, item key, width in cm (None = share the rest)."""

    label: str
    field: str
    width_cm: float | None = None
    center: bool = False


# Key/value rows of 一、基本信息: one pair spans the full row, two pairs share it.
BASIC_INFO_ROWS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("流程名称", "name"),),
    (("流程编号", "doc_id"), ("版本号", "version")),
    (("流程类别", "category"), ("主责部门", "department")),
    (("适用部门", "departments"),),
    (("适用角色", "roles"),),
    (("流程负责人", "owner"), ("终审人", "approver")),
    (("生效日期", "effective_date"), ("状态", "status")),
    (("下次复审日期", "next_review_date"), ("文件类型", "kind_label")),
)

SOP_STEP_COLUMNS = (
    Column("步骤编号", "number", 1.6, center=True),
    Column("操作内容", "content"),
    Column("责任角色", "role", 1.8, center=True),
    Column("输入", "inputs", 2.1),
    Column("输出", "outputs", 2.1),
    Column("耗时", "duration", 1.7, center=True),
    Column("关键控制点", "control_point", 3.3),
)
RELATED_COLUMNS = (
    Column("序号", "#", 1.4, center=True),
    Column("文件名称", "name"),
    Column("文件编号", "code", 4.6, center=True),
)
REVISION_COLUMNS = (
    Column("版本号", "version", 1.5, center=True),
    Column("修订日期", "date", 2.3, center=True),
    Column("修订内容", "content"),
    Column("修订原因", "reason", 3.6),
    Column("修订人", "author", 1.9, center=True),
    Column("审核人", "reviewer", 1.9, center=True),
)
REVIEW_COLUMNS = (
    Column("审核级别", "level", 1.8, center=True),
    Column("审核人", "reviewer", 2.2, center=True),
    Column("审核日期", "date", 2.3, center=True),
    Column("审核结论", "conclusion", 1.9, center=True),
    Column("审核意见", "opinion"),
)


# --- low-level helpers -------------------------------------------------------------------------


def _set_fonts(rpr, latin: str, east_asia: str) -> None:
    """Set explicit Latin and East Asian fonts on an rPr, dropping theme fonts that would win."""
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    # Word substitutes its own font for CJK punctuation in Latin runs unless the hint says so.
    fonts.set(qn("w:hint"), "eastAsia")


def _paragraph_style(
    doc: DocumentObject, name: str, *, size: Pt, bold: bool = False,
    east_asia: str = BODY_FONT, latin: str = LATIN_FONT,
    align: WD_ALIGN_PARAGRAPH | None = None, before: float = 0, after: float = 0,
    line_spacing: float = 1.0,
):
    """Add a paragraph style based on Normal with explicit fonts and spacing."""
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    style.font.size = size
    style.font.bold = bold
    _set_fonts(style.element.get_or_add_rPr(), latin, east_asia)
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), line_spacing
    if align is not None:
        fmt.alignment = align
    return style


def _add_bottom_rule(paragraph: Paragraph) -> None:
    """Draw a thin line under a paragraph (the rule under the page header)."""
    border = OxmlElement("w:bottom")
    for attr, value in (("val", "single"), ("sz", "6"), ("space", "4"), ("color", RULE_COLOR)):
        border.set(qn(f"w:{attr}"), value)
    pbdr = OxmlElement("w:pBdr")
    pbdr.append(border)
    paragraph._p.get_or_add_pPr().insert_element_before(pbdr, *_PBDR_SUCCESSORS)


def _add_field(paragraph: Paragraph, instruction: str) -> None:
    """Append a complex Word field (PAGE, NUMPAGES) with a placeholder result."""
    def fld_char(kind: str) -> None:
        char = OxmlElement("w:fldChar")
        char.set(qn("w:fldCharType"), kind)
        paragraph.add_run()._r.append(char)

    fld_char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} \\* MERGEFORMAT "
    paragraph.add_run()._r.append(instr)
    fld_char("separate")
    paragraph.add_run("1")  # shown until the viewer updates the field
    fld_char("end")


def _shade(cell: _Cell, fill: str) -> None:
    """Give a table cell a solid background."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().insert_element_before(shd, *_SHD_SUCCESSORS)


def _row_flag(row, tag: str) -> None:
    """Set an on/off row property such as w:tblHeader or w:cantSplit."""
    row._tr.get_or_add_trPr().append(OxmlElement(tag))


def _write_cell(cell: _Cell, text: str, *, head: bool = False, center: bool = False) -> None:
    """Put text in a cell as ONE run, so docxtpl tags are never split across runs."""
    paragraph = cell.paragraphs[0]
    paragraph.style = STYLE_CELL_HEAD if head else STYLE_CELL
    if center and not head:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if text:
        paragraph.add_run(text)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _new_table(doc: DocumentObject, rows: int, widths_cm: Sequence[float]) -> Table:
    """Add a full-width grid table with fixed column widths (Word reads tcW, LibreOffice gridCol)."""
    table = doc.add_table(rows=rows, cols=len(widths_cm))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    table_width = table._tbl.tblPr.find(qn("w:tblW"))
    table_width.set(qn("w:type"), "dxa")
    table_width.set(qn("w:w"), str(sum(Cm(w).twips for w in widths_cm)))
    for index, width in enumerate(widths_cm):
        table.columns[index].width = Cm(width)
        for cell in table.columns[index].cells:
            cell.width = Cm(width)
    return table


def _var(expr: str) -> str:
    """A Jinja print tag for expr, spaced the way docxtpl's own examples are."""
    return "{{ " + expr + " }}"


def _column_widths(columns: Sequence[Column]) -> list[float]:
    """Resolve None widths by sharing what is left of the text width."""
    fixed = sum(c.width_cm for c in columns if c.width_cm is not None)
    free = [c for c in columns if c.width_cm is None]
    rest = (TEXT_WIDTH_CM - fixed) / len(free) if free else 0.0
    return [c.width_cm if c.width_cm is not None else round(rest, 2) for c in columns]


def _merge_row(table: Table, row_index: int) -> _Cell:
    """Merge a whole row into its first cell and return it."""
    cells = table.rows[row_index].cells
    return cells[0].merge(cells[-1])


# --- house style building blocks (reused by every kind) ---------------------------------------


def new_document() -> DocumentObject:
    """Create an empty A4 document with the house fonts, styles and margins."""
    doc = Document()
    styles_root = doc.styles.element
    rpr = styles_root.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, LATIN_FONT, BODY_FONT)
    # python-docx ships eastAsia="en-US"; LibreOffice then picks Japanese glyph forms.
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr_default = styles_root.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr_default.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    for tag in ("w:sz", "w:szCs"):
        rpr.find(qn(tag)).set(qn("w:val"), str(int(BODY_SIZE.pt * 2)))
    # Narrower cell padding than Word's 0.19 cm: seven columns must fit a portrait A4 page.
    grid = doc.styles["Table Grid"].element
    for side in ("w:left", "w:right"):
        grid.find(qn("w:tblPr")).find(qn("w:tblCellMar")).find(qn(side)).set(qn("w:w"), "85")

    normal = doc.styles["Normal"]
    normal.font.size = BODY_SIZE
    _set_fonts(normal.element.get_or_add_rPr(), LATIN_FONT, BODY_FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0

    heading = doc.styles["Heading 1"]
    heading.font.size = Pt(14)
    heading.font.bold = True
    heading.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(heading.element.get_or_add_rPr(), HEADING_LATIN_FONT, HEADING_FONT)
    heading.paragraph_format.space_before = Pt(14)
    heading.paragraph_format.space_after = Pt(6)

    _paragraph_style(doc, STYLE_TITLE, size=Pt(22), bold=True, east_asia=HEADING_FONT,
                     latin=HEADING_LATIN_FONT, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=6)
    _paragraph_style(doc, STYLE_SUBTITLE, size=Pt(14), align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    body = _paragraph_style(doc, STYLE_BODY, size=BODY_SIZE, after=4, line_spacing=1.5)
    body.paragraph_format.first_line_indent = Pt(21)  # two characters, the Chinese paragraph indent
    _paragraph_style(doc, STYLE_CELL, size=TABLE_SIZE, before=2, after=2)
    _paragraph_style(doc, STYLE_CELL_HEAD, size=TABLE_SIZE, bold=True, east_asia=HEADING_FONT,
                     align=WD_ALIGN_PARAGRAPH.CENTER, before=2, after=2)
    _paragraph_style(doc, STYLE_HEADER, size=TABLE_SIZE)
    _paragraph_style(doc, STYLE_FOOTER, size=TABLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)

    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance, section.footer_distance = Cm(1.3), Cm(1.2)
    _clear_metadata(doc)
    return doc


def _clear_metadata(doc: DocumentObject) -> None:
    """Leave core properties blank and timeless; the renderer fills title and subject."""
    props = doc.core_properties
    props.title = props.subject = props.keywords = props.comments = props.category = ""
    props.author = "officeflow"
    props.last_modified_by = ""
    props.revision = 1
    element = props._element
    for tag in ("dcterms:created", "dcterms:modified"):
        for child in element.findall(qn(tag)):
            element.remove(child)
    # The stock thumbnail shows an unrelated page in file browsers.
    package_rels = doc.part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del package_rels[rel_id]


def add_header(doc: DocumentObject) -> None:
    """Page header: document identity on the left, the control mark right-aligned in red."""
    header = doc.sections[0].header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.style = STYLE_HEADER
    paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    paragraph.add_run(
        "流程编号 {{ doc_id }}　·　版本号 {{ version }}　·　生效日期 {{ effective_date }}"
    )
    paragraph.add_run("\t")
    mark = paragraph.add_run("{{ control_mark }}")
    _set_fonts(mark._r.get_or_add_rPr(), HEADING_LATIN_FONT, HEADING_FONT)
    mark.bold = True
    mark.font.size = Pt(10.5)
    mark.font.color.rgb = MARK_COLOR
    # A thin red box around the mark, like the stamp on a paper controlled copy.
    box = OxmlElement("w:bdr")
    for attr, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", str(MARK_COLOR))):
        box.set(qn(f"w:{attr}"), value)
    mark._r.get_or_add_rPr().append(box)  # last child: every element that sorts after it is absent
    _add_bottom_rule(paragraph)


def add_footer(doc: DocumentObject) -> None:
    """Page footer: 第 X 页 共 Y 页 with live PAGE / NUMPAGES fields, centred."""
    footer = doc.sections[0].footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.style = STYLE_FOOTER
    paragraph.add_run("第 ")
    _add_field(paragraph, "PAGE")
    paragraph.add_run(" 页　共 ")
    _add_field(paragraph, "NUMPAGES")
    paragraph.add_run(" 页")


def add_title(doc: DocumentObject) -> None:
    """Document title (流程名称) and the kind as subtitle."""
    doc.add_paragraph("{{ name }}", style=STYLE_TITLE)
    doc.add_paragraph("{{ kind_label }}", style=STYLE_SUBTITLE)


def add_heading(doc: DocumentObject, text: str) -> Paragraph:
    """Numbered section heading such as 一、基本信息."""
    return doc.add_paragraph(text, style="Heading 1")


def add_info_table(
    doc: DocumentObject, rows: Sequence[Sequence[tuple[str, str]]] = BASIC_INFO_ROWS,
    title: str = "一、基本信息",
) -> Table:
    """Key/value table, four columns; a row with one pair spans the value across the row."""
    add_heading(doc, title)
    table = _new_table(doc, len(rows), [2.6, 5.4, 2.6, 5.4])
    for row_index, pairs in enumerate(rows):
        cells = table.rows[row_index].cells
        if len(pairs) == 1:
            cells = [cells[0], cells[1].merge(cells[3])]
        for offset, (label, var) in enumerate(pairs):
            label_cell, value_cell = cells[2 * offset], cells[2 * offset + 1]
            _write_cell(label_cell, label, head=True)
            _shade(label_cell, LABEL_FILL)
            _write_cell(value_cell, _var(var))
        _row_flag(table.rows[row_index], "w:cantSplit")
    return table


def add_text_section(doc: DocumentObject, title: str, var: str) -> None:
    """A heading followed by one body paragraph holding a variable."""
    add_heading(doc, title)
    doc.add_paragraph(_var(var), style=STYLE_BODY)


def add_loop_table(
    doc: DocumentObject, title: str, columns: Sequence[Column | tuple], loop_var: str,
    item: str = "row", empty_text: str | None = "无",
) -> Table:
    """Heading + table with one docxtpl row loop over `loop_var`; a "无" row when the list is empty."""
    columns = [Column(*c) for c in columns]
    for column in columns:
        # Jinja resolves row.items to dict.items before the key, so such keys would print a method.
        if hasattr(dict, column.field):
            raise ValueError(f"column key {column.field!r} collides with a dict attribute")
    add_heading(doc, title)
    tag_rows = [f"{{%tr for {item} in {loop_var} %}}", None, "{%tr endfor %}"]
    if empty_text is not None:
        tag_rows += [f"{{%tr if not {loop_var} %}}", empty_text, "{%tr endif %}"]
    table = _new_table(doc, 1 + len(tag_rows), _column_widths(columns))

    header = table.rows[0]
    for cell, column in zip(header.cells, columns, strict=True):
        _write_cell(cell, column.label, head=True)
        _shade(cell, HEADER_FILL)
    _row_flag(header, "w:tblHeader")  # repeat the header row on every page
    _row_flag(header, "w:cantSplit")

    for offset, text in enumerate(tag_rows, start=1):
        row = table.rows[offset]
        if text is None:  # the data row
            for cell, column in zip(row.cells, columns, strict=True):
                expr = "loop.index" if column.field == "#" else f"{item}.{column.field}"
                _write_cell(cell, _var(expr), center=column.center)
            _row_flag(row, "w:cantSplit")
        else:  # a control row; docxtpl drops the whole row, so merge it for a tidy template
            _write_cell(_merge_row(table, offset), text, center=not text.startswith("{%"))
    return table


def add_revision_history(doc: DocumentObject, title: str = "六、修订记录") -> Table:
    """Revision history table over revision_history."""
    return add_loop_table(doc, title, REVISION_COLUMNS, "revision_history", item="rev")


def add_reviews(doc: DocumentObject, title: str = "七、审核与批准") -> Table:
    """Three-level review table over reviews, then the approval line."""
    table = add_loop_table(doc, title, REVIEW_COLUMNS, "reviews", item="rv")
    sign_off = doc.add_paragraph(style=STYLE_BODY)
    sign_off.paragraph_format.first_line_indent = Pt(0)
    sign_off.paragraph_format.space_before = Pt(10)
    sign_off.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    sign_off.add_run("批准人：{{ approver }}　　　生效日期：{{ effective_date }}")
    return table


def save_template(doc: DocumentObject, path: Path) -> None:
    """Save with fixed zip timestamps so an unchanged template rebuilds byte for byte."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                         src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(out.getvalue())
    os.replace(tmp, path)


# --- kinds -------------------------------------------------------------------------------------


def build_sop(path: Path) -> Path:
    """Build templates/sop.docx — 标准化服务流程."""
    doc = new_document()
    add_header(doc)
    add_footer(doc)
    add_title(doc)
    add_info_table(doc)
    add_text_section(doc, "二、流程目标", "objective")
    add_text_section(doc, "三、适用范围", "scope")
    add_loop_table(doc, "四、流程步骤", SOP_STEP_COLUMNS, "steps", item="s")
    add_loop_table(doc, "五、相关文件", RELATED_COLUMNS, "related_documents", item="d")
    add_revision_history(doc)
    add_reviews(doc)
    save_template(doc, path)
    return path


SCENARIO_STEP_COLUMNS = (
    Column("步骤编号", "number", 1.3, center=True),
    Column("步骤名称", "name", 2.2),
    Column("责任部门", "department", 1.8, center=True),
    Column("配合部门", "supporting", 2.1),
    Column("操作内容", "content"),
    Column("输出", "outputs", 2.6),
    Column("时限", "duration", 2.2),
)
KEY_POINT_COLUMNS = (
    Column("序号", "number", 1.4, center=True),
    Column("要点", "text"),
)
STANDARD_COLUMNS = (
    Column("标准编号", "code", 1.6, center=True),
    Column("服务项目", "item", 2.1),
    Column("标准类别", "category", 1.6, center=True),
    Column("具体要求", "requirement"),
    Column("责任部门", "department", 1.6, center=True),
    Column("达标指标", "target", 2.2),
    Column("备注", "note", 1.8),
)
PROCEDURE_COLUMNS = (
    Column("步骤编号", "number", 1.2, center=True),
    Column("流程阶段", "stage", 1.7, center=True),
    Column("操作步骤", "action", 2.0),
    Column("操作要点", "key_points"),
    Column("责任岗位", "role", 1.6, center=True),
    Column("输出成果", "outputs", 2.1),
    Column("时限要求", "duration", 1.6, center=True),
    Column("关联标准", "standards", 1.6, center=True),
)
INSPECTION_COLUMNS = (
    Column("检查日期", "date", 2.0, center=True),
    Column("检查项目", "item", 1.7),
    Column("检查标准", "criterion", 1.9),
    Column("检查结果", "result", 1.3, center=True),
    Column("问题描述", "problem"),
    Column("责任部门", "department", 1.4, center=True),
    Column("整改措施", "corrective_action", 2.0),
    Column("整改时限", "deadline", 2.0, center=True),
    Column("验证结果", "verification", 1.4, center=True),
)
OPTIMIZATION_STEP_COLUMNS = (
    Column("步骤编号", "number", 1.5, center=True),
    Column("步骤名称", "name", 3.0),
    Column("责任岗位", "role", 2.0, center=True),
    Column("输入", "inputs"),
    Column("输出", "outputs"),
    Column("耗时", "duration", 1.8, center=True),
)
RISK_COLUMNS = (
    Column("序号", "number", 1.4, center=True),
    Column("风险描述", "risk"),
    Column("应对措施", "measure"),
)
PROPOSAL_COLUMNS = (
    Column("序号", "number", 1.4, center=True),
    Column("建议内容", "proposal"),
    Column("预期效果", "effect"),
)
OPTIMIZATION_INFO_ROWS = (
    *BASIC_INFO_ROWS[:4],
    (("协同部门", "collaborating"), ("支持部门", "supporting")),
    *BASIC_INFO_ROWS[4:],
    (("总流程周期", "cycle_time"),),
)
RACI_LEGEND = "R 负责执行　A 批准/最终负责　C 咨询　I 知会"


def add_raci_table(doc: DocumentObject, title: str, loop_var: str = "raci",
                   headers_var: str = "raci_extra_headers", steps_var: str = "steps") -> Table:
    """The RACI matrix as a real table: one row per step, one column per role.

    The role columns are a docxtpl column loop (`{%tc for %}` … `{%tc endfor %}`): the
    three template cells become one cell per role; docxtpl's fix_tables then resizes the
    grid. The step name is looked up in the step table by step number.
    """
    add_heading(doc, title)
    roles_for = f"{{%tc for role in {headers_var} %}}"
    # fix_tables keeps the template's columns in proportion and gives added ones the new
    # average width. With the three loop cells at exactly the template's average (a fifth
    # of the width), every role column comes out equal for any number of roles, and
    # 步骤编号 : 步骤名称 stay 1 : 3.
    fifth = round(TEXT_WIDTH_CM / 5, 2)
    widths = [round(fifth / 2, 2), round(fifth * 1.5, 2), fifth, fifth, fifth]
    tag_rows = [f"{{%tr for r in {loop_var} %}}", None, "{%tr endfor %}",
                f"{{%tr if not {loop_var} %}}", "无", "{%tr endif %}"]
    table = _new_table(doc, 1 + len(tag_rows), widths)
    header = table.rows[0]
    texts = ["步骤编号", "步骤名称", roles_for, _var("role"), "{%tc endfor %}"]
    for cell, text in zip(header.cells, texts, strict=True):
        _write_cell(cell, text, head=True)
        _shade(cell, HEADER_FILL)
    _row_flag(header, "w:tblHeader")
    _row_flag(header, "w:cantSplit")
    name = (f"{{% for s in {steps_var} if s.number == r.number %}}"
            f"{_var('s.name')}{{% endfor %}}")
    data = ["{{ r.number }}", name, roles_for, _var("r.extra.get(role, '')"), "{%tc endfor %}"]
    for offset, text in enumerate(tag_rows, start=1):
        row = table.rows[offset]
        if text is None:
            for index, (cell, value) in enumerate(zip(row.cells, data, strict=True)):
                _write_cell(cell, value, center=index != 1)
            _row_flag(row, "w:cantSplit")
        else:
            _write_cell(_merge_row(table, offset), text, center=not text.startswith("{%"))
    # Cell widths would pin every rendered role cell to the template's width; without them
    # Word and LibreOffice lay the table out on the grid that docxtpl resizes.
    for tc_width in table._tbl.iter(qn("w:tcW")):
        tc_width.getparent().remove(tc_width)
    legend = doc.add_paragraph(RACI_LEGEND, style=STYLE_CELL)
    legend.paragraph_format.space_before = Pt(3)
    return table


def add_labelled_line(doc: DocumentObject, label: str, var: str) -> Paragraph:
    """A body line `label：value` right under a table (e.g. 总流程周期)."""
    paragraph = doc.add_paragraph(style=STYLE_BODY)
    paragraph.paragraph_format.first_line_indent = Pt(0)
    paragraph.paragraph_format.space_before = Pt(4)
    paragraph.add_run(f"{label}：").bold = True
    paragraph.add_run(_var(var))
    return paragraph


def build_scenario(path: Path) -> Path:
    """Build templates/scenario.docx — 业务场景流程."""
    doc = new_document()
    add_header(doc)
    add_footer(doc)
    add_title(doc)
    add_info_table(doc)
    add_text_section(doc, "二、适用场景", "scenario")
    add_text_section(doc, "三、流程目标", "objective")
    add_text_section(doc, "四、适用范围", "scope")
    add_loop_table(doc, "五、流程步骤", SCENARIO_STEP_COLUMNS, "steps", item="s")
    add_loop_table(doc, "六、执行要点", KEY_POINT_COLUMNS, "key_points", item="k")
    add_loop_table(doc, "七、配套表单与相关文件", RELATED_COLUMNS, "related_documents", item="d")
    add_revision_history(doc, "八、修订记录")
    add_reviews(doc, "九、审核与批准")
    save_template(doc, path)
    return path


def build_standard(path: Path) -> Path:
    """Build templates/standard.docx — 产品服务标准."""
    doc = new_document()
    add_header(doc)
    add_footer(doc)
    add_title(doc)
    add_info_table(doc)
    add_text_section(doc, "二、流程目标", "objective")
    add_text_section(doc, "三、适用范围", "scope")
    add_loop_table(doc, "四、服务标准", STANDARD_COLUMNS, "standards", item="st")
    add_loop_table(doc, "五、操作流程", PROCEDURE_COLUMNS, "procedure", item="p")
    add_loop_table(doc, "六、服务质量监督检查记录", INSPECTION_COLUMNS, "inspections", item="c")
    add_loop_table(doc, "七、相关文件", RELATED_COLUMNS, "related_documents", item="d")
    add_revision_history(doc, "八、修订记录")
    add_reviews(doc, "九、审核与批准")
    save_template(doc, path)
    return path


def build_optimization(path: Path) -> Path:
    """Build templates/optimization.docx — 流程梳理优化."""
    doc = new_document()
    add_header(doc)
    add_footer(doc)
    add_title(doc)
    add_info_table(doc, OPTIMIZATION_INFO_ROWS)
    add_text_section(doc, "二、流程目标", "objective")
    add_text_section(doc, "三、适用范围", "scope")
    add_loop_table(doc, "四、关键步骤", OPTIMIZATION_STEP_COLUMNS, "steps", item="s")
    add_labelled_line(doc, "总流程周期", "cycle_time")
    add_raci_table(doc, "五、责任矩阵（RACI）")
    add_loop_table(doc, "六、关键风险点", RISK_COLUMNS, "risks", item="rk")
    add_loop_table(doc, "七、优化建议", PROPOSAL_COLUMNS, "proposals", item="pr")
    add_loop_table(doc, "八、相关文件", RELATED_COLUMNS, "related_documents", item="d")
    add_revision_history(doc, "九、修订记录")
    add_reviews(doc, "十、审核与批准")
    save_template(doc, path)
    return path


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "sop.docx": build_sop,
    "scenario.docx": build_scenario,
    "standard.docx": build_standard,
    "optimization.docx": build_optimization,
}


def build_all(out_dir: Path = TEMPLATES_DIR) -> list[Path]:
    """Rebuild every Word template into out_dir."""
    return [build(out_dir / name) for name, build in BUILDERS.items()]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build_word_templates.py [OUT_DIR]."""
    args = list(sys.argv[1:] if argv is None else argv)
    out_dir = Path(args[0]) if args else TEMPLATES_DIR
    for path in build_all(out_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
