"""Intake claims through the database: which watcher host handles which inbox file, for how long.

On a shared inbox (SMB/NFS) flock does not hold across hosts; a claim row does. A host claims a
file before it reads it for processing, renews the lease while it works, and releases the claim
after the file has left the inbox (archived or returned). A host that dies keeps its claim until
the lease runs out; then any host may take it over (`Claim.taken_from` names the dead one, so the
taker knows to look for half-done work: the ledger's `find_source(sha256)` says whether the file
was already issued). Lease times are the database's clock, so hosts' clocks may disagree.

    claims = IntakeClaims.connect(url, host="site-a-1", lease_seconds=120)
    claims.release_mine()                      # at start: a previous life of this host died
    claim = claims.claim("部门/CRM-001.xlsx", size, mtime_ns, sha256)
    if claim is not None:                      # None: another host holds a live lease on it
        ...; claim = claims.renew(claim)       # ClaimLost if the lease ran out and was taken
        ...; claims.release(claim)             # after the file was moved out of the inbox
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from officeflow.ledger_errors import LedgerError

_COLUMNS = "path, size, mtime_ns, sha256, host, token, lease_until, taken_from"
_CLAIM = f"""
INSERT INTO intake_claims AS c (path, size, mtime_ns, sha256, host, token, claimed_at, lease_until)
VALUES (%(path)s, %(size)s, %(mtime_ns)s, %(sha256)s, %(host)s, %(token)s, clock_timestamp(),
        clock_timestamp() + make_interval(secs => %(lease)s))
ON CONFLICT (path) DO UPDATE SET size = EXCLUDED.size, mtime_ns = EXCLUDED.mtime_ns,
    sha256 = EXCLUDED.sha256, host = EXCLUDED.host, token = EXCLUDED.token,
    claimed_at = EXCLUDED.claimed_at, lease_until = EXCLUDED.lease_until, taken_from = c.host
WHERE c.lease_until < clock_timestamp()
RETURNING {_COLUMNS}"""


@dataclass(frozen=True)
class Claim:
    path: str  # relative to the inbox, '/'-separated
    size: int
    mtime_ns: int
    sha256: str
    host: str
    token: str  # this claim's id: only its holder can renew or release it
    lease_until: datetime
    taken_from: str = ""  # the host whose lease had run out, when this claim took it over


class ClaimLost(LedgerError):
    """The lease ran out and another host took the file over: stop working on it."""

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        super().__init__(f"{claim.path}：处理超时，已由其他主机接手")


class IntakeClaims:
    """Claims of one host (`host`: its identity, unique among the running watchers)."""

    def __init__(self, db: psycopg.Connection[Any], host: str, lease_seconds: float = 120.0) -> None:
        self._db = db  # autocommit: each call below is one statement, one transaction
        self.host = host
        self.lease_seconds = float(lease_seconds)

    @classmethod
    def connect(cls, url: str, host: str, lease_seconds: float = 120.0) -> IntakeClaims:
        return cls(psycopg.connect(url, autocommit=True, row_factory=dict_row), host, lease_seconds)

    def _one(self, query: str, params: dict[str, Any] | tuple[Any, ...]) -> Claim | None:
        with self._db.cursor(row_factory=dict_row) as cursor:
            row = cursor.execute(query, params).fetchone()  # type: ignore[arg-type]
        return Claim(**row) if row else None

    def _many(self, query: str, params: tuple[Any, ...] = ()) -> list[Claim]:
        with self._db.cursor(row_factory=dict_row) as cursor:
            return [Claim(**row) for row in cursor.execute(query, params).fetchall()]  # type: ignore[arg-type]

    def claim(self, path: str, size: int, mtime_ns: int, sha256: str) -> Claim | None:
        """Take the file: it is unclaimed, or its holder's lease ran out. None: a live lease holds it.

        One statement: two hosts racing on the same path are ordered by the row, exactly one wins.
        """
        return self._one(_CLAIM, {"path": path, "size": size, "mtime_ns": mtime_ns, "sha256": sha256,
                                  "host": self.host, "token": uuid.uuid4().hex, "lease": self.lease_seconds})

    def renew(self, claim: Claim) -> Claim:
        """Extend the lease while working; ClaimLost once another host has taken the file over."""
        renewed = self._one(
            "UPDATE intake_claims SET lease_until = clock_timestamp() + make_interval(secs => %s) "
            f"WHERE path = %s AND token = %s RETURNING {_COLUMNS}", (self.lease_seconds, claim.path, claim.token))
        if renewed is None:
            raise ClaimLost(claim)
        return renewed

    def release(self, claim: Claim) -> bool:
        """Drop the claim (the file has left the inbox); False if it was no longer this claim's."""
        return self._one(f"DELETE FROM intake_claims WHERE path = %s AND token = %s RETURNING {_COLUMNS}",
                         (claim.path, claim.token)) is not None

    def expired(self) -> list[Claim]:
        """Claims whose lease ran out: their file is `claim()`-able again, or, if it has left the
        inbox (the host died after moving it), `release()`-able by anyone."""
        return self._many(f"SELECT {_COLUMNS} FROM intake_claims WHERE lease_until < clock_timestamp() "
                          "ORDER BY path")

    def release_mine(self) -> list[Claim]:
        """At start: end the leases this host identity still holds (its previous process died), so
        they can be taken over at once, by this host or another, with `taken_from` set."""
        return self._many("UPDATE intake_claims SET lease_until = clock_timestamp() - interval '1 second' "
                          f"WHERE host = %s RETURNING {_COLUMNS}", (self.host,))

    def held(self) -> list[Claim]:
        """Every claim, live or not (for `status` and `ledger info`)."""
        return self._many(f"SELECT {_COLUMNS} FROM intake_claims ORDER BY path")

    def close(self) -> None:
        self._db.close()
