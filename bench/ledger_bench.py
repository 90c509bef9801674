"""The ledger on SQLite against PostgreSQL: issuing through the pipeline, and the register export.

Run `python bench/ledger_bench.py` (a few minutes; needs Debian's postgresql package and the
`postgres` extra). A throwaway PostgreSQL cluster is started on a Unix socket with fsync on, as
SQLite runs with synchronous=FULL. Each measurement runs in its own subprocess (peak RSS is its own).

- issue: N real workbooks through `process_bytes` (validate, render Word, archive, ledger);
  the time spent inside ledger calls is measured apart, per issued document;
- export: the register spreadsheet written from a ledger holding M versions
  (`export_register_from_ledger`), with the time of `ledger.versions()` alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from officeflow.ledger import open_ledger  # noqa: E402
from officeflow.ledger_protocol import Event  # noqa: E402
from officeflow.records import VersionRecord  # noqa: E402
from officeflow.settings import Workspace, open_workspace  # noqa: E402

TODAY = date(2024, 9, 1)


class Timed:
    """The ledger, with the seconds spent in its methods added up."""

    def __init__(self, ledger: Any) -> None:
        self._ledger, self.seconds, self.calls = ledger, 0.0, 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._ledger, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1
        return timed


def workspace(folder: Path) -> Workspace:
    for name in ("inbox", "outbox", "templates"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    return open_workspace(folder)


def run_issue(url: str | None, count: int) -> dict[str, float]:
    from factory import make_workbook

    from officeflow.pipeline import Result, process_bytes

    with tempfile.TemporaryDirectory() as tmp:
        ws = workspace(Path(tmp) / "ws")
        books = [make_workbook(Path(tmp) / "books", f"b{n}.xlsx",
                               fields={"流程编号": f"CRM-CS-2024-{n:03d}", "流程名称": f"客户投诉处理流程{n}"})
                 for n in range(1, count + 1)]
        ledger = open_ledger(ws.ledger_path, url)
        timed = Timed(ledger)
        process_bytes(books[0].read_bytes(), books[0].name, ws, timed, TODAY)  # warm-up: templates checked
        timed.seconds, timed.calls = 0.0, 0
        started = time.perf_counter()
        results = [process_bytes(b.read_bytes(), b.name, ws, timed, TODAY).result for b in books[1:]]  # type: ignore[arg-type]
        total = time.perf_counter() - started
        ledger.close()
    assert results.count(Result.ISSUED) == len(results), results
    return {"documents": len(results), "seconds": total, "per_doc_ms": total / len(results) * 1000,
            "ledger_per_doc_ms": timed.seconds / len(results) * 1000, "ledger_calls": timed.calls}


def records(count: int) -> list[VersionRecord]:
    """Realistic versions (register_bench's generator), one per 流程编号/版本号 and path."""
    from register_bench import make_rows

    seen: set[tuple[str, str]] = set()
    out: list[VersionRecord] = []
    for row in make_rows(count * 2):
        if (row.doc_id, row.version) in seen:
            continue
        seen.add((row.doc_id, row.version))
        out.append(VersionRecord(row.doc_id, row.version, "sop", row.name, row.effective_date, row.category,
                                 row.department, row.owner, row.approver, f"{len(out)}/{row.document_path}",
                                 f"{len(out)}/{row.source_path}", f"{len(out)}/{row.doc_id}.json", row.sha256,
                                 row.sha256[::-1], row.received_at, row.kind_label))
        if len(out) == count:
            break
    return out


def run_fill(url: str | None, folder: Path, count: int) -> None:
    ledger = open_ledger(workspace(folder).ledger_path, url)
    data = records(count)
    ledger.rebuild(data, [], [], [], [Event("bench", detail=f"{count} versions")], {})
    ledger.close()


def run_export(url: str | None, folder: Path) -> dict[str, float]:
    from officeflow.publish import export_register_from_ledger

    ws = workspace(folder)
    ledger = open_ledger(ws.ledger_path, url)
    started = time.perf_counter()
    count = len(ledger.versions())
    versions_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rows = export_register_from_ledger(ws, ledger, TODAY)
    seconds = time.perf_counter() - started
    ledger.close()
    assert rows == count
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"versions": count, "seconds": seconds, "versions_seconds": versions_seconds, "peak_mb": peak}


def child(*args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--versions", type=int, nargs="*", default=[10_000])
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        what, url, *rest = args.child
        url = None if url == "-" else url
        if what == "issue":
            print(json.dumps(run_issue(url, int(rest[0]))))
        elif what == "fill":
            run_fill(url, Path(rest[0]), int(rest[1]))
            print("{}")
        else:
            print(json.dumps(run_export(url, Path(rest[0]))))
        return

    from pgcluster import OWNER, PgCluster

    cluster = PgCluster(fsync=True).start()
    try:
        cluster.roles()
        backends = {"sqlite": lambda: "-", "postgres": lambda: cluster.url(cluster.new_database(), OWNER)}
        print(f"issue {args.documents} versions through the pipeline (fsync on both)")
        for name, url in backends.items():
            r = child("issue", url(), str(args.documents + 1))
            print(f"  {name:8} {r['seconds']:6.1f} s  {r['per_doc_ms']:6.1f} ms/doc  "
                  f"of which ledger {r['ledger_per_doc_ms']:5.1f} ms/doc ({int(r['ledger_calls'])} calls)")
        for size in args.versions:
            print(f"register export at {size} versions")
            for name, url in backends.items():
                with tempfile.TemporaryDirectory() as tmp:
                    target = url()
                    child("fill", target, tmp, str(size))
                    r = child("export", target, tmp)
                print(f"  {name:8} {r['seconds']:6.2f} s  (ledger.versions() {r['versions_seconds']:5.2f} s)  "
                      f"peak {r['peak_mb']:6.0f} MB")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
