"""Atomic file writes, safe reads of user-given files, and names that fit the filesystem.

Every stage that writes goes through the atomic helpers here; their temp files are named
`.<name>.of<pid>-<random>.tmp` so `clean_orphans` can tell a dead writer's left-over from
a live one's.

hashlib, tempfile and shutil are imported inside the functions that use them: read-only
commands (status, due, audit) load this module through the ledger and never write or hash,
and the three cost ~6 ms of every start-up (issue 15).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from officeflow.errors import OfficeflowError

if TYPE_CHECKING:
    from officeflow.settings import Workspace

NAME_MAX = 255  # bytes in one file name (ext4, xfs, btrfs, NTFS via SMB counts differently but less)
TEMP_NAME_ROOM = 60  # bytes of the target's name kept in a temp name
ORPHAN_AGE_SECONDS = 15 * 60  # a temp file this old is left-over even if its pid is alive (reused)
_TEMP_NAME = re.compile(r"^\..*\.of(?P<pid>\d+)-[a-z0-9_]{8}\.tmp$")
_OLD_TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # before the pid was part of the name


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def sha256_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def make_temp_beside(path: Path) -> Path:
    """Create an empty, shareable temp file beside `path`, named so `clean_orphans` knows it.

    The target's name is shortened in the temp name: a 250-byte target must still get a
    temp name within NAME_MAX.
    """
    short = fit_name(path.name, "", TEMP_NAME_ROOM)
    import tempfile

    fd, name = tempfile.mkstemp(prefix=f".{short}.of{os.getpid()}-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    # mkstemp makes the file private (0600); archive and returned files are shared.
    os.chmod(name, 0o666 & ~_UMASK)
    return Path(name)


@contextlib.contextmanager
def _temp_beside(path: Path) -> Iterator[Path]:
    """A dot-prefixed temp file in the target's folder, removed if anything fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = make_temp_beside(path)
    try:
        yield temp
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never a mix."""
    with _temp_beside(path) as temp:
        with temp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    fsync_dir(path.parent)


def atomic_write_with(path: Path, write: Callable[[Path], None]) -> None:
    """Let `write(temp_path)` produce the file (openpyxl, xlsxwriter…), then swap it in."""
    with _temp_beside(path) as temp:
        write(temp)
        with temp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, path)
    fsync_dir(path.parent)


def atomic_copy(source: Path, target: Path) -> None:
    """Copy `source` to `target` atomically (works across filesystems, unlike os.replace)."""
    with _temp_beside(target) as temp:
        # Only a regular file is copied: a symlink planted where the file was is not followed.
        with os.fdopen(open_regular(source), "rb") as src, temp.open("wb") as dst:
            import shutil

            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(temp, target)
    fsync_dir(target.parent)


# -- names in bytes ------------------------------------------------------------------------


def name_bytes(name: str) -> int:
    """Length of a file name as the filesystem counts it (UTF-8 bytes, undecodable kept)."""
    return len(os.fsencode(name))


def display_name(name: str) -> str:
    """A name fit for reports and the ledger: bytes that are not UTF-8 become U+FFFD."""
    return os.fsencode(name).decode("utf-8", "replace")


def fit_name(stem: str, tail: str, limit: int = NAME_MAX) -> str:
    """`stem + tail` if it fits `limit` bytes; else the stem cut on a character boundary
    plus `~` and a short hash of the whole stem (distinct long names stay distinct)."""
    if name_bytes(stem + tail) <= limit:
        return stem + tail
    import hashlib

    mark = "~" + hashlib.sha1(os.fsencode(stem)).hexdigest()[:8]
    room = limit - name_bytes(tail) - len(mark)
    cut = stem
    while cut and name_bytes(cut) > room:
        cut = cut[:-1]
    return cut + mark + tail


# -- reading a file a user gave us ---------------------------------------------------------


class NotRegularFile(OfficeflowError):
    """A FIFO, socket, device, directory or symlink where a file was expected."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"“{display_name(path.name)}”是{kind}，不是普通文件，未读取。"
                         f" Not a regular file ({kind}): {display_name(str(path))}")
        self.path = path
        self.kind = kind


class FileTooLarge(OfficeflowError):
    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(f"“{display_name(path.name)}”大小 {size / 1048576:.1f} MB，超过上限 "
                         f"{limit / 1048576:g} MB。 File too large: {display_name(str(path))}")
        self.path = path
        self.size = size
        self.limit = limit


_KINDS = ((stat.S_ISLNK, "符号链接"), (stat.S_ISFIFO, "命名管道"), (stat.S_ISSOCK, "套接字"),
          (stat.S_ISCHR, "设备文件"), (stat.S_ISBLK, "设备文件"), (stat.S_ISDIR, "文件夹"))


def file_kind(mode: int) -> str:
    """Chinese name of a non-regular file type ("" for a regular file)."""
    if stat.S_ISREG(mode):
        return ""
    return next((name for test, name in _KINDS if test(mode)), "特殊文件")


def open_regular(path: Path) -> int:
    """Open `path` for reading only if it is a regular file; never follows a final symlink.

    O_NONBLOCK: opening a FIFO with no writer would otherwise block forever; O_NOFOLLOW
    refuses a symlink (ELOOP). The type is checked on the open descriptor (fstat), so a
    file swapped for another between a check and the open cannot slip through.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise NotRegularFile(path, "符号链接") from None
        raise
    try:
        kind = file_kind(os.fstat(fd).st_mode)
        if kind:
            raise NotRegularFile(path, kind)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`.

    Raises NotRegularFile (FIFO, device, socket, directory, symlink) or FileTooLarge, both
    OfficeflowErrors with a Chinese message; other OSErrors pass through. Reads at most
    `max_bytes + 1` bytes even if the file grows while it is read.
    """
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise FileTooLarge(path, size, max_bytes)
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(path, len(data), max_bytes)
    return data


# -- left-overs of killed writers ----------------------------------------------------------


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, someone else's
        return True
    return True


def orphan_temp(path: Path, now: float) -> bool:
    """A temp file of ours whose writer is gone (dead pid) or that is too old to be live."""
    match = _TEMP_NAME.match(path.name)
    if match is None and not _OLD_TEMP_NAME.match(path.name):
        return False
    try:
        st = path.lstat()
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    if now - st.st_mtime > ORPHAN_AGE_SECONDS:
        return True
    return match is not None and int(match["pid"]) != os.getpid() and not pid_alive(int(match["pid"]))


def clean_orphans(workspace: Workspace) -> list[Path]:
    """Remove temp files left by killed writers in the archive, the returned folder, the
    state folder and the workspace root; returns what was removed.

    A temp file whose writer is alive (a `process` run beside a watcher) is kept; on a
    share written by several hosts a pid means nothing, so only the age rule is safe
    there (deploy.md: one watcher per inbox).
    """
    now = time.time()
    removed: list[Path] = []
    roots = [workspace.outbox, workspace.root / "records", workspace.returned, workspace.state_dir]
    candidates: list[Path] = [p for p in _entries(workspace.root) if p.name.startswith(".")]
    for root in roots:
        for folder, _dirs, files in os.walk(root):
            candidates.extend(Path(folder) / name for name in files if name.startswith("."))
    for path in candidates:
        if orphan_temp(path, now):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []
