"""The inbox and pipeline locks: the `filelock` library (flock on POSIX, msvcrt on Windows).

Measured against the hand-written lock it replaces (filelock 4.3.1, Linux, ext4): the
same flock semantics (a second holder in the same or another process is refused, the
lock goes with a SIGKILLed holder, a forked child's exit leaves the parent's lock held,
the lock file stays); a waiter wakes ~2 ms after the release instead of ~0.1 ms (it
polls), 0.3 ms per acquire+release, 68 ms to import: nothing next to a file's ~1 s. It
gains a Windows lock tested upstream and a lock path opened with O_NOFOLLOW.

Two settings are not the defaults, both because intake reads "I could take this lock" as
"its watcher is dead":
- fallback_to_soft=False: on a filesystem without flock the library would otherwise use
  a marker file, which a SIGKILL leaves behind (a dead watcher would look alive);
  failing loudly at start is right there;
- thread_local=False: the lock is one process's, whichever thread takes or drops it.
"""

from __future__ import annotations

from pathlib import Path

import filelock


class FileLock:
    """An advisory lock on a lock file, released by the OS when its process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = filelock.FileLock(path, thread_local=False, fallback_to_soft=False)

    def acquire(self, blocking: bool = True) -> bool:
        """Wait for the lock; with `blocking=False`, False at once when another holds it."""
        try:
            self._lock.acquire(blocking=blocking)
        except filelock.Timeout:
            return False
        return True

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
