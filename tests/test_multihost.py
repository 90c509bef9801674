"""Issue 13, "What it must show": several intake hosts on one shared inbox with a PostgreSQL ledger.

Each host has its own identity and its own local state folder (tests/multihost.py); the claim
of a file is a row in the database, never a flock on the share. The 1,000-file run is
bench/multihost_bench.py (the suite runs MULTIHOST_FILES, bursts and kills alike).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from multihost import Site, app_database, ledger_agrees, verify_cli, workbook
from pgcluster import PgCluster

MULTIHOST_FILES = int(os.environ.get("MULTIHOST_FILES", "100"))
BAD_EVERY = 20  # one workbook in twenty is refused (returned with its report)
ATTEMPTS_REASON = ("该文件已处理 3 次均未完成（处理中断），已停止处理并退回：请检查工作簿是否过大或结构异常"
                   "（多余的行、列、合并单元格、图片），精简后重新提交。")


def drop_in_bursts_and_kill(site: Site, sources: list[Path], rng: random.Random,
                            kills_wanted: int) -> tuple[int, int]:
    """Drop `sources` in bursts while SIGKILLing random watchers at work (each restarted at once,
    with the same identity); returns (kills, kills that caught a file in processing)."""
    bursts = [sources[i:i + 15] for i in range(0, len(sources), 15)]
    kills = mid_file = 0
    while bursts or kills < kills_wanted:
        if bursts:
            site.drop(bursts.pop(0))
        time.sleep(rng.uniform(0.3, 1.0))
        victim = busy_host(site, rng, timeout=30) if kills < kills_wanted else None
        if victim is not None:
            time.sleep(rng.uniform(0.0, 0.3))  # in the child, in the ledger commit, in the clean-up…
            mid_file += bool(site.busy(victim))
            site.kill(victim)
            site.start(victim)
            kills += 1
        elif kills < kills_wanted and not bursts:
            break  # nothing left to work on
    return kills, mid_file


def busy_host(site: Site, rng: random.Random, timeout: float) -> int | None:
    """A running host with a file in its processing folder now."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [n for n in range(1, site.hosts + 1) if site.up(n) and site.busy(n)]
        if busy:
            return rng.choice(busy)
        time.sleep(0.05)
    return None


@pytest.mark.slow
def test_four_hosts_sigkilled_at_random_handle_every_file_exactly_once(
        tmp_path: Path, shared_pg_cluster: PgCluster) -> None:
    url = app_database(shared_pg_cluster)
    site = Site(tmp_path / "site", url, hosts=4, lease_seconds=5.0)
    rng = random.Random(13)
    sources = [workbook(tmp_path / "src", n, bad=n % BAD_EVERY == 0) for n in range(1, MULTIHOST_FILES + 1)]
    site.start_all()
    try:
        kills, mid_file = drop_in_bursts_and_kill(site, sources, rng, kills_wanted=12)
        settled_in = site.wait_settled(len(sources), timeout=240)
    finally:
        codes = site.stop_all()
    assert codes == [0, 0, 0, 0]
    archived, returned = site.outcomes()
    good = sorted(s.name for s in sources if not s.name.startswith("bad"))
    bad = sorted(s.name for s in sources if s.name.startswith("bad"))
    assert sorted([*archived.elements(), *returned.elements()]) == sorted(good + bad)  # each exactly once
    assert set(bad) <= set(returned)
    # A good file comes back only when three attempts at it were each killed (the poison-file guard).
    gave_up = sorted(set(returned) - set(bad))
    assert [site.return_reason(name) for name in gave_up] == [ATTEMPTS_REASON] * len(gave_up)
    assert site.in_flight() == []
    keys = ledger_agrees(site.share, url)
    assert len(keys) == len(good) - len(gave_up)
    checked = verify_cli(site)
    assert (checked.returncode, checked.stdout.splitlines()) == (0, ["校验通过 verified"]), checked.stderr
    logs = [site.host_root(n) / "watch.log" for n in range(1, 5)]
    took_over = sum(p.read_text(encoding="utf-8", errors="replace").count("已从 ") for p in logs)
    print(f"{len(sources)} files, 4 hosts, {kills} SIGKILLs ({mid_file} with a file in processing), "
          f"{took_over} take-overs, {len(gave_up)} returned after 3 killed attempts; settled "
          f"{settled_in:.1f} s after the last kill")
    assert kills >= 10 and mid_file >= 1


def process_cli(site: Site, host: int, source: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "officeflow", "-w", str(site.host_root(host)), "process",
                             str(source)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=site.env(host))


@pytest.mark.slow
def test_two_hosts_submitting_one_version_at_once_issue_it_once(tmp_path: Path,
                                                                 shared_pg_cluster: PgCluster) -> None:
    url = app_database(shared_pg_cluster)
    site = Site(tmp_path / "site", url, hosts=2)
    for number in (1, 2, 3):  # three races, each on a fresh document
        first = workbook(tmp_path / "a", number)
        second = workbook(tmp_path / "b", number, 流程名称="客户投诉处理流程（另一稿）")
        procs = [process_cli(site, 1, first), process_cli(site, 2, second)]
        results = [(p.returncode, out.splitlines()) for p in procs for out, _ in [p.communicate(timeout=120)]]
        codes = sorted(code for code, _ in results)
        assert codes == [0, 1], results
        lost = next(lines for code, lines in results if code == 1)
        name = f"b{number:04d}.xlsx"
        assert lost[:2] == [
            "退回 rejected  " + name,
            f"{name} › 基本信息!B6: V1.0 已归档且内容不同（首处不同：基本信息!B4）：请把版本号改为 V1.1 或 V2.0。"
            "  [错误 version.exists]",
        ]
    keys = ledger_agrees(site.share, url)
    assert keys == [(f"CRM-CS-2024-00{n}", "V1.0") for n in (1, 2, 3)]
