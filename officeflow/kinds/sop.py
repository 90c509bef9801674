"""Kind `sop` — 标准化服务流程 (seed 000): steps with role, input, output, duration, control point."""

from __future__ import annotations

from officeflow import rules
from officeflow.catalog import Field, FieldType, KindSpec, Table
from officeflow.flow.branches import next_steps  # the 后续步骤 rule (officeflow.flowchart)
from officeflow.glyph_rules import check_unsupported_chars
from officeflow.kinds.common import BASIC_FIELDS, CLOSING_TABLES

STEPS = Table(
    "steps", "流程步骤", "Process steps",
    columns=(
        Field("number", "步骤编号", "Step", FieldType.CODE, required=True,
              hint="1、2… 或 1.1、1.2、2.1…，不跳号、不重复", example="1.1", width=10, word_width=1.6, word_center=True),
        Field("content", "操作内容", "Action", required=True,
              example="接收客户投诉信息（电话、邮件、在线表单）", width=40),
        Field("role", "责任角色", "Role", required=True, hint="须列在 适用角色 中",
              example="客服专员", width=14, word_width=1.8, word_center=True),
        Field("inputs", "输入", "Input", example="客户投诉内容、联系方式", width=24, word_width=2.1),
        Field("outputs", "输出", "Output", example="《客户投诉登记表》", width=24, word_width=2.1),
        Field("duration", "耗时", "Duration", hint="如 ≤30分钟、≤2小时、≤1个工作日、即时",
              example="≤30分钟", width=14, word_width=1.7, word_center=True),
        Field("control_point", "关键控制点", "Key control point", hint="需量化，如 准确率≥95%",
              example="记录完整，分类准确", width=32, word_width=3.3),
        Field("next", "后续步骤", "Next steps",
              hint="留空为按顺序进入下一步；如 3，或 是→3；否→5，或 结束", example="", width=16,
              word_width=1.8, word_center=True),
    ),
    min_rows=1,
)

SOP = KindSpec(
    key="sop",
    label="标准化服务流程",
    fields=BASIC_FIELDS,
    tables=(STEPS, *CLOSING_TABLES),
    rules=(check_unsupported_chars, rules.step_numbering, rules.step_roles_known, rules.step_durations,
           rules.step_wording, next_steps),
    word_template="sop.docx",
    description=(
        "标准化服务流程用于把一项服务从起点到终点的操作固定下来：每个步骤写清"
        "谁（责任角色）在什么时间（耗时）做什么（操作内容），需要什么（输入）、"
        "产出什么（输出），以及需要重点监控的关键控制点。"
    ),
    role_columns=("role",),
    duration_columns=("duration",),
    measurable_columns=("control_point",),
)
