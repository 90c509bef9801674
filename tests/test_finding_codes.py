"""One exact message of every finding code (issue 11): a code no test shows is a message nobody read.

`test_every_finding_code_appears_in_a_test` collects the codes the source raises
(`error("code", …)` / `warning("code", …)`) and fails when a code appears in no test file.
The other tests here show one whole message of each code the rest of the suite did not, on a
workbook made as a person makes it (filled, a row or column deleted or added, sheet XML edited by hand,
saved with a password to open), through `officeflow validate` and `officeflow process`, which must
say the same; internal.error through intake.
"""

from __future__ import annotations

import copy
import io
import os
import re
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from factory import REVIEWS, STEPS, make_workbook, sop_sheets, write_book

from officeflow import pipeline
from officeflow.cli import main
from officeflow.gate import admit
from officeflow.intake import Handled, Intake
from officeflow.kinds import KINDS
from officeflow.ledger import workspace_ledger
from officeflow.returns import IntakeResult, budget_finding
from officeflow.sandbox import Budget, ChildStatus
from officeflow.settings import open_workspace
from officeflow.workbook_template import fill_template

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r'\b(?:error|warning)\(\s*"([a-z][a-z0-9-]*\.[a-z0-9.-]+)"')


def source_codes() -> set[str]:
    return {m for path in (ROOT / "officeflow").rglob("*.py") for m in CODE.findall(path.read_text("utf-8"))}


# Codes still shown by no test, each with why; the list may only shrink. Every code the source
# raises today is shown below.
NOT_YET_SHOWN: set[str] = set()


def test_every_finding_code_appears_in_a_test() -> None:
    this = re.sub(r"NOT_YET_SHOWN[^=\n]*= \{.*?\n\}", "", Path(__file__).read_text("utf-8"), flags=re.S)
    others = "\n".join(p.read_text("utf-8") for p in (ROOT / "tests").glob("*.py") if p.name != Path(__file__).name)
    codes = source_codes()
    assert len(codes) > 50  # the pattern still finds the codes
    assert sorted(c for c in codes if c not in others + this) == sorted(NOT_YET_SHOWN & codes)


@pytest.fixture(autouse=True)
def _workspace_here(tmp_path: Path) -> None:
    (tmp_path / "officeflow.toml").write_text("", encoding="utf-8")


def validate(tmp_path: Path, book: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "validate", str(book)])
    return result.exit_code, result.output


def process(tmp_path: Path, book: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-w", str(tmp_path), "process", str(book)])
    return result.exit_code, result.output


def assert_refused(tmp_path: Path, book: Path, lines: list[str]) -> None:
    """`validate` prints exactly `lines`; `process` refuses the file with the same lines."""
    findings = "".join(f"{book.name} › {line}\n" for line in lines)
    assert validate(tmp_path, book) == (1, findings)
    register = tmp_path / "outbox" / "流程文件总台账.xlsx"
    assert process(tmp_path, book) == (1, f"退回 rejected  {book.name}\n{findings}"
                                          f"共 1 个文件：发布 0，退回 1，重复 0。台账 Register: {register}\n")


LOG_V10 = ["V1.0", date(2024, 1, 1), "初稿编写", "新建流程", "王敏", "客服主管"]

WORKBOOKS = {  # code → (what the author typed, the whole `validate` output)
    # Step 1.3 typed as 1-3: Excel stores a date.
    "cell.date-not-text": (dict(steps=[*STEPS[:2], [date(2024, 1, 3), *STEPS[2][1:]]]), [
        "流程步骤!A4: “步骤编号”应为文字，单元格却是日期：请设为文本格式后重新输入。  [错误 cell.date-not-text]"]),
    "kind.missing": (dict(fields={"模板类型": None}), [  # the 模板类型 row deleted
        "找不到“模板类型”字段：请使用 officeflow 生成的模板填写（基本信息 工作表）。  [错误 kind.missing]"]),
    "cell.boolean": (dict(fields={"流程负责人": True}), [
        "基本信息!B12: “流程负责人”应为文字，不能是 TRUE/FALSE。  [错误 cell.boolean]"]),
    "numbering.step-format": (dict(steps=[["1.x", *STEPS[0][1:]]]), [
        "流程步骤!A2: 步骤编号“1.x”格式不对，应为 1、2… 或 1.1、1.2…。  [错误 numbering.step-format]"]),
    "review.after-effective": (dict(reviews=[*REVIEWS[:2], ["终审", "赵总", date(2024, 8, 10), "通过", "同意发布"]]), [
        "基本信息!B7: 终审日期 2024-08-10 晚于生效日期 2024-08-01：应先批准后生效。  [警告 review.after-effective]"]),
    "revision.order": (dict(fields={"版本号": "V1.1"},
                            revisions=[["V1.1", date(2024, 2, 1), "改", "因", "王敏", "主管"], LOG_V10]), [
        "基本信息!B6: V1.0 未在本系统归档，仅记录在修订记录中。  [警告 version.earlier-not-archived]",
        "修订记录!A3: 修订记录的版本号应严格递增：V1.0 排在 V1.1 之后，请调整顺序。  [错误 revision.order]"]),
    # The only entry, V1.0's with its version mistyped: no second finding asking for a V1.0 row.
    "revision.version-format": (dict(revisions=[["1", *LOG_V10[1:]]]), [
        "修订记录!A2: 修订记录的版本号“1”格式不对，应为 V主版本.次版本。  [错误 revision.version-format]"]),
    "revision.version-missing": (dict(revisions=[[None, *LOG_V10[1:]]]), [
        "修订记录!A2: 修订记录的版本号为空，请填写，如 V1.1。  [错误 revision.version-missing]"]),
    "table.empty": (dict(steps=[]), ["流程步骤!A1: “流程步骤”至少需要 1 行记录，请填写。  [错误 table.empty]"]),
    "version.format": (dict(fields={"版本号": "1.0版"}), [
        "基本信息!B6: 版本号“1.0版”格式不对，应为 V主版本.次版本，如 V1.0、V1.1、V2.0。  [错误 version.format]"]),
}


@pytest.mark.parametrize("code", sorted(WORKBOOKS))
def test_one_message_of_each_workbook_code(tmp_path: Path, code: str) -> None:
    typed, lines = WORKBOOKS[code]
    book = make_workbook(tmp_path, "book.xlsx", **typed)
    if any("[错误" in line for line in lines):
        assert_refused(tmp_path, book, lines)
    else:
        assert validate(tmp_path, book) == (0, "".join(f"book.xlsx › {line}\n" for line in lines))


# ---------------------------------------------------------------- workbooks edited after filling


def sheets_edited(edit: Callable[[dict[str, list[list[object]]]], None]) -> Callable[[Path], Path]:
    """A builder: the factory's valid workbook with `edit` applied to its sheets' rows first."""
    def build(folder: Path) -> Path:
        sheets = sop_sheets()
        edit(sheets)
        return write_book(folder / "book.xlsx", sheets)
    return build


def _owner_again(sheets: dict[str, list[list[object]]]) -> None:
    sheets["基本信息"].append(["流程负责人", "李强"])  # a second 流程负责人 row at the bottom


def _no_content_column(sheets: dict[str, list[list[object]]]) -> None:
    sheets["流程步骤"] = [row[:1] + row[2:] for row in sheets["流程步骤"]]  # 操作内容 column deleted


def _no_related_header(sheets: dict[str, list[list[object]]]) -> None:
    del sheets["相关文件"][0]  # the header row deleted, the rows kept


def with_merge(ref: str) -> Callable[[Path], Path]:
    """The factory's workbook with a merged range `ref` written into 流程步骤's sheet XML by hand."""
    def build(folder: Path) -> Path:
        source = make_workbook(folder / "source", "book.xlsx")
        out = io.BytesIO()
        with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "xl/worksheets/sheet2.xml":  # 流程步骤, the second sheet written
                    merge = f'<mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'
                    data = data.replace(b"</sheetData>", b"</sheetData>" + merge.encode("ascii"), 1)
                dst.writestr(info, data)
        book = folder / "book.xlsx"
        book.write_bytes(out.getvalue())
        return book
    return build


def password_protected(folder: Path) -> Path:
    """The factory's workbook saved with a password to open, as Excel's 用密码进行加密 does (ECMA-376
    agile encryption in an OLE compound file)."""
    import msoffcrypto.format.ooxml  # the test extra: writes the same container Excel writes

    source = make_workbook(folder / "source", "book.xlsx")
    out = io.BytesIO()
    with source.open("rb") as plain:
        msoffcrypto.format.ooxml.OOXMLFile(plain).encrypt("口令123", out)
    book = folder / "book.xlsx"
    book.write_bytes(out.getvalue())
    return book


def raci_edited(edit: Callable[[list[dict[str, object]]], None]) -> Callable[[Path], Path]:
    """The seed optimization workbook (CSC-2024-001) filled in its template, RACI rows edited."""
    def build(folder: Path) -> Path:
        from test_kinds import RACI_DATA

        data = copy.deepcopy(RACI_DATA)
        edit(data["tables"]["raci"])
        fill_template(KINDS["optimization"], data, folder / "book.xlsx")
        return folder / "book.xlsx"
    return build


BUILT: dict[str, tuple[Callable[[Path], Path], list[str]]] = {  # code → (the workbook, the whole output)
    "field.duplicate": (sheets_edited(_owner_again), [
        "基本信息!B15: 字段“流程负责人”出现了两次（另见 B12），请删除多余的一行。  [错误 field.duplicate]"]),
    "table.column-missing": (sheets_edited(_no_content_column), [
        "流程步骤!A1: 表头缺少必填列“操作内容”，请按模板补上该列。  [错误 table.column-missing]"]),
    "table.header-missing": (sheets_edited(_no_related_header), [
        "相关文件!A1: 工作表“相关文件”中找不到表格的表头行，应包含：文件名称、文件编号。  [错误 table.header-missing]"]),
    "file.legacy-or-encrypted": (password_protected, [
        "文件是旧版 .xls 格式或已加密：请在 Excel 中取消密码保护，另存为 .xlsx 后重新提交。  [错误 file.legacy-or-encrypted]"]),
    # A range no spreadsheet program writes: whole rows (`20:20`) as a merged cell.
    "sheet.merge-invalid": (with_merge("20:20"), [
        "流程步骤: 工作表“流程步骤”的合并单元格“20:20”无效，请在 Excel 中取消该合并后重新保存提交。  [错误 sheet.merge-invalid]"]),
    # Columns A:B selected whole and merged: Excel writes A1:B1048576.
    "sheet.merge-too-large": (with_merge("A1:B1048576"), [
        "流程步骤: 工作表“流程步骤”的合并单元格 A1:B1048576 超出行列上限（5000 行、200 列），已拒收："
        "请取消该合并后重新提交。  [错误 sheet.merge-too-large]"]),
    # Within the row and column limits, but 21 × 4,801 cells merged: over the workbook's 100,000.
    "sheet.merge-too-large (area)": (with_merge("A200:U5000"), [
        "流程步骤: 工作簿的合并单元格共超过 100000 个单元格（工作表“流程步骤”），已拒收：请取消多余的合并后重新提交。"
        "  [错误 sheet.merge-too-large]"]),
    "raci.duplicate-row": (raci_edited(lambda rows: rows.append(copy.deepcopy(rows[2]))), [  # step 3 twice
        "责任矩阵!A7: 步骤 3 在责任矩阵中出现了两次：每个步骤只能有一行，请合并。  [错误 raci.duplicate-row]"]),
}


@pytest.mark.parametrize("code", sorted(BUILT))
def test_one_message_of_each_edited_workbook_code(tmp_path: Path, code: str) -> None:
    build, lines = BUILT[code]
    assert_refused(tmp_path, build(tmp_path), lines)


# One mistake, one finding (issue 11 item 5); more cases in test_one_finding.py.
def test_a_date_in_the_first_step_number_is_one_finding(tmp_path: Path) -> None:
    book = make_workbook(tmp_path, steps=[[date(2024, 1, 1), *STEPS[0][1:]], *STEPS[1:]])  # 1.1 typed as 1-1
    assert_refused(tmp_path, book, [
        "流程步骤!A2: “步骤编号”应为文字，单元格却是日期：请设为文本格式后重新输入。  [错误 cell.date-not-text]"])


HEADERS = {  # a required table → its columns as table.header-missing lists them
    "流程步骤": "步骤编号、操作内容、责任角色、输入、输出、耗时、关键控制点、后续步骤",
    "修订记录": "版本号、修订日期、修订内容、修订原因、修订人、审核人",
    "审核记录": "审核级别、审核人、审核日期、审核结论、审核意见",
}


# The rules no longer add revision.missing-entry (修订记录) or review.missing ×3 (审核记录) after it.
@pytest.mark.parametrize("sheet", sorted(HEADERS))
def test_a_deleted_header_row_of_a_required_table_is_one_finding(tmp_path: Path, sheet: str) -> None:
    book = sheets_edited(lambda sheets: sheets[sheet].pop(0))(tmp_path)
    assert_refused(tmp_path, book, [
        f"{sheet}!A1: 工作表“{sheet}”中找不到表格的表头行，应包含：{HEADERS[sheet]}。  [错误 table.header-missing]"])


def _no_roles(rows: list[dict[str, object]]) -> None:
    for row in rows:
        row["extra"] = {}  # the matrix's step numbers typed, no role column yet


def test_a_raci_matrix_without_role_columns_is_one_finding(tmp_path: Path) -> None:
    assert_refused(tmp_path, raci_edited(_no_roles)(tmp_path), [
        "责任矩阵!A1: 责任矩阵没有角色列：请在步骤编号右侧的表头单元格逐列填写角色名称。  [错误 raci.no-roles]"])


def test_an_effective_date_before_the_archived_version(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["-w", str(tmp_path), "process", str(make_workbook(tmp_path))]).exit_code == 0
    book = make_workbook(tmp_path, "book.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 7, 1)},
                         revisions=[LOG_V10, ["V1.1", date(2024, 6, 1), "改", "因", "王敏", "主管"]])
    assert validate(tmp_path, book) == (1, "book.xlsx › 基本信息!B7: 生效日期早于已归档版本 V1.0 的生效日期 2024-08-01，"
                                           "请核对。  [错误 version.effective-before-previous]\n"
                                           "book.xlsx › 基本信息!B7: 终审日期 2024-07-10 晚于生效日期 2024-07-01："
                                           "应先批准后生效。  [警告 review.after-effective]\n")


def test_the_gate_refuses_macros_oversized_files_and_fifos(tmp_path: Path) -> None:
    macros = tmp_path / "带宏.xlsm"
    macros.write_bytes(b"PK\x03\x04 a workbook with macros")
    assert [(f.code, f.located()) for f in admit(macros, 20)[1]] == [
        ("file.macros", "含宏的工作簿（.xlsm）不予接收：请另存为不含宏的 .xlsx 后提交。")]
    big = tmp_path / "big.xlsx"
    big.write_bytes(b"x" * 1_200_000)
    assert [(f.code, f.located()) for f in admit(big, 1)[1]] == [
        ("file.too-large", "文件大小 1.1 MB 超过上限 1 MB，请精简后重新提交。")]
    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)
    data, findings = admit(fifo, 20)
    assert data is None
    assert [(f.code, f.located()) for f in findings] == [
        ("file.not-regular", "“管道.xlsx”是命名管道，不是普通文件：未读取，也不退回其内容。请直接提交工作簿文件本身。")]


def test_a_child_over_its_budget_says_which_budget() -> None:
    budget = Budget(seconds=60, memory_mb=512)
    advice = "请检查工作簿是否过大或结构异常（多余的行、列、合并单元格、图片），精简后重新提交。"
    assert [(f.code, f.message) for f in (budget_finding(status, budget) for status in
                                          (ChildStatus.TIMEOUT, ChildStatus.MEMORY, ChildStatus.DIED))] == [
        ("file.budget-time", f"处理超出时限（60 秒），已停止并退回：{advice}"),
        ("file.budget-memory", f"处理超出内存上限（512 MB），已停止并退回：{advice}"),
        ("file.budget-died", f"处理过程异常终止（可能超出内存上限），已停止并退回：{advice}"),
    ]


# ---------------------------------------------------------------- internal.error: the watcher's last resort


def _a_rule_that_crashes(*args: object, **kwargs: object) -> None:
    raise KeyError("责任角色")  # a bug in the rules, as a KeyError would come from a missing column key


def returned_after_a_bug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Handled, list[str], bytes]:
    """The factory's valid workbook dropped in the inbox and handled by intake while the pipeline's
    validation raises in the forked child (monkeypatched before the fork: the child inherits it)."""
    monkeypatch.setattr(pipeline, "validate", _a_rule_that_crashes)
    workspace = open_workspace(tmp_path)
    source = make_workbook(workspace.inbox, "客户投诉处理流程.xlsx").read_bytes()
    ledger = workspace_ledger(workspace)
    intake = Intake(workspace, ledger)
    try:
        claim = intake.claim(workspace.inbox / "客户投诉处理流程.xlsx")
        assert claim is not None
        handled = intake.handle(claim)
        events = [(e["event"], e["file"], e["detail"]) for e in ledger.events()]
    finally:
        intake.close()
        ledger.close()
    assert events == [("received", "客户投诉处理流程.xlsx", ""), ("rejected", "客户投诉处理流程.xlsx", "internal.error")]
    report = (workspace.returned / "客户投诉处理流程.问题清单.txt").read_text(encoding="utf-8-sig")
    header = [f"时间 Time: {claim.received_at.isoformat(sep=' ', timespec='seconds')}",
              f"处理编号 Intake ID: {claim.token}"]
    lines = report.splitlines()
    assert lines[3:5] == header
    return handled, lines, source


INTERNAL = "处理时发生内部错误（KeyError），文件已原样退回；请联系流程管理员。"


def test_a_bug_in_the_pipeline_returns_the_file_as_it_came_with_internal_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handled, lines, source = returned_after_a_bug(tmp_path, monkeypatch)
    returned = tmp_path / "inbox" / "退回"
    assert (handled.result, handled.returned) == (
        IntakeResult.RETURNED, [returned / "客户投诉处理流程.xlsx", returned / "客户投诉处理流程.问题清单.txt"])
    assert [(f.code, f.located()) for f in handled.findings] == [("internal.error", INTERNAL)]
    assert (returned / "客户投诉处理流程.xlsx").read_bytes() == source
    # The whole report: the exception named, and the author not asked to fix anything.
    assert lines[:3] + lines[5:] == [
        "officeflow 退回说明 Return report",
        "",
        "文件 File: 客户投诉处理流程.xlsx",
        f"原因 Reason: {INTERNAL}",
        "",
        "问题清单 Findings（1 个错误，0 个警告）:",
        f"1. {INTERNAL}  [错误 internal.error]",
        "",
        "退回的文件 Returned files:",
        "- 客户投诉处理流程.xlsx",
        "",
        "这不是工作簿的问题，无需修改：流程管理员排除故障后，可把同一文件重新放入收件箱（inbox）。",
    ]
