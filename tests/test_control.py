"""Document control: calendar statuses, withdrawal, reviews due, next ID, diff, verify, rebuild."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from click.testing import CliRunner
from conftest import TODAY
from factory import REVISIONS, make_workbook
from hypothesis import given, settings
from hypothesis import strategies as st

from officeflow.cli import main
from officeflow.control import due_reviews, next_id, status_report, withdraw
from officeflow.integrity import rebuild, verify
from officeflow.ledger import SqliteLedger
from officeflow.lifecycle import states_on
from officeflow.pipeline import Result, process_bytes
from officeflow.publish import export_register_from_ledger
from officeflow.records import Status
from officeflow.settings import Workspace
from officeflow.stamp import _Dated

V1_STEPS = [["1.1", "接收客户投诉信息（电话、邮件、在线表单）", "客服专员", "客户投诉内容、联系方式",
             "《客户投诉登记表》", "≤30分钟", "记录完整率100%"],
            ["1.2", "转派至责任部门", "客服专员", "《客户投诉登记表》", "《投诉转派单》", "≤10分钟", "错派率≤2%"]]
V2_STEPS = [V1_STEPS[0],
            ["1.2", "投诉分级（按紧急程度：紧急、一般、建议）", "客服主管", "《客户投诉登记表》", "《投诉分级表》",
             "≤15分钟", "紧急投诉升级时间≤15分钟"],
            ["1.3", "转派至责任部门", "客服专员", "《投诉分级表》", "《投诉转派单》", "≤10分钟", "错派率≤2%"]]


def issue(workspace: Workspace, ledger: SqliteLedger, path: Path, today: date = TODAY) -> None:
    outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger, today)
    assert outcome.result is Result.ISSUED, outcome.findings


def entry(version: str, day: date, content: str = "修订") -> list[object]:
    return [version, day, content, "业务调整", "王敏", "客服主管"]


def three_versions(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    """V1.0 from 2024-01-10, V1.1 from 2024-06-01, V2.0 approved for 2024-12-01."""
    log = [entry("V1.0", date(2024, 1, 1), "初稿编写")]
    issue(workspace, ledger, make_workbook(tmp_path, "a.xlsx", fields={"生效日期": date(2024, 1, 10)},
                                           revisions=log, reviews=_reviews(date(2024, 1, 2))),
          date(2024, 1, 5))
    log.append(entry("V1.1", date(2024, 5, 1)))
    issue(workspace, ledger, make_workbook(tmp_path, "b.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 6, 1)},
                                           revisions=log, reviews=_reviews(date(2024, 5, 2))),
          date(2024, 5, 20))
    log.append(entry("V2.0", date(2024, 10, 1)))
    issue(workspace, ledger, make_workbook(tmp_path, "c.xlsx", fields={"版本号": "V2.0", "生效日期": date(2024, 12, 1)},
                                           revisions=log, reviews=_reviews(date(2024, 10, 2))),
          date(2024, 10, 20))


def _reviews(first: date) -> list[list[object]]:
    return [["初审", "王敏", first, "通过"], ["复审", "李强", first + timedelta(days=1), "通过"],
            ["终审", "赵总", first + timedelta(days=2), "通过"]]


def statuses(workspace: Workspace, ledger: SqliteLedger, day: date) -> dict[str, str]:
    return {line.record.version: line.state.status.value
            for line in status_report(workspace, ledger, "CRM-CS-2024-005", day)}


def test_statuses_follow_the_calendar(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    three_versions(tmp_path, workspace, ledger)
    assert statuses(workspace, ledger, date(2024, 1, 9)) == {"V1.0": "待生效", "V1.1": "待生效", "V2.0": "待生效"}
    assert statuses(workspace, ledger, date(2024, 1, 10)) == {"V1.0": "现行有效", "V1.1": "待生效", "V2.0": "待生效"}
    assert statuses(workspace, ledger, date(2024, 11, 30)) == {"V1.0": "已失效", "V1.1": "现行有效", "V2.0": "待生效"}
    assert statuses(workspace, ledger, date(2024, 12, 1)) == {"V1.0": "已失效", "V1.1": "已失效", "V2.0": "现行有效"}
    lines = status_report(workspace, ledger, "CRM-CS-2024-005", date(2024, 12, 1))
    assert [line.state.expiry_date for line in lines] == [date(2024, 6, 1), date(2024, 12, 1), None]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 5), st.integers(0, 400)), min_size=1, max_size=8,
                unique_by=lambda t: (t[0], t[1])),
       st.integers(0, 450), st.sets(st.integers(0, 7)))
def test_never_two_current_versions(versions: list[tuple[int, int, int]], day: int,
                                    withdrawn_indexes: set[int]) -> None:
    start = date(2024, 1, 1)
    dated = [_Dated(f"V{major}.{minor}", start + timedelta(days=offset)) for major, minor, offset in versions]
    withdrawn = {dated[i].version: start for i in withdrawn_indexes if i < len(dated)}
    states = states_on(dated, start + timedelta(days=day), withdrawn)
    current = [v for v, s in states.items() if s.status is Status.CURRENT]
    assert len(current) <= 1
    effective_live = [d for d in dated if d.effective_date <= start + timedelta(days=day)
                      and d.version not in withdrawn]
    assert len(current) == (1 if effective_live else 0)


def test_withdrawn_path_and_revival_by_a_new_version(tmp_path: Path, workspace: Workspace,
                                                     ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path))
    assert withdraw(workspace, ledger, "CRM-CS-2024-005", "业务取消", TODAY) == ["V1.0"]
    assert statuses(workspace, ledger, TODAY) == {"V1.0": "已废止"}
    sheet = openpyxl.load_workbook(workspace.register_path)["总台账"]
    assert [c.value for c in sheet[2]][4] == "已废止"
    assert [e["event"] for e in ledger.events("CRM-CS-2024-005")][-2:] == ["withdrawn", "remarked"]
    revived = make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": TODAY},
                            revisions=[*REVISIONS, entry("V1.1", date(2024, 8, 20))])
    issue(workspace, ledger, revived)
    assert statuses(workspace, ledger, TODAY) == {"V1.0": "已废止", "V1.1": "现行有效"}


def test_due_reviews_and_overdue(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path))  # effective 2024-08-01 → review 2025-02-01
    assert due_reviews(workspace, ledger, 30, date(2024, 12, 1)) == []
    [soon] = due_reviews(workspace, ledger, 30, date(2025, 1, 22))
    assert (soon.due, soon.days_left) == (date(2025, 2, 1), 10)
    [late] = due_reviews(workspace, ledger, 30, date(2025, 2, 11))
    assert late.days_left == -10


def test_next_id(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    assert next_id(ledger, "CRM-CS", 2024) == "CRM-CS-2024-001"
    issue(workspace, ledger, make_workbook(tmp_path))
    assert next_id(ledger, "crm-cs", 2024) == "CRM-CS-2024-006"
    assert next_id(ledger, "CRM-CS", 2025) == "CRM-CS-2025-001"
    assert next_id(ledger, "CRM", 2024) == "CRM-2024-001"


def test_drafted_revision_entry_reads_as_a_person_would(tmp_path: Path, workspace: Workspace,
                                                        ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path, "v1.xlsx", fields={"生效日期": date(2024, 1, 10)},
                                           steps=V1_STEPS, reviews=_reviews(date(2024, 1, 2))))
    v2 = make_workbook(tmp_path, "v2.xlsx", fields={"版本号": "V2.0"}, steps=V2_STEPS,
                       revisions=[*REVISIONS, ["V2.0", date(2024, 7, 15), None, "紧急投诉未及时升级", "王敏", "流程经理"]])
    outcome = process_bytes(v2.read_bytes(), v2.name, workspace, ledger, TODAY)
    [finding] = outcome.findings
    assert (finding.code, str(finding.where)) == ("revision.content-missing", "修订记录!C3")
    assert finding.suggestion == (
        "新增步骤 1.2“投诉分级（按紧急程度：紧急、一般、建议）”；"
        "原步骤 1.2“转派至责任部门”编号改为 1.3；"
        "步骤 1.3 的输入由“《客户投诉登记表》”改为“《投诉分级表》”。")


def test_diff_command_prints_the_same_comparison(tmp_path: Path, workspace: Workspace,
                                                 ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path, "v1.xlsx", fields={"生效日期": date(2024, 1, 10)},
                                           steps=V1_STEPS, reviews=_reviews(date(2024, 1, 2))))
    issue(workspace, ledger, make_workbook(tmp_path, "v2.xlsx", fields={"版本号": "V2.0"}, steps=V2_STEPS,
                                           revisions=[*REVISIONS, entry("V2.0", date(2024, 7, 15), "增加投诉分级")]))
    result = CliRunner().invoke(main, ["-w", str(workspace.root), "diff", "CRM-CS-2024-005", "V1.0", "V2.0"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:2] == ["- 新增步骤 1.2“投诉分级（按紧急程度：紧急、一般、建议）”",
                                              "- 原步骤 1.2“转派至责任部门”编号改为 1.3"]


def test_verify_reports_edited_missing_stray_and_tampered(tmp_path: Path, workspace: Workspace,
                                                          ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path, "a.xlsx"))
    issue(workspace, ledger, make_workbook(tmp_path, "b.xlsx", fields={"流程编号": "CRM-CS-2024-006"}))
    assert verify(workspace, ledger).ok
    [first, second] = ledger.versions()
    document = workspace.outbox / first.document_path
    data = bytearray(document.read_bytes())
    data[-10] ^= 1
    document.write_bytes(bytes(data))
    (workspace.outbox / second.source_path).unlink()
    (workspace.outbox / first.document_path).with_name("copy.docx").write_bytes(b"stray")
    raw = sqlite3.connect(workspace.ledger_path)
    raw.execute("DROP TRIGGER events_append_only_update")  # someone with file access
    raw.execute("UPDATE events SET detail = 'nothing happened' WHERE id = 3")
    raw.commit()
    raw.close()
    report = verify(workspace, ledger)
    assert report.edited == [f"outbox/{first.document_path}"]
    assert report.missing == [f"outbox/{second.source_path}"]
    assert report.stray == [f"outbox/{Path(first.document_path).with_name('copy.docx')}"]
    assert report.broken_events == [3]
    result = CliRunner().invoke(main, ["-w", str(workspace.root), "verify"])
    assert result.exit_code == 1 and "审计记录被篡改 audit event tampered: #3" in result.output


def test_rebuild_from_manifests_gives_the_same_register(tmp_path: Path, workspace: Workspace) -> None:
    from officeflow.ledger import open_ledger

    ledger = open_ledger(workspace.ledger_path)
    three_versions(tmp_path, workspace, ledger)
    issue(workspace, ledger, make_workbook(tmp_path, "other.xlsx", fields={"流程编号": "HR-TR-2024-012"}))
    withdraw(workspace, ledger, "HR-TR-2024-012", "合并到差旅管理流程", TODAY)
    export_register_from_ledger(workspace, ledger, TODAY)
    before = _register_values(workspace)
    ledger.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{workspace.ledger_path}{suffix}").unlink(missing_ok=True)
    workspace.register_path.unlink()
    report = rebuild(workspace, TODAY)
    assert (report.versions, report.untrusted) == (4, [])
    assert _register_values(workspace) == before
    ledger = open_ledger(workspace.ledger_path)
    assert verify(workspace, ledger).ok
    ledger.close()


def _register_values(workspace: Workspace) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(workspace.register_path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


def test_register_lists_training_copies_with_their_version_status(tmp_path: Path, workspace: Workspace,
                                                                  ledger: SqliteLedger) -> None:
    from datetime import datetime

    from officeflow.ledger import Event, TrainingCopy, record_training_copies

    issue(workspace, ledger, make_workbook(tmp_path))
    record_training_copies(ledger, [TrainingCopy("CRM-CS-2024-005-V1.0-T0001", "CRM-CS-2024-005", "V1.0", 1,
                                                 "客服部 张三", datetime(2024, 8, 5, 9, 30), "培训副本/x.pdf")],
                           [Event("training-printed", "CRM-CS-2024-005", "V1.0")])
    export_register_from_ledger(workspace, ledger, TODAY)
    sheet = openpyxl.load_workbook(workspace.register_path)["培训副本发放"]
    assert [c.value for c in sheet[1]] == ["副本编号", "流程编号", "版本号", "版本状态", "领取人/部门", "发放时间",
                                           "回收时间", "回收情况", "PDF"]
    assert [c.value for c in sheet[2]] == ["CRM-CS-2024-005-V1.0-T0001", "CRM-CS-2024-005", "V1.0", "现行有效",
                                           "客服部 张三", datetime(2024, 8, 5, 9, 30), None, None, "培训副本/x.pdf"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I2"
