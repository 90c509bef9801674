"""A throwaway PostgreSQL cluster for tests: `initdb` into a temporary folder, `pg_ctl start` on a
Unix socket inside it (no TCP), stopped and removed at the end.

The binaries come from Debian's `postgresql` package (/usr/lib/postgresql/<major>/bin, not on
PATH); `scripts/setup.sh --test` installs it. PostgreSQL refuses to run as root, so under root
(CI, containers) the cluster runs as the `postgres` system user the package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

SUPERUSER = "postgres"
OWNER = "officeflow_owner"  # creates and upgrades the schema (officeflow ledger migrate)
APP = "officeflow_app"  # what the hosts run as: only the rights the ledger uses


def find_bin_dir() -> Path | None:
    """The folder holding initdb/pg_ctl: PATH first, else the newest Debian major version."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(candidates[-1]).parent if candidates else None


def why_unavailable() -> str:
    """'' when a cluster can be started here, else the reason (for pytest.skip)."""
    if find_bin_dir() is None:
        return ("PostgreSQL binaries (initdb, pg_ctl) not found: install Debian's postgresql package "
                "(bash scripts/setup.sh --test)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install -e '.[postgres]'"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the cluster as"
    return ""


class PgCluster:
    """One cluster in its own folder; `url(db, user)` connects through its socket."""

    def __init__(self, fsync: bool = False) -> None:
        bin_dir = find_bin_dir()
        assert bin_dir is not None, why_unavailable()
        self.bin = bin_dir
        self.fsync = fsync
        self.root = Path(tempfile.mkdtemp(prefix="ofpg-"))
        self.data = self.root / "data"
        self._run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _tool(self, name: str, *args: str) -> None:
        subprocess.run([str(self.bin / name), *args], check=True, capture_output=True,
                       cwd=self.root, **self._run_as)

    def start(self) -> PgCluster:
        self._tool("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                   "--encoding=UTF8", "--no-locale", "--no-sync")
        options = f"-k {self.root} -c listen_addresses='' -c fsync={'on' if self.fsync else 'off'}"
        if not self.fsync:
            options += " -c synchronous_commit=off -c full_page_writes=off"
        self._tool("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-o", options,
                   "-w", "start")
        return self

    def stop(self) -> None:
        try:
            self._tool("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@/{database}?host={self.root}"

    def sql(self, statements: str | list[str], database: str = "postgres", user: str = SUPERUSER) -> None:
        import psycopg

        with psycopg.connect(self.url(database, user), autocommit=True) as conn:
            for statement in [statements] if isinstance(statements, str) else statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def roles(self) -> None:
        """The owner (creates the schema) and the app role (runs officeflow), neither a superuser."""
        self.sql([f"CREATE ROLE {OWNER} LOGIN", f"CREATE ROLE {APP} LOGIN"])

    def new_database(self) -> str:
        """A fresh empty database owned by OWNER; returns its name."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.sql(f"CREATE DATABASE {name} OWNER {OWNER}")
        return name


def database_of(url: str) -> str:
    return url.split("@/", 1)[1].split("?", 1)[0]


@pytest.fixture(scope="session")
def pg_cluster(shared_pg_cluster: PgCluster) -> PgCluster:
    """The session's one cluster (tests/conftest.py starts it); each test gets its own database."""
    return shared_pg_cluster


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh database, as the owner role (what `officeflow ledger migrate` runs as)."""
    return pg_cluster.url(pg_cluster.new_database(), OWNER)
