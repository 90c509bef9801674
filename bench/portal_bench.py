"""The portal under load (issue 14). Prints figures; exits 1 if any HTTP request failed.

    .venv/bin/python bench/portal_bench.py [--versions 50000] [--only search|http]
                                           [--clients 50] [--seconds 30] [--threads 8]

search  p50/p95 per kind of query over N versions in the portal's index (FTS5 trigram).
        Synthetic versions (varied names, departments and step text) go straight into the
        index, as `SearchIndex.refresh` stores them; the pipeline is not run 50,000 times.
http    a ledger of N versions plus the three real documents of
        tests/portal_world.py, `officeflow serve` as its own process under waitress on a free
        loopback port; the document page and the search page one request at a time (p50/p95),
        then `--clients` concurrent keep-alive clients (threads, http.client) for `--seconds`
        over a mix of pages, API calls and a download: requests/s, p50/p95/p99, errors.
        `--events-index` adds an index on events(doc_id) (schema 3 ships it; kept for older ledgers).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from officeflow.portal.search import Facts, Filters, SearchIndex
from officeflow.records import Status, VersionRecord

WORDS = ["客户", "投诉", "处理", "转派", "分级", "巡检", "消防", "通道", "入职", "培训", "采购", "审批", "合同", "归档",
         "发票", "报销", "设备", "维修", "质量", "检验", "安全", "应急", "演练", "数据", "备份", "权限", "变更"]
DEPARTMENTS = ["客服部", "技术部", "法务部", "人力资源部", "财务部", "行政部", "安全部", "采购部"]


def fill(index: SearchIndex, count: int) -> None:
    rng = random.Random(7)
    db = index._db()  # the bench fills the index the way refresh does, without parsing workbooks
    db.execute("BEGIN")
    for n in range(count):
        doc, version = divmod(n, 5)
        department = rng.choice(DEPARTMENTS)
        name = "".join(rng.sample(WORDS, 3)) + "流程"
        steps = "\n".join("".join(rng.sample(WORDS, 4)) + f"，时限≤{rng.randint(1, 48)}小时" for _ in range(12))
        record = VersionRecord(f"DOC-{doc:06d}", f"V1.{version}", "sop", name, date(2024, 1, 1), "类别",
                               department, "王敏", "赵总", "", "", "", f"{n:064x}", "", datetime(2024, 1, 1),
                               "标准化服务流程")
        status = Status.CURRENT if version == 4 else Status.SUPERSEDED
        index._store(db, None, record, status, int(version == 4),
                     Facts((department,), ("专员",), f"{record.doc_id}\n{name}\n{department}\n{steps}"))
    db.execute("COMMIT")


def measure(index: SearchIndex, query: str, filters: Filters, runs: int = 40) -> tuple[float, float, int]:
    times, found = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        found = len(index.search(query, filters))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], found

# ------------------------------------------------------------------ over HTTP, the server as a process

TESTS = Path(__file__).resolve().parent.parent / "tests"
REAL = "/doc/CRM-CS-2024-005"  # a real document: history, flowchart, feedback (tests/portal_world.py)


def fill_ledger(workspace: Any, count: int) -> int:
    """`count` synthetic versions, 5 per document (the last current), each with its revision entry
    and the audit trail an issue leaves (received, validated, issued); one 问题反馈 on every 10th
    document. Returns the number of documents."""
    from officeflow.ledger import workspace_ledger
    from officeflow.ledger_protocol import Event
    from officeflow.portal.feedback import EVENT
    from officeflow.records import RevisionEntry

    rng = random.Random(11)
    records, entries, events = [], [], []
    for n in range(count):
        doc, v = divmod(n, 5)
        doc_id, version, day = f"DOC-{doc:06d}", f"V1.{v}", date(2020 + v, 1, 1)
        name = "".join(rng.sample(WORDS, 3)) + "流程"
        records.append(VersionRecord(
            doc_id, version, "sop", name, day, "类别", rng.choice(DEPARTMENTS), "王敏", "赵总",
            f"{doc_id}/{version}/{doc_id}_{version}.docx", f"{doc_id}/{version}/source.xlsx",
            f"{doc_id}/{version}/manifest.json", f"{n:064x}", f"{n:064x}"[::-1], datetime(2020 + v, 1, 1),
            "标准化服务流程"))
        entries.append((doc_id, RevisionEntry(version, day, "".join(rng.sample(WORDS, 4)), "年度回顾", "王敏",
                                              "客服主管")))
        at = datetime(2020 + v, 1, 1, 9)
        events += [Event(e, doc_id, version, at=at) for e in ("received", "validated", "issued")]
        if v == 4 and doc % 10 == 0:
            detail = json.dumps({"name": "张三", "department": "技术部", "text": "时限过紧"}, ensure_ascii=False)
            events.append(Event(EVENT, doc_id, version, detail=detail, at=at))
    ledger = workspace_ledger(workspace)
    try:
        ledger.rebuild(records, entries, [], [], events)
    finally:
        ledger.close()
    return (count + 4) // 5


def percentiles(times: list[float]) -> tuple[float, float, float]:
    times = sorted(times)
    at = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
    return at(0.50), at(0.95), at(0.99)


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, float]:
    """(status, milliseconds) of one GET on a kept-alive connection, the body read to the end."""
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


def one_at_a_time(host: str, port: int, label: str, paths: list[str]) -> None:
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        get(connection, paths[0])  # warm: the first page compiles its template
        results = [get(connection, path) for path in paths]
    finally:
        connection.close()
    bad = sum(status != 200 for status, _ in results)
    p50, p95, _ = percentiles([ms for _, ms in results])
    print(f"{label:<40} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({len(paths)} requests, {bad} not 200)")


def pick(rng: random.Random, documents: int) -> str:
    """A request as staff make them: mostly document pages and searches, some API calls, downloads."""
    roll = rng.random()
    if roll < 0.40:
        return f"/doc/DOC-{rng.randrange(documents):06d}"
    if roll < 0.50:
        return REAL
    if roll < 0.75:
        return "/?q=" + quote("".join(rng.sample(WORDS, rng.choice((1, 2)))))
    if roll < 0.85:
        return "/api/search?q=" + quote(rng.choice(WORDS))
    if roll < 0.95:
        return f"/api/documents/DOC-{rng.randrange(documents):06d}"
    return REAL + "/V1.1.docx"


def client(host: str, port: int, seed: int, documents: int, stop_at: float, times: list[float],
           errors: Counter[str]) -> None:
    """One visitor: requests back to back on a kept-alive connection until `stop_at`."""
    rng = random.Random(seed)
    connection: http.client.HTTPConnection | None = None
    while time.monotonic() < stop_at:
        path = pick(rng, documents)
        try:
            connection = connection or http.client.HTTPConnection(host, port, timeout=60)
            status, ms = get(connection, path)
            times.append(ms)
            if status != 200:
                errors[f"HTTP {status} {path}"] += 1
        except (OSError, http.client.HTTPException) as exc:
            errors[f"{type(exc).__name__}: {exc}"] += 1
            if connection is not None:
                connection.close()
            connection = None
    if connection is not None:
        connection.close()


def under_load(host: str, port: int, documents: int, clients: int, seconds: float) -> int:
    stop_at = time.monotonic() + seconds
    times: list[list[float]] = [[] for _ in range(clients)]
    errors: list[Counter[str]] = [Counter() for _ in range(clients)]
    threads = [threading.Thread(target=client, args=(host, port, n, documents, stop_at, times[n], errors[n]),
                                daemon=True) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.monotonic() - started
    every = [ms for chunk in times for ms in chunk]
    failed = sum(errors, Counter())
    p50, p95, p99 = percentiles(every)
    print(f"{clients} clients for {seconds:.0f} s: {len(every)} requests, {len(every) / elapsed:.0f} requests/s, "
          f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms, errors {sum(failed.values())}")
    for what, count in failed.most_common(10):
        print(f"  {count} × {what}")
    return sum(failed.values())


def add_events_index(root: Path) -> None:
    """`--events-index`: the index on events(doc_id) the ledger schema lacks (the document page reads
    a document's 问题反馈 with ledger.events(doc_id), a full scan of the audit trail without it).
    Measures the proposed schema change; the shipped schema is measured without the flag."""
    import sqlite3

    db = sqlite3.connect(root / ".officeflow" / "ledger.sqlite3")
    try:
        db.execute("CREATE INDEX IF NOT EXISTS events_doc ON events (doc_id)")
        db.commit()
    finally:
        db.close()


def bench_http(versions: int, clients: int, seconds: float, threads: int, events_index: bool = False) -> int:
    sys.path.insert(0, str(TESTS))
    from portal_world import build, running_portal

    from officeflow.settings import open_workspace

    with tempfile.TemporaryDirectory(prefix="portal-bench-") as folder:
        root = Path(folder) / "ws"
        for name in ("inbox", "outbox", "templates"):
            (root / name).mkdir(parents=True)
        started = time.perf_counter()
        documents = fill_ledger(open_workspace(root), versions)
        build(root)  # the three real documents, issued by the pipeline on top
        print(f"ledger of {versions + 4} versions ({documents + 3} documents) in {time.perf_counter() - started:.1f} s"
              + (", with an index on events(doc_id)" if events_index else ""))
        if events_index:
            add_events_index(root)
        started = time.perf_counter()
        log = Path(folder) / "serve.log"
        with running_portal(root, log, "--threads", str(threads), wait=600) as base:
            print(f"officeflow serve (waitress, {threads} threads) ready in {time.perf_counter() - started:.1f} s "
                  "(library and search index built)")
            parts = urlsplit(base)
            host, port = parts.hostname or "127.0.0.1", parts.port or 80
            rng = random.Random(3)
            one_at_a_time(host, port, "document page (synthetic documents)",
                          [f"/doc/DOC-{rng.randrange(documents):06d}" for _ in range(300)])
            one_at_a_time(host, port, "document page (CRM-CS-2024-005)", [REAL] * 100)
            one_at_a_time(host, port, "search page (1-2 words)",
                          ["/?q=" + quote("".join(rng.sample(WORDS, rng.choice((1, 2))))) for _ in range(200)])
            errors = under_load(host, port, documents, clients, seconds)
        logged = log.read_text(encoding="utf-8", errors="replace")
        kinds = Counter(re.sub(r"\d+", "N", line)[:90] for line in logged.splitlines()
                        if "WARNING" in line or "ERROR" in line)
        print(f"server log: {logged.count('Traceback')} tracebacks, {sum(kinds.values())} warnings/errors"
              + "".join(f"\n  {count} × {kind}" for kind, count in kinds.most_common(3)))
    return errors


def bench_search(versions: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        index = SearchIndex(Path(folder))
        started = time.perf_counter()
        fill(index, versions)
        print(f"index of {versions} versions built in {time.perf_counter() - started:.1f} s")
        for label, query, filters in [
            ("3+ characters (FTS)", "投诉处理", Filters()),
            ("3+ characters, all versions", "巡检消防", Filters(all_versions=True)),
            ("2 characters (scan)", "投诉", Filters()),
            ("2 characters, department", "投诉", Filters(department="客服部")),
            ("2 characters, no hit (full scan)", "无此", Filters()),
            ("流程编号", "DOC-004321", Filters(all_versions=True)),
            ("no query (list)", "", Filters()),
        ]:
            p50, p95, found = measure(index, query, filters)
            print(f"{label:<32} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({found} hits)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=50000)
    parser.add_argument("--only", choices=("search", "http"), help="one part only (default: both)")
    parser.add_argument("--clients", type=int, default=50, choices=range(1, 201), metavar="1-200")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=8, help="the server's worker threads")
    parser.add_argument("--events-index", action="store_true",
                        help="add the proposed ledger index on events(doc_id) before serving")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores")
    if args.only in (None, "search"):
        bench_search(args.versions)
    if args.only in (None, "http"):
        errors = bench_http(args.versions, args.clients, min(args.seconds, 300.0), args.threads,
                            args.events_index)
        sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
