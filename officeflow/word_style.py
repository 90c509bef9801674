"""The house style of officeflow's Word templates, as python-docx building blocks.

Chinese documents use 宋体 for body text and 黑体 for headings, Latin text Times New Roman,
sizes from the Chinese 字号 scale, A4 portrait. officeflow.word_templates lays a kind's
catalog out with these blocks; nothing here knows a kind.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

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

from officeflow.fsutil import atomic_write_with

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



# --- low-level helpers -------------------------------------------------------------------------


def set_fonts(rpr, latin: str, east_asia: str) -> None:
    """Set explicit Latin and East Asian fonts on an rPr, dropping theme fonts that would win."""
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    # Word substitutes its own font for CJK punctuation in Latin runs unless the hint says so.
    fonts.set(qn("w:hint"), "eastAsia")


def paragraph_style(
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
    set_fonts(style.element.get_or_add_rPr(), latin, east_asia)
    fmt = style.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(before), Pt(after), line_spacing
    if align is not None:
        fmt.alignment = align
    return style


def add_bottom_rule(paragraph: Paragraph) -> None:
    """Draw a thin line under a paragraph (the rule under the page header)."""
    border = OxmlElement("w:bottom")
    for attr, value in (("val", "single"), ("sz", "6"), ("space", "4"), ("color", RULE_COLOR)):
        border.set(qn(f"w:{attr}"), value)
    pbdr = OxmlElement("w:pBdr")
    pbdr.append(border)
    paragraph._p.get_or_add_pPr().insert_element_before(pbdr, *_PBDR_SUCCESSORS)


def add_field(paragraph: Paragraph, instruction: str) -> None:
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


def shade(cell: _Cell, fill: str) -> None:
    """Give a table cell a solid background."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().insert_element_before(shd, *_SHD_SUCCESSORS)


def row_flag(row, tag: str) -> None:
    """Set an on/off row property such as w:tblHeader or w:cantSplit."""
    row._tr.get_or_add_trPr().append(OxmlElement(tag))


def write_cell(cell: _Cell, text: str, *, head: bool = False, center: bool = False) -> None:
    """Put text in a cell as ONE run, so docxtpl tags are never split across runs."""
    paragraph = cell.paragraphs[0]
    paragraph.style = STYLE_CELL_HEAD if head else STYLE_CELL
    if center and not head:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if text:
        paragraph.add_run(text)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def new_table(doc: DocumentObject, rows: int, widths_cm: Sequence[float]) -> Table:
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


def var(expr: str) -> str:
    """A Jinja print tag for expr, spaced the way docxtpl's own examples are."""
    return "{{ " + expr + " }}"


def merge_row(table: Table, row_index: int) -> _Cell:
    """Merge a whole row into its first cell and return it."""
    cells = table.rows[row_index].cells
    return cells[0].merge(cells[-1])


# --- the page ----------------------------------------------------------------------------------


def new_document() -> DocumentObject:
    """Create an empty A4 document with the house fonts, styles and margins."""
    doc = Document()
    styles_root = doc.styles.element
    rpr = styles_root.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, LATIN_FONT, BODY_FONT)
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
    set_fonts(normal.element.get_or_add_rPr(), LATIN_FONT, BODY_FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0

    heading = doc.styles["Heading 1"]
    heading.font.size = Pt(14)
    heading.font.bold = True
    heading.font.color.rgb = RGBColor(0, 0, 0)
    set_fonts(heading.element.get_or_add_rPr(), HEADING_LATIN_FONT, HEADING_FONT)
    heading.paragraph_format.space_before = Pt(14)
    heading.paragraph_format.space_after = Pt(6)

    paragraph_style(doc, STYLE_TITLE, size=Pt(22), bold=True, east_asia=HEADING_FONT,
                     latin=HEADING_LATIN_FONT, align=WD_ALIGN_PARAGRAPH.CENTER, before=6, after=6)
    paragraph_style(doc, STYLE_SUBTITLE, size=Pt(14), align=WD_ALIGN_PARAGRAPH.CENTER, after=12)
    body = paragraph_style(doc, STYLE_BODY, size=BODY_SIZE, after=4, line_spacing=1.5)
    body.paragraph_format.first_line_indent = Pt(21)  # two characters, the Chinese paragraph indent
    paragraph_style(doc, STYLE_CELL, size=TABLE_SIZE, before=2, after=2)
    paragraph_style(doc, STYLE_CELL_HEAD, size=TABLE_SIZE, bold=True, east_asia=HEADING_FONT,
                     align=WD_ALIGN_PARAGRAPH.CENTER, before=2, after=2)
    paragraph_style(doc, STYLE_HEADER, size=TABLE_SIZE)
    paragraph_style(doc, STYLE_FOOTER, size=TABLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER)

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


def add_header(doc: DocumentObject, identity: str) -> None:
    """Page header: `identity` (流程编号 · 版本号 · 生效日期) on the left, the control mark
    right-aligned in red."""
    header = doc.sections[0].header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.style = STYLE_HEADER
    add_company_line(paragraph)
    paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    paragraph.add_run(identity)
    paragraph.add_run("\t")
    mark = paragraph.add_run("{{ control_mark }}")
    set_fonts(mark._r.get_or_add_rPr(), HEADING_LATIN_FONT, HEADING_FONT)
    mark.bold = True
    mark.font.size = Pt(10.5)
    mark.font.color.rgb = MARK_COLOR
    # A thin red box around the mark, like the stamp on a paper controlled copy.
    box = OxmlElement("w:bdr")
    for attr, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", str(MARK_COLOR))):
        box.set(qn(f"w:{attr}"), value)
    mark._r.get_or_add_rPr().append(box)  # last child: every element that sorts after it is absent
    add_bottom_rule(paragraph)


def add_company_line(identity: Paragraph) -> None:
    """The company's logo and name (officeflow.toml) on a header line of their own above
    `identity`, so the identity and the control mark keep their one line; none when unset."""
    identity.insert_paragraph_before("{%p if company_name or company_logo %}", style=STYLE_HEADER)
    line = identity.insert_paragraph_before(style=STYLE_HEADER)
    line.paragraph_format.space_after = Pt(2)
    # An ideographic space between logo and name: XML would drop a plain one, and none without a logo.
    line.add_run("{{ company_logo }}{% if company_logo and company_name %}\u3000{% endif %}")
    name = line.add_run("{{ company_name }}")
    set_fonts(name._r.get_or_add_rPr(), HEADING_LATIN_FONT, HEADING_FONT)
    name.bold = True
    identity.insert_paragraph_before("{%p endif %}", style=STYLE_HEADER)


def add_footer(doc: DocumentObject) -> None:
    """Page footer: 第 X 页 共 Y 页 with live PAGE / NUMPAGES fields, centred."""
    footer = doc.sections[0].footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.style = STYLE_FOOTER
    paragraph.add_run("第 ")
    add_field(paragraph, "PAGE")
    paragraph.add_run(" 页　共 ")
    add_field(paragraph, "NUMPAGES")
    paragraph.add_run(" 页")


def document_bytes(doc: DocumentObject) -> bytes:
    """The .docx with fixed zip timestamps, so an unchanged template rebuilds byte for byte."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)),
                         src.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def save_template(doc: DocumentObject, path: Path) -> None:
    """Write the template to `path` atomically (a reader never sees half a file)."""
    data = document_bytes(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_with(path, lambda temp: temp.write_bytes(data))


