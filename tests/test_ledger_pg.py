"""Issue 13: the ledger's behaviour, the same on SQLite and on PostgreSQL.

Every test here runs on both backends (`any_ledger` is parametrised); the PostgreSQL run uses a
throwaway cluster (tests/pgcluster.py) and skips only when its binaries are absent.
PostgreSQL-only guarantees (roles, concurrent hosts, claims) are in test_ledger_pg_hosts.py.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from pgcluster import OWNER, PgCluster, pg_cluster, pg_url  # noqa: F401 - fixtures

from officeflow.chain import check_chain
from officeflow.ledger import open_ledger
from officeflow.ledger_errors import VersionTaken
from officeflow.ledger_protocol import Event, Ledger, chain_hash
from officeflow.ledger_sqlite import SqliteLedger
from officeflow.records import RevisionEntry, TrainingCopy, VersionRecord, Withdrawal

AT = datetime(2024, 9, 1, 9, 30)


def record(doc_id: str = "CRM-CS-2024-005", version: str = "V1.0", source: str = "", **changes: object) -> VersionRecord:
    stem = f"{doc_id}/{doc_id}_{version}"
    values = {"doc_id": doc_id, "version": version, "kind": "sop", "name": "客户投诉处理流程",
              "effective_date": date(2024, 8, 1), "category": "客户服务类", "department": "客服部",
              "owner": "王敏", "approver": "赵总", "document_path": f"{stem}.docx", "source_path": f"{stem}.xlsx",
              "manifest_path": f"{stem}.json", "source_sha256": source or f"src-{doc_id}-{version}",
              "document_sha256": f"doc-{doc_id}-{version}", "received_at": AT, "kind_label": "标准化服务流程",
              "issued_path": f"records/{stem}.docx", "issued_sha256": f"doc-{doc_id}-{version}"}
    values.update(changes)
    return VersionRecord(**values)  # type: ignore[arg-type]


def issue(ledger: Ledger, rec: VersionRecord, marking: str = "") -> None:
    ledger.record_issue(rec, [RevisionEntry(rec.version, date(2024, 7, 1), f"{rec.version} 修订")],
                        [Event("issued", rec.doc_id, rec.version, rec.document_path, rec.document_sha256, at=AT)],
                        marking=marking)  # type: ignore[call-arg]


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(kind, url): the SQLite file under tmp_path, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield "sqlite", None
    else:
        yield "postgres", request.getfixturevalue("pg_url")


@pytest.fixture
def any_ledger(backend: tuple[str, str | None], tmp_path: Path) -> Iterator[Ledger]:
    opened = open_ledger(tmp_path / "state" / "ledger.sqlite3", backend[1])
    yield opened
    opened.close()


def fresh(backend: tuple[str, str | None], tmp_path: Path, pg: PgCluster | None) -> Ledger:
    """A second, empty ledger of the same backend."""
    if backend[0] == "sqlite":
        return open_ledger(tmp_path / "other" / "ledger.sqlite3")
    assert pg is not None
    return open_ledger(Path("unused"), pg.url(pg.new_database(), OWNER))


def test_open_ledger_picks_the_backend_from_the_url(any_ledger: Ledger, backend: tuple[str, str | None]) -> None:
    expected = "SqliteLedger" if backend[0] == "sqlite" else "PgLedger"
    assert type(any_ledger).__name__ == expected


def test_history_orders_versions_by_number_and_keeps_first_revision_entries(any_ledger: Ledger) -> None:
    for version in ("V2.0", "V1.10", "V1.2"):
        issue(any_ledger, record(version=version))
    # A later workbook repeating V1.2's entry with other words does not rewrite the known one.
    any_ledger.record_issue(record(version="V2.1"), [RevisionEntry("V1.2", None, "改写的内容"),
                                                     RevisionEntry("V2.1", None, "新增")], [])
    history = any_ledger.history("CRM-CS-2024-005")
    assert [v.version for v in history.versions] == ["V1.2", "V1.10", "V2.0", "V2.1"]
    assert history.revision_entries["V1.2"] == RevisionEntry("V1.2", date(2024, 7, 1), "V1.2 修订")
    assert history.revision_entries["V2.1"] == RevisionEntry("V2.1", None, "新增")
    assert history.version("V1.10") == record(version="V1.10")
    assert any_ledger.history("NOPE").versions == []


def test_versions_in_register_order_and_find_source(any_ledger: Ledger) -> None:
    for doc_id, version in (("QM-QA-2024-001", "V1.0"), ("CRM-CS-2024-005", "V1.10"),
                            ("CRM-CS-2024-005", "V1.9"), ("人事-001", "V1.0"), ("Z-1", "V1.0")):
        issue(any_ledger, record(doc_id, version))
    # Byte order of doc_id (as SQLite and Python sort), then version number.
    assert [(v.doc_id, v.version) for v in any_ledger.versions()] == [
        ("CRM-CS-2024-005", "V1.9"), ("CRM-CS-2024-005", "V1.10"), ("QM-QA-2024-001", "V1.0"),
        ("Z-1", "V1.0"), ("人事-001", "V1.0")]
    assert any_ledger.find_source("src-Z-1-V1.0") == record("Z-1", "V1.0")
    assert any_ledger.find_source("unknown") is None


def test_a_rerun_of_the_same_issue_keeps_one_row(any_ledger: Ledger) -> None:
    issue(any_ledger, record())
    issue(any_ledger, record(document_sha256="doc-rerendered"))
    assert any_ledger.versions() == [record(document_sha256="doc-rerendered")]
    assert [e["event"] for e in any_ledger.events()] == ["issued", "issued"]


def test_the_same_source_as_another_version_is_refused(any_ledger: Ledger, backend: tuple[str, str | None]) -> None:
    issue(any_ledger, record(version="V1.0", source="same"))
    expected = VersionTaken if backend[0] == "postgres" else sqlite3.IntegrityError
    if backend[0] == "sqlite":  # INSERT OR REPLACE: the older row goes instead (see the report)
        issue(any_ledger, record(version="V1.1", source="same"))
        assert [v.version for v in any_ledger.versions()] == ["V1.1"]
        return
    with pytest.raises(expected) as caught:
        issue(any_ledger, record(version="V1.1", source="same"))
    assert str(caught.value) == "CRM-CS-2024-005 V1.1 未能登记：内容完全相同的源文件已作为另一版本发布"
    assert [v.version for v in any_ledger.versions()] == ["V1.0"]
    assert [e["event"] for e in any_ledger.events()] == ["issued"]  # nothing of the loser is kept


def test_another_source_for_an_issued_version_raises_version_taken(any_ledger: Ledger) -> None:
    issue(any_ledger, record(source="first"))
    with pytest.raises(VersionTaken) as caught:
        issue(any_ledger, record(source="second", document_path="other.docx"))
    assert str(caught.value) == "CRM-CS-2024-005 V1.0 已由另一台主机发布"
    assert any_ledger.versions() == [record(source="first")]


def test_withdraw_and_markings(any_ledger: Ledger) -> None:
    issue(any_ledger, record(version="V1.0"), marking="已失效")
    issue(any_ledger, record(version="V1.1"), marking="现行有效")
    any_ledger.withdraw([Withdrawal("CRM-CS-2024-005", "V1.1", date(2024, 9, 2), "流程取消", "质量部")],
                        [Event("withdrawn", "CRM-CS-2024-005", "V1.1", detail="流程取消", at=AT)])
    any_ledger.withdraw([Withdrawal("CRM-CS-2024-005", "V1.1", date(2024, 9, 3), "改为合并", "质量部")], [])
    assert any_ledger.withdrawals() == [Withdrawal("CRM-CS-2024-005", "V1.1", date(2024, 9, 3), "改为合并", "质量部")]
    assert any_ledger.history("CRM-CS-2024-005").withdrawn == {"V1.1": date(2024, 9, 3)}
    any_ledger.set_reading_copies([("CRM-CS-2024-005", "V1.1", "sha-new", "已废止")],
                                  [Event("remarked", "CRM-CS-2024-005", "V1.1", sha256="sha-new", at=AT)])
    any_ledger.adopt_issued_records([("CRM-CS-2024-005", "V1.0", "records/old.docx", "sha-old")], [])
    assert any_ledger.markings() == {("CRM-CS-2024-005", "V1.0"): "已失效", ("CRM-CS-2024-005", "V1.1"): "已废止"}
    v10, v11 = any_ledger.versions()
    assert (v10.issued_path, v10.issued_sha256) == ("records/old.docx", "sha-old")
    assert v11.document_sha256 == "sha-new"


def copy(serial_no: int, doc_id: str = "CRM-CS-2024-005", printed: datetime = AT) -> TrainingCopy:
    return TrainingCopy(f"{doc_id}-V1.0-T{serial_no:04d}", doc_id, "V1.0", serial_no, "张伟", printed,
                        f"training/{doc_id}-T{serial_no}.pdf")


def test_training_copies_numbered_listed_and_closed(any_ledger: Ledger) -> None:
    issue(any_ledger, record())
    assert any_ledger.next_training_sequence("CRM-CS-2024-005", "V1.0") == 1
    any_ledger.record_training_copies([copy(1), copy(2, printed=datetime(2024, 9, 1, 8))],
                                      [Event("training-printed", at=AT)])
    any_ledger.record_training_copies([copy(1, "Z-1")], [])
    assert any_ledger.next_training_sequence("CRM-CS-2024-005", "V1.0") == 3
    assert [c.serial for c in any_ledger.training_copies()] == [
        "CRM-CS-2024-005-V1.0-T0002", "CRM-CS-2024-005-V1.0-T0001", "Z-1-V1.0-T0001"]
    assert [c.serial for c in any_ledger.training_copies("Z-1")] == ["Z-1-V1.0-T0001"]
    closed = any_ledger.close_training_copies(["CRM-CS-2024-005-V1.0-T0001", "CRM-CS-2024-005-V1.0-T0001"],
                                              "已回收", datetime(2024, 9, 5, 10), [])
    assert closed == ["CRM-CS-2024-005-V1.0-T0001"]
    assert any_ledger.training_copies("Z-1")[0].returned_at is None
    returned = [c for c in any_ledger.training_copies() if c.returned_at]
    assert returned == [TrainingCopy("CRM-CS-2024-005-V1.0-T0001", "CRM-CS-2024-005", "V1.0", 1, "张伟", AT,
                                     "training/CRM-CS-2024-005-T1.pdf", datetime(2024, 9, 5, 10), "已回收")]


def test_a_taken_serial_aborts_the_whole_batch_and_its_events(any_ledger: Ledger) -> None:
    any_ledger.record_training_copies([copy(1)], [])
    before = any_ledger.events()
    with pytest.raises(Exception) as caught:
        any_ledger.record_training_copies([copy(2), copy(1)], [Event("training-printed", at=AT)])
    assert type(caught.value).__name__ in ("IntegrityError", "UniqueViolation")
    assert [c.serial for c in any_ledger.training_copies()] == ["CRM-CS-2024-005-V1.0-T0001"]
    assert any_ledger.events() == before


def test_register_generation_counts_changes_an_export_has_not_seen(any_ledger: Ledger) -> None:
    assert (any_ledger.register_generation(), any_ledger.register_stale()) == (0, False)
    issue(any_ledger, record(version="V1.0"))
    seen = any_ledger.register_generation()
    issue(any_ledger, record(version="V1.1"))  # during the export
    any_ledger.mark_register_exported([Event("exported", at=AT)], seen)
    assert (any_ledger.register_generation(), any_ledger.register_stale()) == (2, True)
    any_ledger.mark_register_exported([], 2)
    any_ledger.mark_register_exported([], 1)  # a slower exporter never moves the mark back
    assert any_ledger.register_stale() is False
    any_ledger.add_events([Event("received", at=AT)])  # events alone change nothing the register shows
    assert any_ledger.register_stale() is False


def test_events_form_one_chain_with_its_head(any_ledger: Ledger) -> None:
    issue(any_ledger, record("A-1"))
    any_ledger.add_events([Event("received", file="b.xlsx", at=AT), Event("rejected", "B-2", file="b.xlsx", at=AT)])
    events = any_ledger.events()
    assert [(e["id"], e["event"], e["doc_id"]) for e in events] == [
        (1, "issued", "A-1"), (2, "received", ""), (3, "rejected", "B-2")]
    assert check_chain(events, (3, events[-1]["hash"])) == ([], [])
    assert all(e["hash"] == chain_hash(e) for e in events)
    assert events[0]["prev_hash"] == "" and events[1]["prev_hash"] == events[0]["hash"]
    assert events[0]["at"] == "2024-09-01T09:30:00"
    assert any_ledger.chain_head() == (3, events[-1]["hash"])
    assert [e["id"] for e in any_ledger.events("B-2")] == [3]
    assert any_ledger.integrity_problems() == []


@pytest.mark.parametrize("statement", ["UPDATE events SET detail = 'x'", "DELETE FROM events"])
def test_the_audit_trail_refuses_update_and_delete(any_ledger: Ledger, backend: tuple[str, str | None],
                                                   tmp_path: Path, statement: str) -> None:
    any_ledger.add_events([Event("received", at=AT)])
    if backend[0] == "sqlite":
        db = sqlite3.connect(tmp_path / "state" / "ledger.sqlite3")
        with pytest.raises(sqlite3.IntegrityError) as caught:
            db.execute(statement)
        db.close()
        message = str(caught.value)
    else:
        import psycopg
        with psycopg.connect(backend[1], autocommit=True) as pg, pytest.raises(psycopg.Error) as refused:
            pg.execute(statement)  # type: ignore[arg-type]
        message = refused.value.diag.message_primary or ""
    assert message == "the audit trail is append-only"


def test_rebuild_replaces_the_state_and_keeps_the_trail(any_ledger: Ledger) -> None:
    issue(any_ledger, record(version="V1.0"))
    any_ledger.record_training_copies([copy(1)], [])
    trail = any_ledger.events()
    any_ledger.rebuild([record(version="V1.0", owner="李强"), record("Z-1")],
                       [("Z-1", RevisionEntry("V1.0", date(2024, 1, 1), "初稿"))],
                       [Withdrawal("Z-1", "V1.0", date(2024, 9, 2), "取消")], [copy(7, "Z-1")],
                       [Event("rebuilt", detail="2 versions", at=AT)], {("Z-1", "V1.0"): "已废止"})
    assert any_ledger.versions() == [record(version="V1.0", owner="李强"), record("Z-1")]
    assert any_ledger.history("CRM-CS-2024-005").revision_entries == {}
    assert any_ledger.history("Z-1").revision_entries == {"V1.0": RevisionEntry("V1.0", date(2024, 1, 1), "初稿")}
    assert any_ledger.withdrawals() == [Withdrawal("Z-1", "V1.0", date(2024, 9, 2), "取消")]
    assert [c.serial for c in any_ledger.training_copies()] == ["Z-1-V1.0-T0007"]
    assert any_ledger.markings() == {("CRM-CS-2024-005", "V1.0"): "", ("Z-1", "V1.0"): "已废止"}
    events = any_ledger.events()
    assert events[:-1] == trail and events[-1]["event"] == "rebuilt"
    assert check_chain(events, None)[0] == []
    assert any_ledger.register_stale() is True


def test_restore_events_carries_the_trail_verbatim(any_ledger: Ledger, backend: tuple[str, str | None],
                                                   tmp_path: Path, request: pytest.FixtureRequest) -> None:
    issue(any_ledger, record())
    any_ledger.add_events([Event("received", file="x.xlsx", at=AT)])
    trail = any_ledger.events()
    pg = request.getfixturevalue("pg_cluster") if backend[0] == "postgres" else None
    other = fresh(backend, tmp_path, pg)
    try:
        other.restore_events(trail)
        assert other.events() == trail
        assert other.chain_head() == any_ledger.chain_head()
        other.add_events([Event("rebuilt", at=AT)])  # the chain goes on from the restored head
        events = other.events()
        assert (events[-1]["id"], events[-1]["prev_hash"]) == (3, trail[-1]["hash"])
        assert check_chain(events, None)[0] == []
    finally:
        other.close()


def test_sqlite_is_still_the_default(tmp_path: Path) -> None:
    ledger = open_ledger(tmp_path / "ledger.sqlite3", None)
    try:
        assert isinstance(ledger, SqliteLedger)
    finally:
        ledger.close()
