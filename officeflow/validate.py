"""Validate a parsed document: every rule, every finding at once, never raising on user data."""

from __future__ import annotations

from officeflow.findings import Finding, fold_findings, sort_findings
from officeflow.model import ParsedDocument
from officeflow.rules import DOCUMENT_RULES, RuleContext


def validate(doc: ParsedDocument, ctx: RuleContext) -> list[Finding]:
    """The reading findings plus those of the document rules and the kind's own rules."""
    findings = list(doc.findings)
    for rule in (*DOCUMENT_RULES, *doc.kind.rules):
        findings.extend(rule(doc, ctx))
    unique = list(dict.fromkeys(findings))  # two rules may flag the same cell the same way
    # Workbook order; one mistake repeated down a column is one finding on the range.
    return fold_findings(sort_findings(unique, doc.source.sheets))
