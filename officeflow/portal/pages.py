"""The portal's HTML: Jinja2 templates beside this module, escaped everywhere (autoescape on)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

HERE = Path(__file__).parent
STATIC = {"portal.css": ("text/css; charset=utf-8", HERE / "static" / "portal.css")}


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       finalize=lambda v: "" if v is None else v)


def render(template: str, **context: Any) -> bytes:
    return environment().get_template(template).render(**context).encode("utf-8")
