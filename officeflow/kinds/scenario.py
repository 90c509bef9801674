"""Kind `scenario` — 业务场景流程 (seed 001): steps owned by a lead department with
supporting departments, 时限, the forms of the scenario, 执行要点 and 适用场景."""

from __future__ import annotations

from dataclasses import replace

from officeflow import rules
from officeflow.catalog import Field, FieldType, KindSpec, Table
from officeflow.flow.branches import next_steps  # the 后续步骤 rule (officeflow.flowchart)
from officeflow.glyph_rules import check_unsupported_chars
from officeflow.kinds.common import BASIC_FIELDS, RELATED_DOCUMENTS, REVIEW_RECORDS, REVISION_LOG

SCENARIO_FIELD = Field(
    "scenario", "适用场景", "Scenario", required=True,
    hint="什么情况下使用本流程：业务起点到终点，如 推出新产品、新服务或新功能时",
    example="适用于企业推出新产品、新服务或新功能时，从需求提出到正式上线的全流程管理", width=40,
)

STEPS = Table(
    "steps", "流程步骤", "Process steps",
    columns=(
        Field("number", "步骤编号", "Step", FieldType.CODE, required=True,
              hint="1、2… 或 1.1、1.2、2.1…，不跳号、不重复", example="2", width=10, word_width=1.3, word_center=True),
        Field("name", "步骤名称", "Step name", required=True, hint="动宾短语，如 可行性分析",
              example="可行性分析", width=20, word_width=2.2),
        Field("department", "责任部门", "Lead department", required=True,
              hint="牵头部门，只写一个；须列在 适用部门 中", example="产品部", width=14, word_width=1.8, word_center=True),
        Field("supporting", "配合部门", "Supporting departments", FieldType.LIST,
              hint="配合部门，用顿号分隔；须列在 适用部门 中", example="技术部、财务部", width=20, word_width=2.1),
        Field("content", "操作内容", "Action", required=True,
              hint="写清做什么、怎么做、做到什么标准",
              example="从技术实现、资源投入、成本收益、市场竞争等维度分析可行性", width=40),
        Field("outputs", "输出", "Output", hint="文档或结果，作为下一环节的输入",
              example="《可行性分析报告》（含“通过/不通过”结论）", width=26,
              word_width=2.6),
        Field("duration", "时限", "Time limit", hint="如 ≤5个工作日、≤10分钟、24小时内、即时",
              example="≤5个工作日", width=16, word_width=2.2),
        Field("next", "后续步骤", "Next steps",
              hint="留空为按顺序进入下一步；如 3，或 是→3；否→5，或 结束", example="", width=16,
              word_width=1.8, word_center=True),
    ),
    min_rows=1,
)

KEY_POINTS = Table(
    "key_points", "执行要点", "Key points",
    columns=(
        Field("number", "序号", "No.", FieldType.CODE, required=True, example="1", width=8,
              word_width=1.4, word_center=True),
        Field("text", "要点", "Key point", required=True,
              hint="执行中必须注意的事项，写清做法和原因",
              example="上线前必须完成应急预案（如故障回滚、用户补偿方案），降低上线风险", width=70),
    ),
    required=False,
)

# The forms a scenario uses are its related documents: the Word section says so.
FORMS = replace(RELATED_DOCUMENTS, word=replace(RELATED_DOCUMENTS.word, title="配套表单与相关文件"))

SCENARIO = KindSpec(
    key="scenario",
    label="业务场景流程",
    fields=(*BASIC_FIELDS, SCENARIO_FIELD),
    tables=(STEPS, KEY_POINTS, FORMS, REVISION_LOG, REVIEW_RECORDS),
    rules=(check_unsupported_chars,
        rules.step_numbering,
        rules.names_listed("departments", ("department", "supporting")),
        rules.step_durations,
        rules.step_wording,
        next_steps,
    ),
    word_template="scenario.docx",
    description=(
        "业务场景流程用于把一个跨部门业务场景（如新业务上线、客户投诉处理、跨部门协作项目）"
        "从起点到终点的做法固定下来：每个步骤写清由哪个部门牵头（责任部门）、哪些部门配合、"
        "做什么（操作内容）、产出什么（输出）、多长时间内完成（时限）；配套工具表单列在"
        "「相关文件」中，执行时必须注意的事项列在「执行要点」中。"
    ),
    duration_columns=("duration",),
    # 适用场景 first: it says when the process applies at all.
    word_sections=("scenario", "objective", "scope", "steps", "key_points", "related_documents",
                   "revision_log", "reviews"),
)
