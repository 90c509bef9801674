"""Duplicates: process and validate decide alike (officeflow.duplicates, pipeline.preview)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from conftest import TODAY
from factory import make_workbook

from officeflow.duplicates import Duplicate
from officeflow.ledger_protocol import Ledger
from officeflow.pipeline import Checked, Result, check_workbook, preview, process_bytes
from officeflow.settings import Workspace

IDENTICAL = "与已归档的 CRM-CS-2024-005 V1.0 内容完全相同，未重复处理。"
RESAVED = "内容与已归档的 V1.0 相同（仅文件字节不同，如另存/重新保存），不会重复发布。"


def issued(tmp_path: Path, workspace: Workspace, ledger: Ledger) -> Path:
    good = make_workbook(tmp_path, "good.xlsx")
    assert process_bytes(good.read_bytes(), good.name, workspace, ledger, TODAY).result is Result.ISSUED
    return good


def resaved(good: Path, target: Path) -> Path:
    book = openpyxl.load_workbook(good)
    book.properties.lastModifiedBy = "另一台电脑"
    book.save(target)
    assert target.read_bytes() != good.read_bytes()
    return target


def test_the_archived_bytes_are_never_said_to_differ(tmp_path: Path, workspace: Workspace, ledger: Ledger) -> None:
    """The checks alone (the portal's check page) on the archived bytes: identical, not "仅文件字节不同"."""
    good = issued(tmp_path, workspace, ledger)
    findings = check_workbook(good.read_bytes(), workspace, ledger, TODAY).findings
    assert [(f.code, str(f.where), f.message) for f in findings] == [
        ("version.same-content", "基本信息!B6", IDENTICAL)]


def test_a_resaved_copy_is_said_to_differ_only_in_bytes(tmp_path: Path, workspace: Workspace,
                                                       ledger: Ledger) -> None:
    copy = resaved(issued(tmp_path, workspace, ledger), tmp_path / "resaved.xlsx")
    findings = check_workbook(copy.read_bytes(), workspace, ledger, TODAY).findings
    assert [(f.code, f.message) for f in findings] == [("version.same-content", RESAVED)]


def test_preview_says_what_process_then_does(tmp_path: Path, workspace: Workspace, ledger: Ledger) -> None:
    good = issued(tmp_path, workspace, ledger)
    copy = resaved(good, tmp_path / "resaved.xlsx")
    new = make_workbook(tmp_path, "new.xlsx", fields={"流程编号": "CRM-CS-2024-006"})
    assert preview(good.read_bytes(), workspace, ledger, TODAY) == Duplicate("CRM-CS-2024-005", "V1.0", IDENTICAL)
    assert preview(copy.read_bytes(), workspace, ledger, TODAY) == Duplicate("CRM-CS-2024-005", "V1.0", RESAVED)
    checked = preview(new.read_bytes(), workspace, ledger, TODAY)
    assert isinstance(checked, Checked) and checked.findings == []
    for path, message in ((good, IDENTICAL), (copy, RESAVED)):
        outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger, TODAY)
        assert (outcome.result, outcome.doc_id, outcome.version, outcome.message) == (
            Result.DUPLICATE, "CRM-CS-2024-005", "V1.0", message)
    assert process_bytes(new.read_bytes(), new.name, workspace, ledger, TODAY).result is Result.ISSUED
