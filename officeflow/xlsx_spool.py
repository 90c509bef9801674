"""Temp-file helpers that keep a one-pass export flat in memory, whatever the row count.

`RowWriter` renders a tab's rows to a temp file as they come (the writer copies it into the
sheet later: `SheetPart.body`); `Spool` keeps rows that must be sorted first on disk, with
only their sort keys in memory.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")
_ROWS_PER_WRITE = 1000


class RowWriter(Generic[T]):
    """Renders rows of one tab into `body`, numbered from row 2 (below the header), in chunks."""

    def __init__(self, body: IO[bytes], render: Callable[[int, T], str]) -> None:
        self.body, self.render = body, render
        self.count = 0
        self._buffer: list[str] = []

    def add(self, row: T) -> None:
        self.count += 1
        self._buffer.append(self.render(self.count + 1, row))
        if len(self._buffer) >= _ROWS_PER_WRITE:
            self.flush()

    def flush(self) -> None:
        self.body.write("".join(self._buffer).encode())
        self._buffer.clear()


class Spool(Sequence[T]):
    """Rows pickled to `file`, their sort keys in memory; `sort()` then read back in key order."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.keys: list[tuple[Any, ...]] = []  # (*key, arrival, offset, length)

    def add(self, key: tuple[Any, ...], row: T) -> None:
        data = pickle.dumps(row, pickle.HIGHEST_PROTOCOL)
        self.keys.append((*key, len(self.keys), self.file.tell(), len(data)))
        self.file.write(data)

    def sort(self) -> Spool[T]:
        self.keys.sort()  # arrival breaks ties: equal keys keep their order, as a stable sort does
        return self

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index: int) -> T:  # type: ignore[override]
        *_, offset, length = self.keys[index]
        self.file.seek(offset)
        return pickle.loads(self.file.read(length))  # our own temp file, written above

    def __iter__(self) -> Iterator[T]:
        return (self[i] for i in range(len(self.keys)))
