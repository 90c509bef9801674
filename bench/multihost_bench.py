"""Intake throughput with several watcher hosts on PostgreSQL, against one watcher on SQLite.

Run: python bench/multihost_bench.py [--files 200] [--watchers 1,2,4] [--kill-run 1000]

Each run drops N distinct workbooks into a fresh share (tests/multihost.py: every host its own
identity and local state folder, the ledger in a throwaway PostgreSQL cluster with fsync on, as
the app role) and times from the first drop until every file is archived and the inbox is empty.
The SQLite run is one ordinary watcher on its own workspace. `--kill-run N` also runs the
issue's test once at full size: N files, 4 hosts, SIGKILLs at work, everything checked.
On a 2-core machine the watchers share the cores with the cluster: figures are per machine,
not per host.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from multihost import Site, app_database, ledger_agrees, verify_cli, workbook  # noqa: E402
from pgcluster import PgCluster  # noqa: E402


def sources(folder: Path, count: int) -> list[Path]:
    return [workbook(folder, n) for n in range(1, count + 1)]


def throughput(root: Path, url: str | None, watchers: int, books: list[Path]) -> float:
    """Files per second from the first drop to an empty inbox with everything archived."""
    site = Site(root, url or "", hosts=watchers)  # no URL: the host's own SQLite ledger
    site.start_all()
    try:
        time.sleep(3.0)  # start-up is not intake
        started = time.monotonic()
        site.drop(books)
        site.wait_settled(len(books), timeout=3600)
        elapsed = time.monotonic() - started
    finally:
        site.stop_all()
    archived, _ = site.outcomes()
    assert sum(archived.values()) == len(books), archived
    return len(books) / elapsed


def kill_run(root: Path, cluster: PgCluster, count: int) -> None:
    from test_multihost import drop_in_bursts_and_kill

    url = app_database(cluster)
    site = Site(root, url, hosts=4)
    books = sources(root / "src", count)
    started = time.monotonic()
    site.start_all()
    try:
        kills, mid_file = drop_in_bursts_and_kill(site, books, random.Random(13), kills_wanted=12)
        site.wait_settled(len(books), timeout=3600)
    finally:
        site.stop_all()
    elapsed = time.monotonic() - started
    archived, returned = site.outcomes()
    once = sorted([*archived.elements(), *returned.elements()]) == sorted(b.name for b in books)
    keys = ledger_agrees(site.share, url)
    checked = verify_cli(site)
    print(f"kill run: {count} files, 4 hosts, {kills} SIGKILLs ({mid_file} mid-file): {elapsed:.0f} s; "
          f"archived {sum(archived.values())}, returned {sum(returned.values())}, each exactly once: {once}; "
          f"ledger {len(keys)} versions agree; verify: {checked.stdout.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--watchers", default="1,2,4")
    parser.add_argument("--kill-run", type=int, default=0, metavar="N")
    args = parser.parse_args()
    cluster = PgCluster(fsync=True).start()
    try:
        cluster.roles()
        with tempfile.TemporaryDirectory(prefix="ofmh-") as tmp:
            folder = Path(tmp)
            books = sources(folder / "src", args.files)
            if books:  # --files 0: only the kill run
                rate = throughput(folder / "sqlite", None, 1, books)
                print(f"{args.files} files, 1 watcher, SQLite:     {rate:5.2f} files/s")
            for watchers in (int(w) for w in args.watchers.split(",") if w and books):
                rate = throughput(folder / f"pg{watchers}", app_database(cluster), watchers, books)
                print(f"{args.files} files, {watchers} watcher(s), PostgreSQL: {rate:5.2f} files/s")
            if args.kill_run:
                kill_run(folder / "kill", cluster, args.kill_run)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
