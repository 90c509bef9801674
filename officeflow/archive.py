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

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from officeflow.fsutil import atomic_write_bytes

_ILLEGAL = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}
MAX_PART_LENGTH = 80
MANIFEST_SUFFIX = ".manifest.json"
RECORDS_FOLDER = "records"
# Manifest keys that change after issue (reading copy, withdrawal); everything else is sealed.
MUTABLE_MANIFEST_KEYS = frozenset({"document_sha256", "marking", "withdrawn"})


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
        manifest=str(folder / f"{stem}{MANIFEST_SUFFIX}"),
        issued=str(folder / f"{stem}.docx"),
    )


def inside(outbox: Path, relative: str) -> Path:
    """The absolute path of `relative`, which must stay inside outbox/."""
    root = outbox.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise ValueError(f"archive path escapes the outbox: {relative!r}")  # a bug: parts are sanitised
    return target


def manifest_seal(manifest: dict[str, Any]) -> str:
    """The hash of a manifest's as-issued part; the `issued` audit event carries it."""
    sealed = {k: v for k, v in manifest.items() if k not in MUTABLE_MANIFEST_KEYS}
    text = json.dumps(sealed, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8")


def write_version(outbox: Path, records: Path, paths: ArchivePaths, document: bytes, source: bytes,
                  manifest: dict[str, Any]) -> None:
    """Write source, as-issued record, reading copy, then the manifest: a manifest means the set is complete."""
    atomic_write_bytes(inside(outbox, paths.source), source)
    issued = inside(records, paths.issued)
    atomic_write_bytes(issued, document)
    os.chmod(issued, 0o444)  # as issued, never rewritten
    atomic_write_bytes(inside(outbox, paths.document), document)
    atomic_write_bytes(inside(outbox, paths.manifest), manifest_bytes(manifest))


def read_manifest(outbox: Path, relative: str) -> dict[str, Any] | None:
    path = inside(outbox, relative)
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def update_manifest(outbox: Path, relative: str, changes: dict[str, Any]) -> None:
    """Change mutable keys of one manifest (never the sealed as-issued part)."""
    assert set(changes) <= MUTABLE_MANIFEST_KEYS, f"sealed manifest keys: {set(changes) - MUTABLE_MANIFEST_KEYS}"
    manifest = read_manifest(outbox, relative)
    if manifest is None:
        return
    updated = {**manifest, **changes}
    if updated != manifest:
        atomic_write_bytes(inside(outbox, relative), manifest_bytes(updated))


def read_manifests(outbox: Path) -> list[dict[str, Any]]:
    """Every manifest in the archive (for rebuilding the ledger), oldest receipt first."""
    manifests = [json.loads(p.read_text(encoding="utf-8")) for p in outbox.rglob(f"*{MANIFEST_SUFFIX}")]
    return sorted(manifests, key=lambda m: (m.get("received_at", ""), m.get("doc_id", "")))
