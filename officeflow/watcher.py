"""The inbox watcher: a filter, a stability tracker, and a loop that hands ready files on.

File events (native or polled) are only hints that put a path on a queue; the truth is a
scan of the inbox at start-up and every `rescan_seconds`. A file is handed to intake
once its size and modification time have stayed the same for `stable_seconds`, no
Office lock file sits beside it, and (for .xlsx) its zip directory is complete.

Nothing follows a symlink or opens anything but a regular file (`inbox`); within one
batch of ready files the versions of one 流程编号 go in version order (`peek`); each file
is worked on in a child process with a budget (`intake`, `sandbox`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from officeflow.fsutil import clean_orphans
from officeflow.inbox import (
    IGNORED_NAMES,
    IGNORED_SUFFIXES,
    InboxFilter,
    StabilityTracker,
    ignored_name,
)
from officeflow.intake import Claim, Handled, Intake, IntakeResult
from officeflow.ledger import workspace_ledger
from officeflow.peek import identities, version_order
from officeflow.sandbox import DEFAULT_BUDGET, Budget
from officeflow.settings import Settings, Workspace
from officeflow.watch_register import REGISTER_MAX_DELAY, REGISTER_STAMP, RegisterExporter

__all__ = ["IGNORED_NAMES", "IGNORED_SUFFIXES", "REGISTER_MAX_DELAY", "REGISTER_STAMP", "InboxFilter", "RegisterExporter", "StabilityTracker",
           "WatchOptions", "WatchSummary", "ignored_name", "run_watch"]

log = logging.getLogger(__name__)

RETRY_SECONDS = 5.0  # first retry of a file kept after a server fault; doubles up to RETRY_MAX
RETRY_MAX_SECONDS = 300.0
ONCE_RETRIES = 2  # `watch --once` retries a kept file this often before leaving it claimed


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
    budget: Budget = DEFAULT_BUDGET  # time and memory of one file (sandbox constants for now)
    retry_seconds: float = RETRY_SECONDS

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
    kept: int = 0  # server faults and broken Word templates: left claimed for a retry
    held: int = 0  # of `kept`: waiting for a Word template to be fixed
    still_open: list[str] = field(default_factory=list)
    register_error: str = ""
    seconds: float = 0.0

    @property
    def handled(self) -> int:
        return self.archived + self.returned + self.duplicate + self.errors

    @property
    def failed(self) -> int:
        return self.returned + self.errors + self.kept

    def add(self, handled: Handled) -> None:
        if handled.result is IntakeResult.ARCHIVED:
            self.archived += 1
        elif handled.result is IntakeResult.RETURNED:
            self.returned += 1
        elif handled.result is IntakeResult.DUPLICATE:
            self.duplicate += 1
        elif handled.result is IntakeResult.ERROR:
            self.errors += 1

    def __str__(self) -> str:
        text = (f"共处理 {self.handled} 个文件：归档 {self.archived}，退回 {self.returned}，"
                f"重复 {self.duplicate}，出错 {self.errors}（{self.seconds:.1f} 秒）"
                f" Handled {self.handled}: archived {self.archived}, returned {self.returned}, "
                f"duplicate {self.duplicate}, errors {self.errors}.")
        if self.held:
            text += (f"\nWord 模板有误，{self.held} 个文件保留在处理区，修改模板后处理（不是提交人的问题）"
                     f" Held {self.held} file(s) until the Word template is fixed.")
        if self.kept - self.held:
            text += (f"\n服务器故障，{self.kept - self.held} 个文件保留在处理区，稍后重试（不是提交人的问题）"
                     f" Kept {self.kept - self.held} file(s) after a server fault; retried later.")
        if self.still_open:
            text += f"\n仍在 Excel 中打开、未处理 Still open, skipped: {'、'.join(self.still_open)}"
        if self.register_error:
            text += f"\n台账未能更新，下次运行时重试 Register not updated (retried next run): {self.register_error}"
        return text


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
            log.info("正在监视 %s（%s）", inbox, "轮询" if polling else "系统事件")
            return observer
        except OSError as exc:  # e.g. inotify watch limit reached
            log.warning("无法启动%s监视：%s", "轮询" if polling else "系统事件", exc)
    return None


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT ask the loop to stop after the file in hand (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        log.info("收到 %s：处理完手上的文件后退出", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class _Retries:
    """Files kept after a server fault, each with its next try (exponential backoff)."""

    def __init__(self, first: float) -> None:
        self.first = first
        self._due: dict[str, tuple[Claim, float, int]] = {}

    def __len__(self) -> int:
        return len(self._due)

    def add(self, claim: Claim, now: float) -> None:
        _, _, failures = self._due.get(claim.token, (claim, 0.0, 0))
        delay = min(self.first * 2 ** failures, RETRY_MAX_SECONDS)
        self._due[claim.token] = (claim, now + delay, failures + 1)

    def due(self, now: float, everything: bool = False) -> list[Claim]:
        ready = [c for c, at, _ in self._due.values() if everything or at <= now]
        for claim in ready:
            del self._due[claim.token]
        return ready

    def next_at(self) -> float:
        return min((at for _, at, _ in self._due.values()), default=0.0)


def run_watch(workspace: Workspace, options: WatchOptions,
              stop: threading.Event | None = None) -> WatchSummary:
    """Watch the inbox until stopped (or, with `once`, until it is drained)."""
    started = time.monotonic()
    stop = stop or threading.Event()
    for folder in (workspace.inbox, workspace.outbox):
        folder.mkdir(parents=True, exist_ok=True)
    ledger = workspace_ledger(workspace)
    intake = Intake(workspace, ledger, options.budget, stop)
    for orphan in clean_orphans(workspace):  # temp files of writers killed mid-write
        log.info("已删除残留的临时文件 %s", orphan)
    hints: queue.SimpleQueue[Path] = queue.SimpleQueue()
    register = RegisterExporter(workspace, ledger, options.register_quiet_seconds)
    loop = _Loop(workspace, options, stop, intake, register, hints)
    observer = None if options.once else _start_observer(workspace.inbox, options, hints)
    with _stop_on_signals(stop):
        try:
            loop.run(_rescan_seconds(options, watching=observer is not None))
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            loop.finish()
            intake.close()
            ledger.close()
    loop.summary.seconds = time.monotonic() - started
    return loop.summary


def _templates_signature(workspace: Workspace) -> tuple[tuple[str, int, int], ...]:
    """Name, size and mtime of each file in templates/ (a fix, a removal or a new file changes it)."""
    try:
        entries = list(os.scandir(workspace.templates))
    except OSError:
        return ()
    found = []
    for entry in entries:
        with contextlib.suppress(OSError):
            st = entry.stat(follow_symlinks=False)
            found.append((entry.name, st.st_size, st.st_mtime_ns))
    return tuple(sorted(found))


def _rescan_seconds(options: WatchOptions, watching: bool) -> float:
    if options.once:
        return options.tick  # nothing else tells us about changes
    if not watching:
        return min(options.rescan_seconds, options.poll_interval)
    return options.rescan_seconds


class _Loop:
    """One watcher's loop: scan and hints feed the tracker, ready files are claimed and handled."""

    def __init__(self, workspace: Workspace, options: WatchOptions, stop: threading.Event, intake: Intake,
                 register: RegisterExporter, hints: queue.SimpleQueue[Path]) -> None:
        self.workspace = workspace
        self.options = options
        self.stop = stop
        self.intake = intake
        self.register = register
        self.hints = hints
        self.summary = WatchSummary()
        self.inbox_filter = InboxFilter(workspace)
        self.tracker = StabilityTracker(options.stable_seconds, options.incomplete_grace_seconds)
        self.retries = _Retries(options.retry_seconds)
        self.held: dict[str, Claim] = {}  # stopped on a broken Word template: retried when templates change
        self.held_templates: tuple[tuple[str, int, int], ...] = ()

    def handle(self, claim: Claim) -> None:
        handled = self.intake.handle(claim)
        self.summary.add(handled)
        if handled.result is IntakeResult.ARCHIVED:
            self.register.changed(time.monotonic())
        elif handled.held:
            self.held[claim.token] = claim
            self.held_templates = _templates_signature(self.workspace)
        elif handled.result is IntakeResult.KEPT:
            self.retries.add(claim, time.monotonic())

    def retry_held(self) -> None:
        """Held files again once the operator changed the templates (not before: one log line per change)."""
        if self.held and _templates_signature(self.workspace) != self.held_templates:
            claims, self.held = list(self.held.values()), {}
            self.handle_all(claims)

    def handle_all(self, claims: list[Claim]) -> None:
        for claim in claims:
            if self.stop.is_set():
                break
            self.handle(claim)

    def run(self, rescan: float) -> None:
        self.handle_all(self.intake.recover())  # files a dead watcher left half done
        next_scan = 0.0
        once_rounds = 0
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= next_scan:
                for path in self.inbox_filter.scan():
                    self.tracker.observe(path)
                if not self.options.once and next_scan:
                    self.handle_all(self.intake.recover())
                next_scan = now + rescan
            self._take_hints()
            handled_any = self._handle_ready()
            if self.options.once and self.tracker.waiting() == 0:  # drained: retry kept files a little
                if not len(self.retries) or once_rounds >= ONCE_RETRIES:
                    break
                once_rounds += 1
                self.stop.wait(min(self.options.retry_seconds * 2 ** (once_rounds - 1), 5.0))
                for claim in self.retries.due(time.monotonic(), everything=True):
                    self.handle(claim)
                continue
            if not self.options.once:
                self.retry_held()
                self.handle_all(self.retries.due(time.monotonic()))
                self.register.maybe_export(time.monotonic(),
                                           busy=handled_any or self.tracker.waiting() > 0)
            time.sleep(self.options.tick)

    def _take_hints(self) -> None:
        while True:
            try:
                path = self.hints.get_nowait()
            except queue.Empty:
                return
            if self.inbox_filter.matters(path):
                self.tracker.observe(path)

    def _handle_ready(self) -> bool:
        """Claim and handle each file that has settled; True if any was handled."""
        handled_any = False
        ready = self.tracker.ready(time.monotonic())
        if len(ready) > 1:  # V1.0 before V1.1 of one document, whatever their order here
            ready = version_order(ready, identities(ready, self.intake.max_bytes))
        for path in ready:
            if self.stop.is_set():
                break
            self.tracker.forget(path)
            claim = self.intake.claim(path)
            if claim is not None:
                self.handle(claim)
                handled_any = True
            elif os.path.lexists(path) and not self.options.once:
                self.tracker.observe(path)  # could not be moved yet (open on Windows)
        return handled_any

    def finish(self) -> None:
        self.summary.kept = len(self.retries) + len(self.held)
        self.summary.held = len(self.held)
        self.summary.still_open = sorted(str(p.relative_to(self.workspace.inbox))
                                         for p in self.tracker.open_files)
        self.summary.register_error = self.register.finish(attempts=3 if self.options.once else 1)
