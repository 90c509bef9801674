"""Validation rules (SPEC §2.2): pure functions of a parsed document and its context.

Document rules apply to every kind (the version and revision-log rules live in
officeflow.version_rules, the review rules in officeflow.review_rules); step rules are
shared implementations a kind lists in its catalog, parameterised by the kind's
`step_table`, `role_columns`, … attributes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from officeflow.durations import parse_duration
from officeflow.findings import Finding, error, warning
from officeflow.folder_rules import check_folder_names
from officeflow.review_rules import PASSED as PASSED  # re-exported
from officeflow.review_rules import check_reviews
from officeflow.rulecontext import RuleContext as RuleContext  # re-exported
from officeflow.rulecontext import cells_in_error
from officeflow.rulecontext import resolved_version as resolved_version  # re-exported
from officeflow.text import normalise_label
from officeflow.version_rules import SAME_CONTENT as SAME_CONTENT  # re-exported
from officeflow.version_rules import check_revision_log, check_version
from officeflow.vocabulary import CHECKABLE_WORDS

if TYPE_CHECKING:
    from officeflow.catalog import Rule
    from officeflow.model import ParsedDocument

_MEASURABLE = re.compile(
    r"[≤≥<>＜＞%％]|\d+(?:\.\d+)?\s*(?:个)?\s*(?:工作日|小时|分钟|秒|天|日|周|月|年|次|元|项|单|人|分|件|份)"
)
# A standard cited by its code and number: GB/T 2828.1, GB 4806, ISO 9001, IEC 60601, AQL=0.65.
_STANDARD = re.compile(
    r"(?<![A-Za-z])(?:GB(?:\s*[/／]\s*[TZ])?|ISO|IEC|IATF|ASTM|JIS|EN|YY(?:\s*[/／]\s*T)?)\s*\d"
    r"|(?<![A-Za-z])AQL\s*[=＝:：]?\s*\d"
)
_STEP_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{1,3}){0,3}$")
_DOCUMENT_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$")


def is_measurable(text: str) -> bool:
    """Something one can check: a number with a unit or ≤ ≥ %, a cited standard, or a yes/no
    criterion (a gate, a match, a reject rule: vocabulary.CHECKABLE_WORDS)."""
    return bool(_MEASURABLE.search(text) or _STANDARD.search(text)
                or any(word in text for word in CHECKABLE_WORDS))


def vague_words_in(text: str, words: Iterable[str]) -> str:
    """Every vague word of `words` in `text`, quoted, in reading order (“尽快”“及时”); '' if none."""
    found = sorted((text.find(w), w) for w in dict.fromkeys(words) if w in text)
    return "".join(f"“{w}”" for _, w in found)


# ---------------------------------------------------------------- document rules


def check_doc_id(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    doc_id: str = doc.value("doc_id")
    if not doc_id:
        return
    where = doc.source.field("doc_id")
    match = re.match(ctx.settings.doc_id_pattern, doc_id)
    if match is None:
        yield error("numbering.doc-id-format",
                    f"流程编号“{doc_id}”不符合编号规则（前缀-类别-年份-序号），如 {ctx.settings.doc_id_example}。",
                    where)
        return
    effective: date | None = doc.value("effective_date")
    year = match.groupdict().get("year")
    if year and effective and int(year) > effective.year:
        yield error("numbering.doc-id-year",
                    f"流程编号中的年份 {year} 晚于生效日期的年份 {effective.year}，请核对编号或生效日期。",
                    where)


def check_related_documents(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, row in enumerate(doc.rows("related_documents")):
        code = row.code
        if not code:
            continue
        where = doc.source.cell("related_documents", index, "code")
        if not _DOCUMENT_CODE.match(code):
            yield error("numbering.document-code",
                        f"文件编号“{code}”格式不对，应为大写字母、数字和连字符，如 CRM-TAB-001。", where)
        elif code in seen:
            yield error("numbering.document-code-duplicate",
                        f"文件编号 {code} 重复（与第 {seen[code] + 1} 条相同），请核对。", where)
        seen.setdefault(code, index)


def check_basic_wording(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    for key in ("objective", "scope", "name"):
        text = doc.value(key)
        words = vague_words_in(text, ctx.settings.vague_words) if text else ""
        if words:
            yield warning("wording.vague",
                          f"“{doc.kind.field(key).label}”含模糊词{words}：请写明谁在什么时间做到什么标准。",
                          doc.source.field(key))
    objective = doc.value("objective")
    if objective and not is_measurable(objective):
        yield warning("wording.unmeasurable",
                      "流程目标没有可量化的指标：请写明数值和单位，如“24小时内响应，满意度≥90%”。",
                      doc.source.field("objective"))


DOCUMENT_RULES = (check_doc_id, check_version, check_revision_log, check_reviews,
                  check_related_documents, check_basic_wording, check_folder_names)


# ---------------------------------------------------------------- step rules (per kind)


def _step_key(number: str) -> tuple[int, ...]:
    return tuple(int(part) for part in number.split("."))


def _is_next(previous: tuple[int, ...] | None, current: tuple[int, ...]) -> bool:
    """1.2 → 1.3, 1.2 → 2 or 2.1 (next section), 1 → 1.1 (going one level deeper)."""
    if previous is None:
        return all(part == 1 for part in current)
    if current[: len(previous)] == previous and all(p == 1 for p in current[len(previous):]):
        return len(current) > len(previous)
    for depth in range(len(previous)):
        head = previous[:depth] + (previous[depth] + 1,)
        if current[: depth + 1] == head and all(p == 1 for p in current[depth + 1:]):
            return True
    return False


def step_numbering(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """Step numbers 1, 2… or 1.1, 1.2, 2.1…: no gaps, no duplicates, in order.

    A number that is blank, unreadable (a date, a formula…) or malformed has its own finding;
    it is unknown, so the next number is not called a gap after it (one mistake, one finding).
    """
    table = doc.kind.step_table
    unreadable = cells_in_error(doc)
    seen: set[tuple[int, ...]] = set()
    previous: tuple[int, ...] | None = None
    previous_text = ""
    after_unknown = False
    for index, row in enumerate(doc.rows(table)):
        number = row.number
        where = doc.source.cell(table, index, "number")
        known = bool(number) and where not in unreadable
        if known and not _STEP_NUMBER.match(number):
            yield error("numbering.step-format",
                        f"步骤编号“{number}”格式不对，应为 1、2… 或 1.1、1.2…。", where)
            known = False
        if not known:
            after_unknown = True
            continue
        key = _step_key(number)
        if key in seen:
            yield error("numbering.step-duplicate", f"步骤编号 {number} 重复，请重新编号。", where)
        elif previous is not None and key < previous:
            yield error("numbering.step-order",
                        f"步骤编号 {number} 排在 {previous_text} 之后，顺序颠倒：请按顺序排列步骤。", where)
        elif not after_unknown and not _is_next(previous, key):
            if previous is None:
                message = f"第一个步骤编号应为 1 或 1.1，这里是 {number}，请从 1 开始连续编号。"
            else:
                expected = ".".join(map(str, (*previous[:-1], previous[-1] + 1)))
                message = f"步骤编号跳号：{previous_text} 之后应为 {expected}，这里是 {number}，请连续编号。"
            yield error("numbering.step-gap", message, where)
        seen.add(key)
        previous, previous_text, after_unknown = key, number, False


def step_roles_known(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """Every responsible role is listed in 适用角色 (a warning otherwise)."""
    roles = {normalise_label(r) for r in doc.value("roles")}
    if not roles:
        return
    table = doc.kind.step_table
    for index, row in enumerate(doc.rows(table)):
        for column in doc.kind.role_columns:
            role = getattr(row, column)
            if role and normalise_label(role) not in roles:
                yield warning("roles.unknown",
                              f"责任角色“{role}”未列在适用角色中：请在基本信息的适用角色里补上，或改用已列出的角色。",
                              doc.source.cell(table, index, column))


def step_durations(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """Every duration parses into an amount (`≤30分钟`, `≤1个工作日`, `即时`…)."""
    table = doc.kind.step_table
    for index, row in enumerate(doc.rows(table)):
        for column in doc.kind.duration_columns:
            text = getattr(row, column)
            if text and parse_duration(text, ctx.settings.workday_hours) is None:
                yield warning("duration.unparsed",
                              f"无法识别时限“{text}”：请写成可度量的时长，如 ≤30分钟、≤2小时、≤1个工作日、即时。",
                              doc.source.cell(table, index, column))


def step_wording(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """No vague words in steps; control points carry a measurable target."""
    table = doc.kind.table(doc.kind.step_table)
    for index, row in enumerate(doc.rows(table.key)):
        for column in table.columns:
            text = getattr(row, column.key)
            if not isinstance(text, str) or not text:
                continue
            where = doc.source.cell(table.key, index, column.key)
            words = vague_words_in(text, ctx.settings.vague_words)
            if words:
                yield warning("wording.vague",
                              f"“{column.label}”含模糊词{words}：请写明谁在什么时间做到什么标准。", where)
            if column.key in doc.kind.measurable_columns and not is_measurable(text):
                yield warning("wording.unmeasurable",
                              f"“{column.label}”没有量化标准：请写明数值，如“响应时间≤2小时”“准确率≥95%”。",
                              where)


# ---------------------------------------------------------------- parameterised rules


def names_listed(list_field: str, columns: tuple[str, ...], table: str | None = None) -> Rule:
    """A rule: every name in `columns` of `table` (default: the step table) is listed in the
    list field `list_field` of 基本信息 (a warning otherwise; code `<list_field>.unknown`).

    `step_roles_known` does this for roles; kinds whose steps are owned by departments use
    `names_listed("departments", ("department", …))`. List columns are checked item by item.
    """

    def rule(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
        known = {normalise_label(n) for n in doc.value(list_field)}
        if not known:
            return
        label = doc.kind.field(list_field).label
        key = table or doc.kind.step_table
        spec = doc.kind.table(key)
        for index, row in enumerate(doc.rows(key)):
            for column in columns:
                value = getattr(row, column)
                names = value if isinstance(value, list) else [value] if value else []
                for name in names:
                    if normalise_label(name) not in known:
                        yield warning(f"{list_field}.unknown",
                                      f"“{spec.column(column).label}”中的“{name}”未列在{label}中："
                                      f"请在基本信息的{label}里补上，或改用已列出的名称。",
                                      doc.source.cell(key, index, column))

    rule.__name__ = rule.__qualname__ = f"names_listed_{list_field}_{table or 'steps'}"
    return rule


def measurable_column(table: str, column: str, *, blank: bool = False) -> Rule:
    """A rule: `column` of `table` holds a measurable target (warning); with `blank=True`
    an empty cell is warned about too (the target is expected on every row)."""

    def rule(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
        label = doc.kind.table(table).column(column).label
        for index, row in enumerate(doc.rows(table)):
            text = getattr(row, column)
            where = doc.source.cell(table, index, column)
            if not text:
                if blank:
                    yield warning("wording.unmeasurable",
                                  f"“{label}”未填写：请写明可量化的目标，如“响应率≥98%”“耗时缩短50%”。",
                                  where)
            elif not is_measurable(text):
                yield warning("wording.unmeasurable",
                              f"“{label}”没有量化标准：请写明数值，如“响应率≥98%”“耗时缩短50%”。",
                              where)

    rule.__name__ = rule.__qualname__ = f"measurable_{table}_{column}"
    return rule
