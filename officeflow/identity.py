"""Identity by content: two workbooks are the same version when their parsed values are equal.

Excel, WPS and LibreOffice rewrite a workbook's bytes on every save (styles, shared strings,
dates as serials, formatted empty rows), so the bytes' hash says nothing about the content.
The parsed model does: the reader already matched labels (not positions), cleaned text,
skipped blank rows and turned every date form into a date.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument  # model → kinds → rules → here



def _values(doc: ParsedDocument) -> dict[str, Any]:
    """Every field and table of the kind as plain JSON values (dates as ISO text)."""
    return {"kind": doc.kind.key, **doc.model.model_dump(mode="json")}


def content_fingerprint(doc: ParsedDocument) -> str:
    """SHA-256 of the normalised values: equal for the same content saved by any tool."""
    text = json.dumps(_values(doc), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def same_content(old: ParsedDocument, new: ParsedDocument) -> bool:
    return _values(old) == _values(new)


def differing_cells(old: ParsedDocument, new: ParsedDocument, limit: int = 3) -> list[str]:
    """The first cells (`sheet!cell`, in the new workbook) whose values differ, fields first.

    A row only the old version has is named by its cell in the old workbook (the place
    where it used to be), so the author can still find what went missing.
    """
    if old.kind.key != new.kind.key:
        return [str(new.source.field("kind"))]
    found: list[str] = []
    for spec in new.kind.fields:
        if old.value(spec.key) != new.value(spec.key):
            found.append(str(new.source.field(spec.key)))
    for table in new.kind.tables:
        before = [row.model_dump(mode="json") for row in old.rows(table.key)]
        after = [row.model_dump(mode="json") for row in new.rows(table.key)]
        for index in range(max(len(before), len(after))):
            if len(found) >= limit:
                return found[:limit]
            if index >= len(after) or index >= len(before):
                side = new if index < len(after) else old
                found.append(str(side.source.cell(table.key, index, table.columns[0].key) or table.sheet))
                continue
            cell = _first_difference(new, table.key, index, before[index], after[index])
            if cell:
                found.append(cell)
    return found[:limit]


def _first_difference(doc: ParsedDocument, table: str, index: int, before: dict[str, Any],
                      after: dict[str, Any]) -> str:
    for key in after:
        if key == "extra":  # data columns (RACI roles) by header
            old_extra, new_extra = before.get("extra") or {}, after.get("extra") or {}
            for header in dict.fromkeys([*new_extra, *old_extra]):
                if old_extra.get(header) != new_extra.get(header):
                    where = doc.source.extra_cell(table, index, header) or doc.source.table(table)
                    return str(where or "")
        elif before.get(key) != after[key]:
            return str(doc.source.cell(table, index, key) or "")
    return ""
