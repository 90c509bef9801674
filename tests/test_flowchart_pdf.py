"""The 流程图 as LibreOffice prints it (issue 12): every shipped example's document and a
training copy, converted to PDF and rasterised, show the diagram on the page of 流程图.

The page is read as an image, not as XML: the diagram's lanes are filled with a pale grey
(#f5f7fa, officeflow.flow.svg.LANE_FILLS) that nothing else in the documents uses, so the
page with the picture has a large area of it and a page without has none.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from conftest import TODAY
from test_regenerate import DOC, issue

from officeflow.flow.svg import LANE_FILLS
from officeflow.ledger import SqliteLedger
from officeflow.pdf import convert_to_pdf
from officeflow.pipeline import Result, process_bytes
from officeflow.settings import Workspace
from officeflow.training import make_training_copies

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.xlsx"))
LANE = tuple(int(LANE_FILLS[0][i:i + 2], 16) for i in (1, 3, 5))
DPI = 40  # enough to count a filled area; fast to rasterise


def lane_pixels(pdf: Path, page: int) -> int:
    """How many pixels of `page` (1-based) are the lanes' fill, within 2 of each channel."""
    ppm = subprocess.run(["pdftoppm", "-r", str(DPI), "-f", str(page), "-l", str(page), str(pdf)],
                         capture_output=True, check=True).stdout
    header, width, height, data = _ppm(ppm)
    assert header == b"P6"
    count = 0
    for offset in range(0, width * height * 3, 3):
        r, g, b = data[offset], data[offset + 1], data[offset + 2]
        if abs(r - LANE[0]) <= 2 and abs(g - LANE[1]) <= 2 and abs(b - LANE[2]) <= 2:
            count += 1
    return count


def _ppm(blob: bytes) -> tuple[bytes, int, int, bytes]:
    parts = blob.split(maxsplit=4)
    return parts[0], int(parts[1]), int(parts[2]), parts[4]


def flowchart_page(pdf: Path) -> int:
    """The 1-based page whose heading is N、流程图."""
    pages = [page.extract_text() or "" for page in pypdf.PdfReader(pdf).pages]
    found = [i for i, text in enumerate(pages, start=1) if "、流程图" in text]
    assert found, f"{pdf.name}: no page with the 流程图 heading"
    return found[0]


def require_tools() -> None:
    # CI installs LibreOffice and poppler: their absence is a failure, never a skip.
    assert shutil.which("soffice") and shutil.which("pdftoppm"), "apt-get install libreoffice-writer-nogui poppler-utils"


@pytest.mark.slow
def test_every_shipped_example_prints_its_diagram(tmp_path: Path, workspace: Workspace,
                                                  ledger: SqliteLedger) -> None:
    require_tools()
    documents = []
    for example in EXAMPLES:
        outcome = process_bytes(example.read_bytes(), example.name, workspace, ledger, TODAY)
        assert outcome.result is Result.ISSUED and outcome.document is not None, outcome.findings
        documents.append(outcome.document)
    pdfs = convert_to_pdf(documents, tmp_path / "pdf")
    assert len(pdfs) == len(EXAMPLES) == 7
    for pdf in pdfs:
        page = flowchart_page(pdf)
        # A 16 cm wide diagram of ≥2 lanes: several cm² of lane fill (1 cm² ≈ 248 pixels at 40 dpi).
        assert lane_pixels(pdf, page) > 2000, pdf.name
        assert lane_pixels(pdf, 1) == 0, pdf.name  # the title page has no diagram


@pytest.mark.slow
def test_the_training_copy_prints_the_diagram(tmp_path: Path, workspace: Workspace,
                                              ledger: SqliteLedger) -> None:
    require_tools()
    issue(tmp_path, workspace, ledger)
    result = make_training_copies(workspace, ledger, DOC, copies=1, recipient="张三/客服部", today=TODAY)
    [pdf] = result.pdfs
    page = flowchart_page(pdf)
    assert lane_pixels(pdf, page) > 2000
    assert lane_pixels(pdf, len(pypdf.PdfReader(pdf).pages)) == 0  # the sign-in sheet


