"""`/api/`: the same data as the pages, as JSON, for the company's OA system to link to."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from officeflow.portal.http import Request, Response
from officeflow.portal.library import DocumentView, VersionView
from officeflow.portal.views import filters_of
from officeflow.versions import version_key

if TYPE_CHECKING:
    from officeflow.portal.web import PortalApp


def _json(data: Any) -> Response:
    return Response(body=json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"),
                    content_type="application/json; charset=utf-8", headers=[("Cache-Control", "no-cache")])


def _day(value: Any) -> str | None:
    return value.isoformat() if value else None


def _version(view: VersionView) -> dict[str, Any]:
    r = view.record
    base = f"/doc/{quote(r.doc_id)}/{quote(r.version)}"
    return {"version": r.version, "status": view.status.value, "effective_date": _day(r.effective_date),
            "expiry_date": _day(view.expiry), "next_review": _day(view.next_review), "owner": r.owner,
            "approver": r.approver, "withdrawal_reason": view.withdrawal_reason,
            "docx_url": f"{base}.docx", "pdf_url": f"{base}.pdf"}


def _summary(document: DocumentView) -> dict[str, Any]:
    shown = document.shown
    r = shown.record
    return {"doc_id": r.doc_id, "name": r.name, "category": r.category, "department": r.department,
            "kind": r.kind_label or r.kind, "version": r.version, "status": shown.status.value,
            "effective_date": _day(r.effective_date), "url": f"/doc/{quote(r.doc_id)}"}


def documents(app: PortalApp, request: Request) -> Response:
    """Every document with the version it leads with; filters as on the search page."""
    filters = filters_of(request.query())
    hits = app.portal.index.search("", filters, limit=100000)
    library = app.portal.library()
    listed = [library.documents[d] for d in dict.fromkeys(h.doc_id for h in hits) if d in library.documents]
    return _json({"count": len(listed), "documents": [_summary(d) for d in listed]})


def document(app: PortalApp, request: Request, doc_id: str) -> Response:
    found = app.document(doc_id)
    entries = sorted(app.portal.ledger.history(doc_id).revision_entries.values(),
                     key=lambda e: version_key(e.version))
    return _json({**_summary(found), "versions": [_version(v) for v in found.versions],
                  "revisions": [{"version": e.version, "date": _day(e.date), "content": e.content,
                                 "reason": e.reason, "author": e.author, "reviewer": e.reviewer}
                                for e in entries]})


def search(app: PortalApp, request: Request) -> Response:
    query = request.query()
    app.portal.library()  # the index follows the ledger
    hits = app.portal.index.search(query.get("q", "").strip()[:200], filters_of(query))
    return _json({"query": query.get("q", ""), "count": len(hits),
                  "results": [{**h.as_dict(), "url": f"/doc/{quote(h.doc_id)}"} for h in hits]})
