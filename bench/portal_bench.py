"""Search over N versions in the portal's index (FTS5 trigram): p50/p95 per kind of query.

    .venv/bin/python bench/portal_bench.py [--versions 50000]

Synthetic versions (varied names, departments and step text) go straight into the index,
as `SearchIndex.refresh` stores them; the pipeline is not run 50,000 times.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--versions", type=int, default=50000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        index = SearchIndex(Path(folder))
        started = time.perf_counter()
        fill(index, args.versions)
        print(f"index of {args.versions} versions built in {time.perf_counter() - started:.1f} s")
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
            print(f"{label:<30} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({found} hits)")


if __name__ == "__main__":
    main()
