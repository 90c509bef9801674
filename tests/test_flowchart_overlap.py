"""Nothing is drawn over text (issue 12): a diagram an auditor prints must stay readable.

The SVG is read back and every piece measured in millimetres at print size: each text (its
width from its characters, CJK one em and others 0.6 em; its height the font's em box), each
mark (the control diamond, the bottleneck triangle, the decision diamond), each branch label,
each box and each arrow. Then:

- no two texts intersect, and no mark, label or arrow crosses a text;
- a decision diamond sits outside every box; control and bottleneck marks sit inside their
  own step's box and clear of everything else;
- a branch label touches no box, no other label, no mark and no arrow, and is nearer its own
  arrow than any other (so a reader knows which edge it names).

Checked on the shipped examples, a 30-step 8-lane process (whole and page by page) and on
workbooks with decisions (the 后续步骤 column of tests/test_flowchart.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from factory import STEP_HEADER, sop_sheets, write_book
from lxml import etree
from test_flowchart import BRANCH_KIND, EXAMPLES, decision_book, parse, sop_book, thirty_steps

from officeflow import flowchart
from officeflow.flow.layout import layout
from officeflow.flow.svg import draw
from officeflow.kinds import register_kind, unregister_kind
from officeflow.model import ParsedDocument

SVG = "{http://www.w3.org/2000/svg}"
STROKE = 0.35  # arrows' stroke width: a segment is a rectangle this thick
TOUCH = 0.05  # overlaps thinner than this are rounding, not ink over ink


@dataclass(frozen=True)
class Rect:
    what: str
    x0: float
    y0: float
    x1: float
    y1: float

    def meets(self, other: Rect) -> bool:
        return (min(self.x1, other.x1) - max(self.x0, other.x0) > TOUCH
                and min(self.y1, other.y1) - max(self.y0, other.y0) > TOUCH)

    def distance(self, other: Rect) -> float:
        dx = max(other.x0 - self.x1, self.x0 - other.x1, 0.0)
        dy = max(other.y0 - self.y1, self.y0 - other.y1, 0.0)
        return (dx * dx + dy * dy) ** 0.5


def _em(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(c) in ("W", "F", "A") else 0.6 for c in text)


def text_rect(node: etree._Element, what: str) -> Rect:
    x, y, size = float(node.get("x")), float(node.get("y")), float(node.get("font-size"))
    width = _em(node.text or "") * size
    left = {"start": x, "middle": x - width / 2, "end": x - width}[node.get("text-anchor", "start")]
    return Rect(what, left, y - 0.88 * size, left + width, y + 0.12 * size)


def numbers(node: etree._Element) -> list[tuple[float, float]]:
    """The points of a path written as M x y L x y … (how officeflow.flow.svg writes them)."""
    values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", node.get("d"))]
    return list(zip(values[0::2], values[1::2], strict=True))


def path_rect(node: etree._Element, what: str) -> Rect:
    xs, ys = zip(*numbers(node), strict=True)
    return Rect(what, min(xs), min(ys), max(xs), max(ys))


def segments(points: list[tuple[float, float]], what: str) -> list[Rect]:
    """An axis-parallel polyline as thin rectangles, one per segment."""
    half = STROKE / 2
    return [Rect(what, min(a[0], b[0]) - half, min(a[1], b[1]) - half, max(a[0], b[0]) + half,
                 max(a[1], b[1]) + half) for a, b in zip(points, points[1:], strict=False)]


def rect_of(node: etree._Element, what: str) -> Rect:
    x, y = float(node.get("x")), float(node.get("y"))
    return Rect(what, x, y, x + float(node.get("width")), y + float(node.get("height")))


@dataclass(frozen=True)
class Route:
    source: str
    points: list[tuple[float, float]]  # the line, without its head
    parts: list[Rect]  # the line's segments and the head


@dataclass
class Pieces:
    texts: list[Rect]
    boxes: list[Rect]  # steps, terminals, helper marks
    corner_marks: list[tuple[Rect, Rect]]  # (control or bottleneck mark, its step's box)
    diamonds: dict[str, Rect]  # by step number
    labels: list[tuple[Rect, Rect, str]]  # (background, text, the arrow's from→to)
    arrows: dict[str, Route]  # by from→to


def _arrow_id(group: etree._Element) -> str:
    return f"{group.get('data-from')}→{group.get('data-to')}"


def _route(group: etree._Element) -> Route:
    line, *head = group.findall(f"{SVG}path")
    what = f"arrow {_arrow_id(group)}"
    parts = segments(numbers(line), what) + [path_rect(path, what) for path in head]
    return Route(group.get("data-from"), numbers(line), parts)


def pieces(svg: bytes) -> Pieces:
    root = etree.fromstring(svg)
    found = Pieces([], [], [], {}, [], {})
    for group in root.iter(f"{SVG}g"):
        kind = group.get("class")
        if kind in ("step", "terminal", "helper"):
            name = group.get("data-step") or group.get("data-terminal")
            box = rect_of(group.find(f"{SVG}rect"), f"{kind} {name} box")
            found.boxes.append(box)
            for mark in group.findall(f"{SVG}g[@class='mark']"):
                shape = path_rect(mark.find(f"{SVG}path"), f"{mark.get('data-mark')} mark of step {name}")
                if mark.get("data-mark") == "decision":
                    found.diamonds[name] = shape
                else:
                    found.corner_marks.append((shape, box))
        elif kind in ("arrow", "link"):
            found.arrows[_arrow_id(group)] = _route(group)
        elif kind == "arrow-label":
            text = group.find(f"{SVG}text")
            found.labels.append((rect_of(group.find(f"{SVG}rect"), f"label {text.text!r} of {_arrow_id(group)}"),
                                 text_rect(text, f"label {text.text!r}"), _arrow_id(group)))
    for node in root.iter(f"{SVG}text"):
        if node.getparent().get("class") != "arrow-label":
            found.texts.append(text_rect(node, f"text {node.text!r}"))
    return found


def _leaves_by_a_corner(route: Route, diamond: Rect) -> bool:
    """A branch starts on a corner of its diamond (top, bottom, right) and runs away from it."""
    (x0, y0), (x1, y1) = route.points[0], route.points[1]
    cx, cy = (diamond.x0 + diamond.x1) / 2, (diamond.y0 + diamond.y1) / 2
    corners = {(round(cx, 2), round(diamond.y0, 2)): y1 < y0, (round(cx, 2), round(diamond.y1, 2)): y1 > y0,
               (round(diamond.x1, 2), round(cy, 2)): x1 > x0}
    return corners.get((round(x0, 2), round(y0, 2)), False)


def overlaps(svg: bytes) -> list[str]:
    """Every piece drawn over a text, a mark or a label it should leave clear, as `A over B`."""
    p = pieces(svg)
    found: list[str] = []

    def clash(a: Rect, b: Rect) -> None:
        if a.meets(b):
            found.append(f"{a.what} over {b.what}")

    texts = p.texts + [text for _bg, text, _arrow in p.labels]
    for index, text in enumerate(p.texts):
        for other in p.texts[index + 1:]:
            clash(text, other)
    marks = [*p.diamonds.values(), *(mark for mark, _box in p.corner_marks)]
    for index, mark in enumerate(marks):
        for other in texts + marks[index + 1:]:
            clash(mark, other)
    for diamond in p.diamonds.values():
        for box in p.boxes:
            clash(diamond, box)
    for mark, box in p.corner_marks:
        if not (box.x0 <= mark.x0 and mark.x1 <= box.x1 and box.y0 <= mark.y0 and mark.y1 <= box.y1):
            found.append(f"{mark.what} outside {box.what}")
    for arrow, route in p.arrows.items():
        own_diamond = p.diamonds.get(route.source)
        if own_diamond is not None and not _leaves_by_a_corner(route, own_diamond):
            found.append(f"arrow {arrow} does not leave by a corner of {own_diamond.what}")
        for part in route.parts:
            for other in p.texts + [m for m in marks if m is not own_diamond]:
                clash(part, other)
            for background, _text, own in p.labels:
                if own != arrow:  # its own arrow is checked below, with the label
                    clash(part, background)
    found.extend(_label_problems(p, marks))
    return found


def _label_problems(p: Pieces, marks: list[Rect]) -> list[str]:
    """A label touches no box, text, mark, other label or its own arrow, and is nearer its own
    arrow than any other."""
    found: list[str] = []
    for index, (background, _text, own) in enumerate(p.labels):
        others = p.boxes + p.texts + marks + [bg for bg, _t, _o in p.labels[index + 1:]]
        own_parts = p.arrows[own].parts if own in p.arrows else []
        found.extend(f"{background.what} over {other.what}" for other in others + own_parts
                     if background.meets(other))
        near = min((background.distance(part) for part in own_parts), default=0.0)
        for arrow, route in p.arrows.items():
            if arrow != own and min(background.distance(part) for part in route.parts) < near:
                found.append(f"{background.what} nearer arrow {arrow}")
    return found


def pages(parsed: ParsedDocument) -> list[bytes]:
    """The whole diagram and each A4 page of it, as drawn for the Word document."""
    lay = layout(flowchart.flow_of(parsed))
    return [flowchart.svg_for(parsed), *(draw(lay, page, "流程图") for page in range(len(lay.pages)))]


@pytest.fixture
def branching() -> None:
    register_kind(BRANCH_KIND)
    yield
    unregister_kind(BRANCH_KIND.key)


def test_the_checker_sees_a_label_drawn_over_a_box() -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg"><g class="step" data-step="2">'
           b'<rect x="10" y="10" width="23" height="16"/>'
           b'<text x="21.5" y="18" font-size="3" text-anchor="middle">\xe5\xa4\x84\xe7\x90\x86</text></g>'
           b'<g class="arrow" data-from="2" data-to="5"><path d="M35 18L35 5"/></g>'
           b'<g class="arrow-label" data-from="2" data-to="5"><rect x="31" y="14" width="3.7" height="3.3"/>'
           b'<text x="32.85" y="16.6" font-size="2.9" text-anchor="middle">\xe5\x90\xa6</text></g></svg>')
    assert overlaps(svg) == ["label '否' of 2→5 over step 2 box"]


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.xlsx")))
def test_nothing_is_drawn_over_text_in_the_shipped_examples(example: str) -> None:
    for svg in pages(parse(EXAMPLES / example)):
        assert overlaps(svg) == []


def test_nothing_is_drawn_over_text_in_thirty_steps_eight_lanes(tmp_path: Path) -> None:
    for svg in pages(parse(thirty_steps(tmp_path))):
        assert overlaps(svg) == []


def exits(svg: bytes, step: str) -> list[tuple[str, str, str]]:
    """(label as drawn, target, the way the branch leaves) for each branch of `step`."""
    root = etree.fromstring(svg)
    shown = {g.get("data-to"): g.find(f"{SVG}text").text for g in root.iter(f"{SVG}g")
             if g.get("class") == "arrow-label" and g.get("data-from") == step}
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "arrow" and group.get("data-from") == step:
            (x0, y0), (x1, y1) = numbers(group.find(f"{SVG}path"))[:2]
            way = "up" if y1 < y0 else "down" if y1 > y0 else "right"
            found.append((shown[group.get("data-to")], group.get("data-to"), way))
    return found


def test_a_decision_sits_outside_its_box_with_its_labels_beside_their_edges(
        tmp_path: Path, branching: None) -> None:
    parsed = parse(decision_book(tmp_path))
    for svg in pages(parsed):
        assert overlaps(svg) == []
    # 是 goes down to 技术支持工程师, 否 up and on to 答复客户: each by its own corner.
    assert exits(flowchart.svg_for(parsed), "2") == [("是", "3", "down"), ("否", "5", "up")]


@pytest.mark.parametrize(("next_of_2", "ways"), [
    # On along the lane, and back to an earlier step (along the lane's bottom strip).
    ("是→4；否→1", [("是", "4", "right"), ("否", "1", "down")]),
    ("是→3；否→1；待定→5", [("是", "3", "down"), ("否", "1", "right"), ("待定", "5", "up")]),
    # A long condition is cut to fit its zone (data-label keeps it whole).
    ("通过→3；不通过需补充材料→1", [("通过", "3", "down"), ("不通过需补…", "1", "right")]),
    ("是→5；否→4", [("是", "5", "up"), ("否", "4", "right")]),  # a skip and the next step
])
def test_decisions_of_every_shape_keep_text_clear(tmp_path: Path, branching: None, next_of_2: str,
                                                  ways: list[tuple[str, str, str]]) -> None:
    parsed = parse(decision_book(tmp_path, next_of_2))
    for svg in pages(parsed):
        assert overlaps(svg) == []
    assert exits(flowchart.svg_for(parsed), "2") == ways


def test_a_decision_at_the_end_of_a_band_keeps_text_clear(tmp_path: Path, branching: None) -> None:
    rows = [[str(i), f"第{i}步核对", ("客服专员", "客服主管")[i % 2], "", "", "≤1小时", "准确率≥95%", ""]
            for i in range(1, 12)]
    rows[4][-1] = "是→6；否→2"  # step 5: the last column of the first band
    rows[9][-1] = "是→11；否→1"  # step 10: back to the first band
    sheets = sop_sheets({"模板类型": BRANCH_KIND.label, "适用角色": "客服专员、客服主管"})
    sheets["流程步骤"] = [[*STEP_HEADER, "后续步骤"], *rows]
    for svg in pages(parse(write_book(tmp_path / "band.xlsx", sheets))):
        assert overlaps(svg) == []


def test_a_step_with_every_mark_keeps_its_number_and_name_clear(tmp_path: Path) -> None:
    rows = [["12.10.3.1", "核对客户提交的全部票据原件", "客服专员", "", "", "≤3个工作日", "准确率≥95%"],
            ["12.10.3.2", "登记", "客服专员", "", "", "≤1小时", ""]]
    parsed = parse(sop_book(tmp_path, rows, "客服专员"))
    for svg in pages(parsed):
        assert overlaps(svg) == []
    root = etree.fromstring(flowchart.svg_for(parsed))
    first, second = (g for g in root.iter(f"{SVG}g") if g.get("class") == "step")
    # The corner keeps the marks: a number too long for the room left of them is cut (the whole
    # number stays in data-step and the tooltip); a step without marks shows it whole.
    assert (first.get("data-marks"), first.find(f"{SVG}text").text) == ("control bottleneck", "12.10…")
    assert first.find(f"{SVG}title").text.splitlines()[0] == "12.10.3.1 核对客户提交的全部票据原件"
    assert (second.get("data-marks"), second.find(f"{SVG}text").text) == ("", "12.10.3.2")
