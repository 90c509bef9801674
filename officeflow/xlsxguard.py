"""Limits checked on a workbook package before it is read: never expanding, refusing early.

openpyxl expands what it reads: every merged range becomes one object per cell, every
shared string and cell is held in memory. So the limits (XML bytes, cells, rows, columns,
merged area) are checked here first, on the compressed package. A sheet's `<dimension>` is
not trusted either way (it is a hint the writer may get wrong); the cells themselves are
counted.

Two ways through one part, with the same checks in the same order. An ordinary part (UTF-8,
XML 1.0, no DOCTYPE, plain names, within KEEP_XML_BYTES) is parsed whole by lxml, once: its
tree goes on to the reader (xlsx_grid), which would parse it again otherwise. Anything else
takes the streaming path, defusedxml's parser stopping at the first limit crossed: what
defusedxml refuses (entities, external references) and how an odd file fails (the exception
named in the finding) stay exactly as they were.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from defusedxml.ElementTree import iterparse
from lxml import etree

from officeflow.findings import CellRef, Finding, error

MAX_ROWS = 5000
MAX_COLUMNS = 200
MAX_CELLS = 100_000  # cell elements per workbook (a process document has a few hundred)
MAX_MERGED_CELLS = 100_000  # cells covered by merged ranges, per workbook
MAX_XML_BYTES = 50 * 1024 * 1024  # uncompressed XML parts together (media are not parsed)
# Parts parsed whole, together, at most (a process document's are a few hundred KB): their
# trees are kept for the reader, so memory stays small; the rest is streamed as ever.
KEEP_XML_BYTES = 4 * 1024 * 1024

_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_SHEET_CT = "spreadsheetml.worksheet"
_CHUNK = 1 << 16
_LIMITED = ("row", "mergeCell", "c")
# The same parser as xlsx_grid's: its trees are the ones xlsx_grid would build itself.
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
# A name holding a non-ASCII byte (a name follows `<`, `</`, `<?` or, for an attribute, white
# space). libxml2 takes names by XML 1.0's 5th edition and expat by its 4th: such a part is
# streamed, so it fails as before. Text matches too at times: it is then only streamed.
_ODD_NAME = re.compile(rb"(?:<[/?]?|\s)[^\s<>=/\"'?]*[\x80-\xff]")


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


def parse_whole(data: bytes) -> Any | None:
    """`data` parsed by lxml; None when it is to be streamed instead (see the module's doc)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or not data.isascii() and _ODD_NAME.search(data):
        return None  # UTF-16 or -32 (the encoding is expat's to tell), or an unusual name
    try:
        root = etree.fromstring(data, PARSER)
    except etree.LxmlError:
        return None  # streamed: expat says what is wrong with it, as before
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.xml_version != "1.0" \
            or (info.encoding or "").upper() != "UTF-8":
        return None
    return root


class Package:
    """A workbook package's parts as checked: the trees parsed whole, by part name."""

    def __init__(self, archive: zipfile.ZipFile, keep_bytes: int | None = None) -> None:
        self.archive = archive
        self.names = set(archive.namelist())
        self.trees: dict[str, Any] = {}
        self.keep_bytes = KEEP_XML_BYTES if keep_bytes is None else keep_bytes

    def tree(self, name: str, budget: int | None = None) -> Any | None:
        """The part parsed whole if it is ordinary and fits (`budget`: the XML bytes it may
        hold); None: stream it."""
        size = self.archive.getinfo(name).file_size
        if budget is not None and size > budget:
            return None  # streamed: it stops where the XML budget runs out, as before
        if name in self.trees:
            return self.trees[name]
        if size > self.keep_bytes:
            return None
        try:
            data = self.archive.read(name)
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - streamed, it fails where and as it did
            return None
        root = parse_whole(data) if len(data) == size else None
        if root is not None:
            self.keep_bytes -= size
            self.trees[name] = root
        return root


def _ended(package: Package, name: str, local: str) -> Iterator[Any]:
    """The part's elements named `local` (any namespace), each once complete, in document order."""
    root = package.tree(name)
    if root is not None:
        for _, elem in etree.iterwalk(root, events=("end",), tag="{*}" + local):
            yield elem
        return
    with package.archive.open(name) as fh:
        for _, elem in iterparse(fh):
            if local_name(elem.tag) == local:
                yield elem


def sheet_titles(archive: zipfile.ZipFile, names: set[str], package: Package | None = None) -> dict[str, str]:
    """Worksheet part name → the sheet's title, from workbook.xml and its rels."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    package = package or Package(archive, keep_bytes=0)
    targets: dict[str, str] = {}
    for elem in _ended(package, "xl/_rels/workbook.xml.rels", "Relationship"):
        target = elem.get("Target", "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join("xl", target))
        targets[elem.get("Id", "")] = part
    titles: dict[str, str] = {}
    for elem in _ended(package, "xl/workbook.xml", "sheet"):
        rid = next((v for k, v in elem.attrib.items() if local_name(k) == "id"), "")
        if rid in targets:
            titles[targets[rid]] = elem.get("name", "")
    return titles


def _sheet_parts(package: Package) -> list[str]:
    names = package.names
    parts = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
    if "[Content_Types].xml" in names:  # sheets stored elsewhere are still sheets
        for elem in _ended(package, "[Content_Types].xml", "Override"):
            if _SHEET_CT in elem.get("ContentType", ""):
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


def _scan_sheet(elements: Iterable[Any], title: str, budget: _Budget) -> Finding | None:
    """The sheet's row, c and mergeCell elements in document order (as they start); the first
    limit crossed is the finding (one mistake, one finding)."""
    where = CellRef(title)
    row, col = 0, 0
    for elem in elements:
        tag = local_name(elem.tag)
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
        else:
            finding = _check_merge(elem.get("ref", ""), title, budget)
            if finding is not None:
                return finding
    return None


def _check_merge(ref: str, title: str, budget: _Budget) -> Finding | None:
    where = CellRef(title)
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


def _streamed(stream: CappedStream) -> Iterator[Any]:
    """The limited elements as they start; each cleared when it ends (memory stays flat)."""
    for event, elem in iterparse(stream, events=("start", "end")):  # type: ignore[arg-type]
        if local_name(elem.tag) in _LIMITED:
            if event == "start":
                yield elem
            else:
                elem.clear()


def _check_sheet(package: Package, part: str, title: str, budget: _Budget) -> Finding | None:
    root = package.tree(part, budget.xml)
    if root is not None:
        budget.xml -= package.archive.getinfo(part).file_size
        return _scan_sheet(root.iter("{*}row", "{*}c", "{*}mergeCell"), title, budget)
    with package.archive.open(part) as raw:
        stream = CappedStream(raw, budget.xml)
        finding = _scan_sheet(_streamed(stream), title, budget)
        budget.xml = stream.left
    return finding


def check_package(package: Package) -> list[Finding]:
    """Findings (at most one) that refuse the workbook before it is loaded; [] if it may be.
    The parts parsed whole on the way are then in `package.trees`."""
    infos = package.archive.infolist()
    xml_bytes = sum(i.file_size for i in infos if i.filename.endswith((".xml", ".rels", ".vml")))
    too_big = error("file.too-large",
                    f"工作簿的表格内容解压后超过 {MAX_XML_BYTES // 1048576} MB，已拒收："
                    "请删除多余的行、列和格式后重新提交。")
    if xml_bytes > MAX_XML_BYTES:
        return [too_big]
    titles = sheet_titles(package.archive, package.names, package)
    budget = _Budget()
    for part in _sheet_parts(package):
        title = titles.get(part, part.rsplit("/", 1)[-1])
        try:
            finding = _check_sheet(package, part, title, budget)
        except TooMuchXml:
            return [too_big]
        if finding is not None:
            return [finding]
    return []
