"""Columns packed into bands: where each column's boxes start and where its arrows run.

A column is a box and the gap after it; a column holding a decision is wider by its zone
(the diamond and its branch labels, officeflow.flow.decisions), so nothing of the decision is
drawn over a box. Columns fill a band left to right until the next would pass the page's
right edge; the process then wraps into the next band.
"""

from __future__ import annotations

from dataclasses import dataclass

from officeflow.flow.geometry import Geometry


@dataclass(frozen=True)
class Slot:
    band: int
    col: int  # column within the band
    x: float  # left edge of the boxes
    zone: float  # room after the boxes for a decision (0 when the column has none)


class Grid:
    """Global columns (START, steps, END in order) placed in bands."""

    def __init__(self, g: Geometry, zones: list[float]) -> None:
        self.g = g
        # Keep half a gap on the right for the arrow that runs down to the next band.
        room = g.width - g.label_w - g.gap / 2
        slots: list[Slot] = []
        band, col, used = 0, 0, 0.0
        for zone in zones:
            width = g.slot_w + zone
            if col and used + width > room:
                band, col, used = band + 1, 0, 0.0
            slots.append(Slot(band, col, g.label_w + used + g.gap / 2, zone))
            used += width
            col += 1
        self.slots = tuple(slots)

    @property
    def band_count(self) -> int:
        return self.slots[-1].band + 1 if self.slots else 1

    def slot(self, band: int, col: int) -> Slot:
        return next(s for s in self.slots if s.band == band and s.col == col)

    def box_x(self, band: int, col: int) -> float:
        """Left edge of the boxes of column `col` of `band`."""
        return self.slot(band, col).x

    def line_after(self, band: int, col: int) -> float:
        """Where arrows run down after column `col` (col −1: just right of the lane names):
        the middle of the gap after its boxes and its decision zone."""
        if col < 0:
            return self.g.label_w + self.g.gap / 4
        slot = self.slot(band, col)
        return slot.x + self.g.box_w + slot.zone + self.g.gap / 2
