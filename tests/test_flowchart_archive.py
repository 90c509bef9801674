"""Flowcharts in the archive (issue 12): `.flow.svg` beside the reading copy and the as-issued
record, listed and hashed in the manifest, checked by verify, redrawn by regenerate only when
the drawing of the same steps changes."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import TODAY
from factory import make_workbook
from test_fastrender import edit_template

from officeflow import flowchart
from officeflow.archive import plan_paths, write_version
from officeflow.flow import svg as svg_module
from officeflow.fsutil import sha256_file
from officeflow.integrity import verify
from officeflow.ledger import SqliteLedger
from officeflow.manifest import Manifest
from officeflow.model import parse_document
from officeflow.pipeline import Result, process_bytes, word_template
from officeflow.reader import read_workbook
from officeflow.regenerate import regenerate
from officeflow.settings import Workspace

FOLDER = "客户服务类/客服部/2024-08-01"
STEM = "CRM-CS-2024-005_V1.0"


def issue(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> bytes:
    """Issue the factory's SOP; the workbook's bytes."""
    data = make_workbook(tmp_path).read_bytes()
    outcome = process_bytes(data, "book.xlsx", workspace, ledger, TODAY)
    assert outcome.result is Result.ISSUED, outcome.findings
    return data


def manifest_of(workspace: Workspace) -> dict:
    return json.loads((workspace.outbox / FOLDER / f"{STEM}.manifest.json").read_text(encoding="utf-8"))


def test_issue_writes_the_diagram_beside_the_copy_and_the_record(tmp_path: Path, workspace: Workspace,
                                                                  ledger: SqliteLedger) -> None:
    data = issue(tmp_path, workspace, ledger)
    expected = flowchart.svg_for(parse_document(read_workbook(data)))
    copy = workspace.outbox / FOLDER / f"{STEM}.flow.svg"
    record = workspace.root / "records" / FOLDER / f"{STEM}.flow.svg"
    assert copy.read_bytes() == record.read_bytes() == expected
    assert expected.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<svg ')
    assert oct(record.stat().st_mode & 0o777) == "0o444"
    manifest = manifest_of(workspace)
    assert manifest["schema"] == 3
    assert (manifest["files"]["flowchart"], manifest["files"]["issued_flowchart"]) == (
        f"{FOLDER}/{STEM}.flow.svg", f"records/{FOLDER}/{STEM}.flow.svg")
    assert manifest["flowchart_sha256"] == manifest["issued_flowchart_sha256"] == sha256_file(copy)
    assert verify(workspace, ledger).ok


def test_verify_reports_a_missing_or_edited_diagram(tmp_path: Path, workspace: Workspace,
                                                    ledger: SqliteLedger) -> None:
    issue(tmp_path, workspace, ledger)
    copy = workspace.outbox / FOLDER / f"{STEM}.flow.svg"
    record = workspace.root / "records" / FOLDER / f"{STEM}.flow.svg"
    copy.unlink()
    os.chmod(record, 0o644)
    record.write_bytes(record.read_bytes().replace(b"</svg>", b"<text>forged</text></svg>"))
    report = verify(workspace, ledger)
    assert (report.missing, report.edited, report.stray) == (
        [f"outbox/{FOLDER}/{STEM}.flow.svg"], [f"records/{FOLDER}/{STEM}.flow.svg"], [])


def test_a_template_change_rerenders_the_document_and_leaves_the_diagram(tmp_path: Path, workspace: Workspace,
                                                                         ledger: SqliteLedger) -> None:
    issue(tmp_path, workspace, ledger)
    copy = workspace.outbox / FOLDER / f"{STEM}.flow.svg"
    before, stamp = copy.read_bytes(), copy.stat().st_mtime_ns
    template = workspace.templates / "sop.docx"
    shutil.copyfile(word_template(workspace, "sop.docx"), template)
    edit_template(template, "流程目标", "流程目的")
    summary = regenerate(workspace, ledger, None, None, False, 1, False, today=TODAY)
    assert [i.version for i in summary.changed] == ["V1.0"]
    assert (copy.read_bytes(), copy.stat().st_mtime_ns) == (before, stamp)
    assert manifest_of(workspace)["flowchart_sha256"] == sha256_file(copy)
    assert verify(workspace, ledger).ok


def test_a_changed_drawing_redraws_the_reading_copy_only(tmp_path: Path, workspace: Workspace,
                                                         ledger: SqliteLedger,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    issue(tmp_path, workspace, ledger)
    copy = workspace.outbox / FOLDER / f"{STEM}.flow.svg"
    record = workspace.root / "records" / FOLDER / f"{STEM}.flow.svg"
    issued = record.read_bytes()
    # A new officeflow draws the same steps differently (and says so in the cache key).
    monkeypatch.setattr(svg_module, "FONT_FAMILY", "'Noto Sans CJK SC', sans-serif")
    monkeypatch.setattr(flowchart, "DRAWING_VERSION", "test-redrawn")
    summary = regenerate(workspace, ledger, None, None, False, 1, False, today=TODAY)
    assert [i.version for i in summary.changed] == ["V1.0"]
    assert copy.read_bytes() != issued and b"font-family=\"'Noto Sans CJK SC', sans-serif\"" in copy.read_bytes()
    assert record.read_bytes() == issued
    manifest = manifest_of(workspace)
    assert (manifest["flowchart_sha256"], manifest["issued_flowchart_sha256"]) == (
        sha256_file(copy), sha256_file(record))
    assert verify(workspace, ledger).ok
    again = regenerate(workspace, ledger, None, None, False, 1, False, today=TODAY)
    assert ([i.version for i in again.unchanged], again.changed) == (["V1.0"], [])


def test_no_steps_to_draw_writes_no_diagram(tmp_path: Path) -> None:
    paths = plan_paths("类", "部", date(2024, 8, 1), "X-1", "V1.0")
    manifest = Manifest({"doc_id": "X-1", "version": "V1.0"})
    write_version(tmp_path / "outbox", tmp_path / "records", paths, b"docx", b"xlsx", manifest, b"")
    assert sorted(p.name for p in (tmp_path / "outbox").rglob("*") if p.is_file()) == [
        "X-1_V1.0.docx", "X-1_V1.0.manifest.json", "X-1_V1.0.xlsx"]
    assert sorted(p.name for p in (tmp_path / "records").rglob("*") if p.is_file()) == ["X-1_V1.0.docx"]


def test_a_manifest_from_before_flowcharts_reads_without_one() -> None:
    old = Manifest({"schema": 2, "doc_id": "X-1", "version": "V1.0",
                    "files": {"document": "a/X-1_V1.0.docx", "source": "a/X-1_V1.0.xlsx"}})
    assert old.flowchart == ("", "", "", "")
