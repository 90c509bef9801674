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


def _reviews(first: date, second: date, final: date, *names: str) -> list[dict[str, Any]]:
    """初审/复审/终审, all 通过, on the given dates (before the effective date)."""
    opinions = ("步骤完整，职责清晰", "相关部门会签确认，接口明确", "同意发布")
    return [{"level": level, "reviewer": name, "date": day, "conclusion": "通过", "opinion": opinion}
            for level, name, day, opinion in zip(("初审", "复审", "终审"), names,
                                                 (first, second, final), opinions, strict=True)]


SCENARIO_ROLES = ["流程负责人", "执行人", "监督人"]

# Seed 001, 场景一: 新业务上线流程规范.
NEW_BUSINESS: dict[str, Any] = {
    "fields": {
        "name": "新业务上线流程规范",
        "doc_id": "PRD-NB-2024-001",
        "version": "V1.0",
        "effective_date": date(2024, 5, 1),
        "category": "业务运营类",
        "department": "产品部",
        "departments": ["市场部", "产品部", "技术部", "财务部", "客服部"],
        "roles": SCENARIO_ROLES,
        "owner": "周凯",
        "objective": "新业务从需求提出到正式上线≤29个工作日，上线后≤7个工作日完成效果评估，"
                     "流程节点按时完成率≥95%",
        "scope": "适用于企业推出新产品、新服务或新功能的全流程管理；不适用于既有功能的缺陷修复",
        "scenario": "适用于企业推出新产品、新服务或新功能时，从需求提出到正式上线的全流程管理，"
                    "保证业务落地有序、风险可控。",
    },
    "tables": {
        "steps": [
            {"number": "1", "name": "需求提出与初步评估", "department": "市场部", "supporting": ["产品部"],
             "content": "收集市场/用户需求，填写《新业务需求申请表》，明确业务目标、核心功能、预期效益",
             "outputs": "《新业务需求申请表》", "duration": "需求收集≤3个工作日"},
            {"number": "2", "name": "可行性分析", "department": "产品部", "supporting": ["技术部", "财务部"],
             "content": "从技术实现、资源投入、成本收益、市场竞争等维度分析可行性，输出《可行性分析报告》",
             "outputs": "《可行性分析报告》（含“通过/不通过”结论）", "duration": "≤5个工作日"},
            {"number": "3", "name": "方案评审与审批", "department": "产品部",
             "supporting": ["技术部", "市场部", "财务部"],
             "content": "产品部组织分管领导及技术部、市场部、财务部评审业务方案、技术方案、资源预算，"
                        "评审通过后由分管领导签字确认",
             "outputs": "《新业务上线方案评审表》（含参会人员签字）", "duration": "≤3个工作日"},
            {"number": "4", "name": "资源调配与开发测试", "department": "技术部",
             "supporting": ["产品部", "市场部"],
             "content": "根据方案分配开发、测试资源，完成功能开发、内部测试、用户验收测试（UAT）",
             "outputs": "《测试报告》《用户验收确认函》", "duration": "按业务复杂度确定，≤15个工作日"},
            {"number": "5", "name": "上线准备与正式发布", "department": "技术部",
             "supporting": ["市场部", "客服部"],
             "content": "制定上线计划（含时间、人员、应急预案），完成环境部署、数据准备；市场部准备宣传物料，"
                        "客服部培训话术；正式上线后监控运行状态",
             "outputs": "《上线计划表》《上线确认函》", "duration": "上线准备≤3个工作日"},
            {"number": "6", "name": "效果评估与归档", "department": "市场部", "supporting": ["产品部"],
             "content": "上线后1周内收集用户反馈、数据表现（如用户量、转化率），输出《新业务上线效果评估报告》；"
                        "同步归档流程文档",
             "outputs": "《新业务上线效果评估报告》、完整项目档案", "duration": "上线后≤7个工作日"},
        ],
        "key_points": [
            {"number": "1", "text": "需求提出需避免“大而全”，聚焦核心价值，优先实现MVP（最小可行产品）。"},
            {"number": "2", "text": "可行性分析需技术、财务共同参与，避免资源投入与产出不匹配。"},
            {"number": "3", "text": "上线前必须完成应急预案（如故障回滚、用户补偿方案），降低上线风险。"},
            {"number": "4", "text": "效果评估需量化指标（如DAU、留存率），避免主观判断。"},
        ],
        "related_documents": [
            {"name": "表1《新业务需求申请表》", "code": "PRD-TAB-001"},
            {"name": "表2《新业务上线方案评审表》", "code": "PRD-TAB-002"},
        ],
        "revision_log": [
            {"version": "V1.0", "date": date(2024, 4, 8), "content": "初稿编写，固化新业务上线六个步骤",
             "reason": "新建流程：新业务上线缺少统一规范", "author": "周凯", "reviewer": "产品总监"},
        ],
        "reviews": _reviews(date(2024, 4, 10), date(2024, 4, 16), date(2024, 4, 22),
                            "周凯", "技术部 吴磊、财务部 郑洁", "分管副总 冯涛"),
    },
}

# Seed 001, 场景二: 客户投诉处理流程规范.
SCENARIO_COMPLAINTS: dict[str, Any] = {
    "fields": {
        "name": "客户投诉处理流程规范",
        "doc_id": "CS-CP-2024-002",
        "version": "V1.0",
        "effective_date": date(2024, 6, 1),
        "category": "客户服务类",
        "department": "客服部",
        "departments": ["客服部", "产品部", "运营部"],
        "roles": SCENARIO_ROLES,
        "owner": "何丽",
        "objective": "投诉≤10分钟响应，一般投诉≤3个工作日、重大投诉≤5个工作日给出处理方案，"
                     "客户满意度≥90分",
        "scope": "适用于客户通过电话、在线客服、邮件提出的产品、服务及售后投诉",
        "scenario": "适用于客户对企业产品、服务或售后体验不满时，从投诉受理到问题解决及闭环的全流程管理，"
                    "提升客户满意度，维护企业品牌形象。",
    },
    "tables": {
        "steps": [
            {"number": "1", "name": "投诉接收与登记", "department": "客服部",
             "content": "统一入口（电话/在线客服/邮件）接收投诉，记录投诉人信息、问题描述、诉求，"
                        "填写《客户投诉登记表》，生成唯一投诉编号",
             "outputs": "《客户投诉登记表》", "duration": "即时响应（≤10分钟），24小时内完成登记"},
            {"number": "2", "name": "投诉分类与分级", "department": "客服部",
             "content": "按问题类型（产品质量、服务态度、物流延迟等）分级：一般投诉影响单一客户、可快速解决；"
                        "重大投诉影响客户体验或企业声誉，需多部门协同",
             "outputs": "《投诉分类分级结果》", "duration": "≤1个工作日"},
            {"number": "3", "name": "责任部门指派与处理", "department": "客服部", "supporting": ["产品部", "运营部"],
             "content": "客服部按问题类型指派责任部门（产品问题→产品部，服务问题→运营部）；责任部门在时限内"
                        "制定解决方案并同步客服部，客服部向客户告知处理进度",
             "outputs": "《投诉处理方案》", "duration": "一般投诉≤3个工作日，重大投诉≤5个工作日"},
            {"number": "4", "name": "方案执行与客户确认", "department": "产品部",
             "supporting": ["运营部", "客服部"],
             "content": "责任部门（产品问题为产品部，服务问题为运营部）实施解决方案（如退款、换货、补偿、问题修复），"
                        "客服部协助联系客户确认处理结果，获取满意度反馈（满意/基本满意/不满意）",
             "outputs": "《客户处理确认函》", "duration": "方案执行后≤2个工作日内完成客户确认"},
            {"number": "5", "name": "闭环归档与复盘", "department": "客服部", "supporting": ["产品部", "运营部"],
             "content": "客服部归档投诉全流程文档；责任部门分析投诉原因，提出改进措施（如优化产品功能、加强员工培训）",
             "outputs": "《投诉处理归档表》《改进措施报告》", "duration": "每月5日前完成上月投诉复盘"},
        ],
        "key_points": [
            {"number": "1", "text": "投诉接收实行“首问负责制”，避免客户被多次转介；重大投诉需升级至部门负责人及分管领导。"},
            {"number": "2", "text": "分类分级需标准明确，避免因主观判断导致处理延误。"},
            {"number": "3", "text": "处理进度需主动同步客户（如每2天告知一次），避免客户因“失联”加剧不满。"},
            {"number": "4", "text": "复盘需聚焦根本原因（如80%的物流延迟是否因合作快递公司效率低），而非简单追责。"},
        ],
        "related_documents": [
            {"name": "表3《客户投诉登记表》", "code": "CS-TAB-003"},
            {"name": "表4《客户满意度回访表》", "code": "CS-TAB-004"},
        ],
        "revision_log": [
            {"version": "V1.0", "date": date(2024, 5, 6), "content": "初稿编写，明确投诉分级与指派规则",
             "reason": "新建流程：投诉处理时限不统一", "author": "何丽", "reviewer": "客服总监"},
        ],
        "reviews": _reviews(date(2024, 5, 8), date(2024, 5, 14), date(2024, 5, 20),
                            "何丽", "产品部 钱波、运营部 孔敏", "分管副总 冯涛"),
    },
}

# Seed 001, 场景三: 跨部门协作项目推进流程规范.
CROSS_PROJECT: dict[str, Any] = {
    "fields": {
        "name": "跨部门协作项目推进流程规范",
        "doc_id": "PMO-PJ-2024-003",
        "version": "V1.0",
        "effective_date": date(2024, 6, 15),
        "category": "项目管理类",
        "department": "市场部",
        "departments": ["市场部", "战略部", "设计部", "技术部", "运营管理部"],
        "roles": SCENARIO_ROLES,
        "owner": "孙伟",
        "objective": "项目节点按时完成率≥95%，部门满意度≥90分，流程执行违规≤2次/季度",
        "scope": "适用于涉及两个及以上部门共同完成的复杂任务（如大型市场活动、系统升级、战略落地）",
        "scenario": "适用于涉及多个部门共同完成的复杂任务（如大型市场活动、系统升级、战略落地等），"
                    "保证目标对齐、分工明确、进度可控。",
    },
    "tables": {
        "steps": [
            {"number": "1", "name": "项目立项与目标对齐", "department": "市场部", "supporting": ["战略部"],
             "content": "明确项目背景、目标（如Q3实现销售额增长20%）、范围、时间节点，组织相关部门对齐目标，"
                        "确认参与意愿",
             "outputs": "《项目立项申请表》《项目目标对齐会议纪要》", "duration": "≤3个工作日"},
            {"number": "2", "name": "跨部门组队与任务分解", "department": "市场部",
             "supporting": ["设计部", "技术部"],
             "content": "成立项目组，明确组长（由发起部门负责人担任）、各部门接口人；将项目目标拆解为可执行的任务",
             "outputs": "《项目组架构表》《项目任务清单》（含任务名称、责任部门、交付标准、时限）",
             "duration": "≤2个工作日"},
            {"number": "3", "name": "进度同步与风险预警", "department": "市场部",
             "supporting": ["设计部", "技术部"],
             "content": "项目组长牵头每周召开项目例会，各部门汇报任务进度、问题及需协调资源；"
                        "对潜在风险（如延期、资源不足）提前预警，制定应对措施",
             "outputs": "《项目周报》《风险预警及应对表》", "duration": "例会每周1次，周报24小时内同步"},
            {"number": "4", "name": "成果验收与复盘", "department": "市场部",
             "supporting": ["运营管理部", "设计部", "技术部"],
             "content": "项目节点到期后责任部门提交成果；项目组对照《项目任务清单》组织验收；验收通过后召开复盘会，"
                        "总结经验教训",
             "outputs": "《项目成果验收表》《项目复盘报告》", "duration": "验收≤2个工作日，复盘≤3个工作日"},
        ],
        "key_points": [
            {"number": "1", "text": "项目组长需具备统筹协调能力，避免因“多头管理”导致指令混乱。"},
            {"number": "2", "text": "任务分解遵循SMART原则（具体、可衡量、可实现、相关性、时限性），每项任务写明截止日期。"},
            {"number": "3", "text": "进度同步需“可视化”（如用甘特图展示），保证所有成员实时掌握项目状态。"},
            {"number": "4", "text": "复盘需“对事不对人”，重点分析流程问题（如跨部门沟通成本高）而非个人责任。"},
        ],
        "related_documents": [
            {"name": "表5《项目任务清单》", "code": "PMO-TAB-005"},
            {"name": "表6《项目风险预警及应对表》", "code": "PMO-TAB-006"},
        ],
        "revision_log": [
            {"version": "V1.0", "date": date(2024, 5, 20), "content": "初稿编写，固化立项、组队、同步、验收四个步骤",
             "reason": "新建流程：跨部门项目职责边界模糊", "author": "孙伟", "reviewer": "战略部经理"},
        ],
        "reviews": _reviews(date(2024, 5, 22), date(2024, 5, 28), date(2024, 6, 3),
                            "孙伟", "运营管理部 梁静", "总经理 韩东"),
    },
}

# Seed 002: 产品服务标准明细表, 客户投诉处理操作流程, 服务质量监督检查记录表.
SERVICE_STANDARDS: dict[str, Any] = {
    "fields": {
        "name": "产品服务标准与客户投诉处理操作流程",
        "doc_id": "QM-ST-2024-001",
        "version": "V1.0",
        "effective_date": date(2024, 1, 15),
        "category": "质量管理类",
        "department": "质量管理部",
        "departments": ["客服部", "仓储部", "技术部", "质量管理部"],
        "roles": ["客服专员", "客服主管", "技术专员", "运营总监"],
        "owner": "陈晨",
        "objective": "核心服务标准达标率≥95%，投诉一次性解决率≥90%，24小时内给出解决方案",
        "scope": "适用于售前咨询、产品交付、技术方案及客户投诉处理等服务环节；试点期间的检查记录一并归档",
    },
    "tables": {
        "standards": [
            {"code": "CS-001", "item": "售前咨询响应", "category": "过程标准",
             "requirement": "客户通过电话、在线渠道咨询时，10秒内接听，30秒内响应", "department": "客服部",
             "target": "响应率≥98%", "note": "7×24小时"},
            {"code": "CS-002", "item": "产品交付时效", "category": "结果标准",
             "requirement": "标准订单需在客户付款后3个工作日内完成发货，并提供物流单号", "department": "仓储部",
             "target": "准时交付率≥95%"},
            {"code": "CS-003", "item": "投诉解决率", "category": "结果标准",
             "requirement": "客户投诉需在24小时内给出解决方案，5个工作日内完成问题处理并回访客户",
             "department": "客服部", "target": "一次性解决率≥90%"},
            {"code": "QL-001", "item": "技术方案准确性", "category": "基础标准",
             "requirement": "技术方案需包含产品参数、实施步骤、风险预案，经技术负责人审核无误后提交客户",
             "department": "技术部", "target": "方案通过率≥100%"},
        ],
        "procedure": [
            {"number": "1", "stage": "接收投诉", "action": "记录投诉信息",
             "key_points": "详细记录客户姓名、联系方式、投诉内容、订单号，同步录入CRM系统", "role": "客服专员",
             "outputs": "《投诉记录表》", "duration": "即时", "standards": ["CS-003"]},
            {"number": "2", "stage": "问题分类", "action": "判断投诉类型",
             "key_points": "按产品质量、服务态度、交付延迟等分类，明确优先级（紧急/一般）", "role": "客服主管",
             "outputs": "《投诉分类表》", "duration": "30分钟内"},
            {"number": "3", "stage": "处理执行", "action": "分派至责任部门",
             "key_points": "紧急投诉直接上报运营总监，一般投诉分派至对应责任部门（如质量问题分派技术部）",
             "role": "客服主管", "outputs": "《投诉分派单》", "duration": "1小时内"},
            {"number": "4", "stage": "解决方案", "action": "制定并确认解决方案",
             "key_points": "责任部门24小时内制定方案，与客户沟通确认，客服专员同步跟踪进度", "role": "技术专员",
             "outputs": "《解决方案确认书》", "duration": "24小时内", "standards": ["CS-003"]},
            {"number": "5", "stage": "回访验证", "action": "客户回访与满意度评价",
             "key_points": "问题解决后2个工作日内回访客户，了解满意度，记录评价结果", "role": "客服专员",
             "outputs": "《投诉处理回访记录表》", "duration": "2个工作日内", "standards": ["CS-003"]},
        ],
        "inspections": [
            {"date": date(2023, 10, 10), "item": "售前咨询响应", "criterion": "30秒内响应率≥98%",
             "result": "不达标", "problem": "10:00-11:00响应率仅85%", "department": "客服部",
             "corrective_action": "增加高峰期客服人员配置", "deadline": "2023-10-15", "verification": "达标"},
            {"date": date(2023, 10, 12), "item": "产品交付时效", "criterion": "准时交付率≥95%",
             "result": "达标", "problem": "抽查20单，准时交付19单", "department": "仓储部",
             "corrective_action": "无"},
            {"date": date(2023, 10, 15), "item": "技术方案准确性", "criterion": "方案通过率≥100%",
             "result": "不达标", "problem": "订单2023101501方案未通过客户审核", "department": "技术部",
             "corrective_action": "增加方案交叉评审环节", "deadline": "2023-10-20", "verification": "达标"},
        ],
        "related_documents": [
            {"name": "《产品服务标准手册》", "code": "QM-MAN-001"},
            {"name": "《投诉记录表》", "code": "QM-TAB-001"},
            {"name": "《服务质量检查报告》", "code": "QM-TAB-002"},
            {"name": "《整改通知书》", "code": "QM-TAB-003"},
        ],
        "revision_log": [
            {"version": "V1.0", "date": date(2023, 12, 18),
             "content": "首次发布：4项服务标准、客户投诉处理操作流程及试点检查记录",
             "reason": "新建标准：服务质量波动大、标准不统一", "author": "陈晨", "reviewer": "质量总监"},
        ],
        "reviews": _reviews(date(2023, 12, 20), date(2023, 12, 27), date(2024, 1, 5),
                            "陈晨", "客服部 何丽、技术部 吴磊、仓储部 马骏", "总经理 韩东"),
    },
}

# Seed 003: 企业客户投诉处理流程 (CSC-2024-001) with its RACI matrix. The seed's RACI gives
# steps 4 and 5 no A (客户/客服主管 are I only); 客服主管 is made the A of both here.
RACI_ROLES = ["客服专员", "客服主管", "客服经理", "销售", "法务", "客户"]
ENTERPRISE_COMPLAINTS: dict[str, Any] = {
    "fields": {
        "name": "企业客户投诉处理流程",
        "doc_id": "CSC-2024-001",
        "version": "V1.0",
        "effective_date": date(2024, 3, 1),
        "category": "客户服务类",
        "department": "客户服务部",
        "departments": ["客户服务部", "销售部", "法务部"],
        "roles": RACI_ROLES,
        "owner": "李明（客户服务部经理）",
        "objective": "24小时内响应客户投诉，48小时内解决并反馈客户，满意度≥90%",
        "scope": "所有客户通过电话、邮件、官网提交的产品质量、服务态度类投诉",
        "collaborating": ["销售部"],
        "supporting": ["法务部"],
        "cycle_time": "≤48小时",
    },
    "tables": {
        "steps": [
            {"number": "1", "name": "客户投诉接收", "role": "客服专员", "inputs": "客户投诉信息",
             "outputs": "《投诉登记表》", "duration": "≤15分钟"},
            {"number": "2", "name": "投诉分类与初步判定", "role": "客服主管", "inputs": "《投诉登记表》",
             "outputs": "投诉类型（质量/服务）及优先级", "duration": "≤30分钟"},
            {"number": "3", "name": "跨部门协同处理", "role": "客服专员", "inputs": "投诉类型及优先级",
             "outputs": "处理方案", "duration": "≤4小时"},
            {"number": "4", "name": "结果反馈与客户确认", "role": "客服专员", "inputs": "处理方案",
             "outputs": "《客户满意度回访表》", "duration": "≤1小时"},
            {"number": "5", "name": "流程关闭归档", "role": "客服专员", "inputs": "《客户满意度回访表》",
             "outputs": "投诉档案", "duration": "≤30分钟"},
        ],
        "raci": [
            {"number": "1", "extra": {"客服专员": "R", "客服主管": "A"}},
            {"number": "2", "extra": {"客服主管": "R", "客服经理": "A"}},
            {"number": "3", "extra": {"客服专员": "C", "客服经理": "A", "销售": "R", "法务": "R"}},
            {"number": "4", "extra": {"客服专员": "R", "客服主管": "A", "客户": "I"}},
            {"number": "5", "extra": {"客服专员": "R", "客服主管": "A"}},
        ],
        "risks": [
            {"number": "1", "risk": "客户信息不全导致处理延误",
             "measure": "登记时按必填项清单核对客户信息，缺项≤15分钟内回拨补全"},
            {"number": "2", "risk": "跨部门响应不及时影响方案制定",
             "measure": "明确跨部门SLA，销售/法务≤2小时反馈，超时升级客服经理"},
            {"number": "3", "risk": "处理结果未达客户预期引发二次投诉",
             "measure": "方案执行前与客户确认，二次投诉由客服经理直接跟进"},
        ],
        "proposals": [
            {"number": "1", "proposal": "在官网开通投诉自助提交入口",
             "effect": "减少人工登记耗时，预计缩短步骤1耗时50%"},
            {"number": "2", "proposal": "建立销售-客服快速响应群，明确跨部门SLA",
             "effect": "跨部门反馈≤2小时"},
            {"number": "3", "proposal": "增加“客户补偿方案”审批权限",
             "effect": "≤5000元的补偿由客服经理直接审批，减少1级审批"},
        ],
        "related_documents": [
            {"name": "《投诉登记表》", "code": "CSC-TAB-001"},
            {"name": "《客户满意度回访表》", "code": "CSC-TAB-002"},
        ],
        "revision_log": [
            {"version": "V1.0", "date": date(2024, 2, 5), "content": "首次发布：梳理五个关键步骤及RACI责任矩阵",
             "reason": "流程梳理优化：投诉处理周期由48小时以上压缩至48小时内", "author": "李明",
             "reviewer": "客户服务部总监"},
        ],
        "reviews": _reviews(date(2024, 2, 7), date(2024, 2, 14), date(2024, 2, 21),
                            "李明", "业务代表 张华、IT支持 王芳", "运营副总 赵刚"),
    },
}

EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "客户投诉处理流程_CRM-CS-2024-005.xlsx": ("sop", COMPLAINTS),
    "员工差旅报销流程_HR-TR-2024-012.xlsx": ("sop", TRAVEL),
    "新业务上线流程规范_PRD-NB-2024-001.xlsx": ("scenario", NEW_BUSINESS),
    "客户投诉处理流程规范_CS-CP-2024-002.xlsx": ("scenario", SCENARIO_COMPLAINTS),
    "跨部门协作项目推进流程规范_PMO-PJ-2024-003.xlsx": ("scenario", CROSS_PROJECT),
    "产品服务标准与客户投诉处理操作流程_QM-ST-2024-001.xlsx": ("standard", SERVICE_STANDARDS),
    "企业客户投诉处理流程_CSC-2024-001.xlsx": ("optimization", ENTERPRISE_COMPLAINTS),
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
