"""Flowchart benchmark: per-diagram draw (steps → layout → SVG) and raster (SVG → 200 dpi PNG)
time on the 20-step seed SOP of bench/render_bench.py, the cache hit, and the rasterisers
that could replace resvg when they are installed (cairosvg from PyPI, rsvg-convert from
Debian's librsvg2-bin).

Run: python bench/flowchart_bench.py [--repeats 10]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from factory import make_workbook  # noqa: E402

from officeflow import flowchart  # noqa: E402
from officeflow.flow.layout import layout  # noqa: E402
from officeflow.flow.raster import svg_to_png  # noqa: E402
from officeflow.flow.svg import draw  # noqa: E402
from officeflow.model import parse_document  # noqa: E402
from officeflow.reader import read_workbook  # noqa: E402

ROLES = ("客服专员", "客服主管", "技术支持工程师", "质量专员")
STEPS = [[str(i), f"第{i}步：核对客户信息 R&D <内部>，按《投诉处理规范》登记并转派", ROLES[(i * 7) % 4 if i % 3 else 0],
          "《客户投诉登记表》", "《投诉转派单》", "≤30分钟" if i != 9 else "≤2个工作日",
          "记录完整率100%，准确率≥95%" if i % 5 == 0 else ""] for i in range(1, 21)]


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def other_rasterisers(svg: bytes) -> dict[str, Callable[[], object]]:
    found: dict[str, Callable[[], object]] = {}
    try:
        import cairosvg

        found["cairosvg"] = lambda: cairosvg.svg2png(bytestring=svg, dpi=200)
    except (ImportError, OSError):
        pass
    if shutil.which("rsvg-convert"):
        found["rsvg-convert"] = lambda: subprocess.run(
            ["rsvg-convert", "-d", "200", "-p", "200"], input=svg, capture_output=True, check=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        book = make_workbook(Path(folder), steps=STEPS, fields={"适用角色": "、".join(ROLES)})
        parsed = parse_document(read_workbook(book.read_bytes()))
    flow = flowchart.flow_of(parsed)
    lay = layout(flow)
    svg = draw(lay, None, "流程图")
    pages = [draw(lay, p, "流程图") for p in range(len(lay.pages))]
    print(f"20-step SOP: {len(lay.lanes)} lanes, {len(lay.bands)} bands, {len(pages)} A4 pages, "
          f"SVG {len(svg) / 1024:.0f} KiB")
    print(f"read steps        {median_ms(lambda: flowchart.flow_of(parsed), args.repeats):8.2f} ms")
    print(f"layout            {median_ms(lambda: layout(flow), args.repeats):8.2f} ms")
    print(f"draw SVG (whole)  {median_ms(lambda: draw(lay, None, '流程图'), args.repeats):8.2f} ms")
    raster = [median_ms(lambda p=p: svg_to_png(p), max(3, args.repeats // 3)) for p in pages]
    print(f"raster 200 dpi    {sum(raster):8.1f} ms for {len(pages)} pages "
          f"({', '.join(f'{r:.0f}' for r in raster)} ms each, resvg)")
    flowchart.pictures_for(parsed)
    print(f"cached pictures   {median_ms(lambda: flowchart.pictures_for(parsed), args.repeats):8.2f} ms "
          "(same steps: no redraw, no raster)")
    for name, fn in other_rasterisers(pages[0]).items():
        print(f"  {name:14s}  {median_ms(fn, max(3, args.repeats // 3)):8.1f} ms for page 1")


if __name__ == "__main__":
    main()
