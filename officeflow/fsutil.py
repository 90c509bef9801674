"""Atomic file writes: the one helper every stage that touches disk goes through."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
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


@contextlib.contextmanager
def _temp_beside(path: Path) -> Iterator[Path]:
    """A dot-prefixed temp file in the target's folder, removed if anything fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(name)
    # mkstemp makes the file private (0600); archive files are shared, so use the umask.
    os.chmod(temp, 0o666 & ~_UMASK)
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
        shutil.copyfile(source, temp)
        with temp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, target)
    fsync_dir(target.parent)
