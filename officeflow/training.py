"""Printable training copies (PDF): uncontrolled, serial-numbered, logged, recallable.

A copy is the archived version re-rendered from its source workbook with the header mark
"培训专用 · 非受控文件", a second header line (serial, print date, 以受控版本为准), a VML
text watermark in every header (LibreOffice draws it on every page), and a last page
培训签到表. All copies of a batch are converted by one LibreOffice call.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.shared import Cm, Pt, RGBColor

from officeflow.archive import inside, sanitize_part
from officeflow.errors import NotFoundError, OfficeflowError
from officeflow.fsutil import atomic_copy, sha256_file
from officeflow.ledger import (
    Event,
    SqliteLedger,
    TrainingCopy,
    next_training_sequence,
    record_training_copies,
    training_copies,
)
from officeflow.pdf import convert_to_pdf
from officeflow.records import Status, VersionRecord
from officeflow.regenerate import history_as_of, plan_version, statuses_today
from officeflow.render import company_context, render_docx
from officeflow.settings import Workspace

TRAINING_MARK = "培训专用 · 非受控文件"
SIGN_IN_TITLE = "培训签到表"
SIGN_IN_COLUMNS = ("姓名", "部门", "日期", "签名", "考核结果")
SIGN_IN_ROWS = 15
_OUTSTANDING = (Status.SUPERSEDED, Status.WITHDRAWN)
_TRAINABLE = (Status.CURRENT, Status.PENDING)  # obsolete ones only with allow_obsolete

_WATERMARK = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:w10="urn:schemas-microsoft-com:office:word"><w:rPr><w:noProof/></w:rPr><w:pict>
<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800"
 path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas><v:f eqn="sum #0 0 10800"/><v:f eqn="prod #0 2 1"/>
<v:f eqn="sum 21600 0 @1"/><v:f eqn="sum 0 0 @2"/><v:f eqn="sum 21600 0 @3"/><v:f eqn="if @0 @3 0"/>
<v:f eqn="if @0 21600 @1"/><v:f eqn="if @0 0 @2"/><v:f eqn="if @0 @4 21600"/><v:f eqn="mid @5 @6"/>
<v:f eqn="mid @8 @5"/><v:f eqn="mid @7 @8"/><v:f eqn="mid @6 @7"/><v:f eqn="sum @6 0 @5"/></v:formulas>
<v:path textpathok="t" o:connecttype="custom" o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800"
 o:connectangles="270,180,90,0"/><v:textpath on="t" fitshape="t"/>
<v:handles><v:h position="#0,bottomRight" xrange="6629,14971"/></v:handles>
<o:lock v:ext="edit" text="t" shapetype="t"/></v:shapetype>
<v:shape id="OfficeflowTrainingWatermark{n}" o:spid="_x0000_s{spid}" type="#_x0000_t136"
 style="position:absolute;margin-left:0;margin-top:0;width:440pt;height:70pt;rotation:315;z-index:-251654144;mso-position-horizontal:center;mso-position-horizontal-relative:margin;mso-position-vertical:center;mso-position-vertical-relative:margin"
 o:allowincell="f" fillcolor="#c0c0c0" stroked="f"><v:fill opacity=".5"/>
<v:textpath style="font-family:&quot;黑体&quot;;font-size:1pt" string="{text}"/>
<w10:wrap anchorx="margin" anchory="margin"/></v:shape></w:pict></w:r>"""


class ObsoleteVersionError(OfficeflowError):
    """A training copy was asked for a version that is no longer (or never) in force."""


def training_mark(status: Status, record: VersionRecord) -> str:
    """The header mark of a copy: a pending version says from when it applies (staff are
    trained before a process takes effect)."""
    if status is Status.PENDING:
        return f"{TRAINING_MARK} · {status.value}（{record.effective_date:%Y-%m-%d} 起施行）"
    return TRAINING_MARK


@dataclass(frozen=True)
class TrainingResult:
    """The copies made of one version: PDFs in outbox/<training folder>/, serials, ledger rows."""

    doc_id: str
    version: str
    status: str
    pdfs: list[Path] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)
    copies: list[TrainingCopy] = field(default_factory=list)


@dataclass(frozen=True)
class _Order:
    record: VersionRecord
    status: Status
    copies: int
    recipient: str


def serial_number(doc_id: str, version: str, sequence: int) -> str:
    """`CRM-CS-2024-005-V2.0-T0003`."""
    return f"{doc_id}-{version}-T{sequence:04d}"


def _order(ledger: SqliteLedger, doc_id: str, version: str | None, copies: int, recipient: str,
           allow_obsolete: bool, today: date) -> _Order:
    history = ledger.history(doc_id)
    if not history.versions:
        raise NotFoundError(f"未找到流程编号 {doc_id} / unknown document {doc_id}")
    statuses = statuses_today(history, today)
    if version is None:
        # The current version; before a new document takes effect, the next pending one.
        version = next((v for v, s in statuses.items() if s is Status.CURRENT),
                       next((v for v, s in statuses.items() if s is Status.PENDING), None))
        if version is None:
            raise ObsoleteVersionError(
                f"{doc_id} 当前没有现行有效或待生效的版本，不能制作培训副本 / "
                f"{doc_id} has no current or pending version")
    record = history.version(version)
    if record is None:
        raise NotFoundError(f"未找到 {doc_id} 的版本 {version} / unknown version {version} of {doc_id}")
    status = statuses[version]
    if status not in _TRAINABLE and not allow_obsolete:
        raise ObsoleteVersionError(
            f"{doc_id} {version} 的状态为“{status.value}”，只有现行有效或待生效的版本可以制作培训副本；"
            f"如确需使用已失效/已废止的版本，请加 --allow-obsolete。 / {doc_id} {version} is "
            f"{status.name.lower()}: only a current or pending version gives a training copy "
            "(use --allow-obsolete to override)")
    if copies < 1:
        raise OfficeflowError("副本数量至少为 1 / copies must be at least 1")
    return _Order(record, status, copies, recipient)


def make_training_copies(workspace: Workspace, ledger: SqliteLedger, doc_id: str,
                         version: str | None = None, copies: int = 1, recipient: str = "",
                         allow_obsolete: bool = False, today: date | None = None) -> TrainingResult:
    """`copies` serial-numbered PDF training copies of one version (the current one by default)."""
    today = today or date.today()
    order = _order(ledger, doc_id, version, copies, recipient, allow_obsolete, today)
    return _make(workspace, ledger, [order], today)[0]


def make_department_copies(workspace: Workspace, ledger: SqliteLedger, department: str | None = None,
                           copies: int = 1, recipient: str = "",
                           today: date | None = None) -> list[TrainingResult]:
    """Copies of every current document (of one 主责部门), converted in one LibreOffice call.

    Never an empty list: with no current document it raises NotFoundError, which says so.
    """
    today = today or date.today()
    orders: list[_Order] = []
    for doc_id in dict.fromkeys(v.doc_id for v in ledger.versions()
                                if department is None or v.department == department):
        history = ledger.history(doc_id)
        current = [v for v, s in statuses_today(history, today).items() if s is Status.CURRENT]
        if current:
            orders.append(_order(ledger, doc_id, current[0], copies, recipient, False, today))
    if not orders:
        where = f"部门“{department}”" if department else "台账中"
        raise NotFoundError(f"{where}没有现行有效的流程文件 / no current documents"
                            + (f" for department {department}" if department else ""))
    return _make(workspace, ledger, orders, today)


def outstanding_copies(ledger: SqliteLedger, doc_id: str, today: date | None = None) -> list[TrainingCopy]:
    """Copies not yet collected of versions that are no longer current (superseded or withdrawn)."""
    today = today or date.today()
    history = ledger.history(doc_id)
    if not history.versions:
        raise NotFoundError(f"未找到流程编号 {doc_id} / unknown document {doc_id}")
    statuses = statuses_today(history, today)
    return [c for c in training_copies(ledger, doc_id)
            if c.returned_at is None and statuses.get(c.version) in _OUTSTANDING]


def _make(workspace: Workspace, ledger: SqliteLedger, orders: Sequence[_Order],
          today: date) -> list[TrainingResult]:
    printed_at = datetime.now().replace(microsecond=0)
    folder = workspace.outbox / sanitize_part(workspace.settings.training_folder)
    planned: list[tuple[_Order, list[tuple[str, int]]]] = []
    with tempfile.TemporaryDirectory(prefix="officeflow-training-") as work:
        documents: list[Path] = []
        for order in orders:
            record = order.record
            base = _render_base(workspace, ledger, record, order.status, today)
            first = next_training_sequence(ledger, record.doc_id, record.version)
            serials = [(serial_number(record.doc_id, record.version, first + i), first + i)
                       for i in range(order.copies)]
            for serial, _ in serials:
                path = Path(work) / f"{sanitize_part(serial)}.docx"
                path.write_bytes(decorate(base, serial, today, order.status, record))
                documents.append(path)
            planned.append((order, serials))
        pdfs = iter(convert_to_pdf(documents, Path(work) / "pdf"))
        results: list[TrainingResult] = []
        all_copies: list[TrainingCopy] = []
        events: list[Event] = []
        for order, serials in planned:
            record = order.record
            result = TrainingResult(record.doc_id, record.version, order.status.value)
            for serial, sequence in serials:
                pdf = next(pdfs)
                target = inside(workspace.outbox, f"{folder.name}/{pdf.name}")
                atomic_copy(pdf, target)
                relative = target.relative_to(workspace.outbox.resolve()).as_posix()
                copy = TrainingCopy(serial, record.doc_id, record.version, sequence,
                                    order.recipient, printed_at, relative)
                result.pdfs.append(target)
                result.serials.append(serial)
                result.copies.append(copy)
                all_copies.append(copy)
                events.append(Event("training-printed", record.doc_id, record.version, relative,
                                    sha256_file(target), f"{serial} → {order.recipient or '未指定'}",
                                    at=printed_at))
            results.append(result)
    record_training_copies(ledger, all_copies, events)
    return results


def _render_base(workspace: Workspace, ledger: SqliteLedger, record: VersionRecord,
                 status: Status, today: date) -> bytes:
    source = inside(workspace.outbox, record.source_path).read_bytes()
    history = history_as_of(ledger.history(record.doc_id), record.version)
    plan = plan_version(workspace, record, history, source, status, today,
                        control_mark=training_mark(status, record))
    settings = workspace.settings
    # The controlled document's header line: the company's name and logo (officeflow.toml).
    context = {**plan.context, **company_context(workspace.root, settings.company_name, settings.company_logo)}
    return render_docx(plan.template, context, plan.properties)


def decorate(document: bytes, serial: str, printed_on: date, status: Status,
             record: VersionRecord) -> bytes:
    """Add the training header line and watermark to every header, and the sign-in page."""
    doc = Document(io.BytesIO(document))
    obsolete = status not in _TRAINABLE
    line = (f"{training_mark(status, record)}　·　副本编号 {serial}　·　打印日期 {printed_on:%Y-%m-%d}"
            "　·　以受控版本为准" + (f"　·　本版本{status.value}" if obsolete else ""))
    count = 0
    for section in doc.sections:
        headers = [section.header, section.first_page_header, section.even_page_header]
        if section is doc.sections[0] and section.header.is_linked_to_previous:
            section.header.is_linked_to_previous = False  # a document without any header
        for header in headers:
            if header.is_linked_to_previous:
                continue  # inherits the previous section's, which is marked already
            count += 1
            paragraph = header.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            run = paragraph.add_run(line)
            run.font.size = Pt(8)
            run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
            paragraph._p.append(parse_xml(_WATERMARK.format(n=count, spid=2048 + count,
                                                            text=TRAINING_MARK)))
    _add_sign_in_sheet(doc, serial, record)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _add_sign_in_sheet(doc: DocxDocument, serial: str, record: VersionRecord) -> None:
    """A last page: 培训签到表 with 姓名, 部门, 日期, 签名, 考核结果."""
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading = title.add_run(SIGN_IN_TITLE)
    heading.bold = True
    heading.font.size = Pt(16)
    info = doc.add_paragraph(f"流程名称：{record.name}　　流程编号：{record.doc_id}　　版本号：{record.version}\n"
                             f"副本编号：{serial}　　培训日期：________　　培训讲师：________")
    info.paragraph_format.space_after = Pt(6)
    table = doc.add_table(rows=1 + SIGN_IN_ROWS, cols=len(SIGN_IN_COLUMNS))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, label in zip(table.rows[0].cells, SIGN_IN_COLUMNS, strict=True):
        cell.text = label
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cell.paragraphs[0].runs[0].bold = True
    for row in table.rows:
        row.height = Cm(0.9)
    doc.add_paragraph("考核结果填写：合格 / 不合格。本表随培训记录归档。")

