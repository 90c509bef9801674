"""`officeflow ledger info` and `officeflow ledger migrate --to URL`, as functions the CLI calls."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from officeflow.ledger_errors import LedgerError, database_errors
from officeflow.ledger_protocol import Event, Ledger
from officeflow.records import RevisionEntry


@dataclass
class CopyReport:
    versions: int = 0
    revision_entries: int = 0
    withdrawals: int = 0
    training_copies: int = 0
    events: int = 0  # carried verbatim, before the `migrated` event


def copy_ledger(source: Ledger, target: Ledger, source_name: str) -> CopyReport:
    """Copy every version, revision entry, withdrawal, training copy, marking and event into an
    empty ledger; the events keep their ids and hashes, so the chain (and `verify`) holds there.

    The target's own guards refuse a trail whose links are broken: fix the source first
    (`officeflow verify`, `officeflow register rebuild`).
    """
    if target.chain_head() != (0, "") or target.versions():
        raise LedgerError("目标数据库中已有台账：ledger migrate 只写入空的数据库")
    events = source.events()
    try:
        target.restore_events(events)
    except database_errors() as exc:
        raise LedgerError(f"源台账的审计链无法原样接续（{str(exc).strip()}）："
                          "请先运行 officeflow verify 并按提示修复") from exc
    records = source.versions()
    entries: list[tuple[str, RevisionEntry]] = []
    for doc_id in dict.fromkeys(r.doc_id for r in records):
        entries += [(doc_id, e) for e in source.history(doc_id).revision_entries.values()]
    withdrawals, copies = source.withdrawals(), source.training_copies()
    report = CopyReport(len(records), len(entries), len(withdrawals), len(copies), len(events))
    target.rebuild(records, entries, withdrawals, copies,
                   [Event("migrated", detail=f"from {source_name}: {report.versions} versions, "
                                             f"{report.revision_entries} revision entries, "
                                             f"{report.withdrawals} withdrawals, {report.training_copies} "
                                             f"training copies, {report.events} events")],
                   source.markings())
    return report


def describe(ledger: Ledger, sqlite_path: Path) -> list[str]:
    """The lines `officeflow ledger info` prints: which ledger, where, how big."""
    info = getattr(ledger, "info", None)
    if callable(info):  # PgLedger knows its server and database
        lines = [f"{label}：{value}" for label, value in info().items()]
    else:
        size = sum(p.stat().st_size for p in (sqlite_path, Path(f"{sqlite_path}-wal")) if p.exists())
        lines = ["台账：SQLite", f"位置：{sqlite_path}", f"大小：{_megabytes(size)}"]
    head, _ = ledger.chain_head()
    return [*lines, f"版本：{len(ledger.versions())}", f"审计记录：{head}"]


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"
