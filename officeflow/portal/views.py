"""The portal's pages: search, a document, 问题反馈, the online check."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from officeflow.archive import sanitize_part
from officeflow.findings import Severity, sort_findings
from officeflow.fsutil import atomic_write_bytes
from officeflow.gate import admit
from officeflow.portal.feedback import FeedbackError, add_feedback, list_feedback
from officeflow.portal.files import flowchart_file
from officeflow.portal.http import HttpError, Request, Response
from officeflow.portal.library import BADGES
from officeflow.portal.pages import render
from officeflow.portal.search import Filters
from officeflow.records import Status
from officeflow.versions import version_key

if TYPE_CHECKING:
    from officeflow.portal.web import PortalApp

FORM_LIMIT = 64 * 1024  # a feedback form: a few fields of text
STATUSES = [s.value for s in Status]


def filters_of(query: dict[str, str]) -> Filters:
    status = query.get("status", "")
    if status and status not in STATUSES:
        raise HttpError(400, f"状态只能是：{'、'.join(STATUSES)}。")
    return Filters(query.get("category", "")[:80], query.get("department", "")[:80], status,
                   query.get("kind", "")[:80], query.get("all") == "1")


def search_page(app: PortalApp, request: Request) -> Response:
    query = request.query()
    q = query.get("q", "").strip()[:200]
    filters = filters_of(query)
    library = app.portal.library()
    hits = app.portal.index.search(q, filters)
    scope = "全部版本" if filters.all_versions or filters.status else "现行有效版本"
    summary = f"找到 {len(hits)} 条结果（{scope}）" if q else f"共 {len(hits)} 个文件（{scope}）"
    choices = [("category", "类别", library.categories, filters.category),
               ("department", "部门", library.departments, filters.department),
               ("status", "状态", STATUSES, filters.status),
               ("kind", "文件类型", library.kinds, filters.kind)]
    return Response(body=render("search.html", q=q, filters=choices, all_versions=filters.all_versions,
                                hits=hits, summary=summary, badges={s.value: b for s, b in BADGES.items()}))


def document_page(app: PortalApp, request: Request, doc_id: str, message: str = "",
                  status: int = 200) -> Response:
    document = app.document(doc_id)
    shown = document.shown
    ledger = app.portal.ledger
    revisions = sorted(ledger.history(doc_id).revision_entries.values(), key=lambda e: version_key(e.version))
    cookie, set_cookie = app.csrf.cookie_for(request)
    sent = request.query().get("sent") == "1"
    body = render(
        "document.html", shown=shown, current=document.current, pending=document.pending,
        versions=list(reversed(document.versions)), revisions=revisions,
        facts=app.portal.index.facts(doc_id, shown.record.version),
        flowchart=flowchart_file(app.portal.workspace.outbox, shown.record) is not None,
        feedback=list(reversed(list_feedback(ledger, doc_id))), csrf=app.csrf.token(cookie),
        message=message or ("反馈已提交，感谢！流程负责人将在下次回顾时处理。" if sent else ""),
        message_class="bad" if message else "good")
    return Response(status, body, headers=[*set_cookie, ("Cache-Control", "no-store")])


def feedback(app: PortalApp, request: Request, doc_id: str) -> Response:
    document = app.document(doc_id)
    fields, _ = request.form(FORM_LIMIT)
    app.csrf.check(request, fields)
    version = fields.get("version", "")
    if document.version(version) is None:
        version = document.shown.record.version
    try:
        add_feedback(app.portal.ledger, doc_id, version, fields.get("name", ""), fields.get("department", ""),
                     fields.get("text", ""))
    except FeedbackError as exc:
        return document_page(app, request, doc_id, message=str(exc), status=400)
    return Response(303, b"", headers=[("Location", f"/doc/{quote(doc_id)}?sent=1#feedback")])


def check_form(app: PortalApp, request: Request, **result: object) -> Response:
    cookie, set_cookie = app.csrf.cookie_for(request)
    context = {"checked": False, "filename": "", "findings": [], "errors": 0, "verdict": "", **result}
    body = render("check.html", csrf=app.csrf.token(cookie), submit_enabled=app.settings.portal_submit, **context)
    return Response(body=body, headers=[*set_cookie, ("Cache-Control", "no-store")])


def check_upload(app: PortalApp, request: Request) -> Response:
    """Check one uploaded workbook with the inbox's own gate and rules; store nothing unless asked."""
    from officeflow.pipeline import check_workbook  # the renderer's imports: only when a check runs

    fields, files = request.form(app.max_upload + FORM_LIMIT)
    app.csrf.check(request, fields)
    if "file" not in files or not files["file"][0]:
        raise HttpError(400, "请选择要检查的工作簿文件（.xlsx）。")
    filename, data = files["file"]
    shown = Path(filename.replace("\\", "/")).name[:120] or "upload.xlsx"
    suffix = Path(shown).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="officeflow-check-") as work:
        upload = Path(work) / ("upload" + (suffix if suffix.isascii() and len(suffix) <= 6 else ""))
        upload.write_bytes(data)
        admitted, findings = admit(upload, app.portal.workspace.settings.max_file_mb, shown=shown)
    if admitted is not None and not findings:
        findings = check_workbook(admitted, app.portal.workspace, app.portal.ledger, date.today()).findings
    findings = sort_findings(findings)
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    verdict = f"发现 {errors} 个错误、{warnings} 个警告。" if findings else "检查通过，没有发现问题。"
    if fields.get("submit") == "1":  # asked to submit: say what happened, never silently drop it
        if not app.settings.portal_submit:
            verdict += "未提交：本门户未开启提交到收件箱（portal_submit）。"
        elif errors or not admitted:
            verdict += "未提交：请改正错误后重新检查。"
        else:
            verdict += f"已提交到收件箱：{_submit(app, shown, admitted)}"
    return check_form(app, request, checked=True, filename=shown, findings=findings, errors=errors,
                      verdict=verdict)


def _submit(app: PortalApp, shown: str, data: bytes) -> str:
    inbox = app.portal.workspace.inbox
    stem = sanitize_part(Path(shown).stem) or "upload"
    name, n = f"{stem}.xlsx", 1
    while (inbox / name).exists():
        n += 1
        name = f"{stem}-{n}.xlsx"
    atomic_write_bytes(inbox / name, data)
    return name
