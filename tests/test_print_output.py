"""Issue 11 items 14 and 15: the Word document a quality office prints.

Workbooks are filled the way a person fills the template (tests/factory.py) and run through
the real pipeline; the produced .docx is opened and read paragraph by paragraph.
"""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from conftest import TODAY
from docx import Document
from docx.oxml.ns import qn
from docxparts import tiny_png
from factory import STEPS, make_workbook, sop_sheets, write_book
from test_regenerate import DOC
from test_regenerate import issue as issue_versions
from test_training import require_soffice

from officeflow.ledger import SqliteLedger
from officeflow.pdf import convert_to_pdf
from officeflow.pipeline import Result, process_bytes
from officeflow.settings import Workspace
from officeflow.training import make_training_copies

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
OBJECTIVE = "客户投诉24小时内响应；\n7个工作日内解决；\n客户满意度≥90%。"


def issue(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger, fields: dict | None = None,
          steps: list | None = None):
    sheets = sop_sheets(fields, steps=steps) if fields or steps else None
    path = write_book(tmp_path / "book.xlsx", sheets) if sheets else make_workbook(tmp_path)
    outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger, TODAY)
    assert outcome.result is Result.ISSUED, outcome.findings
    assert outcome.document is not None
    return outcome


def section_paragraphs(document, heading_suffix: str) -> list:
    """The body paragraphs between the heading ending in `heading_suffix` and the next heading."""
    body = document.element.body
    out: list = []
    inside = False
    for element in body.iterchildren():
        if element.tag != qn("w:p"):
            if inside:
                break
            continue
        paragraph = next(p for p in document.paragraphs if p._p is element)
        if paragraph.style.name == "Heading 1":
            if inside:
                break
            inside = paragraph.text.endswith(heading_suffix)
            continue
        if inside:
            out.append(paragraph)
    return out


def test_every_line_of_a_multi_line_objective_has_the_same_indent(tmp_path: Path, workspace: Workspace,
                                                                 ledger: SqliteLedger) -> None:
    outcome = issue(tmp_path, workspace, ledger, {"流程目标": OBJECTIVE})
    document = Document(str(outcome.document))
    paragraphs = section_paragraphs(document, "、流程目标")
    assert [p.text for p in paragraphs] == ["客户投诉24小时内响应；", "7个工作日内解决；", "客户满意度≥90%。"]
    assert {p.style.name for p in paragraphs} == {"OF Body"}
    assert [p._p.findall(f".//{qn('w:br')}") for p in paragraphs] == [[], [], []]


def test_the_sign_off_block_is_kept_with_its_heading(tmp_path: Path, workspace: Workspace,
                                                    ledger: SqliteLedger) -> None:
    outcome = issue(tmp_path, workspace, ledger)
    document = Document(str(outcome.document))
    body = list(document.element.body.iterchildren())
    heading = next(e for e in body if e.tag == qn("w:p") and "".join(e.itertext()).endswith("、审核与批准"))
    block = body[body.index(heading):]
    sign_off = next(e for e in block if "".join(e.itertext()).startswith("批准人："))
    chain = block[:block.index(sign_off)]
    paragraphs = [p for e in chain for p in ([e] if e.tag == qn("w:p") else e.iter(qn("w:p")))]
    # Every paragraph before the 批准人 line (heading, each cell of the table) keeps with the next
    # one, and no paragraph of the block splits: the block moves to the next page whole.
    unkept = ["".join(p.itertext()) for p in paragraphs if not _keeps_next(document, p)]
    assert unkept == []
    assert _style_or_own(document, sign_off, "w:keepLines")


def _keeps_next(document, p) -> bool:
    return _style_or_own(document, p, "w:keepNext")


def _style_or_own(document, p, tag: str) -> bool:
    ppr = p.find(qn("w:pPr"))
    if ppr is not None and ppr.find(qn(tag)) is not None:
        return ppr.find(qn(tag)).get(qn("w:val"), "true") not in ("0", "false")
    style_id = ppr.find(qn("w:pStyle")).get(qn("w:val")) if ppr is not None and ppr.find(qn("w:pStyle")) is not None else None
    styles = document.styles.element
    while style_id:
        style = next(s for s in styles.iterchildren(qn("w:style")) if s.get(qn("w:styleId")) == style_id)
        sppr = style.find(qn("w:pPr"))
        if sppr is not None and sppr.find(qn(tag)) is not None:
            return sppr.find(qn(tag)).get(qn("w:val"), "true") not in ("0", "false")
        based = style.find(qn("w:basedOn"))
        style_id = based.get(qn("w:val")) if based is not None else None
    return False


def test_characters_the_fonts_lack_are_warned_on_their_cell(tmp_path: Path, workspace: Workspace,
                                                           ledger: SqliteLedger) -> None:
    steps = [list(row) for row in STEPS]
    steps[0][1] = f"{steps[0][1]}✅"
    sheets = sop_sheets({"流程目标": "客户投诉24小时内响应🚀，满意度≥90%★🚀"}, steps=steps)
    path = write_book(tmp_path / "book.xlsx", sheets)
    outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger, TODAY)
    lines = [f.located() for f in outcome.findings if f.code == "text.unsupported-char"]
    assert lines == [
        "基本信息!B13: “流程目标”含文档字体没有的字符“🚀”（U+1F680）：打印时可能显示为方框，请删去或改用文字。",
        "流程步骤!B2: “操作内容”含文档字体没有的字符“✅”（U+2705）：打印时可能显示为方框，请删去或改用文字。",
    ]
    assert outcome.result is Result.ISSUED  # a warning: the document is still issued


COMPANY = "华东示例科技股份有限公司"


@pytest.mark.slow
def test_the_company_line_heads_every_page_of_a_training_copy(tmp_path: Path, workspace: Workspace,
                                                             ledger: SqliteLedger) -> None:
    require_soffice()
    issue_versions(tmp_path, workspace, ledger)
    (workspace.root / "logo.png").write_bytes(tiny_png(120, 40, (0x1F, 0x4E, 0x79)))
    settings = workspace.settings.model_copy(update={"company_name": COMPANY, "company_logo": "logo.png"})
    company = Workspace(workspace.root, settings)
    result = make_training_copies(company, ledger, DOC, copies=1, recipient="张三/客服部", today=TODAY)
    reader = pypdf.PdfReader(result.pdfs[0])
    lines = [page.extract_text().splitlines() for page in reader.pages]
    # The logo, an ideographic space and the name; then the identity line with its mark, still one line.
    assert {tuple(page[:2]) for page in lines[:-1]} == {
        ("\u3000" + COMPANY, "流程编号 CRM-CS-2024-005　·　版本号 V1.1　·　生效日期 2024-09-01 培训专用 · 非受控文件")}
    assert all(page.images for page in reader.pages[:-1])  # the logo beside the name


@pytest.mark.slow
def test_an_emoji_prints_in_a_fallback_font_not_as_a_box(tmp_path: Path, workspace: Workspace,
                                                        ledger: SqliteLedger) -> None:
    require_soffice()
    outcome = issue(tmp_path, workspace, ledger, {"流程目标": "客户投诉24小时内响应✅，满意度≥90%"})
    [pdf] = convert_to_pdf([outcome.document], tmp_path / "pdf")
    page = pypdf.PdfReader(pdf).pages[0]
    fonts = {str(font["/BaseFont"]).split("+")[-1] for font in page["/Resources"]["/Font"].values()}
    # 宋体 and Times New Roman have no ✅: LibreOffice draws it with the symbol font the
    # machine has (apt-get install fonts-symbola), not as an empty box.
    assert "Symbola" in fonts, (fonts, "apt-get install fonts-symbola")
    assert "✅" in page.extract_text()  # a glyph of its own (pypdf orders the mixed-font line loosely)


def test_a_list_of_english_words_keeps_its_commas(tmp_path: Path, workspace: Workspace,
                                                  ledger: SqliteLedger) -> None:
    outcome = issue(tmp_path, workspace, ledger, {"适用部门": "IT, QA, Customer Service、客服部"})
    document = Document(str(outcome.document))
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert ["适用部门", "IT, QA, Customer Service、客服部", "IT, QA, Customer Service、客服部",
            "IT, QA, Customer Service、客服部"] in rows


def test_a_list_prints_with_the_separators_the_author_typed(tmp_path: Path, workspace: Workspace,
                                                             ledger: SqliteLedger) -> None:
    fields = {"适用部门": "IT/QA;   Customer Service ", "适用角色": " 客服专员；客服主管，\n技术支持工程师\n"}
    outcome = issue(tmp_path, workspace, ledger, fields)
    document = Document(str(outcome.document))
    rows = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    # As typed, runs of spaces tidied: not rejoined with the separator an English list is written with.
    assert ["适用部门", "IT/QA; Customer Service", "IT/QA; Customer Service", "IT/QA; Customer Service"] in rows
    roles = "客服专员；客服主管，\n技术支持工程师"  # the line break the author typed (Alt+Enter) too
    assert ["适用角色", roles, roles, roles] in rows


ROLE = "Customer Service Representative"
ENGLISH_STEPS = [
    ["1.1", "接收客户投诉信息（电话、邮件、在线表单）", ROLE, "Complaint registration form",
     "Acknowledgement notification", "≤30分钟", "Classification accuracy≥95%"],
    ["1.2", "排查故障并记录处理过程", "Troubleshooting Engineer", "Troubleshooting checklist",
     "Escalation ticket (Jira)", "≤2小时", "错派率≤2%"],
]
ENGLISH_ROLES = {"适用角色": f"{ROLE}、Troubleshooting Engineer"}


def step_table(document):
    """The 流程步骤 table: the one whose header row starts with 步骤编号."""
    return next(t for t in document.tables if t.rows[0].cells[0].text == "步骤编号")


def grid(table) -> list[int]:
    return [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.iterchildren(qn("w:gridCol"))]


def test_narrow_columns_are_widened_to_their_longest_english_word(tmp_path: Path, workspace: Workspace,
                                                                  ledger: SqliteLedger) -> None:
    template = grid(step_table(Document(str(TEMPLATES / "sop.docx"))))
    plain = step_table(Document(str(issue(tmp_path / "a", workspace, ledger).document)))
    assert grid(plain) == template  # Chinese wraps anywhere: the catalog's widths as they are
    outcome = issue(tmp_path / "b", workspace, ledger, {**ENGLISH_ROLES, "流程编号": "CRM-CS-2024-006"},
                    steps=ENGLISH_STEPS)
    table = step_table(Document(str(outcome.document)))
    # 步骤编号 操作内容 责任角色 输入 输出 耗时 关键控制点, in twips: 责任角色, 输入 and 输出 as wide
    # as Representative, Troubleshooting and Acknowledgement need (9 pt Times New Roman and the
    # cell margins), taken first from room no text uses (步骤编号, 耗时), then from 操作内容 and
    # 关键控制点, which wrap anyway; the total width kept.
    assert template == [907, 1928, 1020, 1191, 1191, 964, 1871]
    assert grid(table) == [900, 1255, 1406, 1406, 1581, 900, 1624]
    assert sum(grid(table)) == sum(template)
    cell_widths = [[int(c._tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for c in row.cells] for row in table.rows[1:]]
    assert cell_widths == [grid(table)] * len(ENGLISH_STEPS)  # Word reads the cells' widths


def pdf_section(pdf: Path, heading: str) -> list[str]:
    """The PDF's text lines from the heading ending in `heading` to the next page break or heading."""
    lines = [line for page in pypdf.PdfReader(pdf).pages for line in page.extract_text().splitlines()]
    start = next(i for i, line in enumerate(lines) if line.endswith(heading))
    end = next(i for i, line in enumerate(lines[start + 1:], start + 1)
               if line.startswith("第 ") or line[:2] in {"五、", "六、"})
    return lines[start:end]


@pytest.mark.slow
def test_no_english_word_breaks_in_a_narrow_column_of_the_pdf(tmp_path: Path, workspace: Workspace,
                                                            ledger: SqliteLedger) -> None:
    require_soffice()
    outcome = issue(tmp_path, workspace, ledger, ENGLISH_ROLES, steps=ENGLISH_STEPS)
    [pdf] = convert_to_pdf([outcome.document], tmp_path / "pdf")
    # One line per line of a cell as LibreOffice lays it out (pypdf joins cells on one baseline);
    # before, 责任角色 printed Representa / tive, 输入 Troubleshooti / ng, 输出 Acknowledge / ment.
    assert pdf_section(pdf, "、流程步骤") == [
        "四、流程步骤",
        "步骤编号 操作内容 责任角色 输入 输出 耗时 关键控制点",
        "1.1", "接收客户投诉", "信息（电话、", "邮件、在线表", "单）",
        "Customer", "Service", "Representative",
        "Complaint ", "registration form",
        "Acknowledgement ", "notification ≤30 分钟 Classification accuracy≥95%",
        "1.2 排查故障并记", "录处理过程",
        "Troubleshooting", "Engineer",
        "Troubleshooting ", "checklist",
        "Escalation ticket ", "(Jira) ≤2 小时 错派率≤2%",
    ]
