"""Which sheet is which: by name, by a renamed sheet's content, and whether the kind fits.

One mistake, one finding: a renamed sheet (基本信息 → 基本资料) is found by what it holds
and reported once with the likely fix, instead of every field it holds being "missing";
a 模板类型 naming another kind than the workbook's sheets is reported once, instead of
every sheet and field of the wrong kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from officeflow.catalog import KindSpec
from officeflow.findings import CellRef, Finding, error
from officeflow.text import normalise_label

if TYPE_CHECKING:
    from officeflow.xlsx_grid import AnyWorkbook as Workbook
    from officeflow.xlsx_grid import AnyWorksheet as Worksheet

_HELP_SHEETS = {normalise_label(name) for name in ("填写说明", "说明", "Instructions", "Sheet1")}


def find_sheet(wb: Workbook, name: str, alias: str) -> Worksheet | None:
    wanted = {normalise_label(name), normalise_label(alias)}
    for ws in wb.worksheets:
        if normalise_label(ws.title) in wanted:
            return ws
    return None


def kind_sheet_names(kind: KindSpec) -> set[str]:
    """Every normalised name (and alias) a sheet of this kind may carry."""
    names = {normalise_label(kind.info_sheet), normalise_label(kind.info_sheet_alias)}
    for table in kind.tables:
        names |= {normalise_label(table.sheet), normalise_label(table.sheet_alias)}
    return names - {""}


def spare_sheets(wb: Workbook, kinds: Iterable[KindSpec]) -> list[Worksheet]:
    """Sheets no kind names: the candidates for a renamed sheet."""
    known = set().union(*(kind_sheet_names(k) for k in kinds)) | _HELP_SHEETS
    return [ws for ws in wb.worksheets if normalise_label(ws.title) not in known]


def renamed(spare: list[Worksheet], holds: Callable[[Any], bool]) -> Worksheet | None:
    """The first spare sheet that holds what the missing sheet should (taken from `spare`)."""
    for ws in spare:
        if holds(ws):
            spare.remove(ws)
            return ws
    return None


def renamed_finding(found: str, expected: str) -> Finding:
    return error("sheet.renamed",
                 f"找到工作表“{found}”，是否应为“{expected}”？请把工作表名改回“{expected}”。",
                 CellRef(found))


def _required_sheets(kind: KindSpec) -> list[tuple[str, str]]:
    sheets = [(kind.info_sheet, kind.info_sheet_alias)]
    sheets += [(t.sheet, t.sheet_alias) for t in kind.tables if t.required]
    return list(dict.fromkeys(sheets))


def _complete(wb: Workbook, kind: KindSpec) -> bool:
    """Every sheet the kind requires is in the workbook."""
    return all(find_sheet(wb, name, alias) is not None for name, alias in _required_sheets(kind))


def kind_mismatch(wb: Workbook, named: KindSpec, kinds: Iterable[KindSpec], typed: str,
                  where: CellRef, score: Callable[[KindSpec], int]) -> Finding | None:
    """A finding when 模板类型 names a kind whose sheets the workbook lacks while another kind's
    sheets are all there and its labels match more of the workbook (`score`)."""
    if _complete(wb, named):
        return None
    complete = [k for k in kinds if k.key != named.key and _complete(wb, k)]
    best = max(complete, key=score, default=None)
    if best is None or score(best) <= score(named):
        return None
    return error("kind.mismatch",
                 f"模板类型填写为“{typed}”，但工作簿的工作表与“{best.label}”模板一致："
                 f"是否应为“{best.label}”？", where)
