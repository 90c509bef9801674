"""Shared fixtures: a fresh workspace and ledger per test, on SQLite or on PostgreSQL.

The ledger-facing modules (LEDGER_MODULES) run every test that takes `workspace` twice:
`[sqlite]` with the ledger file, `[postgres]` with OFFICEFLOW_LEDGER_URL pointing at a fresh
database of one throwaway cluster shared by the whole session (tests/pgcluster.py), so the
CLI, the watcher's child and `ledger` all open the same PostgreSQL ledger. The PostgreSQL runs
skip with the reason when the cluster cannot start here (no binaries, no psycopg).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pgcluster import OWNER, PgCluster, why_unavailable  # noqa: E402

from officeflow.ledger import Ledger, open_ledger, workspace_ledger  # noqa: E402
from officeflow.settings import Workspace, open_workspace  # noqa: E402

TODAY = date(2024, 9, 1)

# Modules whose tests go through the ledger: each test taking `workspace` runs on both backends.
# (test_integrity damages the SQLite file with sqlite3: its PostgreSQL counterparts are in
# test_ledger_pg*.py; test_register writes spreadsheets from rows and opens no ledger;
# test_watcher's loop on PostgreSQL is test_multihost.py, with four real watcher processes.)
LEDGER_MODULES = {"test_pipeline", "test_control", "test_document_control", "test_regenerate", "test_training",
                  "test_intake"}
# Tests about the SQLite file itself (they open it with sqlite3, delete or damage it): SQLite only.
SQLITE_ONLY = {
    "test_verify_reports_edited_missing_stray_and_tampered",  # edits events with sqlite3
    "test_rebuild_from_manifests_gives_the_same_register",  # deletes the ledger file, rebuilds it
    "test_an_archive_from_before_records_keeps_its_issued_bytes_when_remarked",  # sqlite3 UPDATE
    "test_an_export_clears_only_the_changes_it_has_seen",  # a second SqliteLedger as the other process
    # The flock on a watcher's folder decides a take-over; on PostgreSQL the claim row does
    # (the planted folder is taken over, its symlinked .lock never opened: test_multihost.py).
    "test_a_planted_symlink_lock_is_not_followed",
}
BACKENDS = ("sqlite", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if module not in LEDGER_MODULES or "workspace" not in metafunc.fixturenames:
        return
    backends = ["sqlite"] if metafunc.function.__name__ in SQLITE_ONLY else list(BACKENDS)
    metafunc.parametrize("ledger_backend", backends, indirect=True)


@pytest.fixture(scope="session")
def shared_pg_cluster() -> Iterator[PgCluster]:
    """One PostgreSQL cluster for the whole session; each test gets its own database in it."""
    reason = why_unavailable()
    if reason:
        pytest.skip(reason)
    cluster = PgCluster().start()
    try:
        cluster.roles()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def ledger_backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def workspace(tmp_path: Path, ledger_backend: str, request: pytest.FixtureRequest,
              monkeypatch: pytest.MonkeyPatch) -> Workspace:
    root = tmp_path / "ws"
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True)
    if ledger_backend == "postgres":
        cluster: PgCluster = request.getfixturevalue("shared_pg_cluster")
        url = cluster.url(cluster.new_database(), OWNER)
        monkeypatch.setenv("OFFICEFLOW_LEDGER_URL", url)
        if hasattr(request.module, "open_ledger"):  # `open_ledger(workspace.ledger_path)`: this test's ledger
            monkeypatch.setattr(request.module, "open_ledger",
                                lambda path, given=None: open_ledger(path, given or url))
    else:
        monkeypatch.delenv("OFFICEFLOW_LEDGER_URL", raising=False)
    return open_workspace(root)


@pytest.fixture
def ledger(workspace: Workspace) -> Iterator[Ledger]:
    opened = workspace_ledger(workspace)
    yield opened
    opened.close()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """An empty workspace folder (an empty officeflow.toml) for the CLI tests, as a path."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "officeflow.toml").write_text("", encoding="utf-8")
    return root
