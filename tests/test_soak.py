"""Soak: the live watcher under a mixed stream of valid and hostile files, killed at random."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from test_hostile import merge_bomb, with_appendix
from test_intake import book, processing_left, zip_bomb
from test_watcher import ROOT, check_consistent, make_workspace, watcher

# 15 s in the suite; the several-minute run: OFFICEFLOW_SOAK_SECONDS=300 pytest -s tests/test_soak.py
SOAK_SECONDS = float(os.environ.get("OFFICEFLOW_SOAK_SECONDS", "15"))


def peak_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith("VmHWM:")), 0)


def hostile(folder: Path, rng: random.Random, n: int, outside: Path) -> str:
    """Drop one hostile file; returns the name it was given in the inbox."""
    kind = n % 6
    if kind == 0:
        name = f"pipe{n}.xlsx"
        os.mkfifo(folder / name)
    elif kind == 1:
        name = f"link{n}.xlsx"
        (folder / name).symlink_to(outside)
    elif kind == 2:
        name = "退" * 78 + f"{n:04d}.xlsx"  # 247 bytes, rejected: long returned names
        shutil.copy(book(folder.parent / "src", f"bad{n}.xlsx", 900 + n, 流程编号="bad-id"), folder / name)
    elif kind == 3:
        name = f"merge{n}.xlsx"
        shutil.copy(merge_bomb(folder.parent / "src", name, 800 + n), folder / name)
    elif kind == 4:
        name = f"cells{n}.xlsx"
        shutil.copy(with_appendix(folder.parent / "src", name, 700 + n, rows=4000, cols=30), folder / name)
    else:
        name = f"zip{n}.xlsx"
        zip_bomb(folder.parent / "src" / name)
        shutil.copy(folder.parent / "src" / name, folder / name)
    return name


@pytest.mark.slow
def test_soak_mixed_stream_with_random_kills(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws")
    (tmp_path / "src").mkdir()
    outside = book(tmp_path / "elsewhere", "outside.xlsx", 999)
    rng = random.Random(16)
    examples = sorted((ROOT / "examples").glob("*.xlsx"))
    valid: list[str] = []
    bad: list[str] = []
    kills, peaks = 0, []
    proc = watcher(workspace)
    started = time.monotonic()
    next_kill = started + rng.uniform(3, 8)
    n = 0
    while time.monotonic() - started < SOAK_SECONDS:
        n += 1
        roll = rng.random()
        if roll < 0.15 and examples:
            source = examples.pop(0)
            shutil.copy(source, workspace.inbox / source.name)
            valid.append(source.name)
        elif roll < 0.75:
            valid.append(book(workspace.inbox, f"v{n:04d}.xlsx", 1000 + n).name)
        else:
            bad.append(hostile(workspace.inbox, rng, n, outside))
        time.sleep(rng.uniform(0.05, 0.4))
        if time.monotonic() >= next_kill:
            peaks.append(peak_kb(proc.pid))
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            kills += 1
            proc = watcher(workspace)
            next_kill = time.monotonic() + rng.uniform(3, 8)
    time.sleep(3)
    peaks.append(peak_kb(proc.pid))
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    final = watcher(workspace, "--once")
    out, err = final.communicate(timeout=300)
    assert final.returncode in (0, 1), err
    archived_names, returned = check_consistent(workspace)
    assert sorted(archived_names) == sorted(valid)  # every valid file archived exactly once
    shown = {name: name for name in bad}
    assert returned == Counter(dict.fromkeys(shown.values(), 1))  # every hostile file answered once
    assert processing_left(workspace) == []
    assert not [p for p in workspace.inbox.iterdir() if not p.is_dir() or p.is_symlink()]
    assert outside.is_file()
    verify = subprocess.run([sys.executable, "-m", "officeflow", "-w", str(workspace.root), "verify"],
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert verify.returncode == 0, verify.stdout + verify.stderr
    print(f"soak: {len(valid)} valid + {len(bad)} hostile files in {SOAK_SECONDS:g} s, {kills} SIGKILLs; "
          f"watcher peak memory {max(peaks) / 1024:.0f} MB")
