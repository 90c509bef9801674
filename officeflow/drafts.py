"""Values officeflow drafts for the author: the new 修订记录 row of a returned workbook.

A `RowDraft` is a finding that also names other cells of its row: those it pre-fills (the
author checks them) and those the author must still fill (marked with a comment). The
annotated copy applies them; the user's own file is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from officeflow.findings import CellRef, Finding, Severity

MISSING_ENTRY = "revision.missing-entry"  # no 修订记录 row for the version being issued
CONTENT_MISSING = "revision.content-missing"  # the row is there, its 修订内容 is empty
SCREEN_QUOTE = 24  # quotes in on-screen messages are cut to this many characters; records never are

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument  # model → kinds → rules → here


@dataclass(frozen=True)
class DraftedCell:
    """One cell of a drafted row: a value to pre-fill (None: the author fills it) and a note."""

    where: CellRef
    value: str | date | None
    note: str


@dataclass(frozen=True)
class RowDraft(Finding):
    """A finding whose row officeflow drafts beyond the finding's own cell."""

    cells: tuple[DraftedCell, ...] = ()


def next_row_cell(doc: ParsedDocument, table: str, column: str) -> CellRef | None:
    """The cell of `column` in the first row below the table's last record."""
    cells = [row[column] for row in doc.source.rows.get(table, []) if column in row]
    if not cells:
        return None
    last = max(int("".join(ch for ch in c.cell if ch.isdigit())) for c in cells)
    letters = "".join(ch for ch in cells[0].cell if ch.isalpha())
    return CellRef(cells[0].sheet, f"{letters}{last + 1}")


def revision_row(doc: ParsedDocument, version: str, drafted_content: bool) -> tuple[DraftedCell, ...]:
    """The new 修订记录 row: version and date pre-filled, the rest marked for the author.

    修订日期 is pre-filled with the 生效日期 (the latest date the rules accept): the workbook
    holds no better date; the note asks for the real one.
    """
    table = doc.kind.table("revision_log")
    effective = doc.value("effective_date")
    cells: list[DraftedCell] = []
    for column in table.columns:
        where = next_row_cell(doc, table.key, column.key)
        if where is None:
            continue
        if column.key == "version":
            cells.append(DraftedCell(where, version, "【已预填】本版本的版本号，请核对。"))
        elif column.key == "date" and isinstance(effective, date):
            cells.append(DraftedCell(where, effective, "【已预填】按生效日期预填，请改为实际修订日期。"))
        elif column.key == "content" and drafted_content:
            continue  # the finding itself sits there, with the draft as its suggestion
        else:
            cells.append(DraftedCell(where, None, f"【待填写】请填写{column.label}。"))
    return tuple(cells)


def missing_entry(message: str, where: CellRef | None, suggestion: str,
                  cells: tuple[DraftedCell, ...]) -> RowDraft:
    return RowDraft(Severity.ERROR, MISSING_ENTRY, message, where, suggestion, cells)


def with_draft(finding: Finding, doc: ParsedDocument, version: str, record: str, screen: str) -> Finding:
    """The same finding with officeflow's drafted 修订内容: whole in the suggestion, shortened on screen."""
    if finding.code == MISSING_ENTRY:
        return missing_entry(f"{finding.message}系统比对上一版本后建议修订内容：{screen}", finding.where,
                             record, revision_row(doc, version, drafted_content=True))
    if finding.code == CONTENT_MISSING:
        return Finding(finding.severity, finding.code, f"{finding.message}系统比对上一版本后建议：{screen}请确认或修改。",
                       finding.where, record)
    return finding
