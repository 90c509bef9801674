"""One mistake, one finding (issue 11 item 5): a cell the reading already found wrong is unknown to
the rules, not wrong a second time; a table whose sheet is missing says so once.

Each workbook below gave two to four findings before; each now gives the one the author has to
act on, through `officeflow validate` and `officeflow process` alike (test_finding_codes.assert_refused).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from factory import REVIEWS, STEPS, Formula, make_workbook
from test_finding_codes import assert_refused, sheets_edited


@pytest.fixture(autouse=True)
def _workspace_here(tmp_path: Path) -> None:
    (tmp_path / "officeflow.toml").write_text("", encoding="utf-8")


def step_two(number: object) -> dict[str, Any]:
    """The factory's steps 1.1, 1.2, 1.3 with 1.2's number replaced by `number`."""
    return dict(steps=[STEPS[0], [number, *STEPS[1][1:]], STEPS[2]])


def first_review_level(level: object) -> dict[str, Any]:
    return dict(reviews=[[level, *REVIEWS[0][1:]], *REVIEWS[1:]])


LOG_V10 = [date(2024, 1, 1), "初稿编写", "新建流程", "王敏", "客服主管"]  # V1.0's entry after its version

TYPED: dict[str, tuple[dict[str, Any], str]] = {  # case → (what the author typed, the one finding)
    # Each of the four also gave numbering.step-gap on A4 (“1.1 之后应为 1.2，这里是 1.3”).
    "step number blank": (step_two(None),
                          "流程步骤!A3: “步骤编号”为必填项，请填写。  [错误 cell.required]"),
    "step number malformed": (step_two("1.x"),
                              "流程步骤!A3: 步骤编号“1.x”格式不对，应为 1、2… 或 1.1、1.2…。  [错误 numbering.step-format]"),
    "step number a date": (step_two(date(2024, 1, 2)),  # 1-2 typed, Excel stored a date
                           "流程步骤!A3: “步骤编号”应为文字，单元格却是日期：请设为文本格式后重新输入。  [错误 cell.date-not-text]"),
    "step number a formula": (step_two(Formula("=A2+0.1")),
                              "流程步骤!A3: “步骤编号”是公式，系统不计算公式：请直接输入值。  [错误 cell.formula]"),
    # Also gave revision.version-missing on the same cell and revision.missing-entry (“请新增一行”).
    "revision version a date": (dict(revisions=[[date(2024, 1, 1), *LOG_V10]]),
                                "修订记录!A2: “版本号”应为文字，单元格却是日期：请设为文本格式后重新输入。  [错误 cell.date-not-text]"),
    # Each also gave review.missing (“缺少“初审”记录”) on 审核记录!A1.
    "review level mistyped": (first_review_level("初审核"),
                              "审核记录!A2: “审核级别”填写了“初审核”，应为以下之一：初审、复审、终审。  [错误 cell.choice]"),
    "review level blank": (first_review_level(None),
                           "审核记录!A2: “审核级别”为必填项，请填写。  [错误 cell.required]"),
}


@pytest.mark.parametrize("case", sorted(TYPED))
def test_a_cell_the_reading_found_wrong_is_one_finding(tmp_path: Path, case: str) -> None:
    typed, line = TYPED[case]
    assert_refused(tmp_path, make_workbook(tmp_path, **typed), [line])


# 修订记录 also gave revision.missing-entry; 审核记录 review.missing for each of 初审, 复审, 终审.
@pytest.mark.parametrize("sheet", ["修订记录", "审核记录"])
def test_a_deleted_sheet_is_one_finding(tmp_path: Path, sheet: str) -> None:
    book = sheets_edited(lambda sheets: sheets.pop(sheet))(tmp_path)
    assert_refused(tmp_path, book, [f"缺少工作表“{sheet}”，请按模板补上。  [错误 sheet.missing]"])


def test_the_missing_entry_is_still_said_when_only_an_older_entry_is_unreadable(tmp_path: Path) -> None:
    """The entry of the version being issued is the log's last; an older one unreadable hides nothing."""
    book = make_workbook(tmp_path, fields={"版本号": "V1.1"},
                         revisions=[[None, date(2023, 1, 1), "旧版", "旧版", "王敏", "客服主管"], ["V1.0", *LOG_V10]])
    assert_refused(tmp_path, book, [
        "基本信息!B6: V1.0 未在本系统归档，仅记录在修订记录中。  [警告 version.earlier-not-archived]",
        "修订记录!A2: 修订记录的版本号为空，请填写，如 V1.1。  [错误 revision.version-missing]",
        "修订记录!C4: 修订记录中没有本版本（V1.1）的记录：请新增一行，写明修订内容和修订原因。  [错误 revision.missing-entry]"])
