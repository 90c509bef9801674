"""Re-render reading copies from their archived source workbooks with the current templates.

Only the reading copies in outbox/ are ever rewritten; the as-issued records in records/
stay as they were issued. Each version goes through the pipeline's own check → stamp → plan → render steps, with the
document's history as it stood when that version was issued (so V1.0's revision table does
not list V1.1), and the status it has today (so a superseded version shows 已失效). Output is
deterministic, so only documents whose rendering changed are rewritten.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from officeflow.archive import inside
from officeflow.errors import NotFoundError, OfficeflowError, TemplateError
from officeflow.fsutil import atomic_write_bytes, sha256_bytes
from officeflow.ledger_protocol import Event, Ledger
from officeflow.lifecycle import states_on
from officeflow.manifest import Manifest
from officeflow.marks import Marking
from officeflow.records import DocumentHistory, Status, VersionRecord
from officeflow.remark import Markings, markings_today, stale_markings
from officeflow.settings import Workspace
from officeflow.versions import version_key

# The rendering machinery (pipeline, render, stamp: docxtpl, openpyxl, the flowchart drawing)
# is imported where a copy is first rendered, so the re-marking pass before every register
# export (officeflow.remark) loads none of it when nothing is stale.
if TYPE_CHECKING:
    import multiprocessing.context

    from click._termui_impl import ProgressBar

    from officeflow.pipeline import OutputPlan

_EVENT_BATCH = 500


class Change(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    """One archived version to re-render: its record, its history as of then, its status now."""

    record: VersionRecord
    history: DocumentHistory
    status: Status
    today: date
    marking: Marking | None = None  # what the reading copy must say (default: from status)


@dataclass(frozen=True)
class Regenerated:
    """What happened to one version."""

    doc_id: str
    version: str
    document: str  # relative to outbox/
    change: Change
    status: str = ""
    sha256: str = ""
    message: str = ""
    ledger_stale: bool = False  # the ledger's document_sha256 differs from the file on disk
    marking: str = ""  # Marking.key of the rendered copy


@dataclass
class RegenerateSummary:
    """changed / unchanged / failed, each a list of Regenerated; dry_run wrote nothing."""

    changed: list[Regenerated] = field(default_factory=list)
    unchanged: list[Regenerated] = field(default_factory=list)
    failed: list[Regenerated] = field(default_factory=list)
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.changed) + len(self.unchanged) + len(self.failed)

    def add(self, item: Regenerated) -> None:
        {Change.CHANGED: self.changed, Change.UNCHANGED: self.unchanged,
         Change.FAILED: self.failed}[item.change].append(item)


def history_as_of(history: DocumentHistory, version: str) -> DocumentHistory:
    """The history a version was issued against: lower versions, their revision entries and its own."""
    key = version_key(version)
    return DocumentHistory(
        history.doc_id,
        [v for v in history.versions if version_key(v.version) < key],
        {v: e for v, e in history.revision_entries.items() if version_key(v) <= key},
    )


def statuses_today(history: DocumentHistory, today: date) -> dict[str, Status]:
    """Every version's status on `today`, withdrawal included."""
    return {v: s.status for v, s in states_on(history.versions, today, history.withdrawn).items()}


def plan_version(workspace: Workspace, record: VersionRecord, history: DocumentHistory,
                 source: bytes, status: Status, today: date, control_mark: str = "",
                 marking: Marking | None = None) -> OutputPlan:
    """The pipeline's plan for an archived version, re-read from its source workbook.

    `history` is the history as of that version; `status` is the one to show (today's) and
    `marking` what the copy says of it. `control_mark` overrides the header mark (training copies).
    """
    from officeflow.pipeline import check_document, plan_outputs
    from officeflow.stamp import stamp_document

    checked = check_document(source, workspace, lambda _doc_id: history, today)
    if checked.parsed is None or checked.context is None:
        problems = "; ".join(f.message for f in checked.findings[:3])
        raise OfficeflowError(f"归档的源工作簿无法读取 / archived workbook unreadable: {problems}")
    stamp = stamp_document(checked.parsed, checked.context)
    if stamp.version != record.version:
        raise OfficeflowError(f"源工作簿的版本为 {stamp.version}，与归档的 {record.version} 不符 / "
                              f"workbook version {stamp.version} does not match {record.version}")
    stamp = replace(stamp, status=status)
    plan = plan_outputs(checked.parsed, stamp, checked.context, workspace,
                        _original_name(workspace, record), record.received_at, marking)
    if control_mark:
        plan = replace(plan, context={**plan.context, "control_mark": control_mark})
    _check_variables(plan.template, plan.context)
    return plan


def _original_name(workspace: Workspace, record: VersionRecord) -> str:
    manifest = Manifest.read(inside(workspace.outbox, record.manifest_path))
    return manifest.original_file if manifest else Path(record.source_path).name


_checked: set[tuple[int, frozenset[str]]] = set()


def _check_variables(template: Path, context: dict[str, Any]) -> None:
    from officeflow.fastrender import prepared_template

    prepared = prepared_template(template)
    key = (id(prepared), frozenset(context))
    if key in _checked:
        return
    missing = prepared.undeclared_variables(context)
    if missing:
        raise TemplateError(f"{template.name} uses variables the kind does not provide: {sorted(missing)}")
    _checked.add(key)


def regenerate_one(workspace: Workspace, job: Job, write: bool = True) -> Regenerated:
    """Re-render one version; rewrite the document and its manifest only when they change."""
    from officeflow.render import render_docx

    record = job.record
    base = dict(doc_id=record.doc_id, version=record.version, document=record.document_path,
                status=job.status.value)
    try:
        source = inside(workspace.outbox, record.source_path).read_bytes()
        if sha256_bytes(source) != record.source_sha256:
            raise OfficeflowError("归档的源工作簿已损坏或被改动（SHA-256 不符）/ archived source "
                                  "workbook is corrupt or was altered (SHA-256 mismatch)")
        plan = plan_version(workspace, record, job.history, source, job.status, job.today,
                            marking=job.marking)
        document = render_docx(plan.template, plan.context, plan.properties)
        sha = sha256_bytes(document)
        target = inside(workspace.outbox, record.document_path)
        current = target.read_bytes() if target.exists() else None
        redrawn = _redraw_flowchart(workspace, record, plan.flowchart, write)
        change = Change.UNCHANGED if current == document and not redrawn else Change.CHANGED
        if write:
            if current != document:
                atomic_write_bytes(target, document)
            Manifest.change(inside(workspace.outbox, record.manifest_path),
                            document_sha256=sha, marking=plan.marking, **redrawn)
        return Regenerated(**base, change=change, sha256=sha,
                           ledger_stale=record.document_sha256 != sha, marking=plan.marking)
    except Exception as exc:  # one bad document never stops the batch
        message = str(exc) if isinstance(exc, OfficeflowError) else f"{type(exc).__name__}: {exc}"
        return Regenerated(**base, change=Change.FAILED, message=message)


def _redraw_flowchart(workspace: Workspace, record: VersionRecord, svg: bytes,
                      write: bool) -> dict[str, str]:
    """Rewrite the reading copy's `.flow.svg` when the drawing of the same steps changed.

    Same steps and drawing → the same bytes, so a template change leaves the file alone. Only a
    version whose manifest lists a diagram gets one (a version issued before flowcharts keeps
    its archive as it was); the as-issued diagram in records/ is never rewritten.
    Returns the manifest change ({} when nothing changed).
    """
    manifest = Manifest.read(inside(workspace.outbox, record.manifest_path))
    relative = manifest.flowchart[0] if manifest else ""
    if not relative or not svg:
        return {}
    target = inside(workspace.outbox, relative)
    if target.is_file() and target.read_bytes() == svg:
        return {}
    if write:
        atomic_write_bytes(target, svg)
    return {"flowchart_sha256": sha256_bytes(svg)}


def select_jobs(ledger: Ledger, doc_ids: list[str] | None, kind: str | None,
                today: date) -> list[Job]:
    """The versions to regenerate (all when doc_ids is None or empty), oldest version first."""
    versions = ledger.versions()
    if doc_ids:
        known = {v.doc_id for v in versions}
        unknown = [d for d in doc_ids if d not in known]
        if unknown:
            raise NotFoundError(f"未找到流程编号 / unknown document(s): {', '.join(unknown)}")
        wanted = set(doc_ids)
        versions = [v for v in versions if v.doc_id in wanted]
    if kind:
        versions = [v for v in versions if v.kind == kind]
    markings = markings_today(ledger, today)
    jobs: list[Job] = []
    histories: dict[str, tuple[DocumentHistory, dict[str, Status]]] = {}
    for record in versions:
        if record.doc_id not in histories:
            history = ledger.history(record.doc_id)
            histories[record.doc_id] = (history, statuses_today(history, today))
        history, statuses = histories[record.doc_id]
        jobs.append(Job(record, history_as_of(history, record.version), statuses[record.version], today,
                        markings[(record.doc_id, record.version)]))
    return jobs


def _start_worker(workspace: Workspace) -> None:
    """Worker initializer: die with the parent; share the workspace's flowchart cache."""
    from officeflow.pipeline import use_flowchart_cache

    _die_with_parent()
    use_flowchart_cache(workspace)


def _die_with_parent() -> None:
    """Worker initializer: the kernel kills the worker when the parent dies (Linux)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: workers notice the broken pipe instead
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _pool_context() -> multiprocessing.context.BaseContext:
    import multiprocessing

    # fork is cheapest (templates and imports are inherited) but unsafe with threads running.
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run(workspace: Workspace, jobs: list[Job], write: bool, workers: int) -> Iterator[Regenerated]:
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield regenerate_one(workspace, job, write)
        return
    from concurrent.futures import ProcessPoolExecutor

    import officeflow.pipeline  # noqa: F401 - loaded before forking: each worker inherits it

    chunk = max(1, min(64, len(jobs) // (workers * 8)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(),
                             initializer=_start_worker, initargs=(workspace,)) as pool:
        yield from pool.map(_worker, ((workspace, job, write) for job in jobs), chunksize=chunk)


def _worker(args: tuple[Workspace, Job, bool]) -> Regenerated:
    return regenerate_one(*args)


def regenerate(workspace: Workspace, ledger: Ledger, doc_ids: list[str] | None = None,
               kind: str | None = None, dry_run: bool = False, workers: int | None = None,
               progress: bool = False, today: date | None = None) -> RegenerateSummary:
    """Re-render archived versions in parallel; rewrite changed ones; one audit event each."""
    started = time.perf_counter()
    today = today or date.today()
    jobs = select_jobs(ledger, doc_ids, kind, today)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    summary = RegenerateSummary(dry_run=dry_run)
    pending: list[Regenerated] = []
    with _progress_bar(len(jobs), progress) as bar:
        for item in _run(workspace, jobs, not dry_run, workers):
            summary.add(item)
            if bar:
                bar.update(1, summary)
            if not dry_run:
                pending.append(item)
                if len(pending) >= _EVENT_BATCH:
                    record_events(ledger, pending)
                    pending = []
    if pending:
        record_events(ledger, pending)
    summary.seconds = time.perf_counter() - started
    return summary


def record_events(ledger: Ledger, items: Iterable[Regenerated], event: str = "regenerated") -> None:
    items = list(items)
    failed = {"regenerated": "regenerate-failed", "remarked": "remark-failed"}[event]
    updates = [(i.doc_id, i.version, i.sha256, i.marking) for i in items if i.change is not Change.FAILED]
    events = [Event(failed if i.change is Change.FAILED else event,
                    i.doc_id, i.version, i.document, i.sha256,
                    i.message if i.change is Change.FAILED else f"{i.change.value} ({i.status})")
              for i in items]
    ledger.set_reading_copies(updates, events)


def _progress_bar(total: int, shown: bool) -> AbstractContextManager[ProgressBar[RegenerateSummary] | None]:
    """click's bar on stderr (position, percent, ETA, documents per second), or nothing."""
    if not shown:  # the CLI shows it only on a terminal: a log file gets the summary alone
        return nullcontext()
    started = time.perf_counter()

    def rate(summary: RegenerateSummary | None) -> str | None:
        if summary is None:
            return None
        per_second = summary.total / max(time.perf_counter() - started, 1e-9)
        return f"{per_second:.1f} docs/s" + (f", {len(summary.failed)} failed" if summary.failed else "")

    return click.progressbar(length=total, label="regenerate", show_pos=True, show_percent=True, item_show_func=rate,
                             file=sys.stderr)


def stale_jobs(ledger: Ledger, stale: Markings, today: date) -> list[Job]:
    """A regenerate Job for each stale version, oldest version first, documents in ledger order."""
    jobs: list[Job] = []
    for doc_id in dict.fromkeys(d for d, _ in stale):
        history = ledger.history(doc_id)
        statuses = statuses_today(history, today)
        jobs.extend(Job(record, history_as_of(history, record.version), statuses[record.version], today,
                        stale[(doc_id, record.version)])
                    for record in history.versions if (doc_id, record.version) in stale)
    return jobs


def refresh_markings(workspace: Workspace, ledger: Ledger, today: date,
                     stale: Markings | None = None) -> RegenerateSummary:
    """Re-render the reading copies whose status marking differs from today's (one event each).

    `stale`: those copies, when a pass over the ledger already found them (the register export's
    in officeflow.publish); otherwise `stale_markings` reads the ledger for them.
    """
    if stale is None:
        stale = stale_markings(workspace, ledger, today)
    if not stale:
        return RegenerateSummary()
    summary = RegenerateSummary()
    items = [regenerate_one(workspace, job) for job in stale_jobs(ledger, stale, today)]
    for item in items:
        summary.add(item)
    record_events(ledger, items, event="remarked")
    return summary
