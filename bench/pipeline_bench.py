"""Pipeline benchmark: prints figures, asserts nothing.

1. Per-document pipeline time (read → … → ledger, register export amortised) against the
   plain baseline of the same work's unavoidable part: openpyxl reading the workbook plus a
   docxtpl render + save of the same template and data. Goal: ratio ≤ 1.3.
2. Register export from the ledger at 1k / 10k / 50k versions: seconds and peak memory
   (each size in a fresh process). Goal: 50k ≤ 3 s, < 300 MB.

Run: python bench/pipeline_bench.py [--docs 40] [--sizes 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import jinja2
import openpyxl
from docxtpl import DocxTemplate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from factory import make_workbook  # noqa: E402

from officeflow.ledger import open_ledger  # noqa: E402
from officeflow.pipeline import (  # noqa: E402
    check_workbook,
    plan_outputs,
    process_bytes,
    word_template,
)
from officeflow.publish import export_register_from_ledger  # noqa: E402
from officeflow.settings import open_workspace  # noqa: E402
from officeflow.stamp import stamp_document  # noqa: E402

TODAY = date(2024, 9, 1)

STEPS = [[f"{i // 5 + 1}.{i % 5 + 1}", f"第{i + 1}步：核对客户提交的资料并登记到系统，确认信息完整", "客服专员",
          "《客户投诉登记表》", "《投诉处理记录》", "≤30分钟", "记录完整率100%"] for i in range(20)]


def pipeline_vs_baseline(docs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        workspace = open_workspace(base / "ws")
        for sub in ("inbox", "outbox", "templates"):
            (base / "ws" / sub).mkdir(parents=True, exist_ok=True)
        books = [make_workbook(base / "books", f"b{i}.xlsx",
                               fields={"流程编号": f"CRM-CS-2024-{i + 1:03d}"}, steps=STEPS).read_bytes()
                 for i in range(docs + 3)]
        ledger = open_ledger(workspace.ledger_path)

        # the context the pipeline would render, for the baseline's docxtpl render
        checked = check_workbook(books[0], workspace, ledger, TODAY)
        assert checked.parsed and checked.context, checked.findings
        plan = plan_outputs(checked.parsed, stamp_document(checked.parsed, checked.context),
                            checked.context, workspace, "b0.xlsx", datetime.now())
        template = word_template(workspace, "sop.docx")

        def baseline(data: bytes) -> None:
            book = openpyxl.load_workbook(io.BytesIO(data))
            book.close()
            document = DocxTemplate(template)
            document.render(plan.context, jinja2.Environment(autoescape=True), autoescape=True)
            document.save(io.BytesIO())

        for data in books[:3]:  # warm-up: imports, template checks, first SQLite pages
            baseline(data)
            process_bytes(data, "warm.xlsx", workspace, ledger, TODAY)
        base_times, pipe_times = [], []
        for data in books[3:]:
            started = time.perf_counter()
            baseline(data)
            base_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            outcome = process_bytes(data, "b.xlsx", workspace, ledger, TODAY)
            pipe_times.append(time.perf_counter() - started)
            assert outcome.result == "issued", outcome.findings
        started = time.perf_counter()
        export_register_from_ledger(workspace, ledger, TODAY)
        export = time.perf_counter() - started
        ledger.close()
    b, p = statistics.median(base_times) * 1000, statistics.median(pipe_times) * 1000
    print(f"documents: {docs} (20-step Chinese SOP each)")
    print(f"  baseline  openpyxl read + docxtpl render/save : {b:7.1f} ms / doc (median)")
    print(f"  officeflow pipeline (read→…→ledger)         : {p:7.1f} ms / doc (median)")
    print(f"  ratio pipeline / baseline                   : {p / b:7.2f}  (goal ≤ 1.30)")
    print(f"  register export for the batch (once)        : {export * 1000:7.1f} ms")


def _export_child(size: int) -> None:
    """In a fresh process: fill a ledger with `size` versions, time the export, print peak RSS."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "ws"
        (root / "outbox").mkdir(parents=True)
        workspace = open_workspace(root)
        ledger = open_ledger(workspace.ledger_path)
        start = date(2020, 1, 1)
        for i in range(size):
            doc, version = divmod(i, 3)
            effective = start + timedelta(days=doc % 1500 + version * 30)
            stem = f"客户服务类/客服部/{effective}/CRM-CS-2024-{doc:05d}_V1.{version}"
            ledger._db.execute(  # bulk insert straight into the table: we time the export only
                "INSERT INTO versions (doc_id, version, kind, kind_label, name, effective_date, category, "
                "department, owner, approver, document_path, source_path, manifest_path, source_sha256, "
                "document_sha256, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (f"CRM-CS-2024-{doc:05d}", f"V1.{version}", "sop", "标准化服务流程",
                 f"客户投诉处理流程（第{doc}号）", effective.isoformat(), "客户服务类", "客服部", "王敏",
                 "赵建国", f"{stem}.docx", f"{stem}.xlsx", f"{stem}.manifest.json", f"{i:064x}",
                 f"{i:064x}", datetime(2024, 1, 1).isoformat()))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        export_register_from_ledger(workspace, ledger, TODAY)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ledger.close()
    print(f"{size},{seconds:.2f},{peak / 1024:.0f},{rss_before / 1024:.0f}")


def register_export(sizes: list[int]) -> None:
    print("register export from the ledger (fresh process per size)")
    print(f"  {'versions':>9} {'seconds':>8} {'peak MB':>8}")
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, "--export-child", str(size)],
                             capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        _, seconds, peak, _ = out.split(",")
        print(f"  {size:>9} {float(seconds):>8.2f} {int(peak):>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--export-child", type=int)
    args = parser.parse_args()
    if args.export_child:
        _export_child(args.export_child)
        return
    pipeline_vs_baseline(args.docs)
    register_export([int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
