"""Rebuild templates/*.docx from the kinds' catalogs (officeflow.word_templates does the work).

    python tools/build_word_templates.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from officeflow.word_templates import build_all

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    for path in build_all(Path(args[0]) if args else TEMPLATES_DIR):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
