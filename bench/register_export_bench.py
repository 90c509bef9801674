"""Register export at 10k / 50k / 200k versions: time and peak memory (issue 15, item 3).

Prints figures, asserts nothing. For each size a ledger is filled once (ledger_bench's
realistic versions), then measured two ways, each in a fresh process:
- `cli`: `officeflow register export` end to end (start-up, re-marking pass, export), as cron
  or the watcher's quiet-spell export runs it: wall time, CPU time (less sensitive to other
  work on the machine) and the process's peak RSS;
- `export`: `export_register_from_ledger` alone (the streamed rows and writer).
Goal: ≤ 150 MB peak at 200k and ≤ 3 s at 50k through the CLI. `--url` measures PostgreSQL.
The package measured is byte-compiled first, as an installed one is (with PYTHONDONTWRITEBYTECODE
set, as in some sandboxes, every run would otherwise compile each module it imports again).
The export deflates its sheets on a second core (officeflow.xlsx_zip): on a busy two-core
machine the wall time is closer to the CPU time.

Run: python bench/register_export_bench.py [--sizes 10000,50000,200000] [--url postgresql://…]
     [--src DIR]  (another checkout first on PYTHONPATH, e.g. the code before a change)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TODAY = date(2024, 9, 1)
# Not imported here: ledger_bench and register_bench put this checkout first on sys.path, and
# the child measuring the export must import officeflow from --src when it is given.


def workspace(folder: Path) -> Any:
    from officeflow.settings import open_workspace

    for name in ("inbox", "outbox", "templates"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return open_workspace(folder)


def fill(url: str | None, folder: Path, count: int) -> None:
    """Exactly `count` versions as a settled archive holds them: each with its as-issued record
    path and the marking its reading copy shows today, so the CLI's re-marking pass finds
    nothing to re-render (the steady state of a cron or quiet-spell export)."""
    from collections import defaultdict

    sys.path.insert(0, str(HERE))
    from register_bench import make_rows

    from officeflow.ledger import open_ledger
    from officeflow.ledger_protocol import Event
    from officeflow.lifecycle import states_on
    from officeflow.marks import marking_for
    from officeflow.records import VersionRecord

    records: list[VersionRecord] = []
    for n, row in enumerate(make_rows(count)):
        doc_id = f"{row.doc_id[:-3]}{n // 4:06d}"  # unique per document whatever the generator repeats
        version = f"V{n % 4 + 1}.0"
        records.append(VersionRecord(
            doc_id, version, "sop", row.name, row.effective_date, row.category, row.department, row.owner,
            row.approver, f"{doc_id}/{version}/{row.name}.docx", f"{doc_id}/{version}/source.xlsx",
            f"{doc_id}/{version}/manifest.json", f"{n:064x}", f"{n:064x}"[::-1], row.received_at,
            row.kind_label, f"records/{doc_id}/{version}.docx", f"{n:064x}"))
    records = [r._replace(effective_date=date(2019 + int(r.version[1]), 1, 1)) for r in records]
    today = date.today()
    # By doc_id, not by neighbours: one document's versions are not always adjacent in `records`
    # (grouping neighbours left a few hundred copies stale, and the CLI then tried to re-render them).
    by_doc: dict[str, list[VersionRecord]] = defaultdict(list)
    for r in records:
        by_doc[r.doc_id].append(r)
    markings = {}
    for versions in by_doc.values():
        states = states_on(versions, today, {})
        for r in versions:
            markings[(r.doc_id, r.version)] = marking_for(states[r.version], r.effective_date).key
    ledger = open_ledger(workspace(folder).ledger_path, url)
    ledger.rebuild(records, [], [], [], [Event("bench", detail=f"{count} versions")], markings)
    ledger.close()


def remarked(folder: Path, url: str | None) -> int:
    """Copies the CLI's re-marking pass re-rendered (0 in the steady state `fill` sets up)."""
    from officeflow.ledger import open_ledger

    ledger = open_ledger(workspace(folder).ledger_path, url)
    try:
        return sum(e["event"] in ("remarked", "remark-failed") for e in ledger.events())
    finally:
        ledger.close()


def _child_export(folder: Path, url: str | None) -> None:
    from officeflow.ledger import open_ledger
    from officeflow.publish import export_register_from_ledger

    ws = workspace(folder)
    ledger = open_ledger(ws.ledger_path, url)
    started = time.perf_counter()
    rows = export_register_from_ledger(ws, ledger, TODAY)
    seconds = time.perf_counter() - started
    ledger.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mb": usage.ru_maxrss / 1024,
                      "cpu": usage.ru_utime + usage.ru_stime}))


def _measure(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of one child process, via a fresh wrapper per run."""
    wrapper = ("import json, resource, subprocess, sys, time; t = time.perf_counter(); "
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
               "print(json.dumps([time.perf_counter() - t, u.ru_maxrss / 1024, u.ru_utime + u.ru_stime, "
               "p.returncode, p.stdout]))")
    out = subprocess.run([sys.executable, "-c", wrapper, *argv], env=env, capture_output=True, text=True,
                         check=True)
    seconds, peak, cpu, code, stdout = json.loads(out.stdout)
    if code != 0:
        raise SystemExit(f"{argv} failed: {stdout}")
    return seconds, peak, cpu, stdout


def _compile(env: dict[str, str]) -> None:
    """Byte-compile the officeflow package the children import (outside any checkout's cwd)."""
    where = subprocess.run([sys.executable, "-c", "import officeflow; print(officeflow.__file__)"], env=env,
                           cwd=tempfile.gettempdir(), capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(where).parent)], env=env,
                   cwd=tempfile.gettempdir(), capture_output=True, check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000,200000")
    parser.add_argument("--url", help="PostgreSQL URL (a fresh schema is the caller's business)")
    parser.add_argument("--src", type=Path, help="checkout to put first on PYTHONPATH")
    parser.add_argument("--child", nargs=2, metavar=("FOLDER", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child_export(Path(args.child[0]), args.child[1] or None)
        return
    env = dict(os.environ)
    if args.src:
        env["PYTHONPATH"] = str(args.src.resolve())
    _compile(env)
    script = Path(sys.executable).with_name("officeflow")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "officeflow"]
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores; "
          f"ledger {'PostgreSQL' if args.url else 'SQLite'}" + (f"; code from {args.src}" if args.src else ""))
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "ws"
            fill(args.url, folder, size)
            if args.url:
                (folder / "officeflow.toml").write_text(f'ledger_url = "{args.url}"\n', encoding="utf-8")
            seconds, peak, cpu, _ = _measure([*cli, "-w", str(folder), "register", "export"], env)
            print(f"{size:>7} versions  cli register export {seconds:6.2f} s (CPU {cpu:6.2f} s)  peak {peak:6.1f} MB"
                  f"  ({remarked(folder, args.url)} copies re-marked)")
            _, _, _, stdout = _measure([sys.executable, __file__, "--child", str(folder), args.url or ""], env)
            alone = json.loads(stdout.strip().splitlines()[-1])
            print(f"{'':>7}           export alone        {alone['seconds']:6.2f} s (CPU {alone['cpu']:6.2f} s, "
                  f"whole child)  peak {alone['peak_mb']:6.1f} MB  ({alone['rows']} rows)")


if __name__ == "__main__":
    main()
