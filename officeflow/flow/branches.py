"""The optional 后续步骤 column: `3`, `是→3；否→5`, `结束` → the step's outgoing branches.

Without the column (or with a blank cell) a step flows to the next row, and the last step to
the end. A reference to a step that does not exist is a finding on that cell (`next_steps`,
a rule a kind lists in its catalog once its step table has the column).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from officeflow.findings import Finding, error

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument
    from officeflow.rules import RuleContext

NEXT_COLUMN = "next"  # the catalog key of 后续步骤
END = "end"  # the target id of the end terminator
_END_WORDS = ("结束", "end", "完成", "终止")
_ITEMS = re.compile(r"[；;，,、\n]+")
_ARROW = re.compile(r"\s*(?:→|->|=>|⟶|:|：)\s*")


@dataclass(frozen=True)
class Branch:
    """One outgoing edge: its target (a step number or END) and its label (是/否…, or '')."""

    target: str
    label: str = ""


@dataclass(frozen=True)
class BranchProblem:
    """Why a 后续步骤 cell cannot be followed, in Chinese."""

    code: str
    message: str


def parse_next(text: str, numbers: set[str]) -> tuple[list[Branch], list[BranchProblem]]:
    """The branches a 后续步骤 cell names; problems for unknown steps and unreadable items."""
    branches: list[Branch] = []
    problems: list[BranchProblem] = []
    for item in (part.strip() for part in _ITEMS.split(text)):
        if not item:
            continue
        pieces = _ARROW.split(item)
        label, target = ("", pieces[0]) if len(pieces) == 1 else (pieces[0], pieces[-1])
        if len(pieces) > 2 or not target:
            problems.append(BranchProblem(
                "flow.next-format",
                f"后续步骤“{text}”中的“{item}”无法识别：请写步骤编号（如 3），"
                "或“条件→步骤编号”（如 是→3；否→5），或“结束”。"))
            continue
        if target.lower() in _END_WORDS:
            branches.append(Branch(END, label))
        elif target in numbers:
            branches.append(Branch(target, label))
        else:
            problems.append(BranchProblem(
                "flow.next-unknown",
                f"后续步骤“{text}”指向的步骤 {target} 不存在：请改为已有的步骤编号，或填写“结束”。"))
    return branches, problems


def next_steps(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    """Rule: every 后续步骤 names existing steps (or 结束), one finding per wrong cell item."""
    table = doc.kind.step_table
    rows = doc.rows(table)
    numbers = {row.number for row in rows if row.number}
    for index, row in enumerate(rows):
        text = getattr(row, NEXT_COLUMN, "")
        if not text:
            continue
        _branches, problems = parse_next(text, numbers)
        for problem in problems:
            yield error(problem.code, problem.message, doc.source.cell(table, index, NEXT_COLUMN))
