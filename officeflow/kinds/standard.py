"""Kind `standard` — 产品服务标准 (seed 002): a table of service standards with codes like
CS-001, procedure steps whose 关联标准 name those codes, optional inspection records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from officeflow import rules
from officeflow.catalog import Field, FieldType, KindSpec, Table, WordTable
from officeflow.findings import Finding, error, warning
from officeflow.flow.branches import next_steps  # the 后续步骤 rule (officeflow.flowchart)
from officeflow.glyph_rules import check_unsupported_chars
from officeflow.kinds.common import BASIC_FIELDS, CLOSING_TABLES
from officeflow.rules import RuleContext, vague_words_in

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument

STANDARD_CATEGORIES = ("基础标准", "过程标准", "结果标准")
INSPECTION_RESULTS = ("达标", "不达标")
FAILED = "不达标"
STANDARD_CODE = re.compile(r"^[A-Z]{1,5}-\d{3}$")

STANDARDS = Table(
    "standards", "服务标准", "Service standards",
    columns=(
        Field("code", "标准编号", "Standard ID", FieldType.CODE, required=True,
              hint="大写字母前缀-三位序号，如 CS-001、QL-001；不得重复", example="CS-001", width=12,
              word_width=1.6, word_center=True),
        Field("item", "服务项目", "Service item", required=True, example="售前咨询响应", width=18,
              word_width=2.1),
        Field("category", "标准类别", "Category", FieldType.ENUM, required=True,
              choices=STANDARD_CATEGORIES,
              hint="基础标准（术语、礼仪）、过程标准（操作规范）、结果标准（质量指标）",
              example="过程标准", width=12, word_width=1.6, word_center=True),
        Field("requirement", "具体要求", "Requirement", required=True,
              hint="清晰、可执行，避免“尽快”“及时”等模糊表述",
              example="客户通过电话、在线渠道咨询时，10秒内接听，30秒内响应", width=40),
        Field("department", "责任部门", "Department", hint="须列在 适用部门 中",
              example="客服部", width=12, word_width=1.6, word_center=True),
        Field("target", "达标指标", "Target", hint="可量化、可考核，如 响应率≥98%",
              example="响应率≥98%", width=18, word_width=2.2),
        Field("note", "备注", "Note", example="7×24小时", width=16, word_width=1.8),
    ),
    min_rows=1,
)

PROCEDURE = Table(
    "procedure", "操作流程", "Procedure",
    columns=(
        Field("number", "步骤编号", "Step", FieldType.CODE, required=True,
              hint="1、2… 或 1.1、1.2、2.1…，不跳号、不重复", example="1", width=10,
              word_width=1.2, word_center=True),
        Field("stage", "流程阶段", "Stage", example="接收投诉", width=12, word_width=1.7,
              word_center=True),
        Field("action", "操作步骤", "Action", required=True, example="记录投诉信息", width=18,
              word_width=2.0),
        Field("key_points", "操作要点", "Key points",
              example="详细记录客户姓名、联系方式、投诉内容、订单号，同步录入CRM系统", width=40),
        Field("role", "责任岗位", "Role", required=True, hint="须列在 适用角色 中",
              example="客服专员", width=12, word_width=1.6, word_center=True),
        Field("outputs", "输出成果", "Output", example="《投诉记录表》", width=20, word_width=2.1),
        Field("duration", "时限要求", "Time limit", hint="如 即时、30分钟内、2个工作日内",
              example="即时", width=14, word_width=1.6, word_center=True),
        Field("standards", "关联标准", "Linked standards", FieldType.LIST,
              hint="「服务标准」中的标准编号，多个用顿号分隔，如 CS-001、CS-003",
              example="CS-003", width=16, word_width=1.6, word_center=True),
        Field("next", "后续步骤", "Next steps",
              hint="留空为按顺序进入下一步；如 3，或 是→3；否→5，或 结束", example="", width=16,
              word_width=1.8, word_center=True),
    ),
    min_rows=1,
)

INSPECTIONS = Table(
    "inspections", "检查记录", "Inspection records",
    columns=(
        Field("date", "检查日期", "Date", FieldType.DATE, required=True, example="2023-10-10",
              width=12, word_width=2.0, word_center=True),
        Field("item", "检查项目", "Item", required=True, example="售前咨询响应", width=16,
              word_width=1.7),
        Field("criterion", "检查标准", "Criterion", example="30秒内响应率≥98%", width=20,
              word_width=1.9),
        Field("result", "检查结果", "Result", FieldType.ENUM, required=True,
              choices=INSPECTION_RESULTS, example="不达标", width=10, word_width=1.3,
              word_center=True),
        Field("problem", "问题描述", "Problem", example="10:00-11:00响应率仅85%", width=24),
        Field("department", "责任部门", "Department", example="客服部", width=12,
              word_width=1.4, word_center=True),
        Field("corrective_action", "整改措施", "Corrective action",
              hint="检查结果为“不达标”时必填", example="增加高峰期客服人员配置", width=24,
              word_width=2.0),
        Field("deadline", "整改时限", "Deadline", hint="日期（YYYY-MM-DD）或时限",
              example="2023-10-15", width=12, word_width=2.0, word_center=True),
        Field("verification", "验证结果", "Verification", example="达标", width=12,
              word_width=1.4, word_center=True),
    ),
    required=False,
    word=WordTable(title="服务质量监督检查记录"),
)


def _codes(doc: ParsedDocument) -> dict[str, int]:
    """Defined standard codes (first occurrence) → row index."""
    codes: dict[str, int] = {}
    for index, row in enumerate(doc.rows("standards")):
        if row.code:
            codes.setdefault(row.code.strip().upper(), index)
    return codes


def standard_codes(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """标准编号 well formed (CS-001) and unique."""
    seen: dict[str, int] = {}
    for index, row in enumerate(doc.rows("standards")):
        code = row.code
        if not code:
            continue
        where = doc.source.cell("standards", index, "code")
        if not STANDARD_CODE.match(code):
            yield error("numbering.standard-code",
                        f"标准编号“{code}”格式不对，应为大写字母前缀加三位序号，如 CS-001、QL-001。",
                        where)
        key = code.strip().upper()
        if key in seen:
            yield error("numbering.standard-code-duplicate",
                        f"标准编号 {code} 重复（与「服务标准」第 {seen[key] + 1} 条相同）：每条标准须有唯一编号。",
                        where)
        seen.setdefault(key, index)


def standards_links(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """Every 关联标准 names a 标准编号 of the 服务标准 table."""
    codes = _codes(doc)
    listed = "、".join(codes) or "（服务标准表为空）"
    for index, row in enumerate(doc.rows("procedure")):
        for code in row.standards:
            if code.strip().upper() not in codes:
                yield error("standards.link-unknown",
                            f"关联标准“{code}”不是「服务标准」中的标准编号（已定义：{listed}）："
                            "请改为已有编号，或先在「服务标准」中新增该标准。",
                            doc.source.cell("procedure", index, "standards"))


def standards_wording(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """具体要求 without vague words (the seed: avoid 尽快/及时); 达标指标 measurable."""
    for index, row in enumerate(doc.rows("standards")):
        words = vague_words_in(row.requirement, ctx.settings.vague_words) if row.requirement else ""
        if words:
            yield warning("wording.vague",
                          f"“具体要求”含模糊词{words}：请写明时限和标准，如“2小时内首次响应”。",
                          doc.source.cell("standards", index, "requirement"))


def inspection_follow_up(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """A 不达标 inspection names its corrective action (检查-整改-验证 closed loop)."""
    for index, row in enumerate(doc.rows("inspections")):
        if row.result == FAILED and not row.corrective_action:
            yield warning("inspection.no-corrective-action",
                          "检查结果为“不达标”但没有整改措施：请填写整改措施和整改时限，形成闭环。",
                          doc.source.cell("inspections", index, "corrective_action"))


STANDARD = KindSpec(
    key="standard",
    label="产品服务标准",
    fields=BASIC_FIELDS,
    tables=(STANDARDS, PROCEDURE, INSPECTIONS, *CLOSING_TABLES),
    rules=(check_unsupported_chars,
        rules.step_numbering,
        rules.step_roles_known,
        rules.step_durations,
        rules.step_wording,
        next_steps,
        standard_codes,
        standards_links,
        standards_wording,
        rules.measurable_column("standards", "target", blank=True),
        rules.names_listed("departments", ("department",), table="standards"),
        inspection_follow_up,
    ),
    word_template="standard.docx",
    description=(
        "产品服务标准用于明确服务要求并把标准落到操作上：「服务标准」逐条列出标准编号"
        "（如 CS-001）、服务项目、标准类别（基础标准/过程标准/结果标准）、具体要求、责任部门和"
        "可量化的达标指标；「操作流程」写清每一步的操作要点、责任岗位、时限要求，并在“关联标准”"
        "中引用对应的标准编号；「检查记录」（可选）记录监督检查结果及不达标项的整改与验证。"
    ),
    step_table="procedure",
    role_columns=("role",),
    duration_columns=("duration",),
)
