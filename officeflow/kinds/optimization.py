"""Kind `optimization` — 流程梳理优化 (seed 003): steps, a RACI matrix, the total cycle-time
target, key risks and quantified improvement proposals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from officeflow import rules
from officeflow.catalog import Field, FieldType, KindSpec, Table, WordTable
from officeflow.durations import describe_minutes, parse_duration
from officeflow.findings import CellRef, Finding, error, warning
from officeflow.flow.branches import next_steps  # the 后续步骤 rule (officeflow.flowchart)
from officeflow.glyph_rules import check_unsupported_chars
from officeflow.kinds.common import BASIC_FIELDS, BASIC_INFO_ROWS, CLOSING_TABLES
from officeflow.rules import RuleContext
from officeflow.text import normalise_label

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument

# R 负责执行, A 批准/最终负责, C 咨询, I 知会; a role may hold two letters, such as R/A.
RACI_LETTERS = ("R", "A", "C", "I")
RACI_CHOICES = ("R", "A", "C", "I", "R/A", "R/C", "R/I", "A/C", "A/I", "C/I")

OPTIMIZATION_FIELDS = (
    *BASIC_FIELDS,
    Field("collaborating", "协同部门", "Collaborating departments", FieldType.LIST,
          hint="协同完成流程的部门，用顿号分隔", example="销售部", width=24),
    Field("supporting", "支持部门", "Supporting departments", FieldType.LIST,
          hint="提供支持的部门，用顿号分隔", example="法务部", width=24),
    Field("cycle_time", "总流程周期", "Total cycle time", required=True,
          hint="全流程最长耗时，如 ≤48小时；各步骤耗时之和不应超过它", example="≤48小时", width=16),
)

STEPS = Table(
    "steps", "流程步骤", "Process steps",
    columns=(
        Field("number", "步骤编号", "Step", FieldType.CODE, required=True,
              hint="1、2… 或 1.1、1.2、2.1…，不跳号、不重复；「责任矩阵」按此编号对应",
              example="1", width=10, word_width=1.5, word_center=True),
        Field("name", "步骤名称", "Step name", required=True, example="客户投诉接收", width=22,
              word_width=3.0),
        Field("role", "责任岗位", "Role", required=True,
              hint="每个步骤唯一对应一个责任岗位；须列在 适用角色 中", example="客服专员", width=14,
              word_width=2.0, word_center=True),
        Field("inputs", "输入", "Input", example="客户投诉信息", width=24),
        Field("outputs", "输出", "Output", example="《投诉登记表》", width=24),
        Field("duration", "耗时", "Duration", hint="每个环节的最大耗时，如 ≤15分钟、≤4小时",
              example="≤15分钟", width=12, word_width=1.8, word_center=True),
        Field("next", "后续步骤", "Next steps",
              hint="留空为按顺序进入下一步；如 3，或 是→3；否→5，或 结束", example="", width=16,
              word_width=1.8, word_center=True),
    ),
    min_rows=1,
    word=WordTable(title="关键步骤", note="cycle_time"),
)

RACI = Table(
    "raci", "责任矩阵", "RACI matrix",
    columns=(
        Field("number", "步骤编号", "Step", FieldType.CODE, required=True,
              hint="与「流程步骤」的步骤编号一一对应", example="1", width=10,
              word_width=1.0, word_center=True),
    ),
    extra_columns=Field(
        "role", "角色 (RACI)", "Role", FieldType.ENUM, choices=RACI_CHOICES,
        hint="表头写角色名称（须列在 适用角色 中），单元格填 R 负责、A 批准、C 咨询、I 知会，"
             "可组合如 R/A；每个步骤有且只有一个 A，至少一个 R",
        example="R", width=10, word_center=True,
    ),
    min_rows=1,
    # In Word: 步骤编号 and the step's 步骤名称 (1 : 3), then one column per role.
    word=WordTable(title="责任矩阵（RACI）", lookup=("steps", "name"),
                   legend="R 负责执行　A 批准/最终负责　C 咨询　I 知会"),
)

RISKS = Table(
    "risks", "风险与优化", "Risks and improvements", title="关键风险点",
    columns=(
        Field("number", "序号", "No.", FieldType.CODE, required=True, example="1", width=8,
              word_width=1.4, word_center=True),
        Field("risk", "风险描述", "Risk", required=True,
              hint="具体写明风险及其后果，如“客户信息不全导致处理延误”而非“信息问题”",
              example="客户信息不全导致处理延误", width=36),
        Field("measure", "应对措施", "Measure", example="登记时按必填项清单核对客户信息", width=36),
    ),
    required=True,
)

PROPOSALS = Table(
    "proposals", "风险与优化", "Risks and improvements", title="优化建议",
    columns=(
        Field("number", "序号", "No.", FieldType.CODE, required=True, example="1", width=8,
              word_width=1.4, word_center=True),
        Field("proposal", "建议内容", "Proposal", required=True,
              example="在官网开通投诉自助提交入口", width=36),
        Field("effect", "预期效果", "Expected effect", hint="需量化，如 预计缩短步骤1耗时50%",
              example="减少人工登记耗时，预计缩短步骤1耗时50%", width=36),
    ),
    required=True,
)


def _letters(value: str) -> set[str]:
    return {part.strip().upper() for part in value.split("/") if part.strip()}


def raci_matrix(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """Each RACI row: a known step, exactly one A, at least one R; each step has a row."""
    steps: dict[str, int] = {}
    for index, row in enumerate(doc.rows("steps")):
        if row.number:
            steps.setdefault(row.number, index)
    seen: dict[str, int] = {}
    # Without role columns no row can have an A or R: raci_roles says that once (raci.no-roles).
    has_roles = bool(doc.source.extra_headers.get("raci"))
    for index, row in enumerate(doc.rows("raci")):
        number = row.number
        if not number:
            continue
        where = doc.source.cell("raci", index, "number")
        if number not in steps:
            yield error("raci.unknown-step",
                        f"责任矩阵中的步骤编号 {number} 在「流程步骤」中不存在：请改为已有的步骤编号，或删除该行。",
                        where)
        if number in seen:
            yield error("raci.duplicate-row",
                        f"步骤 {number} 在责任矩阵中出现了两次：每个步骤只能有一行，请合并。", where)
            continue
        seen[number] = index
        if has_roles:
            yield from _raci_letters(number, row.extra, where)
    if doc.source.table("raci") is None:
        return  # the sheet is missing: reported once by the reader
    for number, index in steps.items():
        if number not in seen:
            yield error("raci.missing-row",
                        f"步骤 {number} 在「责任矩阵」中没有对应行：请在责任矩阵中新增该步骤并分配 R、A、C、I。",
                        doc.source.cell("steps", index, "number"))


def _raci_letters(number: str, roles: dict[str, str], where: CellRef | None) -> Iterator[Finding]:
    """One RACI row's letters (role → R/A/C/I): exactly one A, at least one R."""
    accountable = [role for role, value in roles.items() if "A" in _letters(value)]
    responsible = [role for role, value in roles.items() if "R" in _letters(value)]
    if not accountable:
        yield error("raci.accountable",
                    f"步骤 {number} 没有 A（批准/最终负责）角色：每个步骤须有且只有一个 A，请在对应角色列填写 A 或 R/A。",
                    where)
    elif len(accountable) > 1:
        yield error("raci.accountable",
                    f"步骤 {number} 有 {len(accountable)} 个 A（{'、'.join(accountable)}）："
                    "每个步骤须有且只有一个最终负责角色，请只保留一个 A。",
                    where)
    if not responsible:
        yield error("raci.responsible",
                    f"步骤 {number} 没有 R（负责执行）角色：请至少为一个角色填写 R 或 R/A。", where)


def raci_roles(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """Every role column header of the RACI matrix names a role of 适用角色.

    An error, not a warning like an unlisted 责任岗位: the matrix is the document's
    assignment of accountability, and a misspelt or unlisted role column means a letter
    (possibly the only A) is given to nobody the document defines.
    """
    headers = doc.source.extra_headers.get("raci", {})
    table = doc.source.table("raci")
    if table is not None and doc.rows("raci") and not headers:
        yield error("raci.no-roles",
                    "责任矩阵没有角色列：请在步骤编号右侧的表头单元格逐列填写角色名称。", table)
        return
    roles = {normalise_label(r) for r in doc.value("roles")}
    for header, where in headers.items():
        if normalise_label(header) not in roles:
            listed = "、".join(doc.value("roles")) or "（适用角色为空）"
            yield error("raci.unknown-role",
                        f"责任矩阵的角色列“{header}”未列在适用角色中（{listed}）：请改为已列出的角色，"
                        "或在基本信息的适用角色里补上。",
                        where)


def cycle_time(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """The steps' 耗时 add up to no more than 总流程周期 (a warning with the sum otherwise)."""
    text = doc.value("cycle_time")
    if not text:
        return
    where = doc.source.field("cycle_time")
    limit = parse_duration(text, ctx.settings.workday_hours)
    if limit is None:
        yield warning("duration.unparsed",
                      f"无法识别总流程周期“{text}”：请写成可度量的时长，如 ≤48小时、≤3个工作日。", where)
        return
    total, unparsed = 0.0, 0
    for row in doc.rows("steps"):
        parsed = parse_duration(row.duration, ctx.settings.workday_hours) if row.duration else None
        if parsed is None:
            unparsed += 1
        else:
            total += parsed.minutes
    if total > limit.minutes:
        note = f"（另有 {unparsed} 个步骤耗时未填或无法识别，未计入）" if unparsed else ""
        yield warning("duration.cycle-exceeded",
                      f"各步骤耗时合计 {describe_minutes(total)}{note}，超过总流程周期“{text}”"
                      f"（{describe_minutes(limit.minutes)}）：请压缩步骤耗时，或调整总流程周期。",
                      where)


OPTIMIZATION = KindSpec(
    key="optimization",
    label="流程梳理优化",
    fields=OPTIMIZATION_FIELDS,
    tables=(STEPS, RACI, RISKS, PROPOSALS, *CLOSING_TABLES),
    rules=(check_unsupported_chars,
        rules.step_numbering,
        rules.step_roles_known,
        rules.step_durations,
        rules.step_wording,
        next_steps,
        raci_matrix,
        raci_roles,
        cycle_time,
        rules.measurable_column("proposals", "effect", blank=True),
    ),
    word_template="optimization.docx",
    description=(
        "流程梳理优化用于把梳理、优化后的目标流程固化下来：「流程步骤」按时间顺序写清每个步骤的"
        "责任岗位、输入/输出和最大耗时，各步骤耗时之和不超过“总流程周期”；「责任矩阵」（RACI）"
        "为每个步骤分配 R 负责执行、A 批准/最终负责、C 咨询、I 知会，每个步骤有且只有一个 A、"
        "至少一个 R；「风险与优化」列出具体的关键风险点及应对措施，以及量化的优化建议"
        "（如“将3级审批改为2级，预计缩短耗时50%”）。"
    ),
    role_columns=("role",),
    duration_columns=("duration",),
    word_info_rows=(*BASIC_INFO_ROWS[:4], ("collaborating", "supporting"), *BASIC_INFO_ROWS[4:],
                    ("cycle_time",)),
)
