"""Prepared Word templates: load, patch and compile a docxtpl template once, render it many times.

docxtpl re-reads the .docx, re-patches its XML and re-compiles Jinja on every render, and
python-docx then re-serialises and re-compresses every part. A `PreparedTemplate` does the
loading, patching and compiling once per template file and process; each render only runs
the compiled Jinja templates of the document, header/footer and footnote parts that hold
tags, and writes the zip with every other part copied byte for byte (still compressed).

The transformations are docxtpl's own (`patch_xml`, `fix_tables`, `resolve_listing` and its
render post-processing), reached through officeflow.docxfence, so every part is what
`DocxTemplate.render` + `save` writes (tests/test_render_equivalence.py compares them after
C14N), except that a table column too narrow for its longest word is widened
(officeflow.table_widths; a table whose words fit is docxtpl's). `Image` values become
inline pictures (officeflow.pictures). The zip is deterministic: fixed entry times, the
template's entry order, no clock anywhere (officeflow.docxzip).
What is and is not supported: docs/renderer.md.
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import meta
from lxml import etree

from officeflow.docxfence import (
    NSMAP,
    CoreProperties,
    fix_tables,
    parse_part_xml,
    parse_story_xml,
    patch_xml,
    resolve_listing,
    serialize_part_xml,
)
from officeflow.docxzip import read_entries, relationships, write_zip
from officeflow.errors import TemplateError
from officeflow.pictures import PackagePictures, Placement, finalize, placing
from officeflow.table_widths import fit_tables, text_styles

if TYPE_CHECKING:
    from officeflow.render import DocumentProperties

W = f"{{{NSMAP['w']}}}"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE_DOCUMENT = f"{_RELS}/officeDocument"
# Rendered as docxtpl renders them, in its order: headers, then footers, then footnotes.
_RENDERED_RELS = (f"{_RELS}/header", f"{_RELS}/footer", f"{_RELS}/footnotes")
_STYLES = f"{_RELS}/styles"
_CORE_PROPERTIES = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
# Core properties docxtpl renders as Jinja (DocxTemplate.render_properties).
_TEMPLATED_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
_TAG = re.compile(r"\{\{|\{%|\{#")
_LISTING_CHARS = re.compile("[\t\a\n\f]")


def jinja_environment() -> jinja2.Environment:
    """The rendering rules: autoescape, strict variables, None prints as nothing, pictures."""
    return jinja2.Environment(
        autoescape=True,  # user text is data: `<`, `&`, `{{ }}` must come out literally
        undefined=jinja2.StrictUndefined,  # a missing value fails loudly, not as a blank
        finalize=finalize,  # None prints as nothing; an Image as its inline picture
    )


def _compile(env: jinja2.Environment, xml: str, path: Path) -> jinja2.Template:
    # As DocxTemplate.render_xml_part: one paragraph per line, so errors carry a useful line.
    try:
        return env.from_string(re.sub(r"<w:p([ >])", r"\n<w:p\1", xml))
    except jinja2.TemplateError as exc:  # a broken tag or an unknown filter: the template's fault
        raise TemplateError(f"{path.name}: {exc}") from exc


def _finish(rendered: str) -> str:
    """docxtpl's post-processing of a rendered part (render_xml_part)."""
    xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", rendered)
    xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    if _LISTING_CHARS.search(xml):  # the costly regexes only when a value has \n, \t, \a or \f
        xml = resolve_listing(xml)
    return xml


class PreparedTemplate:
    """A Word template loaded, patched and compiled once; `render` makes a .docx as bytes."""

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        self.path = path
        self._entries, self._texts = read_entries(path.read_bytes() if data is None else data, path)
        self.env = jinja_environment()
        self.document_name = self._main_part()
        root = parse_story_xml(self._texts[self.document_name])
        body = root.find(f"{W}body")
        if body is None:
            raise TemplateError(f"{path.name}: the document has no body")
        self._body_index = list(root).index(body)
        body_source = patch_xml(etree.tostring(body, encoding="unicode"))
        self._body = _compile(self.env, body_source, path)
        root.remove(body)
        self._shell = root  # the document element without its body; copied per render
        self._sources = [body_source]
        self._parts: dict[str, jinja2.Template] = {}  # header/footer/footnotes parts with tags
        rels = relationships(self._texts, self.document_name)
        for target in (t for wanted in _RENDERED_RELS for _r, k, t in rels if k == wanted):
            if target in self._texts and self._texts[target] and target not in self._parts:
                xml = patch_xml(etree.tostring(parse_part_xml(self._texts[target]), encoding="unicode"))
                if _TAG.search(xml):  # a part without tags stays byte for byte as it is
                    self._parts[target] = _compile(self.env, xml, path)
                    self._sources.append(xml)
        self._pictures = PackagePictures(self._texts, [self.document_name, *self._parts])
        styles = next((t for _r, k, t in rels if k == _STYLES and t in self._texts), None)
        self._styles = text_styles(self._texts[styles] if styles else None)
        core = next((t for _r, k, t in relationships(self._texts, "") if k == _CORE_PROPERTIES), None)
        self.core_name = core if core in self._texts else None
        self._property_templates: dict[str, jinja2.Template] = {}
        if self.core_name:
            props = CoreProperties(parse_story_xml(self._texts[self.core_name]))
            for name in _TEMPLATED_PROPERTIES:
                try:
                    self._property_templates[name] = self.env.from_string(getattr(props, name))
                except jinja2.TemplateError as exc:
                    raise TemplateError(f"{path.name}: document property {name}: {exc}") from exc

    def _main_part(self) -> str:
        main = next((t for _r, k, t in relationships(self._texts, "") if k == _OFFICE_DOCUMENT), None)
        if main is None or main not in self._texts:
            raise TemplateError(f"{self.path.name}: no main document part")
        return main

    @cached_property
    def variables(self) -> frozenset[str]:
        """Every variable the template uses (parsed once: ~25 ms for a kind's template)."""
        used: set[str] = set()
        for source in self._sources:
            used |= meta.find_undeclared_variables(self.env.parse(source))
        return frozenset(used)

    def undeclared_variables(self, context: dict[str, Any] | None = None) -> set[str]:
        """Variables the template uses that `context` does not provide (all when None)."""
        return set(self.variables - set(context or ()))

    def render(self, context: dict[str, Any], properties: DocumentProperties | None = None) -> bytes:
        """The rendered .docx: same context and template → the same bytes."""
        placement = Placement(self._pictures, self.path.name)
        try:
            with placing(placement, self.document_name):
                rendered = {self.document_name: self._render_document(context)}
            for name, template in self._parts.items():
                with placing(placement, name):
                    xml = _finish(template.render(context))
                try:
                    rendered[name] = serialize_part_xml(parse_part_xml(xml.encode("utf-8")))
                except etree.XMLSyntaxError as exc:
                    raise TemplateError(f"{self.path.name}: {name} is not valid XML after rendering: {exc}") from exc
            if self.core_name:
                rendered[self.core_name] = self._render_core(context, properties)
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"{self.path.name}: {exc}") from exc
        added = dict(placement.media)
        for name, data in placement.changed_parts(self._texts).items():
            (rendered if name in self._texts else added)[name] = data  # a part's first .rels is new
        return write_zip(self._entries, rendered, added, stored=placement.media.keys())

    def _render_document(self, context: dict[str, Any]) -> bytes:
        xml = _finish(self._body.render(context))
        body = fix_tables(xml)  # parses like docxtpl (recovering parser) and fixes grids
        fit_tables(body, self._styles)  # no word broken in a narrow column (officeflow.table_widths)
        for index, element in enumerate(body.xpath("//wp:docPr", namespaces=NSMAP), start=1001):
            element.attrib["id"] = str(index)  # as DocxTemplate.fix_docpr_ids
        root = etree.Element(self._shell.tag, attrib=dict(self._shell.attrib), nsmap=self._shell.nsmap)
        for child in self._shell:
            root.append(copy.deepcopy(child))
        root.insert(self._body_index, body)
        return serialize_part_xml(root)

    def _render_core(self, context: dict[str, Any], properties: DocumentProperties | None) -> bytes:
        assert self.core_name is not None
        props = CoreProperties(parse_story_xml(self._texts[self.core_name]))
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
