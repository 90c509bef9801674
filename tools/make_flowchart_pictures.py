"""Write the flowchart pictures under docs/ from the workbooks the tests draw (issue 12).

    docs/flowchart-decision.png              a 后续步骤 decision: tests/test_flowchart.py decision_book
    docs/flowchart-optimization.png          the seed-003 example, examples/企业客户投诉处理流程_CSC-2024-001.xlsx
    docs/flowchart-30-steps-8-lanes-N.png    tests/test_flowchart.py thirty_steps, page N as it goes into Word

All at 200 dpi, as `officeflow flowchart … -o x.png` and the Word document draw them.
(docs/flowchart-in-document.png is a page of the printed document: tests/test_flowchart_pdf.py.)
Run: python tools/make_flowchart_pictures.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_flowchart import BRANCH_KIND, EXAMPLES, decision_book, parse, thirty_steps  # noqa: E402

from officeflow import flowchart  # noqa: E402
from officeflow.kinds import register_kind, unregister_kind  # noqa: E402

DOCS = ROOT / "docs"


def main() -> None:
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        register_kind(BRANCH_KIND)  # the test kind with the 后续步骤 column
        try:
            decision = flowchart.png_for(parse(decision_book(work)))
        finally:
            unregister_kind(BRANCH_KIND.key)
        written.append(_write("flowchart-decision.png", decision))
        example = parse(EXAMPLES / "企业客户投诉处理流程_CSC-2024-001.xlsx")
        written.append(_write("flowchart-optimization.png", flowchart.png_for(example)))
        pages = flowchart.pictures_for(parse(thirty_steps(work)))
        for number, picture in enumerate(pages, start=1):
            written.append(_write(f"flowchart-30-steps-8-lanes-{number}.png", picture.png))
    for path in written:
        print(path.relative_to(ROOT))


def _write(name: str, png: bytes) -> Path:
    path = DOCS / name
    path.write_bytes(png)
    return path


if __name__ == "__main__":
    main()
