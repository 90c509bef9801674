"""officeflow.table_widths: a column is as wide as its longest word, the table as wide as before."""

from __future__ import annotations

from lxml import etree

from officeflow.table_widths import (
    Measure,
    W,
    cell_paragraphs,
    fit_table,
    fitted_widths,
    text_styles,
)

NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
STYLES = f"""<w:styles {NS}>
  <w:docDefaults><w:rPrDefault><w:rPr><w:sz w:val="21"/></w:rPr></w:rPrDefault></w:docDefaults>
  <w:style w:type="paragraph" w:default="1" w:styleId="Normal"/>
  <w:style w:type="paragraph" w:styleId="Cell"><w:basedOn w:val="Normal"/><w:rPr><w:sz w:val="18"/></w:rPr></w:style>
  <w:style w:type="paragraph" w:styleId="Head"><w:basedOn w:val="Cell"/><w:rPr><w:b/></w:rPr></w:style>
  <w:style w:type="table" w:styleId="Grid"><w:tblPr><w:tblCellMar><w:left w:w="85"/><w:right w:w="85"/></w:tblCellMar></w:tblPr></w:style>
</w:styles>""".encode()


def paragraph(text: str, style: str = "Cell") -> etree._Element:
    return etree.fromstring(f'<w:p {NS}><w:pPr><w:pStyle w:val="{style}"/></w:pPr><w:r><w:t xml:space="preserve">'
                            f"{text}</w:t></w:r></w:p>")


def measured(*texts: str, style: str = "Cell") -> tuple[float, float]:
    cell = etree.fromstring(f"<w:tc {NS}/>")
    cell.extend(paragraph(text, style) for text in texts)
    measure = Measure()
    for runs in cell_paragraphs(cell, text_styles(STYLES)):
        measure.add(runs)
    return round(measure.word), round(measure.line)


def test_styles_are_read_through_their_based_on_chain() -> None:
    styles = text_styles(STYLES)
    assert (styles.default, styles.paragraphs["Cell"], styles.paragraphs["Head"]) == ((21, False), (18, False), (18, True))
    assert styles.margins["Grid"] == (85, 85)
    assert text_styles(b"<broken").default == (20, False)  # Word's own defaults, not a failure


def test_a_word_is_measured_in_times_new_roman_and_chinese_one_character_at_a_time() -> None:
    # Representative at 9 pt: 5943/1000 em × 180 twips; the line adds "Customer Service ".
    assert measured("Customer Service Representative") == (1070, 2400)
    assert measured("Representative", style="Head") == (1150, 1150)  # bold is wider
    assert measured("客户投诉登记表") == (180, 1260)  # a line may break after any character
    # A mark that may not start a line stays with what precedes it, an opening bracket with what follows.
    assert measured("登记表、记录") == (360, 1080)
    assert measured("（Jira）、") == (800, 800)
    assert measured("IT\u00a0QA") == (475, 475)  # a no-break space joins two words


def test_the_room_comes_from_columns_that_need_it_least() -> None:
    # Needs 500/1400/300, the longest lines 600/4000/2500: column 1 wants 400 more.
    widths, needs, ideals = [1000, 1000, 1000], [500, 1400, 300], [600, 4000, 2500]
    # First 400 of column 0's unused room (1000 − 600), nothing else wraps because of it.
    assert fitted_widths(widths, needs, ideals) == [600, 1400, 1000]
    # Only 100 unused: the other 300 from column 2, which wraps already.
    assert fitted_widths(widths, needs, [900, 4000, 2500]) == [900, 1400, 700]
    assert fitted_widths(widths, [500, 900, 300], ideals) is None  # every word fits: untouched
    # A word too wide for the table to give room breaks as before; the others still get theirs.
    assert fitted_widths(widths, [300, 2900, 1200], [300, 4000, 2500]) == [800, 1000, 1200]


def table(*cells: str) -> etree._Element:
    tcs = "".join(f'<w:tc><w:tcPr><w:tcW w:w="1000" w:type="dxa"/></w:tcPr><w:p><w:pPr><w:pStyle w:val="Cell"/>'
                  f"</w:pPr><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>" for text in cells)
    merged = ('<w:tc><w:tcPr><w:tcW w:w="3000" w:type="dxa"/><w:gridSpan w:val="3"/></w:tcPr>'
              "<w:p><w:r><w:t>Supercalifragilisticexpialidocious</w:t></w:r></w:p></w:tc>")
    return etree.fromstring(f'<w:tbl {NS}><w:tblPr><w:tblStyle w:val="Grid"/></w:tblPr><w:tblGrid>'
                            + '<w:gridCol w:w="1000"/>' * 3 + f"</w:tblGrid><w:tr>{tcs}</w:tr><w:tr>{merged}</w:tr></w:tbl>")


def test_a_table_gets_new_grid_and_cell_widths_with_its_total_kept() -> None:
    fitted = table("客户投诉", "Representative", "表单")
    assert fit_table(fitted, text_styles(STYLES))
    grid = [int(c.get(f"{W}w")) for c in fitted.iter(f"{W}gridCol")]
    cells = [int(c.get(f"{W}w")) for c in fitted.iter(f"{W}tcW")]
    # Representative: 1070 twips, 3 % of safety, 170 of cell margins and 10 of grid lines; taken
    # from the room the Chinese lines leave (900 and 540 of 1000), in proportion.
    assert grid == [949, 1282, 769]
    assert cells == [*grid, 3000]  # a cell across the whole row keeps the whole width
    untouched = table("客户投诉", "Service", "表单")
    before = etree.tostring(untouched)
    assert not fit_table(untouched, text_styles(STYLES))
    assert etree.tostring(untouched) == before
