"""Sizes of the diagram, in millimetres at print size (the SVG's user unit is 1 mm).

The picture goes into Word at its own width (16 cm, the A4 text width with 2.5 cm margins),
so these are the printed sizes: every text is at least 8 pt (2.82 mm).
"""

from __future__ import annotations

from dataclasses import dataclass

PT = 0.3528  # mm per point
MIN_FONT = 8 * PT


@dataclass(frozen=True)
class Geometry:
    width: float = 160.0  # A4 portrait text width (21 cm − 2 × 2.5 cm)
    page_height: float = 228.0  # what one picture may take on a page under its heading and caption
    label_w: float = 19.0  # lane names on the left
    slot_w: float = 27.0  # one column: a box and the gap after it
    gap: float = 4.0
    font: float = 3.0  # 8.5 pt
    small: float = 2.9  # 8.2 pt
    lane_font: float = 3.2  # 9 pt
    line: float = 3.7
    box_pad: float = 1.0
    lane_pad: float = 3.0  # room above and below boxes, where skip and loop arrows run
    track: float = 1.3  # how far from a lane's edge those arrows run
    phase_h: float = 6.0
    band_gap: float = 8.0
    name_lines: int = 2
    legend_line: float = 5.0
    decision_r: float = 2.2  # half the diagonal of a decision's diamond
    decision_lead: float = 2.0  # the line from a decision's box to its diamond

    @property
    def box_w(self) -> float:
        return self.slot_w - self.gap

    def box_h(self, tag_lines: int) -> float:
        lines = 1 + self.name_lines + 1 + tag_lines  # number, name, time, tags
        return 2 * self.box_pad + lines * self.line - (self.line - self.font)


PORTRAIT = Geometry()
