"""A workbook the archive already holds is a duplicate: process records it and issues nothing.

Two ways to be one: the very bytes of an archived version (found by hash, never read again), or
its content in other bytes (a re-saved copy: the rule `version.same-content`). `process` and
`validate` both decide with these functions, so they never disagree (officeflow.pipeline).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from officeflow.rulecontext import RuleContext, resolved_version
from officeflow.version_rules import SAME_CONTENT

if TYPE_CHECKING:
    from officeflow.findings import Finding
    from officeflow.ledger_protocol import Ledger
    from officeflow.model import ParsedDocument


@dataclass(frozen=True)
class Duplicate:
    """The archived version a workbook repeats, and what to tell its author."""

    doc_id: str
    version: str
    message: str


def identical_message(doc_id: str, version: str) -> str:
    return f"与已归档的 {doc_id} {version} 内容完全相同，未重复处理。"


def identical_copy(sha256: str, ledger: Ledger) -> Duplicate | None:
    """The bytes of an archived version's source workbook, byte for byte."""
    existing = ledger.find_source(sha256)
    if existing is None:
        return None
    return Duplicate(existing.doc_id, existing.version, identical_message(existing.doc_id, existing.version))


def resaved_copy(findings: list[Finding], parsed: ParsedDocument | None, ctx: RuleContext | None) -> Duplicate | None:
    """The content of the archived version it claims to be (the rule said `version.same-content`)."""
    same = next((f for f in findings if f.code == SAME_CONTENT), None)
    if same is None or parsed is None:
        return None
    version = resolved_version(parsed, ctx) if ctx is not None else None
    return Duplicate(parsed.value("doc_id"), version or "", same.message)


def said_of_identical_bytes(findings: list[Finding], parsed: ParsedDocument, ctx: RuleContext) -> list[Finding]:
    """The rule's "仅文件字节不同" is untrue of the archived version's own bytes: say they are identical.

    process and validate look the bytes up first (`identical_copy`); this is for every other
    caller of the checks (the portal's check page).
    """
    version = resolved_version(parsed, ctx)
    record = ctx.history.version(version) if version else None
    if record is None or not ctx.source_sha256 or record.source_sha256 != ctx.source_sha256:
        return findings
    said = identical_message(record.doc_id, record.version)
    return [replace(f, message=said) if f.code == SAME_CONTENT else f for f in findings]
