"""Drafted revision entries read as the record: whole values, a changed step said as changed,
and the returned workbook pre-filling the new 修订记录 row."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
from conftest import TODAY
from factory import STEPS, make_workbook

from officeflow.annotate import annotate_workbook
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import Result, check_workbook, process_bytes
from officeflow.settings import Workspace

LONG = "接收客户投诉信息（电话、邮件、在线表单、微信公众号、企业微信客服），并当场告知客户受理编号"
GRADING = "投诉分级（按紧急程度：紧急、一般、建议）"
V2_STEPS = [["1.1", LONG, *STEPS[0][2:]], ["1.2", GRADING, "客服专员", "《客户投诉登记表》",
                                           "《投诉分级表》", "≤10分钟", "分级准确率≥95%"],
            ["1.3", *STEPS[1][1:]], ["1.4", *STEPS[2][1:]]]
DRAFT = ("步骤 1.1 的操作内容由“接收客户投诉信息（电话、邮件、在线表单）”"
         f"改为“{LONG}”；"
         f"新增步骤 1.2“{GRADING}”；"
         "原步骤 1.2“转派至责任部门”编号改为 1.3；"
         "原步骤 1.3“技术部分析并处理故障类投诉”编号改为 1.4。")
ON_SCREEN = ("修订记录中没有本版本（V1.1）的记录：请新增一行，写明修订内容和修订原因。系统比对上一版本后建议修订内容："
             "步骤 1.1 的操作内容由“接收客户投诉信息（电话、邮件、在线表单）”"
             "改为“接收客户投诉信息（电话、邮件、在线表单、微信公…”；"
             f"新增步骤 1.2“{GRADING}”；"
             "原步骤 1.2“转派至责任部门”编号改为 1.3；"
             "原步骤 1.3“技术部分析并处理故障类投诉”编号改为 1.4。")


def issue_v10(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    v10 = make_workbook(tmp_path, "v10.xlsx")
    assert process_bytes(v10.read_bytes(), v10.name, workspace, ledger, TODAY).result is Result.ISSUED


def test_extended_step_is_a_change_in_whole_words(tmp_path: Path, workspace: Workspace,
                                                  ledger: SqliteLedger) -> None:
    issue_v10(tmp_path, workspace, ledger)
    v11 = make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 9, 1)},
                        steps=V2_STEPS)
    [finding] = check_workbook(v11.read_bytes(), workspace, ledger, TODAY).findings
    assert (finding.code, str(finding.where)) == ("revision.missing-entry", "修订记录!C3")
    assert finding.suggestion == DRAFT  # the text meant for the record: never cut
    assert finding.message == ON_SCREEN  # only the on-screen message shortens long quotes


def test_returned_workbook_prefills_the_new_revision_row(tmp_path: Path, workspace: Workspace,
                                                         ledger: SqliteLedger) -> None:
    issue_v10(tmp_path, workspace, ledger)
    v11 = make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 9, 1)},
                        steps=V2_STEPS)
    findings = check_workbook(v11.read_bytes(), workspace, ledger, TODAY).findings
    sheet = openpyxl.load_workbook(io.BytesIO(annotate_workbook(v11.read_bytes(), findings) or b""))["修订记录"]
    assert [sheet.cell(3, c).value for c in range(1, 7)] == [
        "V1.1", datetime(2024, 9, 1), DRAFT, None, None, None]
    assert sheet["B3"].number_format == "yyyy-mm-dd"
    comments = {c: sheet[c].comment.text if sheet[c].comment else None
                for c in ("A3", "B3", "C3", "D3", "E3", "F3")}
    assert comments == {
        "A3": "【已预填】本版本的版本号，请核对。",
        "B3": "【已预填】按生效日期预填，请改为实际修订日期。",
        "C3": "【错误】" + ON_SCREEN,
        "D3": "【待填写】请填写修订原因。",
        "E3": "【待填写】请填写修订人。",
        "F3": "【待填写】请填写审核人。",
    }
    # Filled in by the author and sent back, the row is accepted as drafted.
    book = openpyxl.load_workbook(io.BytesIO(annotate_workbook(v11.read_bytes(), findings) or b""))
    for cell, value in (("D3", "投诉渠道扩充"), ("E3", "王敏"), ("F3", "客服主管")):
        book["修订记录"][cell].value = value
    returned = tmp_path / "returned.xlsx"
    book.save(returned)
    assert check_workbook(returned.read_bytes(), workspace, ledger, TODAY).findings == []



def test_new_document_row_asks_for_the_content_too(tmp_path: Path, workspace: Workspace,
                                                    ledger: SqliteLedger) -> None:
    trial = make_workbook(tmp_path, revisions=[["V0.9", date(2023, 12, 1), "试行稿", "试行", "王敏", "客服主管"]])
    [finding] = check_workbook(trial.read_bytes(), workspace, ledger, TODAY).findings
    assert (finding.code, str(finding.where), finding.suggestion) == ("revision.missing-entry", "修订记录!C3", "")
    sheet = openpyxl.load_workbook(io.BytesIO(annotate_workbook(trial.read_bytes(), [finding]) or b""))["修订记录"]
    assert [sheet.cell(3, c).value for c in range(1, 4)] == ["V1.0", datetime(2024, 8, 1), None]
    assert sheet["C3"].comment.text == (
        "【错误】修订记录中没有本版本（V1.0）的记录：请新增一行，写明修订内容和修订原因。\n【待填写】请填写修订内容。")


def test_inbox_returns_the_workbook_with_the_row_prefilled(tmp_path: Path, workspace: Workspace,
                                                           ledger: SqliteLedger) -> None:
    """Through the watcher, as an author meets it: dropped in inbox/, returned in 退回/."""
    import shutil

    from officeflow.watcher import WatchOptions, run_watch

    issue_v10(tmp_path, workspace, ledger)
    v11 = make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 9, 1)},
                        steps=V2_STEPS)
    shutil.copy(v11, workspace.inbox / "v11.xlsx")
    summary = run_watch(workspace, WatchOptions(once=True, stable_seconds=0.05, register_quiet_seconds=0.05))
    assert summary.returned == 1
    sheet = openpyxl.load_workbook(workspace.returned / "v11.xlsx")["修订记录"]
    assert [sheet.cell(3, c).value for c in range(1, 4)] == ["V1.1", datetime(2024, 9, 1), DRAFT]
    assert sheet["D3"].comment.text == "【待填写】请填写修订原因。"
