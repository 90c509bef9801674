"""Document control around the archive: status, withdrawal, recall, reviews due, next ID, diff.

`verify` and `register rebuild` live in officeflow.integrity.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, NamedTuple

from officeflow.errors import NotFoundError, OfficeflowError
from officeflow.ledger_protocol import Event, Ledger
from officeflow.lifecycle import VersionState, next_review_date, states_on
from officeflow.records import CopyClosure, Status, TrainingCopy, VersionRecord, Withdrawal

if TYPE_CHECKING:
    from officeflow.settings import Workspace

# archive, manifest, publish, pipeline and diff are imported by the functions that write or
# compare: status, due and next-id read the ledger only and start without openpyxl, docx or
# pydantic (tests/test_startup.py).


class VersionLine(NamedTuple):
    record: VersionRecord
    state: VersionState
    next_review: date | None
    withdrawal_reason: str = ""


def status_report(workspace: Workspace, ledger: Ledger, doc_id: str,
                  today: date | None = None) -> list[VersionLine]:
    """Every version of one document with its status on `today`, oldest first."""
    today = today or date.today()
    history = ledger.history(doc_id)
    if not history.versions:
        raise NotFoundError(f"流程编号 {doc_id} 不在台账中")
    states = states_on(history.versions, today, history.withdrawn)
    reasons = {w.version: w.reason for w in ledger.withdrawals() if w.doc_id == doc_id}
    months = workspace.settings.review_interval_months
    return [VersionLine(v, states[v.version],
                        next_review_date(v.effective_date, months)
                        if states[v.version].status in (Status.CURRENT, Status.PENDING) else None,
                        reasons.get(v.version, "") if states[v.version].status is Status.WITHDRAWN else "")
            for v in history.versions]


def withdraw(workspace: Workspace, ledger: Ledger, doc_id: str, reason: str,
             today: date | None = None, actor: str = "", version: str | None = None) -> list[str]:
    """Withdraw (已废止) a document's current and pending versions, or revoke one pending version.

    Superseded versions keep 已失效 and their dates: withdrawal never rewrites history.
    The withdrawal is also written into each version's manifest, so `register rebuild`
    can restore it. A withdrawn 流程编号 comes back only with a new version.
    """
    from officeflow.archive import inside
    from officeflow.manifest import Manifest
    from officeflow.publish import publish

    today = today or date.today()
    if not reason.strip():
        raise OfficeflowError("请用 --reason 写明废止原因")
    history = ledger.history(doc_id)
    if not history.versions:
        raise NotFoundError(f"流程编号 {doc_id} 不在台账中")
    states = states_on(history.versions, today, history.withdrawn)
    live = (Status.CURRENT, Status.PENDING)
    if version is not None:
        if history.version(version) is None:
            raise NotFoundError(f"{doc_id} 没有版本 {version}")
        status = states[version].status
        if status is not Status.PENDING:
            raise OfficeflowError(f"只能单独撤销待生效的版本；{doc_id} {version} 当前为{status.value}。"
                                  "废止整个流程请不加 --version。")
        targets = [history.version(version)]
    else:
        targets = [v for v in history.versions if states[v.version].status in live]
    records = [t for t in targets if t is not None]
    if not records:
        return []
    for record in records:
        Manifest.change(inside(workspace.outbox, record.manifest_path),
                        withdrawn={"on": today.isoformat(), "reason": reason, "actor": actor})
    ledger.withdraw(
        [Withdrawal(doc_id, v.version, today, reason, actor) for v in records],
        [Event("withdrawn" if version is None else "revoked", doc_id, v.version, v.document_path,
               v.document_sha256, reason) for v in records],
    )
    publish(workspace, ledger, today)
    return [v.version for v in records]


def close_copies(workspace: Workspace, ledger: Ledger, doc_id: str, serials: list[str],
                 closed_as: CopyClosure, at: datetime | None = None) -> list[str]:
    """Record training copies of DOC_ID as returned, lost or destroyed; returns those closed."""
    from officeflow.publish import publish

    at = at or datetime.now().replace(microsecond=0)
    copies: dict[str, TrainingCopy] = {c.serial: c for c in ledger.training_copies(doc_id)}
    unknown = [s for s in serials if s not in copies]
    if unknown:
        raise NotFoundError(f"{doc_id} 没有这些培训副本编号：{'、'.join(unknown)}")
    already = [s for s in serials if copies[s].returned_at is not None]
    if already:
        raise OfficeflowError(f"这些副本已登记为{copies[already[0]].closed_as or '已回收'}："
                              f"{'、'.join(already)}")
    event = {CopyClosure.RETURNED: "training-returned", CopyClosure.LOST: "training-lost",
             CopyClosure.DESTROYED: "training-destroyed"}[closed_as]
    closed = ledger.close_training_copies(
        serials, closed_as.value, at,
        [Event(event, doc_id, copies[s].version, copies[s].pdf_path, "", s, at=at) for s in serials])
    publish(workspace, ledger, at.date())
    return closed


class DueReview(NamedTuple):
    record: VersionRecord
    due: date
    days_left: int  # negative: overdue


def due_reviews(workspace: Workspace, ledger: Ledger, within_days: int = 30,
                today: date | None = None) -> list[DueReview]:
    """Current documents whose periodic review (定期回顾) is due within N days or overdue."""
    today = today or date.today()
    months = workspace.settings.review_interval_months
    by_doc: dict[str, list[VersionRecord]] = {}
    for record in ledger.versions():
        by_doc.setdefault(record.doc_id, []).append(record)
    withdrawn: dict[str, dict[str, date]] = {}
    for w in ledger.withdrawals():
        withdrawn.setdefault(w.doc_id, {})[w.version] = w.withdrawn_on
    due: list[DueReview] = []
    for doc_id, records in by_doc.items():
        states = states_on(records, today, withdrawn.get(doc_id, {}))
        for record in records:
            if states[record.version].status is not Status.CURRENT:
                continue
            review = next_review_date(record.effective_date, months)
            days_left = (review - today).days
            if days_left <= within_days:
                due.append(DueReview(record, review, days_left))
    return sorted(due, key=lambda d: (d.due, d.record.doc_id))


def next_id(ledger: Ledger, prefix: str, year: int | None = None, width: int = 3) -> str:
    """The next free 流程编号 under `PREFIX[-CAT]-YYYY-NNN`."""
    year = year or date.today().year
    prefix = prefix.strip().upper().rstrip("-")
    if not re.fullmatch(r"[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)?", prefix):
        raise OfficeflowError(f"前缀“{prefix}”格式不对，应为 PREFIX 或 PREFIX-CAT，如 CRM-CS")
    pattern = re.compile(rf"^{re.escape(prefix)}-{year}-(\d+)$")
    used = [int(m[1]) for v in ledger.versions() if (m := pattern.match(v.doc_id))]
    return f"{prefix}-{year}-{(max(used) + 1 if used else 1):0{width}d}"


def diff_versions(workspace: Workspace, ledger: Ledger, doc_id: str, old: str,
                  new: str) -> list[str]:
    """The comparison of two archived versions, as the drafted revision entry would say it."""
    from officeflow.diff import describe_changes
    from officeflow.pipeline import load_archived

    history = ledger.history(doc_id)
    if not history.versions:
        raise NotFoundError(f"流程编号 {doc_id} 不在台账中")
    documents = []
    for version in (old, new):
        record = history.version(version)
        if record is None:
            raise NotFoundError(f"{doc_id} 没有版本 {version}")
        parsed = load_archived(workspace, record)
        if parsed is None:
            raise NotFoundError(f"{doc_id} {version} 的源文件缺失或无法读取: {record.source_path}")
        documents.append(parsed)
    return describe_changes(documents[0], documents[1])
