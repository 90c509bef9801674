"""SVG → PNG at print resolution, with resvg (the resvg-py wheel: no system library needed).

Chosen by measuring (bench/flowchart_bench.py, figures in the commit): resvg, cairosvg and
rsvg-convert all draw the diagram's Chinese with Simplified glyphs when Noto Sans CJK SC is
named first (all three fall back to Japanese glyphs or empty boxes for a bare sans-serif),
and take a few hundred ms per A4 page at 200 dpi; cairosvg needs the system's libcairo2 and
rsvg-convert Debian's librsvg2-bin plus a process per picture, while resvg-py installs from
PyPI alone and renders in-process. resvg finds fonts through the system's font folders; it
is faster letting it index them than handing it the two 20 MB Noto CJK collections to parse.
"""

from __future__ import annotations

import resvg_py

DPI = 200


def svg_to_png(svg: bytes, dpi: int = DPI) -> bytes:
    """The picture as PNG at `dpi` (its printed size stays the SVG's, in mm)."""
    return bytes(resvg_py.svg_to_bytes(svg_string=svg.decode("utf-8"), dpi=float(dpi),
                                       background="#ffffff"))
