"""The Word templates generated from the catalogs (officeflow.word_templates) render the
Word context correctly with the shipped renderer (officeflow.render.render_docx)."""

from __future__ import annotations

import copy
import io
import re
import shutil
import subprocess
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from docxparts import tiny_png

from officeflow.errors import TemplateError
from officeflow.fastrender import prepared_template
from officeflow.kinds import KINDS
from officeflow.render import DocumentProperties, Image, render_docx
from officeflow.word_templates import build_template, chinese_number, template_bytes

ROOT = Path(__file__).resolve().parent.parent
STEP_HEADER = ["步骤编号", "操作内容", "责任角色", "输入", "输出", "耗时", "关键控制点"]
NASTY = "<b>R&D</b> {{ x }} {% if %} \"quotes' =SUM(A1)"

SAMPLE_CONTEXT: dict[str, Any] = {
    "kind_label": "标准化服务流程",
    "name": "客户投诉处理流程",
    "doc_id": "CRM-CS-2024-005",
    "version": "V2.0",
    "effective_date": "2024-08-01",
    "category": "客户服务",
    "department": "客服部",
    "departments": "客服部、技术部、法务部",
    "roles": "客服专员、客服主管、技术支持工程师、法务专员",
    "owner": "张伟",
    "objective": "客户投诉24小时内响应，7个工作日内解决，客户满意度≥90%。",
    "scope": "适用于所有个人客户及企业客户的投诉处理，不包括产品质量问题退换货（另见《退换货流程》）。",
    "status": "现行有效",
    "next_review_label": "下次回顾日期",
    "next_review_date": "2025-02-01",
    "approver": "王芳",
    "control_mark": "受控文件",
    "company_name": "",
    "company_logo": "",
    "flowchart": [],
    "steps": [
        {"number": "1.1", "content": "接收客户投诉信息（电话、邮件、在线表单）", "role": "客服专员",
         "inputs": "客户投诉内容、联系方式", "outputs": "《客户投诉登记表》", "duration": "≤30分钟",
         "control_point": "记录完整，分类准确（如服务态度、技术故障、billing问题）"},
        {"number": "1.2", "content": "投诉分级（按紧急程度：紧急、一般、建议）", "role": "客服主管",
         "inputs": "《客户投诉登记表》", "outputs": "《投诉分级表》", "duration": "≤15分钟",
         "control_point": "紧急投诉（如服务中断）需立即升级至技术部"},
        {"number": "1.3", "content": "转派至责任部门", "role": "客服专员",
         "inputs": "《投诉分级表》", "outputs": "《投诉转派单》", "duration": "≤10分钟",
         "control_point": "根据投诉类型准确选择责任部门，错派率≤2%"},
    ],
    "related_documents": [
        {"name": "《客户投诉登记表》", "code": "CRM-TAB-001"},
        {"name": "《投诉分级表》", "code": "CRM-TAB-002"},
        {"name": "《服务质量考核办法》", "code": "CRM-PO-003"},
    ],
    "revision_history": [
        {"version": "V1.0", "date": "2024-01-01", "content": "初稿编写", "reason": "新建流程",
         "author": "张伟", "reviewer": "李娜"},
        {"version": "V2.0", "date": "2024-07-15", "content": "增加“投诉分级”步骤",
         "reason": "紧急投诉响应超时，需分级处理", "author": "张伟", "reviewer": "陈明"},
    ],
    "reviews": [
        {"level": "初审", "reviewer": "张伟", "date": "2024-07-16", "conclusion": "通过",
         "opinion": "步骤完整，逻辑清晰"},
        {"level": "复审", "reviewer": "李娜", "date": "2024-07-20", "conclusion": "通过",
         "opinion": "部门职责划分清晰，接口顺畅"},
        {"level": "终审", "reviewer": "王芳", "date": "2024-07-25", "conclusion": "通过",
         "opinion": "符合公司质量管理要求，同意发布"},
    ],
}


PROPERTIES = DocumentProperties(title="客户投诉处理流程", identifier="CRM-CS-2024-005", version="V2.0",
                                subject="标准化服务流程", category="客户服务", author="张伟",
                                issued=date(2024, 8, 1))


@pytest.fixture()
def template(tmp_path: Path) -> Path:
    """A freshly generated sop.docx."""
    return build_template(KINDS["sop"], tmp_path / "sop.docx")


def render(template: Path, context: dict[str, Any], out: Path) -> Path:
    """Render with the shipped renderer (autoescape, StrictUndefined) and write the .docx."""
    out.write_bytes(render_docx(template, context, PROPERTIES))
    return out


def table_texts(table) -> list[list[str]]:
    """Cell texts of a table, row by row."""
    return [[cell.text for cell in row.cells] for row in table.rows]


def find_table(document, first_row: list[str]):
    """The body table whose header row is first_row."""
    for table in document.tables:
        if table_texts(table)[0] == first_row:
            return table
    raise AssertionError(f"no table with header {first_row}")


def test_render_sample(template: Path, tmp_path: Path) -> None:
    document = Document(render(template, SAMPLE_CONTEXT, tmp_path / "out.docx"))

    rows = table_texts(find_table(document, STEP_HEADER))
    assert len(rows) == 4
    step = SAMPLE_CONTEXT["steps"][0]
    assert rows[1] == [step[key] for key in
                       ("number", "content", "role", "inputs", "outputs", "duration", "control_point")]
    assert [row[0] for row in rows[1:]] == ["1.1", "1.2", "1.3"]

    related = table_texts(find_table(document, ["序号", "文件名称", "文件编号"]))
    assert related[1:] == [["1", "《客户投诉登记表》", "CRM-TAB-001"],
                           ["2", "《投诉分级表》", "CRM-TAB-002"],
                           ["3", "《服务质量考核办法》", "CRM-PO-003"]]
    revisions = table_texts(find_table(document, ["版本号", "修订日期", "修订内容", "修订原因", "修订人", "审核人"]))
    assert [row[0] for row in revisions[1:]] == ["V1.0", "V2.0"]
    reviews = table_texts(find_table(document, ["审核级别", "审核人", "审核日期", "审核结论", "审核意见"]))
    assert [row[:2] for row in reviews[1:]] == [["初审", "张伟"], ["复审", "李娜"], ["终审", "王芳"]]

    body = "\n".join(p.text for p in document.paragraphs)
    assert "客户投诉处理流程" in body and "标准化服务流程" in body
    assert SAMPLE_CONTEXT["objective"] in body and SAMPLE_CONTEXT["scope"] in body
    assert "{{" not in body and "{%" not in body

    header = document.sections[0].header.paragraphs[0].text
    assert "CRM-CS-2024-005" in header and "V2.0" in header and "2024-08-01" in header
    assert "受控文件" in header

    footer_xml = document.sections[0].footer._element.xml
    instructions = re.findall(r"<w:instrText[^>]*>([^<]*)</w:instrText>", footer_xml)
    assert [i.split()[0] for i in instructions] == ["PAGE", "NUMPAGES"]
    assert footer_xml.count('w:fldCharType="begin"') == 2
    assert footer_xml.count('w:fldCharType="end"') == 2
    footer = document.sections[0].footer.paragraphs[0].text
    assert footer.startswith("第") and "页" in footer and "共" in footer


def test_empty_list_shows_none_row(template: Path, tmp_path: Path) -> None:
    context = {**SAMPLE_CONTEXT, "related_documents": []}
    document = Document(render(template, context, tmp_path / "out.docx"))
    rows = table_texts(find_table(document, ["序号", "文件名称", "文件编号"]))
    assert rows[1:] == [["无", "无", "无"]]  # one merged cell, reported once per grid column


def test_values_come_out_literally(template: Path, tmp_path: Path) -> None:
    context = copy.deepcopy(SAMPLE_CONTEXT)
    context["name"] = NASTY
    context["doc_id"] = NASTY
    context["control_mark"] = "已失效 · 仅供追溯"
    context["steps"][1]["content"] = NASTY
    document = Document(render(template, context, tmp_path / "out.docx"))

    steps = table_texts(find_table(document, STEP_HEADER))
    assert steps[2][1] == NASTY
    assert NASTY in [p.text for p in document.paragraphs]
    info = table_texts(document.tables[0])
    assert info[0][1] == NASTY and info[1][1] == NASTY
    header = document.sections[0].header.paragraphs[0].text
    assert NASTY in header and header.endswith("已失效 · 仅供追溯")


def test_template_variables_match_contract(template: Path) -> None:
    assert prepared_template(template).undeclared_variables() == set(SAMPLE_CONTEXT)


def test_strict_undefined_catches_missing_value(template: Path, tmp_path: Path) -> None:
    context = {k: v for k, v in SAMPLE_CONTEXT.items() if k != "owner"}
    with pytest.raises(TemplateError) as raised:
        render(template, context, tmp_path / "out.docx")
    assert str(raised.value) == "sop.docx: 'owner' is undefined"


def test_core_properties_come_from_the_document(template: Path) -> None:
    document = Document(io.BytesIO(render_docx(template, SAMPLE_CONTEXT, PROPERTIES)))
    props = document.core_properties
    assert (props.title, props.identifier, props.version, props.subject, props.category,
            props.author) == ("客户投诉处理流程", "CRM-CS-2024-005", "V2.0", "标准化服务流程",
                              "客户服务", "张伟")


def test_chinese_fonts_and_language(template: Path) -> None:
    styles = Document(template).styles.element
    rpr = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts, lang = rpr.find(qn("w:rFonts")), rpr.find(qn("w:lang"))
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    assert fonts.get(qn("w:eastAsiaTheme")) is None  # a theme font would override 宋体
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    heading = Document(template).styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsia")) == "黑体"


def test_page_setup_and_table_header_repeats(template: Path) -> None:
    document = Document(template)
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    steps = find_table(document, STEP_HEADER)
    assert steps.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert steps.rows[1].cells[0].text == "{%tr for row in steps %}"


@pytest.mark.parametrize("kind", ["sop", "scenario", "standard", "optimization"])
def test_rebuild_is_byte_identical(kind: str, tmp_path: Path) -> None:
    first = build_template(KINDS[kind], tmp_path / "a.docx").read_bytes()
    assert template_bytes(KINDS[kind]) == first


@pytest.mark.parametrize("kind", ["sop", "scenario", "standard", "optimization"])
def test_committed_template_is_current(kind: str) -> None:
    name = KINDS[kind].word_template
    committed = ROOT / "templates" / name
    assert committed.exists(), "run: python tools/build_word_templates.py"
    assert committed.read_bytes() == template_bytes(KINDS[kind]), (
        f"templates/{name} is stale: run python tools/build_word_templates.py")


@pytest.mark.slow
def test_pdf_via_libreoffice(template: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice (soffice) is not installed; it is needed to check the PDF output")
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is not installed")
    docx = render(template, SAMPLE_CONTEXT, tmp_path / "out.docx")
    profile = Path(f"/tmp/officeflow-lo-{uuid.uuid4().hex}")  # private: parallel soffice runs clash
    outdir = tmp_path / "pdf"
    try:
        subprocess.run(
            [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
             "--convert-to", "pdf", "--outdir", str(outdir), str(docx)],
            check=True, capture_output=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = outdir / "out.pdf"
    assert pdf.exists(), "soffice exited without writing a PDF"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60).stdout
    assert "客户投诉处理流程" in text
    assert "受控文件" in text and "CRM-CS-2024-005" in text
    assert re.search(r"第\s*1\s*页\s*共\s*\d+\s*页", text), text[-400:]
    assert "{{" not in text and "{%" not in text


def test_every_review_round_is_printed_and_the_latest_passing_final_approves(tmp_path: Path) -> None:
    """A 终审 不通过 followed by a 终审 通过: both rows stand in 审核记录 as evidence."""
    from datetime import date

    from factory import REVIEWS, make_workbook

    from officeflow.ledger import open_ledger
    from officeflow.pipeline import Result, process_bytes
    from officeflow.settings import open_workspace

    root = tmp_path / "ws"
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True)
    workspace = open_workspace(root)
    rounds = [*REVIEWS[:2], ["终审", "赵总", date(2024, 7, 8), "不通过", "补充回访步骤"],
              ["终审", "钱总", date(2024, 7, 10), "通过", "同意发布"]]
    book = make_workbook(tmp_path, reviews=rounds)
    ledger = open_ledger(workspace.ledger_path)
    try:
        outcome = process_bytes(book.read_bytes(), book.name, workspace, ledger, date(2024, 9, 1))
    finally:
        ledger.close()
    assert outcome.result is Result.ISSUED and outcome.document is not None, outcome.findings
    document = Document(str(outcome.document))
    [reviews] = [t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["审核级别", "审核人"]]
    assert [[c.text for c in row.cells][:4] for row in reviews.rows[1:]] == [
        ["初审", "王敏", "2024-07-01", "通过"], ["复审", "李强", "2024-07-05", "通过"],
        ["终审", "赵总", "2024-07-08", "不通过"], ["终审", "钱总", "2024-07-10", "通过"]]
    assert any(p.text.startswith("批准人：钱总") for p in document.paragraphs)


HEADINGS = {
    "sop": ["一、基本信息", "二、流程目标", "三、适用范围", "四、流程步骤", "五、流程图", "六、相关文件",
            "七、修订记录", "八、审核与批准"],
    "scenario": ["一、基本信息", "二、适用场景", "三、流程目标", "四、适用范围", "五、流程步骤", "六、流程图",
                 "七、执行要点", "八、配套表单与相关文件", "九、修订记录", "十、审核与批准"],
    "standard": ["一、基本信息", "二、流程目标", "三、适用范围", "四、服务标准", "五、操作流程", "六、流程图",
                 "七、服务质量监督检查记录", "八、相关文件", "九、修订记录", "十、审核与批准"],
    "optimization": ["一、基本信息", "二、流程目标", "三、适用范围", "四、关键步骤", "五、流程图",
                     "六、责任矩阵（RACI）", "七、关键风险点", "八、优化建议", "九、相关文件", "十、修订记录",
                     "十一、审核与批准"],
}


@pytest.mark.parametrize("kind", sorted(HEADINGS))
def test_sections_and_table_headers_come_from_the_catalog(kind: str) -> None:
    spec = KINDS[kind]
    document = Document(io.BytesIO(template_bytes(spec)))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == HEADINGS[kind]
    headers = [[cell.text for cell in table.rows[0].cells] for table in document.tables[1:]]
    expected = []
    for table in spec.tables:
        labels = [c.label for c in table.columns if c.label != "后续步骤"]  # the 流程图 draws it
        if table.word.index:
            labels.insert(0, table.word.index)
        if table.word.lookup:
            other, column = table.word.lookup
            labels.append(spec.table(other).column(column).label)
        if table.extra_columns is not None:
            labels += [f"{{%tc for role in {table.key}_extra_headers %}}", "{{ role }}", "{%tc endfor %}"]
        expected.append(labels)
    assert headers == expected
    assert [p.text for p in document.sections[0].header.paragraphs] == [
        "{%p if company_name or company_logo %}",
        "{{ company_logo }}{% if company_logo and company_name %}\u3000{% endif %}{{ company_name }}",
        "{%p endif %}",
        "流程编号 {{ doc_id }}　·　版本号 {{ version }}　·　生效日期 {{ effective_date }}\t{{ control_mark }}"]


def test_section_numbers_in_chinese() -> None:
    assert [chinese_number(n) for n in (1, 9, 10, 11, 19, 20, 21, 99)] == [
        "一", "九", "十", "十一", "十九", "二十", "二十一", "九十九"]
    with pytest.raises(ValueError):
        chinese_number(100)


# ---------------------------------------------------------------- 流程图


def _png(width: int, height: int) -> bytes:
    return tiny_png(width, height, (30, 30, 200))


SVG_PAGE = (b'<svg xmlns="http://www.w3.org/2000/svg" width="160mm" height="80mm" viewBox="0 0 160 80">'
            b'<rect width="160" height="80" fill="#ffffff"/></svg>\n')


def _after_heading(document, heading: str) -> list[str]:
    """Texts of the paragraphs between `heading` and the next Heading 1 ('<picture>' for a drawing)."""
    found, texts = False, []
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Heading 1":
            if found:
                break
            found = paragraph.text == heading
            continue
        if found:
            drawn = paragraph._p.xpath(".//w:drawing")
            texts.append("<picture>" if drawn else paragraph.text)
    return texts


def test_flowchart_section_shows_each_page_with_its_caption(template: Path, tmp_path: Path) -> None:
    pages = [Image(_png(40, 20), width_cm=16, svg=SVG_PAGE), Image(_png(40, 30), width_cm=16, svg=SVG_PAGE)]
    document = Document(render(template, {**SAMPLE_CONTEXT, "flowchart": pages}, tmp_path / "out.docx"))
    assert _after_heading(document, "五、流程图") == ["<picture>", "图 流程图（1/2）", "<picture>", "图 流程图（2/2）"]
    [first, *_] = [p for p in document.paragraphs if p._p.xpath(".//w:drawing")]
    extent = first._p.xpath(".//wp:extent")[0]
    assert (int(extent.get("cx")), int(extent.get("cy"))) == (5760000, 2880000)  # 16 cm wide, aspect kept


def test_flowchart_section_with_one_page_has_a_plain_caption_and_without_steps_says_none(
        template: Path, tmp_path: Path) -> None:
    one = {**SAMPLE_CONTEXT, "flowchart": [Image(_png(40, 20), width_cm=16)]}
    assert _after_heading(Document(render(template, one, tmp_path / "one.docx")), "五、流程图") == [
        "<picture>", "图 流程图"]
    assert _after_heading(Document(render(template, SAMPLE_CONTEXT, tmp_path / "none.docx")), "五、流程图") == ["无"]


def test_steps_table_leaves_the_next_steps_column_to_the_diagram() -> None:
    document = Document(io.BytesIO(template_bytes(KINDS["sop"])))
    assert [c.text for c in document.tables[1].rows[0].cells] == STEP_HEADER
