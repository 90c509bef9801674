"""Issue 16 item 8: `regenerate`'s worker processes die with their parent (they used to keep writing)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TODAY
from factory import make_workbook

from officeflow.ledger import SqliteLedger
from officeflow.pipeline import process_files
from officeflow.settings import Workspace


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find the workers")
def test_workers_die_when_regenerate_is_killed(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    books = [make_workbook(tmp_path, f"b{i}.xlsx", fields={"流程编号": f"CRM-CS-2024-{i:03d}"}) for i in range(1, 61)]
    process_files(books, workspace, ledger, TODAY)
    ledger.close()
    parent = subprocess.Popen([sys.executable, "-m", "officeflow", "-w", str(workspace.root), "regenerate", "--all",
                               "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(workers) < 2 and parent.poll() is None:
        workers = _children(parent.pid)
        time.sleep(0.01)
    assert workers, "regenerate finished before its workers could be seen; give it more documents"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert [w for w in workers if _alive(w)] == []
