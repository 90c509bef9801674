"""The recipe: read → model → validate → stamp → plan → render → archive → ledger.

The register and the reading copies of other versions follow from the ledger
(officeflow.publish), once per batch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from officeflow import flowchart
from officeflow.archive import (
    RECORDS_FOLDER,
    ArchivePaths,
    Journal,
    plan_paths,
    read_journal,
    remove_version,
    write_journal,
    write_version,
)
from officeflow.diff import draft_entry
from officeflow.drafts import CONTENT_MISSING, MISSING_ENTRY, SCREEN_QUOTE, with_draft
from officeflow.duplicates import Duplicate, identical_copy, resaved_copy, said_of_identical_bytes
from officeflow.findings import Finding, error, has_errors
from officeflow.fsutil import pid_alive, sha256_bytes
from officeflow.gate import admit
from officeflow.ledger_errors import VersionTaken
from officeflow.ledger_protocol import Event, Ledger
from officeflow.lifecycle import VersionState
from officeflow.manifest import Manifest
from officeflow.marks import Marking, marking_for
from officeflow.model import ParsedDocument, parse_document
from officeflow.peek import identities, version_order
from officeflow.reader import Unreadable, read_workbook
from officeflow.records import DocumentHistory, RevisionEntry, Status, VersionRecord
from officeflow.render import (
    DocumentProperties,
    build_context,
    check_template,
    company_context,
    render_docx,
)
from officeflow.rulecontext import ArchiveNames, archived_names, resolved_version
from officeflow.rules import RuleContext
from officeflow.settings import Workspace
from officeflow.stamp import Stamp, stamp_document
from officeflow.tailor import tailored
from officeflow.validate import validate

PROCESS_JOURNAL = "process.outputs"  # `process` notes what it is about to archive (<name>-<pid>)


class Result(StrEnum):
    ISSUED = "issued"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


@dataclass
class Outcome:
    """What happened to one workbook."""

    file: str
    result: Result
    findings: list[Finding] = field(default_factory=list)
    doc_id: str = ""
    version: str = ""
    status: str = ""
    document: Path | None = None
    message: str = ""
    milliseconds: float = 0.0


@dataclass(frozen=True)
class OutputPlan:
    """Everything that will be written, computed before anything is."""

    template: Path
    context: dict[str, Any]
    properties: DocumentProperties
    paths: ArchivePaths
    record: VersionRecord
    entries: tuple[RevisionEntry, ...]  # revision entries the ledger does not know yet
    manifest: Manifest  # without the document hashes, known once rendered
    marking: str  # Marking.key of what the rendered copy shows
    flowchart: bytes = b""  # the whole diagram as SVG (`.flow.svg`); empty without steps


@dataclass(frozen=True)
class Checked:
    """A workbook after reading and validating: the parsed document (if any) and findings."""

    parsed: ParsedDocument | None
    findings: list[Finding]
    context: RuleContext | None


def word_template(workspace: Workspace, name: str) -> Path:
    """The workspace's own template, else the one shipped with officeflow."""
    own = workspace.templates / name
    if own.exists():
        return own
    return Path(str(resources.files("officeflow.bundled_templates") / name))


def check_workbook(data: bytes, workspace: Workspace, ledger: Ledger, today: date) -> Checked:
    """Read, model, validate and draft, against the document's history in the ledger."""
    return check_document(data, workspace, lambda doc_id: ledger.history(doc_id), today,
                          lambda: archived_names(ledger.iter_versions()))


def check_document(data: bytes, workspace: Workspace, history_of: Callable[[str], DocumentHistory],
                   today: date, names: Callable[[], ArchiveNames] | None = None) -> Checked:
    """read → model → (the archived twin, if any) → validate (pure) → draft revision entries."""
    try:
        raw = read_workbook(data)
    except Unreadable as exc:
        return Checked(None, exc.findings, None)
    raw.kind = tailored(raw.kind, workspace.settings)  # settings' review levels, controlled lists
    parsed = parse_document(raw, raw.epoch)
    doc_id = parsed.value("doc_id")
    history = history_of(doc_id) if doc_id else DocumentHistory("")
    context = RuleContext(workspace.settings, history, today, sha256_bytes(data),
                          archive_names=names() if names else None)
    context = replace(context, same_version=_archived_twin(workspace, parsed, context))
    findings = said_of_identical_bytes(validate(parsed, context), parsed, context)
    return Checked(parsed, draft_revision_entries(workspace, parsed, context, findings), context)


def preview(data: bytes, workspace: Workspace, ledger: Ledger, today: date) -> Duplicate | Checked:
    """What process would make of these bytes, writing nothing (validate): a duplicate, or the checks."""
    duplicate = identical_copy(sha256_bytes(data), ledger)
    if duplicate is not None:
        return duplicate
    checked = check_workbook(data, workspace, ledger, today)
    return resaved_copy(checked.findings, checked.parsed, checked.context) or checked


def _archived_twin(workspace: Workspace, parsed: ParsedDocument, ctx: RuleContext) -> ParsedDocument | None:
    """The archived source of the version this workbook claims to be, when that version is archived."""
    version = resolved_version(parsed, ctx)
    record = ctx.history.version(version) if version else None
    return load_archived(workspace, record) if record else None


def draft_revision_entries(workspace: Workspace, parsed: ParsedDocument, ctx: RuleContext,
                           findings: list[Finding]) -> list[Finding]:
    """Findings about a missing 修订内容 get officeflow's draft, compared with the latest archived version."""
    if not any(f.code in (MISSING_ENTRY, CONTENT_MISSING) for f in findings) or not ctx.history.versions:
        return findings
    previous = load_archived(workspace, ctx.history.versions[-1])
    version = resolved_version(parsed, ctx)
    if previous is None or previous.kind.key != parsed.kind.key or version is None:
        return findings
    record, screen = draft_entry(previous, parsed), draft_entry(previous, parsed, SCREEN_QUOTE)
    return [with_draft(f, parsed, version, record, screen) for f in findings]


def load_archived(workspace: Workspace, record: VersionRecord) -> ParsedDocument | None:
    """The parsed source workbook of an archived version (None if it is gone or unreadable)."""
    path = workspace.outbox / record.source_path
    try:
        raw = read_workbook(path.read_bytes())
    except (OSError, Unreadable):
        return None
    raw.kind = tailored(raw.kind, workspace.settings)  # an added review level is no finding on the archive
    return parse_document(raw, raw.epoch)


def use_flowchart_cache(workspace: Workspace) -> None:
    """Drawn diagrams are kept in `<workspace>/.cache/flowcharts`, shared by every process."""
    folder = workspace.root / ".cache" / "flowcharts"
    if flowchart.cache_folder() != folder:
        flowchart.use_cache_folder(folder)


def plan_outputs(parsed: ParsedDocument, stamp: Stamp, ctx: RuleContext, workspace: Workspace,
                 source_name: str, received_at: datetime, marking: Marking | None = None) -> OutputPlan:
    """Paths, template, context, ledger record and manifest for one version.

    `marking` is what the copy says of its status (default: the status at issue).
    """
    value = parsed.value
    paths = plan_paths(value("category"), value("department"), value("effective_date"),
                       value("doc_id"), stamp.version)
    marking = marking or marking_for(VersionState(stamp.status, None), value("effective_date"))
    use_flowchart_cache(workspace)
    hours = workspace.settings.workday_hours
    diagram = flowchart.svg_for(parsed, workday_hours=hours)
    settings = workspace.settings
    context = {**build_context(parsed, stamp, workday_hours=hours),
               **company_context(workspace.root, settings.company_name, settings.company_logo),
               **marking.context()}
    properties = DocumentProperties(
        title=value("name"), identifier=value("doc_id"), version=stamp.version,
        subject=parsed.kind.label, category=value("category"), author=value("owner"),
        issued=value("effective_date"),
    )
    record = VersionRecord(
        doc_id=value("doc_id"), version=stamp.version, kind=parsed.kind.key,
        kind_label=parsed.kind.label, name=value("name"), effective_date=value("effective_date"),
        category=value("category"), department=value("department"), owner=value("owner"),
        approver=stamp.approver, document_path=paths.document, source_path=paths.source,
        manifest_path=paths.manifest, source_sha256=ctx.source_sha256, document_sha256="",
        received_at=received_at, issued_path=paths.issued,
    )
    entries = tuple(e for e in stamp.revision_history if e.version not in ctx.history.revision_entries)
    manifest = Manifest.build(record, status_at_issue=stamp.status.value, supersedes=stamp.supersedes,
                              next_review=stamp.next_review_date, original_file=source_name,
                              history=stamp.revision_history, marking=marking.key,
                              flowchart=paths.flowchart if diagram else "",
                              flowchart_sha256=sha256_bytes(diagram) if diagram else "")
    return OutputPlan(word_template(workspace, parsed.kind.word_template), context, properties,
                      paths, record, entries, manifest, marking.key, diagram)


_checked_templates: set[tuple[Path, float]] = set()


def _check_once(template: Path, context: dict[str, Any]) -> None:
    key = (template, template.stat().st_mtime if template.exists() else 0.0)
    if key not in _checked_templates:
        check_template(template, context)
        _checked_templates.add(key)


def process_bytes(data: bytes, source_name: str, workspace: Workspace, ledger: Ledger,
                  today: date | None = None, received_at: datetime | None = None,
                  journal: Path | None = None) -> Outcome:
    """Run the whole pipeline on one workbook's bytes.

    `journal`: where to note the version's files just before they are written (intake keeps it
    in the claim's folder), so `abandon_uncommitted` can remove them if the ledger never records it.
    """
    started = time.perf_counter()
    today = today or date.today()
    received_at = received_at or datetime.now().replace(microsecond=0)
    sha = sha256_bytes(data)
    outcome = _process(data, sha, source_name, workspace, ledger, today, received_at, journal)
    outcome.milliseconds = (time.perf_counter() - started) * 1000
    return outcome


def _process(data: bytes, sha: str, source_name: str, workspace: Workspace, ledger: Ledger,
             today: date, received_at: datetime, journal: Path | None) -> Outcome:
    received = Event("received", file=source_name, sha256=sha)
    duplicate = identical_copy(sha, ledger)
    if duplicate is not None:
        return _duplicate(duplicate, ledger, received, source_name, sha)

    checked = check_workbook(data, workspace, ledger, today)
    doc_id = checked.parsed.value("doc_id") if checked.parsed else ""
    # One host per 流程编号 from here to record_issue (a no-op on SQLite, where one host issues).
    with ledger.document_lock(doc_id):
        if doc_id and checked.context and ledger.history(doc_id).versions != checked.context.history.versions:
            checked = check_workbook(data, workspace, ledger, today)  # another host issued meanwhile
        refused = _refused(checked, workspace, ledger, received, source_name, sha)
        if refused is not None:
            return refused
        assert checked.parsed is not None and checked.context is not None
        try:
            return _issue(data, sha, source_name, workspace, ledger, received, received_at, checked, journal)
        except VersionTaken as exc:  # lost a race the lock could not see (another source, same version)
            finding = error("version.exists", str(exc), checked.parsed.source.field("version"))
            ledger.add_events([received, Event("rejected", doc_id, "", source_name, sha, str(exc))])
            return Outcome(source_name, Result.REJECTED, [finding], doc_id=doc_id)


def _refused(checked: Checked, workspace: Workspace, ledger: Ledger, received: Event, source_name: str,
             sha: str) -> Outcome | None:
    """The outcome when the workbook is not issued: the same content again, or errors."""
    parsed, findings = checked.parsed, checked.findings
    doc_id = parsed.value("doc_id") if parsed else ""
    duplicate = resaved_copy(findings, parsed, checked.context)  # identity is content
    if duplicate is not None:
        return _duplicate(duplicate, ledger, received, source_name, sha)
    if parsed is None or checked.context is None or has_errors(findings, workspace.settings.strict):
        errors = sum(1 for f in findings if f.severity == "error")
        ledger.add_events([received, Event("rejected", doc_id, "", source_name, sha,
                                           f"{errors} error(s), {len(findings) - errors} warning(s)")])
        return Outcome(source_name, Result.REJECTED, findings, doc_id=doc_id)
    return None


def _duplicate(duplicate: Duplicate, ledger: Ledger, received: Event, source_name: str, sha: str) -> Outcome:
    ledger.add_events([received, Event("duplicate", duplicate.doc_id, duplicate.version, source_name, sha,
                                       duplicate.message)])
    return Outcome(source_name, Result.DUPLICATE, doc_id=duplicate.doc_id, version=duplicate.version,
                   message=duplicate.message)


def _issue(data: bytes, sha: str, source_name: str, workspace: Workspace, ledger: Ledger, received: Event,
           received_at: datetime, checked: Checked, journal: Path | None = None) -> Outcome:
    """stamp → plan → render → archive → ledger, for a workbook that passed validation."""
    parsed, findings, context = checked.parsed, checked.findings, checked.context
    assert parsed is not None and context is not None
    stamp = stamp_document(parsed, context)
    plan = plan_outputs(parsed, stamp, context, workspace, source_name, received_at)
    _check_once(plan.template, plan.context)
    document = render_docx(plan.template, plan.context, plan.properties)
    document_sha = sha256_bytes(document)
    manifest = plan.manifest.issued(document_sha)
    if journal is not None:
        write_journal(journal, Journal(plan.record.doc_id, plan.record.version, sha, plan.paths))
    write_version(workspace.outbox, workspace.root / RECORDS_FOLDER, plan.paths, document, data, manifest,
                  plan.flowchart)
    record = VersionRecord(**{**plan.record._asdict(), "document_sha256": document_sha,
                              "issued_sha256": document_sha})
    events = [received,
              Event("validated", record.doc_id, record.version, source_name, sha,
                    f"{len(findings)} warning(s)"),
              # The issued event seals the as-issued bytes and the manifest's as-issued part.
              Event("issued", record.doc_id, record.version, plan.paths.document, document_sha,
                    f"{stamp.status.value} manifest:{manifest.seal()}")]
    if stamp.supersedes and stamp.status is Status.CURRENT:
        events.append(Event("superseded", record.doc_id, stamp.supersedes, "", "",
                            f"superseded by {record.version}"))
    ledger.record_issue(record, plan.entries, events, marking=plan.marking)
    return Outcome(source_name, Result.ISSUED, findings, record.doc_id, record.version,
                   stamp.status.value, workspace.outbox / plan.paths.document,
                   "版本号由系统分配" if stamp.version_assigned else "")


def abandon_uncommitted(journal: Path, workspace: Workspace, ledger: Ledger) -> list[Path]:
    """After an attempt died between archive and ledger: remove the files it wrote for a version
    the ledger never issued (none from this source, and no other source issued that version).

    Under the document's lock, so no host is between its own archive and ledger for it now.
    """
    pending = read_journal(journal)
    removed: list[Path] = []
    if pending is not None:
        with ledger.document_lock(pending.doc_id):
            issued = any(v.version == pending.version for v in ledger.history(pending.doc_id).versions)
            if not issued and ledger.find_source(pending.source_sha256) is None:
                removed = remove_version(workspace.outbox, workspace.root / RECORDS_FOLDER, pending.paths)
        if removed:
            ledger.add_events([Event("outputs-removed", pending.doc_id, pending.version, pending.paths.document,
                                     pending.source_sha256,
                                     f"{len(removed)} file(s) of an interrupted attempt, never issued")])
    journal.unlink(missing_ok=True)
    return removed


def abandon_dead_journals(workspace: Workspace, ledger: Ledger) -> list[Path]:
    """`process` runs killed between archive and ledger (their journals in the state folder)."""
    removed: list[Path] = []
    for journal in sorted(workspace.state_dir.glob(f"{PROCESS_JOURNAL}-*")):
        pid = journal.name.rpartition("-")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            removed += abandon_uncommitted(journal, workspace, ledger)
    return removed


def process_files(paths: list[Path], workspace: Workspace, ledger: Ledger,
                  today: date | None = None) -> list[Outcome]:
    """Process files, the versions of one 流程编号 in version order (a batch may hold V1.0 and V1.1).

    Each file passes the input gate first, as in the watcher. The register and the reading
    copies are brought up to date afterwards (officeflow.publish).
    """
    max_bytes = int(workspace.settings.max_file_mb * 1024 * 1024)
    ordered = version_order(paths, identities(paths, max_bytes))
    abandon_dead_journals(workspace, ledger)
    return [process_path(path, workspace, ledger, today) for path in ordered]


def process_path(path: Path, workspace: Workspace, ledger: Ledger, today: date | None = None) -> Outcome:
    """The input gate, then the pipeline."""
    data, refused = admit(path, workspace.settings.max_file_mb)
    if refused or data is None:
        sha = sha256_bytes(data) if data is not None else ""
        ledger.add_events([Event("received", file=path.name, sha256=sha),
                           Event("rejected", file=path.name, sha256=sha, detail=refused[0].code)])
        return Outcome(path.name, Result.REJECTED, refused)
    journal = workspace.state_dir / f"{PROCESS_JOURNAL}-{os.getpid()}"
    outcome = process_bytes(data, path.name, workspace, ledger, today, journal=journal)
    journal.unlink(missing_ok=True)  # decided: issued, or nothing written
    return outcome
