"""Findings: problems a user can fix, each located on a sheet and cell."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # blocks the release
    WARNING = "warning"  # reported, does not block (unless --strict)


@dataclass(frozen=True, order=True)
class CellRef:
    """Where a value came from: sheet name and A1 cell (cell may be empty for a whole sheet)."""

    sheet: str
    cell: str = ""

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet


@dataclass(frozen=True)
class Finding:
    """One problem in one workbook; the message is Chinese and says how to fix it."""

    severity: Severity
    code: str
    message: str
    where: CellRef | None = None
    suggestion: str = ""  # a value officeflow proposes for the cell (pre-filled in returned copies)

    @property
    def sheet(self) -> str:
        return self.where.sheet if self.where else ""

    @property
    def cell(self) -> str:
        return self.where.cell if self.where else ""

    def located(self) -> str:
        """`sheet!cell: message`, the form used in reports and on the console."""
        return f"{self.where}: {self.message}" if self.where else self.message

    def as_dict(self, file: str = "") -> dict[str, str]:
        return {
            "file": file,
            "severity": self.severity.value,
            "code": self.code,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
        }


def error(code: str, message: str, where: CellRef | None = None, suggestion: str = "") -> Finding:
    return Finding(Severity.ERROR, code, message, where, suggestion)


def warning(code: str, message: str, where: CellRef | None = None) -> Finding:
    return Finding(Severity.WARNING, code, message, where)


def has_errors(findings: list[Finding], strict: bool = False) -> bool:
    """True when the findings block a release; --strict makes warnings block too."""
    return any(f.severity is Severity.ERROR or strict for f in findings)


def sort_findings(findings: list[Finding], sheets: Sequence[str] = ()) -> list[Finding]:
    """Report order: workbook order of the sheets, then row and column, errors before warnings.

    `sheets` is the workbook's sheet order; sheets it does not name follow in the order they
    first appear in `findings` (so re-sorting an already ordered list keeps the order).
    Findings without a sheet (the whole file) come first.
    """
    rank = {"": -1, **{name: index for index, name in enumerate(sheets)}}
    for f in findings:
        rank.setdefault(f.sheet, len(rank))

    def key(f: Finding) -> tuple:
        letters, row = _split_cell(f.cell.split(":")[0])
        return (rank[f.sheet], row, len(letters), letters, f.severity is not Severity.ERROR, f.code)

    return sorted(findings, key=key)


def _split_cell(cell: str) -> tuple[str, int]:
    """`AB12` → ("AB", 12); a whole sheet ("") → ("", 0)."""
    match = _CELL.fullmatch(cell)
    return (match[1], int(match[2])) if match else ("", 0)


_CELL = re.compile(r"([A-Z]{1,3})(\d{1,7})")


def fold_findings(findings: list[Finding]) -> list[Finding]:
    """Identical findings on consecutive cells of one column become one, located on the range.

    One mistake repeated down a column (150 step numbers typed as numbers) is one thing to
    fix: `流程步骤!A2:A151`. Only plain findings fold (a drafted row carries its own cells).
    """
    folded: list[Finding] = []
    runs: dict[tuple, tuple[int, int, int]] = {}  # identity → (index in folded, first row, last row)
    for f in findings:
        letters, row = _split_cell(f.cell)
        if type(f) is not Finding or not row:
            folded.append(f)
            continue
        identity = (f.sheet, letters, f.severity, f.code, f.message, f.suggestion)
        run = runs.get(identity)
        if run is not None and row == run[2] + 1:
            index, first, _last = run
            where = CellRef(f.sheet, f"{letters}{first}:{letters}{row}")
            folded[index] = replace(folded[index], where=where)
            runs[identity] = (index, first, row)
            continue
        runs[identity] = (len(folded), row, row)
        folded.append(f)
    return folded
