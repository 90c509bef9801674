"""Several watcher hosts on one share, for tests/test_multihost.py and bench/multihost_bench.py.

The share holds what every site sees (officeflow.toml, inbox/, outbox/, records/, templates/);
each host is a folder of links to it plus its own `.officeflow/` state folder (the pipeline lock,
the identity lock, the register stamp), as on separate machines: nothing local is shared, so no
flock spans two hosts. Every host runs `officeflow watch` with OFFICEFLOW_LEDGER_URL (the app
role), OFFICEFLOW_HOST (its identity) and a short claim lease.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from factory import make_workbook, register_values
from pgcluster import APP, OWNER, PgCluster

from officeflow.ledger import open_ledger
from officeflow.settings import Workspace, open_workspace

ROOT = Path(__file__).resolve().parent.parent
SHARED = ("inbox", "outbox", "records", "templates", "officeflow.toml")
FAST = {"stable_seconds": 0.1, "register_quiet_seconds": 0.3, "incomplete_grace_seconds": 0.5,
        "poll_interval": 0.2, "rescan_seconds": 1.0}


def app_database(cluster: PgCluster) -> str:
    """A fresh ledger: the schema made by the owner role, the hosts' role granted what it uses."""
    from officeflow.ledger_pg import PgLedger
    from officeflow.ledger_pg_schema import grant_statements

    database = cluster.new_database()
    PgLedger(cluster.url(database, OWNER)).close()
    cluster.sql(grant_statements(APP), database, OWNER)
    return cluster.url(database, APP)


def workbook(folder: Path, number: int, bad: bool = False, **fields: object) -> Path:
    """A distinct sop workbook; a bad one has a 流程编号 the rules refuse."""
    doc_id = "bad-id" if bad else f"CRM-CS-2024-{number:03d}" if number < 1000 else f"CRM-CS-2025-{number - 999:03d}"
    name = f"{'bad' if bad else 'b'}{number:04d}.xlsx"
    return make_workbook(folder, name, fields={"流程编号": doc_id, **fields})


@dataclass
class Site:
    """The share, N host folders, and the watcher processes running on them."""

    root: Path
    url: str  # the ledger, as the app role
    hosts: int = 4
    lease_seconds: float = 5.0
    procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        share = self.root / "share"
        for folder in SHARED[:-1]:
            (share / folder).mkdir(parents=True, exist_ok=True)
        (share / "officeflow.toml").write_text(
            "".join(f"{key} = {json.dumps(value)}\n" for key, value in FAST.items()), encoding="utf-8")
        for number in range(1, self.hosts + 1):
            host = self.host_root(number)
            host.mkdir(parents=True, exist_ok=True)
            for name in SHARED:
                if not (host / name).exists():
                    (host / name).symlink_to(share / name)
        self.share = open_workspace(share)

    def host_root(self, number: int) -> Path:
        return self.root / f"host{number}"

    def env(self, number: int) -> dict[str, str]:
        """The host's environment; without a URL its SQLite ledger (bench/multihost_bench.py)."""
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OFFICEFLOW_LEDGER_URL": self.url,
               "OFFICEFLOW_HOST": f"site-{number}", "OFFICEFLOW_CLAIM_LEASE_SECONDS": str(self.lease_seconds)}
        if not self.url:
            del env["OFFICEFLOW_LEDGER_URL"]
        return env

    def command(self, number: int, *args: str) -> subprocess.Popen[bytes]:
        with (self.host_root(number) / "watch.log").open("ab") as log:  # the child keeps its own copy
            return subprocess.Popen([sys.executable, "-m", "officeflow", "-w", str(self.host_root(number)),
                                     *args], stdout=log, stderr=log, env=self.env(number))

    def start(self, number: int) -> None:
        self.procs[number] = self.command(number, "watch", "--polling")

    def up(self, number: int) -> bool:
        """Its latest start got as far as holding its identity (start-up on a busy machine takes
        seconds): the flock on `.officeflow/host-site-N.lock` is in /proc/locks under its pid."""
        try:
            inode = (self.host_root(number) / ".officeflow" / f"host-site-{number}.lock").stat().st_ino
            held = Path("/proc/locks").read_text(encoding="ascii").splitlines()
        except OSError:
            return False
        pid = str(self.procs[number].pid)
        return any(f[4] == pid and f[5].rsplit(":", 1)[-1] == str(inode) for f in (x.split() for x in held)
                   if len(f) > 5)

    def start_all(self) -> None:
        for number in range(1, self.hosts + 1):
            self.start(number)

    def kill(self, number: int) -> None:
        self.procs[number].send_signal(signal.SIGKILL)
        self.procs[number].wait(timeout=30)

    def busy(self, number: int) -> list[Path]:
        """The files host `number` has in its processing folder now."""
        return [p for p in (self.share.processing / f"site-{number}").rglob("*") if p.is_file()]

    def stop_all(self) -> list[int]:
        """SIGTERM each watcher in turn (the file in hand is finished, the register exported)."""
        codes = []
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
            codes.append(proc.wait(timeout=60))
        self.procs.clear()
        return codes

    def drop(self, sources: list[Path]) -> None:
        """Copy into the inbox as a person's copy lands: under a temp name, then renamed."""
        inbox = self.share.inbox
        for source in sources:
            temp = inbox / f".{source.name}.part"
            shutil.copyfile(source, temp)
            os.rename(temp, inbox / source.name)

    def outcomes(self) -> tuple[Counter[str], Counter[str]]:
        """(archived, returned): how often each original file name was archived or returned."""
        archived: Counter[str] = Counter(
            json.loads(p.read_text(encoding="utf-8"))["original_file"]
            for p in self.share.outbox.rglob("*.manifest.json"))
        returned: Counter[str] = Counter()
        for report in self.share.returned.glob("*.问题清单.txt"):
            line = next(x for x in report.read_text(encoding="utf-8-sig").splitlines() if x.startswith("文件 File: "))
            returned[line.removeprefix("文件 File: ")] += 1
        return archived, returned

    def return_reason(self, name: str) -> str:
        report = self.share.returned / f"{Path(name).stem}.问题清单.txt"
        lines = report.read_text(encoding="utf-8-sig").splitlines()
        return next(x for x in lines if x.startswith("原因 Reason: ")).removeprefix("原因 Reason: ")

    def settled(self, expected: int) -> bool:
        archived, returned = self.outcomes()
        return sum(archived.values()) + sum(returned.values()) >= expected and not self.in_flight()

    def in_flight(self) -> list[Path]:
        inbox = [p for p in self.share.inbox.iterdir() if p.is_file()]
        processing = [p for p in self.share.processing.rglob("*") if p.is_file() and p.name != ".lock"]
        return inbox + processing

    def wait_settled(self, expected: int, timeout: float) -> float:
        started = time.monotonic()
        while not self.settled(expected):
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"not settled after {timeout:.0f} s: {self.outcomes()}, {self.in_flight()[:5]}")
            time.sleep(0.2)
        return time.monotonic() - started


def ledger_agrees(workspace: Workspace, url: str) -> list[tuple[str, str]]:
    """Ledger, archive, manifests and register agree; returns the issued (doc_id, version)s."""
    ledger = open_ledger(workspace.ledger_path, url)
    try:
        versions = ledger.versions()
        issued = [e for e in ledger.events() if e["event"] == "issued"]
        stale = ledger.register_stale()
    finally:
        ledger.close()
    keys = [(v.doc_id, v.version) for v in versions]
    assert len(issued) == len(versions) == len(set(keys))
    manifests = [json.loads(p.read_text(encoding="utf-8")) for p in workspace.outbox.rglob("*.manifest.json")]
    assert sorted((m["doc_id"], m["version"]) for m in manifests) == sorted(keys)
    for v in versions:
        assert (workspace.outbox / v.document_path).is_file() and (workspace.outbox / v.source_path).is_file()
    rows = register_values(workspace.register_path)
    assert (stale, sorted((r[0], r[3]) for r in rows[1:])) == (False, sorted(keys))
    return keys


def verify_cli(site: Site) -> subprocess.CompletedProcess[str]:
    """`officeflow verify` on the share itself (an office PC with the share mounted)."""
    return subprocess.run([sys.executable, "-m", "officeflow", "-w", str(site.share.root), "verify"],
                          capture_output=True, text=True, env=site.env(1), timeout=300)


__all__ = ["Site", "app_database", "ledger_agrees", "verify_cli", "workbook"]
