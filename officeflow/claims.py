"""Claimed files in the processing area: what a claim is, and reading one back after a crash."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from officeflow.fsutil import display_name, fsync_dir
from officeflow.locks import FileLock

CLAIM_FILE = "claim.json"
CLAIM_PATH_KEY = "path"  # in claim.json, with a PostgreSQL ledger: the inbox-relative path, its claim row's key
LOCK_FILE = ".lock"  # in each watcher's own folder, held while it runs
ORPHAN_WITHOUT_LOCK_SECONDS = 60.0  # an owner folder with no lock file yet may be starting up


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


def take_over(processing: Path, ours: Path) -> list[Claim]:
    """Move the intake folders of watchers that died into `ours`; their claims, to finish first.

    A watcher holds `<its folder>/.lock` while it runs: a folder whose lock can be taken
    belongs to a dead watcher.
    """
    claims: list[Claim] = []
    if not processing.is_dir():
        return claims
    for owner in sorted(processing.iterdir()):
        if owner == ours or not owner.is_dir():
            continue
        lock_path = owner / LOCK_FILE
        if not lock_path.exists() and time.time() - owner.stat().st_mtime < ORPHAN_WITHOUT_LOCK_SECONDS:
            continue
        lock = FileLock(lock_path)
        try:
            if not lock.acquire(blocking=False):
                continue  # its watcher is alive
        except OSError:
            continue  # not a lock we made (a symlink planted in the shared inbox…)
        try:
            claims += _move_claims(owner, ours)
            with contextlib.suppress(OSError):
                lock_path.unlink()
                owner.rmdir()
        finally:
            lock.release()
    fsync_dir(ours)
    return claims


def _move_claims(owner: Path, ours: Path) -> list[Claim]:
    claims: list[Claim] = []
    for folder in intake_folders(owner):
        target = ours / folder.name
        try:
            os.rename(folder, target)
        except OSError:
            continue  # another watcher took it over first
        claim = load_claim(target, recovered=True)
        if claim is not None:
            claims.append(claim)
    return claims
