"""Reading and validation on real workbooks: every finding on its exact sheet and cell."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from conftest import TODAY
from factory import REVIEWS, REVISIONS, STEPS, Formula, make_workbook, sop_sheets, write_book

from officeflow.findings import Finding, Severity
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import check_workbook
from officeflow.settings import Workspace


def findings_of(path: Path, workspace: Workspace, ledger: SqliteLedger) -> list[Finding]:
    return check_workbook(path.read_bytes(), workspace, ledger, TODAY).findings


def located(findings: list[Finding], severity: Severity = Severity.ERROR) -> set[tuple[str, str]]:
    """(code, sheet!cell) of each finding of one severity."""
    return {(f.code, str(f.where or "")) for f in findings if f.severity is severity}


def test_valid_workbook_has_no_findings(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    assert findings_of(make_workbook(tmp_path), workspace, ledger) == []


def test_missing_required_fields_are_located(tmp_path: Path, workspace: Workspace,
                                             ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path, fields={"流程名称": "", "流程负责人": None, "适用范围": "  "})
    assert located(findings_of(path, workspace, ledger)) == {
        ("field.required", "基本信息!B4"),
        ("field.missing", "基本信息"),
        ("field.required", "基本信息!B13"),
    }


def test_all_findings_reported_at_once(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    steps = [["1.1", "接收", "客服专员"], ["1.3", "转派", "客服专员"], ["1.3", "处理", "客服专员"],
             ["1.2", "回访", "客服专员"]]
    path = make_workbook(tmp_path, fields={"流程编号": "crm-cs-2024", "生效日期": "2024-13-01"}, steps=steps)
    assert located(findings_of(path, workspace, ledger)) == {
        ("numbering.doc-id-format", "基本信息!B5"),
        ("cell.date", "基本信息!B7"),
        ("numbering.step-gap", "流程步骤!A3"),
        ("numbering.step-duplicate", "流程步骤!A4"),
        ("numbering.step-order", "流程步骤!A5"),
    }


def test_gap_message_says_what_number_is_expected(tmp_path: Path, workspace: Workspace,
                                                  ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path, steps=[["1.1", "接收", "客服专员"], ["1.3", "转派", "客服专员"]])
    [gap] = [f for f in findings_of(path, workspace, ledger) if f.code == "numbering.step-gap"]
    assert gap.message == "步骤编号跳号：1.1 之后应为 1.2，这里是 1.3，请连续编号。"


def test_outline_numbering_1_2_then_2_1_is_accepted(tmp_path: Path, workspace: Workspace,
                                                    ledger: SqliteLedger) -> None:
    steps = [[n, "操作", "客服专员"] for n in ("1", "1.1", "1.2", "2", "2.1", "3")]
    assert located(findings_of(make_workbook(tmp_path, steps=steps), workspace, ledger)) == set()


def test_doc_id_year_after_effective_year(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path, fields={"流程编号": "CRM-CS-2025-005"})
    assert ("numbering.doc-id-year", "基本信息!B5") in located(findings_of(path, workspace, ledger))


def test_numeric_version_and_step_cells_ask_for_text_format(tmp_path: Path, workspace: Workspace,
                                                           ledger: SqliteLedger) -> None:
    steps = [[1.1, "接收", "客服专员"], [1.2, "转派", "客服专员"]]
    path = make_workbook(tmp_path, fields={"版本号": 1.1}, steps=steps)
    findings = findings_of(path, workspace, ledger)
    # The two step cells are one mistake repeated down the column: one finding on the range.
    assert located(findings) == {("cell.numeric-code", "基本信息!B6"),
                                 ("cell.numeric-code", "流程步骤!A2:A3")}
    assert "文本" in findings[0].message


def test_whole_number_step_cells_are_fine(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    steps = [[1, "接收", "客服专员"], [2, "转派", "客服专员"]]
    assert located(findings_of(make_workbook(tmp_path, steps=steps), workspace, ledger)) == set()


def test_dates_as_text_serial_numbers_and_chinese_text(tmp_path: Path, workspace: Workspace,
                                                      ledger: SqliteLedger) -> None:
    reviews = [["初审", "王敏", "2024/07/01", "通过"], ["复审", "李强", 45478, "通过"],
               ["终审", "赵总", "2024年7月10日", "通过"]]
    path = make_workbook(tmp_path, fields={"生效日期": "2024-08-01"}, reviews=reviews)
    assert located(findings_of(path, workspace, ledger)) == set()


def test_bad_dates_are_located(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    reviews = [["初审", "王敏", "下周一", "通过"], *REVIEWS[1:]]
    revisions = [["V1.0", "2024-02-30", "初稿", "新建流程", "王敏", "主管"]]
    path = make_workbook(tmp_path, reviews=reviews, revisions=revisions)
    assert located(findings_of(path, workspace, ledger)) == {("cell.date", "审核记录!C2"),
                                                             ("cell.date", "修订记录!B2")}


def test_revision_date_after_effective_date(tmp_path: Path, workspace: Workspace,
                                            ledger: SqliteLedger) -> None:
    revisions = [["V1.0", date(2024, 8, 2), "初稿", "新建流程", "王敏", "主管"]]
    path = make_workbook(tmp_path, revisions=revisions)
    assert located(findings_of(path, workspace, ledger)) == {("revision.date-after-effective", "修订记录!B2")}


def test_revision_entry_needs_reason_and_must_exist(tmp_path: Path, workspace: Workspace,
                                                    ledger: SqliteLedger) -> None:
    no_reason = make_workbook(tmp_path, "a.xlsx",
                              revisions=[["V1.0", date(2024, 1, 1), "初稿", "", "王敏", "主管"]])
    assert located(findings_of(no_reason, workspace, ledger)) == {("revision.reason-missing", "修订记录!D2")}
    other = make_workbook(tmp_path, "b.xlsx", fields={"版本号": "V1.1"},
                          revisions=[["V1.0", date(2024, 1, 1), "初稿", "新建", "王敏", "主管"]])
    codes = located(findings_of(other, workspace, ledger))
    assert ("revision.missing-entry", "修订记录!C3") in codes  # the content cell of the next row


def test_reviews_must_all_pass_in_order(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    reviews = [["初审", "王敏", date(2024, 7, 1), "通过"],
               ["终审", "赵总", date(2024, 6, 1), "需修改"]]
    path = make_workbook(tmp_path, reviews=reviews)
    assert located(findings_of(path, workspace, ledger)) == {
        ("review.missing", "审核记录!A1"),
        ("review.date-order", "审核记录!C3"),
        ("review.not-passed", "审核记录!D3"),
    }


def test_unknown_review_conclusion_lists_the_choices(tmp_path: Path, workspace: Workspace,
                                                     ledger: SqliteLedger) -> None:
    reviews = [*REVIEWS[:2], ["终审", "赵总", date(2024, 7, 10), "OK"]]
    [finding] = findings_of(make_workbook(tmp_path, reviews=reviews), workspace, ledger)
    assert (finding.code, str(finding.where)) == ("cell.choice", "审核记录!D4")
    assert "通过、不通过、需修改" in finding.message


def test_related_document_codes_well_formed_and_unique(tmp_path: Path, workspace: Workspace,
                                                       ledger: SqliteLedger) -> None:
    related = [["《登记表》", "CRM-TAB-001"], ["《分级表》", "crm tab 2"], ["《转派单》", "CRM-TAB-001"],
               ["《退换货流程》", None]]
    path = make_workbook(tmp_path, related=related)
    assert located(findings_of(path, workspace, ledger)) == {
        ("numbering.document-code", "相关文件!B3"),
        ("numbering.document-code-duplicate", "相关文件!B4"),
    }


def test_warnings_roles_durations_wording(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    steps = [["1.1", "原则上当天接收投诉", "客服专员", "", "", "看情况", "记录完整"],
             ["1.2", "转派", "值班经理", "", "", "≤10分钟", "错派率≤2%"]]
    path = make_workbook(tmp_path, fields={"流程目标": "尽量让客户满意"}, steps=steps)
    findings = findings_of(path, workspace, ledger)
    assert located(findings) == set()
    assert located(findings, Severity.WARNING) == {
        ("wording.vague", "基本信息!B13"),
        ("wording.unmeasurable", "基本信息!B13"),
        ("wording.vague", "流程步骤!B2"),
        ("duration.unparsed", "流程步骤!F2"),
        ("wording.unmeasurable", "流程步骤!G2"),
        ("roles.unknown", "流程步骤!C3"),
    }


def test_traditional_labels_aliases_reordered_rows_and_blank_rows(tmp_path: Path, workspace: Workspace,
                                                                  ledger: SqliteLedger) -> None:
    sheets = sop_sheets()
    aliases = {"流程编号": "Process ID", "版本号": "版本號", "适用范围": "適用範圍",
               "流程名称": "* 流程名称 Process name："}
    relabelled = [[aliases.get(label, label), value] for label, value in sheets["基本信息"][2:]]
    relabelled.reverse()  # rows in a different order than the template
    spaced: list[list[object]] = []
    for row in relabelled:
        spaced.extend([row, []])  # a blank row after each
    sheets["基本信息"] = [["说明：本表按标签读取"], *spaced]
    sheets["流程步驟"] = [sheets.pop("流程步骤")[0], [], *[[*s] for s in STEPS], []]
    path = write_book(tmp_path / "trad.xlsx", sheets)
    result = check_workbook(path.read_bytes(), workspace, ledger, TODAY)
    assert result.findings == []
    assert result.parsed is not None
    assert result.parsed.value("doc_id") == "CRM-CS-2024-005"
    assert result.parsed.value("scope").startswith("适用于所有个人客户")
    assert [s.number for s in result.parsed.rows("steps")] == ["1.1", "1.2", "1.3"]


def test_formula_cell_is_a_finding_not_a_value(tmp_path: Path, workspace: Workspace,
                                               ledger: SqliteLedger) -> None:
    path = make_workbook(tmp_path, fields={"流程负责人": Formula("=A1")})
    assert located(findings_of(path, workspace, ledger)) == {("cell.formula", "基本信息!B12")}


def test_content_under_no_header_is_an_error(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    steps = [[*STEPS[0], None, "备注：多写了一列"], *STEPS[1:]]
    path = make_workbook(tmp_path, steps=steps)
    assert located(findings_of(path, workspace, ledger)) == {("table.cell-without-header", "流程步骤!I2")}


def test_missing_sheet_and_unknown_kind(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    sheets = sop_sheets()
    del sheets["审核记录"]
    missing = write_book(tmp_path / "missing.xlsx", sheets)
    assert ("sheet.missing", "") in located(findings_of(missing, workspace, ledger))
    unknown = make_workbook(tmp_path, "unknown.xlsx", fields={"模板类型": "会议纪要"})
    assert located(findings_of(unknown, workspace, ledger)) == {("kind.unknown", "基本信息!B3")}


def test_not_a_workbook_and_corrupt_files(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    text = tmp_path / "notes.xlsx"
    text.write_text("hello", encoding="utf-8")
    assert located(findings_of(text, workspace, ledger)) == {("file.not-workbook", "")}
    good = make_workbook(tmp_path).read_bytes()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good[: len(good) // 2])
    assert located(findings_of(broken, workspace, ledger)) == {("file.corrupt", "")}


def test_latest_review_round_of_each_level_decides(tmp_path: Path, workspace: Workspace,
                                                   ledger: SqliteLedger) -> None:
    # 终审 不通过, then (after the fixes) a second 终审 通过: the evidence stays, the release goes on.
    rounds = [*REVIEWS[:2], ["终审", "赵总", date(2024, 7, 8), "不通过", "补充回访步骤"],
              ["终审", "钱总", date(2024, 7, 10), "通过", "同意发布"]]
    assert findings_of(make_workbook(tmp_path, "a.xlsx", reviews=rounds), workspace, ledger) == []
    # By date, not by row order: the later-dated 通过 written above the earlier 不通过 still decides.
    swapped = [*REVIEWS[:2], rounds[3], rounds[2]]
    assert findings_of(make_workbook(tmp_path, "b.xlsx", reviews=swapped), workspace, ledger) == []
    # The latest round failing blocks, located on that round's conclusion.
    failing = [*REVIEWS[:2], ["终审", "赵总", date(2024, 7, 8), "通过", ""],
               ["终审", "钱总", date(2024, 7, 10), "需修改", "目标未量化"]]
    [finding] = findings_of(make_workbook(tmp_path, "c.xlsx", reviews=failing), workspace, ledger)
    assert (finding.code, str(finding.where), finding.message) == (
        "review.not-passed", "审核记录!D5", "终审结论为“需修改”：审核未通过的流程不能发布，请修改后重新审核。")


def test_approver_is_the_latest_passing_final_reviewer(tmp_path: Path, workspace: Workspace,
                                                       ledger: SqliteLedger) -> None:
    from officeflow.stamp import stamp_document

    rounds = [*REVIEWS[:2], ["终审", "钱总", date(2024, 7, 10), "通过", "同意"],
              ["终审", "赵总", date(2024, 7, 8), "不通过", "补充回访步骤"]]
    checked = check_workbook(make_workbook(tmp_path, reviews=rounds).read_bytes(), workspace, ledger, TODAY)
    assert checked.parsed is not None and checked.context is not None
    assert stamp_document(checked.parsed, checked.context).approver == "钱总"


SELF_APPROVED = ("初审、复审、终审均由流程负责人王敏本人于 2024-07-10 同日签署："
                 "审核应由他人进行（职责分离），请由其他审核人复核后再提交。")


def test_every_level_signed_by_the_owner_on_one_day(tmp_path: Path, workspace: Workspace,
                                                    ledger: SqliteLedger) -> None:
    alone = [[level, "王敏", date(2024, 7, 10), "通过", "同意"] for level in ("初审", "复审", "终审")]
    path = make_workbook(tmp_path, reviews=alone)
    assert [(f.severity, f.code, str(f.where), f.message) for f in findings_of(path, workspace, ledger)] == [
        (Severity.WARNING, "review.self-approved", "审核记录!B4", SELF_APPROVED)]
    strict = Workspace(workspace.root, workspace.settings.model_copy(update={"self_approval": "error"}))
    [finding] = findings_of(path, strict, ledger)
    assert (finding.severity, finding.code) == (Severity.ERROR, "review.self-approved")
    # Signed on two days, or one level by someone else: no finding.
    two_days = [*alone[:2], ["终审", "王敏", date(2024, 7, 11), "通过", "同意"]]
    assert findings_of(make_workbook(tmp_path, "b.xlsx", reviews=two_days), workspace, ledger) == []


def test_first_upload_above_v10_with_earlier_versions_in_the_log(tmp_path: Path, workspace: Workspace,
                                                                 ledger: SqliteLedger) -> None:
    log = [[*REVISIONS[0]], ["V1.1", date(2024, 3, 1), "增加回访", "客户反馈", "王敏", "客服主管"],
           ["V1.2", date(2024, 7, 1), "调整时限", "考核要求", "王敏", "客服主管"]]
    path = make_workbook(tmp_path, fields={"版本号": "V1.2"}, revisions=log)
    assert [(f.severity, f.code, str(f.where), f.message) for f in findings_of(path, workspace, ledger)] == [
        (Severity.WARNING, "version.earlier-not-archived", "基本信息!B6",
         "V1.0、V1.1 未在本系统归档，仅记录在修订记录中。")]
    no_log = make_workbook(tmp_path, "b.xlsx", fields={"版本号": "V1.2"},
                           revisions=[["V1.2", date(2024, 7, 1), "调整时限", "考核要求", "王敏", "客服主管"]])
    assert located(findings_of(no_log, workspace, ledger)) == {("version.first", "基本信息!B6")}
