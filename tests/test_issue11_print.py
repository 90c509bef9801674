"""Issue 11 item 16: the register prints — landscape, one page wide, the header row on every
page, SHA-256 hidden, the title and the export date on every page."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from conftest import TODAY
from factory import make_workbook

from officeflow.ledger import SqliteLedger
from officeflow.pipeline import Result, process_bytes
from officeflow.publish import publish
from officeflow.register import HEADERS
from officeflow.settings import Workspace


def test_every_register_tab_is_set_up_for_printing(tmp_path: Path, workspace: Workspace,
                                                   ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path)
    assert process_bytes(path.read_bytes(), path.name, workspace, ledger, TODAY).result is Result.ISSUED
    publish(workspace, ledger, TODAY)
    book = openpyxl.load_workbook(workspace.register_path)
    sha, source = (openpyxl.utils.get_column_letter(HEADERS.index(h) + 1) for h in ("SHA-256", "源文件"))
    for sheet in book.worksheets[:3]:
        assert (sheet.page_setup.orientation, sheet.page_setup.paperSize) == ("landscape", 9)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.oddHeader.left.text == f"流程文件总台账 · {sheet.title}"
        assert sheet.oddHeader.right.text == "导出日期 2024-09-01"
        assert sheet.oddFooter.center.text == "第 &P 页，共 &N 页"
        assert sheet.column_dimensions[sha].hidden is True and sheet.column_dimensions[source].hidden is True
