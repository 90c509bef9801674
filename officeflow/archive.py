"""The archive: reading copies in `outbox/`, as-issued records in `records/`.

`outbox/<流程类别>/<主责部门>/<生效日期>/<流程编号>_<版本号>.docx` is the reading copy a person
opens: it always shows the version's status of today (re-marked when it changes).
Beside it: the source `.xlsx` and the `.manifest.json`. `records/<same path>.docx` holds the
as-issued bytes of every version, written once, read-only, sealed by the audit trail.

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

__all__ = ["RECORDS_FOLDER", "ArchivePaths", "inside", "plan_paths", "sanitize_part", "write_version"]

_ILLEGAL = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
MAX_PART_LENGTH = 80


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
    return text[:MAX_PART_LENGTH]


@dataclass(frozen=True)
class ArchivePaths:
    """Where one version's files go, relative to outbox/ (POSIX form, for the register)."""

    folder: str
    document: str  # the reading copy, relative to outbox/
    source: str
    manifest: str
    issued: str  # the as-issued record, relative to records/


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
    )


def inside(outbox: Path, relative: str) -> Path:
    """The absolute path of `relative`, which must stay inside outbox/."""
    root = outbox.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise ValueError(f"archive path escapes the outbox: {relative!r}")  # a bug: parts are sanitised
    return target


def write_version(outbox: Path, records: Path, paths: ArchivePaths, document: bytes, source: bytes,
                  manifest: Manifest) -> None:
    """Write source, as-issued record, reading copy, then the manifest: a manifest means the set is complete."""
    atomic_write_bytes(inside(outbox, paths.source), source)
    issued = inside(records, paths.issued)
    atomic_write_bytes(issued, document)
    os.chmod(issued, 0o444)  # as issued, never rewritten
    atomic_write_bytes(inside(outbox, paths.document), document)
    manifest.write(inside(outbox, paths.manifest))
