"""Issue 13, items 1 and 4: the real pipeline on PostgreSQL, and a SQLite ledger copied into an
empty PostgreSQL database with its chain intact (`verify` passes there)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TODAY
from factory import make_workbook
from pgcluster import pg_cluster, pg_url  # noqa: F401 - fixtures

from officeflow.control import withdraw
from officeflow.integrity import verify
from officeflow.ledger import open_ledger
from officeflow.ledger_admin import copy_ledger, describe
from officeflow.ledger_errors import LedgerError
from officeflow.ledger_protocol import Ledger
from officeflow.pipeline import Result, process_bytes
from officeflow.publish import publish
from officeflow.settings import Workspace

OTHER = "HR-TR-2024-002"


def issue_and_withdraw(workspace: Workspace, ledger: Ledger, tmp_path: Path) -> None:
    books = [make_workbook(tmp_path, "a.xlsx"),
             make_workbook(tmp_path, "b.xlsx", fields={"流程编号": OTHER, "流程名称": "员工培训流程"})]
    outcomes = [process_bytes(b.read_bytes(), b.name, workspace, ledger, TODAY) for b in books]
    assert [o.result for o in outcomes] == [Result.ISSUED, Result.ISSUED]
    assert withdraw(workspace, ledger, OTHER, "流程合并", TODAY, "质量部") != []
    publish(workspace, ledger, TODAY)


@pytest.mark.slow
def test_the_pipeline_on_postgresql_passes_verify(workspace: Workspace, pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    ledger = open_ledger(workspace.ledger_path, pg_url)
    try:
        issue_and_withdraw(workspace, ledger, tmp_path)
        assert [(v.doc_id, v.version) for v in ledger.versions()] == [("CRM-CS-2024-005", "V1.0"), (OTHER, "V1.0")]
        assert ledger.register_stale() is False
        report = verify(workspace, ledger)
        assert (report.ok, report.problems, report.broken_events) == (True, [], [])
    finally:
        ledger.close()
    assert not workspace.ledger_path.exists()  # nothing went to SQLite


@pytest.mark.slow
def test_ledger_migrate_copies_sqlite_into_postgresql(workspace: Workspace, pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    source = open_ledger(workspace.ledger_path)
    target = open_ledger(workspace.ledger_path, pg_url)
    try:
        issue_and_withdraw(workspace, source, tmp_path)
        report = copy_ledger(source, target, "ledger.sqlite3")
        assert (report.versions, report.revision_entries, report.withdrawals, report.training_copies) == (2, 2, 1, 0)
        assert target.versions() == source.versions()
        assert target.withdrawals() == source.withdrawals()
        assert target.markings() == source.markings()
        assert target.history(OTHER) == source.history(OTHER)
        events = target.events()
        assert events[:-1] == source.events() and report.events == len(events) - 1
        assert (events[-1]["event"], events[-1]["detail"]) == (
            "migrated", "from ledger.sqlite3: 2 versions, 2 revision entries, 1 withdrawals, 0 training copies, "
                        f"{report.events} events")
        verified = verify(workspace, target)
        assert (verified.ok, verified.problems) == (True, [])
        with pytest.raises(LedgerError) as again:
            copy_ledger(source, target, "ledger.sqlite3")
        assert str(again.value) == "目标数据库中已有台账：ledger migrate 只写入空的数据库"
        lines = describe(target, workspace.ledger_path)
        assert [line.split("：")[0] for line in lines] == ["台账", "位置", "角色", "结构版本", "大小", "版本", "审计记录"]
        assert lines[-2:] == ["版本：2", f"审计记录：{len(events)}"]
        assert describe(source, workspace.ledger_path)[0] == "台账：SQLite"
    finally:
        source.close()
        target.close()
