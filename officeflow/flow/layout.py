"""Where everything goes: lanes, bands of columns, boxes, arrows, helper links, phases, pages.

Pure data (millimetres at print size), drawn by officeflow.flow.svg. Lanes are rows with
their names on the left; steps take columns left to right; a process wider than the page
wraps into bands (each band repeats all lanes) and an arrow runs from the end of one band
to the start of the next; bands are grouped into pages that fit an A4 page. A column with a
decision is wider: its diamond and branch labels get a zone of their own after the boxes,
so nothing is drawn over a box's text (officeflow.flow.grid, officeflow.flow.decisions).
"""

from __future__ import annotations

from dataclasses import dataclass

from officeflow.flow.branches import END
from officeflow.flow.decisions import choose_exits, exit_options, zone_width
from officeflow.flow.geometry import PORTRAIT, Geometry
from officeflow.flow.grid import Grid
from officeflow.flow.routes import Router
from officeflow.flow.shapes import Arrow, Box, Lane, PhaseBar, Placement
from officeflow.flow.steps import Flow, FlowStep
from officeflow.flow.textfit import fit_line, fit_time, text_em, wrap
from officeflow.text import normalise_label

START = "start"


@dataclass(frozen=True)
class Layout:
    geometry: Geometry
    lanes: tuple[Lane, ...]
    bands: tuple[Placement, ...]  # band geometry, see officeflow.flow.routes
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    phases: tuple[PhaseBar, ...]
    pages: tuple[tuple[int, int], ...]  # (first band, last band) of each page
    legend: tuple[str, ...]  # which marks the diagram uses
    lane_h: float
    has_phases: bool


def lanes_of(flow: Flow) -> tuple[Lane, ...]:
    """Responsible lanes in order of first appearance, then lanes that only help."""
    order: dict[str, Lane] = {}
    for step in flow.steps:
        order.setdefault(normalise_label(step.lane), Lane(step.lane, False))
    for step in flow.steps:
        for helper in step.helpers:
            order.setdefault(normalise_label(helper), Lane(helper, True))
    return tuple(order.values())


def _columns(flow: Flow, lane_of: dict[str, int]) -> list[int]:
    """The global column of START, each step, END.

    A step shares the previous step's column when the work simply passes to another lane
    (a hand-off drawn as a vertical arrow) and the column stays readable: no decision, no
    helpers, same phase, lanes going one way.
    """
    columns = [0]
    direction = 0
    for index, step in enumerate(flow.steps):
        prev = flow.steps[index - 1] if index else None
        lane = lane_of[normalise_label(step.lane)]
        if prev is not None and _can_share(prev, step):
            prev_lane = lane_of[normalise_label(prev.lane)]
            step_dir = 1 if lane > prev_lane else -1
            if direction in (0, step_dir):
                columns.append(columns[-1])
                direction = step_dir
                continue
        columns.append(columns[-1] + 1)
        direction = 0
    columns.append(columns[-1] + 1)
    return columns


def _can_share(prev: FlowStep, step: FlowStep) -> bool:
    return (not prev.decision and [b.target for b in prev.branches] == [step.number]
            and not prev.helpers and not step.helpers and prev.phase == step.phase
            and normalise_label(prev.lane) != normalise_label(step.lane))


def layout(flow: Flow, geometry: Geometry = PORTRAIT) -> Layout:
    """Place the flow's lanes, boxes, arrows and phases (deterministic: same flow, same layout)."""
    g = geometry
    lanes = lanes_of(flow)
    lane_of = {normalise_label(lane.name): i for i, lane in enumerate(lanes)}
    tag_lines = max((len(s.tags) for s in flow.steps), default=0)
    box_h = g.box_h(tag_lines)
    lane_h = box_h + 2 * g.lane_pad
    columns = _columns(flow, lane_of)
    grid = Grid(g, _zones(flow, columns, g))
    end_lane = _end_lane(flow, lane_of, columns, grid, len(lanes))
    if end_lane is not None:
        columns[-1] -= 1  # the end sits under (or over) the last step instead of opening a band
        grid = Grid(g, _zones(flow, columns, g))
    has_phases = bool(flow.phases)
    router = Router(g, grid, len(lanes), lane_h, has_phases)
    boxes = _step_boxes(flow, g, lane_of, columns, grid, router, box_h, end_lane)
    by_id = {box.id: box for box in boxes}
    arrows = [router.route(by_id[START], by_id[flow.steps[0].number])] if flow.steps else []
    for step in flow.steps:
        arrows.extend(_step_arrows(step, by_id, router))
    helpers, links = _helper_marks(flow, g, lane_of, by_id, router)
    phases = _phase_bars(flow, g, [by_id[s.number] for s in flow.steps], grid, router)
    legend = _legend(flow, boxes)
    return Layout(g, lanes, router.bands, tuple(boxes + helpers), tuple(arrows + links),
                  tuple(phases), router.pages(legend_lines(legend, g)), tuple(legend),
                  lane_h, has_phases)


def _zones(flow: Flow, columns: list[int], g: Geometry) -> list[float]:
    """Per global column, the room its decision needs after the boxes (0 without one)."""
    zones = [0.0] * (columns[-1] + 1)
    for step, column in zip(flow.steps, columns[1:-1], strict=True):
        if step.decision:
            zones[column] = max(zones[column], zone_width([b.label for b in step.branches], g))
    return zones


def _step_arrows(step: FlowStep, by_id: dict[str, Box], router: Router) -> list[Arrow]:
    """A plain step's arrow to the next; a decision's branches, each out of its own corner."""
    box = by_id[step.number]
    targets = [by_id[branch.target] for branch in step.branches]
    if not step.decision:
        return [router.route(box, target, index) for index, target in enumerate(targets)]
    ways = choose_exits([exit_options(box, target) for target in targets])
    return [router.branch(box, target, branch.label, ways, index)
            for index, (branch, target) in enumerate(zip(step.branches, targets, strict=True))]


def _end_lane(flow: Flow, lane_of: dict[str, int], columns: list[int], grid: Grid,
              lane_count: int) -> tuple[int, bool] | None:
    """A free lane next to the last step for the end terminator, when the end would
    otherwise open a band of its own (None: keep it in a column of its own), and whether a
    helper link of that column crosses the lane (the end then keeps clear of it, narrower,
    in the right half of the column). Never beside a decision: its branches leave from there."""
    if not flow.steps or grid.slots[-1].col != 0:
        return None
    last_column = columns[-2]
    taken: set[int] = set()
    crossed: set[int] = set()
    for step, column in zip(flow.steps, columns[1:-1], strict=True):
        if column == last_column:
            if step.decision:
                return None
            used = [lane_of[normalise_label(name)] for name in (step.lane, *step.helpers)]
            taken.update(used)
            crossed.update(range(min(used), max(used) + 1))
    last = lane_of[normalise_label(flow.steps[-1].lane)]
    for lane in (last + 1, last - 1):
        if 0 <= lane < lane_count and lane not in taken:
            return lane, lane in crossed
    return None


def _step_boxes(flow: Flow, g: Geometry, lane_of: dict[str, int], columns: list[int], grid: Grid,
                router: Router, box_h: float, end_lane: tuple[int, bool] | None) -> list[Box]:
    boxes: list[Box] = []
    first_lane = lane_of[normalise_label(flow.steps[0].lane)] if flow.steps else 0
    last_lane = lane_of[normalise_label(flow.steps[-1].lane)] if flow.steps else 0
    narrow_end = False
    if end_lane is not None:
        last_lane, narrow_end = end_lane
    terminal_h = g.font + 2 * g.box_pad + 1.0
    for ident, kind, column, lane in ((START, "start", columns[0], first_lane),
                                      (END, "end", columns[-1], last_lane)):
        slot = grid.slots[column]
        w = g.box_w * 0.72
        x = slot.x + (g.box_w - w) / 2
        if kind == "end" and narrow_end:  # helper links run down the column's middle
            w, x = g.box_w / 2 - 1.5, slot.x + g.box_w / 2 + 1.0
        y = router.lane_mid(slot.band, lane) - terminal_h / 2
        boxes.append(Box(ident, kind, lane, slot.band, slot.col, x, y, w, terminal_h,
                         name_lines=("开始" if kind == "start" else "结束",)))
    name_em = (g.box_w - 2 * g.box_pad) / g.font
    for step, column in zip(flow.steps, columns[1:-1], strict=True):
        slot = grid.slots[column]
        lane = lane_of[normalise_label(step.lane)]
        y = router.lane_mid(slot.band, lane) - box_h / 2
        marks = tuple(m for m, on in (("control", step.control), ("bottleneck", step.bottleneck),
                                      ("decision", step.decision)) if on)
        boxes.append(Box(
            step.number, "step", lane, slot.band, slot.col, slot.x, y, g.box_w, box_h,
            number=step.number, name_lines=tuple(wrap(step.name, name_em, g.name_lines)),
            time=fit_time(step.time_text, (g.box_w - 2 * g.box_pad) / g.small),
            tags=tuple(fit_line(t, (g.box_w - 2 * g.box_pad) / g.small) for t in step.tags),
            marks=marks, title=_title(step)))
    return boxes


def _title(step: FlowStep) -> str:
    parts = [f"{step.number} {step.full_text}", f"负责：{step.lane}"]
    if step.helpers:
        parts.append("配合：" + "、".join(step.helpers))
    if step.time_text:
        parts.append(f"时间：{step.time_text}")
    parts.extend(step.tags)
    if step.control:
        parts.append(f"关键控制点：{step.control}")
    if step.bottleneck:
        parts.append(f"瓶颈：{step.bottleneck}")
    return "\n".join(parts)


def _helper_marks(flow: Flow, g: Geometry, lane_of: dict[str, int], by_id: dict[str, Box],
                  router: Router) -> tuple[list[Box], list[Arrow]]:
    """A dashed mark `配合 3` in each helper lane under step 3, linked to it by a dashed line.

    Two helpers on the same side are linked one after the other (step → nearer → farther), so
    no link runs behind a mark and through its text."""
    marks: list[Box] = []
    links: list[Arrow] = []
    h = g.small + 2 * g.box_pad
    for step in flow.steps:
        box = by_id[step.number]
        own: list[Box] = []
        for helper in step.helpers:
            lane = lane_of[normalise_label(helper)]
            y = router.lane_mid(box.band, lane) - h / 2
            own.append(Box(f"{step.number}@{helper}", "helper", lane, box.band, box.col,
                           box.x + 2.0, y, box.w - 4.0, h, number=step.number,
                           name_lines=(f"配合 {step.number}",), title=f"{helper} 配合步骤 {step.number}"))
        for mark in own:
            between = [m for m in own if min(box.lane, mark.lane) < m.lane < max(box.lane, mark.lane)]
            nearer = min(between, key=lambda m: abs(m.lane - mark.lane), default=box)
            if mark.lane < box.lane:
                points = ((box.cx, nearer.y), (box.cx, mark.bottom))
            else:
                points = ((box.cx, nearer.bottom), (box.cx, mark.y))
            links.append(Arrow(step.number, mark.id, "", points, (box.band,), dashed=True))
        marks.extend(own)
    return marks, links


def _phase_bars(flow: Flow, g: Geometry, boxes: list[Box], grid: Grid,
                router: Router) -> list[PhaseBar]:
    labels = dict(flow.phases)
    bars: list[PhaseBar] = []
    runs: list[tuple[str, Box, Box]] = []
    for step, box in zip(flow.steps, boxes, strict=True):
        if not step.phase:
            continue
        if runs and runs[-1][0] == step.phase and runs[-1][2].band == box.band:
            runs[-1] = (runs[-1][0], runs[-1][1], box)
        else:
            runs.append((step.phase, box, box))
    for key, first, last in runs:
        x = first.x - g.gap / 2 + 0.3
        w = grid.line_after(last.band, last.col) - 0.3 - x
        label = fit_line(labels.get(key, key), (w - 2) / g.small)
        bars.append(PhaseBar(key, label, first.band, x, router.bands[first.band].top, w))
    return bars


def _legend(flow: Flow, boxes: list[Box]) -> list[str]:
    used = {mark for box in boxes for mark in box.marks}
    legend = [m for m in ("control", "bottleneck", "decision") if m in used]
    if "bottleneck" in legend and flow.cycle_text:
        legend[legend.index("bottleneck")] = "bottleneck-cycle"
    if any(s.helpers for s in flow.steps):
        legend.append("helper")
    if flow.has_raci:
        legend.append("raci")
    return legend


LEGEND_TEXT = {
    "control": "关键控制点",
    "bottleneck": "瓶颈（耗时占比最大）",
    "bottleneck-cycle": "瓶颈（耗时占比最大，或超出总流程周期平均份额）",
    "decision": "判断（按“后续步骤”分支）",
    "helper": "配合（虚线：工作转至该泳道）",
    "raci": "批准/最终负责角色（RACI 的 A）",
}


def legend_lines(legend: list[str] | tuple[str, ...], g: Geometry) -> int:
    """How many rows the legend takes at the diagram's width (items flow left to right)."""
    rows, used = (1 if legend else 0), 0.0
    for key in legend:
        width = 6 + text_em(LEGEND_TEXT[key]) * g.small + 4
        if used and used + width > g.width:
            rows, used = rows + 1, 0.0
        used += width
    return rows


__all__ = ["END", "START", "Arrow", "Box", "Lane", "Layout", "PhaseBar", "layout", "lanes_of"]
