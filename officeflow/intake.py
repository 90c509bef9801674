"""Inbox intake: claim a ready file, run the pipeline, archive or return it, never lose it.

Life of a file:

1. **claim**: `os.rename` into `inbox/<processing>/<owner>/<intake id>/<name>` (same
   filesystem, atomic, never follows a symlink: a link is moved as a link). Two watchers
   racing for one file: one rename wins, the other gets FileNotFoundError and moves on. A
   `claim.json` (name, time received) is written into the intake folder before the
   rename, so a crash leaves a folder a restart can finish.
2. **process**: only a regular file is opened (O_NOFOLLOW|O_NONBLOCK, fstat); the pipeline
   runs in a child process with a time and memory budget (`sandbox`), under a workspace
   lock (check-then-write of versions must not interleave between two watchers), after
   the parent prepared what every child needs (`warm_up`). Over budget: returned; tried
   MAX_ATTEMPTS times (each attempt killed with its watcher): returned untried.
3. **outcome**, written and fsynced before the source leaves the processing area: archived
   (the pipeline keeps the source), or returned to `inbox/<returned>/` with a report. A server fault (disk full, read-only
   archive, locked ledger) is not the author's: the file stays claimed, an
   `intake-failed` event is logged and the watcher retries with backoff.
4. **finish**: the claimed file and its folder are removed.

Each watcher owns `<processing>/<owner>/` and holds a lock on `<owner>/.lock` while it
runs; a folder whose lock can be taken belongs to a dead watcher: its intake folders are
taken over (renamed into ours) and finished.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from officeflow.annotate import RESUBMIT
from officeflow.claims import (
    CLAIM_FILE,
    CLAIM_PATH_KEY,
    LOCK_FILE,
    Claim,
    new_token,
    now,
    remove_folder,
    safe_host,
    take_over,
)
from officeflow.findings import Finding, Severity, error
from officeflow.fsutil import (
    FileTooLarge,
    NotRegularFile,
    atomic_write_bytes,
    fsync_dir,
    read_regular_file,
    sha256_bytes,
)
from officeflow.gate import admit
from officeflow.intake_work import (
    OUTPUTS_JOURNAL,
    PIPELINE_MARK,
    findings_again,
    logged_decision,
    pipeline_ran,
    template_fault,
    warm_up,
    work,
)
from officeflow.ledger import Event, Ledger, is_postgres_url
from officeflow.ledger_errors import database_errors
from officeflow.locks import FileLock
from officeflow.pipeline import Outcome, Result, abandon_uncommitted
from officeflow.returns import (
    DUPLICATE_CLOSING,
    INTERNAL_CLOSING,
    IntakeResult,
    Saved,
    attempts_finding,
    budget_finding,
    load_outcome,
    publish,
    reason_of,
    save_outcome,
)
from officeflow.sandbox import DEFAULT_BUDGET, Budget, ChildResult, ChildStatus, run_budgeted
from officeflow.settings import Workspace

if TYPE_CHECKING:
    from officeflow.intake_hosts import HostClaims

__all__ = ["CLAIM_FILE", "LOCK_FILE", "PIPELINE_LOCK", "PIPELINE_MARK", "Claim", "FileLock", "Handled",
           "Intake", "IntakeResult"]

log = logging.getLogger(__name__)

PIPELINE_LOCK = "intake.lock"
ATTEMPTS_FILE = ".attempts"
INTERNAL_ERROR = "internal.error"
MAX_ATTEMPTS = 3  # attempts that never ended (killed with their watcher) before a file is returned

@dataclass
class Handled:
    """What intake did with one file (one log line)."""

    file: str
    result: IntakeResult
    doc_id: str = ""
    version: str = ""
    reason: str = ""
    milliseconds: float = 0.0
    returned: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    budget: ChildResult | None = None  # time and memory the child used, when one ran
    held: bool = False  # KEPT because of a broken Word template: retried when the templates change

    def log_line(self) -> str:
        """One Chinese line per outcome, for the operator (the author reads the return report)."""
        said = {
            IntakeResult.ARCHIVED: f"已归档 {self.doc_id} {self.version}" + (f"，{self.reason}" if self.reason else ""),
            IntakeResult.RETURNED: f"已退回：{self.reason}",
            IntakeResult.DUPLICATE: f"重复，已退回：{self.reason}",
            IntakeResult.KEPT: (f"暂缓处理，留在处理区：{self.reason}" if self.held
                                else f"服务器故障，留在处理区，稍后重试：{self.reason}"),
            IntakeResult.STOPPED: "正在停止，未处理完，下次启动时继续",
            IntakeResult.ERROR: f"出错且无法退回，留在处理区：{self.reason}",
        }[self.result]
        return f"{self.file} {said}（{self.milliseconds:.0f} 毫秒）"


class Intake:
    """Claims, processes and finishes files for one watcher process."""

    def __init__(self, workspace: Workspace, ledger: Ledger, budget: Budget = DEFAULT_BUDGET,
                 stop: threading.Event | None = None) -> None:
        self.workspace = workspace
        self.ledger = ledger
        self.budget = budget
        self.stop = stop
        self.max_bytes = int(workspace.settings.max_file_mb * 1024 * 1024)
        workspace.processing.mkdir(parents=True, exist_ok=True)
        workspace.returned.mkdir(parents=True, exist_ok=True)
        workspace.state_dir.mkdir(parents=True, exist_ok=True)
        # Several hosts on one inbox (PostgreSQL ledger): claim rows, not flocks on the share.
        self.hosts: HostClaims | None = None
        if is_postgres_url(workspace.ledger_url):
            from officeflow.intake_hosts import HostClaims  # psycopg: the optional extra

            self.hosts = HostClaims(workspace.ledger_url, workspace.inbox, workspace.processing,
                                    workspace.state_dir)
        self._owner_lock: FileLock | None = None
        if self.hosts is not None:
            self.owner = self.hosts.owner
        else:
            self.owner = self._new_owner_folder()
            self._owner_lock = FileLock(self.owner / LOCK_FILE)
            self._owner_lock.acquire()
        self._pipeline_lock = FileLock(workspace.state_dir / PIPELINE_LOCK)  # local: this host's children

    def _new_owner_folder(self) -> Path:
        while True:
            folder = self.workspace.processing / f"{safe_host()}-{os.getpid()}-{secrets.token_hex(3)}"
            try:
                folder.mkdir()
                return folder
            except FileExistsError:
                continue

    def close(self) -> None:
        """Release our processing folder (removed when empty)."""
        if self.hosts is not None:
            self.hosts.close()
            return
        assert self._owner_lock is not None
        self._owner_lock.release()
        leftovers = [p for p in self.owner.iterdir() if p.name != LOCK_FILE] if self.owner.exists() else []
        if not leftovers:
            with contextlib.suppress(OSError):
                (self.owner / LOCK_FILE).unlink()
                self.owner.rmdir()

    # -- claim ---------------------------------------------------------------------------

    def claim(self, path: Path) -> Claim | None:
        """Move `path` into our processing area; None if it is gone or cannot be moved yet."""
        row = None
        if self.hosts is not None:
            row = self.hosts.take(path, self.max_bytes)
            if row is None:
                return None  # another host is on it (or it is gone)
        at = now()
        token = new_token(at)
        folder = self.owner / token
        folder.mkdir(parents=True)  # a dead host's empty folder may have been removed: ours, if idle
        claim = Claim(token, folder, path.name, at)
        info = {"name": path.name, "from": str(path), "received_at": at.isoformat()}
        if row is not None:
            info[CLAIM_PATH_KEY] = row.path  # another host taking this folder over finds its row
        atomic_write_bytes(folder / CLAIM_FILE, json.dumps(info, ensure_ascii=False).encode(
            "utf-8", "surrogateescape"))
        try:
            os.rename(path, claim.path)
        except OSError as exc:  # gone (another watcher, the author), or open in Excel on Windows
            log.debug("暂时无法领取 %s：%s", path, exc)
            remove_folder(folder)
            if row is not None and self.hosts is not None:
                self.hosts.drop(row)
            return None
        fsync_dir(path.parent)
        fsync_dir(folder)
        if row is not None and self.hosts is not None:
            self.hosts.hold(token, row)
        return claim

    def recover(self) -> list[Claim]:
        """Take over intake folders of watchers that died; they are finished first."""
        if self.hosts is not None:
            return self.hosts.recover()
        return take_over(self.workspace.processing, self.owner)

    # -- process -------------------------------------------------------------------------

    def handle(self, claim: Claim) -> Handled:
        """Archive, return or keep one claimed file; never raises for a bad file."""
        started = time.perf_counter()
        try:
            handled = self._handle(claim)
        except (OSError, *database_errors()) as exc:  # the server's fault: keep the file, retry later
            handled = self._keep(claim, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug must not stop the watcher
            log.exception("处理 %s 时发生内部错误", claim.shown)
            handled = self._return_after_failure(claim, type(exc).__name__, str(exc))
        handled.milliseconds = (time.perf_counter() - started) * 1000
        level = (logging.ERROR if handled.result in (IntakeResult.ERROR, IntakeResult.KEPT)
                 else logging.WARNING if handled.result is IntakeResult.RETURNED else logging.INFO)
        log.log(level, "%s", handled.log_line())
        return handled

    def _handle(self, claim: Claim) -> Handled:
        saved = load_outcome(claim.folder)
        if saved is not None:  # decided and logged before a crash: publish, do not log again
            return self._publish_saved(claim, saved, None)
        attempts = self._count_attempt(claim)
        data, refused = admit(claim.path, self.workspace.settings.max_file_mb, claim.name)
        if refused or data is None:
            return self._reject(claim, data, refused)
        done = self._committed(claim, data)
        if done is not None:
            return done
        if attempts > MAX_ATTEMPTS:
            return self._reject(claim, data, [attempts_finding(MAX_ATTEMPTS)])
        warm_up(self.workspace)
        with self._pipeline_lock:
            child = run_budgeted(work, (data, claim, self.workspace), self.budget, self.stop)
        return self._settle_child(claim, data, child)

    def _settle_child(self, claim: Claim, data: bytes, child: ChildResult) -> Handled:
        if child.status is ChildStatus.OK:
            outcome, annotated = child.value
            handled = self._settle(claim, data, outcome, annotated)
        elif child.status is ChildStatus.STOPPED:
            self._count_attempt(claim, undo=True)  # a stop is not the file's fault
            handled = Handled(claim.shown, IntakeResult.STOPPED, reason="stopped")
        elif child.status is ChildStatus.FAILED and child.server_fault:
            handled = self._keep(claim, child.error)
        elif child.status is ChildStatus.FAILED and template_fault(child.error):
            handled = self._keep(claim, template_fault(child.error), held=True)
        else:  # failed, or over its budget: after the pipeline had logged the file?
            saved = load_outcome(claim.folder)
            done = self._publish_saved(claim, saved, data) if saved else self._committed(claim, data)
            if done is not None:
                handled = done
            elif child.status is ChildStatus.FAILED:
                log.error("处理 %s 时发生内部错误：%s\n%s", claim.shown, child.error, child.trace.rstrip())
                name, _, message = child.error.partition(": ")
                handled = self._return_after_failure(claim, name, message)
            else:
                handled = self._reject(claim, data, [budget_finding(child.status, self.budget)])
        handled.budget = child
        return handled

    def _committed(self, claim: Claim, data: bytes) -> Handled | None:
        """What the pipeline decided and logged for this claim before a crash lost the rest."""
        mark = pipeline_ran(claim.folder)
        if mark is None and not claim.recovered:
            return None  # the pipeline never ran for it
        sha = sha256_bytes(data)
        done = self.ledger.find_source(sha)
        if done is not None and done.received_at == claim.received_at:
            self._finish(claim)  # archived; only the clean-up was missing
            return Handled(claim.shown, IntakeResult.ARCHIVED, done.doc_id, done.version)
        row = None if mark is None else logged_decision(self.ledger, mark, sha, claim.shown)
        if row is None:  # not decided: whatever the attempt archived was never issued
            removed = abandon_uncommitted(claim.folder / OUTPUTS_JOURNAL, self.workspace, self.ledger)
            if removed:
                log.warning("%s：上次处理在登记前中断，已清除其未登记的 %d 个归档文件", claim.shown, len(removed))
            return None
        if row["event"] == "duplicate":
            saved = Saved(IntakeResult.DUPLICATE.value, row["detail"], row["doc_id"], row["version"])
        else:  # rejected: its findings again, from validation alone (it writes nothing)
            child = run_budgeted(findings_again, (data, self.workspace), self.budget, self.stop)
            if child.status is ChildStatus.STOPPED:
                self._count_attempt(claim, undo=True)
                return Handled(claim.shown, IntakeResult.STOPPED, reason="stopped")
            if child.server_fault:
                raise OSError(child.error)  # kept: retried later
            findings, annotated = (child.value if child.status is ChildStatus.OK
                                   else ([budget_finding(child.status, self.budget)], None))
            saved = Saved(IntakeResult.RETURNED.value, reason_of(findings), findings=tuple(findings),
                          annotated=annotated)
        save_outcome(claim.folder, saved)
        return self._publish_saved(claim, saved, data)

    def _settle(self, claim: Claim, data: bytes, outcome: Outcome, annotated: bytes | None) -> Handled:
        if outcome.result is Result.ISSUED:
            self._finish(claim)
            warnings = sum(1 for f in outcome.findings if f.severity is Severity.WARNING)
            return Handled(claim.shown, IntakeResult.ARCHIVED, outcome.doc_id, outcome.version,
                           f"{warnings} 条警告" if warnings else "", findings=outcome.findings)
        if outcome.result is Result.DUPLICATE:
            saved = Saved(IntakeResult.DUPLICATE.value, outcome.message, outcome.doc_id, outcome.version)
        else:
            saved = Saved(IntakeResult.RETURNED.value, reason_of(outcome.findings),
                          findings=tuple(outcome.findings), annotated=annotated)
        return self._publish_saved(claim, saved, data)

    def _reject(self, claim: Claim, data: bytes | None, findings: list[Finding]) -> Handled:
        """Return a file the pipeline never saw (or whose child blew its budget).

        `data`: the file as read; None when it was not read (not a regular file, too large).
        """
        self.ledger.add_events([
            Event("received", file=claim.shown, sha256=sha256_bytes(data) if data is not None else ""),
            Event("rejected", file=claim.shown, detail=", ".join(f.code for f in findings)),
        ])
        saved = Saved(IntakeResult.RETURNED.value, reason_of(findings), findings=tuple(findings))
        save_outcome(claim.folder, saved)  # logged: a restart publishes without logging again
        return self._publish_saved(claim, saved, data)

    def _publish_saved(self, claim: Claim, saved: Saved, data: bytes | None) -> Handled:
        result = IntakeResult(saved.result)
        if result is IntakeResult.ARCHIVED:
            self._finish(claim)
            return Handled(claim.shown, result, saved.doc_id, saved.version)
        source: bytes | Path | None = data
        if source is None:  # give back the file as it came, if it is a regular file
            try:
                source = read_regular_file(claim.path, self.max_bytes)
            except FileTooLarge:
                source = claim.path  # copied by streaming, still opened as a regular file only
            except (NotRegularFile, FileNotFoundError):
                source = None
        closing = (DUPLICATE_CLOSING if result is IntakeResult.DUPLICATE
                   else INTERNAL_CLOSING if any(f.code == INTERNAL_ERROR for f in saved.findings) else RESUBMIT)
        returned = publish(self.workspace.returned, claim.name, claim.shown, claim.token,
                           claim.received_at, saved.reason, list(saved.findings), saved.annotated, source,
                           closing)
        self._finish(claim)
        return Handled(claim.shown, result, saved.doc_id, saved.version, saved.reason,
                       returned=returned, findings=list(saved.findings))

    def _keep(self, claim: Claim, problem: str, held: bool = False) -> Handled:
        """A server fault or a broken Word template: the file stays claimed for a retry; the
        operator is told (one log line, by `handle`), not the author."""
        self._count_attempt(claim, undo=True)
        with contextlib.suppress(Exception):  # the ledger itself may be what failed
            self.ledger.add_events([Event("intake-failed", file=claim.shown, detail=problem[:500])])
        return Handled(claim.shown, IntakeResult.KEPT, reason=problem, held=held)

    def _return_after_failure(self, claim: Claim, name: str, message: str) -> Handled:
        """A bug (ours, not the author's): the file goes back as it came; the log has the traceback."""
        finding = error(INTERNAL_ERROR, f"处理时发生内部错误（{name}），文件已原样退回；请联系流程管理员。")
        try:
            if not os.path.lexists(claim.path):
                raise FileNotFoundError(claim.path)
            return self._reject(claim, None, [finding])
        except Exception:
            log.exception("无法退回 %s，文件留在 %s", claim.shown, claim.folder)
            return Handled(claim.shown, IntakeResult.ERROR, reason=f"{name}: {message}")

    def _count_attempt(self, claim: Claim, undo: bool = False) -> int:
        """Attempts that started, kept in the intake folder so they survive a SIGKILL."""
        path = claim.folder / ATTEMPTS_FILE
        try:
            count = int(path.read_text(encoding="ascii"))
        except (OSError, ValueError):
            count = 0
        count = max(count - 1, 0) if undo else count + 1
        with contextlib.suppress(OSError):
            atomic_write_bytes(path, str(count).encode("ascii"))
        return count

    def _finish(self, claim: Claim) -> None:
        """The outcome is on disk: remove the claimed file and its intake folder."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(claim.path)  # the link or FIFO itself, never what it points to
        remove_folder(claim.folder)
        if self.hosts is not None:
            self.hosts.finished(claim.token)
