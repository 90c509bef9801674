"""Limits checked on a workbook package before openpyxl loads it: streaming, never expanding.

openpyxl expands what it reads: every merged range becomes one object per cell, every
shared string and cell is held in memory. So the limits (XML bytes, cells, rows, columns,
merged area) are checked here first, on the compressed package, with a streaming parse
of each worksheet that stops at the first limit crossed. A sheet's `<dimension>` is not
trusted either way (it is a hint the writer may get wrong); the cells themselves are
counted.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import IO

from defusedxml.ElementTree import iterparse

from officeflow.findings import CellRef, Finding, error

MAX_ROWS = 5000
MAX_COLUMNS = 200
MAX_CELLS = 100_000  # cell elements per workbook (a process document has a few hundred)
MAX_MERGED_CELLS = 100_000  # cells covered by merged ranges, per workbook
MAX_XML_BYTES = 50 * 1024 * 1024  # uncompressed XML parts together (media are not parsed)

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_SHEET_CT = "spreadsheetml.worksheet"
_CHUNK = 1 << 16


def column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def cell_position(ref: str) -> tuple[int, int] | None:
    match = _REF.match(ref)
    return (int(match[2]), column_number(match[1])) if match else None


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sheet_titles(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part name → the sheet's title, from workbook.xml and its rels."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    targets: dict[str, str] = {}
    with archive.open("xl/_rels/workbook.xml.rels") as fh:
        for _, elem in iterparse(fh):
            if local_name(elem.tag) == "Relationship":
                target = elem.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join("xl", target))
                targets[elem.get("Id", "")] = part
    titles: dict[str, str] = {}
    with archive.open("xl/workbook.xml") as fh:
        for _, elem in iterparse(fh):
            if local_name(elem.tag) == "sheet":
                rid = next((v for k, v in elem.attrib.items() if local_name(k) == "id"), "")
                if rid in targets:
                    titles[targets[rid]] = elem.get("name", "")
    return titles


def _sheet_parts(archive: zipfile.ZipFile, names: set[str]) -> list[str]:
    parts = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    if "[Content_Types].xml" in names:  # sheets stored elsewhere are still sheets
        with archive.open("[Content_Types].xml") as fh:
            for _, elem in iterparse(fh):
                if local_name(elem.tag) == "Override" and _SHEET_CT in elem.get("ContentType", ""):
                    part = elem.get("PartName", "").lstrip("/")
                    if part in names and part not in parts:
                        parts.append(part)
    return sorted(parts)


class CappedStream:
    """A read-only stream that stops the parse once `limit` bytes have been read."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw = raw
        self.left = limit

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(_CHUNK if size is None or size < 0 else min(size, _CHUNK))
        self.left -= len(data)
        if self.left < 0:
            raise TooMuchXml
        return data


class TooMuchXml(Exception):
    pass


class _Budget:
    """What the whole workbook may still hold, shared across its sheets."""

    def __init__(self) -> None:
        self.cells = MAX_CELLS
        self.merged = MAX_MERGED_CELLS
        self.xml = MAX_XML_BYTES


def _scan_sheet(stream: CappedStream, title: str, budget: _Budget) -> Finding | None:
    """Stream one worksheet; the first limit crossed is the finding (one mistake, one finding)."""
    where = CellRef(title)
    row, col = 0, 0
    for event, elem in _events(stream):
        tag = local_name(elem.tag)
        if event == "end":
            if tag in ("row", "mergeCell", "c"):
                elem.clear()  # nothing is kept: memory stays flat whatever the sheet holds
            continue
        if tag == "row":
            number = elem.get("r", "")
            row, col = (int(number) if number.isdigit() else row + 1), 0
        elif tag == "c":
            ref = cell_position(elem.get("r", ""))
            row, col = ref if ref else (row, col + 1)
            budget.cells -= 1
            if row > MAX_ROWS or col > MAX_COLUMNS:
                return error("sheet.too-large",
                             f"工作表“{title}”的单元格 {elem.get('r') or ''} 超出行列上限"
                             f"（{MAX_ROWS} 行、{MAX_COLUMNS} 列），请删除多余的行列后重新提交。", where)
            if budget.cells < 0:
                return error("sheet.too-large",
                             f"工作簿的单元格超过 {MAX_CELLS} 个（工作表“{title}”），"
                             "请删除多余的内容和格式后重新提交。", where)
        elif tag == "mergeCell":
            ref = elem.get("ref", "")
            first, _, last = ref.partition(":")
            start, end = cell_position(first), cell_position(last or first)
            if start is None or end is None:
                return error("sheet.merge-invalid", f"工作表“{title}”的合并单元格“{ref}”无效，"
                             "请在 Excel 中取消该合并后重新保存提交。", where)
            if max(start[0], end[0]) > MAX_ROWS or max(start[1], end[1]) > MAX_COLUMNS:
                return error("sheet.merge-too-large",
                             f"工作表“{title}”的合并单元格 {ref} 超出行列上限（{MAX_ROWS} 行、"
                             f"{MAX_COLUMNS} 列），已拒收：请取消该合并后重新提交。", where)
            budget.merged -= (abs(end[0] - start[0]) + 1) * (abs(end[1] - start[1]) + 1)
            if budget.merged < 0:
                return error("sheet.merge-too-large",
                             f"工作簿的合并单元格共超过 {MAX_MERGED_CELLS} 个单元格（工作表“{title}”），"
                             "已拒收：请取消多余的合并后重新提交。", where)
    return None


def _events(stream: CappedStream) -> Iterator[tuple[str, object]]:
    yield from iterparse(stream, events=("start", "end"))  # type: ignore[arg-type]


def check_package(archive: zipfile.ZipFile) -> list[Finding]:
    """Findings (at most one) that refuse the workbook before it is loaded; [] if it may be."""
    infos = archive.infolist()
    names = {info.filename for info in infos}
    xml_bytes = sum(i.file_size for i in infos if i.filename.endswith((".xml", ".rels", ".vml")))
    too_big = error("file.too-large",
                    f"工作簿的表格内容解压后超过 {MAX_XML_BYTES // 1048576} MB，已拒收："
                    "请删除多余的行、列和格式后重新提交。")
    if xml_bytes > MAX_XML_BYTES:
        return [too_big]
    titles = sheet_titles(archive, names)
    budget = _Budget()
    for part in _sheet_parts(archive, names):
        title = titles.get(part, part.rsplit("/", 1)[-1])
        with archive.open(part) as raw:
            stream = CappedStream(raw, budget.xml)
            try:
                finding = _scan_sheet(stream, title, budget)
            except TooMuchXml:
                return [too_big]
            budget.xml = stream.left
        if finding is not None:
            return [finding]
    return []
