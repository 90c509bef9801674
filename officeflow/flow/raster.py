"""SVG → PNG at print resolution, with resvg (the resvg-py wheel: no system library needed).

Chosen by measuring (bench/flowchart_bench.py): resvg, cairosvg and rsvg-convert all draw
the diagram's Chinese in Noto Sans CJK SC when the font is named first, but cairosvg needs
the system's libcairo2 and rsvg-convert Debian's librsvg2-bin and a process per picture,
while resvg-py installs from PyPI alone and renders in-process. resvg loads only the Noto
Sans CJK faces we name when they are found (loading every system font costs more than
drawing), so the output does not depend on which other fonts a machine has.
"""

from __future__ import annotations

import functools
from pathlib import Path

import resvg_py

DPI = 200
_FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"),
              Path("/usr/local/share/fonts"), Path.home() / ".fonts")
_FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Regular.otf",
               "NotoSansCJKsc-Bold.otf", "NotoSansSC-Regular.otf", "NotoSansSC-Bold.otf")


@functools.cache
def cjk_font_files() -> tuple[str, ...]:
    """The Noto Sans CJK files present on this machine (fonts-noto-cjk puts them in the first dir)."""
    found = [str(folder / name) for folder in _FONT_DIRS for name in _FONT_FILES
             if (folder / name).is_file()]
    return tuple(found)


def svg_to_png(svg: bytes, dpi: int = DPI) -> bytes:
    """The picture as PNG at `dpi` (its size in mm stays the SVG's)."""
    files = cjk_font_files()
    return bytes(resvg_py.svg_to_bytes(
        svg_string=svg.decode("utf-8"), dpi=float(dpi), background="#ffffff",
        skip_system_fonts=bool(files), font_files=list(files) or None))
