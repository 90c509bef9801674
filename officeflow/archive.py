"""The archive tree: `outbox/<流程类别>/<主责部门>/<生效日期>/<流程编号>_<版本号>.*`.

Name collisions: a path belongs to exactly one (doc_id, version), and a version with
different content is rejected before this stage, so an existing file at a planned path
is a re-run of the same version (after a crash) and is replaced by identical content.
"""

from __future__ import annotations

import json
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
    document: str
    source: str
    manifest: str


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
    )


def inside(outbox: Path, relative: str) -> Path:
    """The absolute path of `relative`, which must stay inside outbox/."""
    root = outbox.resolve()
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise ValueError(f"archive path escapes the outbox: {relative!r}")  # a bug: parts are sanitised
    return target


def write_version(outbox: Path, paths: ArchivePaths, document: bytes, source: bytes,
                  manifest: dict[str, Any]) -> None:
    """Write source, document, then the manifest: a manifest means the set is complete."""
    atomic_write_bytes(inside(outbox, paths.source), source)
    atomic_write_bytes(inside(outbox, paths.document), document)
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    atomic_write_bytes(inside(outbox, paths.manifest), text.encode("utf-8"))


def read_manifests(outbox: Path) -> list[dict[str, Any]]:
    """Every manifest in the archive (for rebuilding the ledger), oldest receipt first."""
    manifests = [json.loads(p.read_text(encoding="utf-8")) for p in outbox.rglob(f"*{MANIFEST_SUFFIX}")]
    return sorted(manifests, key=lambda m: (m.get("received_at", ""), m.get("doc_id", "")))
