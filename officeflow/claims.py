"""Claimed files in the processing area: what a claim is, and reading one back after a crash."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from officeflow.fsutil import display_name, fsync_dir

CLAIM_FILE = "claim.json"


@dataclass(frozen=True)
class Claim:
    """A file moved into our processing area; `folder` holds it and its claim.json."""

    token: str
    folder: Path
    name: str
    received_at: datetime
    recovered: bool = False

    @property
    def path(self) -> Path:
        return self.folder / self.name

    @property
    def shown(self) -> str:
        """The name for people, reports and the ledger (undecodable bytes replaced)."""
        return display_name(self.name)


def now() -> datetime:
    return datetime.now().replace(microsecond=0)  # the ledger stores seconds


def new_token(at: datetime) -> str:
    return f"{at:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def safe_host() -> str:
    host = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in socket.gethostname())
    return host[:40] or "host"


def intake_folders(owner: Path) -> list[Path]:
    try:
        return sorted(p for p in owner.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []


def load_claim(folder: Path, recovered: bool = True) -> Claim | None:
    """The claim in `folder`; None (and the folder removed) when nothing is left to do."""
    try:
        info = json.loads((folder / CLAIM_FILE).read_bytes().decode("utf-8", "surrogateescape"))
        name, received_at = info["name"], datetime.fromisoformat(info["received_at"])
    except (OSError, ValueError, KeyError):
        # Dot-files are our own atomic-write temps (a kill while claim.json was being
        # written); the filter never claims a user's dot-file, so they are never the workbook.
        files = [p for p in folder.iterdir() if p.name != CLAIM_FILE and not p.name.startswith(".")]
        if len(files) != 1:
            name, received_at = "", now()
        else:
            name, received_at = files[0].name, now()
    claim = Claim(folder.name, folder, name, received_at, recovered)
    if not name or not os.path.lexists(claim.path):
        remove_folder(folder)  # claimed and finished, or never moved in
        return None
    return claim


def remove_folder(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        for path in folder.iterdir():
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()
    fsync_dir(folder.parent)
