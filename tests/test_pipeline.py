"""The whole pipeline on real workbooks: Word documents, archive tree, ledger and register."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from conftest import TODAY
from factory import REVIEWS, REVISIONS, STEPS, make_workbook

from officeflow.archive import plan_paths
from officeflow.fsutil import sha256_file
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import Outcome, Result, load_archived, process_bytes
from officeflow.publish import export_register_from_ledger
from officeflow.settings import Settings, Workspace

ARCHIVED = Path("客户服务类/客服部/2024-08-01")


def run(path: Path, workspace: Workspace, ledger: SqliteLedger, today: date = TODAY) -> Outcome:
    return process_bytes(path.read_bytes(), path.name, workspace, ledger, today)


def document_text(path: Path) -> str:
    """All paragraph and table text of a .docx, headers included."""
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    for section in document.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        for table in section.header.tables:
            parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


def steps_table_rows(path: Path) -> list[list[str]]:
    for table in docx.Document(str(path)).tables:
        header = [c.text for c in table.rows[0].cells]
        if "步骤编号" in header:
            return [[c.text for c in row.cells] for row in table.rows[1:]]
    raise AssertionError("no steps table")


def revision_versions(path: Path) -> list[str]:
    for table in docx.Document(str(path)).tables:
        header = [c.text for c in table.rows[0].cells]
        if "修订原因" in header:
            return [row.cells[0].text for row in table.rows[1:]]
    raise AssertionError("no revision table")


def v11(folder: Path, name: str = "v11.xlsx", **fields: object) -> Path:
    revisions = [*REVISIONS, ["V1.1", date(2024, 8, 20), "增加回访步骤", "客户反馈回访缺失", "王敏", "客服主管"]]
    return make_workbook(folder, name, fields={"版本号": "V1.1", "生效日期": date(2024, 9, 1), **fields},
                         revisions=revisions)


def test_issue_writes_document_source_and_manifest(tmp_path: Path, workspace: Workspace,
                                                   ledger: SqliteLedger) -> None:
    source = make_workbook(tmp_path)
    outcome = run(source, workspace, ledger)
    assert (outcome.result, outcome.doc_id, outcome.version, outcome.status) == (
        Result.ISSUED, "CRM-CS-2024-005", "V1.0", "现行有效")
    folder = workspace.outbox / ARCHIVED
    assert sorted(p.name for p in folder.iterdir()) == [
        "CRM-CS-2024-005_V1.0.docx", "CRM-CS-2024-005_V1.0.flow.svg", "CRM-CS-2024-005_V1.0.manifest.json",
        "CRM-CS-2024-005_V1.0.xlsx"]
    assert outcome.document == folder / "CRM-CS-2024-005_V1.0.docx"
    manifest = json.loads((folder / "CRM-CS-2024-005_V1.0.manifest.json").read_text(encoding="utf-8"))
    assert manifest["source_sha256"] == sha256_file(source) == sha256_file(folder / "CRM-CS-2024-005_V1.0.xlsx")
    assert manifest["document_sha256"] == sha256_file(folder / "CRM-CS-2024-005_V1.0.docx")
    assert manifest["approver"] == "赵总"
    assert manifest["next_review_date"] == "2025-02-01"


def test_document_content_header_and_properties(tmp_path: Path, workspace: Workspace,
                                                ledger: SqliteLedger) -> None:
    outcome = run(make_workbook(tmp_path), workspace, ledger)
    assert outcome.document is not None
    text = document_text(outcome.document)
    for expected in ("客户投诉处理流程", "CRM-CS-2024-005", "V1.0", "2024-08-01", "受控文件",
                     "客服部、技术部、法务部", "满意度≥90%", "CRM-TAB-001", "新建流程", "赵总"):
        assert expected in text
    assert steps_table_rows(outcome.document) == [row[:7] for row in STEPS]
    core = docx.Document(str(outcome.document)).core_properties
    assert (core.title, core.identifier, core.version) == ("客户投诉处理流程", "CRM-CS-2024-005", "V1.0")
    with zipfile.ZipFile(outcome.document) as archive:
        footer = "".join(archive.read(n).decode() for n in archive.namelist() if "footer" in n)
    assert "NUMPAGES" in footer and "PAGE" in footer


def test_markup_and_formula_characters_come_out_literally(tmp_path: Path, workspace: Workspace,
                                                          ledger: SqliteLedger) -> None:
    name = "R&D <流程> {{ x }} {% if %}"
    steps = [["1.1", "=SUM(A1)+1 & <b>加粗</b>", "客服专员", "@cmd", "-1", "+2", "≥95%"]]
    source = make_workbook(tmp_path, fields={"流程名称": name, "流程负责人": "=王敏"}, steps=steps)
    outcome = run(source, workspace, ledger)
    assert outcome.result is Result.ISSUED, outcome.findings
    assert outcome.document is not None
    text = document_text(outcome.document)
    assert name in text and "=王敏" in text
    assert steps_table_rows(outcome.document)[0][1:5] == ["=SUM(A1)+1 & <b>加粗</b>", "客服专员", "@cmd", "-1"]
    export_register_from_ledger(workspace, ledger, TODAY)
    sheet = openpyxl.load_workbook(workspace.register_path).worksheets[0]
    values = [cell.value for cell in sheet[2]]
    assert name in values and "=王敏" in values
    assert all(cell.data_type != "f" for cell in sheet[2] if cell.value in (name, "=王敏"))


def test_duplicate_drop_is_a_no_op(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    source = make_workbook(tmp_path)
    run(source, workspace, ledger)
    files_before = sorted(workspace.outbox.rglob("*"))
    again = run(source, workspace, ledger)
    assert again.result is Result.DUPLICATE
    assert again.message == "与已归档的 CRM-CS-2024-005 V1.0 内容完全相同，未重复处理。"
    assert sorted(workspace.outbox.rglob("*")) == files_before
    assert len(ledger.versions()) == 1


def test_an_added_review_level_is_read_back_from_the_archive(tmp_path: Path, workspace: Workspace,
                                                              ledger: SqliteLedger) -> None:
    """The archived source is parsed with the workspace's review levels: the same file again is a duplicate,
    and its 会签 row is no finding when it is read back (diff, drafted entries)."""
    four = Workspace(workspace.root, Settings(review_levels=["初审", "复审", "会签", "终审"]))
    reviews = [*REVIEWS[:2], ["会签", "孙丽", date(2024, 7, 8), "通过", "同意"], REVIEWS[2]]
    source = make_workbook(tmp_path, reviews=reviews)
    assert run(source, four, ledger).result is Result.ISSUED
    again = run(source, four, ledger)
    assert (again.result, again.message) == (Result.DUPLICATE, "与已归档的 CRM-CS-2024-005 V1.0 内容完全相同，未重复处理。")
    archived = load_archived(four, ledger.versions()[0])
    assert archived is not None and archived.findings == []


def test_same_version_with_changed_content_is_rejected(tmp_path: Path, workspace: Workspace,
                                                       ledger: SqliteLedger) -> None:
    run(make_workbook(tmp_path), workspace, ledger)
    changed = make_workbook(tmp_path, "changed.xlsx", fields={"流程名称": "客户投诉处理流程（修订）"})
    outcome = run(changed, workspace, ledger)
    assert outcome.result is Result.REJECTED
    assert [(f.code, str(f.where)) for f in outcome.findings] == [("version.exists", "基本信息!B6")]
    assert "V1.1 或 V2.0" in outcome.findings[0].message


def test_version_skip_and_go_back(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    run(make_workbook(tmp_path), workspace, ledger)
    assert run(v11(tmp_path), workspace, ledger).result is Result.ISSUED
    skip = make_workbook(tmp_path, "skip.xlsx", fields={"版本号": "V1.3"})
    skip_codes = [(f.code, str(f.where)) for f in run(skip, workspace, ledger).findings]
    assert ("version.skip", "基本信息!B6") in skip_codes
    back = make_workbook(tmp_path, "back.xlsx", fields={"版本号": "V0.9"})
    codes = [(f.code, str(f.where)) for f in run(back, workspace, ledger).findings]
    assert ("version.go-back", "基本信息!B6") in codes


def test_new_document_must_start_at_v1_0_unless_log_lists_earlier(tmp_path: Path, workspace: Workspace,
                                                                   ledger: SqliteLedger) -> None:
    later = make_workbook(tmp_path, "v2.xlsx", fields={"版本号": "V2.0"},
                          revisions=[["V2.0", date(2024, 7, 15), "增加投诉分级", "投诉分级缺失", "王敏", "流程经理"]])
    assert [f.code for f in run(later, workspace, ledger).findings] == ["version.first"]
    migrated = make_workbook(tmp_path, "migrated.xlsx", fields={"版本号": "V2.0"}, revisions=[
        ["V1.0", date(2024, 1, 1), "初稿编写", "新建流程", "王敏", "客服主管"],
        ["V2.0", date(2024, 7, 15), "增加“投诉分级”步骤", "投诉分级缺失", "王敏", "流程经理"]])
    outcome = run(migrated, workspace, ledger)
    assert outcome.result is Result.ISSUED
    assert outcome.document is not None
    assert revision_versions(outcome.document) == ["V1.0", "V2.0"]


def test_blank_version_is_assigned(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    first = make_workbook(tmp_path, "first.xlsx", fields={"版本号": None},
                          revisions=[[None, date(2024, 1, 1), "初稿编写", "新建流程", "王敏", "客服主管"]])
    outcome = run(first, workspace, ledger)
    assert (outcome.result, outcome.version) == (Result.ISSUED, "V1.0")
    second = make_workbook(tmp_path, "second.xlsx", fields={"版本号": "", "生效日期": date(2024, 9, 1)},
                           revisions=[[None, date(2024, 8, 20), "增加回访", "客户反馈", "王敏", "主管"]])
    outcome = run(second, workspace, ledger)
    assert (outcome.result, outcome.version) == (Result.ISSUED, "V1.1")
    assert outcome.document is not None and outcome.document.name == "CRM-CS-2024-005_V1.1.docx"


def test_history_is_merged_and_cannot_be_rewritten(tmp_path: Path, workspace: Workspace,
                                                   ledger: SqliteLedger) -> None:
    run(make_workbook(tmp_path), workspace, ledger)
    only_new = make_workbook(tmp_path, "only_new.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 9, 1)},
                             revisions=[["V1.1", date(2024, 8, 20), "增加回访", "客户反馈", "王敏", "主管"]])
    outcome = run(only_new, workspace, ledger)
    assert outcome.document is not None
    assert revision_versions(outcome.document) == ["V1.0", "V1.1"]
    rewritten = make_workbook(tmp_path, "rewritten.xlsx",
                              fields={"版本号": "V1.2", "生效日期": date(2024, 9, 1)},
                              revisions=[["V1.0", date(2024, 1, 1), "初稿（改写）", "新建流程", "王敏", "客服主管"],
                                         ["V1.2", date(2024, 8, 25), "调整时限", "效率提升", "王敏", "主管"]])
    findings = run(rewritten, workspace, ledger).findings
    assert [(f.code, str(f.where)) for f in findings] == [("revision.history-rewritten", "修订记录!C2")]
    assert findings[0].message == "V1.0 的修订记录已归档，不可改写：修订内容应为“初稿编写”。"


def test_future_version_is_pending_and_register_shows_both(tmp_path: Path, workspace: Workspace,
                                                           ledger: SqliteLedger) -> None:
    run(make_workbook(tmp_path), workspace, ledger)
    outcome = run(v11(tmp_path, 生效日期=date(2024, 10, 1)), workspace, ledger, today=TODAY)
    assert outcome.status == "待生效"
    export_register_from_ledger(workspace, ledger, TODAY)
    sheet = openpyxl.load_workbook(workspace.register_path).worksheets[0]
    header = [c.value for c in sheet[1]]
    version_col, status_col = header.index("版本号"), header.index("状态")
    statuses = {row[version_col].value: row[status_col].value for row in sheet.iter_rows(min_row=2)}
    assert statuses == {"V1.0": "现行有效", "V1.1": "待生效"}
    export_register_from_ledger(workspace, ledger, date(2024, 10, 1))  # the day V1.1 takes effect
    sheet = openpyxl.load_workbook(workspace.register_path).worksheets[0]
    statuses = {row[version_col].value: row[status_col].value for row in sheet.iter_rows(min_row=2)}
    assert statuses == {"V1.0": "已失效", "V1.1": "现行有效"}


@pytest.mark.parametrize("category, department, folder", [
    ("..", "../../etc", "_/_etc"),
    ("CON", "客服部/技术部", "_CON/客服部_技术部"),
    ('a\\b:c*d?"e', "<x>|y", "a_b_c_d_e/_x_y"),
])
def test_path_parts_from_user_data_stay_inside_outbox(tmp_path: Path, workspace: Workspace,
                                                      ledger: SqliteLedger, category: str,
                                                      department: str, folder: str) -> None:
    # Such a name is a finding on its cell (issue 11 item 6: the author fixes it) ...
    outcome = run(make_workbook(tmp_path, fields={"流程类别": category, "主责部门": department}),
                  workspace, ledger)
    assert outcome.result is Result.REJECTED
    assert [(f.code, str(f.where)) for f in outcome.findings] == [
        ("archive.folder-name", "基本信息!B8"), ("archive.folder-name", "基本信息!B9")]
    assert list(workspace.root.rglob("*.docx")) == []
    # ... and the archive still never leaves outbox/ whatever it is given (rebuild, old records).
    paths = plan_paths(category, department, date(2024, 8, 1), "CRM-CS-2024-005", "V1.0")
    assert paths.document == f"{folder}/2024-08-01/CRM-CS-2024-005_V1.0.docx"


def test_rejected_workbook_writes_nothing_but_an_event(tmp_path: Path, workspace: Workspace,
                                                       ledger: SqliteLedger) -> None:
    outcome = run(make_workbook(tmp_path, steps=[["1.2", "x", "客服专员"]]), workspace, ledger)
    assert outcome.result is Result.REJECTED
    assert list(workspace.outbox.rglob("*.docx")) == []
    assert [e["event"] for e in ledger.events()] == ["received", "rejected"]
