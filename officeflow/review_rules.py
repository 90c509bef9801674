"""Review rules: rounds of 初审/复审/终审, the approver, separation of duties.

A level may hold several rounds (终审 不通过, then after the fixes 终审 通过). The latest
round of each level (by date, then row order) decides; earlier rounds stay in the workbook
and in the document's 审核记录 as the evidence they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from officeflow.findings import Finding, Severity, error, warning
from officeflow.rulecontext import RuleContext, cells_in_error, table_read
from officeflow.text import normalise_label
from officeflow.vocabulary import PASSED as PASSED  # re-exported

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument


def _round_key(item: tuple[int, Any]) -> tuple[date, int]:
    index, row = item
    return (row.date or date.min, index)


def deciding_rounds(doc: ParsedDocument, levels: list[str]) -> dict[str, tuple[int, Any]]:
    """Level → (row index, row) of its latest round; levels without a row are left out."""
    rows = list(enumerate(doc.rows("reviews")))
    deciding: dict[str, tuple[int, Any]] = {}
    for level in levels:
        at_level = [item for item in rows if item[1].level == level]
        if at_level:
            deciding[level] = max(at_level, key=_round_key)
    return deciding


def approver(doc: ParsedDocument, levels: list[str]) -> str:
    """Who signed the latest passing round of the last review level (终审)."""
    final = levels[-1] if levels else ""
    passed = [(i, r) for i, r in enumerate(doc.rows("reviews"))
              if r.level == final and r.conclusion == PASSED and r.reviewer]
    return max(passed, key=_round_key)[1].reviewer if passed else ""


def check_reviews(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    if not table_read(doc, "reviews"):
        return  # no sheet or no header row: said once by the reader, the records are unknown
    levels = ctx.settings.review_levels
    deciding = deciding_rounds(doc, levels)
    unreadable = cells_in_error(doc)
    # A row whose 审核级别 has its own finding (a typo, blank) may be the level that looks missing.
    unknown_level = any(doc.source.cell("reviews", i, "level") in unreadable
                        for i in range(len(doc.rows("reviews"))))
    last_date: date | None = None
    last_level = ""
    for level in levels:
        if level not in deciding:
            if unknown_level:
                continue
            yield error("review.missing", f"缺少“{level}”记录：{'、'.join(levels)}均须通过后才能发布。",
                        doc.source.table("reviews"))
            continue
        index, row = deciding[level]
        if row.conclusion and row.conclusion != PASSED:
            yield error("review.not-passed",
                        f"{level}结论为“{row.conclusion}”：审核未通过的流程不能发布，请修改后重新审核。",
                        doc.source.cell("reviews", index, "conclusion"))
        if row.date and last_date and row.date < last_date:
            yield error("review.date-order",
                        f"{level}日期 {row.date:%Y-%m-%d} 早于{last_level}日期 {last_date:%Y-%m-%d}，审核应逐级进行。",
                        doc.source.cell("reviews", index, "date"))
        if row.date:
            last_date, last_level = row.date, level
    effective: date | None = doc.value("effective_date")
    if last_date and effective and last_date > effective:
        yield warning("review.after-effective",
                      f"{last_level}日期 {last_date:%Y-%m-%d} 晚于生效日期 {effective:%Y-%m-%d}：应先批准后生效。",
                      doc.source.field("effective_date"))
    yield from _self_approval(doc, ctx, deciding)


def _self_approval(doc: ParsedDocument, ctx: RuleContext,
                   deciding: dict[str, tuple[int, Any]]) -> Iterator[Finding]:
    """Every level signed by the 流程负责人 himself on one day: nobody else looked at it."""
    levels = ctx.settings.review_levels
    owner: str = doc.value("owner") or ""
    if not owner or len(deciding) != len(levels):
        return
    rows = [row for _, row in deciding.values()]
    days = {row.date for row in rows}
    if len(days) != 1 or None in days or any(
            normalise_label(row.reviewer or "") != normalise_label(owner) for row in rows):
        return
    index = deciding[levels[-1]][0]
    message = (f"{'、'.join(levels)}均由流程负责人{owner}本人于 {days.pop():%Y-%m-%d} 同日签署："
               "审核应由他人进行（职责分离），请由其他审核人复核后再提交。")
    where = doc.source.cell("reviews", index, "reviewer")
    severity = Severity(ctx.settings.self_approval)
    yield error("review.self-approved", message, where) if severity is Severity.ERROR else warning(
        "review.self-approved", message, where)
