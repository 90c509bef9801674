"""What rules compare a workbook against, and the version it will be issued as."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from officeflow.records import DocumentHistory
from officeflow.settings import Settings
from officeflow.versions import next_version, parse_version

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument


@dataclass(frozen=True)
class RuleContext:
    """What rules compare the workbook against: settings, the archive, today, the file hash."""

    settings: Settings
    history: DocumentHistory
    today: date
    source_sha256: str = ""
    # Loads the latest archived version (for drafting a revision entry); only called when needed.
    previous: Callable[[], ParsedDocument | None] | None = None
    # Loads the archived source of one version (identity by content); only called when needed.
    archived: Callable[[str], ParsedDocument | None] | None = None

    def load_archived(self, version: str) -> ParsedDocument | None:
        """The parsed archived source of `version`; without `archived`, the latest one via `previous`."""
        if self.archived is not None:
            return self.archived(version)
        versions = self.history.versions
        if self.previous is not None and versions and versions[-1].version == version:
            return self.previous()
        return None


def resolved_version(doc: ParsedDocument, ctx: RuleContext) -> str | None:
    """The version this workbook will be issued as: typed, or assigned when blank."""
    typed = doc.value("version")
    if not typed:
        return next_version(v.version for v in ctx.history.versions)
    parsed = parse_version(typed)
    return f"V{parsed[0]}.{parsed[1]}" if parsed else None
