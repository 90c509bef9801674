"""Build real workbooks from plain data, laid out as a person fills the template."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl

Rows = list[list[Any]]


class Formula(str):
    """A cell value to be written as a live formula (everything else is literal)."""


BASIC: list[tuple[str, Any]] = [
    ("模板类型", "标准化服务流程"),
    ("流程名称", "客户投诉处理流程"),
    ("流程编号", "CRM-CS-2024-005"),
    ("版本号", "V1.0"),
    ("生效日期", date(2024, 8, 1)),
    ("流程类别", "客户服务类"),
    ("主责部门", "客服部"),
    ("适用部门", "客服部、技术部、法务部"),
    ("适用角色", "客服专员、客服主管、技术支持工程师"),
    ("流程负责人", "王敏"),
    ("流程目标", "客户投诉24小时内响应，7个工作日内解决，满意度≥90%"),
    ("适用范围", "适用于所有个人客户及企业客户的投诉处理，不包括产品质量问题退换货"),
]

STEP_HEADER = ["步骤编号", "操作内容", "责任角色", "输入", "输出", "耗时", "关键控制点"]
STEPS: Rows = [
    ["1.1", "接收客户投诉信息（电话、邮件、在线表单）", "客服专员", "客户投诉内容、联系方式",
     "《客户投诉登记表》", "≤30分钟", "记录完整率100%，分类准确率≥95%"],
    ["1.2", "转派至责任部门", "客服专员", "《客户投诉登记表》", "《投诉转派单》", "≤10分钟",
     "错派率≤2%"],
    ["1.3", "技术部分析并处理故障类投诉", "技术支持工程师", "《投诉转派单》", "《处理方案》",
     "≤2个工作日", "方案一次通过率≥90%"],
]
RELATED_HEADER = ["文件名称", "文件编号"]
RELATED: Rows = [["《客户投诉登记表》", "CRM-TAB-001"], ["《服务质量考核办法》", "CRM-PO-003"]]
REVISION_HEADER = ["版本号", "修订日期", "修订内容", "修订原因", "修订人", "审核人"]
REVISIONS: Rows = [["V1.0", date(2024, 1, 1), "初稿编写", "新建流程", "王敏", "客服主管"]]
REVIEW_HEADER = ["审核级别", "审核人", "审核日期", "审核结论", "审核意见"]
REVIEWS: Rows = [
    ["初审", "王敏", date(2024, 7, 1), "通过", "步骤完整"],
    ["复审", "李强", date(2024, 7, 5), "通过", "职责清晰"],
    ["终审", "赵总", date(2024, 7, 10), "通过", "同意发布"],
]


def sop_sheets(fields: dict[str, Any] | None = None, *, steps: Rows | None = None,
               related: Rows | None = None, revisions: Rows | None = None,
               reviews: Rows | None = None) -> dict[str, Rows]:
    """A valid sop workbook's sheets; `fields` overrides 基本信息 values (None drops the row)."""
    overrides = fields or {}
    basic: Rows = [["标准化服务流程 · 基本信息"], ["字段", "填写内容", "填写说明"]]
    for label, value in BASIC:
        value = overrides.get(label, value)
        if label in overrides and overrides[label] is None:
            continue
        basic.append([label, value])
    return {
        "基本信息": basic,
        "流程步骤": [STEP_HEADER, *(STEPS if steps is None else steps)],
        "相关文件": [RELATED_HEADER, *(RELATED if related is None else related)],
        "修订记录": [REVISION_HEADER, *(REVISIONS if revisions is None else revisions)],
        "审核记录": [REVIEW_HEADER, *(REVIEWS if reviews is None else reviews)],
    }


def write_book(path: Path, sheets: dict[str, Rows]) -> Path:
    """Write `sheets` (sheet name → rows of values) to a real .xlsx file."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(r, c, value)
                if isinstance(value, str) and not isinstance(value, Formula):
                    cell.data_type = "s"  # keep `=…` typed text literal, as a text cell would
                if hasattr(value, "year"):
                    cell.number_format = "yyyy-mm-dd"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def make_workbook(folder: Path, name: str = "book.xlsx", **kwargs: Any) -> Path:
    """`make_workbook(tmp_path, fields={...}, steps=[...])` → path of a real sop workbook."""
    return write_book(folder / name, sop_sheets(**kwargs))


def register_values(path: Path) -> list[tuple[Any, ...]]:
    """The first sheet's rows of a register, reading in read-only mode and closing the file."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book.worksheets[0].values)
    finally:
        book.close()
