"""The one module that touches python-docx and docxtpl internals: the renderer's fence.

The prepared renderer (officeflow.fastrender) reproduces docxtpl's `render` + `save` without
their per-render costs, so it needs pieces neither library promises as public API: docxtpl's
XML patching methods, python-docx's part parser and serialiser, its core-properties wrapper,
its picture XML and its image header reader. They are all reached from here and nowhere else,
both libraries are pinned exactly in pyproject.toml, and the versions below are the ones the
equivalence tests (tests/test_render_equivalence.py) passed with. Moving a pin means moving the
constant here too, and tests/test_fastrender.py fails loudly until both agree with what is
installed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from docx.image.exceptions import UnrecognizedImageError
from docx.image.image import Image as DocxImage
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import parse_xml as parse_part_xml
from docx.opc.oxml import serialize_part_xml
from docx.oxml.ns import nsmap
from docx.oxml.parser import parse_xml as parse_story_xml
from docx.oxml.shape import CT_Inline
from docx.shared import Cm
from docxtpl import DocxTemplate
from lxml import etree

PYTHON_DOCX_VERSION = "1.2.0"
DOCXTPL_VERSION = "0.20.2"

__all__ = ["CoreProperties", "IMAGE_RELATIONSHIP", "NSMAP", "Picture", "UnreadableImage", "fix_tables",
           "load_picture", "next_shape_id", "parse_part_xml", "parse_story_xml", "patch_xml",
           "picture_xml", "resolve_listing", "serialize_part_xml", "SVG_CONTENT_TYPE", "with_svg_blip"]

NSMAP: dict[str, str] = nsmap
IMAGE_RELATIONSHIP: str = RELATIONSHIP_TYPE.IMAGE

# docxtpl's XML transformations are methods that never touch the instance; one idle instance
# lets us call them without loading a document.
_DOCXTPL = DocxTemplate("")


def patch_xml(xml: str) -> str:
    """docxtpl's rewriting of Word XML into Jinja source ({%tr %}, split runs, smart quotes)."""
    return _DOCXTPL.patch_xml(xml)


def fix_tables(xml: str) -> Any:
    """docxtpl's parse of a rendered body (recovering parser) with {%tc %} grids fixed."""
    return _DOCXTPL.fix_tables(xml)


def resolve_listing(xml: str) -> str:
    """docxtpl's turning of \\n, \\t, \\a and \\f in run text into breaks, tabs and paragraphs."""
    return _DOCXTPL.resolve_listing(xml)


class UnreadableImage(ValueError):
    """The bytes are no picture python-docx can place (PNG, JPEG, GIF, BMP, TIFF)."""


@dataclass(frozen=True)
class Picture:
    """What a docx picture needs: bytes, name, type and the size in EMU."""

    blob: bytes
    filename: str
    ext: str
    content_type: str
    sha1: str
    cx: int
    cy: int


def load_picture(source: str | bytes, width_cm: float | None, height_cm: float | None) -> Picture:
    """Read a picture as docxtpl's InlineImage does (a path keeps its file name; bytes are image.<ext>).

    One of width/height given keeps the aspect ratio; none gives the size the image's dpi says.
    """
    try:
        image = DocxImage.from_file(source if isinstance(source, str) else io.BytesIO(source))
    except UnrecognizedImageError as exc:
        raise UnreadableImage("not a PNG, JPEG, GIF, BMP or TIFF image") from exc
    width = None if width_cm is None else Cm(width_cm)
    height = None if height_cm is None else Cm(height_cm)
    cx, cy = image.scaled_dimensions(width, height)
    return Picture(image.blob, image.filename, image.ext, image.content_type, image.sha1, int(cx), int(cy))


def picture_xml(shape_id: int, rid: str, filename: str, cx: int, cy: int) -> str:
    """The `<wp:inline>` of one picture, exactly as python-docx (and so docxtpl) writes it."""
    xml: str = CT_Inline.new_pic_inline(shape_id, rid, filename, cx, cy).xml
    return xml


SVG_CONTENT_TYPE = "image/svg+xml"
# Word 2016+ (and LibreOffice 7.4+) draw the SVG named by this extension of the picture's blip;
# older readers ignore the extension and show the blip itself, the raster fallback.
_SVG_BLIP_EXTENSION = "{96DAC541-7B7A-43D3-8B79-37D633B846F1}"
_SVG_NS = "http://schemas.microsoft.com/office/drawing/2016/SVG/main"


def with_svg_blip(inline_xml: str, svg_rid: str) -> str:
    """The `<wp:inline>` of `picture_xml` with the vector picture `svg_rid` as the blip's svgBlip."""
    start = inline_xml.index("<a:blip ")
    end = inline_xml.index("/>", start)
    extension = (f'<a:extLst><a:ext uri="{_SVG_BLIP_EXTENSION}"><asvg:svgBlip xmlns:asvg="{_SVG_NS}"'
                 f' r:embed="{svg_rid}"/></a:ext></a:extLst>')
    return f"{inline_xml[:end]}>{extension}</a:blip>{inline_xml[end + 2:]}"


def without_wrap_distance(inline_xml: str) -> str:
    """The `<wp:inline>` with no distance around the picture. python-docx writes none, which Word
    reads as 0 and LibreOffice as 0.32 cm, pushing a picture as wide as the text past the margin."""
    return inline_xml.replace("<wp:inline ", '<wp:inline distT="0" distB="0" distL="0" distR="0" ', 1)


def next_shape_id(part_xml: bytes) -> int:
    """python-docx's next free shape id in a part: one above the largest numeric `id`."""
    ids = [int(value) for value in etree.fromstring(part_xml).xpath("//@id") if value.isdigit()]
    return max(ids, default=0) + 1
