"""A temp-file spool that keeps a one-pass export flat in memory, whatever the row count:
rows that must be sorted first stay on disk, only a run's worth in memory."""

from __future__ import annotations

import heapq
import os
import pickle
import struct
from collections.abc import Iterator
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")

_RUN_BYTES = 8 << 20  # rows sorted in memory before they go to disk as one run
_READ_BYTES = 1 << 20  # each run read back a block at a time
_LENGTH = struct.Struct("<I")


class Spool(Generic[T]):
    """Rows kept in `file` in sorted runs (an external merge sort); `sort()`, then iterate.

    Rows are pickled and gathered in memory up to `_RUN_BYTES`, sorted by key, and written as one
    run; iterating merges the runs, each read sequentially a block at a time. (Reading each row
    back at its own offset cost a system call per row: a tenth of a 50k register export.) Equal
    keys keep their order of arrival, as a stable sort does.
    """

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self._run: list[tuple[Any, ...]] = []  # (*key, arrival, pickled row)
        self._run_bytes = 0
        self._runs: list[tuple[int, int]] = []  # (offset, length) in `file`
        self._count = 0

    def add(self, key: tuple[Any, ...], row: T) -> None:
        item = (*key, self._count, row)
        self._run.append((*key, self._count, pickle.dumps(item, pickle.HIGHEST_PROTOCOL)))
        self._count += 1
        self._run_bytes += len(self._run[-1][-1])
        if self._run_bytes >= _RUN_BYTES:
            self._write_run()

    def _write_run(self) -> None:
        self._run.sort()  # arrival is unique: the pickled rows are never compared
        start = self.file.seek(0, os.SEEK_END)
        pack = _LENGTH.pack
        self.file.write(b"".join(pack(len(item[-1])) + item[-1] for item in self._run))
        self._runs.append((start, self.file.tell() - start))
        self._run, self._run_bytes = [], 0

    def sort(self) -> Spool[T]:
        if self._runs and self._run:  # a single run stays in memory: no need to write it
            self._write_run()
        self.file.flush()
        return self

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[T]:
        if not self._runs:
            self._run.sort()
            return (pickle.loads(item[-1])[-1] for item in self._run)  # our own rows, pickled above
        # Each run yields (*key, arrival, row): merged by key, then arrival, never by row.
        return (item[-1] for item in heapq.merge(*(self._read(*run) for run in self._runs)))

    def _read(self, offset: int, length: int) -> Iterator[tuple[Any, ...]]:
        """One run's items, in order, read from the file a block at a time."""
        fd, end, head = self.file.fileno(), offset + length, _LENGTH.size
        buffer, at = b"", 0
        while True:
            if len(buffer) - at >= head:
                (size,) = _LENGTH.unpack_from(buffer, at)
                if len(buffer) - at - head >= size:
                    yield pickle.loads(buffer[at + head:at + head + size])  # our own rows, pickled above
                    at += head + size
                    continue
            if offset >= end:
                return
            block = _pread(fd, min(_READ_BYTES, end - offset), offset)
            if not block:
                raise EOFError("the spool file is shorter than what was written to it")
            offset += len(block)
            buffer, at = buffer[at:] + block, 0


def _pread(fd: int, length: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows: no pread; the file's own position is not used
    return os.read(fd, length)
