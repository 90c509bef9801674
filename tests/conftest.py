"""Shared fixtures: a fresh workspace and ledger per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from officeflow.ledger import SqliteLedger, open_ledger  # noqa: E402
from officeflow.settings import Workspace, open_workspace  # noqa: E402

TODAY = date(2024, 9, 1)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    root = tmp_path / "ws"
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True)
    return open_workspace(root)


@pytest.fixture
def ledger(workspace: Workspace) -> Iterator[SqliteLedger]:
    opened = open_ledger(workspace.ledger_path)
    yield opened
    opened.close()
