"""Issue 13: what only the PostgreSQL ledger promises — several hosts, a least-privilege role,
a chain the database itself refuses to fork, intake claims, and `ledger migrate` from SQLite.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from pgcluster import APP, OWNER, PgCluster, database_of, pg_cluster, pg_url  # noqa: F401 - fixtures
from test_ledger_pg import AT, issue, record

from officeflow.chain import check_chain
from officeflow.ledger_errors import LedgerError, VersionTaken
from officeflow.ledger_protocol import Event
from officeflow.records import Withdrawal

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[postgres]'")
from officeflow.claims_pg import ClaimLost, IntakeClaims  # noqa: E402
from officeflow.ledger_pg import PgLedger  # noqa: E402
from officeflow.ledger_pg_schema import MIGRATIONS, grant_statements  # noqa: E402

FORK = multiprocessing.get_context("fork")  # children open their own connections


@pytest.fixture
def cluster(pg_cluster: PgCluster) -> PgCluster:  # noqa: F811 - the fixture imported above
    return pg_cluster


@pytest.fixture
def owner(pg_url: str) -> Iterator[PgLedger]:  # noqa: F811
    ledger = PgLedger(pg_url)
    yield ledger
    ledger.close()


def app_url(cluster: PgCluster, owner_url: str) -> str:
    """The same database as the app role, granted what the ledger uses."""
    database = database_of(owner_url)
    cluster.sql(grant_statements(APP), database, OWNER)
    return cluster.url(database, APP)


def refusal(url: str, statement: str) -> str:
    with psycopg.connect(url, autocommit=True) as db, pytest.raises(psycopg.Error) as refused:
        db.execute(statement)
    return refused.value.diag.message_primary or ""


# ---------------------------------------------------------------- roles and guards


def test_the_app_role_runs_the_ledger_but_cannot_rewrite_the_trail(cluster: PgCluster, owner: PgLedger) -> None:
    url = app_url(cluster, owner.url)
    app = PgLedger(url)
    try:
        issue(app, record())
        app.withdraw([Withdrawal("CRM-CS-2024-005", "V1.0", date(2024, 9, 2), "取消")], [Event("withdrawn", at=AT)])
        app.rebuild([record()], [], [], [], [Event("rebuilt", at=AT)], {})
        app.mark_register_exported([Event("exported", at=AT)])
        assert [e["event"] for e in app.events()] == ["issued", "withdrawn", "rebuilt", "exported"]
        assert app.integrity_problems() == []
    finally:
        app.close()
    assert refusal(url, "UPDATE events SET detail = 'x'") == "permission denied for table events"
    assert refusal(url, "DELETE FROM events") == "permission denied for table events"
    assert refusal(url, "TRUNCATE events") == "permission denied for table events"
    assert refusal(url, "UPDATE chain_head SET id = 0") == "permission denied for table chain_head"
    assert refusal(url, "ALTER TABLE events DISABLE TRIGGER events_append_only") == "must be owner of table events"
    assert refusal(url, "DROP TABLE events") == "must be owner of table events"


def test_the_app_role_cannot_create_the_schema(cluster: PgCluster) -> None:
    database = cluster.new_database()
    with pytest.raises(LedgerError) as caught:
        PgLedger(cluster.url(database, APP))
    assert str(caught.value) == ("台账数据库需要建立或升级到第 3 版结构，当前角色无权建表："
                                 "请以属主角色运行 officeflow ledger migrate")


def test_migrations_are_versioned_and_an_old_schema_is_upgraded(cluster: PgCluster) -> None:
    database = cluster.new_database()
    cluster.sql(["CREATE TABLE officeflow_migrations (version INTEGER PRIMARY KEY, "
                    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_by TEXT NOT NULL DEFAULT current_user)",
                    MIGRATIONS[0], "INSERT INTO officeflow_migrations (version) VALUES (1)"], database, OWNER)
    ledger = PgLedger(cluster.url(database, OWNER))
    try:
        rows = ledger._rows("SELECT version, applied_by FROM officeflow_migrations ORDER BY version")
        assert rows == [(1, OWNER), (2, OWNER), (3, OWNER)]
        assert ledger.claims("h").held() == []  # the table migration 2 made
    finally:
        ledger.close()


def test_an_edited_trail_is_sealed_by_the_next_append(cluster: PgCluster, owner: PgLedger) -> None:
    """Someone with the owner's rights disables the guard and deletes the last event."""
    owner.add_events([Event("received", at=AT), Event("issued", "A-1", at=AT), Event("received", at=AT)])
    database = database_of(owner.url)
    cluster.sql("ALTER TABLE events DISABLE TRIGGER events_append_only", database, OWNER)
    assert owner.integrity_problems() == ["审计记录表的防改写触发器（events_append_only）已被停用"]
    cluster.sql(["DELETE FROM events WHERE id = 3",
                    "ALTER TABLE events ENABLE TRIGGER events_append_only"], database, OWNER)
    assert owner.anchored_head() is not None and owner.anchored_head()[0] == 3  # type: ignore[index]
    owner.add_events([Event("received", at=AT)])
    events = owner.events()
    assert [(e["id"], e["event"], e["detail"]) for e in events[2:]] == [
        (4, "anchor-lost", "审计记录曾被截断：锚定的记录 #3 已不在审计记录中"), (5, "received", "")]
    assert check_chain(events, owner.anchored_head()) == ([], [])
    assert owner.integrity_problems() == []


def test_an_insert_that_skips_the_lock_cannot_fork_the_chain(cluster: PgCluster, owner: PgLedger) -> None:
    owner.add_events([Event("received", at=AT), Event("received", at=AT)])
    first = owner.events()[0]
    forged = {**first, "id": 3, "detail": "from a second host"}
    columns = ", ".join(forged)
    statement = f"INSERT INTO events ({columns}) VALUES ({', '.join(repr(str(v)) for v in forged.values())})"
    assert refusal(owner.url, statement) == "the audit chain would fork: event #3 does not follow #2"


# ---------------------------------------------------------------- several hosts at once


def _append(url: str, host: str, start: Any, rounds: int) -> None:
    ledger = PgLedger(url)
    start.wait()
    for n in range(rounds):
        ledger.add_events([Event("received", file=f"{host}-{n}-{k}.xlsx", at=AT) for k in range(3)])
    ledger.close()


@pytest.mark.slow
def test_two_hosts_appending_at_once_never_fork_the_chain(owner: PgLedger) -> None:
    start = FORK.Barrier(2)
    hosts = [FORK.Process(target=_append, args=(owner.url, h, start, 60)) for h in ("a", "b")]
    for p in hosts:
        p.start()
    for p in hosts:
        p.join(120)
    assert [p.exitcode for p in hosts] == [0, 0]
    events = owner.events()
    assert [e["id"] for e in events] == list(range(1, 361))
    assert check_chain(events, owner.anchored_head()) == ([], [])
    assert sorted({e["file"][0] for e in events}) == ["a", "b"]


def _issue(url: str, source: str, start: Any, results: Any) -> None:
    ledger = PgLedger(url)
    start.wait()
    try:
        issue(ledger, record(source=source, document_sha256=f"doc-{source}"))
        results.put((source, "issued"))
    except VersionTaken as exc:
        results.put((source, str(exc)))
    ledger.close()


def test_two_hosts_issuing_the_same_version_exactly_one_wins(owner: PgLedger) -> None:
    start, results = FORK.Barrier(2), FORK.Queue()
    hosts = [FORK.Process(target=_issue, args=(owner.url, s, start, results)) for s in ("host-a", "host-b")]
    for p in hosts:
        p.start()
    outcomes = dict(results.get(timeout=60) for _ in hosts)
    for p in hosts:
        p.join(60)
    assert sorted(outcomes.values()) == ["CRM-CS-2024-005 V1.0 已由另一台主机发布", "issued"]
    winner = next(s for s, said in outcomes.items() if said == "issued")
    assert [v.source_sha256 for v in owner.versions()] == [winner]
    assert [(e["event"], e["sha256"]) for e in owner.events()] == [("issued", f"doc-{winner}")]


# ---------------------------------------------------------------- intake claims


def _claim(url: str, host: str, start: Any, results: Any) -> None:
    claims = IntakeClaims.connect(url, host)
    start.wait()
    got = claims.claim("客服部/CRM-CS-2024-005.xlsx", 1234, 1_700_000_000_000_000_000, "sha-book")
    results.put((host, got.host if got else None))
    claims.close()


def test_two_hosts_claiming_one_file_exactly_one_wins(owner: PgLedger) -> None:
    start, results = FORK.Barrier(2), FORK.Queue()
    hosts = [FORK.Process(target=_claim, args=(owner.url, h, start, results)) for h in ("site-a", "site-b")]
    for p in hosts:
        p.start()
    outcomes = dict(results.get(timeout=60) for _ in hosts)
    for p in hosts:
        p.join(60)
    winners = [h for h, got in outcomes.items() if got == h]
    assert len(winners) == 1 and sorted(outcomes.values(), key=str) == [None, winners[0]]
    [held] = owner.claims("observer").held()
    assert (held.path, held.size, held.sha256, held.host, held.taken_from) == (
        "客服部/CRM-CS-2024-005.xlsx", 1234, "sha-book", winners[0], "")


def test_a_lease_is_renewed_released_and_taken_over_when_it_runs_out(owner: PgLedger) -> None:
    a, b = owner.claims("site-a", lease_seconds=600), owner.claims("site-b", lease_seconds=600)
    claim = a.claim("x.xlsx", 10, 1, "sha-x")
    assert claim is not None and b.claim("x.xlsx", 10, 1, "sha-x") is None
    renewed = a.renew(claim)
    assert renewed.lease_until > claim.lease_until and renewed.token == claim.token
    assert a.expired() == []
    # site-a dies; restarted under the same identity, it ends its old leases: anyone may take them.
    [ended] = a.release_mine()
    assert [c.path for c in b.expired()] == ["x.xlsx"]
    taken = b.claim("x.xlsx", 10, 1, "sha-x")
    assert taken is not None and (taken.host, taken.taken_from) == ("site-b", "site-a")
    with pytest.raises(ClaimLost) as lost:
        a.renew(ended)
    assert str(lost.value) == "x.xlsx：处理超时，已由其他主机接手"
    assert a.release(ended) is False and b.release(taken) is True
    assert b.held() == []
    fresh = a.claim("x.xlsx", 11, 2, "sha-x2")  # dropped again later: a new claim
    assert fresh is not None and fresh.taken_from == ""


def test_one_register_exporter_at_a_time(owner: PgLedger) -> None:
    other = PgLedger(owner.url)
    try:
        with owner.export_lock() as mine, other.export_lock() as theirs:
            assert (mine, theirs) == (True, False)
        with other.export_lock() as theirs:
            assert theirs is True
    finally:
        other.close()


def _hold_document(url: str, held: Any, done: Any) -> None:
    ledger = PgLedger(url)
    with ledger.document_lock("CRM-CS-2024-005"):
        held.set()
        done.wait(60)
        ledger.add_events([Event("received", "CRM-CS-2024-005", at=AT)])
    ledger.close()


def test_a_second_host_waits_for_the_document_lock(owner: PgLedger) -> None:
    held, done = FORK.Event(), FORK.Event()
    first = FORK.Process(target=_hold_document, args=(owner.url, held, done))
    first.start()
    assert held.wait(60)
    with owner.document_lock("Z-1"):  # another 流程编号 is not held up
        owner.add_events([Event("received", "Z-1", at=AT)])
    done.set()
    with owner.document_lock("CRM-CS-2024-005"):  # granted only once the first host let go
        owner.add_events([Event("issued", "CRM-CS-2024-005", at=AT)])
    first.join(60)
    assert [(e["event"], e["doc_id"]) for e in owner.events()] == [
        ("received", "Z-1"), ("received", "CRM-CS-2024-005"), ("issued", "CRM-CS-2024-005")]
