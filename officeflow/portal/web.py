"""The portal as a WSGI application: routes, error pages, downloads.

Every route names a document by 流程编号 and version; both are looked up in the library (the
ledger), and a name the ledger does not know is a 404 — nothing from a request is ever joined
to a path. Errors are pages in Chinese (or JSON under /api/); a stack trace goes to the log only.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from officeflow.pdf import PdfError
from officeflow.portal import api, views
from officeflow.portal.config import PortalSettings
from officeflow.portal.files import Download, document_file, flowchart_file
from officeflow.portal.http import Csrf, HttpError, Request, Response, attachment
from officeflow.portal.library import DocumentView, VersionView
from officeflow.portal.pages import STATIC, render
from officeflow.portal.state import Portal

log = logging.getLogger(__name__)

Handler = Callable[..., Response]


class PortalApp:
    def __init__(self, portal: Portal, settings: PortalSettings | None = None, csrf: Csrf | None = None) -> None:
        self.portal = portal
        self.settings = settings or PortalSettings()
        self.csrf = csrf or Csrf()
        self.max_upload = int(portal.workspace.settings.max_file_mb * 1024 * 1024)
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("GET", re.compile(r"/"), lambda r: views.search_page(self, r)),
            ("GET", re.compile(r"/doc/([^/]+)"), lambda r, d: views.document_page(self, r, d)),
            ("POST", re.compile(r"/doc/([^/]+)/feedback"), lambda r, d: views.feedback(self, r, d)),
            ("GET", re.compile(r"/doc/([^/]+)/([^/]+?)\.(docx|pdf|flow\.svg)"), self.download),
            ("GET", re.compile(r"/check"), lambda r: views.check_form(self, r)),
            ("POST", re.compile(r"/check"), lambda r: views.check_upload(self, r)),
            ("GET", re.compile(r"/static/([a-z0-9.]+)"), self.static),
            ("GET", re.compile(r"/api/documents"), lambda r: api.documents(self, r)),
            ("GET", re.compile(r"/api/documents/([^/]+)"), lambda r, d: api.document(self, r, d)),
            ("GET", re.compile(r"/api/search"), lambda r: api.search(self, r)),
            ("GET", re.compile(r"/healthz"), lambda r: Response(body=b"ok", content_type="text/plain")),
        ]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HttpError as exc:
            response = self.error(request, exc.status, exc.message)
        except Exception:  # never a stack trace to the visitor; the log has it
            log.exception("portal: %s %s failed", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            response = self.error(request, 500, "服务器内部错误，请稍后再试；如仍有问题请联系流程管理部。")
        return response.start(start_response)

    def dispatch(self, request: Request) -> Response:
        path, method = request.path, request.method
        allowed = False
        for verb, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if verb == method or (verb == "GET" and method == "HEAD"):
                return handler(request, *match.groups())
            allowed = True
        if allowed:
            raise HttpError(405, "不支持此请求方式。")
        raise HttpError(404, "页面不存在。")

    def error(self, request: Request, status: int, message: str) -> Response:
        titles = {400: "请求无效", 403: "无法提交", 404: "未找到", 405: "请求方式不支持", 413: "文件过大",
                  500: "服务器内部错误", 503: "暂时无法提供"}
        if request.environ.get("PATH_INFO", "").startswith("/api/"):
            body = json.dumps({"error": message, "status": status}, ensure_ascii=False).encode("utf-8")
            return Response(status, body, "application/json; charset=utf-8")
        return Response(status, render("error.html", title=titles.get(status, "出错了"), message=message),
                        headers=[("Cache-Control", "no-store")])

    # ------------------------------------------------------------ lookups

    def document(self, doc_id: str) -> DocumentView:
        found = self.portal.library().document(doc_id)
        if found is None:
            raise HttpError(404, f"没有流程编号为“{doc_id[:60]}”的文件。")
        return found

    def version(self, doc_id: str, version: str) -> VersionView:
        found = self.document(doc_id).version(version)
        if found is None:
            raise HttpError(404, f"{doc_id} 没有版本“{version[:20]}”。")
        return found

    # ------------------------------------------------------------ files

    def download(self, request: Request, doc_id: str, version: str, what: str) -> Response:
        record = self.version(doc_id, version).record
        outbox = self.portal.workspace.outbox
        found: Download | None
        if what == "flow.svg":
            found = flowchart_file(outbox, record)
        else:
            found = document_file(outbox, record)
            if found is not None and what == "pdf":
                try:
                    found = self.portal.pdfs.pdf_for(found)
                except PdfError as exc:
                    log.error("portal: PDF of %s %s: %s", doc_id, version, exc)
                    raise HttpError(503, "PDF 暂时无法生成，请先下载 Word 版本。") from exc
        if found is None:
            raise HttpError(404, f"{doc_id} {version} 的文件不在归档中，请联系流程管理部。")
        headers = [("Cache-Control", "no-cache")]
        if what != "flow.svg":
            headers.append(attachment(found.filename))
        return Response(body=b"", content_type=found.content_type, headers=headers, file=found.path)

    def static(self, request: Request, name: str) -> Response:
        if name not in STATIC:
            raise HttpError(404, "页面不存在。")
        content_type, path = STATIC[name]
        return Response(body=path.read_bytes(), content_type=content_type,
                        headers=[("Cache-Control", "max-age=3600")])
