"""Draw a layout as SVG: deterministic bytes, millimetre units, text in Noto Sans CJK SC.

The structure is readable by machines too: lanes, steps and arrows are groups carrying
`data-lane`, `data-step`, `data-from`/`data-to` and `data-marks`, so tests (and anyone) can
check the diagram against the steps table without looking at pixels.
"""

from __future__ import annotations

from dataclasses import replace
from xml.sax.saxutils import escape, quoteattr

from officeflow.flow.decisions import centre
from officeflow.flow.geometry import Geometry
from officeflow.flow.layout import LEGEND_TEXT, Layout
from officeflow.flow.shapes import Arrow, Box
from officeflow.flow.textfit import fit_line, text_em, wrap

# Named first so no renderer falls back to a Japanese face (PITFALLS: glyph variants);
# xml:lang says the text is Simplified Chinese for renderers that pick glyphs by language.
FONT_FAMILY = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', SimHei, sans-serif"
INK, LINE, RED, ORANGE, HELPER = "#1f2933", "#52606d", "#c81e1e", "#e07b00", "#7b8794"
LANE_FILLS = ("#f5f7fa", "#ffffff")
# The top right corner of a step's box kept for its control and bottleneck marks: the step
# number is cut to the room left of it, the name starts on the line below.
CORNER_W = 7.8


def n(value: float) -> str:
    """A coordinate as short, stable text."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(x: float, y: float, text: str, size: float, anchor: str = "start",
          weight: str = "", fill: str = INK) -> str:
    bold = ' font-weight="bold"' if weight else ""
    return (f'<text x="{n(x)}" y="{n(y)}" font-size="{n(size)}" text-anchor="{anchor}"'
            f' fill="{fill}"{bold}>{escape(text)}</text>')


def diamond(cx: float, cy: float, r: float, fill: str, stroke: str = "none") -> str:
    d = f"M{n(cx)} {n(cy - r)}L{n(cx + r)} {n(cy)}L{n(cx)} {n(cy + r)}L{n(cx - r)} {n(cy)}Z"
    return f'<path d="{d}" fill="{fill}" stroke="{stroke}" stroke-width="0.3"/>'


def triangle(cx: float, cy: float, r: float, fill: str) -> str:
    d = f"M{n(cx)} {n(cy - r)}L{n(cx + r)} {n(cy + r * 0.8)}L{n(cx - r)} {n(cy + r * 0.8)}Z"
    return f'<path d="{d}" fill="{fill}"/>'


def draw(lay: Layout, page: int | None = None, title: str = "") -> bytes:
    """The whole diagram, or one page of it (the bands of `lay.pages[page]`)."""
    g = lay.geometry
    first, last = lay.pages[page] if page is not None else (0, len(lay.bands) - 1)
    top = lay.bands[first].top - (1.0 if first == 0 else g.band_gap / 2 - 0.5)
    cut = lay.bands[last].bottom + g.band_gap / 2 - 0.5  # arrows to a later page stop here
    legend_y = lay.bands[last].bottom + (3.0 if last == len(lay.bands) - 1 else g.band_gap)
    legend, legend_h = _legend(lay, legend_y)
    height = legend_y + legend_h - top
    bands = set(range(first, last + 1))
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" xml:lang="zh-CN" width="{n(g.width)}mm"'
        f' height="{n(height)}mm" viewBox="0 {n(top)} {n(g.width)} {n(height)}"'
        f' font-family="{FONT_FAMILY}">',
        f"<title>{escape(title or '流程图')}</title>",
        f'<rect x="0" y="{n(top)}" width="{n(g.width)}" height="{n(height)}" fill="#ffffff"/>',
    ]
    for band in lay.bands[first:last + 1]:
        out.extend(_band(lay, band.index))
    shown = page_arrows(lay, bands, top, cut)
    out.extend(_arrow(a, g) for a in shown)
    out.extend(_box(b, g) for b in lay.boxes if b.band in bands)
    out.extend(_label(a, g) for a in shown if a.label and a.label_at)  # on top of the boxes
    out.extend(legend)
    out.append("</svg>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _band(lay: Layout, index: int) -> list[str]:
    g, band = lay.geometry, lay.bands[index]
    out = [f'<g class="band" data-band="{index}">']
    if lay.has_phases:
        out.append(f'<rect x="0" y="{n(band.top)}" width="{n(g.label_w)}" height="{n(g.phase_h)}"'
                   f' fill="#e4e7eb" stroke="{LINE}" stroke-width="0.25"/>')
        out.append(_text(g.label_w / 2, band.top + g.phase_h / 2 + g.small * 0.35, "阶段",
                         g.small, "middle", "bold"))
    for bar in (p for p in lay.phases if p.band == index):
        out.append(f'<g class="phase" data-phase={quoteattr(bar.key)}>'
                   f'<rect x="{n(bar.x)}" y="{n(bar.y + 0.4)}" width="{n(bar.w)}"'
                   f' height="{n(g.phase_h - 0.8)}" rx="1" fill="#e4e7eb"/>'
                   + _text(bar.x + bar.w / 2, bar.y + g.phase_h / 2 + g.small * 0.35, bar.label,
                           g.small, "middle", "bold") + "</g>")
    for lane_index, lane in enumerate(lay.lanes):
        y = band.lanes_top + lane_index * lay.lane_h
        fill = LANE_FILLS[lane_index % 2]
        out.append(f'<g class="lane" data-lane={quoteattr(lane.name)}'
                   f' data-helper="{int(lane.helper)}">')
        out.append(f'<rect x="{n(g.label_w)}" y="{n(y)}" width="{n(g.width - g.label_w)}"'
                   f' height="{n(lay.lane_h)}" fill="{fill}" stroke="{LINE}" stroke-width="0.25"/>')
        out.append(f'<rect x="0" y="{n(y)}" width="{n(g.label_w)}" height="{n(lay.lane_h)}"'
                   f' fill="#e4e7eb" stroke="{LINE}" stroke-width="0.25"/>')
        out.extend(_lane_name(lane.name, lane.helper, g, y, lay.lane_h))
        out.append("</g>")
    out.append("</g>")
    return out


def page_arrows(lay: Layout, bands: set[int], top: float, cut: float) -> list[Arrow]:
    """The arrows of these bands; one that goes on to (or comes from) another page is cut at
    the page's edge and says where it goes (`至 10（下页）`) or comes from (`自 9（上页）`)."""
    kept: list[Arrow] = []
    for arrow in lay.arrows:
        if set(arrow.bands) <= bands:
            kept.append(arrow)
        elif bands.intersection(arrow.bands):
            source_here = any(b.id == arrow.source and b.band in bands for b in lay.boxes)
            points = _clip(arrow.points, top, cut, head=source_here)
            x, y = points[-1] if source_here else points[0]
            text = f"至 {arrow.target}（下页）" if source_here else f"自 {arrow.source}（上页）"
            if arrow.target == "end":
                text = "至 结束（下页）"
            width = text_em(text) * lay.geometry.small
            # Clear of the arrowhead (0.8 mm either side of the line) on its left.
            at = (x - width / 2 - 1.6, y + 0.2) if source_here else (x + width / 2 + 1.0, y + lay.geometry.small)
            kept.append(replace(arrow, points=tuple(points), label=text, label_at=at))
    return kept


def _clip(points: tuple[tuple[float, float], ...], lo: float, hi: float,
          head: bool) -> list[tuple[float, float]]:
    """The part of an axis-parallel polyline from its start (head) or to its end (tail) that
    stays within lo ≤ y ≤ hi."""
    seq = list(points) if head else list(reversed(points))
    kept = [seq[0]]
    for point in seq[1:]:
        if lo <= point[1] <= hi:
            kept.append(point)
            continue
        kept.append((point[0], min(max(point[1], lo), hi)))
        break
    return kept if head else list(reversed(kept))


def _lane_name(name: str, helper: bool, g: Geometry, y: float, lane_h: float) -> list[str]:
    lines = wrap(name, (g.label_w - 2) / g.lane_font, 3)
    if helper:
        lines.append("（配合）")
    step = g.lane_font + 0.8
    first = y + lane_h / 2 - (len(lines) - 1) * step / 2 + g.lane_font * 0.35
    size = [g.lane_font] * len(lines)
    if helper:
        size[-1] = g.small
    return [_text(g.label_w / 2, first + i * step, line, size[i], "middle", "" if helper else "bold",
                  HELPER if helper else INK) for i, line in enumerate(lines)]


def _arrow(arrow: Arrow, g: Geometry) -> str:
    d = "M" + "L".join(f"{n(x)} {n(y)}" for x, y in arrow.points)
    attrs = f'data-from={quoteattr(arrow.source)} data-to={quoteattr(arrow.target)}'
    if arrow.dashed:
        return (f'<g class="link" {attrs}><path d="{d}" fill="none" stroke="{HELPER}"'
                f' stroke-width="0.35" stroke-dasharray="1.2 0.9"/></g>')
    parts = [f'<g class="arrow" {attrs} data-label={quoteattr(arrow.label)}>',
             f'<path d="{d}" fill="none" stroke="{LINE}" stroke-width="0.35"/>',
             _head(arrow.points[-2], arrow.points[-1])]
    parts.append("</g>")
    return "".join(parts)


def _label(arrow: Arrow, g: Geometry) -> str:
    """A branch label (是/否) or a page connector, centred at `label_at`, on a white ground."""
    assert arrow.label_at is not None
    x, y = arrow.label_at
    shown = arrow.shown or arrow.label
    width = text_em(shown) * g.small
    title = f"<title>{escape(arrow.label)}</title>" if shown != arrow.label else ""
    return (f'<g class="arrow-label" data-from={quoteattr(arrow.source)} data-to={quoteattr(arrow.target)}>'
            f'{title}<rect x="{n(x - width / 2 - 0.4)}" y="{n(y - g.small * 0.9)}" width="{n(width + 0.8)}"'
            f' height="{n(g.small * 1.15)}" rx="0.5" fill="#ffffff" fill-opacity="0.95"/>'
            + _text(x, y, shown, g.small, "middle", "bold", ORANGE) + "</g>")


def _head(before: tuple[float, float], tip: tuple[float, float]) -> str:
    """A filled arrowhead at `tip`, pointing along the last segment (always axis-parallel)."""
    dx = (tip[0] > before[0]) - (tip[0] < before[0])
    dy = (tip[1] > before[1]) - (tip[1] < before[1])
    length, half = 1.8, 0.8
    bx, by = tip[0] - dx * length, tip[1] - dy * length
    pts = [tip, (bx - dy * half, by + dx * half), (bx + dy * half, by - dx * half)]
    return f'<path d="M{"L".join(f"{n(x)} {n(y)}" for x, y in pts)}Z" fill="{LINE}"/>'


def _box(box: Box, g: Geometry) -> str:
    if box.kind in ("start", "end"):
        return (f'<g class="terminal" data-terminal="{box.kind}">'
                f'<rect x="{n(box.x)}" y="{n(box.y)}" width="{n(box.w)}" height="{n(box.h)}"'
                f' rx="{n(box.h / 2)}" fill="#e6f4ea" stroke="{INK}" stroke-width="0.35"/>'
                + _text(box.cx, box.midy + g.font * 0.35, box.name_lines[0], g.font, "middle", "bold")
                + "</g>")
    if box.kind == "helper":
        return (f'<g class="helper" data-step={quoteattr(box.number)}'
                f' data-lane-index="{box.lane}"><title>{escape(box.title)}</title>'
                f'<rect x="{n(box.x)}" y="{n(box.y)}" width="{n(box.w)}" height="{n(box.h)}"'
                f' rx="1" fill="#ffffff" stroke="{HELPER}" stroke-width="0.35" stroke-dasharray="1.2 0.9"/>'
                + _text(box.cx, box.midy + g.small * 0.35, box.name_lines[0], g.small, "middle",
                        fill=HELPER) + "</g>")
    return _step(box, g)


def _step(box: Box, g: Geometry) -> str:
    bottleneck = "bottleneck" in box.marks
    stroke, width = (RED, "0.8") if bottleneck else (INK, "0.35")
    out = [f'<g class="step" data-step={quoteattr(box.number)} data-lane-index="{box.lane}"'
           f' data-marks="{" ".join(box.marks)}"><title>{escape(box.title)}</title>',
           f'<rect x="{n(box.x)}" y="{n(box.y)}" width="{n(box.w)}" height="{n(box.h)}" rx="1"'
           f' fill="#ffffff" stroke="{stroke}" stroke-width="{width}"/>']
    x, y = box.x + g.box_pad, box.y + g.box_pad + g.font * 0.88
    corner = CORNER_W if {"control", "bottleneck"} & set(box.marks) else 0.0
    out.append(_text(x, y, fit_line(box.number, (box.w - 2 * g.box_pad - corner) / g.font),
                     g.font, weight="bold"))
    if "control" in box.marks:
        out.append(f'<g class="mark" data-mark="control">{diamond(box.right - 2.3, box.y + 2.3, 1.5, ORANGE)}</g>')
    if bottleneck:
        out.append(f'<g class="mark" data-mark="bottleneck">{triangle(box.right - 5.8, box.y + 2.2, 1.5, RED)}</g>')
    for line in box.name_lines:
        y += g.line
        out.append(_text(box.cx, y, line, g.font, "middle"))
    y = box.y + box.h - g.box_pad - (len(box.tags)) * g.line - 0.2
    if box.time:
        out.append(_text(box.cx, y, box.time, g.small, "middle", fill="#3e4c59"))
    for tag in box.tags:
        y += g.line
        out.append(_text(box.cx, y, tag, g.small, "middle", fill="#3e4c59"))
    if "decision" in box.marks:
        out.append(_decision(box, g))
    out.append("</g>")
    return "".join(out)


def _decision(box: Box, g: Geometry) -> str:
    """The diamond right of the box, in the column's decision zone, and the lead line to it."""
    cx, cy = centre(box, g)
    lead = f'<path d="M{n(box.right)} {n(cy)}H{n(cx - g.decision_r)}" stroke="{LINE}" stroke-width="0.35"/>'
    return (f'<g class="mark" data-mark="decision">{diamond(cx, cy, g.decision_r, "#fff4e0", ORANGE)}'
            f'{lead}</g>')


def _legend(lay: Layout, y0: float) -> tuple[list[str], float]:
    g = lay.geometry
    if not lay.legend:
        return [], 0.0
    out = ['<g class="legend">']
    x, y = 1.0, y0 + g.legend_line / 2
    for key in lay.legend:
        text = LEGEND_TEXT[key]
        width = 6 + text_em(text) * g.small + 4
        if x > 1.0 and x + width > g.width:
            x, y = 1.0, y + g.legend_line
        out.append(f'<g class="legend-item" data-mark="{key}">' + _symbol(key, x + 2, y)
                   + _text(x + 5, y + g.small * 0.35, text, g.small) + "</g>")
        x += width
    out.append("</g>")
    return out, (y - y0) + g.legend_line / 2 + 1.0


def _symbol(key: str, cx: float, cy: float) -> str:
    if key == "control":
        return diamond(cx, cy, 1.5, ORANGE)
    if key.startswith("bottleneck"):
        return triangle(cx, cy, 1.5, RED)
    if key == "decision":
        return diamond(cx, cy, 2.0, "#fff4e0", ORANGE)
    if key == "helper":
        return (f'<path d="M{n(cx - 2.5)} {n(cy)}H{n(cx + 2.5)}" stroke="{HELPER}"'
                f' stroke-width="0.35" stroke-dasharray="1.2 0.9"/>')
    return _text(cx, cy + 1.0, "A", 2.9, "middle", "bold")
