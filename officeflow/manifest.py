"""The manifest beside every archived version: built, written, read and changed here only.

Its as-issued part is sealed: the `issued` audit event carries `seal()`, so a manifest edited
by hand shows. Only the keys in MUTABLE change after issue (the reading copy, the withdrawal).
Schema 2 added the as-issued record and the reading copy's marking; schema 3 the flowchart
(`<流程编号>_<版本号>.flow.svg`, beside the reading copy and, as issued, beside the record).
Older manifests read the same, without them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from officeflow import __version__
from officeflow.fsutil import atomic_write_bytes
from officeflow.records import RevisionEntry, VersionRecord, Withdrawal

SCHEMA = 3
SUFFIX = ".manifest.json"
RECORDS_FOLDER = "records"
# The reading copy's flowchart is redrawn only when the drawing of the same steps changes
# (a new officeflow); the as-issued one (issued_flowchart_sha256) is sealed like the record.
MUTABLE = frozenset({"document_sha256", "marking", "withdrawn", "flowchart_sha256"})


@dataclass(frozen=True)
class Manifest:
    data: dict[str, Any]

    # ------------------------------------------------------------ build, write, read

    @classmethod
    def build(cls, record: VersionRecord, *, status_at_issue: str, supersedes: str | None,
              next_review: date, original_file: str, history: tuple[RevisionEntry, ...],
              marking: str, flowchart: str = "", flowchart_sha256: str = "") -> Manifest:
        """The manifest of a version being issued (document hashes filled in by `issued`).

        `flowchart`: the diagram's path relative to outbox/ (the same under records/), with its
        hash; none when the document has no steps to draw.
        """
        files = {"document": record.document_path, "source": record.source_path,
                 "issued": f"{RECORDS_FOLDER}/{record.issued_path}"}
        drawn: dict[str, str] = {}
        if flowchart:
            files.update(flowchart=flowchart, issued_flowchart=f"{RECORDS_FOLDER}/{flowchart}")
            drawn = {"flowchart_sha256": flowchart_sha256, "issued_flowchart_sha256": flowchart_sha256}
        return cls({
            "schema": SCHEMA, "officeflow": __version__,
            "doc_id": record.doc_id, "version": record.version, "kind": record.kind,
            "kind_label": record.kind_label, "name": record.name,
            "effective_date": record.effective_date.isoformat(), "category": record.category,
            "department": record.department, "owner": record.owner, "approver": record.approver,
            "status_at_issue": status_at_issue, "supersedes": supersedes,
            "next_review_date": next_review.isoformat(),
            "original_file": original_file, "received_at": record.received_at.isoformat(timespec="seconds"),
            "files": files, **drawn,
            "source_sha256": record.source_sha256,
            "revision_history": [{**e._asdict(), "date": e.date.isoformat() if e.date else None} for e in history],
            "marking": marking,
        })

    def issued(self, document_sha256: str) -> Manifest:
        """With the rendered document's hash: as-issued record and reading copy are the same bytes."""
        return Manifest({**self.data, "issued_sha256": document_sha256, "document_sha256": document_sha256})

    def to_bytes(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8")

    def write(self, path: Path) -> None:
        atomic_write_bytes(path, self.to_bytes())

    @classmethod
    def read(cls, path: Path) -> Manifest | None:
        """None when the file is missing or not a manifest."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return cls(data) if isinstance(data, dict) and "doc_id" in data else None

    @classmethod
    def read_all(cls, outbox: Path) -> list[Manifest]:
        """Every manifest in the archive, oldest receipt first."""
        found = [m for p in outbox.rglob(f"*{SUFFIX}") if (m := cls.read(p)) is not None]
        return sorted(found, key=lambda m: (m.data.get("received_at", ""), m.doc_id))

    @classmethod
    def change(cls, path: Path, **changes: Any) -> None:
        """Change mutable keys of the manifest at `path` (never the sealed as-issued part)."""
        assert set(changes) <= MUTABLE, f"sealed manifest keys: {set(changes) - MUTABLE}"
        manifest = cls.read(path)
        if manifest is not None and {**manifest.data, **changes} != manifest.data:
            Manifest({**manifest.data, **changes}).write(path)

    # ------------------------------------------------------------ what it says

    def seal(self) -> str:
        """The hash of the as-issued part; the `issued` audit event carries it."""
        sealed = {k: v for k, v in self.data.items() if k not in MUTABLE}
        return hashlib.sha256(json.dumps(sealed, ensure_ascii=False, sort_keys=True, default=str)
                              .encode("utf-8")).hexdigest()

    @property
    def doc_id(self) -> str:
        return str(self.data["doc_id"])

    @property
    def version(self) -> str:
        return str(self.data["version"])

    @property
    def marking(self) -> str:
        return str(self.data.get("marking", ""))

    @property
    def issued_sha256(self) -> str:
        return str(self.data.get("issued_sha256", ""))

    @property
    def flowchart(self) -> tuple[str, str, str, str]:
        """(reading copy's path, its hash, as-issued path, its hash) of the diagram; '' when none.

        Paths as the manifest lists them: the reading copy relative to outbox/, the as-issued
        one relative to the workspace (records/…).
        """
        files = self.data.get("files", {})
        return (str(files.get("flowchart", "")), str(self.data.get("flowchart_sha256", "")),
                str(files.get("issued_flowchart", "")), str(self.data.get("issued_flowchart_sha256", "")))

    @property
    def original_file(self) -> str:
        return str(self.data.get("original_file", ""))

    def record(self) -> VersionRecord:
        m, files = self.data, self.data["files"]
        folder = Path(files["document"]).parent.as_posix()
        return VersionRecord(
            doc_id=m["doc_id"], version=m["version"], kind=m["kind"], name=m["name"],
            effective_date=date.fromisoformat(m["effective_date"]), category=m["category"],
            department=m["department"], owner=m["owner"], approver=m["approver"],
            document_path=files["document"], source_path=files["source"],
            manifest_path=f"{folder}/{Path(files['document']).stem}{SUFFIX}",
            source_sha256=m["source_sha256"], document_sha256=m["document_sha256"],
            received_at=datetime.fromisoformat(m["received_at"]), kind_label=m.get("kind_label", ""),
            issued_path=str(files.get("issued", "")).removeprefix(f"{RECORDS_FOLDER}/"),
            issued_sha256=self.issued_sha256,
        )

    def revision_entries(self) -> list[RevisionEntry]:
        return [RevisionEntry(e["version"], date.fromisoformat(e["date"]) if e.get("date") else None,
                              e.get("content", ""), e.get("reason", ""), e.get("author", ""),
                              e.get("reviewer", ""))
                for e in self.data.get("revision_history", [])]

    def withdrawal(self) -> Withdrawal | None:
        w = self.data.get("withdrawn")
        if not w:
            return None
        return Withdrawal(self.doc_id, self.version, date.fromisoformat(w["on"]), w["reason"], w.get("actor", ""))
