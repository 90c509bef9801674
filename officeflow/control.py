"""Document control around the archive: status, withdrawal, reviews due, next ID, verify, rebuild."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from officeflow.archive import MANIFEST_SUFFIX, inside, read_manifests
from officeflow.diff import describe_changes
from officeflow.errors import NotFoundError, OfficeflowError
from officeflow.fsutil import atomic_write_bytes, sha256_file
from officeflow.ledger import Event, SqliteLedger
from officeflow.lifecycle import VersionState, next_review_date, states_on
from officeflow.pipeline import export_register_from_ledger, load_archived
from officeflow.records import RevisionEntry, Status, VersionRecord, Withdrawal
from officeflow.settings import Workspace


@dataclass(frozen=True)
class VersionLine:
    record: VersionRecord
    state: VersionState
    next_review: date | None


def status_report(workspace: Workspace, ledger: SqliteLedger, doc_id: str,
                  today: date | None = None) -> list[VersionLine]:
    """Every version of one document with its status on `today`, oldest first."""
    today = today or date.today()
    history = ledger.history(doc_id)
    if not history.versions:
        raise NotFoundError(f"流程编号 {doc_id} 不在台账中 (no such document)")
    states = states_on(history.versions, today, history.withdrawn)
    months = workspace.settings.review_interval_months
    return [VersionLine(v, states[v.version],
                        next_review_date(v.effective_date, months)
                        if states[v.version].status in (Status.CURRENT, Status.PENDING) else None)
            for v in history.versions]


def withdraw(workspace: Workspace, ledger: SqliteLedger, doc_id: str, reason: str,
             today: date | None = None, actor: str = "") -> list[str]:
    """Withdraw (已废止) every live version of a document; nothing is deleted.

    The withdrawal is also written into each version's manifest, so `register rebuild`
    can restore it. A withdrawn 流程编号 comes back only with a new version.
    """
    today = today or date.today()
    if not reason.strip():
        raise OfficeflowError("请用 --reason 写明废止原因 (a reason is required)")
    history = ledger.history(doc_id)
    if not history.versions:
        raise NotFoundError(f"流程编号 {doc_id} 不在台账中 (no such document)")
    targets = [v for v in history.versions if v.version not in history.withdrawn]
    if not targets:
        return []
    for record in targets:
        manifest_path = inside(workspace.outbox, record.manifest_path)
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            manifest["withdrawn"] = {"on": today.isoformat(), "reason": reason, "actor": actor}
            text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
            atomic_write_bytes(manifest_path, text.encode("utf-8"))
    ledger.withdraw(
        [Withdrawal(doc_id, v.version, today, reason, actor) for v in targets],
        [Event("withdrawn", doc_id, v.version, v.document_path, v.document_sha256, reason)
         for v in targets],
    )
    export_register_from_ledger(workspace, ledger, today)
    return [v.version for v in targets]


@dataclass(frozen=True)
class DueReview:
    record: VersionRecord
    due: date
    days_left: int  # negative: overdue


def due_reviews(workspace: Workspace, ledger: SqliteLedger, within_days: int = 30,
                today: date | None = None) -> list[DueReview]:
    """Current documents whose periodic review (复审) is due within N days or overdue."""
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


def next_id(ledger: SqliteLedger, prefix: str, year: int | None = None, width: int = 3) -> str:
    """The next free 流程编号 under `PREFIX[-CAT]-YYYY-NNN`."""
    year = year or date.today().year
    prefix = prefix.strip().upper().rstrip("-")
    if not re.fullmatch(r"[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)?", prefix):
        raise OfficeflowError(f"前缀“{prefix}”格式不对，应为 PREFIX 或 PREFIX-CAT，如 CRM-CS")
    pattern = re.compile(rf"^{re.escape(prefix)}-{year}-(\d+)$")
    used = [int(m[1]) for v in ledger.versions() if (m := pattern.match(v.doc_id))]
    return f"{prefix}-{year}-{(max(used) + 1 if used else 1):0{width}d}"


def diff_versions(workspace: Workspace, ledger: SqliteLedger, doc_id: str, old: str,
                  new: str) -> list[str]:
    """The comparison of two archived versions, as the drafted revision entry would say it."""
    history = ledger.history(doc_id)
    documents = []
    for version in (old, new):
        record = history.version(version)
        if record is None:
            raise NotFoundError(f"{doc_id} 没有版本 {version} (no such version)")
        parsed = load_archived(workspace, record)
        if parsed is None:
            raise NotFoundError(f"{doc_id} {version} 的源文件缺失或无法读取: {record.source_path}")
        documents.append(parsed)
    return describe_changes(documents[0], documents[1])


# ---------------------------------------------------------------- verify and rebuild


@dataclass
class VerifyReport:
    edited: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)
    broken_events: list[int] = field(default_factory=list)  # ids whose hash or link is wrong

    @property
    def ok(self) -> bool:
        return not (self.edited or self.missing or self.stray or self.broken_events)


def _event_hash(row: dict[str, object]) -> str:
    body = {k: v for k, v in row.items() if k not in ("id", "hash")}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def verify(workspace: Workspace, ledger: SqliteLedger) -> VerifyReport:
    """Re-hash every archived file against the ledger, look for strays, check the event chain."""
    report = VerifyReport()
    expected: set[Path] = set()
    for record in ledger.versions():
        for relative, digest in ((record.document_path, record.document_sha256),
                                 (record.source_path, record.source_sha256)):
            path = inside(workspace.outbox, relative)
            expected.add(path)
            if not path.exists():
                report.missing.append(relative)
            elif sha256_file(path) != digest:
                report.edited.append(relative)
        expected.add(inside(workspace.outbox, record.manifest_path))
    skip = {workspace.register_path.resolve()}
    training = (workspace.outbox / workspace.settings.training_folder).resolve()
    for path in sorted(workspace.outbox.rglob("*")):
        resolved = path.resolve()
        if (path.is_dir() or resolved in expected or resolved in skip or path.name.startswith(".")
                or resolved.is_relative_to(training)):
            continue
        report.stray.append(path.relative_to(workspace.outbox).as_posix())
    previous = ""
    for row in ledger.events():
        if row["prev_hash"] != previous or _event_hash(row) != row["hash"]:
            report.broken_events.append(int(row["id"]))
        previous = row["hash"]
    return report


def rebuild(workspace: Workspace, ledger: SqliteLedger, today: date | None = None) -> int:
    """Reconstruct the ledger's documents from the archive's manifests; returns versions found."""
    records: list[VersionRecord] = []
    entries: list[tuple[str, RevisionEntry]] = []
    withdrawals: list[Withdrawal] = []
    for manifest in read_manifests(workspace.outbox):
        doc_id, version = manifest["doc_id"], manifest["version"]
        folder = Path(manifest["files"]["document"]).parent.as_posix()
        records.append(VersionRecord(
            doc_id=doc_id, version=version, kind=manifest["kind"], name=manifest["name"],
            effective_date=date.fromisoformat(manifest["effective_date"]),
            category=manifest["category"], department=manifest["department"], owner=manifest["owner"],
            approver=manifest["approver"], document_path=manifest["files"]["document"],
            source_path=manifest["files"]["source"],
            manifest_path=f"{folder}/{Path(manifest['files']['document']).stem}{MANIFEST_SUFFIX}",
            source_sha256=manifest["source_sha256"], document_sha256=manifest["document_sha256"],
            received_at=datetime.fromisoformat(manifest["received_at"]),
            kind_label=manifest.get("kind_label", ""),
        ))
        for entry in manifest.get("revision_history", []):
            entries.append((doc_id, RevisionEntry(
                entry["version"], date.fromisoformat(entry["date"]) if entry.get("date") else None,
                entry.get("content", ""), entry.get("reason", ""), entry.get("author", ""),
                entry.get("reviewer", ""))))
        if "withdrawn" in manifest:
            w = manifest["withdrawn"]
            withdrawals.append(Withdrawal(doc_id, version, date.fromisoformat(w["on"]), w["reason"],
                                          w.get("actor", "")))
    ledger.rebuild(records, entries, withdrawals,
                   [Event("rebuilt", detail=f"{len(records)} versions from manifests")])
    export_register_from_ledger(workspace, ledger, today)
    return len(records)
