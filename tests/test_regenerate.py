"""Batch regeneration: deterministic, only changed files rewritten, marks, failures isolated."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from conftest import TODAY
from factory import REVISIONS, make_workbook
from test_fastrender import edit_template, text_dump

from officeflow.errors import NotFoundError
from officeflow.fsutil import sha256_file
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import Result, process_bytes, word_template
from officeflow.regenerate import regenerate
from officeflow.settings import Workspace

DOC = "CRM-CS-2024-005"
FOLDER = Path("客户服务类/客服部")


def issue(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> dict[str, Path]:
    """V1.0 (superseded on TODAY by V1.1) and a second document HR-TR-2024-012 V1.0."""
    v10 = make_workbook(tmp_path, "v10.xlsx")
    v11 = make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 9, 1)},
                        revisions=[*REVISIONS, ["V1.1", date(2024, 8, 20), "增加回访步骤", "客户反馈",
                                                "王敏", "客服主管"]])
    other = make_workbook(tmp_path, "hr.xlsx", fields={"流程编号": "HR-TR-2024-012", "流程名称": "员工培训流程"})
    documents = {}
    for key, book in (("v10", v10), ("v11", v11), ("hr", other)):
        outcome = process_bytes(book.read_bytes(), book.name, workspace, ledger, TODAY)
        assert outcome.result is Result.ISSUED, outcome.findings
        assert outcome.document is not None
        documents[key] = outcome.document
    return documents


def snapshot(workspace: Workspace) -> dict[str, bytes]:
    return {str(p.relative_to(workspace.outbox)): p.read_bytes()
            for p in sorted(workspace.outbox.rglob("*")) if p.is_file()}


def test_regenerate_twice_without_change_is_unchanged_and_byte_identical(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    documents = issue(tmp_path, workspace, ledger)
    first = regenerate(workspace, ledger, None, None, False, 1, False, today=TODAY)
    # Current documents render exactly as issued; V1.0 was issued current and is now superseded.
    assert [(i.doc_id, i.version) for i in first.unchanged] == [(DOC, "V1.1"), ("HR-TR-2024-012", "V1.0")]
    assert ([(i.doc_id, i.version) for i in first.changed], first.failed) == ([(DOC, "V1.0")], [])
    before = snapshot(workspace)
    second = regenerate(workspace, ledger, None, None, False, 1, False, today=TODAY)
    assert [i.version for i in second.unchanged] == ["V1.0", "V1.1", "V1.0"]
    assert snapshot(workspace) == before
    assert documents["v11"].read_bytes() == before[str(documents["v11"].relative_to(workspace.outbox))]
    events = [e for e in ledger.events() if e["event"] == "regenerated"]
    assert [e["detail"].split()[0] for e in events] == ["changed", *["unchanged"] * 5]


def test_superseded_version_gets_mark_and_its_own_history(tmp_path: Path, workspace: Workspace,
                                                          ledger: SqliteLedger) -> None:
    documents = issue(tmp_path, workspace, ledger)
    issued_v10 = documents["v10"].read_bytes()
    summary = regenerate(workspace, ledger, [DOC], None, False, 1, False, today=TODAY)
    assert [(i.version, i.status) for i in summary.changed] == [("V1.0", "已失效")]
    assert [i.version for i in summary.unchanged] == ["V1.1"]
    text = text_dump(documents["v10"].read_bytes())
    header = next(line for line in text if line.startswith("hf:流程编号"))
    assert "已失效 · 仅供追溯" in header and "受控文件" not in header
    # V1.0's revision table lists V1.0 only: the history as it stood for that version.
    revisions = [line for line in text if line.startswith("row:V1.")]
    assert revisions == [line for line in text_dump(issued_v10) if line.startswith("row:V1.")]
    assert not any(line.startswith("row:V1.1") for line in text)
    manifest_path = documents["v10"].with_name("CRM-CS-2024-005_V1.0.manifest.json")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["document_sha256"] == sha256_file(documents["v10"])
    record = next(v for v in ledger.versions() if v.version == "V1.0" and v.doc_id == DOC)
    assert record.document_sha256 == sha256_file(documents["v10"])


def test_template_change_changes_all_then_nothing(tmp_path: Path, workspace: Workspace,
                                                  ledger: SqliteLedger) -> None:
    documents = issue(tmp_path, workspace, ledger)
    own = workspace.templates / "sop.docx"
    shutil.copyfile(word_template(workspace, "sop.docx"), own)
    edit_template(own, "一、基本信息", "一、基本资料")
    summary = regenerate(workspace, ledger, None, "sop", False, 2, False, today=TODAY)
    assert (len(summary.changed), summary.unchanged, summary.failed) == (3, [], [])
    assert all("p:一、基本资料" in text_dump(p.read_bytes()) for p in documents.values())
    again = regenerate(workspace, ledger, None, None, False, 2, False, today=TODAY)
    assert (again.changed, len(again.unchanged)) == ([], 3)


def test_corrupt_source_fails_alone(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    documents = issue(tmp_path, workspace, ledger)
    own = workspace.templates / "sop.docx"
    shutil.copyfile(word_template(workspace, "sop.docx"), own)
    edit_template(own, "一、基本信息", "一、基本资料")
    source = documents["hr"].with_suffix(".xlsx")
    source.write_bytes(source.read_bytes()[:500])
    summary = regenerate(workspace, ledger, None, None, False, 1, False, today=TODAY)
    assert [(i.doc_id, i.version) for i in summary.failed] == [("HR-TR-2024-012", "V1.0")]
    assert "SHA-256" in summary.failed[0].message
    assert len(summary.changed) == 2
    failed = [e for e in ledger.events() if e["event"] == "regenerate-failed"]
    assert [e["doc_id"] for e in failed] == ["HR-TR-2024-012"]


def test_dry_run_writes_nothing(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    issue(tmp_path, workspace, ledger)
    before, events = snapshot(workspace), len(ledger.events())
    summary = regenerate(workspace, ledger, None, None, True, 1, False, today=TODAY)
    assert summary.dry_run and [i.version for i in summary.changed] == ["V1.0"]
    assert snapshot(workspace) == before and len(ledger.events()) == events


def test_unknown_document_is_an_error(workspace: Workspace, ledger: SqliteLedger) -> None:
    with pytest.raises(NotFoundError, match="XX-2024-001"):
        regenerate(workspace, ledger, ["XX-2024-001"], None, False, 1, False)
