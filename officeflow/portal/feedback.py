"""问题反馈: what staff report about a process, kept in the ledger's append-only audit trail.

Each item is one `feedback` event (doc_id, version, detail = JSON of name, department, text),
so it needs no schema of its own, is sealed by the audit chain like every other event, and
reads the same from SQLite and PostgreSQL. The process office lists them per document for the
next periodic review (`officeflow feedback [DOC_ID]`, the document page).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from officeflow.ledger_protocol import Event, Ledger

EVENT = "feedback"
MAX_NAME = 40
MAX_TEXT = 2000


class FeedbackError(ValueError):
    """A form that cannot be kept; the message is Chinese and says what to fix."""


class Feedback(NamedTuple):
    doc_id: str
    version: str
    name: str
    department: str
    text: str
    at: str  # as the ledger recorded it (ISO seconds)


def clean(value: str, limit: int) -> str:
    """Trimmed, control characters (but line breaks) dropped, at most `limit` characters."""
    kept = "".join(ch for ch in value.replace("\r\n", "\n") if ch == "\n" or ch.isprintable())
    return kept.strip()[:limit]


def add_feedback(ledger: Ledger, doc_id: str, version: str, name: str, department: str, text: str,
                 at: datetime | None = None) -> Feedback:
    """Keep one item; raises FeedbackError when the text is missing."""
    name, department, text = clean(name, MAX_NAME), clean(department, MAX_NAME), clean(text, MAX_TEXT)
    if not text:
        raise FeedbackError("请填写反馈内容。")
    if not name:
        raise FeedbackError("请填写您的姓名，便于流程负责人联系您。")
    import json  # here: `due` counts feedback without reading it, and starts without json

    detail = json.dumps({"name": name, "department": department, "text": text}, ensure_ascii=False)
    event = Event(EVENT, doc_id, version, detail=detail) if at is None else \
        Event(EVENT, doc_id, version, detail=detail, at=at)
    ledger.add_events([event])
    return Feedback(doc_id, version, name, department, text, event.at.isoformat(timespec="seconds"))


def list_feedback(ledger: Ledger, doc_id: str | None = None) -> list[Feedback]:
    """Every item (of one document), oldest first."""
    items = []
    for row in ledger.events(doc_id):
        if row["event"] != EVENT:
            continue
        import json  # only once there is feedback: `due` counts it at every start

        try:
            detail = json.loads(row["detail"])
        except ValueError:
            continue
        items.append(Feedback(row["doc_id"], row["version"], str(detail.get("name", "")),
                              str(detail.get("department", "")), str(detail.get("text", "")), str(row["at"])))
    return items


def feedback_counts(ledger: Ledger) -> dict[str, int]:
    """Items per 流程编号: what `due` shows beside each review."""
    counts: dict[str, int] = {}
    for item in list_feedback(ledger):
        counts[item.doc_id] = counts.get(item.doc_id, 0) + 1
    return counts
