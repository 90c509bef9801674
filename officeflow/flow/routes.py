"""Band geometry and orthogonal arrow routes between boxes.

Arrows run only where no box is: in the gaps between columns, in the strips above and below
the boxes of a lane (skips forward run above, loops back run below), in the gap between
bands, and just right of the lane names (the way down to the next band).
"""

from __future__ import annotations

from officeflow.flow.geometry import Geometry
from officeflow.flow.shapes import Arrow, Box, Placement

Point = tuple[float, float]
TOP_MARGIN = 1.0


class Router:
    def __init__(self, g: Geometry, lanes: int, lane_h: float, band_count: int,
                 has_phases: bool) -> None:
        self.g, self.lane_h = g, lane_h
        bands: list[Placement] = []
        y = TOP_MARGIN
        for index in range(band_count):
            lanes_top = y + (g.phase_h if has_phases else 0.0)
            bottom = lanes_top + lanes * lane_h
            bands.append(Placement(index, y, lanes_top, bottom))
            y = bottom + g.band_gap
        self.bands = tuple(bands)

    def lane_top(self, band: int, lane: int) -> float:
        return self.bands[band].lanes_top + lane * self.lane_h

    def lane_mid(self, band: int, lane: int) -> float:
        return self.lane_top(band, lane) + self.lane_h / 2

    def route(self, a: Box, b: Box, label: str = "", index: int = 0) -> Arrow:
        g = self.g
        decision = a.kind == "step" and label != ""
        start = (a.right + (g.gap / 2 if decision else 0.0), a.midy)
        if a.band == b.band and a.col == b.col:
            points = [(a.cx, a.bottom), (a.cx, b.y)] if b.lane > a.lane else [(a.cx, a.y), (a.cx, b.bottom)]
        elif a.band == b.band:
            points = [start, *self._same_band(a, b)]
        else:
            points = [start, *self._other_band(a, b, index)]
        clean = _simplify(points)
        bands = tuple(range(min(a.band, b.band), max(a.band, b.band) + 1))
        label_at = self._label_at(clean, index) if label else None
        return Arrow(a.id, b.id, label, tuple(clean), bands, label_at=label_at)

    def _same_band(self, a: Box, b: Box) -> list[Point]:
        g = self.g
        x_out, x_in = g.gap_x(a.col), g.gap_x(b.col - 1)
        if b.col == a.col + 1:
            return [(x_out, a.midy), (x_out, b.midy), (b.x, b.midy)]
        top = self.lane_top(a.band, a.lane)
        track = top + g.track if b.col > a.col else top + self.lane_h - g.track
        return [(x_out, a.midy), (x_out, track), (x_in, track), (x_in, b.midy), (b.x, b.midy)]

    def _other_band(self, a: Box, b: Box, index: int) -> list[Point]:
        """Down (or up) out of a's band, along the gap, down the left edge, into b's band."""
        g = self.g
        x_out, x_left = g.gap_x(a.col), g.gap_x(-1) + 0.8 * index
        if b.band > a.band:
            y_out = self.bands[a.band].bottom + g.band_gap / 2 + 1.0 * index
        else:
            y_out = self.bands[a.band].top - g.band_gap / 2 + 1.0 * index
        points = [(x_out, a.midy), (x_out, y_out), (x_left, y_out)]
        if b.col == 0:
            return [*points, (x_left, b.midy), (b.x, b.midy)]
        y_in = self.bands[b.band].lanes_top + g.track
        x_in = g.gap_x(b.col - 1)
        return [*points, (x_left, y_in), (x_in, y_in), (x_in, b.midy), (b.x, b.midy)]

    def _label_at(self, points: list[Point], index: int) -> Point:
        """Centred on the decision mark: below it for a branch that leaves downwards, above it
        otherwise; a second label on the same side one line further out."""
        (x0, y0), (_x1, y1) = points[0], points[1]
        x = x0 - self.g.gap / 2
        step = self.g.small + 0.4
        if y1 > y0 + 0.01:
            return (x, y0 + 2.0 + self.g.small + step * index)
        return (x, y0 - 2.4 - step * index)

    def pages(self, legend_rows: int) -> tuple[tuple[int, int], ...]:
        """Whole bands per page, each page no taller than the page allows (legend included)."""
        legend_h = legend_rows * self.g.legend_line + 2.0
        pages: list[tuple[int, int]] = []
        first = 0
        for band in self.bands:
            height = band.bottom - self.bands[first].top + legend_h + TOP_MARGIN
            if band.index > first and height > self.g.page_height:
                pages.append((first, band.index - 1))
                first = band.index
        if self.bands:
            pages.append((first, self.bands[-1].index))
        return tuple(pages)


def _simplify(points: list[Point]) -> list[Point]:
    """Drop repeated points and middle points of straight runs."""
    kept: list[Point] = []
    for point in points:
        p = (round(point[0], 2), round(point[1], 2))
        if kept and p == kept[-1]:
            continue
        if len(kept) >= 2 and _collinear(kept[-2], kept[-1], p):
            kept[-1] = p
            continue
        kept.append(p)
    return kept


def _collinear(a: Point, b: Point, c: Point) -> bool:
    return (a[0] == b[0] == c[0]) or (a[1] == b[1] == c[1])
