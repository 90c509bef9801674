"""A temp-file spool that keeps a one-pass export flat in memory, whatever the row count:
rows that must be sorted first stay on disk, only their sort keys in memory."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from typing import IO, Any, TypeVar

T = TypeVar("T")


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
