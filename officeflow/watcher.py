"""The inbox watcher: a filter, a stability tracker, and a loop that hands ready files on.

File events (native or polled) are only hints that put a path on a queue; the truth is a
scan of the inbox at start-up and every `rescan_seconds`. A file is handed to intake
once its size and modification time have stayed the same for `stable_seconds`, no
Office lock file sits beside it, and (for .xlsx) its zip directory is complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from officeflow.intake import Handled, Intake, IntakeResult
from officeflow.ledger import Ledger, open_ledger
from officeflow.publish import publish
from officeflow.settings import Settings, Workspace

log = logging.getLogger(__name__)

IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store", "icon\r"})
IGNORED_SUFFIXES = (".tmp", ".temp", ".filepart", ".crdownload", ".part", ".partial",
                    ".download", ".swp")
ZIP_SUFFIXES = (".xlsx", ".xlsm")
_CRC_CHECK_LIMIT = 50 * 1024 * 1024  # larger (suspicious) archives are left to the reader's guard
REGISTER_MAX_DELAY = 60.0  # under a steady stream, still export at least this often
REGISTER_STAMP = "register.stamp"


# -- 1. the filter -----------------------------------------------------------------------


def ignored_name(name: str) -> bool:
    """Lock, temp, system and hidden files, and names without an extension."""
    lower = name.lower()
    return (
        lower in IGNORED_NAMES
        or name.startswith(("~$", ".", "~"))  # ~$ Office owner files, ~WRL…, dot-files, .~lock.…#
        or lower.endswith(IGNORED_SUFFIXES)
        or not Path(name).suffix.strip(".")
    )


class InboxFilter:
    """Which paths in the inbox are files for officeflow; everything else is left alone."""

    def __init__(self, workspace: Workspace) -> None:
        self.inbox = workspace.inbox
        self._own = {workspace.settings.returned_folder.casefold(),
                     workspace.settings.processing_folder.casefold()}

    def ignored_folder(self, name: str) -> bool:
        return name.startswith((".", "~")) or name.casefold() in self._own

    def matters(self, path: Path) -> bool:
        try:
            parts = path.relative_to(self.inbox).parts
        except ValueError:
            return False
        if not parts or any(self.ignored_folder(p) for p in parts[:-1]):
            return False
        return not ignored_name(parts[-1])

    @staticmethod
    def is_open(path: Path) -> bool:
        """An Office or LibreOffice lock file beside it: someone still has it open."""
        name = path.name
        owners = (f"~${name}", f"~${name[2:]}", f".~lock.{name}#")
        return any((path.parent / owner).exists() for owner in owners)

    def scan(self) -> Iterator[Path]:
        """Every file in the inbox tree that matters (own and hidden folders pruned)."""
        for folder, dirs, files in os.walk(self.inbox):
            dirs[:] = [d for d in dirs if not self.ignored_folder(d)]
            for name in files:
                if not ignored_name(name):
                    yield Path(folder) / name


# -- 2. the stability tracker ------------------------------------------------------------


@dataclass
class _Seen:
    signature: tuple[int, int] | None = None  # size, mtime in ns
    since: float = 0.0  # when the signature was first seen
    incomplete_since: float | None = None  # stable but not yet a complete zip


def _complete(path: Path) -> bool:
    """A readable zip directory and intact members: not a half-copied workbook."""
    if not path.name.lower().endswith(ZIP_SUFFIXES):
        return True
    try:
        with zipfile.ZipFile(path) as archive:
            if sum(i.file_size for i in archive.infolist()) > _CRC_CHECK_LIMIT:
                return True
            return archive.testzip() is None
    except Exception:  # BadZipFile, zlib.error, EOFError…: not (yet) a complete zip
        return False


class StabilityTracker:
    """Files that may be ready; a file is ready when unchanged for `stable_seconds`."""

    def __init__(self, stable_seconds: float, grace_seconds: float) -> None:
        self.stable_seconds = stable_seconds
        self.grace_seconds = grace_seconds
        self._seen: dict[Path, _Seen] = {}
        self.open_files: set[Path] = set()

    def __len__(self) -> int:
        return len(self._seen)

    def observe(self, path: Path) -> None:
        """A hint that `path` may have changed; it is checked on the next `ready` call."""
        self._seen.setdefault(path, _Seen())

    def forget(self, path: Path) -> None:
        self._seen.pop(path, None)
        self.open_files.discard(path)

    def ready(self, now: float) -> list[Path]:
        """Tracked files that are ready now, oldest first; vanished files are dropped."""
        ready: list[tuple[float, Path]] = []
        for path, seen in list(self._seen.items()):
            try:
                st = path.stat()
            except OSError:
                self.forget(path)
                continue
            signature = (st.st_size, st.st_mtime_ns)
            if signature != seen.signature:
                seen.signature, seen.since, seen.incomplete_since = signature, now, None
                continue
            if now - seen.since < self.stable_seconds:
                continue
            if InboxFilter.is_open(path):
                self.open_files.add(path)
                continue
            self.open_files.discard(path)
            if not _complete(path):
                seen.incomplete_since = seen.incomplete_since or now
                if now - seen.incomplete_since < self.grace_seconds:
                    continue  # a stalled copy gets time; the reader calls it corrupt after
            ready.append((seen.since, path))
        return [path for _, path in sorted(ready)]

    def waiting(self) -> int:
        """Files still expected to become ready (open files excluded)."""
        return len(self._seen) - len(self.open_files & self._seen.keys())


# -- 3. the loop -------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchOptions:
    """How the watcher runs; from settings, with CLI flags overriding when given."""

    once: bool = False
    polling: bool = False
    poll_interval: float = 2.0
    stable_seconds: float = 2.0
    rescan_seconds: float = 30.0
    incomplete_grace_seconds: float = 60.0
    register_quiet_seconds: float = 2.0

    @classmethod
    def from_settings(cls, settings: Settings, *, once: bool = False,
                      polling: bool | None = None) -> WatchOptions:
        return cls(
            once=once,
            polling=settings.polling if polling is None else polling,
            poll_interval=settings.poll_interval,
            stable_seconds=settings.stable_seconds,
            rescan_seconds=settings.rescan_seconds,
            incomplete_grace_seconds=settings.incomplete_grace_seconds,
            register_quiet_seconds=settings.register_quiet_seconds,
        )

    @property
    def tick(self) -> float:
        return min(max(self.stable_seconds / 4, 0.02), 0.25)


@dataclass
class WatchSummary:
    """Counts for `watch`; `failed` (returned or stuck files) makes `--once` exit 1."""

    archived: int = 0
    returned: int = 0
    duplicate: int = 0
    errors: int = 0
    still_open: list[str] = field(default_factory=list)
    register_error: str = ""
    seconds: float = 0.0

    @property
    def handled(self) -> int:
        return self.archived + self.returned + self.duplicate + self.errors

    @property
    def failed(self) -> int:
        return self.returned + self.errors

    def add(self, handled: Handled) -> None:
        if handled.result is IntakeResult.ARCHIVED:
            self.archived += 1
        elif handled.result is IntakeResult.RETURNED:
            self.returned += 1
        elif handled.result is IntakeResult.DUPLICATE:
            self.duplicate += 1
        else:
            self.errors += 1

    def __str__(self) -> str:
        text = (f"共处理 {self.handled} 个文件：归档 {self.archived}，退回 {self.returned}，"
                f"重复 {self.duplicate}，出错 {self.errors}（{self.seconds:.1f} 秒）"
                f" Handled {self.handled}: archived {self.archived}, returned {self.returned}, "
                f"duplicate {self.duplicate}, errors {self.errors}.")
        if self.still_open:
            text += f"\n仍在 Excel 中打开、未处理 Still open, skipped: {'、'.join(self.still_open)}"
        if self.register_error:
            text += f"\n台账未能更新，下次运行时重试 Register not updated (retried next run): {self.register_error}"
        return text


class RegisterExporter:
    """Exports the register once per quiet spell, retries failures, loses no update."""

    def __init__(self, workspace: Workspace, ledger: Ledger, quiet_seconds: float) -> None:
        self.workspace = workspace
        self.ledger = ledger
        self.quiet_seconds = quiet_seconds
        self.stamp_path = workspace.state_dir / REGISTER_STAMP
        self.dirty = (ledger.register_stale() or self._fingerprint() != self._read_stamp()
                      or not workspace.register_path.is_file())
        self.day = date.today()
        self.dirty_since = time.monotonic()
        self.last_change = 0.0
        self.next_try = 0.0
        self.failures = 0
        self.last_error = ""
        self.exports = 0

    def _fingerprint(self) -> str:
        versions = self.ledger.versions()
        newest = max((v.received_at.isoformat() for v in versions), default="")
        return f"{len(versions)} {newest} {date.today().isoformat()}"

    def _read_stamp(self) -> str:
        try:
            return self.stamp_path.read_text(encoding="utf-8")
        except OSError:
            return ""

    def changed(self, now: float) -> None:
        if not self.dirty:
            self.dirty_since = now
        self.dirty = True
        self.last_change = now

    def maybe_export(self, now: float, busy: bool) -> None:
        """Export when dirty and the inbox has been quiet (or the data waited too long)."""
        if date.today() != self.day:  # a new day: statuses follow the calendar
            self.day = date.today()
            self.changed(now)
        if not self.dirty or now < self.next_try:
            return
        overdue = now - self.dirty_since >= REGISTER_MAX_DELAY
        if (busy or now - self.last_change < self.quiet_seconds) and not overdue:
            return
        self.export(now)

    def export(self, now: float) -> bool:
        fingerprint = self._fingerprint()
        try:
            count = publish(self.workspace, self.ledger)
            self.stamp_path.write_text(fingerprint, encoding="utf-8")
        except OSError as exc:
            self.failures += 1
            delay = min(max(self.quiet_seconds, 0.5) * 2 ** self.failures, REGISTER_MAX_DELAY)
            self.next_try = now + delay
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("register export failed (%s); retrying in %.1f s", self.last_error, delay)
            return False
        self.dirty, self.failures, self.last_error, self.next_try = False, 0, "", 0.0
        self.exports += 1
        log.info("register exported: %d rows", count)
        return True

    def finish(self, attempts: int) -> str:
        """Final export before exiting; returns the error if it still fails."""
        for attempt in range(attempts):
            if not self.dirty or self.export(time.monotonic()):
                return ""
            if attempt + 1 < attempts:
                time.sleep(min(max(self.quiet_seconds, 0.05) * 2 ** attempt, 2.0))
        return self.last_error


def _start_observer(inbox: Path, options: WatchOptions, hints: queue.SimpleQueue[Path]):  # noqa: ANN202
    """Native events by default, polling for shares; either only queues paths."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    class QueueHandler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in ("deleted", "opened", "closed_no_write"):
                return
            path = event.dest_path if event.event_type == "moved" else event.src_path
            if path:
                hints.put(Path(os.fsdecode(path)))

    kinds = [True, False] if options.polling else [False, True]
    for polling in kinds:
        observer = PollingObserver(timeout=options.poll_interval) if polling else Observer()
        try:
            observer.schedule(QueueHandler(), str(inbox), recursive=True)
            observer.start()
            log.info("watching %s (%s)", inbox, "polling" if polling else "native events")
            return observer
        except OSError as exc:  # e.g. inotify watch limit reached
            log.warning("cannot start %s observer: %s", "polling" if polling else "native", exc)
    return None


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT ask the loop to stop after the file in hand (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        log.info("signal %s: finishing the file in hand, then exiting", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_watch(workspace: Workspace, options: WatchOptions,
              stop: threading.Event | None = None) -> WatchSummary:
    """Watch the inbox until stopped (or, with `once`, until it is drained)."""
    started = time.monotonic()
    stop = stop or threading.Event()
    summary = WatchSummary()
    for folder in (workspace.inbox, workspace.outbox):
        folder.mkdir(parents=True, exist_ok=True)
    ledger = open_ledger(workspace.ledger_path)
    intake = Intake(workspace, ledger)
    inbox_filter = InboxFilter(workspace)
    tracker = StabilityTracker(options.stable_seconds, options.incomplete_grace_seconds)
    register = RegisterExporter(workspace, ledger, options.register_quiet_seconds)
    hints: queue.SimpleQueue[Path] = queue.SimpleQueue()
    observer = None if options.once else _start_observer(workspace.inbox, options, hints)
    if options.once:
        rescan = options.tick  # nothing else tells us about changes
    elif observer is None:
        rescan = min(options.rescan_seconds, options.poll_interval)
    else:
        rescan = options.rescan_seconds

    def handle(handled: Handled) -> None:
        summary.add(handled)
        if handled.result is IntakeResult.ARCHIVED:
            register.changed(time.monotonic())

    with _stop_on_signals(stop):
        try:
            for claim in intake.recover():  # files a dead watcher left half done
                handle(intake.handle(claim))
            next_scan = 0.0
            while not stop.is_set():
                now = time.monotonic()
                if now >= next_scan:
                    for path in inbox_filter.scan():
                        tracker.observe(path)
                    if not options.once and next_scan:
                        for claim in intake.recover():
                            handle(intake.handle(claim))
                    next_scan = now + rescan
                while True:
                    try:
                        path = hints.get_nowait()
                    except queue.Empty:
                        break
                    if inbox_filter.matters(path):
                        tracker.observe(path)
                handled_any = False
                for path in tracker.ready(time.monotonic()):
                    if stop.is_set():
                        break
                    tracker.forget(path)
                    claim = intake.claim(path)
                    if claim is not None:
                        handle(intake.handle(claim))
                        handled_any = True
                    elif path.exists() and not options.once:
                        tracker.observe(path)  # could not be moved yet (open on Windows)
                if options.once:
                    if tracker.waiting() == 0:
                        break
                else:
                    register.maybe_export(time.monotonic(), busy=handled_any or tracker.waiting() > 0)
                time.sleep(options.tick)
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            summary.still_open = sorted(str(p.relative_to(workspace.inbox)) for p in tracker.open_files)
            summary.register_error = register.finish(attempts=3 if options.once else 1)
            intake.close()
            ledger.close()
    summary.seconds = time.monotonic() - started
    return summary
