"""One file, one child process: a time and memory budget no workbook can exceed.

The child is forked (cheap: the parent's imports and caches come along), limits its own
address space, and sends back one pickled result on a pipe. The parent waits with a
wall clock and kills the child on overrun, so a hostile workbook costs at most the
budget and the queue moves on. The child dies with its parent (PR_SET_PDEATHSIG on
Linux): after a SIGKILL of the watcher nothing keeps writing behind the next one's back.

Fork copies only the calling thread: call `run_budgeted` while no other thread of the
process is inside SQLite (the watcher's other threads only queue file events), or the
child could inherit a held SQLite mutex.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import os
import pickle
import resource
import select
import signal
import sqlite3
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from officeflow.ledger_errors import database_errors

# The budget of one file. Constants for now (settings.py belongs to the ledger redesign):
BUDGET_SECONDS = 60.0  # wall clock for one file, parse to archive (a normal file takes < 1 s)
BUDGET_MEMORY_MB = 1024  # address space one file may add to what the child inherits
STOP_GRACE_SECONDS = 3.0  # on SIGTERM the file in hand gets this long to finish, then is killed


@dataclass(frozen=True)
class Budget:
    seconds: float = BUDGET_SECONDS
    memory_mb: int = BUDGET_MEMORY_MB


DEFAULT_BUDGET = Budget()


class ChildStatus(StrEnum):
    OK = "ok"
    FAILED = "failed"  # the function raised; `error` says what
    TIMEOUT = "timeout"  # killed at the wall-clock limit
    MEMORY = "memory"  # MemoryError at the address-space limit
    DIED = "died"  # ended without a result (killed by the kernel, crashed in C…)
    STOPPED = "stopped"  # the watcher was asked to stop; the child was killed


@dataclass
class ChildResult:
    status: ChildStatus
    value: Any = None
    error: str = ""
    server_fault: bool = False  # OSError or database error: the server's problem, not the file's
    trace: str = ""  # the child's traceback when it raised: for the operator's log
    seconds: float = 0.0
    peak_mb: float = 0.0  # the child's peak resident memory


def server_fault(exc: BaseException) -> bool:
    """Disk full, read-only or missing folders, a locked or unreachable ledger: not the author's fault."""
    return isinstance(exc, (OSError, sqlite3.Error, *database_errors()))


def run_budgeted(work: Callable[..., Any], args: tuple[Any, ...], budget: Budget = DEFAULT_BUDGET,
                 stop: threading.Event | None = None) -> ChildResult:
    """`work(*args)` in a forked child within `budget`; never raises for what the child does."""
    started = time.monotonic()
    parent = os.getpid()
    # Resident memory is watched from here too: RLIMIT_AS alone misses memory a child
    # forked from a thread takes from that thread's already-reserved malloc arena.
    rss_limit = _resident(parent) + budget.memory_mb * 1024 * 1024
    _libc()
    read_end, write_end = os.pipe()
    # The parent's objects are frozen across the fork so that the child's collections skip
    # them: a collection writes into every object it visits, and those writes would copy
    # every page of the parent's heap into the child (measured: the child ran ~2x slower).
    gc.freeze()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(work, args, budget, parent, write_end)
    gc.unfreeze()
    os.close(write_end)
    status: ChildStatus | None = None
    try:
        status, chunks = _wait(pid, read_end, started, budget, rss_limit, stop)
    finally:
        os.close(read_end)
        if status is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, code, usage = os.wait4(pid, 0)
    result = ChildResult(status or ChildStatus.DIED)
    if status is None and chunks:
        with contextlib.suppress(Exception):  # a truncated payload: the child died writing it
            kind, value, error, fault, trace = pickle.loads(b"".join(chunks))
            result = ChildResult(ChildStatus(kind), value, error, fault, trace)
    if result.status is ChildStatus.DIED and stop is not None and stop.is_set():
        result.status = ChildStatus.STOPPED  # e.g. SIGTERM sent to the whole service group
    result.seconds = time.monotonic() - started
    result.peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return result


def _wait(pid: int, read_end: int, started: float, budget: Budget, rss_limit: int,
          stop: threading.Event | None) -> tuple[ChildStatus | None, list[bytes]]:
    """Read the child's result until it ends; the status is set when it must be killed."""
    chunks: list[bytes] = []
    stop_deadline: float | None = None
    while True:
        now = time.monotonic()
        if now - started > budget.seconds:
            return ChildStatus.TIMEOUT, chunks
        if _resident(pid) > rss_limit > budget.memory_mb * 1024 * 1024:
            return ChildStatus.MEMORY, chunks
        if stop is not None and stop.is_set():
            stop_deadline = stop_deadline or now + STOP_GRACE_SECONDS
            if now > stop_deadline:
                return ChildStatus.STOPPED, chunks
        ready, _, _ = select.select([read_end], [], [], 0.05)
        if ready:
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                return None, chunks
            chunks.append(chunk)


def _child(work: Callable[..., Any], args: tuple[Any, ...], budget: Budget, parent: int,
           write_end: int) -> None:
    try:
        # The parent decides when to stop (SIGTERM/SIGINT reach the whole process group).
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with_parent(parent)
        _limit_memory(budget.memory_mb)
        try:
            payload: tuple[str, Any, str, bool, str] = (ChildStatus.OK.value, work(*args), "", False, "")
        except MemoryError:
            payload = (ChildStatus.MEMORY.value, None, "MemoryError", False, "")
        except BaseException as exc:  # noqa: BLE001 - everything is reported to the parent
            payload = (ChildStatus.FAILED.value, None, f"{type(exc).__name__}: {exc}", server_fault(exc),
                       traceback.format_exc())
        try:
            data = pickle.dumps(payload)
        except Exception as exc:  # noqa: BLE001
            data = pickle.dumps((ChildStatus.FAILED.value, None, f"result not picklable: {exc}", False, ""))
        view = memoryview(data)
        while view:
            view = view[os.write(write_end, view):]
    finally:
        os._exit(0)  # no atexit handlers, no finalisers of the parent's objects (its ledger)


def _resident(pid: int) -> int:
    """Resident bytes of `pid` (0 where /proc is missing: then only RLIMIT_AS holds)."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _die_with_parent(parent: int) -> None:
    with contextlib.suppress(Exception):
        _libc().prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, opened once in the parent: each child used to pay for it (~1 ms)."""
    return ctypes.CDLL(None)


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what the child has now plus the budget."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError, ValueError):
        return  # no /proc: no memory cap, the wall clock still holds
    limit = current + memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
