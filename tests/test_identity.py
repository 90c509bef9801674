"""Identity by content: a re-saved workbook is the archived version, a real change is named."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import TODAY
from factory import REVISIONS, STEPS, make_workbook
from openpyxl.styles import Font, PatternFill

from officeflow.findings import Finding, Severity
from officeflow.identity import content_fingerprint, differing_cells
from officeflow.ledger import SqliteLedger
from officeflow.model import ParsedDocument, parse_document
from officeflow.pipeline import Result, check_workbook, load_archived, process_bytes
from officeflow.reader import read_workbook
from officeflow.rules import RuleContext
from officeflow.settings import Workspace
from officeflow.validate import validate

DOC = "CRM-CS-2024-005"
SAME_V10 = "内容与已归档的 V1.0 相同（仅文件字节不同，如另存/重新保存），不会重复发布。"


def parsed(path: Path) -> ParsedDocument:
    raw = read_workbook(path.read_bytes())
    return parse_document(raw, raw.epoch)


def issue(path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger, TODAY)
    assert outcome.result is Result.ISSUED, outcome.findings


def lines(findings: list[Finding]) -> list[tuple[str, str, str, str]]:
    return [(f.severity.value, f.code, str(f.where or ""), f.message) for f in findings]


def resave_with_libreoffice(source: Path, folder: Path) -> Path:
    """Open and save the workbook as xlsx with LibreOffice headless (what a WPS/LO user does)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
    cmd = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
           "--convert-to", "xlsx", "--outdir", str(folder / "lo"), str(source)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("soffice did not re-save the workbook within 120 s")
    saved = folder / "lo" / source.name
    assert saved.exists() and saved.read_bytes() != source.read_bytes()
    return saved


def resave_with_openpyxl(source: Path, target: Path) -> Path:
    """Re-save with styles changed and formatted-but-empty rows below the tables."""
    book = openpyxl.load_workbook(source)
    book["基本信息"]["B4"].font = Font(bold=True)
    for row in range(20, 40):
        book["流程步骤"].cell(row, 2).fill = PatternFill("solid", fgColor="FFFF00")
    book["修订记录"].cell(10, 3).value = "   "
    book.save(target)
    return target


@pytest.mark.slow
def test_workbook_resaved_by_libreoffice_is_the_archived_version(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    original = make_workbook(tmp_path)
    issue(original, workspace, ledger)
    resaved = resave_with_libreoffice(original, tmp_path)
    assert content_fingerprint(parsed(resaved)) == content_fingerprint(parsed(original))
    findings = check_workbook(resaved.read_bytes(), workspace, ledger, TODAY).findings
    assert lines(findings) == [("error", "version.same-content", "基本信息!B6", SAME_V10)]


def test_workbook_resaved_by_openpyxl_is_the_archived_version(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    original = make_workbook(tmp_path)
    issue(original, workspace, ledger)
    resaved = resave_with_openpyxl(original, tmp_path / "resaved.xlsx")
    assert content_fingerprint(parsed(resaved)) == content_fingerprint(parsed(original))
    findings = check_workbook(resaved.read_bytes(), workspace, ledger, TODAY).findings
    assert lines(findings) == [("error", "version.same-content", "基本信息!B6", SAME_V10)]


def test_real_change_under_an_archived_version_names_the_first_cells(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    issue(make_workbook(tmp_path), workspace, ledger)
    steps = [STEPS[0], [STEPS[1][0], "转派至责任部门并电话告知客户", *STEPS[1][2:]], STEPS[2]]
    changed = make_workbook(tmp_path, "changed.xlsx", fields={"流程负责人": "李强"}, steps=steps)
    assert differing_cells(parsed(make_workbook(tmp_path, "same.xlsx")), parsed(changed)) == [
        "基本信息!B12", "流程步骤!B3"]
    findings = check_workbook(changed.read_bytes(), workspace, ledger, TODAY).findings
    assert lines(findings) == [(
        "error", "version.exists", "基本信息!B6",
        "V1.0 已归档且内容不同（首处不同：基本信息!B12、流程步骤!B3）：请把版本号改为 V1.1 或 V2.0。")]


def test_differing_cells_stops_at_the_limit_and_names_removed_rows(tmp_path: Path) -> None:
    old = parsed(make_workbook(tmp_path, "old.xlsx"))
    new = parsed(make_workbook(tmp_path, "new.xlsx", fields={"流程名称": "投诉流程", "主责部门": "质量部"},
                               steps=STEPS[:2], related=[]))
    assert differing_cells(old, new) == ["基本信息!B4", "基本信息!B9", "流程步骤!A4"]
    assert differing_cells(old, new, limit=5) == ["基本信息!B4", "基本信息!B9", "流程步骤!A4",
                                                  "相关文件!A2", "相关文件!A3"]


def test_older_version_resaved_is_a_duplicate_not_a_date_error(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    v10 = make_workbook(tmp_path, "v10.xlsx")
    issue(v10, workspace, ledger)
    issue(make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 9, 1)},
                        revisions=[*REVISIONS, ["V1.1", date(2024, 8, 20), "增加回访", "客户反馈", "王敏",
                                                "客服主管"]]),
          workspace, ledger)
    resaved = resave_with_openpyxl(v10, tmp_path / "v10-again.xlsx")
    history = ledger.history(DOC)

    record = history.version("V1.0")
    assert record is not None
    context = RuleContext(workspace.settings, history, TODAY, same_version=load_archived(workspace, record))
    findings = validate(parsed(resaved), context)
    assert lines(findings) == [("error", "version.same-content", "基本信息!B6", SAME_V10)]
    assert all(f.severity is Severity.ERROR for f in findings)
