"""A cheap look at a workbook's 流程编号 and 版本号, to put a batch in version order.

Only the info sheet's first rows and the shared strings they use are streamed, within
small byte caps, and only regular files are opened: this runs in the watcher itself, on
files nobody has checked yet. Anything unusual gives None (the file keeps its place).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

from defusedxml.ElementTree import iterparse

from officeflow.fsutil import open_regular
from officeflow.kinds import KINDS
from officeflow.text import label_keys, match_label, normalise_label
from officeflow.versions import parse_version
from officeflow.xlsxguard import CappedStream, cell_position, local_name, sheet_titles

PEEK_ROWS = 60
PEEK_XML_BYTES = 4 * 1024 * 1024
_INFO_SHEETS = {normalise_label(n) for k in KINDS.values() for n in (k.info_sheet, k.info_sheet_alias) if n}
_LABELS = {**dict.fromkeys(label_keys("流程编号", "Process ID"), "doc_id"),
           **dict.fromkeys(label_keys("版本号", "Version"), "version")}


def peek_identity(path: Path, max_bytes: int) -> tuple[str, str] | None:
    """(流程编号, 版本号) of a workbook, or None when it cannot be told cheaply."""
    try:
        with os.fdopen(open_regular(path), "rb") as fh:
            if os.fstat(fh.fileno()).st_size > max_bytes:
                return None
            with zipfile.ZipFile(fh) as archive:
                return _peek(archive)
    except Exception:  # noqa: BLE001 - hostile or half-written: no opinion on its order
        return None


def _peek(archive: zipfile.ZipFile) -> tuple[str, str] | None:
    names = set(archive.namelist())
    titles = sheet_titles(archive, names)
    part = next((p for p, t in titles.items() if normalise_label(t) in _INFO_SHEETS), None)
    if part is None:
        return None
    cells: dict[tuple[int, int], tuple[str, str]] = {}  # (row, col) → (type, raw text)
    with archive.open(part) as raw:
        stream = CappedStream(raw, PEEK_XML_BYTES)
        current: tuple[int, int, str] | None = None
        for event, elem in iterparse(stream, events=("start", "end")):  # type: ignore[arg-type]
            tag = local_name(elem.tag)
            if event == "start" and tag == "c":
                ref = cell_position(elem.get("r", ""))
                current = (*ref, elem.get("t", "n")) if ref else None
                if ref and ref[0] > PEEK_ROWS:
                    break
            elif event == "end" and tag in ("v", "t") and current is not None:
                row, col, kind = current
                text = cells.get((row, col), (kind, ""))[1] + (elem.text or "")
                cells[(row, col)] = (kind, text)
            elif event == "end" and tag in ("c", "row"):
                elem.clear()
    strings = _shared_strings(archive, names, {int(t) for k, t in cells.values() if k == "s" and t.isdigit()})
    values = {pos: strings.get(int(text), "") if kind == "s" and text.isdigit() else text
              for pos, (kind, text) in cells.items()}
    found: dict[str, str] = {}
    for (row, col), text in sorted(values.items()):
        key = match_label(text, _LABELS) if text else None
        if key and key not in found:
            found[key] = values.get((row, col + 1), "").strip()  # merged labels: no opinion
    if not found.get("doc_id"):
        return None
    return found["doc_id"], found.get("version", "")


def _shared_strings(archive: zipfile.ZipFile, names: set[str], wanted: set[int]) -> dict[int, str]:
    if not wanted or "xl/sharedStrings.xml" not in names:
        return {}
    strings: dict[int, str] = {}
    index, parts = -1, []
    with archive.open("xl/sharedStrings.xml") as raw:
        for event, elem in iterparse(CappedStream(raw, PEEK_XML_BYTES), events=("start", "end")):  # type: ignore[arg-type]
            tag = local_name(elem.tag)
            if event == "start" and tag == "si":
                index, parts = index + 1, []
                if index > max(wanted):
                    break
            elif event == "end" and tag == "t":
                parts.append(elem.text or "")
            elif event == "end" and tag == "si":
                if index in wanted:
                    strings[index] = "".join(parts)
                elem.clear()
    return strings


def version_order(paths: list[Path], identity: dict[Path, tuple[str, str] | None]) -> list[Path]:
    """`paths` with the versions of each 流程编号 in version order, in the slots they held.

    V1.1 dropped before V1.0 of the same document swaps places with it; other files keep
    their place. A blank 版本号 (assigned by the system) comes after the numbered ones.
    """
    ordered = list(paths)
    groups: dict[str, list[int]] = {}
    for position, path in enumerate(paths):
        found = identity.get(path)
        if found is not None:
            groups.setdefault(found[0], []).append(position)
    for positions in groups.values():
        if len(positions) < 2:
            continue
        members = sorted((paths[i] for i in positions), key=lambda p: _version_key(identity[p]))
        for slot, path in zip(positions, members, strict=True):
            ordered[slot] = path
    return ordered


def _version_key(found: tuple[str, str] | None) -> tuple[int, int]:
    parsed = parse_version(found[1]) if found and found[1] else None
    return parsed or (10**6, 0)


def identities(paths: Iterable[Path], max_bytes: int) -> dict[Path, tuple[str, str] | None]:
    return {p: peek_identity(p, max_bytes) for p in paths if p.name.lower().endswith(".xlsx")}
