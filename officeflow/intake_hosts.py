"""Intake across hosts: the database decides which watcher handles which inbox file.

Used instead of the flock of `claims.take_over` when the ledger is PostgreSQL: locks on a
share (SMB/NFS) do not hold across hosts, a claim row does (officeflow.claims_pg). Each
watcher has a host identity, unique among the running watchers, and its processing folder
`inbox/<processing>/<identity>/`; its state folder (the identity's lock, the pipeline lock)
is local to the host.

- before the local rename-claim, a claim row is taken for the inbox-relative path (size,
  mtime, content hash): None from the database means another host is on it;
- a thread renews the leases of the claims in hand while the host works (the per-file child
  may run for the whole budget: the parent renews while it waits);
- the row is released after the file has left the processing area (archived or returned);
- `recover` takes over the intake folders whose claim is free or whose lease ran out (a dead
  host), renaming them into ours: the takeover is decided by the row, never by a lock file.

The identity is OFFICEFLOW_HOST or the host name; a second watcher started with the same one
on this machine gets `<identity>-2` (a flock in the local state folder tells them apart), so
a restarted watcher takes its own identity back and at once ends the leases of its previous
life (`release_mine`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path

from officeflow.claims import (
    CLAIM_FILE,
    CLAIM_PATH_KEY,
    LOCK_FILE,
    Claim,
    intake_folders,
    load_claim,
    safe_host,
)
from officeflow.claims_pg import Claim as Row
from officeflow.claims_pg import ClaimLost, IntakeClaims
from officeflow.fsutil import (
    FileTooLarge,
    NotRegularFile,
    display_name,
    fsync_dir,
    read_regular_file,
    sha256_bytes,
)
from officeflow.locks import FileLock

log = logging.getLogger("officeflow.intake")

HOST_ENV = "OFFICEFLOW_HOST"
LEASE_ENV = "OFFICEFLOW_CLAIM_LEASE_SECONDS"
DEFAULT_LEASE_SECONDS = 120.0


def host_base() -> str:
    wanted = os.environ.get(HOST_ENV, "").strip()
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in wanted)[:60] if wanted else safe_host()


def lease_seconds() -> float:
    try:
        return max(float(os.environ.get(LEASE_ENV, "") or DEFAULT_LEASE_SECONDS), 1.0)
    except ValueError:
        return DEFAULT_LEASE_SECONDS


def take_identity(state_dir: Path, base: str) -> tuple[str, FileLock]:
    """The first identity `base`, `base-2`… no running watcher of this machine holds."""
    number = 1
    while True:
        name = base if number == 1 else f"{base}-{number}"
        lock = FileLock(state_dir / f"host-{name}.lock")
        if lock.acquire(blocking=False):
            return name, lock
        number += 1


class HostClaims:
    """One watcher's claims in the database, and the thread that keeps their leases."""

    def __init__(self, url: str, inbox: Path, processing: Path, state_dir: Path) -> None:
        self.inbox = inbox
        self.processing = processing
        self.identity, self._identity_lock = take_identity(state_dir, host_base())
        self.claims = IntakeClaims.connect(url, self.identity, lease_seconds())
        self.owner = processing / self.identity
        self.owner.mkdir(parents=True, exist_ok=True)
        self._rows: dict[str, Row] = {}  # intake token -> its row
        self._guard = threading.Lock()
        self._stop = threading.Event()
        ended = self.claims.release_mine()  # a previous life of this identity died holding these
        if ended:
            log.info("%s：上次运行留下的 %d 个认领已结束，将由本机接手", self.identity, len(ended))
        self._renewer = threading.Thread(target=self._renew_loop, name="claim-renewer", daemon=True)
        self._renewer.start()

    # -- taking a file from the inbox ------------------------------------------------------

    def relative(self, path: Path) -> str:
        """The row's key: inbox-relative, '/'-separated, undecodable bytes replaced."""
        return display_name(path.relative_to(self.inbox).as_posix())

    def take(self, path: Path, max_bytes: int) -> Row | None:
        """The row for an inbox file, before it is moved; None: another host holds it (or it is gone)."""
        try:
            st = os.lstat(path)
        except OSError:
            return None
        try:
            sha = sha256_bytes(read_regular_file(path, max_bytes))
        except (NotRegularFile, FileTooLarge):
            sha = ""  # intake answers it without reading it
        except FileNotFoundError:
            return None
        return self.claims.claim(self.relative(path), st.st_size, st.st_mtime_ns, sha)

    def hold(self, token: str, row: Row) -> None:
        with self._guard:
            self._rows[token] = row

    def drop(self, row: Row) -> None:
        """Release a row whose file we did not (or no longer) hold."""
        with contextlib.suppress(Exception):  # a lost row only waits for its lease to run out
            self.claims.release(row)

    def finished(self, token: str) -> None:
        """The claimed file has left the processing area: its row goes."""
        with self._guard:
            row = self._rows.pop(token, None)
        if row is not None and not self.claims.release(row):
            log.warning("%s 的认领在释放前已被其他主机接手", row.path)

    # -- the leases ------------------------------------------------------------------------

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.claims.lease_seconds / 4):
            self.renew_all()

    def renew_all(self) -> None:
        with self._guard:
            held = list(self._rows.items())
        for token, row in held:
            try:
                renewed = self.claims.renew(row)
            except ClaimLost:
                log.warning("%s 的租约已到期，已由其他主机接手", row.path)
                renewed = None
            except Exception as exc:  # the database is away: try again next round
                log.warning("无法续租 %s 的认领：%s", row.path, exc)
                continue
            with self._guard:
                if token in self._rows:
                    if renewed is None:
                        del self._rows[token]
                    else:
                        self._rows[token] = renewed

    # -- taking over what dead hosts left --------------------------------------------------

    def recover(self) -> list[Claim]:
        """Intake folders (ours from a previous run, or a dead host's) whose row we could take."""
        claims: list[Claim] = []
        if not self.processing.is_dir():
            return claims
        with self._guard:
            in_hand = set(self._rows)
        live: set[str] | None = None  # hosts holding a live lease, asked for when first needed
        for owner in sorted(self.processing.iterdir()):
            if owner.is_symlink() or not owner.is_dir():
                continue
            for folder in intake_folders(owner):
                if owner == self.owner and folder.name in in_hand:
                    continue  # kept for a retry, or taken over just now: ours already
                key = _claimed_path(folder)
                if key is None and owner != self.owner:
                    # No claim.json (yet): a host makes the folder only after taking its row, so a
                    # host with a live lease may be writing it now; one without is dead.
                    live = self._live_hosts() if live is None else live
                    if owner.name in live:
                        continue
                    key = _claimed_path(folder)
                claim = self._take_over(owner, folder, key)
                if claim is not None:
                    claims.append(claim)
                    in_hand.add(claim.token)
            if owner != self.owner:
                live = self._live_hosts() if live is None else live
                if owner.name not in live:  # a dead host's folder, emptied (a live one's is left)
                    with contextlib.suppress(OSError):
                        (owner / LOCK_FILE).unlink(missing_ok=True)
                        owner.rmdir()
        fsync_dir(self.owner)
        return claims

    def _live_hosts(self) -> set[str]:
        expired = {(c.path, c.token) for c in self.claims.expired()}
        return {c.host for c in self.claims.held() if (c.path, c.token) not in expired}

    def _take_over(self, owner: Path, folder: Path, key: str | None) -> Claim | None:
        """Take the folder's row (its inbox path; without one, the folder's own path) and the folder."""
        row = self.claims.claim(key or f"{self.processing.name}/{owner.name}/{folder.name}", 0, 0, "")
        if row is None:
            return None  # a live host holds it
        target = self.owner / folder.name
        if owner != self.owner:
            try:
                os.rename(folder, target)
            except OSError:
                self.drop(row)
                return None
        claim = load_claim(target, recovered=True)
        if claim is None:
            self.drop(row)  # nothing left to do in it
            return None
        log.info("已从 %s 接手 %s", row.taken_from or owner.name, claim.shown)
        self.hold(claim.token, row)
        return claim

    def close(self) -> None:
        """Stop renewing; what is still claimed is left for the next run (or another host) at once."""
        self._stop.set()
        self._renewer.join(timeout=5)
        with contextlib.suppress(Exception):
            self.claims.release_mine()
        self.claims.close()
        self._identity_lock.release()
        with contextlib.suppress(OSError):
            self.owner.rmdir()  # only when empty


def _claimed_path(folder: Path) -> str | None:
    try:
        info = json.loads((folder / CLAIM_FILE).read_bytes().decode("utf-8", "surrogateescape"))
    except (OSError, ValueError):
        return None
    path = info.get(CLAIM_PATH_KEY) if isinstance(info, dict) else None
    return path if isinstance(path, str) and path else None


