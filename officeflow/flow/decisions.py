"""A decision step: its diamond after the box, the corner each branch leaves by, its labels.

The diamond sits right of the box in the decision's own zone of the column (a short lead
from the box's right edge), never on the box. Each branch leaves by a corner of its own
where it can (up, down or right, whichever suits where it goes), and its label sits beside
that first stretch: right of a line that leaves up or down, above the line that leaves to
the right, each in a place of its own so no label touches the diamond, a box or another label.
"""

from __future__ import annotations

from itertools import product

from officeflow.flow.geometry import Geometry
from officeflow.flow.shapes import Box
from officeflow.flow.textfit import fit_line, text_em

Point = tuple[float, float]
UP, DOWN, RIGHT = "up", "down", "right"
LABEL_EM = 6.0  # a longer condition is cut with an ellipsis; the whole text stays in data-label
LABEL_PAD = 0.6  # between a label and the line it names, the diamond, the next line
CLEAR = 0.2  # between a label beside an up or down line and the diamond's corner's level


def shown_label(label: str) -> str:
    return fit_line(label, LABEL_EM)


def label_size(text: str, g: Geometry) -> tuple[float, float]:
    """The white ground a label is drawn on (officeflow.flow.svg._label)."""
    return text_em(text) * g.small + 0.8, g.small * 1.15


def zone_width(labels: list[str], g: Geometry) -> float:
    """How much wider than others a column with this decision is: lead, diamond, the widest
    label right of it, then the usual half gap to the line where arrows run down."""
    widest = max((label_size(shown_label(label), g)[0] for label in labels), default=0.0)
    return g.decision_lead + 2 * g.decision_r + 2 * LABEL_PAD + widest


def centre(box: Box, g: Geometry) -> Point:
    return box.right + g.decision_lead + g.decision_r, box.midy


def exit_point(box: Box, g: Geometry, way: str) -> Point:
    x, y = centre(box, g)
    r = g.decision_r
    return {UP: (x, y - r), DOWN: (x, y + r), RIGHT: (x + r, y)}[way]


def exit_options(a: Box, b: Box) -> tuple[str, ...]:
    """The corners a branch from `a` to `b` may leave by, best first."""
    if b.band != a.band:
        return (DOWN, RIGHT) if b.band > a.band else (UP, RIGHT)
    if b.col == a.col + 1:
        if b.lane == a.lane:
            return (RIGHT, UP, DOWN)
        return (DOWN, RIGHT, UP) if b.lane > a.lane else (UP, RIGHT, DOWN)
    # A skip forward runs along the lane's top strip, a loop back along its bottom strip (the
    # top one is where arrows from another band come in); rather by way of the right corner
    # than along the other strip.
    if b.col > a.col:
        return (UP, RIGHT, DOWN)
    return (DOWN, RIGHT, UP)


def choose_exits(options: list[tuple[str, ...]]) -> list[str]:
    """One corner per branch: each its own where possible, as near each one's best as can be
    (the first of equals, so the same branches always leave the same way)."""
    best: tuple[int, ...] = ()
    best_cost = -1
    for choice in product(*(range(len(o)) for o in options)):
        ways = [o[i] for o, i in zip(options, choice, strict=True)]
        cost = sum(choice) + 100 * (len(ways) - len(set(ways)))
        if best_cost < 0 or cost < best_cost:
            best, best_cost = choice, cost
    return [o[i] for o, i in zip(options, best, strict=True)]


def label_at(box: Box, g: Geometry, way: str, text: str, ways: list[str], stack: int = 0) -> Point:
    """Centre and baseline of a branch label beside the first stretch of its line.

    Up: right of the line, level with the diamond's top corner; down: right of the line,
    level with its bottom corner; right: above the line, past the corner, or below it when
    a branch leaves upwards and none downwards. A label that would meet another moves one
    row further out; `stack` > 0 moves one that shares its corner further still.
    """
    x, y = centre(box, g)
    r = g.decision_r
    w, h = label_size(text, g)
    row = h + LABEL_PAD
    right_below = RIGHT in ways and UP in ways and DOWN not in ways
    right_above = RIGHT in ways and not right_below
    if way == RIGHT:
        left = x + r + LABEL_PAD
        top = y + LABEL_PAD + row * stack if right_below else y - LABEL_PAD - h - row * stack
    elif way == UP:
        left = x + LABEL_PAD
        bottom = min(y - r - CLEAR, y - LABEL_PAD - row) if right_above else y - r - CLEAR
        top = bottom - h - row * stack
    else:
        left = x + LABEL_PAD
        top = max(y + r + CLEAR, y + LABEL_PAD + row) if right_below else y + r + CLEAR
        top += row * stack
    return left + w / 2, top + g.small * 0.9
