"""Which inbox entries are files for officeflow, and when a file is ready to be taken.

Nothing here follows a symlink or opens anything but a regular file (lstat, O_NOFOLLOW,
O_NONBLOCK): a FIFO or a link named `*.xlsx` is handed on unopened, and intake answers it.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from officeflow.fsutil import NAME_MAX, NotRegularFile, name_bytes, open_regular
from officeflow.settings import Workspace

IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store", "icon\r"})
IGNORED_SUFFIXES = (".tmp", ".temp", ".filepart", ".crdownload", ".part", ".partial",
                    ".download", ".swp")
ZIP_SUFFIXES = (".xlsx", ".xlsm")
_CRC_CHECK_LIMIT = 50 * 1024 * 1024  # larger (suspicious) archives are left to the reader's guard


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
        folder = self.inbox
        for part in parts[:-1]:  # a linked folder leads out of the inbox: never followed
            folder = folder / part
            if os.path.islink(folder):
                return False
        return not ignored_name(parts[-1])

    @staticmethod
    def is_open(path: Path) -> bool:
        """An Office or LibreOffice lock file beside it: someone still has it open.

        Names are counted in bytes: a lock name longer than NAME_MAX cannot exist (and
        asking for it would raise ENAMETOOLONG).
        """
        name = path.name
        for owner in (f"~${name}", f"~${name[2:]}", f".~lock.{name}#"):
            if name_bytes(owner) > NAME_MAX:
                continue
            try:
                os.lstat(path.parent / owner)
                return True
            except OSError:
                continue
        return False

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
        with os.fdopen(open_regular(path), "rb") as fh, zipfile.ZipFile(fh) as archive:
            if sum(i.file_size for i in archive.infolist()) > _CRC_CHECK_LIMIT:
                return True
            return archive.testzip() is None
    except NotRegularFile:
        return True  # swapped for a FIFO or a link: intake answers it, unopened
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
                st = os.lstat(path)  # never follows a link; never opens (a FIFO would block)
            except OSError:
                self.forget(path)
                continue
            if stat.S_ISDIR(st.st_mode):
                self.forget(path)  # a folder is walked, never taken
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
            # an empty file has no zip directory to wait for: the gate says 文件为空 at once
            if stat.S_ISREG(st.st_mode) and st.st_size and not _complete(path):
                seen.incomplete_since = seen.incomplete_since or now
                if now - seen.incomplete_since < self.grace_seconds:
                    continue  # a stalled copy gets time; the reader calls it corrupt after
            ready.append((seen.since, path))
        return [path for _, path in sorted(ready)]

    def waiting(self) -> int:
        """Files still expected to become ready (open files excluded)."""
        return len(self._seen) - len(self.open_files & self._seen.keys())
