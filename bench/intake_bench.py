"""Inbox intake benchmark: prints figures, asserts only that nothing was lost.

1. Single-file pipeline: process_bytes on one workbook (median of a few, warm).
2. Burst: N files dropped at once, `watch --once` in-process: files/second and per-file
   cost against (1); the register is exported once for the batch, so the burst stays linear.
3. Live mode: time from a file's last write to its archived document (includes the
   stability window, which is reported separately).

Run: python bench/intake_bench.py [--files 200] [--live 5] [--stable 0.5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from factory import make_workbook  # noqa: E402

from officeflow.ledger import open_ledger  # noqa: E402
from officeflow.pipeline import Result, process_bytes  # noqa: E402
from officeflow.settings import Workspace, open_workspace  # noqa: E402
from officeflow.watcher import WatchOptions, run_watch  # noqa: E402


def new_workspace(root: Path) -> Workspace:
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    return open_workspace(root)


def books(folder: Path, count: int, start: int = 1) -> list[Path]:
    return [make_workbook(folder, f"b{n:04d}.xlsx", fields={"流程编号": f"CRM-CS-2024-{n:04d}"})
            for n in range(start, start + count)]


def single_file(base: Path, repeats: int = 15) -> float:
    workspace = new_workspace(base / "single")
    sources = books(base / "single-src", repeats + 2)
    ledger = open_ledger(workspace.ledger_path)
    times = []
    try:
        for i, path in enumerate(sources):
            started = time.perf_counter()
            outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger)
            assert outcome.result is Result.ISSUED, outcome.findings
            if i >= 2:  # the first renders compile and check the template
                times.append(time.perf_counter() - started)
    finally:
        ledger.close()
    return statistics.median(times) * 1000


def burst(base: Path, count: int) -> tuple[float, float]:
    workspace = new_workspace(base / "burst")
    for path in books(base / "burst-src", count):
        path.rename(workspace.inbox / path.name)
    options = WatchOptions(once=True, stable_seconds=0.1, register_quiet_seconds=0.1)
    started = time.perf_counter()
    summary = run_watch(workspace, options)
    elapsed = time.perf_counter() - started
    assert summary.archived == count and summary.handled == count, str(summary)
    return elapsed, options.stable_seconds


def live_latency(base: Path, count: int, stable: float) -> list[float]:
    workspace = new_workspace(base / "live")
    sources = books(base / "live-src", count)
    options = WatchOptions(stable_seconds=stable, register_quiet_seconds=0.5, rescan_seconds=30)
    stop = threading.Event()
    thread = threading.Thread(target=run_watch, args=(workspace, options, stop))
    thread.start()
    time.sleep(0.5)
    latencies = []
    try:
        for n, source in enumerate(sources, start=1):
            target = workspace.inbox / source.name
            target.write_bytes(source.read_bytes())
            last_change = time.time()
            expected = f"CRM-CS-2024-{n:04d}_V1.0.docx"
            while not any(workspace.outbox.rglob(expected)):
                time.sleep(0.005)
            latencies.append(time.time() - last_change)
    finally:
        stop.set()
        thread.join()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--live", type=int, default=5)
    parser.add_argument("--stable", type=float, default=0.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        single_ms = single_file(base)
        print(f"single file, process_bytes: {single_ms:.1f} ms")
        elapsed, stable = burst(base, args.files)
        per_file = elapsed * 1000 / args.files
        print(f"burst of {args.files} files, watch --once: {elapsed:.2f} s, "
              f"{args.files / elapsed:.1f} files/s, {per_file:.1f} ms/file "
              f"= {per_file / single_ms:.2f}x the single-file pipeline "
              f"(includes one {stable} s stability window and one register export)")
        latencies = live_latency(base, args.live, args.stable)
        print(f"live mode (native events, stable_seconds={args.stable}): last write → archived "
              f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
              f"over {len(latencies)} files; minus the stability window: "
              f"{(statistics.median(latencies) - args.stable) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
