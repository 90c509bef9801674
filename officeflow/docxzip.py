"""The .docx container: members with their compressed bytes, relationships, a deterministic zip.

Parts the renderer does not change are copied compressed, byte for byte; changed and new
parts are deflated. No clock anywhere: every entry is dated 1980-01-01, the earliest a zip
can say, so the same parts always give the same bytes.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from officeflow.errors import TemplateError

COMPRESS_LEVEL = 6
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0


@dataclass(frozen=True)
class Entry:
    """One zip member as stored in the template: its compressed bytes and sizes."""

    name: str
    method: int
    crc: int
    size: int
    raw: bytes  # compressed data, copied as is when the part is not rendered


def read_entries(data: bytes, path: Path) -> tuple[list[Entry], dict[str, bytes]]:
    """Every member's compressed bytes (for copying) and uncompressed bytes (for reading)."""
    entries: list[Entry] = []
    texts: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                entries.append(_entry(data, info, path))
                texts[info.filename] = archive.read(info)
    except zipfile.BadZipFile as exc:
        raise TemplateError(f"{path.name}: not a Word document (.docx): {exc}") from exc
    return entries, texts


def _entry(data: bytes, info: zipfile.ZipInfo, path: Path) -> Entry:
    if info.flag_bits & 0x1 or info.file_size > 0xFFFFFFFF or info.compress_size > 0xFFFFFFFF:
        raise TemplateError(f"{path.name}: encrypted or ZIP64 members are not supported")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise TemplateError(f"{path.name}: unsupported compression in {info.filename}")
    offset = info.header_offset
    name_length, extra_length = struct.unpack("<HH", data[offset + 26:offset + 30])
    start = offset + 30 + name_length + extra_length
    return Entry(info.filename, info.compress_type, info.CRC, info.file_size,
                 data[start:start + info.compress_size])


def write_zip(entries: Iterable[Entry], replaced: dict[str, bytes], added: dict[str, bytes],
              stored: Collection[str] = ()) -> bytes:
    """A zip in the template's member order, then `added`; replaced and added members deflated
    (`stored` ones kept as they are: pictures are compressed already), the rest copied raw."""
    out = bytearray()
    central = bytearray()
    count = 0
    members = [(e.name, replaced.get(e.name), e) for e in entries]
    members += [(name, data, None) for name, data in added.items()]
    for name, data, entry in members:
        if data is not None and name in stored:
            raw, method, crc, size = data, zipfile.ZIP_STORED, zlib.crc32(data), len(data)
        elif data is not None:
            compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
            raw = compressor.compress(data) + compressor.flush()
            method, crc, size = zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data)
        else:
            assert entry is not None
            raw, method, crc, size = entry.raw, entry.method, entry.crc, entry.size
        encoded = name.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, _DOS_TIME, _DOS_DATE,
                           crc, len(raw), size, len(encoded), 0)
        out += encoded
        out += raw
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, _DOS_TIME,
                               _DOS_DATE, crc, len(raw), size, len(encoded), 0, 0, 0, 0, 0, offset)
        central += encoded
        count += 1
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), start, 0)
    return bytes(out)


def rels_name(part: str) -> str:
    """The relationships part of `part` ("" = the package)."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def relationships(texts: dict[str, bytes], part: str) -> list[tuple[str, str, str]]:
    """(rId, type, target part name) of the internal relationships of `part`."""
    name = rels_name(part)
    if name not in texts:
        return []
    folder = posixpath.dirname(part)
    found = []
    for rel in etree.fromstring(texts[name]):
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        found.append((rel.get("Id", ""), rel.get("Type", ""), resolved))
    return found
