"""Inbox intake: claim a ready file, run the pipeline, archive or return it, never lose it.

Life of a file:

1. **claim**: `os.rename` into `inbox/<processing>/<owner>/<intake id>/<name>` (same
   filesystem, atomic). Two watchers racing for one file: one rename wins, the other
   gets FileNotFoundError and moves on. A `claim.json` (name, time received) is written
   into the intake folder before the rename, so a crash leaves a folder a restart can
   finish.
2. **process**: the pipeline runs under a workspace lock (check-then-write of versions
   must not interleave between two watchers).
3. **outcome**, written and fsynced before the source leaves the processing area:
   archived (the pipeline keeps the source in the archive), or returned to
   `inbox/<returned>/` with a report (and an annotated copy when there are cells to
   mark).
4. **finish**: the claimed file and its folder are removed.

Each watcher owns `<processing>/<owner>/` and holds a lock on `<owner>/.lock` while it
runs; a folder whose lock can be taken belongs to a dead watcher, and its intake folders
are taken over (renamed into ours) and finished.

Returned-file names: `<name>` and `<stem>.问题清单.txt`; if an earlier return holds
either name, the new files get the intake id: `<stem> (<intake id>)<ext>`. The report is
created with a no-overwrite link, so concurrent returns never replace each other, and it
carries the intake id, so a restart recognises its own half-published return.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from officeflow.annotate import ORIGINAL_MARK, REPORT_SUFFIX, annotate_workbook, format_report
from officeflow.findings import Finding, Severity, error
from officeflow.fsutil import atomic_copy, atomic_write_bytes, fsync_dir, sha256_bytes
from officeflow.ledger import Event, Ledger
from officeflow.pipeline import Outcome, Result, process_bytes
from officeflow.settings import Workspace

log = logging.getLogger(__name__)

CLAIM_FILE = "claim.json"
LOCK_FILE = ".lock"
PIPELINE_LOCK = "intake.lock"
ORPHAN_WITHOUT_LOCK_SECONDS = 60.0  # an owner folder with no lock file yet may be starting up

WORKBOOK_SUFFIX = ".xlsx"
_WRONG_TYPE: dict[str, tuple[str, str]] = {
    ".xls": ("file.legacy", "旧版 .xls 格式不予接收：请在 Excel 中另存为 .xlsx 后重新提交。"),
    ".xlsm": ("file.macros", "含宏的工作簿（.xlsm）不予接收：请另存为不含宏的 .xlsx 后提交。"),
    ".xltm": ("file.macros", "含宏的模板（.xltm）不予接收：请另存为不含宏的 .xlsx 后提交。"),
    ".xlam": ("file.macros", "Excel 加载项（.xlam）不予接收：请提交填写好的 .xlsx 工作簿。"),
    ".xlsb": ("file.binary", "二进制工作簿（.xlsb）不予接收：请在 Excel 中另存为 .xlsx 后提交。"),
}
_NOT_WORKBOOK = ("file.not-workbook", "文件不是 Excel 工作簿（.xlsx），请使用模板填写后提交。")


class IntakeResult(StrEnum):
    ARCHIVED = "archived"
    RETURNED = "returned"
    DUPLICATE = "duplicate"
    ERROR = "error"  # could not even be returned; left in the processing area


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

    def log_line(self) -> str:
        what = f"{self.doc_id} {self.version}".strip() if self.result is IntakeResult.ARCHIVED else ""
        detail = what or self.reason
        return f"{self.file} {self.result.value} {detail} ({self.milliseconds:.0f} ms)"


@dataclass(frozen=True)
class Claim:
    """A file moved into our processing area; `folder` holds it and its claim.json."""

    token: str
    folder: Path
    name: str
    received_at: datetime
    recovered: bool = False

    @property
    def path(self) -> Path:
        return self.folder / self.name


class FileLock:
    """An advisory lock on a separate lock file (flock on POSIX, msvcrt on Windows).

    Released by the operating system when the process dies, which is what makes
    "whose folder is this" answerable after a SIGKILL.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, blocking: bool = True) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            while True:
                if _lock_fd(fd, blocking):
                    self._fd = fd
                    return True
                if not blocking:
                    os.close(fd)
                    return False
        except BaseException:
            os.close(fd)
            raise

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                _unlock_fd(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_fd(fd: int, blocking: bool) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            if blocking:
                time.sleep(0.05)
            return False

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock_fd(fd: int, blocking: bool) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            return True
        except BlockingIOError:
            return False

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)  # the ledger stores seconds


def _new_token(now: datetime) -> str:
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def _safe_host() -> str:
    host = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in socket.gethostname())
    return host[:40] or "host"


class Intake:
    """Claims, processes and finishes files for one watcher process."""

    def __init__(self, workspace: Workspace, ledger: Ledger) -> None:
        self.workspace = workspace
        self.ledger = ledger
        self.max_bytes = int(workspace.settings.max_file_mb * 1024 * 1024)
        workspace.processing.mkdir(parents=True, exist_ok=True)
        workspace.returned.mkdir(parents=True, exist_ok=True)
        workspace.state_dir.mkdir(parents=True, exist_ok=True)
        self.owner = self._new_owner_folder()
        self._owner_lock = FileLock(self.owner / LOCK_FILE)
        self._owner_lock.acquire()
        self._pipeline_lock = FileLock(workspace.state_dir / PIPELINE_LOCK)

    def _new_owner_folder(self) -> Path:
        while True:
            folder = self.workspace.processing / f"{_safe_host()}-{os.getpid()}-{secrets.token_hex(3)}"
            try:
                folder.mkdir()
                return folder
            except FileExistsError:
                continue

    def close(self) -> None:
        """Release our processing folder (removed when empty)."""
        self._owner_lock.release()
        leftovers = [p for p in self.owner.iterdir() if p.name != LOCK_FILE] if self.owner.exists() else []
        if not leftovers:
            with contextlib.suppress(OSError):
                (self.owner / LOCK_FILE).unlink()
                self.owner.rmdir()

    # -- claim ---------------------------------------------------------------------------

    def claim(self, path: Path) -> Claim | None:
        """Move `path` into our processing area; None if it is gone or cannot be moved yet."""
        now = _now()
        token = _new_token(now)
        folder = self.owner / token
        folder.mkdir()
        claim = Claim(token, folder, path.name, now)
        atomic_write_bytes(folder / CLAIM_FILE, json.dumps(
            {"name": path.name, "from": str(path), "received_at": now.isoformat()},
            ensure_ascii=False).encode("utf-8"))
        try:
            os.rename(path, claim.path)
        except FileNotFoundError:
            self._remove_folder(folder)  # another watcher took it, or the author removed it
            return None
        except OSError as exc:  # e.g. open in Excel on Windows (sharing violation)
            log.debug("cannot claim %s yet: %s", path, exc)
            self._remove_folder(folder)
            return None
        fsync_dir(path.parent)
        fsync_dir(folder)
        return claim

    def recover(self) -> list[Claim]:
        """Take over intake folders of watchers that died; they are finished first."""
        claims: list[Claim] = []
        root = self.workspace.processing
        if not root.is_dir():
            return claims
        for owner in sorted(root.iterdir()):
            if owner == self.owner or not owner.is_dir():
                continue
            lock_path = owner / LOCK_FILE
            if not lock_path.exists() and time.time() - owner.stat().st_mtime < ORPHAN_WITHOUT_LOCK_SECONDS:
                continue
            lock = FileLock(lock_path)
            try:
                if not lock.acquire(blocking=False):
                    continue  # its watcher is alive
            except OSError:
                continue
            try:
                for folder in self._intake_folders(owner):
                    target = self.owner / folder.name
                    try:
                        os.rename(folder, target)
                    except OSError:
                        continue  # another watcher took it over first
                    claim = self._load_claim(target, recovered=True)
                    if claim is not None:
                        claims.append(claim)
                with contextlib.suppress(OSError):
                    lock_path.unlink()
                    owner.rmdir()
            finally:
                lock.release()
        fsync_dir(self.owner)
        return claims

    @staticmethod
    def _intake_folders(owner: Path) -> list[Path]:
        try:
            return sorted(p for p in owner.iterdir() if p.is_dir())
        except OSError:
            return []

    def _load_claim(self, folder: Path, recovered: bool = True) -> Claim | None:
        try:
            info = json.loads((folder / CLAIM_FILE).read_text(encoding="utf-8"))
            name, received_at = info["name"], datetime.fromisoformat(info["received_at"])
        except (OSError, ValueError, KeyError):
            # Dot-files are our own atomic-write temps (a kill while claim.json was being
            # written); the filter never claims a user's dot-file, so they are never the workbook.
            files = [p for p in folder.iterdir()
                     if p.is_file() and p.name != CLAIM_FILE and not p.name.startswith(".")]
            if len(files) != 1:
                name, received_at = "", _now()
            else:
                name, received_at = files[0].name, _now()
        claim = Claim(folder.name, folder, name, received_at, recovered)
        if not name or not claim.path.is_file():
            self._remove_folder(folder)  # claimed and finished, or never moved in
            return None
        return claim

    # -- process -------------------------------------------------------------------------

    def handle(self, claim: Claim) -> Handled:
        """Archive or return one claimed file; never raises for a bad file."""
        started = time.perf_counter()
        try:
            handled = self._handle(claim)
        except Exception as exc:  # a bug or a disk problem must not stop the watcher
            log.exception("intake failed for %s", claim.name)
            handled = self._return_after_failure(claim, exc)
        handled.milliseconds = (time.perf_counter() - started) * 1000
        level = logging.WARNING if handled.result is IntakeResult.ERROR else logging.INFO
        log.log(level, "%s", handled.log_line())
        return handled

    def _handle(self, claim: Claim) -> Handled:
        size = claim.path.stat().st_size
        if size > self.max_bytes:
            limit = self.workspace.settings.max_file_mb
            return self._reject(claim, None, [error(
                "file.too-large",
                f"文件大小 {size / 1048576:.1f} MB 超过上限 {limit:g} MB，请精简后重新提交。")])
        suffix = Path(claim.name).suffix.lower()
        if suffix != WORKBOOK_SUFFIX:
            code, message = _WRONG_TYPE.get(suffix, _NOT_WORKBOOK)
            return self._reject(claim, None, [error(code, message)])
        data = claim.path.read_bytes()
        if claim.recovered:
            done = self.ledger.find_source(sha256_bytes(data))
            if done is not None and done.received_at == claim.received_at:
                self._finish(claim)  # archived before the crash; only the clean-up was missing
                return Handled(claim.name, IntakeResult.ARCHIVED, done.doc_id, done.version)
        with self._pipeline_lock:
            outcome = process_bytes(data, claim.name, self.workspace, self.ledger,
                                    received_at=claim.received_at)
        return self._settle(claim, data, outcome)

    def _settle(self, claim: Claim, data: bytes, outcome: Outcome) -> Handled:
        if outcome.result is Result.ISSUED:
            self._finish(claim)
            warnings = sum(1 for f in outcome.findings if f.severity is Severity.WARNING)
            return Handled(claim.name, IntakeResult.ARCHIVED, outcome.doc_id, outcome.version,
                           f"{warnings} warning(s)" if warnings else "", findings=outcome.findings)
        if outcome.result is Result.DUPLICATE:
            returned = self._publish(claim, outcome.message, [], None)
            self._finish(claim)
            return Handled(claim.name, IntakeResult.DUPLICATE, outcome.doc_id, outcome.version,
                           outcome.message, returned=returned)
        return self._reject(claim, data, outcome.findings, logged=True)

    def _reject(self, claim: Claim, data: bytes | None, findings: list[Finding],
                logged: bool = False) -> Handled:
        """Return the file with its findings (annotated copy when cells can be marked)."""
        errors = [f for f in findings if f.severity is Severity.ERROR]
        reason = f"{len(errors)} 个错误，{len(findings) - len(errors)} 个警告" if findings else "退回"
        if len(findings) == 1 and findings[0].where is None:
            reason = findings[0].message
        if not logged:  # the pipeline writes its own events; files it never saw get them here
            self.ledger.add_events([
                Event("received", file=claim.name),
                Event("rejected", file=claim.name, detail=", ".join(f.code for f in findings)),
            ])
        annotated = annotate_workbook(data, findings) if data is not None and any(f.cell for f in findings) else None
        returned = self._publish(claim, reason, findings, annotated)
        self._finish(claim)
        return Handled(claim.name, IntakeResult.RETURNED, reason=reason, returned=returned,
                       findings=findings)

    def _return_after_failure(self, claim: Claim, exc: Exception) -> Handled:
        finding = error("internal.error", f"处理时发生内部错误（{type(exc).__name__}），"
                                          "文件已原样退回；请联系流程管理员。")
        try:
            if not claim.path.exists():
                raise FileNotFoundError(claim.path)
            returned = self._publish(claim, finding.message, [finding], None)
            self._finish(claim)
            return Handled(claim.name, IntakeResult.RETURNED, reason=finding.message, returned=returned,
                           findings=[finding])
        except Exception:
            log.exception("could not return %s; it stays in %s", claim.name, claim.folder)
            return Handled(claim.name, IntakeResult.ERROR, reason=f"{type(exc).__name__}: {exc}")

    # -- returned folder -----------------------------------------------------------------

    def _publish(self, claim: Claim, reason: str, findings: list[Finding],
                 annotated: bytes | None) -> list[Path]:
        """Write the returned files; the report first, as the no-overwrite reservation."""
        folder = self.workspace.returned
        folder.mkdir(parents=True, exist_ok=True)
        stem, suffix = Path(claim.name).stem, Path(claim.name).suffix
        for candidate in (stem, f"{stem} ({claim.token})"):
            main = folder / f"{candidate}{suffix}"
            original = folder / f"{candidate}{ORIGINAL_MARK}{suffix}" if annotated is not None else None
            report = folder / f"{candidate}{REPORT_SUFFIX}"
            files = [main] + ([original] if original else [])
            text = format_report(claim.name, reason, findings, intake_id=claim.token,
                                 at=claim.received_at, files=[p.name for p in files])
            if _is_ours(report, claim.token):
                atomic_write_bytes(report, text.encode("utf-8-sig"))
                break
            if candidate == stem and any(p.exists() for p in files):
                continue  # an earlier return of a file with this name: keep it
            if _create_exclusive(report, text.encode("utf-8-sig")):
                break
        else:  # pragma: no cover - the intake id is unique, so the second name is free
            atomic_write_bytes(report, text.encode("utf-8-sig"))
        if annotated is not None and original is not None:
            atomic_copy(claim.path, original)
            atomic_write_bytes(main, annotated)
        else:
            atomic_copy(claim.path, main)
        return [*files, report]

    def _finish(self, claim: Claim) -> None:
        """The outcome is on disk: remove the claimed file and its intake folder."""
        claim.path.unlink(missing_ok=True)
        self._remove_folder(claim.folder)

    @staticmethod
    def _remove_folder(folder: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            for path in folder.iterdir():
                path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
        fsync_dir(folder.parent)


def _is_ours(report: Path, token: str) -> bool:
    try:
        with report.open("rb") as fh:
            return f"Intake ID: {token}".encode() in fh.read(4096)
    except OSError:
        return False


def _create_exclusive(path: Path, data: bytes) -> bool:
    """Create `path` with `data` unless it exists: complete content or nothing (hard link)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(name)
    os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes it private; authors must read it
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        except OSError:  # shares without hard links: exclusive create, then write
            try:
                out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                return False
            with os.fdopen(out, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        fsync_dir(path.parent)
        return True
    finally:
        temp.unlink(missing_ok=True)
