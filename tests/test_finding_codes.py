"""One exact message of every finding code (issue 11): a code no test shows is a message nobody read.

`test_every_finding_code_appears_in_a_test` collects the codes the source raises
(`error("code", …)` / `warning("code", …)`) and fails when a code appears in no test file.
The other tests here show one whole message of each code the rest of the suite did not.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from factory import REVIEWS, STEPS, make_workbook

from officeflow.cli import main
from officeflow.gate import admit
from officeflow.returns import budget_finding
from officeflow.sandbox import Budget, ChildStatus

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(r'\b(?:error|warning)\(\s*"([a-z][a-z0-9-]*\.[a-z0-9.-]+)"')


def source_codes() -> set[str]:
    return {m for path in (ROOT / "officeflow").rglob("*.py") for m in CODE.findall(path.read_text("utf-8"))}


# Codes still shown by no test, each with why; the list may only shrink. (The item-5 codes are
# being added by another change of issue 11 together with their tests.)
NOT_YET_SHOWN = {
    "cell.date-not-text",  # no field of the shipped kinds is a non-text, non-date type that takes a date
    "field.duplicate", "kind.missing", "table.column-missing", "table.header-missing",  # item 5, in progress
    "file.legacy-or-encrypted",  # an encrypted OLE container: needs a real encrypted workbook
    "internal.error",  # the watcher's last resort (intake.py, being edited for PostgreSQL)
    "raci.duplicate-row", "raci.no-roles",  # optimization kind: a RACI workbook still to build here
    "sheet.merge-invalid", "sheet.merge-too-large",  # need hand-edited sheet XML
}


def test_every_finding_code_appears_in_a_test() -> None:
    this = re.sub(r"NOT_YET_SHOWN = \{.*?\n\}", "", Path(__file__).read_text("utf-8"), flags=re.S)
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


LOG_V10 = ["V1.0", date(2024, 1, 1), "初稿编写", "新建流程", "王敏", "客服主管"]

WORKBOOKS = {  # code → (what the author typed, the whole `validate` output)
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
    "revision.version-format": (dict(revisions=[["1", *LOG_V10[1:]]]), [
        "修订记录!A2: 修订记录的版本号“1”格式不对，应为 V主版本.次版本。  [错误 revision.version-format]",
        "修订记录!C3: 修订记录中没有本版本（V1.0）的记录：请新增一行，写明修订内容和修订原因。  [错误 revision.missing-entry]"]),
    "revision.version-missing": (dict(revisions=[[None, *LOG_V10[1:]]]), [
        "修订记录!A2: 修订记录的版本号为空，请填写，如 V1.1。  [错误 revision.version-missing]",
        "修订记录!C3: 修订记录中没有本版本（V1.0）的记录：请新增一行，写明修订内容和修订原因。  [错误 revision.missing-entry]"]),
    "table.empty": (dict(steps=[]), ["流程步骤!A1: “流程步骤”至少需要 1 行记录，请填写。  [错误 table.empty]"]),
    "version.format": (dict(fields={"版本号": "1.0版"}), [
        "基本信息!B6: 版本号“1.0版”格式不对，应为 V主版本.次版本，如 V1.0、V1.1、V2.0。  [错误 version.format]"]),
}


@pytest.mark.parametrize("code", sorted(WORKBOOKS))
def test_one_message_of_each_workbook_code(tmp_path: Path, code: str) -> None:
    typed, lines = WORKBOOKS[code]
    book = make_workbook(tmp_path, "book.xlsx", **typed)
    failed = any("[错误" in line for line in lines)
    assert validate(tmp_path, book) == (int(failed), "".join(f"book.xlsx › {line}\n" for line in lines))


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
