"""Hostile-file benchmark: time to answer each hostile file, budget used, peak memory.

Each file is dropped alone into a fresh workspace and handled by the real intake (claim,
child process with its budget, archive or return). Prints one line per file: outcome,
time from claim to answer, the child's wall time and peak resident memory, and at the
end the peak memory of this (watcher) process.

Run: python bench/hostile_bench.py [--budget-seconds 60]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_hostile import merge_bomb, with_appendix  # noqa: E402
from test_intake import book, xml_bomb, zip_bomb  # noqa: E402

from officeflow.intake import Intake  # noqa: E402
from officeflow.ledger import open_ledger  # noqa: E402
from officeflow.sandbox import Budget  # noqa: E402
from officeflow.settings import open_workspace  # noqa: E402


def cases(src: Path) -> dict[str, Callable[[Path], None]]:
    secret = src / "secret.txt"
    secret.write_text("root:x:0:0", encoding="utf-8")
    return {
        "valid workbook": lambda p: shutil.copy(book(src, "valid.xlsx", 1), p),
        "FIFO *.xlsx": lambda p: os.mkfifo(p),
        "symlink to /etc-like file": lambda p: p.symlink_to(secret),
        "long name (247 B), rejected": lambda p: shutil.copy(book(src, "bad.xlsx", 2, 流程编号="bad"), p),
        "merge bomb E20:ZZ200000": lambda p: shutil.copy(merge_bomb(src, "merge.xlsx", 3), p),
        "120k cells (cell limit)": lambda p: shutil.copy(with_appendix(src, "c.xlsx", 4, 4000, 30), p),
        "55 MB sheet XML (ratio ok)": lambda p: shutil.copy(
            with_appendix(src, "x.xlsx", 5, 1100, 1, random_text=50_000), p),
        "90k cells, legal but slow": lambda p: shutil.copy(with_appendix(src, "s.xlsx", 6, 3000, 30), p),
        "zip bomb 20 MB": lambda p: zip_bomb(p),
        "billion laughs in a sheet": lambda p: xml_bomb(p, book(src, "l.xlsx", 7), "xl/worksheets/sheet1.xml"),
    }


def names() -> dict[str, str]:
    return {"long name (247 B), rejected": "退" * 79 + "0.xlsx"}


def run(base: Path, label: str, make: Callable[[Path], None], budget: Budget) -> str:
    root = base / label.replace(" ", "_").replace("/", "_")[:40]
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True)
    workspace = open_workspace(root)
    path = workspace.inbox / names().get(label, "file.xlsx")
    make(path)
    ledger = open_ledger(workspace.ledger_path)
    intake = Intake(workspace, ledger, budget)
    try:
        started = time.perf_counter()
        claim = intake.claim(path)
        assert claim is not None
        handled = intake.handle(claim)
        elapsed = time.perf_counter() - started
    finally:
        intake.close()
        ledger.close()
    child = handled.budget
    used = f"{child.seconds:6.2f} s {child.peak_mb:6.0f} MB" if child else "   (no child: answered unopened)"
    reason = (handled.reason or f"{handled.doc_id} {handled.version}")[:60]
    return f"{label:30} {handled.result.value:9} {elapsed:6.2f} s | child {used} | {reason}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget-seconds", type=float, default=60.0)
    parser.add_argument("--budget-mb", type=int, default=1024)
    args = parser.parse_args()
    budget = Budget(args.budget_seconds, args.budget_mb)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        src = base / "src"
        src.mkdir()
        print(f"budget per file: {budget.seconds:g} s, {budget.memory_mb} MB")
        print(f"{'file':30} {'outcome':9} {'answer':>8} | child time / peak RSS | reason")
        for label, make in cases(src).items():
            print(run(base, label, make, budget), flush=True)
        print("-- with a 1 s budget:")
        print(run(base, "90k cells, 1 s budget", cases(src)["90k cells, legal but slow"],
                  Budget(1.0, budget.memory_mb)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the watcher process (this one): {peak:.0f} MB")


if __name__ == "__main__":
    main()
