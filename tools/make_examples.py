"""Build the shipped example workbooks from the seed documents' examples.

Each example is a blank officeflow template filled in exactly as a person would
(`fill_template`), so the examples also prove the template and the reader agree.
Run: python tools/make_examples.py  (writes examples/*.xlsx)
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

from officeflow.kinds import KINDS
from officeflow.workbook_template import fill_template

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"

REVIEWERS_CS = [
    {"level": "初审", "reviewer": "王敏", "date": date(2024, 7, 16), "conclusion": "通过",
     "opinion": "步骤完整，逻辑清晰"},
    {"level": "复审", "reviewer": "李强、陈静", "date": date(2024, 7, 20), "conclusion": "通过",
     "opinion": "客服部与技术部接口明确"},
    {"level": "终审", "reviewer": "赵建国", "date": date(2024, 7, 25), "conclusion": "通过",
     "opinion": "同意发布"},
]

# Seed 000 (一): 客户服务类流程示例 — 客户投诉处理流程.
COMPLAINTS: dict[str, Any] = {
    "fields": {
        "name": "客户投诉处理流程",
        "doc_id": "CRM-CS-2024-005",
        "version": "V2.0",
        "effective_date": date(2024, 8, 1),
        "category": "客户服务类",
        "department": "客服部",
        "departments": ["客服部", "技术部", "法务部"],
        "roles": ["客服专员", "客服主管", "技术支持工程师", "法务专员"],
        "owner": "王敏",
        "objective": "客户投诉24小时内响应，7个工作日内解决，满意度≥90%",
        "scope": "适用于所有个人客户及企业客户的投诉处理，不包括产品质量问题退换货（另见《退换货流程》）",
    },
    "tables": {
        "steps": [
            {"number": "1.1", "content": "接收客户投诉信息（电话、邮件、在线表单）", "role": "客服专员",
             "inputs": "客户投诉内容、联系方式", "outputs": "《客户投诉登记表》", "duration": "≤30分钟",
             "control_point": "记录完整，分类准确（如服务态度、技术故障、billing问题）"},
            {"number": "1.2", "content": "投诉分级（按紧急程度：紧急、一般、建议）", "role": "客服主管",
             "inputs": "《客户投诉登记表》", "outputs": "《投诉分级表》", "duration": "≤15分钟",
             "control_point": "紧急投诉（如服务中断）需立即升级至技术部，升级时间≤15分钟"},
            {"number": "1.3", "content": "转派至责任部门", "role": "客服专员",
             "inputs": "《投诉分级表》", "outputs": "《投诉转派单》", "duration": "≤10分钟",
             "control_point": "根据投诉类型准确选择责任部门，错派率≤2%"},
        ],
        "related_documents": [
            {"name": "《客户投诉登记表》", "code": "CRM-TAB-001"},
            {"name": "《投诉分级表》", "code": "CRM-TAB-002"},
            {"name": "《服务质量考核办法》", "code": "CRM-PO-003"},
        ],
        "revision_log": [
            {"version": "V1.0", "date": date(2024, 1, 1), "content": "初稿编写", "reason": "新建流程",
             "author": "王敏", "reviewer": "客服主管"},
            {"version": "V2.0", "date": date(2024, 7, 15), "content": "增加“投诉分级”步骤",
             "reason": "紧急投诉未及时升级导致二次投诉", "author": "王敏", "reviewer": "流程经理"},
        ],
        "reviews": REVIEWERS_CS,
    },
}

# Seed 000 (二): 内部管理类流程示例 — 员工差旅报销流程.
TRAVEL: dict[str, Any] = {
    "fields": {
        "name": "员工差旅报销流程",
        "doc_id": "HR-TR-2024-012",
        "version": "V1.1",
        "effective_date": date(2024, 7, 1),
        "category": "内部管理类",
        "department": "人力资源部",
        "departments": ["各部门", "财务部"],
        "roles": ["员工", "部门经理", "财务专员"],
        "owner": "刘洋",
        "objective": "规范差旅报销行为，保证票据合规，报销周期≤5个工作日",
        "scope": "适用于全体正式员工因公产生的国内差旅费用报销，海外差旅另见《海外差旅管理流程》",
    },
    "tables": {
        "steps": [
            {"number": "1.1", "content": "出差前申请（填写《出差申请表》）", "role": "员工",
             "inputs": "出差事由、时间、地点、预算", "outputs": "《出差申请表》", "duration": "≤1个工作日",
             "control_point": "部门经理审批通过后方可出差"},
            {"number": "1.2", "content": "整理报销票据（发票、行程单等）", "role": "员工",
             "inputs": "出差期间产生的合规票据", "outputs": "票据原件及电子扫描件",
             "duration": "出差后3个工作日内", "control_point": "票据需与出差申请内容一致，抬头为公司全称"},
            {"number": "1.3", "content": "提交报销（通过OA系统表单及票据）", "role": "员工",
             "inputs": "《出差申请表》审批记录、票据", "outputs": "《报销申请单》（OA系统）",
             "duration": "≤0.5个工作日", "control_point": "系统自动校验票据完整性，缺失票据需补充说明"},
            {"number": "1.4", "content": "部门审核（确认出差真实性及费用合理性）", "role": "部门经理",
             "inputs": "《报销申请单》及附件", "outputs": "《部门审核意见表》", "duration": "≤2个工作日",
             "control_point": "对超预算费用需特别标注并说明理由"},
            {"number": "1.5", "content": "财务审核（检查票据合规性、金额准确性）", "role": "财务专员",
             "inputs": "《部门审核意见表》及附件", "outputs": "《财务审核意见表》", "duration": "≤2个工作日",
             "control_point": "不符合财税规定的票据（如不合规发票）需退回整改"},
        ],
        "related_documents": [
            {"name": "《出差申请表》", "code": "HR-FRM-001"},
            {"name": "《差旅费用标准》", "code": "HR-PO-005"},
        ],
        "revision_log": [
            {"version": "V1.0", "date": date(2023, 12, 20), "content": "初稿编写", "reason": "新建流程",
             "author": "刘洋", "reviewer": "财务经理"},
            {"version": "V1.1", "date": date(2024, 6, 15), "content": "增加“电子票据”要求",
             "reason": "根据2024年财税新规调整票据要求", "author": "刘洋", "reviewer": "HR总监"},
        ],
        "reviews": [
            {"level": "初审", "reviewer": "刘洋", "date": date(2024, 6, 16), "conclusion": "通过",
             "opinion": "票据要求已更新"},
            {"level": "复审", "reviewer": "财务部 孙丽", "date": date(2024, 6, 20), "conclusion": "通过",
             "opinion": "与财务制度一致"},
            {"level": "终审", "reviewer": "HR总监 周涛", "date": date(2024, 6, 25), "conclusion": "通过",
             "opinion": "同意发布"},
        ],
    },
}

EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "客户投诉处理流程_CRM-CS-2024-005.xlsx": ("sop", COMPLAINTS),
    "员工差旅报销流程_HR-TR-2024-012.xlsx": ("sop", TRAVEL),
}


def write_examples(folder: Path = EXAMPLES_DIR) -> list[Path]:
    """Write every example workbook into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (kind, data) in EXAMPLES.items():
        fill_template(KINDS[kind], data, folder / name)
        written.append(folder / name)
    return written


if __name__ == "__main__":
    for path in write_examples(Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLES_DIR):
        print(path)
