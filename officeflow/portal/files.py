"""The only files the portal serves: those the ledger knows, found by 流程编号 and version.

A request names a document and a version; the path comes from the ledger's record (relative to
outbox/, checked to stay inside it), never from the request. The file served is the reading
copy, which always carries the version's status of today (a superseded or withdrawn version is
only ever given out marked 已失效 / 已废止). The PDF rendition is made by LibreOffice once per
content hash and kept under the state folder.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from officeflow.archive import inside
from officeflow.pdf import convert_to_pdf
from officeflow.records import VersionRecord

FLOW_SUFFIX = ".flow.svg"


@dataclass(frozen=True)
class Download:
    path: Path
    filename: str  # what the browser saves it as
    content_type: str


def _stem(record: VersionRecord) -> str:
    return PurePosixPath(record.document_path).stem


def document_file(outbox: Path, record: VersionRecord) -> Download | None:
    path = inside(outbox, record.document_path)
    if not path.is_file():
        return None
    return Download(path, f"{_stem(record)}.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


def flowchart_file(outbox: Path, record: VersionRecord) -> Download | None:
    """`<流程编号>_<版本号>.flow.svg` beside the document, when the pipeline drew one."""
    folder = PurePosixPath(record.document_path).parent
    path = inside(outbox, str(folder / f"{_stem(record)}{FLOW_SUFFIX}"))
    return Download(path, path.name, "image/svg+xml") if path.is_file() else None


class PdfCache:
    """PDF renditions by the SHA-256 of the .docx they were made from; one conversion at a time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()

    def pdf_for(self, document: Download) -> Download:
        data = document.path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        target = self.folder / f"{digest}.pdf"
        filename = document.filename.removesuffix(".docx") + ".pdf"
        if target.is_file():
            return Download(target, filename, "application/pdf")
        with self._lock:  # LibreOffice is slow and heavy: never two conversions of one file at once
            if not target.is_file():
                work = self.folder / f".{digest}"
                work.mkdir(parents=True, exist_ok=True)
                copy = work / f"{digest}.docx"  # converted from a private copy: the bytes hashed
                copy.write_bytes(data)
                made = convert_to_pdf([copy], work)[0]
                made.replace(target)
                copy.unlink()
                work.rmdir()
        return Download(target, filename, "application/pdf")
