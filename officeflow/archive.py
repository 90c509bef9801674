"""The archive: reading copies in `outbox/`, as-issued records in `records/`.

`outbox/<流程类别>/<主责部门>/<生效日期>/<流程编号>_<版本号>.docx` is the reading copy a person
opens: it always shows the version's status of today (re-marked when it changes).
Beside it: the source `.xlsx`, the `.manifest.json` and the flowchart `.flow.svg` (when the
steps draw one). `records/<same path>.docx` holds the as-issued bytes of every version, and
`records/<same path>.flow.svg` its diagram as issued: written once, read-only, sealed by the
audit trail.

Name collisions: a path belongs to exactly one (doc_id, version), and a version with
different content is rejected before this stage, so an existing file at a planned path
is a re-run of the same version (after a crash) and is replaced by identical content.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from officeflow.fsutil import atomic_write_bytes
from officeflow.manifest import RECORDS_FOLDER, SUFFIX, Manifest
from officeflow.text import cut_bytes

__all__ = ["FLOWCHART_SUFFIX", "RECORDS_FOLDER", "ArchivePaths", "inside", "plan_paths", "sanitize_part", "write_version"]

_ILLEGAL = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
MAX_PART_LENGTH = 80
# File systems count a name's bytes (ext4: 255); 200 leaves room for `.manifest.json` and the
# like after a stem. 80 emoji are 320 bytes.
MAX_PART_BYTES = 200
FLOWCHART_SUFFIX = ".flow.svg"


def sanitize_part(text: str) -> str:
    """One safe path component from user data: no separators, `..`, reserved or illegal names."""
    text = unicodedata.normalize("NFC", text)
    text = _ILLEGAL.sub("_", text)
    text = re.sub(r"\.{2,}", "_", text).strip().strip(".").strip()  # no `..` anywhere
    text = re.sub(r"_+", "_", text)
    if not text or set(text) <= {"_", "."}:
        return "_"
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    return cut_bytes(text[:MAX_PART_LENGTH], MAX_PART_BYTES)


@dataclass(frozen=True)
class ArchivePaths:
    """Where one version's files go, relative to outbox/ (POSIX form, for the register)."""

    folder: str
    document: str  # the reading copy, relative to outbox/
    source: str
    manifest: str
    issued: str  # the as-issued record, relative to records/
    flowchart: str = ""  # the diagram, relative to outbox/ and (as issued) to records/


def plan_paths(category: str, department: str, effective: date, doc_id: str,
               version: str) -> ArchivePaths:
    folder = PurePosixPath(sanitize_part(category), sanitize_part(department),
                           effective.strftime("%Y-%m-%d"))
    stem = sanitize_part(f"{doc_id}_{version}")
    return ArchivePaths(
        folder=str(folder),
        document=str(folder / f"{stem}.docx"),
        source=str(folder / f"{stem}.xlsx"),
        manifest=str(folder / f"{stem}{SUFFIX}"),
        issued=str(folder / f"{stem}.docx"),
        flowchart=str(folder / f"{stem}{FLOWCHART_SUFFIX}"),
    )


def inside(outbox: Path, relative: str) -> Path:
    """The absolute path of `relative`, which must stay inside outbox/."""
    root = outbox.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise ValueError(f"archive path escapes the outbox: {relative!r}")  # a bug: parts are sanitised
    return target


def write_version(outbox: Path, records: Path, paths: ArchivePaths, document: bytes, source: bytes,
                  manifest: Manifest, flowchart: bytes = b"") -> None:
    """Write source, as-issued record (and diagram), reading copy (and diagram), then the
    manifest: a manifest means the set is complete. No diagram (no steps): no .flow.svg."""
    atomic_write_bytes(inside(outbox, paths.source), source)
    _write_issued(inside(records, paths.issued), document)
    if flowchart:
        _write_issued(inside(records, paths.flowchart), flowchart)
        atomic_write_bytes(inside(outbox, paths.flowchart), flowchart)
    atomic_write_bytes(inside(outbox, paths.document), document)
    manifest.write(inside(outbox, paths.manifest))


def _write_issued(path: Path, data: bytes) -> None:
    """As issued, never rewritten: read-only (a re-run after a crash writes the same bytes)."""
    atomic_write_bytes(path, data)
    os.chmod(path, 0o444)
