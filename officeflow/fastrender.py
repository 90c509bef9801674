"""Prepared Word templates: load, patch and compile a docxtpl template once, render it many times.

docxtpl re-reads the .docx, re-patches its XML and re-compiles Jinja on every render, and
python-docx then re-serialises and re-compresses every part. A `PreparedTemplate` does the
loading, patching and compiling once per template file and process; each render only runs
the compiled Jinja templates of the document, header/footer and footnote parts that hold
tags, and writes the zip with every other part copied byte for byte (still compressed).

The transformations are docxtpl's own (`patch_xml`, `fix_tables`, `resolve_listing` and its
render post-processing), so the output is equivalent to `DocxTemplate.render` + `save`. The
zip is deterministic: fixed entry times, the template's entry order, no clock anywhere.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import parse_xml as parse_part_xml
from docx.opc.oxml import serialize_part_xml
from docx.oxml.ns import nsmap
from docx.oxml.parser import parse_xml
from docxtpl import DocxTemplate
from jinja2 import meta
from lxml import etree

from officeflow.errors import TemplateError

if TYPE_CHECKING:
    from officeflow.render import DocumentProperties

W = f"{{{nsmap['w']}}}"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_DOCUMENT = f"{_RELS}/officeDocument"
_RENDERED_RELS = {f"{_RELS}/header", f"{_RELS}/footer", f"{_RELS}/footnotes"}
_CORE_PROPERTIES = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
# Core properties docxtpl renders as Jinja (DocxTemplate.render_properties).
_TEMPLATED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
_TAG = re.compile(r"\{\{|\{%|\{#")
_LISTING_CHARS = re.compile("[\t\a\n\f]")
COMPRESS_LEVEL = 6
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, the earliest a zip can say: no clock in the file
_DOS_TIME = 0

# docxtpl's XML transformations are methods that never touch the instance; one idle instance
# lets us call them without loading a document.
_DOCXTPL = DocxTemplate("")


def jinja_environment() -> jinja2.Environment:
    """The rendering rules: autoescape, strict variables, None prints as nothing."""
    return jinja2.Environment(
        autoescape=True,  # user text is data: `<`, `&`, `{{ }}` must come out literally
        undefined=jinja2.StrictUndefined,  # a missing value fails loudly, not as a blank
        finalize=lambda value: "" if value is None else value,
    )


@dataclass(frozen=True)
class _Entry:
    """One zip member as stored in the template: its compressed bytes and sizes."""

    name: str
    method: int
    crc: int
    size: int
    raw: bytes  # compressed data, copied as is when the part is not rendered


@dataclass(frozen=True)
class _XmlPart:
    """A header, footer or footnotes part with tags: its compiled template."""

    name: str
    template: jinja2.Template


def _read_entries(data: bytes, path: Path) -> tuple[list[_Entry], dict[str, bytes]]:
    """Every member's compressed bytes (for copying) and uncompressed bytes (for reading)."""
    entries: list[_Entry] = []
    texts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.flag_bits & 0x1 or info.file_size > 0xFFFFFFFF or info.compress_size > 0xFFFFFFFF:
                raise TemplateError(f"{path.name}: encrypted or ZIP64 members are not supported")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise TemplateError(f"{path.name}: unsupported compression in {info.filename}")
            offset = info.header_offset
            name_length, extra_length = struct.unpack("<HH", data[offset + 26:offset + 30])
            start = offset + 30 + name_length + extra_length
            raw = data[start:start + info.compress_size]
            entries.append(_Entry(info.filename, info.compress_type, info.CRC, info.file_size, raw))
            texts[info.filename] = archive.read(info)
    return entries, texts


def _relationships(texts: dict[str, bytes], part: str) -> list[tuple[str, str]]:
    """(type, target part name) of the relationships of `part` ("" = the package)."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_name not in texts:
        return []
    root = etree.fromstring(texts[rels_name])
    found = []
    for rel in root:
        if rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        found.append((rel.get("Type", ""), resolved))
    return found


def _compile(env: jinja2.Environment, xml: str) -> jinja2.Template:
    # As DocxTemplate.render_xml_part: one paragraph per line, so errors carry a useful line.
    return env.from_string(re.sub(r"<w:p([ >])", r"\n<w:p\1", xml))


def _finish(rendered: str) -> str:
    """docxtpl's post-processing of a rendered part (render_xml_part)."""
    xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", rendered)
    xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    if _LISTING_CHARS.search(xml):  # the costly regexes only when a value has \n, \t, \a or \f
        xml = _DOCXTPL.resolve_listing(xml)
    return xml


class PreparedTemplate:
    """A Word template loaded, patched and compiled once; `render` makes a .docx as bytes."""

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        self.path = path
        data = path.read_bytes() if data is None else data
        try:
            self._entries, texts = _read_entries(data, path)
        except zipfile.BadZipFile as exc:
            raise TemplateError(f"{path.name}: not a Word document (.docx): {exc}") from exc
        self.env = jinja_environment()
        main = next((t for k, t in _relationships(texts, "") if k == _OFFICE_DOCUMENT), None)
        if main is None or main not in texts:
            raise TemplateError(f"{path.name}: no main document part")
        self.document_name = main
        root = parse_xml(texts[main])
        body = root.find(f"{W}body")
        if body is None:
            raise TemplateError(f"{path.name}: the document has no body")
        self._body_index = list(root).index(body)
        self._body_source = _DOCXTPL.patch_xml(etree.tostring(body, encoding="unicode"))
        self._body = _compile(self.env, self._body_source)
        root.remove(body)
        self._shell = root  # the document element without its body; copied per render
        self._parts: dict[str, _XmlPart] = {}
        self._sources = [self._body_source]
        for kind, target in _relationships(texts, main):
            if kind in _RENDERED_RELS and target in texts and texts[target]:
                xml = _DOCXTPL.patch_xml(etree.tostring(parse_part_xml(texts[target]), encoding="unicode"))
                if _TAG.search(xml):  # a part without tags stays byte for byte as it is
                    self._parts[target] = _XmlPart(target, _compile(self.env, xml))
                    self._sources.append(xml)
        core = next((t for k, t in _relationships(texts, "") if k == _CORE_PROPERTIES), None)
        self.core_name = core if core in texts else None
        self._core_blob = texts.get(core or "", b"")
        self._property_templates: dict[str, jinja2.Template] = {}
        if self.core_name:
            props = CoreProperties(parse_xml(self._core_blob))
            for name in _TEMPLATED_PROPERTIES:
                self._property_templates[name] = self.env.from_string(getattr(props, name))

    def undeclared_variables(self, context: dict[str, Any] | None = None) -> set[str]:
        """Variables the template uses that `context` does not provide (all when None)."""
        used: set[str] = set()
        for source in self._sources:
            used |= meta.find_undeclared_variables(self.env.parse(source))
        return used - set(context or ())

    def render(self, context: dict[str, Any], properties: DocumentProperties | None = None) -> bytes:
        """The rendered .docx: same context and template → the same bytes."""
        try:
            rendered = {self.document_name: self._render_document(context)}
            for name, part in self._parts.items():
                xml = _finish(part.template.render(context))
                try:
                    rendered[name] = serialize_part_xml(parse_part_xml(xml.encode("utf-8")))
                except etree.XMLSyntaxError as exc:
                    raise TemplateError(f"{self.path.name}: {name} is not valid XML after rendering: {exc}") from exc
            if self.core_name:
                rendered[self.core_name] = self._render_core(context, properties)
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"{self.path.name}: {exc}") from exc
        return _write_zip(self._entries, rendered)

    def _render_document(self, context: dict[str, Any]) -> bytes:
        xml = _finish(self._body.render(context))
        body = _DOCXTPL.fix_tables(xml)  # parses like docxtpl (recovering parser) and fixes grids
        for index, element in enumerate(body.xpath("//wp:docPr", namespaces=nsmap), start=1001):
            element.attrib["id"] = str(index)  # as DocxTemplate.fix_docpr_ids
        root = etree.Element(self._shell.tag, attrib=dict(self._shell.attrib), nsmap=self._shell.nsmap)
        for child in self._shell:
            root.append(copy.deepcopy(child))
        root.insert(self._body_index, body)
        return serialize_part_xml(root)

    def _render_core(self, context: dict[str, Any], properties: DocumentProperties | None) -> bytes:
        props = CoreProperties(parse_xml(self._core_blob))
        for name, template in self._property_templates.items():
            setattr(props, name, template.render(context))
        if properties is not None:
            props.title = properties.title
            props.identifier = properties.identifier
            props.version = properties.version
            props.subject = properties.subject
            props.category = properties.category
            props.author = properties.author
            props.last_modified_by = "officeflow"
            issued = datetime(properties.issued.year, properties.issued.month, properties.issued.day)
            props.created = issued
            props.modified = issued
            props.revision = 1
        return serialize_part_xml(props._element)


def _write_zip(entries: Iterable[_Entry], replaced: dict[str, bytes]) -> bytes:
    """A zip in the template's member order; replaced members deflated, the rest copied raw."""
    out = bytearray()
    central = bytearray()
    count = 0
    for entry in entries:
        if entry.name in replaced:
            data = replaced[entry.name]
            compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
            raw = compressor.compress(data) + compressor.flush()
            method, crc, size = zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data)
        else:
            raw, method, crc, size = entry.raw, entry.method, entry.crc, entry.size
        name = entry.name.encode("utf-8")
        flags = 0x800 if not entry.name.isascii() else 0
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, _DOS_TIME, _DOS_DATE,
                           crc, len(raw), size, len(name), 0)
        out += name
        out += raw
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method, _DOS_TIME,
                               _DOS_DATE, crc, len(raw), size, len(name), 0, 0, 0, 0, 0, offset)
        central += name
        count += 1
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), start, 0)
    return bytes(out)


_CACHE: dict[Path, tuple[tuple[int, int], PreparedTemplate]] = {}
_CACHE_LIMIT = 32


def prepared_template(path: Path) -> PreparedTemplate:
    """The prepared template for `path`, reloaded when the file's mtime or size changes."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise TemplateError(f"Word template not found: {path}") from exc
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    prepared = PreparedTemplate(path)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[path] = (key, prepared)
    return prepared


def clear_cache() -> None:
    """Forget every prepared template (tests; a long-running process never needs it)."""
    _CACHE.clear()
