"""`regenerate --all` with 1 and 2 worker processes (issue 15, item 4). Prints, asserts nothing.

Issues --docs distinct 20-step SOPs through the pipeline, then re-renders every archived
version with the current templates (nothing changed, so nothing is rewritten: the work is
read → validate → stamp → render → compare), once with one process and once with two.
Goal: 2 workers ≥ 1.7 × one worker. The machine's load average is printed before and after
each run, and the CPU the other processes took meanwhile, so a noisy run is recognisable.

Run: python bench/regenerate_bench.py [--docs 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from factory import make_workbook  # noqa: E402

from officeflow.ledger import open_ledger  # noqa: E402
from officeflow.pipeline import Result, process_bytes  # noqa: E402
from officeflow.regenerate import regenerate  # noqa: E402
from officeflow.settings import open_workspace  # noqa: E402

TODAY = date(2024, 9, 1)
GOAL = 1.7
STEPS = [[f"{i // 5 + 1}.{i % 5 + 1}", f"第{i + 1}步：核对客户提交的资料并登记到系统，确认信息完整", "客服专员",
          "《客户投诉登记表》", "《投诉处理记录》", "≤30分钟", "记录完整率100%"] for i in range(20)]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}"


def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy so far (/proc/stat), to see others' work."""
    with open("/proc/stat", encoding="ascii") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        for name in ("inbox", "outbox", "templates"):
            (root / name).mkdir(parents=True)
        workspace = open_workspace(root)
        ledger = open_ledger(workspace.ledger_path)
        started = time.perf_counter()
        for n in range(1, args.docs + 1):
            book = make_workbook(Path(tmp) / "books", f"b{n}.xlsx", steps=STEPS,
                                 fields={"流程编号": f"CRM-CS-2024-{n:04d}", "流程名称": f"客户投诉处理流程{n}"})
            outcome = process_bytes(book.read_bytes(), book.name, workspace, ledger, TODAY)
            assert outcome.result is Result.ISSUED, outcome.findings
            book.unlink()
        print(f"{args.docs} documents issued in {time.perf_counter() - started:.0f} s; "
              f"{os.cpu_count()} cores")
        seconds = {}
        for workers in (1, 2):
            before, busy = _load(), _busy_cpu_seconds()
            summary = regenerate(workspace, ledger, None, None, False, workers, False, today=TODAY)
            busy = _busy_cpu_seconds() - busy
            assert not summary.failed and len(summary.unchanged) == args.docs, summary.failed[:1]
            seconds[workers] = summary.seconds
            print(f"regenerate --all, {workers} worker(s): {summary.seconds:6.1f} s, "
                  f"{args.docs / summary.seconds:5.1f} docs/s  ({before} before, {_load()} after; "
                  f"machine busy {busy / summary.seconds:.2f} cores on average)")
        ledger.close()
    speedup = seconds[1] / seconds[2]
    print(f"2 workers / 1 worker: {speedup:.2f}× ({'meets' if speedup >= GOAL else 'misses'} the goal ≥ {GOAL}×; "
          "with other work on the machine, the busy-cores figure above says how much was left)")


if __name__ == "__main__":
    main()
