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
from officeflow.ledger import open_ledger
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
    kept: int = 0  # server faults: left claimed for a retry
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
        if self.kept:
            text += (f"\n服务器故障，{self.kept} 个文件保留在处理区，稍后重试（不是提交人的问题）"
                     f" Kept {self.kept} file(s) after a server fault; retried later.")
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
    summary = WatchSummary()
    for folder in (workspace.inbox, workspace.outbox):
        folder.mkdir(parents=True, exist_ok=True)
    ledger = open_ledger(workspace.ledger_path)
    intake = Intake(workspace, ledger, options.budget, stop)
    for orphan in clean_orphans(workspace):  # temp files of writers killed mid-write
        log.info("removed left-over temp file %s", orphan)
    inbox_filter = InboxFilter(workspace)
    tracker = StabilityTracker(options.stable_seconds, options.incomplete_grace_seconds)
    register = RegisterExporter(workspace, ledger, options.register_quiet_seconds)
    retries = _Retries(options.retry_seconds)
    hints: queue.SimpleQueue[Path] = queue.SimpleQueue()
    observer = None if options.once else _start_observer(workspace.inbox, options, hints)
    if options.once:
        rescan = options.tick  # nothing else tells us about changes
    elif observer is None:
        rescan = min(options.rescan_seconds, options.poll_interval)
    else:
        rescan = options.rescan_seconds

    def handle(claim: Claim) -> None:
        handled = intake.handle(claim)
        summary.add(handled)
        if handled.result is IntakeResult.ARCHIVED:
            register.changed(time.monotonic())
        elif handled.result is IntakeResult.KEPT:
            retries.add(claim, time.monotonic())

    once_rounds = 0
    with _stop_on_signals(stop):
        try:
            for claim in intake.recover():  # files a dead watcher left half done
                if stop.is_set():
                    break
                handle(claim)
            next_scan = 0.0
            while not stop.is_set():
                now = time.monotonic()
                if now >= next_scan:
                    for path in inbox_filter.scan():
                        tracker.observe(path)
                    if not options.once and next_scan:
                        for claim in intake.recover():
                            if not stop.is_set():
                                handle(claim)
                    next_scan = now + rescan
                while True:
                    try:
                        path = hints.get_nowait()
                    except queue.Empty:
                        break
                    if inbox_filter.matters(path):
                        tracker.observe(path)
                handled_any = False
                ready = tracker.ready(time.monotonic())
                if len(ready) > 1:  # V1.0 before V1.1 of one document, whatever their order here
                    ready = version_order(ready, identities(ready, intake.max_bytes))
                for path in ready:
                    if stop.is_set():
                        break
                    tracker.forget(path)
                    claim = intake.claim(path)
                    if claim is not None:
                        handle(claim)
                        handled_any = True
                    elif os.path.lexists(path) and not options.once:
                        tracker.observe(path)  # could not be moved yet (open on Windows)
                if options.once and tracker.waiting() == 0:  # drained: retry kept files a little
                    if not len(retries) or once_rounds >= ONCE_RETRIES:
                        break
                    once_rounds += 1
                    stop.wait(min(options.retry_seconds * 2 ** (once_rounds - 1), 5.0))
                    for claim in retries.due(time.monotonic(), everything=True):
                        handle(claim)
                    continue
                if not options.once:
                    for claim in retries.due(time.monotonic()):
                        if not stop.is_set():
                            handle(claim)
                    register.maybe_export(time.monotonic(), busy=handled_any or tracker.waiting() > 0)
                time.sleep(options.tick)
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            summary.kept = len(retries)
            summary.still_open = sorted(str(p.relative_to(workspace.inbox)) for p in tracker.open_files)
            summary.register_error = register.finish(attempts=3 if options.once else 1)
            intake.close()
            ledger.close()
    summary.seconds = time.monotonic() - started
    return summary
