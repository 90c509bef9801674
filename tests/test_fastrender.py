"""Prepared templates: same text as docxtpl, byte-identical re-renders, reload on change."""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import zipfile
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import docx
import pypdf
import pytest
from conftest import TODAY
from docx.shared import Cm
from docxparts import differences, inline_flowchart, raster_only, tiny_png, with_docxtpl
from factory import make_workbook

from officeflow import docxfence
from officeflow.errors import TemplateError
from officeflow.fastrender import PreparedTemplate, prepared_template
from officeflow.ledger import SqliteLedger
from officeflow.pdf import convert_to_pdf
from officeflow.pipeline import OutputPlan, check_workbook, plan_outputs, process_bytes
from officeflow.render import Image, render_docx
from officeflow.settings import Workspace
from officeflow.stamp import stamp_document

ROOT = Path(__file__).resolve().parent.parent
TRICKY = "R&D <流程> {{ x }} {% if %} a<b & c>d \"引号\" 'x'"


def plan_for(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger, **kwargs: Any) -> OutputPlan:
    data = make_workbook(tmp_path, **kwargs).read_bytes()
    checked = check_workbook(data, workspace, ledger, TODAY)
    assert checked.parsed is not None and checked.context is not None
    stamp = stamp_document(checked.parsed, checked.context)
    return plan_outputs(checked.parsed, stamp, checked.context, workspace, "book.xlsx",
                        datetime(2024, 9, 1, 9, 0))


def text_dump(blob: bytes) -> list[str]:
    """Paragraphs, table rows (cells joined) and every header/footer paragraph."""
    document = docx.Document(io.BytesIO(blob))
    lines = [f"p:{p.text}" for p in document.paragraphs]
    for table in document.tables:
        lines.extend("row:" + " | ".join(c.text for c in row.cells) for row in table.rows)
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.even_page_header):
            lines.extend(f"hf:{p.text}" for p in part.paragraphs)
    return lines


STEPS_20 = [[str(i), f"第{i}步：核对{TRICKY}\n第二行说明", "客服专员", "《登记表》&附件", "<输出>",
             "≤30分钟", "准确率≥95%"] for i in range(1, 21)]


@pytest.mark.parametrize("kwargs", [
    {"fields": {"流程名称": TRICKY, "流程负责人": "=王敏"}, "steps": STEPS_20},
    {"fields": {"流程编号": "CRM-CS-2024-005"}, "related": []},  # an empty list: the 无 row
])
def test_same_parts_as_docxtpl(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger,
                               kwargs: dict[str, Any]) -> None:
    """Tricky values (<, &, {{ }}, line breaks, a leading =) give the XML docxtpl gives, part by part."""
    plan = plan_for(tmp_path, workspace, ledger, **kwargs)
    context = raster_only(plan.context)  # docxtpl has no SVG picture (test_render_equivalence)
    fast = prepared_template(plan.template).render(context)
    assert differences(fast, with_docxtpl(plan.template, context, prepare=inline_flowchart)) == []
    lines = text_dump(fast)
    assert any(TRICKY in line for line in lines) or "无" in " ".join(lines)


def test_tricky_values_come_out_literally_in_body_table_and_header(tmp_path: Path, workspace: Workspace,
                                                                   ledger: SqliteLedger) -> None:
    plan = plan_for(tmp_path, workspace, ledger, fields={"流程名称": TRICKY}, steps=STEPS_20)
    context = {**plan.context, "doc_id": "A<B&C", "control_mark": "受控 & <有效>"}
    lines = text_dump(render_docx(plan.template, context, plan.properties))
    assert f"p:{TRICKY}" in lines
    assert any(line.startswith("row:1 | ") and TRICKY in line and "第二行说明" in line for line in lines)
    header = [line for line in lines if line.startswith("hf:流程编号")][0]
    assert "A<B&C" in header and "受控 & <有效>" in header


def test_render_twice_is_byte_identical_and_timeless(tmp_path: Path, workspace: Workspace,
                                                     ledger: SqliteLedger) -> None:
    plan = plan_for(tmp_path, workspace, ledger, steps=STEPS_20)
    first = render_docx(plan.template, plan.context, plan.properties)
    second = PreparedTemplate(plan.template).render(plan.context, plan.properties)  # a fresh load
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.testzip() is None
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        with zipfile.ZipFile(plan.template) as template:
            # the template's parts in its order, then the 流程图 (one page: raster and vector)
            assert archive.namelist() == [*template.namelist(), "word/media/image1.png", "word/media/image2.svg"]
            # parts without tags are copied as they are
            assert archive.read("word/styles.xml") == template.read("word/styles.xml")
    core = docx.Document(io.BytesIO(first)).core_properties
    assert core.created == core.modified == datetime(2024, 8, 1, tzinfo=UTC)
    assert (core.title, core.version, core.last_modified_by) == ("客户投诉处理流程", "V1.0", "officeflow")


def test_pipeline_output_is_deterministic_across_runs(tmp_path: Path, workspace: Workspace,
                                                      ledger: SqliteLedger) -> None:
    source = make_workbook(tmp_path).read_bytes()
    first = process_bytes(source, "a.xlsx", workspace, ledger, TODAY)
    assert first.document is not None
    kept = first.document.read_bytes()
    other_root = tmp_path / "other"
    for folder in ("inbox", "outbox", "templates"):
        (other_root / folder).mkdir(parents=True)
    from officeflow.ledger import open_ledger
    from officeflow.settings import open_workspace

    other = open_workspace(other_root)
    other_ledger = open_ledger(other.ledger_path)
    try:
        second = process_bytes(source, "b.xlsx", other, other_ledger, date(2024, 12, 24),
                               received_at=datetime(2030, 1, 1, 12, 0))
    finally:
        other_ledger.close()
    assert second.document is not None and second.document.read_bytes() == kept


def test_changed_template_file_is_reloaded(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    plan = plan_for(tmp_path, workspace, ledger)
    own = tmp_path / "own.docx"
    shutil.copyfile(plan.template, own)
    before = prepared_template(own)
    assert prepared_template(own) is before  # prepared once
    edit_template(own, "一、基本信息", "一、基本资料")
    after = prepared_template(own)
    assert after is not before
    assert "p:一、基本资料" in text_dump(after.render(plan.context))


def edit_template(path: Path, old: str, new: str) -> None:
    """Replace text in a template's document part and move its mtime on."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            if info.filename == "word/document.xml":
                data = data.decode("utf-8").replace(old, new).encode("utf-8")
            archive.writestr(info, data)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


def test_missing_variable_fails_loudly(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    plan = plan_for(tmp_path, workspace, ledger)
    context = {k: v for k, v in plan.context.items() if k != "objective"}
    assert prepared_template(plan.template).undeclared_variables(context) == {"objective"}
    with pytest.raises(TemplateError, match="objective"):
        render_docx(plan.template, context, plan.properties)


def test_not_a_docx_is_a_template_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(TemplateError, match="broken.docx"):
        prepared_template(broken)
    with pytest.raises(TemplateError, match="not found"):
        prepared_template(tmp_path / "missing.docx")


# --------------------------------------------------------------------- pictures


FLOW = tiny_png(40, 20, (200, 30, 30))  # 40×20 px at 72 dpi


def flowchart_template(path: Path, title: str = "") -> Path:
    document = docx.Document()
    document.add_paragraph("流程图：{{ flowchart }}")
    document.core_properties.title = title
    document.save(str(path))
    return path


def test_a_picture_is_an_inline_picture_with_its_own_media_part(tmp_path: Path) -> None:
    template = PreparedTemplate(flowchart_template(tmp_path / "flow.docx"))
    first = template.render({"flowchart": Image(FLOW, width_cm=4)})
    assert first == PreparedTemplate(tmp_path / "flow.docx").render({"flowchart": Image(FLOW, width_cm=4)})
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.testzip() is None
        assert archive.read("word/media/image1.png") == FLOW
        # stored, not deflated again: a picture is compressed already (and deflating it is slow)
        assert archive.getinfo("word/media/image1.png").compress_type == zipfile.ZIP_STORED
        assert b'<Default Extension="png" ContentType="image/png"/>' in archive.read("[Content_Types].xml")
        rels = archive.read("word/_rels/document.xml.rels").decode()
        assert ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/image" Target="media/image1.png"/>') in rels
    document = docx.Document(io.BytesIO(first))
    [shape] = document.inline_shapes
    assert (shape.width, shape.height) == (Cm(4), Cm(2))  # the aspect ratio kept
    assert document.paragraphs[0].text == "流程图："
    assert shape._inline.graphic.graphicData.pic.blipFill.blip.embed == "rId9"


def test_a_picture_that_is_no_image_is_a_template_error(tmp_path: Path) -> None:
    template = PreparedTemplate(flowchart_template(tmp_path / "flow.docx"))
    with pytest.raises(TemplateError) as raised:
        template.render({"flowchart": Image(b"not a png", width_cm=4)})
    assert str(raised.value) == "flow.docx: picture 9 bytes: not a PNG, JPEG, GIF, BMP or TIFF image"
    with pytest.raises(TemplateError) as raised:
        template.render({"flowchart": Image(tmp_path / "missing.png")})
    assert str(raised.value).startswith(f"flow.docx: picture {tmp_path / 'missing.png'}: ")


def test_a_picture_in_a_document_property_is_a_template_error(tmp_path: Path) -> None:
    template = PreparedTemplate(flowchart_template(tmp_path / "flow.docx", title="{{ flowchart }}"))
    with pytest.raises(TemplateError) as raised:
        template.render({"flowchart": Image(FLOW)})
    assert str(raised.value) == ("a picture can only be placed in the document body, a header, "
                                 "a footer or the footnotes (not in a document property)")


@pytest.mark.slow
def test_libreoffice_opens_a_document_with_a_picture(tmp_path: Path) -> None:
    assert shutil.which("soffice"), "LibreOffice (soffice) is not installed: it is needed to check pictures"
    document = tmp_path / "flow.docx"
    document.write_bytes(PreparedTemplate(flowchart_template(tmp_path / "template.docx")).render(
        {"flowchart": Image(FLOW, width_cm=4)}))
    [pdf] = convert_to_pdf([document], tmp_path / "pdf")
    [page] = pypdf.PdfReader(pdf).pages
    assert page.extract_text().strip() == "流程图："
    [picture] = page.images
    assert picture.image is not None and picture.image.size == (40, 20)


# --------------------------------------------------------------------- the fence


def test_python_docx_and_docxtpl_are_the_versions_the_fence_was_checked_against() -> None:
    pins = dict(re.findall(r'"(python-docx|docxtpl)==([^"]+)"', (ROOT / "pyproject.toml").read_text()))
    fenced = {"python-docx": docxfence.PYTHON_DOCX_VERSION, "docxtpl": docxfence.DOCXTPL_VERSION}
    installed = {name: version(name) for name in fenced}
    assert pins == fenced == installed, (
        f"pyproject.toml pins {pins}, officeflow/docxfence.py was checked against {fenced}, "
        f"installed are {installed}. The prepared renderer uses internals of these libraries: "
        "install the pinned versions, or run tests/test_render_equivalence.py with the new ones, "
        "review officeflow/docxfence.py, and move the pin and the constant together.")


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at any level (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_only_the_fence_touches_python_docx_and_docxtpl() -> None:
    """The renderer reaches python-docx and docxtpl through officeflow/docxfence.py alone."""
    def library(name: str) -> bool:
        return name.split(".")[0] in ("docx", "docxtpl")

    renderer = ("docxzip", "fastrender", "pictures", "render")
    assert {m: sorted(filter(library, imported_modules(ROOT / "officeflow" / f"{m}.py"))) for m in renderer} == {
        m: [] for m in renderer}
    docxtpl_users = {path.relative_to(ROOT).as_posix() for path in (ROOT / "officeflow").rglob("*.py")
                     if any(name.split(".")[0] == "docxtpl" for name in imported_modules(path))}
    assert docxtpl_users == {"officeflow/docxfence.py"}


def test_a_template_jinja_cannot_compile_is_a_template_error(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("{{ name | shout }}")
    document.save(str(tmp_path / "filter.docx"))
    with pytest.raises(TemplateError) as raised:
        PreparedTemplate(tmp_path / "filter.docx")
    assert str(raised.value) == "filter.docx: No filter named 'shout'."
    flowchart_template(tmp_path / "title.docx", title="{{ name")
    with pytest.raises(TemplateError) as raised:
        PreparedTemplate(tmp_path / "title.docx")
    assert str(raised.value) == ("title.docx: document property title: unexpected end of template, "
                                 "expected 'end of print statement'.")
