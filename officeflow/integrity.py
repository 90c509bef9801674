"""`verify` and `register rebuild`: the archive, the manifests and the audit trail agree, or we say where not.

What seals what:
- each audit event seals the one before it (hash chain); the head (last id and hash) is
  also written to a file beside the ledger, so deleting the last events shows;
- the `issued` event of a version carries the as-issued document's SHA-256 and the hash
  of its manifest's as-issued part (`Manifest.seal`);
- every rewrite of a reading copy is an event carrying its new SHA-256.
So a forged file plus an edited ledger row, or an edited manifest, disagrees with the chain.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from officeflow.archive import RECORDS_FOLDER, inside
from officeflow.chain import (
    check_chain,
    copies_from_events,
    copies_vs_chain,
    read_head,
    row_vs_manifest,
    seal_of,
    withdrawals_vs_chain,
)
from officeflow.errors import OfficeflowError
from officeflow.fsutil import sha256_file
from officeflow.ledger import Event, Ledger, chain_hash, open_ledger
from officeflow.ledger_errors import database_errors
from officeflow.manifest import Manifest
from officeflow.publish import publish
from officeflow.records import RevisionEntry, VersionRecord, Withdrawal
from officeflow.settings import Workspace

_COPY_WRITES = ("issued", "restored", "regenerated", "remarked")  # events that set a reading copy's hash
# "restored": appended by a rebuild that found no audit trail, sealing what the manifests said then.
_ISSUE_EVENTS = ("issued", "restored")
_ADOPTED = "record-adopted"  # the as-issued record of a version issued before records/ existed
ANCHOR_LOST = "anchor-lost"  # appended by the ledger when it found its anchored head gone
_SHOWN_DAMAGE = 5  # SQLite lists up to 100 problems; the first few say enough
REBUILD_HINT = "请运行 officeflow register rebuild 从归档重建台账（损坏的台账文件会原样保留）"


@dataclass
class VerifyReport:
    edited: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)
    broken_events: list[int] = field(default_factory=list)  # ids whose hash or link is wrong
    problems: list[str] = field(default_factory=list)  # everything else, one sentence each

    @property
    def ok(self) -> bool:
        return not (self.edited or self.missing or self.stray or self.broken_events or self.problems)


def verify(workspace: Workspace, ledger: Ledger) -> VerifyReport:
    """The database's own check, every file against the ledger and the chain, strays, the chain itself."""
    report = VerifyReport()
    damage = ledger.integrity_problems()
    report.problems += [f"台账数据库损坏：{p}" for p in damage[:_SHOWN_DAMAGE]]
    if len(damage) > _SHOWN_DAMAGE:
        report.problems.append(f"台账数据库损坏：另有 {len(damage) - _SHOWN_DAMAGE} 处")
    if damage:
        report.problems.append(REBUILD_HINT)
    try:
        events, versions = ledger.events(), ledger.versions()
    except database_errors() as exc:  # too damaged to read: the check above says so
        if not damage:
            report.problems += [f"台账数据库损坏：{exc}", REBUILD_HINT]
        return report
    issued = {(e["doc_id"], e["version"]): e for e in events if e["event"] in _ISSUE_EVENTS}
    last_copy: dict[tuple[str, str], str] = {}
    for e in events:
        if e["event"] in _COPY_WRITES:
            last_copy[(e["doc_id"], e["version"])] = e["sha256"]
        elif e["event"] == _ADOPTED:  # a version issued before records/: its record was adopted later
            issued[(e["doc_id"], e["version"])] = {**issued.get((e["doc_id"], e["version"]), e),
                                                    "sha256": e["sha256"]}
        elif e["event"] == ANCHOR_LOST:
            said, _, what = e["detail"].partition("：")
            report.problems.append(f"{said}：记录 #{e['id']} 写入时，{what}")
    records_root = workspace.root / RECORDS_FOLDER
    expected: set[Path] = set()
    for record in versions:
        key = (record.doc_id, record.version)
        files = [(workspace.outbox, record.document_path, record.document_sha256),
                 (workspace.outbox, record.source_path, record.source_sha256)]
        if record.issued_path:
            files.append((records_root, record.issued_path, record.issued_sha256))
        files += _flowchart_files(workspace, inside(workspace.outbox, record.manifest_path))
        for root, relative, digest in files:
            path = inside(root, relative)
            expected.add(path)
            shown = path.relative_to(workspace.root).as_posix()
            if not path.is_file():
                report.missing.append(shown)
            elif sha256_file(path) != digest:
                report.edited.append(shown)
        manifest_path = inside(workspace.outbox, record.manifest_path)
        expected.add(manifest_path)
        report.problems += _check_against_chain(record, issued.get(key), last_copy.get(key), manifest_path)
    report.problems += withdrawals_vs_chain(events, _readable(ledger.withdrawals, []))
    report.problems += copies_vs_chain(events, _readable(ledger.training_copies, []))
    report.stray = _strays(workspace, expected)
    report.broken_events, chain_problems = check_chain(events, ledger.anchored_head())
    report.problems += chain_problems
    return report


def _flowchart_files(workspace: Workspace, manifest_path: Path) -> list[tuple[Path, str, str]]:
    """The version's diagram (reading copy, as issued) with the hashes its manifest gives.

    Only the manifest knows them (the ledger row predates flowcharts); its as-issued hash is
    sealed by the `issued` event, so an edited manifest shows in the chain check.
    """
    manifest = Manifest.read(manifest_path)
    if manifest is None:
        return []
    copy, copy_sha, issued, issued_sha = manifest.flowchart
    files = [(workspace.outbox, copy, copy_sha)] if copy else []
    if issued.startswith(f"{RECORDS_FOLDER}/"):
        files.append((workspace.root / RECORDS_FOLDER, issued.removeprefix(f"{RECORDS_FOLDER}/"), issued_sha))
    return files


def _head_path(workspace: Workspace) -> Path:
    return workspace.ledger_path.with_name(workspace.ledger_path.name + ".head")


def _check_against_chain(record: VersionRecord, issued: dict[str, str] | None, copy_sha: str | None,
                         manifest_path: Path) -> list[str]:
    name = f"{record.doc_id} {record.version}"
    if issued is None:
        return [f"{name}：审计记录中没有发布事件"]
    problems: list[str] = []
    if record.issued_sha256 and issued["sha256"] != record.issued_sha256:
        problems.append(f"{name}：台账中的发布文件哈希与审计记录不符（台账被改动）")
    if copy_sha is not None and copy_sha != record.document_sha256:
        problems.append(f"{name}：台账中的阅读副本哈希与审计记录不符（台账被改动）")
    seal = seal_of(issued)
    manifest = Manifest.read(manifest_path)
    if seal and manifest is not None and manifest.seal() != seal:
        problems.append(f"{name}：清单 {manifest_path.name} 与发布时的内容不符（清单被改动）")
    elif seal and manifest is not None:  # the manifest is as issued: the ledger row must say the same
        problems += row_vs_manifest(record, manifest.record())
    return problems


# Placeholders and desktop metadata are nobody's document; everything else unexpected is reported.
_NOT_STRAY = frozenset({".gitkeep", ".keep", "thumbs.db", "desktop.ini", ".ds_store"})


def _strays(workspace: Workspace, expected: set[Path]) -> list[str]:
    skip = {workspace.register_path.resolve()}
    training = (workspace.outbox / workspace.settings.training_folder).resolve()
    stray: list[str] = []
    for root in (workspace.outbox, workspace.root / RECORDS_FOLDER):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            resolved = path.resolve()
            if (path.is_dir() or resolved in expected or resolved in skip or resolved.is_relative_to(training)
                    or path.name.lower() in _NOT_STRAY):
                continue
            stray.append(path.relative_to(workspace.root).as_posix())
    return stray


# ---------------------------------------------------------------- rebuild


@dataclass
class RebuildReport:
    versions: int = 0
    copies: int = 0
    set_aside: str = ""  # the damaged ledger, kept under this name
    salvaged_events: int = 0
    lost_events: int = 0  # the ledger file was gone: how many events its anchor said it held
    untrusted: list[str] = field(default_factory=list)  # manifests that disagree with the chain
    notes: list[str] = field(default_factory=list)  # what could not be recovered, in plain words


def rebuild(workspace: Workspace, today: date | None = None) -> RebuildReport:
    """Rebuild the ledger's state from the archive's manifests, checked against the audit trail.

    A damaged ledger is never deleted: it is set aside, its readable events are carried
    into a fresh ledger, and the state is rebuilt there.
    """
    report = RebuildReport()
    # Read before opening: opening a deleted ledger creates an empty one.
    on_file = not workspace.ledger_url  # a PostgreSQL ledger is the server's to repair and back up
    head = read_head(_head_path(workspace)) if on_file and not workspace.ledger_path.exists() else None
    ledger = open_ledger(workspace.ledger_path, workspace.ledger_url)
    damaged = ledger.integrity_problems()
    events = _readable(ledger.events, [])
    kept = _kept(ledger)
    if damaged and not on_file:
        ledger.close()
        raise OfficeflowError("PostgreSQL 台账检查未通过：" + "；".join(damaged[:_SHOWN_DAMAGE])
                              + "。请由数据库管理员修复或从备份恢复后再重建。")
    if damaged:
        ledger.close()
        report.set_aside = _set_aside(workspace.ledger_path)
        ledger = open_ledger(workspace.ledger_path)  # a fresh SQLite file after setting the damaged one aside
        report.salvaged_events = _restore_events(ledger, events)
        report.notes.append(f"台账数据库已损坏，原文件保留为 {report.set_aside}；"
                            f"找回审计记录 {report.salvaged_events} 条")
    elif not events and head is not None and head[0]:
        # The ledger file was deleted: its anchor is evidence of how much was lost; keep it aside.
        report.lost_events = head[0]
        _set_aside_head(workspace)
    try:
        _rebuild_into(workspace, ledger, events, report, kept, complete=not damaged)
        publish(workspace, ledger, today)
    finally:
        ledger.close()
    return report


T = TypeVar("T")


def _readable(read: Callable[[], T], otherwise: T) -> T:
    """What a possibly damaged ledger still gives."""
    try:
        return read()
    except database_errors():
        return otherwise


def _free_name(path: Path, label: str) -> Path:
    """`<path>.<label>-<stamp>`, never the name of evidence already set aside (two in one second)."""
    target = path.with_name(f"{path.name}.{label}-{datetime.now():%Y%m%d-%H%M%S}")
    candidate, n = target, 1
    while any(Path(f"{candidate}{s}").exists() for s in ("", "-wal", "-shm", ".head")):
        n += 1
        candidate = target.with_name(f"{target.name}-{n}")
    return candidate


def _set_aside_head(workspace: Workspace) -> None:
    head = _head_path(workspace)
    head.rename(_free_name(head, "orphaned"))


def _set_aside(path: Path) -> str:
    target = _free_name(path, "damaged")
    for suffix in ("", "-wal", "-shm", ".head"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            shutil.move(part, f"{target}{suffix}")
    return target.name


def _restore_events(ledger: Ledger, events: list[dict[str, str]]) -> int:
    """Carry readable events into the fresh ledger verbatim (ids and hashes kept) up to the first break."""
    intact: list[dict[str, str]] = []
    previous = ""
    for row in events:
        if row["prev_hash"] != previous or chain_hash(row) != row["hash"]:
            break
        intact.append(row)
        previous = row["hash"]
    ledger.restore_events(intact)
    return len(intact)


@dataclass
class _Kept:
    """What the ledger held before the rebuild: kept for a version whose manifest is refused."""

    records: dict[tuple[str, str], VersionRecord] = field(default_factory=dict)
    entries: dict[tuple[str, str], RevisionEntry] = field(default_factory=dict)
    withdrawals: dict[tuple[str, str], Withdrawal] = field(default_factory=dict)
    markings: dict[tuple[str, str], str] = field(default_factory=dict)


def _kept(ledger: Ledger) -> _Kept:
    kept = _Kept()
    records = _readable(ledger.versions, [])
    kept.records = {(r.doc_id, r.version): r for r in records}
    for doc_id in {r.doc_id for r in records}:
        history = _readable(lambda d=doc_id: ledger.history(d), None)
        for version, entry in (history.revision_entries.items() if history else ()):
            kept.entries[(doc_id, version)] = entry
    kept.withdrawals = {(w.doc_id, w.version): w for w in _readable(ledger.withdrawals, [])}
    kept.markings = _readable(ledger.markings, {})
    return kept


def _rebuild_into(workspace: Workspace, ledger: Ledger, events: list[dict[str, str]],
                  report: RebuildReport, kept: _Kept, complete: bool) -> None:
    """`complete`: the trail is whole (a sound ledger), so a manifest it does not know was planted."""
    issued = {(e["doc_id"], e["version"]): e for e in events if e["event"] in _ISSUE_EVENTS}
    records: list[VersionRecord] = []
    restored: list[Event] = []
    entries: list[tuple[str, RevisionEntry]] = []
    withdrawals: list[Withdrawal] = []
    markings: dict[tuple[str, str], str] = {}
    for manifest in Manifest.read_all(workspace.outbox):
        key = doc_id, version = manifest.doc_id, manifest.version
        event = issued.get(key)
        refused = _refused(manifest, event, complete and bool(events))
        if refused:
            old = kept.records.get(key)
            if event is not None and old is not None and old.issued_sha256 in ("", event["sha256"]):
                report.untrusted.append(f"{doc_id} {version}：{refused}；保留台账中原有的记录")
                records.append(old)
                markings[key] = kept.markings.get(key, "")
                entries += [(doc_id, kept.entries[key])] if key in kept.entries else []
                withdrawals += [kept.withdrawals[key]] if key in kept.withdrawals else []
            else:
                report.untrusted.append(f"{doc_id} {version}：{refused}；此版本未列入台账")
            continue
        record = manifest.record()
        records.append(record)
        if event is None:  # no (whole) audit trail: seal what the archive says now, and say so
            if events:
                report.notes.append(f"{doc_id} {version}：找回的审计记录中没有它的发布事件，已按清单恢复")
            restored.append(Event("restored", doc_id, version, record.document_path,
                                  record.issued_sha256 or record.document_sha256,
                                  f"from manifest manifest:{manifest.seal()}"))
            if record.document_sha256 != (record.issued_sha256 or record.document_sha256):
                restored.append(Event("remarked", doc_id, version, record.document_path,
                                      record.document_sha256, "reading copy from manifest"))
        markings[key] = manifest.marking
        entries += [(doc_id, entry) for entry in manifest.revision_entries()]
        withdrawal = manifest.withdrawal()
        if withdrawal is not None:
            withdrawals.append(withdrawal)
            if event is None:  # sealed like the version itself
                restored.append(Event("withdrawn", doc_id, version, record.document_path,
                                      record.document_sha256, withdrawal.reason))
    lost = ""
    if not events:
        before = f"（台账文件已不在，原有审计记录 {report.lost_events} 条）" if report.lost_events else ""
        report.notes.append(f"审计记录缺失{before}：清单无法与审计记录核对，培训副本发放记录无法恢复")
        lost = f"; audit trail missing ({report.lost_events} events before)" if report.lost_events else \
            "; audit trail missing"
    copies = copies_from_events(events)
    report.versions, report.copies = len(records), len(copies)
    ledger.rebuild(records, entries, withdrawals, copies,
                   [*restored, Event("rebuilt", detail=f"{len(records)} versions from manifests, {len(copies)} training "
                                            f"copies from the audit trail, {len(report.untrusted)} manifests refused"
                                            f"{lost}")],
                   markings)


def _refused(manifest: Manifest, event: dict[str, str] | None, whole_chain: bool) -> str:
    """Why a manifest cannot be trusted ('' when it agrees with the chain, or the chain cannot say)."""
    if event is None:
        return "审计记录中没有它的发布事件（清单来历不明）" if whole_chain else ""
    seal = seal_of(event)
    if seal and manifest.seal() != seal:
        return "清单内容与发布时不符（被改动）"
    if manifest.issued_sha256 and manifest.issued_sha256 != event["sha256"]:
        return "清单中的发布文件哈希与审计记录不符"
    return ""
