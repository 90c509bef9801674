"""Findings: problems a user can fix, each located on a sheet and cell."""

from __future__ import annotations

from dataclasses import dataclass
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


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Report order: by sheet, then row and column of the cell, errors before warnings."""

    def key(f: Finding) -> tuple:
        sheet, cell = f.sheet, f.cell
        letters = "".join(ch for ch in cell if ch.isalpha())
        digits = "".join(ch for ch in cell if ch.isdigit())
        return (
            sheet,
            int(digits) if digits else 0,
            len(letters),
            letters,
            f.severity is not Severity.ERROR,
            f.code,
        )

    return sorted(findings, key=key)
