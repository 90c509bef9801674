"""The register export streams from the ledger (issue 15, item 3) and writes the same bytes.

The reference is the export as it was: every version loaded with `ledger.versions()`, rows
built by `register_rows`, the tabs handed to `write_workbook` as lists. The streamed export
(`ledger.iter_versions()` → one pass → temp files) must give a byte-identical package, but
for the creation time in docProps/core.xml.
"""

from __future__ import annotations

import random
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryFile

import pytest
from pgcluster import pg_cluster, pg_url  # noqa: F401 - fixtures

from officeflow import xlsx_spool
from officeflow.ledger import SqliteLedger, open_ledger
from officeflow.ledger_protocol import Event, Ledger
from officeflow.lifecycle import next_review_date, states_on
from officeflow.publish import distribution_sheet, export_register_from_ledger
from officeflow.records import TrainingCopy, VersionRecord, Withdrawal
from officeflow.register import (
    SHEET_ALL,
    SHEET_CURRENT,
    SHEET_REVIEW,
    STATUS_CURRENT,
    STATUS_PENDING,
    STATUS_WITHDRAWN,
    RegisterRow,
    RegisterSheet,
    write_workbook,
)
from officeflow.settings import Workspace
from officeflow.xlsx_spool import Spool
from officeflow.xlsx_stream import (
    display_width,
    inline_text,
    plain_ascii,
    relationship_tail,
    relationship_target,
)

TODAY = date(2024, 9, 1)
DEPARTMENTS = ("客服部", "人力资源部", "质量管理部 ", "信息技术部")


def archive(documents: int) -> tuple[list[VersionRecord], list[Withdrawal], list[TrainingCopy]]:
    """Documents of 1–4 versions (V1.0, V2.0, … V10.0 sorts after V9.0), some withdrawn or pending."""
    records, withdrawals, copies = [], [], []
    for n in range(documents):
        doc_id = f"{('CRM-CS', 'HR-TR', 'QM-QA')[n % 3]}-{2019 + n % 6}-{n:04d}"
        effective = date(2019 + n % 6, 1 + n % 12, 1 + n % 28)
        versions = [f"V{v}.0" for v in range(1, 2 + n % 4)] + (["V10.0"] if n % 17 == 0 else [])
        for k, version in enumerate(versions):
            day = effective + timedelta(days=200 * k) if n % 11 else TODAY + timedelta(days=10 + k)
            records.append(VersionRecord(
                doc_id, version, "sop", f"客户投诉处理流程{n}" + "（修订）" * (n % 3), day, "客户服务类",
                DEPARTMENTS[n % 4], "张伟", "赵总", f"{doc_id}/{version}/流程 #{n}?.docx",
                f"{doc_id}/{version}/source.xlsx", f"{doc_id}/{version}/manifest.json",
                f"{n:032x}{k:032x}", f"{k:064x}", datetime(2024, 1, 1, 8, 30) + timedelta(minutes=n),
                "标准化服务流程"))
            if n % 5 == 0:
                copies.append(TrainingCopy(f"{doc_id}-{version}-T0001", doc_id, version, 1, "培训中心",
                                           datetime(2024, 5, 1, 9, 0), f"培训副本/{doc_id}.pdf"))
        if n % 7 == 0:
            withdrawals.append(Withdrawal(doc_id, versions[-1], date(2024, 6, 1), "业务停办"))
    return records, withdrawals, copies


def comparable(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts["docProps/core.xml"] = re.sub(rb"\d{4}-\d\d-\d\dT[\d:]+[+-]\d\d:\d\d", b"NOW",
                                        parts["docProps/core.xml"])
    return parts


def register_rows(versions: list[VersionRecord], on: date, review_months: int,
                  withdrawals: list[Withdrawal]) -> list[RegisterRow]:
    """The register's rows as they were built before streaming: every version in memory."""
    from officeflow.kinds import KINDS

    gone = {(w.doc_id, w.version): w for w in withdrawals}
    rows = []
    for doc_id in dict.fromkeys(r.doc_id for r in versions):
        records = [r for r in versions if r.doc_id == doc_id]
        states = states_on(records, on, {v: w.withdrawn_on for (d, v), w in gone.items() if d == doc_id})
        for r in records:
            state = states[r.version]
            reviewed = state.status.value in (STATUS_CURRENT, STATUS_PENDING)
            rows.append(RegisterRow(
                r.doc_id, r.name, r.kind_label or KINDS[r.kind].label, r.version, state.status.value,
                r.effective_date, state.expiry_date, r.category, r.department, r.owner, r.approver,
                next_review_date(r.effective_date, review_months) if reviewed else None,
                r.document_path, r.source_path, r.source_sha256, r.received_at,
                gone[doc_id, r.version].reason if state.status.value == STATUS_WITHDRAWN else ""))
    return rows


def old_export(ledger: SqliteLedger, path: Path) -> None:
    rows = register_rows(ledger.versions(), TODAY, 6, ledger.withdrawals())
    current = [r for r in rows if r.status == STATUS_CURRENT]
    due = sorted((r for r in current if r.next_review_date and r.next_review_date <= TODAY + timedelta(30)),
                 key=lambda r: (r.next_review_date, r.doc_id))
    status = {(r.doc_id, r.version): r.status for r in rows}
    write_workbook(path, [RegisterSheet(SHEET_ALL, rows), RegisterSheet(SHEET_CURRENT, current),
                          RegisterSheet(SHEET_REVIEW, due),
                          distribution_sheet(ledger.training_copies(), status)], TODAY)


def test_streamed_export_is_byte_identical_to_the_list_export(workspace: Workspace, ledger: SqliteLedger,
                                                               tmp_path: Path) -> None:
    records, withdrawals, copies = archive(1500)  # > 1000 rows: several chunks per tab
    ledger.rebuild(records, [], withdrawals, copies, [Event("test")], {})
    old_export(ledger, tmp_path / "old.xlsx")

    count = export_register_from_ledger(workspace, ledger, TODAY)

    assert count == len(records) == 3839
    new, old = comparable(workspace.register_path), comparable(tmp_path / "old.xlsx")
    assert sorted(new) == sorted(old)
    assert [name for name in old if new[name] != old[name]] == []


@pytest.fixture(params=["sqlite", "postgres"])
def any_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The SQLite ledger, or one on a fresh PostgreSQL database (tests/pgcluster.py)."""
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    opened = open_ledger(tmp_path / "state" / "ledger.sqlite3", url)
    yield opened
    opened.close()


def test_iter_versions_gives_the_order_of_versions(any_ledger: Ledger) -> None:
    records, _, _ = archive(60)
    # Reversed, and doc_ids whose order differs between code points and a locale's collation.
    extra = [records[0]._replace(doc_id=doc_id, document_path=f"{doc_id}.docx", source_path=f"{doc_id}.xlsx",
                     manifest_path=f"{doc_id}.json", source_sha256=f"e{n:063x}", document_sha256=f"e{n:063x}")
             for n, doc_id in enumerate(("CRM-CS-2024-001", "CRMA-2024-001", "CRM2-2024-001", "crm-2024-001"))]
    any_ledger.rebuild(list(reversed(records + extra)), [], [], [], [Event("test")], {})
    streamed = list(any_ledger.iter_versions())
    assert streamed == any_ledger.versions()
    assert [v.doc_id for v in streamed if v.doc_id.endswith("2024-001")] == [
        "CRM-CS-2024-001", "CRM2-2024-001", "CRMA-2024-001", "crm-2024-001"]


def test_iter_register_gives_each_version_as_a_plain_tuple_in_the_order_of_versions(any_ledger: Ledger) -> None:
    records, _, _ = archive(60)
    markings = {(r.doc_id, r.version): f"mark {n}" for n, r in enumerate(records)}
    any_ledger.rebuild(list(reversed(records)), [], [], [], [Event("test")], markings)
    rows = list(any_ledger.iter_register())
    assert all(type(row) is tuple for row in rows)
    assert rows == [(v.doc_id, v.version, v.name, v.kind, v.kind_label, v.effective_date.isoformat(), v.category,
                     v.department, v.owner, v.approver, v.document_path, v.source_path, v.source_sha256,
                     v.received_at.isoformat(timespec="seconds"), v.issued_path, markings[(v.doc_id, v.version)])
                    for v in any_ledger.versions()]


@pytest.mark.parametrize("run_bytes", [300, 1 << 30])  # many runs merged from disk; one run in memory
def test_the_spool_gives_its_rows_by_key_and_equal_keys_in_arrival_order(
        run_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx_spool, "_RUN_BYTES", run_bytes)
    monkeypatch.setattr(xlsx_spool, "_READ_BYTES", 37)  # rows cut across blocks
    generator = random.Random(15)
    added = [((date(2024, 1, 1) + timedelta(days=generator.randint(0, 20)), generator.choice("ab")), n,
              (b"<row/>" * generator.randint(0, 90), n, "s")) for n in range(2000)]
    with TemporaryFile() as file:
        spool = Spool[tuple[bytes, int, str]](file)
        for key, _, row in added:
            spool.add(key, row)
        assert list(spool.sort()) == [row for _, _, row in sorted(added, key=lambda item: item[:2])]
        assert len(spool) == 2000


def test_the_fast_paths_for_plain_text_and_link_targets_write_what_the_general_ones_do() -> None:
    generator = random.Random(15)
    alphabet = 'ab_&<>" \t\n#?%[]\\^`{|}/.-01流程\x01\x7f'
    for _ in range(20_000):
        value = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 8)))
        if plain_ascii(value):
            assert (inline_text(value), display_width(value)) == (f"<t>{value}</t>", len(value)), value
        assert relationship_tail(value) == relationship_tail_general(value), value


def relationship_tail_general(target: str) -> str:
    return (f'" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" '
            f'Target="{relationship_target(target)}" TargetMode="External"/>')
