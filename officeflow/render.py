"""Render the controlled Word document: its context, properties and the prepared renderer.

The renderer (officeflow.fastrender) writes what docxtpl would (autoescape on, strict
variables); docs/renderer.md lists what it supports. `Image` values become inline pictures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from officeflow import flowchart
from officeflow.catalog import typed_text_key
from officeflow.errors import TemplateVariablesError
from officeflow.fastrender import prepared_template
from officeflow.model import ParsedDocument
from officeflow.pictures import Image
from officeflow.records import Status
from officeflow.stamp import Stamp
from officeflow.vocabulary import NEXT_REVIEW_LABEL

__all__ = ["DocumentProperties", "Image", "build_context", "check_template", "company_context",
           "flowchart_pictures", "format_value", "printed_value", "render_docx"]

CONTROLLED_MARK = "受控文件"
CORE_PROPERTY_MAX = 255
LOGO_HEIGHT_CM = 0.8  # the header's logo: as tall as two lines of its 小五 text
STATUS_MARKS = {s: f"{s.value} · 仅供追溯" for s in (Status.SUPERSEDED, Status.WITHDRAWN)}


def format_value(value: Any) -> Any:
    """Every value as the text a person expects: dates YYYY-MM-DD, lists joined (join_list)."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, list | tuple):
        return join_list([str(format_value(v)) for v in value])
    if isinstance(value, dict):
        return {k: format_value(v) for k, v in value.items()}
    if isinstance(value, BaseModel):
        return {k: printed_value(value, k) for k in type(value).model_fields}
    return value


def printed_value(model: BaseModel, key: str) -> Any:
    """A model's value as the document prints it: a list as its author typed it, separators
    and all (model.typed_list_text), the items joined only when no typed text was kept."""
    value = getattr(model, key)
    typed = getattr(model, typed_text_key(key), "") if isinstance(value, list) else ""
    return typed if typed else format_value(value)


def join_list(items: list[str]) -> str:
    """Items joined as a list is written: `, ` between two English words (`IT, QA`), 、 wherever
    Chinese meets. For lists without the author's own text (a revision's, a diff's)."""
    if not items:
        return ""
    parts = [items[0]]
    for before, after in zip(items, items[1:], strict=False):
        english = before[-1:].isascii() and after[:1].isascii()
        parts += [", " if english else "、", after]
    return "".join(parts)


def flowchart_pictures(doc: ParsedDocument, workday_hours: float = 8.0) -> list[Image]:
    """The 流程图 section's pictures: one per A4 page, vector with its 200 dpi raster fallback."""
    return [Image(p.png, width_cm=p.width_cm, svg=p.svg)
            for p in flowchart.pictures_for(doc, workday_hours)]


def build_context(doc: ParsedDocument, stamp: Stamp, control_mark: str = "",
                  workday_hours: float = 8.0) -> dict[str, Any]:
    """The Word context: the kind's fields and tables by key, what the stamp adds, the 流程图."""
    context: dict[str, Any] = {f.key: printed_value(doc.model, f.key) for f in doc.kind.fields}
    for table in doc.kind.tables:
        context[table.key] = [format_value(row) for row in doc.rows(table.key)]
        if table.extra_columns is not None:
            # The headers of the data columns (RACI roles) in sheet order, for column loops.
            context[f"{table.key}_extra_headers"] = list(doc.source.extra_headers.get(table.key, {}))
    context.update(
        kind_label=doc.kind.label,
        version=stamp.version,
        status=stamp.status.value,
        next_review_label=NEXT_REVIEW_LABEL,
        next_review_date=format_value(stamp.next_review_date),
        approver=stamp.approver,
        control_mark=control_mark or STATUS_MARKS.get(stamp.status, CONTROLLED_MARK),
        revision_history=[format_value(entry._asdict()) for entry in stamp.revision_history],
        flowchart=flowchart_pictures(doc, workday_hours),
        company_name="",  # company_context fills these from the settings
        company_logo="",
    )
    return context


def company_context(root: Path, company_name: str, company_logo: str) -> dict[str, Any]:
    """The header's company line: officeflow.toml's company_name and company_logo (a path
    from the workspace root; a missing file is left out rather than fail every document)."""
    logo = root / company_logo if company_logo else None
    picture: Image | str = Image(logo, height_cm=LOGO_HEIGHT_CM) if logo and logo.is_file() else ""
    return {"company_name": company_name, "company_logo": picture}


@dataclass(frozen=True)
class DocumentProperties:
    """Core properties of the .docx; dates come from the stamp, not the clock."""

    title: str
    identifier: str
    version: str
    subject: str
    category: str
    author: str
    issued: date

    def __post_init__(self) -> None:
        # The Word writer refuses a core property over 255 characters (a 流程负责人 pasted
        # with a whole sentence): the property is cut, the document's text keeps it whole.
        for name in ("title", "identifier", "version", "subject", "category", "author"):
            value = getattr(self, name)
            if len(value) > CORE_PROPERTY_MAX:
                object.__setattr__(self, name, value[:CORE_PROPERTY_MAX])


def check_template(template: Path, context: dict[str, Any]) -> None:
    """Fail before rendering when the template uses a variable the context lacks."""
    # The prepared (cached) template already holds the patched sources: no second read of the .docx.
    missing = prepared_template(template).undeclared_variables(context)
    if missing:
        raise TemplateVariablesError(template, sorted(missing), sorted(context))


def render_docx(template: Path, context: dict[str, Any], properties: DocumentProperties) -> bytes:
    """Render `template` with `context` and return the .docx bytes (deterministic).

    The template is prepared once per process (officeflow.fastrender) and reloaded when
    the file changes; the output is equivalent to docxtpl's render + save.
    """
    return prepared_template(template).render(context, properties)
