"""Band geometry and orthogonal arrow routes between boxes.

Arrows run only where no box is: in the gaps between columns, in the strips above and below
the boxes of a lane (skips forward run above, loops back run below), in the gap between
bands, and just right of the lane names (the way down to the next band). A decision's
branches leave its diamond by a corner each (officeflow.flow.decisions), in the zone its
column keeps after the boxes (officeflow.flow.grid).
"""

from __future__ import annotations

from dataclasses import replace

from officeflow.flow.decisions import DOWN, RIGHT, UP, exit_point, label_at, shown_label
from officeflow.flow.geometry import Geometry
from officeflow.flow.grid import Grid
from officeflow.flow.shapes import Arrow, Box, Placement

Point = tuple[float, float]
TOP_MARGIN = 1.0


class Router:
    def __init__(self, g: Geometry, grid: Grid, lanes: int, lane_h: float, has_phases: bool) -> None:
        self.g, self.grid, self.lane_h = g, grid, lane_h
        bands: list[Placement] = []
        y = TOP_MARGIN
        for index in range(grid.band_count):
            lanes_top = y + (g.phase_h if has_phases else 0.0)
            bottom = lanes_top + lanes * lane_h
            bands.append(Placement(index, y, lanes_top, bottom))
            y = bottom + g.band_gap
        self.bands = tuple(bands)

    def lane_top(self, band: int, lane: int) -> float:
        return self.bands[band].lanes_top + lane * self.lane_h

    def lane_mid(self, band: int, lane: int) -> float:
        return self.lane_top(band, lane) + self.lane_h / 2

    def route(self, a: Box, b: Box, index: int = 0) -> Arrow:
        """An arrow out of `a`'s right edge (or straight down/up to `b` in the same column)."""
        if a.band == b.band and a.col == b.col:
            points = [(b.cx, a.bottom), (b.cx, b.y)] if b.lane > a.lane else [(b.cx, a.y), (b.cx, b.bottom)]
        else:
            x_out = self.grid.line_after(a.band, a.col)
            points = [(a.right, a.midy), *self._onward(a, b, x_out, index, self._track(a, b))]
        return self._arrow(a, b, points)

    def branch(self, a: Box, b: Box, label: str, ways: list[str], index: int) -> Arrow:
        """Branch `index` of decision `a`: out of its diamond's corner `ways[index]`, its label
        beside it (where depends on the corners the other branches take)."""
        way = ways[index]
        start = exit_point(a, self.g, way)
        points = [start]
        x_out = start[0]
        if way == RIGHT:
            x_out = self.grid.line_after(a.band, a.col)
            points.append((x_out, a.midy))
        track = self._track(a, b, top={UP: True, DOWN: False}.get(way))
        # The onward route starts at (x_out, a.midy): for a corner above or below, that is the
        # diamond's centre, which the line must not go back through.
        points.extend(self._onward(a, b, x_out, index, track, self._direct(a, b, way))[1:])
        shown = shown_label(label)
        at = label_at(a, self.g, way, shown, ways, stack=ways[:index].count(way))
        return replace(self._arrow(a, b, points), label=label, shown=shown, label_at=at)

    def _arrow(self, a: Box, b: Box, points: list[Point]) -> Arrow:
        bands = tuple(range(min(a.band, b.band), max(a.band, b.band) + 1))
        return Arrow(a.id, b.id, "", tuple(_simplify(points)), bands)

    def _track(self, a: Box, b: Box, top: bool | None = None) -> float:
        """The strip of a's lane a skip forward (top) or a loop back (bottom) runs along."""
        if top is None:
            top = b.col > a.col
        lane_top = self.lane_top(a.band, a.lane)
        return lane_top + self.g.track if top else lane_top + self.lane_h - self.g.track

    @staticmethod
    def _direct(a: Box, b: Box, way: str) -> bool:
        """A branch to the next column that can go straight there from its corner."""
        if a.band != b.band or b.col != a.col + 1:
            return False
        return way == RIGHT or (way == DOWN and b.lane > a.lane) or (way == UP and b.lane < a.lane)

    def _onward(self, a: Box, b: Box, x_out: float, index: int, track: float,
                direct: bool | None = None) -> list[Point]:
        """From the line `x_out` right of a's column to b's left edge."""
        if a.band != b.band:
            return self._other_band(a, b, x_out, index)
        if direct is None:
            direct = b.col == a.col + 1
        if direct:
            return [(x_out, a.midy), (x_out, b.midy), (b.x, b.midy)]
        x_in = self.grid.line_after(b.band, b.col - 1)
        return [(x_out, a.midy), (x_out, track), (x_in, track), (x_in, b.midy), (b.x, b.midy)]

    def _other_band(self, a: Box, b: Box, x_out: float, index: int) -> list[Point]:
        """Down (or up) out of a's band, along the gap, down the left edge, into b's band."""
        g = self.g
        x_left = self.grid.line_after(b.band, -1) + 0.8 * index
        if b.band > a.band:
            y_out = self.bands[a.band].bottom + g.band_gap / 2 + 1.0 * index
        else:
            y_out = self.bands[a.band].top - g.band_gap / 2 + 1.0 * index
        points = [(x_out, a.midy), (x_out, y_out), (x_left, y_out)]
        if b.col == 0:
            return [*points, (x_left, b.midy), (b.x, b.midy)]
        y_in = self.bands[b.band].lanes_top + g.track
        x_in = self.grid.line_after(b.band, b.col - 1)
        return [*points, (x_left, y_in), (x_in, y_in), (x_in, b.midy), (b.x, b.midy)]

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
