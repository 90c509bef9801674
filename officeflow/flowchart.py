"""Swimlane flowcharts drawn from a document's steps table (issue 12).

    svg_for(parsed) -> bytes            the whole diagram (`<流程编号>_<版本号>.flow.svg`)
    pictures_for(parsed) -> [Picture]   the diagram cut into A4 pages: SVG, PNG (200 dpi), size
    png_for(parsed) -> bytes            the whole diagram as PNG (`officeflow flowchart -o x.png`)

Drawing is cached by the content of the steps (what the picture shows), in memory and, when
given a folder, on disk: a template change or a new stamp does not redraw, and the batch
regeneration's worker processes share the disk cache. Same steps → byte-identical pictures.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from officeflow.flow.branches import next_steps as next_steps  # the 后续步骤 rule, for catalogs
from officeflow.flow.geometry import PORTRAIT, Geometry
from officeflow.flow.layout import Layout, layout
from officeflow.flow.raster import DPI, svg_to_png
from officeflow.flow.steps import Flow, read_flow
from officeflow.flow.svg import draw
from officeflow.model import ParsedDocument

# Bump when the drawing changes, so cached pictures of the old drawing are not reused.
DRAWING_VERSION = "2"
_MEMORY_LIMIT = 64


@dataclass(frozen=True)
class Picture:
    """One page of the diagram: vector, raster fallback, and its printed size."""

    svg: bytes
    png: bytes
    width_cm: float
    height_cm: float


_last_flow: list[tuple[ParsedDocument, float, Flow]] = []  # the pipeline asks twice per document


def flow_of(parsed: ParsedDocument, workday_hours: float = 8.0) -> Flow:
    if _last_flow and _last_flow[0][0] is parsed and _last_flow[0][1] == workday_hours:
        return _last_flow[0][2]
    flow = read_flow(parsed, workday_hours)
    _last_flow[:] = [(parsed, workday_hours, flow)]
    return flow


def _title(parsed: ParsedDocument) -> str:
    return f"流程图：{parsed.value('name')}" if parsed.value("name") else "流程图"


def cache_key(flow: Flow, title: str, geometry: Geometry = PORTRAIT, what: str = "") -> str:
    """The content hash the pictures are cached under: the steps as drawn, nothing else."""
    text = repr((DRAWING_VERSION, what, title, geometry, flow))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class DrawingCache:
    """Pictures by content hash: a small in-memory LRU, and an optional folder on disk."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self._memory: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        if key in self._memory:
            self._memory.move_to_end(key)
            return self._memory[key]
        if self.folder is not None:
            path = self.folder / key
            if path.is_file():
                data = path.read_bytes()
                self._remember(key, data)
                return data
        return None

    def put(self, key: str, data: bytes) -> None:
        self._remember(key, data)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            temp = self.folder / f".{key}.{os.getpid()}.tmp"
            temp.write_bytes(data)
            os.replace(temp, self.folder / key)  # whole files only: another worker may read it

    def _remember(self, key: str, data: bytes) -> None:
        self._memory[key] = data
        self._memory.move_to_end(key)
        while len(self._memory) > _MEMORY_LIMIT:
            self._memory.popitem(last=False)


_CACHE = DrawingCache()
_PAGES: OrderedDict[str, tuple[Picture, ...]] = OrderedDict()  # the pictures of recent flows


def use_cache_folder(folder: Path | None) -> None:
    """Keep drawn pictures in `folder` too (e.g. `<workspace>/.cache/flowcharts`)."""
    _CACHE.folder = folder


def cache_folder() -> Path | None:
    """The folder drawn pictures are kept in, if any."""
    return _CACHE.folder


def _cached(key: str, make: callable) -> bytes:  # type: ignore[valid-type]
    data = _CACHE.get(key)
    if data is None:
        data = make()
        _CACHE.put(key, data)
    return data


def _layout(flow: Flow, geometry: Geometry) -> Layout:
    return layout(flow, geometry)


def svg_for(parsed: ParsedDocument, workday_hours: float = 8.0) -> bytes:
    """The whole diagram as SVG (all bands, one legend): deterministic bytes."""
    flow, title = flow_of(parsed, workday_hours), _title(parsed)
    if not flow.steps:
        return b""
    return _cached(cache_key(flow, title, what="svg"),
                   lambda: draw(_layout(flow, PORTRAIT), None, title))


def png_for(parsed: ParsedDocument, workday_hours: float = 8.0, dpi: int = DPI) -> bytes:
    """The whole diagram as PNG at `dpi` (default 200)."""
    flow, title = flow_of(parsed, workday_hours), _title(parsed)
    if not flow.steps:
        return b""
    svg = svg_for(parsed, workday_hours)
    return _cached(cache_key(flow, title, what=f"png{dpi}"), lambda: svg_to_png(svg, dpi))


def pictures_for(parsed: ParsedDocument, workday_hours: float = 8.0) -> list[Picture]:
    """The diagram cut into pictures that each fit an A4 page, for the Word document."""
    flow, title = flow_of(parsed, workday_hours), _title(parsed)
    if not flow.steps:
        return []
    key = cache_key(flow, title, what="pages")
    if key in _PAGES:  # a regeneration meets the same steps again: no layout, no file reads
        _PAGES.move_to_end(key)
        return list(_PAGES[key])
    lay = _layout(flow, PORTRAIT)
    pictures: list[Picture] = []
    for page in range(len(lay.pages)):
        svg = _cached(cache_key(flow, title, what=f"page{page}.svg"), lambda p=page: draw(lay, p, title))
        png = _cached(cache_key(flow, title, what=f"page{page}.png{DPI}"), lambda s=svg: svg_to_png(s))
        pictures.append(Picture(svg, png, lay.geometry.width / 10, _height_mm(svg) / 10))
    _PAGES[key] = tuple(pictures)
    while len(_PAGES) > _MEMORY_LIMIT:
        _PAGES.popitem(last=False)
    return pictures


def _height_mm(svg: bytes) -> float:
    head = svg[:600].decode("utf-8", "replace")
    marker = ' height="'
    start = head.index(marker) + len(marker)
    return float(head[start:head.index("mm", start)])
