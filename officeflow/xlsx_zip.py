"""The .xlsx package's zip container, with the big parts deflated on a second core.

Deflating the register's sheets was a fifth of the export's time, all of it after the rows were
rendered. Here a sheet's rows are deflated as they are rendered: a `DeflatedPart` takes the XML
a chunk at a time and a worker thread compresses it into a temp file (zlib releases the GIL, so
it runs beside the rendering). The part is then copied into the package as it is, between the
sheet's head and tail: raw deflate streams cut with Z_SYNC_FLUSH join into one valid stream,
and the CRC-32s are combined (`crc32_combine`, zlib's algorithm) without reading the bytes again.

`ZipWriter` writes what zipfile would for these parts (deflated entries, no zip64: a sheet
within Excel's row limit stays far below 4 GB, and a package that would not is refused), to a
seekable file: each entry's sizes and CRC are written into its header once it is complete.
"""

from __future__ import annotations

import queue
import shutil
import struct
import threading
import time
import zlib
from tempfile import TemporaryFile
from types import TracebackType
from typing import IO

LEVEL = 1  # deflate level: 2.5x faster than zlib's default 6 on register XML, the file ~25 % larger
_WBITS = -15  # raw deflate, as zip stores it
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_LIMIT = 0xFFFF_FFFF
_QUEUED_CHUNKS = 4  # chunks waiting for the worker at most (~1.5 MB each): memory stays flat


class DeflatedPart:
    """Bytes deflated on a worker thread as they are written; `finish()`, then `ZipEntry.copy`."""

    def __init__(self) -> None:
        self.file: IO[bytes] = TemporaryFile()  # noqa: SIM115 (closed by close())
        self.crc = 0
        self.size = 0  # uncompressed
        self._chunks: queue.Queue[bytes | None] = queue.Queue(_QUEUED_CHUNKS)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._deflate, name="deflate", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        if self._error is not None:
            raise self._error
        if data:
            self._chunks.put(data)

    def _deflate(self) -> None:
        deflater = zlib.compressobj(LEVEL, zlib.DEFLATED, _WBITS)
        crc, size, file = 0, 0, self.file
        try:
            while (data := self._chunks.get()) is not None:
                crc = zlib.crc32(data, crc)
                size += len(data)
                file.write(deflater.compress(data))
            file.write(deflater.flush(zlib.Z_SYNC_FLUSH))  # byte-aligned, not final: more follows
        except BaseException as exc:  # noqa: BLE001 - handed to the writing thread
            self._error = exc
            while self._chunks.get() is not None:  # let the writer finish putting
                pass
        self.crc, self.size = crc, size

    def finish(self) -> None:
        """Wait for the worker: `crc`, `size` and `file` are then complete."""
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()
        self.file.close()

    def __enter__(self) -> DeflatedPart:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


class ZipWriter:
    """A zip archive of deflated entries written to `out` (seekable), one entry at a time."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self._central: list[bytes] = []
        now = time.localtime()
        self._time = now.tm_hour << 11 | now.tm_min << 5 | now.tm_sec // 2
        self._date = (now.tm_year - 1980) << 9 | now.tm_mon << 5 | now.tm_mday

    def writestr(self, name: str, data: str | bytes) -> None:
        with self.open(name) as entry:
            entry.write(data.encode() if isinstance(data, str) else data)

    def open(self, name: str) -> ZipEntry:
        return ZipEntry(self, name)

    def _add(self, name: bytes, offset: int, crc: int, compressed: int, size: int) -> None:
        if max(offset, compressed, size) >= _LIMIT:
            raise ValueError("the workbook would exceed 4 GB (zip64 is not written)")
        self._central.append(_CENTRAL.pack(0x02014B50, 20, 20, 0, 8, self._time, self._date, crc, compressed,
                                           size, len(name), 0, 0, 0, 0, 0, offset) + name)

    def local_header(self, name: bytes, crc: int = 0, compressed: int = 0, size: int = 0) -> bytes:
        return _LOCAL.pack(0x04034B50, 20, 0, 8, self._time, self._date, crc, compressed, size, len(name), 0) + name

    def close(self) -> None:
        start = self.out.tell()
        directory = b"".join(self._central)
        self.out.write(directory)
        if start >= _LIMIT:
            raise ValueError("the workbook would exceed 4 GB (zip64 is not written)")
        count = len(self._central)
        self.out.write(_END.pack(0x06054B50, 0, 0, count, count, len(directory), start, 0))


class ZipEntry:
    """One entry being written: `write` deflates here, `copy` adds a `DeflatedPart` as it is."""

    def __init__(self, package: ZipWriter, name: str) -> None:
        self.package, self.name = package, name.encode("ascii")
        self.out = package.out
        self.offset = self.out.tell()
        self.out.write(package.local_header(self.name))  # sizes and CRC once known (close)
        self.crc = self.size = self.compressed = 0
        self._deflater = zlib.compressobj(LEVEL, zlib.DEFLATED, _WBITS)

    def write(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self._put(self._deflater.compress(data))

    def copy(self, part: DeflatedPart) -> None:
        """`part`'s bytes, next in this entry (deflated already, on the worker)."""
        part.finish()
        self._put(self._deflater.flush(zlib.Z_SYNC_FLUSH))  # what was written so far, byte-aligned
        self._deflater = zlib.compressobj(LEVEL, zlib.DEFLATED, _WBITS)  # no reference back across
        part.file.seek(0)
        start = self.out.tell()
        shutil.copyfileobj(part.file, self.out, 1 << 20)
        self.compressed += self.out.tell() - start
        self.crc = crc32_combine(self.crc, part.crc, part.size)
        self.size += part.size

    def _put(self, data: bytes) -> None:
        self.out.write(data)
        self.compressed += len(data)

    def close(self) -> None:
        self._put(self._deflater.flush(zlib.Z_FINISH))
        end = self.out.tell()
        self.out.seek(self.offset)
        self.out.write(self.package.local_header(self.name, self.crc, self.compressed, self.size))
        self.out.seek(end)
        self.package._add(self.name, self.offset, self.crc, self.compressed, self.size)

    def __enter__(self) -> ZipEntry:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is None:
            self.close()


# --- CRC-32 of two pieces from theirs (zlib's crc32_combine, x^(8n) mod p) -----------------------

_POLY = 0xEDB88320  # CRC-32, bits reversed


def _multiply(a: int, b: int) -> int:
    """a × b modulo the CRC polynomial (reflected bit order, x^0 is the top bit)."""
    m, product = 1 << 31, 0
    while True:
        if a & m:
            product ^= b
            if not a & (m - 1):
                return product
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1


def _powers() -> list[int]:
    """x^(2^k) mod p for k = 0…31."""
    table, p = [], 1 << 30  # x^1
    for _ in range(32):
        table.append(p)
        p = _multiply(p, p)
    return table


_X2N = _powers()


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of A + B, from A's CRC, B's CRC and B's length."""
    p, k, n = 1 << 31, 3, length2  # x^0; x^(8 * length2) = product of x^(2^(k)) for n's bits, k from 3
    while n:
        if n & 1:
            p = _multiply(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return _multiply(p, crc1) ^ crc2
