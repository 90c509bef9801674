"""Rendering benchmark: plain docxtpl vs prepared templates, 1 vs 2 processes, memory, PDF batches;
the 流程图 (issue 12): per document with and without the diagram, drawing cold and cached.

Run: python bench/render_bench.py [--docs 1000] [--quick]
Prints figures; all on the same 20-step Chinese SOP (data with <, &, {{ }} and line breaks).
"""

from __future__ import annotations

import argparse
import gc
import io
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from docxtpl import DocxTemplate  # noqa: E402
from factory import make_workbook  # noqa: E402

from officeflow.fastrender import jinja_environment, prepared_template  # noqa: E402
from officeflow.ledger import open_ledger  # noqa: E402
from officeflow.pdf import convert_to_pdf  # noqa: E402
from officeflow.pipeline import check_workbook, plan_outputs, process_bytes  # noqa: E402
from officeflow.regenerate import regenerate  # noqa: E402
from officeflow.render import render_docx  # noqa: E402
from officeflow.settings import open_workspace  # noqa: E402
from officeflow.stamp import stamp_document  # noqa: E402

STEPS = [[str(i), f"第{i}步：核对客户信息 R&D <内部> {{{{ 备注 }}}}，按《投诉处理规范》登记并转派\n补充说明",
          "客服专员", "《客户投诉登记表》", "《投诉转派单》", "≤30分钟", "记录完整率100%，准确率≥95%"]
         for i in range(1, 21)]


def plan_sop(folder: Path, with_parsed: bool = False):
    """The OutputPlan of a realistic 20-step SOP (what the pipeline would render)."""
    for name in ("inbox", "outbox", "templates"):
        (folder / "ws" / name).mkdir(parents=True, exist_ok=True)
    workspace = open_workspace(folder / "ws")
    ledger = open_ledger(workspace.ledger_path)
    data = make_workbook(folder, steps=STEPS).read_bytes()
    checked = check_workbook(data, workspace, ledger, date(2024, 9, 1))
    assert checked.parsed is not None and checked.context is not None
    stamp = stamp_document(checked.parsed, checked.context)
    ledger.close()
    plan = plan_outputs(checked.parsed, stamp, checked.context, workspace, "book.xlsx", datetime(2024, 9, 1))
    return (plan, checked.parsed) if with_parsed else plan


def plain_docxtpl(template: Path, context: dict[str, Any]) -> bytes:
    doc = DocxTemplate(template)
    doc.render(context, jinja_environment(), autoescape=True)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def per_doc_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


_PLAN = None


def _init(folder: str) -> None:
    global _PLAN
    _PLAN = plan_sop(Path(folder) / f"w{os.getpid()}")


def _render_n(n: int) -> int:
    assert _PLAN is not None
    for _ in range(n):
        render_docx(_PLAN.template, _PLAN.context, _PLAN.properties)
    return n


def throughput(folder: Path, processes: int, docs: int) -> float:
    """Documents per second rendering `docs` documents with a pool of `processes`."""
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=ctx, initializer=_init, initargs=(str(folder),)) as pool:
        list(pool.map(_render_n, [1] * processes))  # warm: templates prepared, imports done
        chunk = 25
        started = time.perf_counter()
        done = sum(pool.map(_render_n, [chunk] * (docs // chunk)))
        return done / (time.perf_counter() - started)


def regenerate_figures(folder: Path, count: int) -> None:
    """End to end: `regenerate` re-reads each archived workbook, validates, stamps and renders."""
    for name in ("inbox", "outbox", "templates"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    workspace = open_workspace(folder)
    ledger = open_ledger(workspace.ledger_path)
    for i in range(1, count + 1):
        book = make_workbook(folder / "books", f"b{i}.xlsx", steps=STEPS,
                             fields={"流程编号": f"CRM-CS-2024-{i:03d}"})
        process_bytes(book.read_bytes(), book.name, workspace, ledger, date(2024, 9, 1))
    for workers in (1, 2):
        summary = regenerate(workspace, ledger, None, None, True, workers, False, today=date(2024, 9, 1))
        assert summary.failed == [] and len(summary.unchanged) == count, summary.failed[:1]
        print(f"regenerate (dry run, end to end) {count} archived documents, {workers} process(es): "
              f"{summary.seconds:.1f} s, {count / summary.seconds:.0f} docs/s, "
              f"{1000 * summary.seconds / count:.1f} ms/doc")
    ledger.close()


def picture_figures(folder: Path, repeats: int) -> None:
    """A document with a flowchart picture: docxtpl InlineImage vs the prepared renderer's Image."""
    import random
    import struct
    import zlib

    import docx
    from docx.shared import Cm
    from docxtpl import InlineImage

    from officeflow.render import Image

    document = docx.Document()
    document.add_paragraph("流程图：{{ flowchart }}")
    template = folder / "picture.docx"
    document.save(str(template))
    # A 600x400 RGB PNG of noise (~700 KiB): a flowchart-sized picture that does not compress away.
    noise = random.Random(1)
    rows = b"".join(b"\x00" + noise.randbytes(600 * 3) for _ in range(400))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 600, 400, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    prepared = prepared_template(template)

    def with_docxtpl() -> bytes:
        doc = DocxTemplate(template)
        doc.render({"flowchart": InlineImage(doc, io.BytesIO(png), width=Cm(15))}, jinja_environment(),
                   autoescape=True)
        buffer = io.BytesIO()
        doc.save(buffer)
        return buffer.getvalue()

    plain = per_doc_ms(with_docxtpl, repeats)
    fast = per_doc_ms(lambda: prepared.render({"flowchart": Image(png, width_cm=15)}), repeats * 3)
    print(f"with a {len(png) // 1024} KiB picture: docxtpl InlineImage {plain:.1f} ms, "
          f"prepared Image {fast:.1f} ms, ratio {plain / fast:.1f}x")


def flowchart_figures(folder: Path, repeats: int) -> None:
    """Per document with and without the 流程图, against plain docxtpl without one (goal >= 4x)."""
    from officeflow import flowchart
    from officeflow.render import flowchart_pictures

    plan, parsed = plan_sop(folder / "flow", with_parsed=True)
    template, props = plan.template, plan.properties
    without = {**plan.context, "flowchart": []}
    pages = len(plan.context["flowchart"])
    plain = per_doc_ms(lambda: plain_docxtpl(template, without), repeats)
    bare = per_doc_ms(lambda: render_docx(template, without, props), repeats * 3)
    # With the diagram as regenerate meets it: pictures looked up in the content cache, then embedded.
    cached = per_doc_ms(lambda: render_docx(template, {**without, "flowchart": flowchart_pictures(parsed)},
                                            props), repeats * 3)
    flowchart.use_cache_folder(None)

    def cold() -> None:
        flowchart._CACHE = flowchart.DrawingCache()  # nothing cached: read, lay out, draw, rasterise
        flowchart._PAGES.clear()
        flowchart_pictures(parsed)
    drawing = per_doc_ms(cold, max(3, repeats // 10))
    size = sum(len(p.source) + len(p.svg or b"") for p in plan.context["flowchart"]) // 1024
    print(f"20-step SOP, 流程图 of {pages} A4 page(s), {size} KiB (PNG 200 dpi + SVG): "
          f"plain docxtpl without it {plain:.1f} ms; prepared without {bare:.1f} ms ({plain / bare:.1f}x), "
          f"with it (cached) {cached:.1f} ms ({plain / cached:.1f}x, goal >= 4x); "
          f"drawing it uncached {drawing:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--regen-docs", type=int, default=300,
                        help="archived documents for the end-to-end regenerate figure")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no PDF figures")
    args = parser.parse_args()
    repeats = 20 if args.quick else 60
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plan = plan_sop(folder)
        template, context, props = plan.template, plan.context, plan.properties
        prepared_template(template)  # prepare once, as a long-running process does

        # docxtpl has no SVG picture: the docxtpl comparison renders without the 流程图.
        context = {**context, "flowchart": []}
        plain = per_doc_ms(lambda: plain_docxtpl(template, context), repeats)
        fast = per_doc_ms(lambda: render_docx(template, context, props), repeats * 3)
        print(f"per document (median): plain docxtpl {plain:.1f} ms, prepared {fast:.1f} ms, "
              f"ratio {plain / fast:.1f}x (goal >= 4x)")
        picture_figures(folder, repeats)
        flowchart_figures(folder, repeats)

        gc.collect()
        base = rss_mib()
        peaks = {}
        for i in range(1, args.docs + 1):
            render_docx(template, context, props)
            if i in (100, args.docs):
                peaks[i] = rss_mib()
        print(f"memory (RSS) prepared renderer: start {base:.0f} MiB, after 100 docs {peaks[100]:.0f} MiB, "
              f"after {args.docs} docs {peaks[args.docs]:.0f} MiB")

        one = throughput(folder, 1, args.docs)
        two = throughput(folder, 2, args.docs)
        print(f"{args.docs} documents: 1 process {one:.0f} docs/s, 2 processes {two:.0f} docs/s, "
              f"speed-up {two / one:.2f}x (goal >= 1.7x; {os.cpu_count()} CPUs, shared)")

        regenerate_figures(folder / "archive", args.regen_docs)

        if not args.quick:
            docs = []
            for i in range(10):
                path = folder / f"doc{i:02d}.docx"
                path.write_bytes(render_docx(template, context, props))
                docs.append(path)
            convert_to_pdf(docs[:1], folder / "warm")  # profile creation: first start only
            started = time.perf_counter()
            for i, doc in enumerate(docs[:3]):
                convert_to_pdf([doc], folder / f"single{i}")
            single = (time.perf_counter() - started) / 3
            started = time.perf_counter()
            convert_to_pdf(docs, folder / "batch")
            batch = (time.perf_counter() - started) / len(docs)
            print(f"PDF: one document per soffice call {single:.2f} s/doc, "
                  f"batch of {len(docs)} in one call {batch:.2f} s/doc")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
