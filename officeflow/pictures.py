"""Pictures in rendered documents: an `Image` in the context becomes an inline picture.

`{{ flowchart }}` with `flowchart=Image(png_bytes, width_cm=12)` renders as docxtpl's
InlineImage does: the picture's bytes become a media part (`word/media/imageN.png`, one part
per distinct picture), the rendered part gains an image relationship, and the run holds the
`<w:drawing>` python-docx would write. Numbering follows python-docx (smallest free image
number and rId), so the output is the same as docxtpl's and the same on every render.

An `Image` with `svg` bytes is also drawn as a vector where Word can (its svgBlip extension,
Word 2016+): the SVG becomes a media part of its own beside the raster, which stays the blip
every other reader shows. docxtpl has no such picture; without `svg` the output is docxtpl's.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from markupsafe import Markup

from officeflow.docxfence import (
    IMAGE_RELATIONSHIP,
    SVG_CONTENT_TYPE,
    UnreadableImage,
    load_picture,
    next_shape_id,
    picture_xml,
    serialize_part_xml,
    with_svg_blip,
    without_wrap_distance,
)
from officeflow.docxzip import relationships, rels_name
from officeflow.errors import TemplateError

CONTENT_TYPES = "[Content_Types].xml"
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_NUMBERED = re.compile(r"[a-zA-Z]+(\d+)$")


@dataclass(frozen=True)
class Image:
    """A picture for the Word context: a file path or the image bytes (PNG, JPEG, GIF, BMP, TIFF).

    Give the width or the height in cm and the other follows the aspect ratio; give both to
    stretch; give neither for the size the image's dpi says (72 dpi when it says nothing).
    `svg`: the same picture as SVG, shown instead of `source` where Word draws SVG.
    """

    source: bytes | Path | str
    width_cm: float | None = None
    height_cm: float | None = None
    svg: bytes | None = None


@dataclass(frozen=True)
class _PartFacts:
    """What placing a picture in one rendered part needs to know of the template."""

    rids: frozenset[str]
    images: dict[str, str]  # image part name → the rId this part already relates it by
    shape_id: int  # python-docx's next shape id (the body's are renumbered after rendering)


class PackagePictures:
    """The template's pictures and relationships, read once when the template is prepared."""

    def __init__(self, texts: dict[str, bytes], rendered_parts: list[str]) -> None:
        self.by_sha1: dict[str, str] = {}  # every picture the template holds, as python-docx finds them
        for rels in (n for n in texts if n.endswith(".rels")):
            # word/_rels/document.xml.rels → word/document.xml; _rels/.rels → "" (the package)
            source = posixpath.join(posixpath.dirname(posixpath.dirname(rels)), posixpath.basename(rels)[:-5])
            for _rid, kind, target in relationships(texts, source):
                if kind == IMAGE_RELATIONSHIP and target in texts:
                    self.by_sha1.setdefault(hashlib.sha1(texts[target]).hexdigest(), target)
        self.parts = {name: _PartFacts(
            frozenset(rid for rid, _k, _t in relationships(texts, name)),
            {t: rid for rid, k, t in relationships(texts, name) if k == IMAGE_RELATIONSHIP},
            next_shape_id(texts[name])) for name in rendered_parts}


@dataclass
class Placement:
    """The pictures placed during one render: new media parts and new relationships per part."""

    package: PackagePictures
    template: str
    media: dict[str, bytes] = field(default_factory=dict)  # new part name → picture bytes
    types: dict[str, str] = field(default_factory=dict)  # extension → content type
    filenames: dict[str, str] = field(default_factory=dict)  # image part → name its pictures carry
    rels: dict[str, dict[str, str]] = field(default_factory=dict)  # part → {rId: image part}
    current: str = ""

    def inline(self, image: Image) -> str:
        """The run XML that closes the current text run, holds the picture and reopens text."""
        source = str(image.source) if isinstance(image.source, Path) else image.source
        try:
            picture = load_picture(source, image.width_cm, image.height_cm)
        except (UnreadableImage, OSError) as exc:
            name = source if isinstance(source, str) else f"{len(source)} bytes"
            raise TemplateError(f"{self.template}: picture {name}: {exc}") from exc
        target = self._media_part(picture.sha1, picture.ext, picture.blob)
        self.types.setdefault(picture.ext, picture.content_type)
        # python-docx names a picture after the image part's first load: a template's own
        # picture is image.<ext>, a repeated one keeps the name it was first placed with.
        filename = self.filenames.setdefault(target, picture.filename if target in self.media else
                                             load_picture(picture.blob, None, None).filename)
        rid = self._relate(target)
        xml = picture_xml(self.package.parts[self.current].shape_id, rid, filename, picture.cx, picture.cy)
        if image.svg:
            vector = self._media_part(hashlib.sha1(image.svg).hexdigest(), "svg", image.svg)
            self.types.setdefault("svg", SVG_CONTENT_TYPE)
            # The diagrams (vector + raster) fill the text width: no distance that could push them out.
            xml = without_wrap_distance(with_svg_blip(xml, self._relate(vector)))
        return f'</w:t></w:r><w:r><w:drawing>{xml}</w:drawing></w:r><w:r><w:t xml:space="preserve">'

    def _media_part(self, sha1: str, ext: str, blob: bytes) -> str:
        known = self.package.by_sha1.get(sha1) or next(
            (n for n, b in self.media.items() if hashlib.sha1(b).hexdigest() == sha1), None)
        if known:
            return known
        used = {_number(n) for n in [*self.package.by_sha1.values(), *self.media]}
        number = next(n for n in range(1, len(used) + 2) if n not in used)
        name = f"word/media/image{number}.{ext}"
        self.media[name] = blob
        return name

    def _relate(self, target: str) -> str:
        facts = self.package.parts[self.current]
        new = self.rels.setdefault(self.current, {})
        existing = facts.images.get(target) or next((r for r, t in new.items() if t == target), None)
        if existing:
            return existing
        taken = facts.rids | new.keys()
        rid = next(f"rId{n}" for n in range(1, len(taken) + 2) if f"rId{n}" not in taken)
        new[rid] = target
        return rid

    def changed_parts(self, texts: dict[str, bytes]) -> dict[str, bytes]:
        """The relationship parts and content types this render's pictures change."""
        changed = {}
        for part, new in self.rels.items():
            if new:
                changed[rels_name(part)] = _with_relationships(texts.get(rels_name(part)), part, new)
        if self.media:
            changed[CONTENT_TYPES] = _with_defaults(texts[CONTENT_TYPES], self.types)
        return changed


def _number(part: str) -> int | None:
    match = _NUMBERED.match(posixpath.splitext(posixpath.basename(part))[0])
    return int(match.group(1)) if match else None


def _with_relationships(blob: bytes | None, part: str, new: dict[str, str]) -> bytes:
    root = etree.fromstring(blob) if blob else etree.Element(f"{{{_RELS_NS}}}Relationships", nsmap={None: _RELS_NS})
    for rid, target in new.items():
        etree.SubElement(root, f"{{{_RELS_NS}}}Relationship", Id=rid, Type=IMAGE_RELATIONSHIP,
                         Target=posixpath.relpath(target, posixpath.dirname(part) or "."))
    return serialize_part_xml(root)


def _with_defaults(blob: bytes, types: dict[str, str]) -> bytes:
    """Content types with a Default for each new picture extension, in python-docx's sorted place."""
    root = etree.fromstring(blob)
    tag = f"{{{_TYPES_NS}}}Default"
    known = {d.get("Extension", "").lower() for d in root.findall(tag)}
    for ext in sorted(e for e in types if e.lower() not in known):
        element = etree.Element(tag, Extension=ext, ContentType=types[ext])
        before = [d for d in root.findall(tag) if d.get("Extension", "") < ext]
        if before:
            before[-1].addnext(element)
        else:
            root.insert(0, element)
    return serialize_part_xml(root)


_PLACEMENT: ContextVar[Placement | None] = ContextVar("officeflow_picture_placement", default=None)


@contextmanager
def placing(placement: Placement, part: str) -> Iterator[None]:
    """Pictures met while rendering `part` are placed by `placement`."""
    placement.current = part
    token = _PLACEMENT.set(placement)
    try:
        yield
    finally:
        _PLACEMENT.reset(token)


def finalize(value: Any) -> Any:
    """Jinja's finalize: None prints as nothing, an Image as its picture run."""
    if value is None:
        return ""
    if isinstance(value, Image):
        placement = _PLACEMENT.get()
        if placement is None:
            raise TemplateError("a picture can only be placed in the document body, a header, "
                                "a footer or the footnotes (not in a document property)")
        return Markup(placement.inline(value))
    return value
