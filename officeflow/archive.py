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

The files are written before the ledger records the version (the ledger never names a file
that is not there). A kill between the two leaves a version nobody issued; when the attempt
is not re-run (given up, returned), `pipeline.abandon_uncommitted` removes what the journal
(`write_journal`, written just before) lists.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from officeflow.fsutil import atomic_write_bytes
from officeflow.manifest import RECORDS_FOLDER, SUFFIX, Manifest
from officeflow.text import cut_bytes

__all__ = ["FLOWCHART_SUFFIX", "RECORDS_FOLDER", "ArchivePaths", "Journal", "inside", "plan_paths", "read_journal",
           "remove_version", "sanitize_part", "write_journal", "write_version"]

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


def version_files(outbox: Path, records: Path, paths: ArchivePaths) -> list[Path]:
    """Every file `write_version` writes for one version."""
    files = [inside(outbox, paths.source), inside(records, paths.issued), inside(outbox, paths.document),
             inside(outbox, paths.manifest)]
    if paths.flowchart:
        files += [inside(records, paths.flowchart), inside(outbox, paths.flowchart)]
    return files


def remove_version(outbox: Path, records: Path, paths: ArchivePaths) -> list[Path]:
    """Remove the files of a version the ledger never issued; returns those that were there."""
    removed = []
    try:
        files = version_files(outbox, records, paths)
    except ValueError:  # a journal naming a place outside the archive: nothing of ours
        return removed
    for path in files:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


@dataclass(frozen=True)
class Journal:
    """What an attempt is about to write: one version's files, from one source."""

    doc_id: str
    version: str
    source_sha256: str
    paths: ArchivePaths


def write_journal(path: Path, journal: Journal) -> None:
    """Before `write_version`: which version's files an attempt is about to write."""
    atomic_write_bytes(path, json.dumps(asdict(journal), ensure_ascii=False).encode("utf-8"))


def read_journal(path: Path) -> Journal | None:
    """What an interrupted attempt was writing; None without a (readable, plausible) journal."""
    try:
        info = json.loads(path.read_bytes().decode("utf-8"))
        journal = Journal(**{**info, "paths": ArchivePaths(**info["paths"])})
    except (OSError, ValueError, KeyError, TypeError):
        return None
    doc_id, version, paths = journal.doc_id, journal.version, journal.paths
    # The journal lies in the shared inbox: trust only names that belong to this very version.
    stem = sanitize_part(f"{doc_id}_{version}")
    names = {PurePosixPath(p).name for p in asdict(paths).values() if p and p != paths.folder}
    if not names <= {f"{stem}{suffix}" for suffix in (".docx", ".xlsx", SUFFIX, FLOWCHART_SUFFIX)}:
        return None
    return journal
