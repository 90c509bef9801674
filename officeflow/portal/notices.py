"""Release notices, periodic-review reminders and withdrawal notices (seed 000: 分发与告知).

What is due is derived from the ledger as of today, so a version whose effective date arrives
is announced on that day without anyone re-uploading it. Each notice has a key; a sent notice is
recorded as a `notice-sent` audit event with that key, so it is never sent twice, and a notice
that could not be sent (server down) is simply due again on the next run.

    release     a version became 现行有效 (on issue, or when its date arrived) → each 适用部门
    review      a current version's 定期回顾 is within `review_reminder_days` → its 流程负责人
    withdrawal  a version was withdrawn (已废止) → each 适用部门
Release and withdrawal notices cover the last `window_days`, so switching notices on does not
mail the whole archive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import quote

from officeflow.ledger_protocol import Event, Ledger
from officeflow.portal.config import NoticeSettings
from officeflow.portal.feedback import feedback_counts
from officeflow.portal.library import DocumentView, VersionView, load_library
from officeflow.portal.search import read_facts
from officeflow.records import RevisionEntry, Status
from officeflow.settings import Workspace

EVENT = "notice-sent"
SIGNATURE = "—— 流程管理部（officeflow 自动发送，请勿直接回复）"


@dataclass(frozen=True)
class Notice:
    key: str  # the same notice is never sent twice
    kind: str  # release / review / withdrawal
    doc_id: str
    version: str
    to: tuple[str, ...]
    subject: str
    body: str


@dataclass
class Plan:
    notices: list[Notice] = field(default_factory=list)
    unaddressed: list[str] = field(default_factory=list)  # due, but nobody to send it to (config)


def sent_keys(ledger: Ledger) -> set[str]:
    keys = set()
    for row in ledger.events():
        if row["event"] == EVENT:
            try:
                keys.add(str(json.loads(row["detail"])["key"]))
            except (ValueError, KeyError, TypeError):
                continue
    return keys


def sent_event(notice: Notice) -> Event:
    detail = {"key": notice.key, "kind": notice.kind, "to": list(notice.to), "subject": notice.subject}
    return Event(EVENT, notice.doc_id, notice.version, detail=json.dumps(detail, ensure_ascii=False))


def plan_notices(workspace: Workspace, ledger: Ledger, settings: NoticeSettings, today: date) -> Plan:
    """Every notice due today and not yet sent."""
    library = load_library(ledger, workspace.settings.review_interval_months, today)
    done = sent_keys(ledger)
    since = today - timedelta(days=settings.window_days)
    plan = Plan()
    counts: dict[str, int] | None = None
    for document in library.documents.values():
        for view in document.versions:
            r = view.record
            if view.is_current and max(r.effective_date, r.received_at.date()) >= since:
                _per_department(plan, done, settings, workspace, "release", document, view, ledger)
            if view.status is Status.WITHDRAWN and view.expiry is not None and view.expiry >= since:
                _per_department(plan, done, settings, workspace, "withdrawal", document, view, ledger)
            if view.is_current and view.next_review is not None \
                    and (view.next_review - today).days <= settings.review_reminder_days:
                key = f"review:{r.doc_id}:{r.version}:{view.next_review.isoformat()}"
                if key in done:
                    continue
                counts = feedback_counts(ledger) if counts is None else counts
                to = (settings.owners[r.owner],) if r.owner in settings.owners \
                    else settings.departments.get(r.department, ())
                if not to:
                    plan.unaddressed.append(f"{r.doc_id} {r.version} 定期回顾提醒：流程负责人“{r.owner}”和主责部门"
                                            f"“{r.department}”都没有配置邮箱")
                    continue
                subject, body = review_text(view, today, counts.get(r.doc_id, 0), settings.portal_url)
                plan.notices.append(Notice(key, "review", r.doc_id, r.version, to, subject, body))
    return plan


def _per_department(plan: Plan, done: set[str], settings: NoticeSettings, workspace: Workspace, kind: str,
                    document: DocumentView, view: VersionView, ledger: Ledger) -> None:
    r = view.record
    facts = read_facts(workspace.outbox, r)
    departments = facts.departments or (r.department,)
    entry: RevisionEntry | None = None
    for department in departments:
        key = f"{kind}:{r.doc_id}:{r.version}:{department}"
        if key in done:
            continue
        to = settings.departments.get(department, ())
        if not to:
            word = "发布通知" if kind == "release" else "废止通知"
            plan.unaddressed.append(f"{r.doc_id} {r.version} {word}：适用部门“{department}”没有配置邮箱")
            continue
        if kind == "release":
            if entry is None:
                entry = ledger.history(r.doc_id).revision_entries.get(r.version)
            subject, body = release_text(document, view, department, facts.departments, facts.roles, entry,
                                         settings.portal_url)
        else:
            subject, body = withdrawal_text(view, department, settings.portal_url)
        plan.notices.append(Notice(key, kind, r.doc_id, r.version, to, subject, body))


def _link(portal_url: str, doc_id: str) -> str:
    return f"{portal_url}/doc/{quote(doc_id)}"


def release_text(document: DocumentView, view: VersionView, department: str, departments: tuple[str, ...],
                 roles: tuple[str, ...], entry: RevisionEntry | None, portal_url: str) -> tuple[str, str]:
    r = view.record
    day = r.effective_date.isoformat()
    subject = f"【流程发布】{r.name}（{r.doc_id} {r.version}）自 {day} 起生效"
    lines = [f"{department}：", "",
             f"《{r.name}》（流程编号 {r.doc_id}，版本 {r.version}）自 {day} 起生效，请本部门相关人员知悉并遵照执行。", "",
             f"适用部门：{'、'.join(departments) or r.department}"]
    if roles:
        lines.append(f"适用角色：{'、'.join(roles)}")
    lines += [f"流程负责人：{r.owner}", f"终审人：{r.approver}"]
    if entry is not None:
        lines.append(f"本次修订：{entry.content}" + (f"（原因：{entry.reason}）" if entry.reason else ""))
    older = [v for v in document.versions if v.status is Status.SUPERSEDED and v.expiry == r.effective_date]
    for old in older:
        lines.append(f"废止旧版本：{old.record.version} 自 {day} 起失效，请停止使用旧版本及其打印件。")
    lines += [f"查看与下载：{_link(portal_url, r.doc_id)}", "",
              "如对流程有疑问或改进建议，请在上述页面提交“问题反馈”。", SIGNATURE]
    return subject, "\n".join(lines) + "\n"


def review_text(view: VersionView, today: date, feedback: int, portal_url: str) -> tuple[str, str]:
    r = view.record
    assert view.next_review is not None
    due = view.next_review.isoformat()
    days = (view.next_review - today).days
    when = f"已逾期 {-days} 天" if days < 0 else ("今天到期" if days == 0 else f"还有 {days} 天")
    subject = f"【定期回顾提醒】{r.name}（{r.doc_id} {r.version}）应于 {due} 前完成回顾"
    lines = [f"{r.owner}：", "",
             f"您负责的《{r.name}》（流程编号 {r.doc_id}，现行版本 {r.version}，生效日期 "
             f"{r.effective_date.isoformat()}）应于 {due} 前完成定期回顾（{when}）。", "",
             f"收到的问题反馈：{feedback} 条，请在回顾时一并处理。",
             f"查看文件与反馈：{_link(portal_url, r.doc_id)}", "", SIGNATURE]
    return subject, "\n".join(lines) + "\n"


def withdrawal_text(view: VersionView, department: str, portal_url: str) -> tuple[str, str]:
    r = view.record
    assert view.expiry is not None
    day = view.expiry.isoformat()
    subject = f"【流程废止】{r.name}（{r.doc_id} {r.version}）自 {day} 起废止"
    lines = [f"{department}：", "",
             f"《{r.name}》（流程编号 {r.doc_id}，版本 {r.version}）自 {day} 起废止，不得再作为现行文件使用。", ""]
    if view.withdrawal_reason:
        lines.append(f"废止原因：{view.withdrawal_reason}")
    lines += [f"流程负责人：{r.owner}", f"查看记录：{_link(portal_url, r.doc_id)}", "",
              "请回收本部门持有的纸质副本。", SIGNATURE]
    return subject, "\n".join(lines) + "\n"
