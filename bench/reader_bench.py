"""Reader benchmark: the per-workbook pipeline against the reading floors (issue 15, item 2).

Prints figures, asserts nothing. For --docs distinct 20-step Chinese SOP workbooks:
- reading floors per workbook: openpyxl `load_workbook`, python-calamine (values of every
  sheet, when installed), zip + lxml (every sheet, shared strings, styles, workbook parsed);
- officeflow's reader: the openpyxl path (`fast=False`, as before) and the fast path, and the
  fast path's stages alone (the guard, which parses each part once, and xlsx_grid from its trees);
- each floor + the prepared render of the same document (render_docx, templates prepared);
- the pipeline per workbook (`process_bytes`: guard → read → … → render → archive → ledger).
Goal: pipeline ≤ 1.2 × (fastest floor + prepared render). Then `watch --once` against
`process` over the same files, per file. Medians; the load average is printed.

Run: python bench/reader_bench.py [--docs 60] [--cpu]
(python-calamine is a bench-only extra: pip install -e '.[bench]'.)
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import openpyxl  # noqa: E402
from factory import make_workbook  # noqa: E402
from lxml import etree  # noqa: E402

from officeflow.ledger import open_ledger  # noqa: E402
from officeflow.pipeline import check_workbook, plan_outputs, process_bytes  # noqa: E402
from officeflow.reader import read_workbook  # noqa: E402
from officeflow.reader_guard import check_container  # noqa: E402
from officeflow.render import render_docx  # noqa: E402
from officeflow.settings import Workspace, open_workspace  # noqa: E402
from officeflow.stamp import stamp_document  # noqa: E402
from officeflow.xlsx_grid import load_grid  # noqa: E402

TODAY = date(2024, 9, 1)
GOAL = 1.2
STEPS = [[f"{i // 5 + 1}.{i % 5 + 1}", f"第{i + 1}步：核对客户提交的资料并登记到系统，确认信息完整", "客服专员",
          "《客户投诉登记表》", "《投诉处理记录》", "≤30分钟", "记录完整率100%"] for i in range(20)]


def read_openpyxl(data: bytes) -> None:
    openpyxl.load_workbook(io.BytesIO(data)).close()


def read_calamine(data: bytes) -> None:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()


def read_lxml(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/") and name.endswith(".xml") and "/theme/" not in name:
                etree.fromstring(archive.read(name))


def grid_from_guard(data: bytes) -> None:
    parsed = check_container(data)
    # None before the guard handed its trees over (commit fa31156): a bench of older commits
    load_grid(data, parsed) if parsed is not None else load_grid(data)


def workspace(folder: Path, settings: str = "") -> Workspace:
    for name in ("inbox", "outbox", "templates"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / "officeflow.toml").write_text(settings, encoding="utf-8")
    return open_workspace(folder)


CLOCK = time.perf_counter  # --cpu: time.process_time, when other work loads the machine


def median_ms(fn: Callable[[bytes], object], books: list[bytes]) -> float:
    fn(books[0])  # warm: imports, caches
    times = []
    for data in books:
        started = CLOCK()
        fn(data)
        times.append(CLOCK() - started)
    return statistics.median(times) * 1000


def books_for(folder: Path, count: int, first: int = 1) -> list[Path]:
    return [make_workbook(folder, f"b{i}.xlsx", steps=STEPS, fields={"流程编号": f"CRM-CS-2024-{i:03d}"})
            for i in range(first, first + count)]


def floors_and_pipeline(folder: Path, docs: int) -> None:
    paths = books_for(folder / "books", docs + 1)
    books = [p.read_bytes() for p in paths]
    ws = workspace(folder / "ws")
    ledger = open_ledger(ws.ledger_path)
    checked = check_workbook(books[0], ws, ledger, TODAY)
    assert checked.parsed and checked.context, checked.findings
    plan = plan_outputs(checked.parsed, stamp_document(checked.parsed, checked.context), checked.context,
                        ws, "b.xlsx", datetime.now())

    def render(_: bytes) -> None:
        render_docx(plan.template, plan.context, plan.properties)

    floors: dict[str, Callable[[bytes], object]] = {"openpyxl load_workbook": read_openpyxl,
                                                    "zip + lxml (all parts)": read_lxml}
    try:
        import python_calamine  # noqa: F401

        floors["python-calamine (values)"] = read_calamine
    except ImportError:
        print("(python-calamine not installed: its floor is left out)")
    render_ms = median_ms(render, books)
    print(f"prepared render (render_docx)                 {render_ms:7.2f} ms")
    floor_ms = {}
    for name, fn in floors.items():
        floor_ms[name] = median_ms(fn, books)
        print(f"floor {name:<26}              {floor_ms[name]:7.2f} ms   + render {floor_ms[name] + render_ms:7.2f} ms")
    old = median_ms(lambda d: read_workbook(d, fast=False), books)
    new = median_ms(read_workbook, books)
    print(f"officeflow reader, openpyxl path (before)      {old:7.2f} ms")
    print(f"officeflow reader, fast path (guard included)  {new:7.2f} ms   ({old / new:.1f}x faster)")
    guard = median_ms(check_container, books)
    grid = median_ms(grid_from_guard, books) - guard
    print(f"  of which the guard (parses each part once)   {guard:7.2f} ms; xlsx_grid from its trees {grid:7.2f} ms")
    pipeline = median_ms(lambda d: process_bytes(d, "b.xlsx", ws, ledger, TODAY), books[1:])
    ledger.close()
    best = min(floor_ms.values()) + render_ms
    print(f"pipeline per workbook (process_bytes)          {pipeline:7.2f} ms   = {pipeline / best:.2f} × "
          f"(fastest floor + render {best:.2f} ms; goal ≤ {GOAL})")


def _timed_cli(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `officeflow …` process (its forked children included)."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run([sys.executable, "-m", "officeflow", *argv], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (time.perf_counter() - started,
            after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)


def watch_vs_process(folder: Path, docs: int, rounds: int = 3) -> None:
    """Per-file cost of `officeflow process` and of `officeflow watch --once`.

    Each run is a fresh process, as a user or a service runs it, so the watcher's children
    start from what its parent prepared (not from a warm benchmark process). Each tool runs
    on `docs` and on 2×`docs` new files; the difference divided by `docs` is the cost of one
    more file, start-up and the closing register export cancelled out. `rounds` times,
    alternating; the best of each is kept (a shared machine's noise only adds time).
    """
    quick = "stable_seconds = 0\nregister_quiet_seconds = 0\n"
    roots = {"process": workspace(folder / "p", quick).root, "watch": workspace(folder / "w", quick).root}
    best: dict[tuple[str, int], tuple[float, float]] = {}
    first = 1000
    for _ in range(rounds):
        for name, root in roots.items():
            for count in (docs, 2 * docs):
                paths = books_for(folder / "in" / str(first) if name == "process" else root / "inbox",
                                  count, first)
                first += count
                argv = ["process", *map(str, paths)] if name == "process" else ["watch", "--once"]
                wall, cpu = _timed_cli(["-w", str(root), *argv])
                old = best.get((name, count), (1e9, 1e9))
                best[name, count] = (min(old[0], wall), min(old[1], cpu))
    (pw, pc), (ww, wc) = ((tuple((b - a) * 1000 / docs for a, b in zip(best[name, docs], best[name, 2 * docs],
                                                                       strict=True)))
                          for name in roots)
    print(f"one more file: process {pw:.1f} ms wall, {pc:.1f} ms CPU; watch --once {ww:.1f} ms wall, "
          f"{wc:.1f} ms CPU (ratio {ww / pw:.2f} wall, {wc / pc:.2f} CPU; goal ≤ 1.15; fresh processes, "
          f"best of {rounds} runs on {docs} and on {2 * docs} files)")


def load() -> str:
    with open("/proc/loadavg", encoding="ascii") as fh:
        return " ".join(fh.read().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=60)
    parser.add_argument("--cpu", action="store_true",
                        help="CPU time of this process instead of wall time (fsync waits then do not count)")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    print(f"load average {load()} (1, 5, 15 min), {os.cpu_count()} cores; {args.docs} distinct workbooks, "
          f"medians per workbook, {'CPU' if args.cpu else 'wall'} time")
    with tempfile.TemporaryDirectory() as tmp:
        floors_and_pipeline(Path(tmp) / "a", args.docs)
        watch_vs_process(Path(tmp) / "b", args.docs)
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()
