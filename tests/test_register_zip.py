"""The register's zip container (officeflow.xlsx_zip): sheets deflated on a worker thread while
their rows are rendered, joined into one entry with the head and tail written after them.

What matters is that any zip reader gets back exactly the bytes written, in order, with a CRC
that checks (zipfile verifies it on every read), and that a failure on the worker reaches the
writer instead of leaving a silently short part.
"""

from __future__ import annotations

import os
import random
import zipfile
import zlib
from pathlib import Path

import pytest

from officeflow import xlsx_zip
from officeflow.xlsx_zip import DeflatedPart, ZipWriter, crc32_combine


@pytest.mark.parametrize("length", [0, 1, 7, 4096, 123_457, 3_000_001])
def test_crc32_combine_is_the_crc_of_the_two_pieces_joined(length: int) -> None:
    first, second = os.urandom(random.randint(0, 5000)), os.urandom(length)
    assert crc32_combine(zlib.crc32(first), zlib.crc32(second), length) == zlib.crc32(first + second)


def test_an_entry_joins_its_own_bytes_and_deflated_parts_in_order(tmp_path: Path) -> None:
    chunks = [f'<row r="{n}"><c><is><t>流程 {n} &amp; {"x" * (n % 300)}</t></is></c></row>'.encode()
              for n in range(20_000)]
    with DeflatedPart() as body, DeflatedPart() as empty, DeflatedPart() as other:
        for start in range(0, len(chunks), 1000):
            body.write(b"".join(chunks[start:start + 1000]))
        other.write(b"<tail-part/>")
        path = tmp_path / "t.zip"
        with open(path, "wb") as out:
            package = ZipWriter(out)
            package.writestr("first.xml", "<a>头</a>")
            with package.open("sheet.xml") as entry:
                entry.write(b"<head>")
                entry.copy(body)
                entry.copy(empty)
                entry.write(b"<middle/>")
                entry.copy(other)
                entry.write(b"</head>")
            with package.open("nothing.xml"):
                pass
            package.close()
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == ["first.xml", "sheet.xml", "nothing.xml"]
        assert zf.read("first.xml").decode() == "<a>头</a>"
        assert zf.read("sheet.xml") == b"<head>" + b"".join(chunks) + b"<middle/><tail-part/></head>"
        assert zf.read("nothing.xml") == b""
        info = zf.getinfo("sheet.xml")
        assert info.compress_type == zipfile.ZIP_DEFLATED and info.compress_size < info.file_size // 4


def test_a_failure_on_the_worker_reaches_the_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def compress(self, data: bytes) -> bytes:
            raise OSError("disk full")

    monkeypatch.setattr(xlsx_zip.zlib, "compressobj", lambda *args: Broken())
    with DeflatedPart() as part:
        part.write(b"x" * 100)
        with pytest.raises(OSError, match="disk full"):
            for _ in range(100):  # the worker fails on the first chunk; later writes or finish say so
                part.write(b"y" * 100)
            part.finish()
