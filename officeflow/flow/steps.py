"""A parsed document's steps as flowchart data, whatever the kind calls its columns.

Each kind names things its own way (sop: 操作内容/责任角色/耗时/关键控制点; scenario: 步骤名称/
责任部门/配合部门/时限; standard: 操作步骤/责任岗位/流程阶段/关联标准; optimization: 步骤名称/
责任岗位/耗时 and the RACI matrix); this module reads them by catalog key so a plug-in kind
with the same columns gets a diagram too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from officeflow.catalog import KindSpec
from officeflow.durations import describe_minutes, parse_duration
from officeflow.flow.branches import END, NEXT_COLUMN, Branch, parse_next
from officeflow.model import ParsedDocument
from officeflow.text import normalise_label

_NAME_COLUMNS = ("name", "action", "content")
_LANE_COLUMNS = ("role", "department")
_TRAILING_NOTE = re.compile(r"[（(][^（）()]*[）)]\s*$")
_HANDOFF = re.compile(r"^(.+?)(?:对接|协同|配合)(.+)$")  # 客服专员对接销售/法务
_NAMES = re.compile(r"[/／、，,；;]+")


@dataclass(frozen=True)
class FlowStep:
    """One step as the diagram shows it (pure data, hashable for the cache key)."""

    number: str
    name: str  # short name (a trailing note in brackets dropped)
    full_text: str  # the whole action text, for the picture's tooltips
    lane: str
    helpers: tuple[str, ...] = ()  # lanes the work goes to (配合部门, 对接…, RACI R/C)
    time_text: str = ""
    minutes: float | None = None
    control: str = ""  # 关键控制点, '' when none
    tags: tuple[str, ...] = ()  # extra lines: A：客服经理, 标准：CS-003
    phase: str = ""  # the phase it belongs to ('' when the kind has none)
    branches: tuple[Branch, ...] = ()  # outgoing edges (linear when 后续步骤 is blank)
    decision: bool = False  # 后续步骤 named more than one target, or a condition (是→3)
    bottleneck: str = ""  # why it is a bottleneck, '' when it is not


@dataclass(frozen=True)
class Flow:
    """The steps of one document, in table order, with their phases."""

    steps: tuple[FlowStep, ...]
    phases: tuple[tuple[str, str], ...] = ()  # (phase key, label) in order
    cycle_text: str = ""  # 总流程周期, where the kind has it
    has_raci: bool = False


def _first(row: object, keys: tuple[str, ...]) -> str:
    for key in keys:
        value = getattr(row, key, None)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def short_name(text: str) -> str:
    """`接收客户投诉信息（电话、邮件、在线表单）` → `接收客户投诉信息`: the note stays in the table."""
    shorter = _TRAILING_NOTE.sub("", text).strip()
    return shorter or text


def _split_lane(role: str) -> tuple[str, tuple[str, ...]]:
    """`客服专员对接销售/法务` → (客服专员, (销售, 法务)); a plain role has no helpers."""
    role = role.strip().rstrip("*＊").strip()
    match = _HANDOFF.match(role)
    if not match:
        return role, ()
    helpers = tuple(n.strip() for n in _NAMES.split(match[2]) if n.strip())
    return match[1].strip(), helpers


def _raci(doc: ParsedDocument) -> dict[str, dict[str, str]]:
    if "raci" not in {t.key for t in doc.kind.tables}:
        return {}
    return {row.number: dict(row.extra) for row in doc.rows("raci") if row.number}


def _letters(value: str) -> set[str]:
    return {part.strip().upper() for part in value.split("/") if part.strip()}


def _raci_parts(letters: dict[str, str], lane: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(helpers: R and C roles other than the lane, tags: the A role)."""
    helpers = tuple(role for role, value in letters.items()
                    if _letters(value) & {"R", "C"} and normalise_label(role) != normalise_label(lane))
    accountable = [role for role, value in letters.items() if "A" in _letters(value)]
    return helpers, tuple(f"A：{role}" for role in accountable[:1])


def _phase_of(row: object, number: str, staged: bool, dotted: bool) -> str:
    if staged:
        return _first(row, ("stage",))
    if dotted:
        return number.split(".")[0]
    return ""


def _phases(doc: ParsedDocument, rows: list, staged: bool, dotted: bool) -> tuple[tuple[str, str], ...]:
    """Phase keys with their labels: the 流程阶段 text, or `阶段1 <name of step 1>`."""
    names = {row.number: short_name(_first(row, _NAME_COLUMNS)) for row in rows if row.number}
    phases: list[tuple[str, str]] = []
    for row in rows:
        key = _phase_of(row, row.number or "", staged, dotted)
        if key and (not phases or phases[-1][0] != key):
            label = key if staged else f"阶段{key}" + (f" {names[key]}" if key in names else "")
            phases.append((key, label))
    return tuple(phases)


def lane_columns(kind: KindSpec) -> tuple[str, ...]:
    """The step table's columns naming who does a step (a lane), most specific first."""
    try:
        columns = {col.key for col in kind.table(kind.step_table).columns}
    except KeyError:
        return ()
    return tuple(c for c in (*kind.role_columns, *_LANE_COLUMNS) if c in columns)


def has_lanes(kind: KindSpec) -> bool:
    """A swimlane diagram needs someone per step: a kind without a role column gets none."""
    return bool(lane_columns(kind))


def read_flow(doc: ParsedDocument, workday_hours: float = 8.0) -> Flow:
    """The document's steps as flowchart data (rows without a number are left out).

    A kind whose steps name nobody (no role or department column) has no flow.
    """
    kind = doc.kind
    columns = lane_columns(kind)
    if not columns:
        return Flow(())
    rows = [row for row in doc.rows(kind.step_table) if getattr(row, "number", "")]
    numbers = {row.number for row in rows}
    staged = any(_first(row, ("stage",)) for row in rows)
    dotted = any("." in row.number for row in rows)
    raci = _raci(doc)
    steps: list[FlowStep] = []
    for index, row in enumerate(rows):
        lane, helpers = _split_lane(_first(row, columns) or "（未填写）")
        supporting = getattr(row, "supporting", None) or []
        helpers = (*helpers, *supporting)
        tags: tuple[str, ...] = ()
        if row.number in raci:
            more, tags = _raci_parts(raci[row.number], lane)
            helpers = (*helpers, *more)
        standards = getattr(row, "standards", None) or []
        if standards:
            tags = (*tags, "标准：" + "、".join(standards))
        time_text = _first(row, kind.duration_columns)
        parsed = parse_duration(time_text, workday_hours) if time_text else None
        branches, _problems = parse_next(getattr(row, NEXT_COLUMN, "") or "", numbers)
        if not branches:
            following = rows[index + 1].number if index + 1 < len(rows) else END
            branches = [Branch(following)]
        full = _first(row, _NAME_COLUMNS)
        steps.append(FlowStep(
            number=row.number, name=short_name(full), full_text=full, lane=lane,
            helpers=_distinct(helpers, lane), time_text=time_text,
            minutes=parsed.minutes if parsed else None,
            control=_first(row, ("control_point",)), tags=tags,
            phase=_phase_of(row, row.number, staged, dotted),
            branches=tuple(branches), decision=len(branches) > 1 or any(b.label for b in branches),
        ))
    cycle = doc.value("cycle_time") if "cycle_time" in {f.key for f in kind.fields} else ""
    marked = mark_bottlenecks(steps, parse_duration(cycle, workday_hours) if cycle else None)
    return Flow(tuple(marked), _phases(doc, rows, staged, dotted), cycle or "", bool(raci))


def _distinct(names: tuple[str, ...] | list[str], lane: str) -> tuple[str, ...]:
    seen = {normalise_label(lane)}
    kept: list[str] = []
    for name in names:
        key = normalise_label(name)
        if name and key not in seen:
            seen.add(key)
            kept.append(name.strip())
    return tuple(kept)


def mark_bottlenecks(steps: list[FlowStep], cycle: object | None) -> list[FlowStep]:
    """Mark the step(s) with the largest share of the total time, and with 总流程周期, every step
    taking more than an even share of it (cycle ÷ steps).

    When every timed step takes the same time, none stands out and none is marked by share.
    """
    timed = [s.minutes for s in steps if s.minutes is not None]
    total = sum(timed)
    largest = max(timed, default=0.0)
    stands_out = total > 0 and len(timed) > 1 and any(m < largest for m in timed)
    share = getattr(cycle, "minutes", 0.0) / len(steps) if cycle and steps else 0.0
    marked: list[FlowStep] = []
    for step in steps:
        reasons: list[str] = []
        if step.minutes is not None and stands_out and step.minutes == largest:
            reasons.append(f"耗时占比最大（{step.minutes / total:.0%}）")
        if share and step.minutes is not None and step.minutes > share:
            reasons.append(f"超出总流程周期平均份额（{describe_minutes(share)}）")
        marked.append(replace(step, bottleneck="；".join(reasons)) if reasons else step)
    return marked

