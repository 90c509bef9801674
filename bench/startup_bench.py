"""CLI start-up benchmark: prints figures, asserts nothing (issue 15, item 1).

Times five commands a person or a cron job types (`--help`, `status`, `due`, `audit`,
`next-id`) against `python -c pass` in the same run, in a workspace holding one issued
document, and prints each as a ratio. Goal: every ratio ≤ 3. Each figure is the median of
--runs fresh processes, so one noisy run does not decide it; the load average is printed so
a busy machine is recognisable. Python's bytecode cache is on for the measured processes, as
in a user's install (pip writes .pyc files; an editable install writes them on first run), and
each command runs once untimed first; a sandbox's PYTHONDONTWRITEBYTECODE would otherwise make
every run compile officeflow from source.

--instructions adds each command's instruction count under valgrind (callgrind), a figure
that does not move with the machine's load: on a shared VM the wall-time ratios of identical
runs differ by ±25 %.

Run: python bench/startup_bench.py [--runs 15] [--src DIR] [--instructions]
(--src puts another checkout first on PYTHONPATH, e.g. to measure a proposed change.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "客户投诉处理流程_CRM-CS-2024-005.xlsx"
GOAL_RATIO = 3.0
COMMANDS = (
    ("officeflow --help", ["--help"]),
    ("officeflow status CRM-CS-2024-005", ["status", "CRM-CS-2024-005"]),
    ("officeflow due", ["due"]),
    ("officeflow audit", ["audit"]),
    ("officeflow next-id CRM-CS", ["next-id", "CRM-CS"]),
)


def _median_ms(argv: list[str], runs: int, env: dict[str, str], cwd: Path) -> float:
    times = []
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _instructions(argv: list[str], env: dict[str, str], cwd: Path) -> int:
    """Instructions executed by `argv` (valgrind's callgrind: deterministic for one binary and input)."""
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv], env=env,
                          cwd=cwd, capture_output=True, text=True, check=True)
    line = next(line for line in done.stderr.splitlines() if "Collected" in line)
    return int(line.split()[-1])


def _entry_point() -> list[str]:
    """The installed `officeflow` script when there is one (what a user runs), else -m."""
    script = Path(sys.executable).with_name("officeflow")
    return [str(script)] if script.exists() else [sys.executable, "-m", "officeflow"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--src", type=Path, help="checkout to put first on PYTHONPATH")
    parser.add_argument("--instructions", action="store_true", help="also count instructions (valgrind)")
    args = parser.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve())
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        officeflow = _entry_point()
        subprocess.run([*officeflow, "init", str(ws)], env=env, check=True, stdout=subprocess.DEVNULL)
        shutil.copyfile(EXAMPLE, ws / EXAMPLE.name)
        subprocess.run([*officeflow, "-w", str(ws), "process", str(ws / EXAMPLE.name)], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}, {os.cpu_count()} cores;"
              f" median of {args.runs} runs; entry point {Path(officeflow[0]).name}")
        count = shutil.which("valgrind") is not None and args.instructions
        baseline = _median_ms([sys.executable, "-c", "pass"], args.runs, env, ws)
        base_ir = _instructions([sys.executable, "-c", "pass"], env, ws) if count else 0
        print(f"{'python -c pass':<36} {baseline:7.1f} ms" + (f"   {base_ir / 1e6:5.0f} M instructions" if count else ""))
        worst = 0.0
        for label, command in COMMANDS:
            ms = _median_ms([*officeflow, "-w", str(ws), *command], args.runs, env, ws)
            worst = max(worst, ms / baseline)
            line = f"{label:<36} {ms:7.1f} ms  {ms / baseline:5.2f}× python -c pass"
            if count:
                ir = _instructions([*officeflow, "-w", str(ws), *command], env, ws)
                line += f"   {ir / 1e6:5.0f} M instructions {ir / base_ir:5.2f}×"
            print(line)
        verdict = "meets" if worst <= GOAL_RATIO else "misses"
        print(f"worst ratio {worst:.2f} ({verdict} the goal ≤ {GOAL_RATIO:g}×)")


if __name__ == "__main__":
    main()
