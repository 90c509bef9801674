"""What rules compare a workbook against, and the version it will be issued as."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from officeflow.findings import CellRef, Severity
from officeflow.records import DocumentHistory, VersionRecord
from officeflow.settings import Settings
from officeflow.versions import next_version, parse_version

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument


@dataclass(frozen=True)
class ArchiveNames:
    """The 流程类别 and 主责部门 the ledger has archived under, in first-seen order."""

    categories: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()


def archived_names(records: Iterable[VersionRecord]) -> ArchiveNames:
    categories: dict[str, None] = {}
    departments: dict[str, None] = {}
    for record in records:
        categories.setdefault(record.category)
        departments.setdefault(record.department)
    return ArchiveNames(tuple(categories), tuple(departments))


@dataclass(frozen=True)
class RuleContext:
    """What rules compare the workbook against: settings, the archive, today, the file hash."""

    settings: Settings
    history: DocumentHistory
    today: date
    source_sha256: str = ""
    # The archived source of the version this workbook claims to be, when that version is
    # archived already (identity by content). Data, loaded by the pipeline before validation.
    same_version: ParsedDocument | None = None
    # The archive folders' names so far (officeflow.folder_rules warns about a new one); None
    # when the check is not against a ledger (regenerate re-checks archived sources).
    archive_names: ArchiveNames | None = None


def resolved_version(doc: ParsedDocument, ctx: RuleContext) -> str | None:
    """The version this workbook will be issued as: typed, or assigned when blank."""
    typed = doc.value("version")
    if not typed:
        return next_version(v.version for v in ctx.history.versions)
    parsed = parse_version(typed)
    return f"V{parsed[0]}.{parsed[1]}" if parsed else None


# One mistake, one finding: a rule does not judge again what the reading already found wrong.


def cells_in_error(doc: ParsedDocument) -> set[CellRef]:
    """The cells the reading found an error in (a date in a text cell, a formula, a blank
    required cell…): their values are unknown to the rules, not wrong a second time."""
    return {f.where for f in doc.findings if f.where is not None and f.severity is Severity.ERROR}


def table_read(doc: ParsedDocument, key: str) -> bool:
    """False when the table's sheet is missing or its header row was not found: the reader
    said so once, and the table's rows are unknown rather than absent."""
    where = doc.source.table(key)
    return where is not None and bool(where.cell)  # the header row's cell, '' without one
