"""Compare two .docx files part by part: every XML part canonicalised (C14N), others as bytes."""

from __future__ import annotations

import difflib
import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from docx.shared import Cm
from docxtpl import DocxTemplate, InlineImage
from lxml import etree

from officeflow.fastrender import jinja_environment
from officeflow.render import Image


def canonical_parts(blob: bytes) -> dict[str, bytes]:
    """Part name → its canonical form: XML through C14N (attribute order, quoting and the
    declaration no longer matter; text, whitespace inside text and structure do)."""
    parts = {}
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            if name.endswith((".xml", ".rels")):
                data = etree.tostring(etree.fromstring(data), method="c14n")
            parts[name] = data
    return parts


def differences(fast: bytes, reference: bytes) -> list[str]:
    """Names of the parts that differ or exist in one file only, each with its first changed lines."""
    ours, theirs = canonical_parts(fast), canonical_parts(reference)
    found = []
    for name in sorted(ours.keys() | theirs.keys()):
        if name not in ours or name not in theirs:
            found.append(f"{name}: only in {'the reference' if name in theirs else 'the fast render'}")
        elif ours[name] != theirs[name]:
            found.append(f"{name}: {_first_change(ours[name], theirs[name])}")
    return found


def _first_change(ours: bytes, theirs: bytes) -> str:
    # One element per line, so the diff points at the run that differs.
    split = [text.decode("utf-8", "replace").replace("><", ">\n<").splitlines() for text in (ours, theirs)]
    lines = [line for line in difflib.unified_diff(split[1], split[0], lineterm="", n=0)
             if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return " / ".join(lines[:4]) or "bytes differ"


def with_docxtpl(template: Path, context: dict[str, Any], prepare: Any = None, finish: Any = None) -> bytes:
    """The reference: plain docxtpl render + save with the renderer's Jinja rules.

    `prepare(doc, context)` returns the context to render (e.g. with InlineImages of `doc`);
    `finish(doc)` runs after rendering (e.g. sets core properties).
    """
    doc = DocxTemplate(template)
    if prepare is not None:
        context = prepare(doc, context)
    doc.render(context, jinja_environment(), autoescape=True)
    if finish is not None:
        finish(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def raster_only(context: dict[str, Any]) -> dict[str, Any]:
    """The context with the 流程图 pictures as plain rasters: docxtpl has no SVG picture.

    What the SVG adds is checked on its own (tests/test_render_equivalence.py).
    """
    return {**context, "flowchart": [Image(p.source, width_cm=p.width_cm) for p in context["flowchart"]]}


def inline_flowchart(doc: Any, context: dict[str, Any]) -> dict[str, Any]:
    """docxtpl's InlineImage for each 流程图 picture."""
    return {**context, "flowchart": [InlineImage(doc, io.BytesIO(p.source), width=Cm(p.width_cm))
                                     for p in context["flowchart"]]}


def replace_in_part(blob: bytes, part: str, old: bytes, new: bytes) -> bytes:
    """The .docx with one occurrence of `old` in `part` replaced (to prove a comparison can fail)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == part:
                assert old in data, f"{old!r} not in {part}"
                data = data.replace(old, new, 1)
            target.writestr(info, data)
    return out.getvalue()


def tiny_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A solid-colour PNG written by hand (8-bit RGB, no dpi chunk: 72 dpi)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9))
            + chunk(b"IEND", b""))
