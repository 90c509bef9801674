"""What the child does with one claimed file, and what a crash in it leaves to be found.

The pipeline commits a file's audit events to the ledger; the child then saves the outcome
in the intake folder (`returns.save_outcome`), so a restart publishes it without logging
the file again. A kill between the two (the commit and the save) would leave events with
no outcome. To close that window the child first writes PIPELINE_MARK: the id of the audit
trail's last event before it ran (read under the pipeline lock, so no other file's pipeline
logs in between). A file with a mark and no saved outcome is looked up in the trail after
that id (`logged_decision`): a `rejected` or `duplicate` event for its bytes and name is the
decision already logged. The one case this cannot tell apart: after the crash and before the
restart, the very same bytes under the same name were rejected again through another claim;
both were then rejected, and the trail holds one pair of events instead of two.
"""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

from officeflow.annotate import annotate_workbook
from officeflow.claims import Claim
from officeflow.findings import Finding
from officeflow.fsutil import atomic_write_bytes
from officeflow.ledger import Ledger, workspace_ledger
from officeflow.pipeline import Outcome, Result, check_workbook, process_bytes, word_template
from officeflow.returns import IntakeResult, Saved, reason_of, save_outcome
from officeflow.settings import Workspace

PIPELINE_MARK = ".pipeline"
OUTPUTS_JOURNAL = ".outputs"  # the version files the pipeline is about to write (archive.write_journal)
DECISIONS = ("rejected", "duplicate")  # what the pipeline logs for a file it does not archive


def warm_up(workspace: Workspace) -> None:
    """In the parent, before it forks a child: what every child would otherwise build again.

    Measured in a forked child, these cost more than the file itself (~50 ms): each kind's
    Word template prepared (~70 ms) and its variables parsed (~25 ms), and its tailored
    catalog's pydantic model built (~25 ms). Done here, the children inherit them; after a
    template file changes it is prepared again here, once. A template that cannot be
    prepared is left to the child, which meets the same problem and reports it for the file.
    """
    from officeflow.fastrender import prepared_template
    from officeflow.kinds import KINDS
    from officeflow.tailor import tailored

    for kind in KINDS.values():
        _ = tailored(kind, workspace.settings).model
        with contextlib.suppress(Exception):  # the child reports it, for the file in hand
            _ = prepared_template(word_template(workspace, kind.word_template)).variables


def work(data: bytes, claim: Claim, workspace: Workspace) -> tuple[Outcome, bytes | None]:
    """In the child: the pipeline on one file, and the annotated copy when it is rejected."""
    ledger = workspace_ledger(workspace)
    try:
        atomic_write_bytes(claim.folder / PIPELINE_MARK, str(ledger.chain_head()[0]).encode("ascii"))
        # A broken Word template raises TemplateVariablesError (render.check_template): `template_fault`
        outcome = process_bytes(data, claim.shown, workspace, ledger, received_at=claim.received_at,
                                journal=claim.folder / OUTPUTS_JOURNAL)
    finally:
        ledger.close()
    if outcome.result is Result.ISSUED:  # the ledger knows it: find_source answers after a crash
        return outcome, None
    # Logged by the pipeline: saved at once, before annotating (which may be slow, or fail).
    saved = (Saved(IntakeResult.DUPLICATE.value, outcome.message, outcome.doc_id, outcome.version)
             if outcome.result is Result.DUPLICATE else
             Saved(IntakeResult.RETURNED.value, reason_of(outcome.findings), findings=tuple(outcome.findings)))
    save_outcome(claim.folder, saved)
    annotated = annotated_copy(data, outcome.findings)
    if annotated is not None:
        saved.annotated = annotated
        save_outcome(claim.folder, saved)
    return outcome, annotated


def template_fault(error: str) -> str:
    """The one-line operator message when the child stopped on a Word template ("" otherwise).

    The child reports `TemplateVariablesError: Word 模板 … 使用了未知的变量 company。` and the
    allowed names on the lines after; the first line names the template and the variable.
    """
    name, _, message = error.partition(": ")
    if name not in ("TemplateError", "TemplateVariablesError"):
        return ""
    return f"{message.splitlines()[0] if message else name}这是模板的问题，不是提交人的问题：修改模板后自动重新处理。"


def annotated_copy(data: bytes, findings: list[Finding]) -> bytes | None:
    return annotate_workbook(data, findings) if any(f.cell for f in findings) else None


def findings_again(data: bytes, workspace: Workspace) -> tuple[list[Finding], bytes | None]:
    """In the child: the findings of a rejection already logged; validation writes nothing."""
    ledger = workspace_ledger(workspace)
    try:
        findings = check_workbook(data, workspace, ledger, date.today()).findings
    finally:
        ledger.close()
    return findings, annotated_copy(data, findings)


def pipeline_ran(folder: Path) -> int | None:
    """The trail's last event id before the pipeline ran for this claim; None if it never ran."""
    try:
        return int((folder / PIPELINE_MARK).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None


def logged_decision(ledger: Ledger, after: int, sha256: str, shown: str) -> dict[str, str] | None:
    """The `rejected`/`duplicate` event the pipeline logged for this file after event `after`.

    Read only after a crash, so reading the trail whole is affordable.
    """
    for row in ledger.events():
        if (int(row["id"]) > after and row["event"] in DECISIONS and row["sha256"] == sha256
                and row["file"] == shown):
            return row
    return None
