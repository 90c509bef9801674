"""Document control at the edges (issue 9): obsolete copies, withdrawal, batches, recall, the wrong folder.

Each test here failed on the code before the fix (bf362b9); the end-to-end lifecycle test
drives one document from V1.0 to a withdrawn V2.x and a revived V3.0 through the CLI only.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

import docx
import openpyxl
from click.testing import CliRunner
from conftest import TODAY
from factory import make_workbook

from officeflow.cli import main
from officeflow.control import close_copies, withdraw
from officeflow.fsutil import sha256_file
from officeflow.ledger import Event, SqliteLedger, TrainingCopy
from officeflow.pipeline import Result, process_bytes, process_files
from officeflow.publish import publish
from officeflow.records import CopyClosure
from officeflow.regenerate import regenerate
from officeflow.settings import Workspace

DOC = "CRM-CS-2024-005"


def entry(version: str, day: date, content: str = "修订") -> list[object]:
    return [version, day, content, "业务调整", "王敏", "客服主管"]


def reviews(first: date) -> list[list[object]]:
    return [["初审", "王敏", first, "通过"], ["复审", "李强", first + timedelta(days=1), "通过"],
            ["终审", "赵总", first + timedelta(days=2), "通过"]]


def version_book(folder: Path, version: str, effective: date, log: list[list[object]]) -> Path:
    """A workbook of `version` effective on `effective`, with the log up to it (appended here)."""
    log.append(entry(version, effective - timedelta(days=20), f"{version} 修订"))
    return make_workbook(folder, f"{version}.xlsx", fields={"版本号": version, "生效日期": effective},
                         revisions=list(log), reviews=reviews(effective - timedelta(days=15)))


def marks(document: Path | bytes) -> tuple[str, str]:
    """(header mark, 状态 cell) of a rendered document, as a reader of the .docx sees them."""
    doc = docx.Document(io.BytesIO(document) if isinstance(document, bytes) else str(document))
    header = doc.sections[0].header.paragraphs[0].text.split("\t")[-1]
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    return header, cells[cells.index("状态") + 1]


def archived_marks(workspace: Workspace) -> dict[str, tuple[str, str]]:
    """Every reading copy in the archive tree, by version."""
    return {p.stem.rsplit("_", 1)[1]: marks(p) for p in sorted(workspace.outbox.rglob("*.docx"))}


def issue(workspace: Workspace, ledger: SqliteLedger, path: Path, today: date) -> None:
    outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger, today)
    assert outcome.result is Result.ISSUED, outcome.findings
    publish(workspace, ledger, today)


# ---------------------------------------------------------------- 1. obsolete copies, as-issued bytes


def test_superseded_copy_is_remarked_and_the_as_issued_record_is_kept(tmp_path: Path, workspace: Workspace,
                                                                      ledger: SqliteLedger) -> None:
    log = [entry("V1.0", date(2024, 1, 1), "初稿编写")]
    issue(workspace, ledger, make_workbook(tmp_path, "v10.xlsx", revisions=list(log)), TODAY)
    [v10] = ledger.versions()
    as_issued = (workspace.root / "records" / v10.issued_path).read_bytes()
    assert marks(as_issued) == ("受控文件", "现行有效")
    issue(workspace, ledger, version_book(tmp_path, "V1.1", TODAY, log), TODAY)
    assert archived_marks(workspace) == {"V1.0": ("已失效 · 仅供追溯", "已失效（2024-09-01 起）"),
                                         "V1.1": ("受控文件", "现行有效")}
    # the as-issued bytes never change and stay sealed by the ledger
    assert (workspace.root / "records" / v10.issued_path).read_bytes() == as_issued
    assert sha256_file(workspace.root / "records" / v10.issued_path) == ledger.versions()[0].issued_sha256


def test_a_future_version_takes_over_on_its_date_without_a_command(tmp_path: Path, workspace: Workspace,
                                                                   ledger: SqliteLedger) -> None:
    log = [entry("V1.0", date(2024, 1, 1), "初稿编写")]
    issue(workspace, ledger, make_workbook(tmp_path, "v10.xlsx", revisions=list(log)), TODAY)
    issue(workspace, ledger, version_book(tmp_path, "V1.1", date(2024, 10, 1), log), TODAY)
    assert archived_marks(workspace) == {"V1.0": ("受控文件", "现行有效"),
                                         "V1.1": ("受控文件 · 待生效", "待生效（2024-10-01 起施行）")}
    publish(workspace, ledger, date(2024, 10, 1))  # what the watcher and the daily export run
    assert archived_marks(workspace) == {"V1.0": ("已失效 · 仅供追溯", "已失效（2024-10-01 起）"),
                                         "V1.1": ("受控文件", "现行有效")}
    remarked = [(e["version"], e["event"]) for e in ledger.events(DOC) if e["event"] == "remarked"]
    assert remarked == [("V1.0", "remarked"), ("V1.1", "remarked")]


def test_regenerate_rewrites_reading_copies_only(tmp_path: Path, workspace: Workspace,
                                                 ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path), TODAY)
    [v10] = ledger.versions()
    record = workspace.root / "records" / v10.issued_path
    before = record.read_bytes()
    template = workspace.templates / "sop.docx"
    from officeflow.pipeline import word_template

    template.write_bytes(word_template(workspace, "sop.docx").read_bytes())
    document = docx.Document(str(template))
    document.sections[0].header.add_paragraph("新信头 New letterhead")
    document.save(str(template))
    summary = regenerate(workspace, ledger, [DOC], today=TODAY, workers=1)
    assert [r.version for r in summary.changed] == ["V1.0"]
    assert record.read_bytes() == before  # the letterhead it never had stays out of the record
    assert "新信头 New letterhead" in [p.text for p in
                                      docx.Document(str(workspace.outbox / v10.document_path)).sections[0].header.paragraphs]


# ---------------------------------------------------------------- 2. withdrawal keeps history


def test_withdrawal_keeps_superseded_versions_and_revokes_one_pending(tmp_path: Path, workspace: Workspace,
                                                                       ledger: SqliteLedger) -> None:
    log = [entry("V1.0", date(2024, 1, 1), "初稿编写")]
    issue(workspace, ledger, make_workbook(tmp_path, "v10.xlsx", fields={"生效日期": date(2024, 2, 1)},
                                           revisions=list(log), reviews=reviews(date(2024, 1, 10))), TODAY)
    issue(workspace, ledger, version_book(tmp_path, "V1.1", date(2024, 6, 1), log), TODAY)
    issue(workspace, ledger, version_book(tmp_path, "V1.2", date(2024, 12, 1), log), TODAY)
    assert withdraw(workspace, ledger, DOC, "版本有误", TODAY, version="V1.2") == ["V1.2"]
    lines = CliRunner().invoke(main, ["-w", str(workspace.root), "status", DOC]).output.splitlines()
    assert [line.split()[:2] for line in lines[2:]] == [["V1.0", "已失效"], ["V1.1", "现行有效"], ["V1.2", "已废止"]]
    # the whole document: only the current version becomes 已废止; V1.0 keeps its real 失效日期
    assert withdraw(workspace, ledger, DOC, "业务取消", date(2024, 9, 15)) == ["V1.1"]
    states = {v: (s.status.value, s.expiry_date) for v, s in _states(ledger, date(2024, 9, 15)).items()}
    assert states == {"V1.0": ("已失效", date(2024, 6, 1)), "V1.1": ("已废止", date(2024, 9, 15)),
                      "V1.2": ("已废止", TODAY)}
    sheet = openpyxl.load_workbook(workspace.register_path)["总台账"]
    assert [(r[3].value, r[4].value, r[16].value) for r in sheet.iter_rows(min_row=2)] == [
        ("V1.0", "已失效", None), ("V1.1", "已废止", "业务取消"), ("V1.2", "已废止", "版本有误")]


def _states(ledger: SqliteLedger, day: date) -> dict:  # type: ignore[type-arg]
    from officeflow.lifecycle import states_on

    history = ledger.history(DOC)
    return states_on(history.versions, day, history.withdrawn)


def test_revoking_a_current_version_alone_is_refused(tmp_path: Path, workspace: Workspace,
                                                     ledger: SqliteLedger) -> None:
    issue(workspace, ledger, make_workbook(tmp_path), TODAY)
    result = CliRunner().invoke(main, ["-w", str(workspace.root), "withdraw", DOC, "--version", "V1.0",
                                       "--reason", "x"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"错误 Error: 只能单独撤销待生效的版本；{DOC} V1.0 当前为现行有效。废止整个流程请不加 --version。"]


# ---------------------------------------------------------------- 4. batches out of order


def test_versions_in_one_batch_are_issued_in_version_order(tmp_path: Path, workspace: Workspace,
                                                           ledger: SqliteLedger) -> None:
    log = [entry("V1.0", date(2024, 1, 1), "初稿编写")]
    v10 = make_workbook(tmp_path, "b_v10.xlsx", revisions=list(log))
    v11 = version_book(tmp_path, "V1.1", date(2024, 8, 20), log)
    outcomes = process_files([v11, v10], workspace, ledger, TODAY)  # shell order: V1.1 first
    assert [(o.file, o.result, o.version) for o in outcomes] == [
        ("b_v10.xlsx", Result.ISSUED, "V1.0"), ("V1.1.xlsx", Result.ISSUED, "V1.1")]


# ---------------------------------------------------------------- 7. recall that can be closed


def test_recall_records_returned_and_lost_copies_and_rebuild_restores_the_log(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    log = [entry("V1.0", date(2024, 1, 1), "初稿编写")]
    issue(workspace, ledger, make_workbook(tmp_path, "v10.xlsx", revisions=list(log)), TODAY)
    copies = [TrainingCopy(f"{DOC}-V1.0-T000{n}", DOC, "V1.0", n, f"客服部 {name}",
                           datetime(2024, 8, 5, 9, 30), f"培训副本/{n}.pdf") for n, name in ((1, "张三"), (2, "李四"))]
    ledger.record_training_copies(copies, [Event("training-printed", DOC, "V1.0", c.pdf_path, "",
                                                 f"{c.serial} → {c.recipient}", at=c.printed_at) for c in copies])
    issue(workspace, ledger, version_book(tmp_path, "V1.1", TODAY, log), TODAY)
    runner = CliRunner()
    ws = ["-w", str(workspace.root)]
    listed = runner.invoke(main, [*ws, "recall", DOC]).output.splitlines()
    assert listed[:2] == [f"{DOC} 需回收的旧版培训副本：2 份", "副本编号                    版本  领用人       打印时间"]
    assert [line.split() for line in listed[2:]] == [
        [f"{DOC}-V1.0-T0001", "V1.0", "客服部", "张三", "2024-08-05", "09:30"],
        [f"{DOC}-V1.0-T0002", "V1.0", "客服部", "李四", "2024-08-05", "09:30"]]
    closed = runner.invoke(main, [*ws, "recall", DOC, "--returned", f"{DOC}-V1.0-T0001", "--lost",
                                  f"{DOC}-V1.0-T0002"]).output.splitlines()
    assert closed == [f"已回收 1 份：{DOC}-V1.0-T0001", f"已遗失 1 份：{DOC}-V1.0-T0002",
                      f"{DOC} 没有需回收的旧版培训副本"]
    sheet = openpyxl.load_workbook(workspace.register_path)["培训副本发放"]
    assert [(r[0].value, r[3].value, r[6].value is not None, r[7].value) for r in sheet.iter_rows(min_row=2)] == [
        (f"{DOC}-V1.0-T0001", "已失效", True, "已回收"), (f"{DOC}-V1.0-T0002", "已失效", True, "已遗失")]
    ledger.close()
    rebuilt = runner.invoke(main, [*ws, "register", "rebuild"])
    assert rebuilt.output.splitlines()[-1] == "已从归档重建 Rebuilt from the archive: 2 个版本 versions，2 份培训副本记录 training copies"
    again = openpyxl.load_workbook(workspace.register_path)["培训副本发放"]
    assert [(r[0].value, r[7].value) for r in again.iter_rows(min_row=2)] == [
        (f"{DOC}-V1.0-T0001", "已回收"), (f"{DOC}-V1.0-T0002", "已遗失")]


def test_closing_an_unknown_or_closed_copy_is_refused(tmp_path: Path, workspace: Workspace,
                                                      ledger: SqliteLedger) -> None:
    import pytest

    from officeflow.errors import OfficeflowError

    issue(workspace, ledger, make_workbook(tmp_path), TODAY)
    with pytest.raises(OfficeflowError, match=f"^{DOC} 没有这些培训副本编号：X-1$"):
        close_copies(workspace, ledger, DOC, ["X-1"], CopyClosure.RETURNED)


# ---------------------------------------------------------------- 8. the wrong folder


def test_commands_refuse_a_folder_without_a_workspace(tmp_path: Path) -> None:
    empty = tmp_path / "typo"
    empty.mkdir()
    for args in (["status", DOC], ["register", "export"], ["verify"], ["due"], ["audit"], ["next-id", "CRM-CS"]):
        result = CliRunner().invoke(main, ["-w", str(empty), *args])
        assert result.exit_code == 2, args
        assert result.output.splitlines() == [
            f"错误 Error: {empty} 不是 officeflow 工作区（没有 officeflow.toml，也没有 inbox/ 和 outbox/）。"
            f"请用 -w 指定工作区，或先运行 officeflow init {empty}"]
    assert sorted(p.name for p in empty.iterdir()) == []  # nothing was created there


# ---------------------------------------------------------------- 10. status prints dates


def test_status_prints_every_date(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    log = [entry("V1.0", date(2024, 1, 1), "初稿编写")]
    issue(workspace, ledger, make_workbook(tmp_path, "v10.xlsx", fields={"生效日期": date(2024, 2, 1)},
                                           revisions=list(log), reviews=reviews(date(2024, 1, 10))), TODAY)
    issue(workspace, ledger, version_book(tmp_path, "V1.1", date(2024, 6, 1), log), TODAY)
    received = [f"{v.received_at:%Y-%m-%d %H:%M}" for v in ledger.versions()]
    result = CliRunner().invoke(main, ["-w", str(workspace.root), "status", DOC])
    review = "2024-12-01"  # V1.1 effective 2024-06-01 + 6 months
    assert result.output.splitlines() == [
        f"{DOC}  客户投诉处理流程",
        "版本   状态    生效日期    失效日期    下次回顾    终审人  接收时间          废止原因",
        f"V1.0   已失效   2024-02-01  2024-06-01  -           赵总    {received[0]}",
        f"V1.1   现行有效  2024-06-01  -           {review}  赵总    {received[1]}",
    ]


# ---------------------------------------------------------------- the whole life, through the CLI only


def test_lifecycle_through_the_cli(tmp_path: Path) -> None:
    """V1.0 → V1.1 → V2.0 → V2.1 → a future V2.2 → withdrawal → revival V3.0, checked after every step."""
    today = date.today()
    root = tmp_path / "ws"
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(root)]).exit_code == 0
    ws = ["-w", str(root)]
    workspace_outbox = root / "outbox"
    books = tmp_path / "books"
    log: list[list[object]] = [entry("V1.0", today - timedelta(days=320), "初稿编写")]
    first = make_workbook(books, "V1.0.xlsx", fields={"生效日期": today - timedelta(days=300)},
                          revisions=list(log), reviews=reviews(today - timedelta(days=315)))
    plan = [("V1.1", -200), ("V2.0", -100), ("V2.1", -10), ("V2.2", 90)]
    steps = [("V1.0", first)] + [(v, version_book(books, v, today + timedelta(days=d), log)) for v, d in plan]
    effective = {"V1.0": today - timedelta(days=300), **{v: today + timedelta(days=d) for v, d in plan}}

    def check(expected: dict[str, tuple[str, str]]) -> None:
        """status, register and every archived copy agree with `expected` (version → status, mark)."""
        lines = runner.invoke(main, [*ws, "status", DOC]).output.splitlines()[2:]
        assert {line.split()[0]: line.split()[1] for line in lines} == {v: s for v, (s, _) in expected.items()}
        register = openpyxl.load_workbook(root / "outbox" / "流程文件总台账.xlsx")["总台账"]
        assert {r[3].value: r[4].value for r in register.iter_rows(min_row=2)} == {
            v: s for v, (s, _) in expected.items()}
        copies = {p.stem.rsplit("_", 1)[1]: marks(p) for p in workspace_outbox.rglob("*.docx")}
        assert {v: m[0] for v, m in copies.items()} == {v: m for v, (_, m) in expected.items()}

    obsolete, current, pending = ("已失效", "已失效 · 仅供追溯"), ("现行有效", "受控文件"), ("待生效", "受控文件 · 待生效")
    expected: dict[str, tuple[str, str]] = {}
    for version, book in steps:
        result = runner.invoke(main, [*ws, "process", str(book)])
        assert result.exit_code == 0, result.output
        if effective[version] <= today:
            expected = {v: obsolete for v in expected} | {version: current}
        else:
            expected[version] = pending
        check(expected)
    withdrawn = runner.invoke(main, [*ws, "withdraw", DOC, "--reason", "业务合并"])
    assert withdrawn.output.splitlines() == [f"已废止 Withdrawn: {DOC} V2.1、V2.2（原因：业务合并）"]
    gone = ("已废止", "已废止 · 仅供追溯")
    expected |= {"V2.1": gone, "V2.2": gone}
    check(expected)
    revival = make_workbook(books, "V3.0.xlsx", fields={"版本号": "V3.0", "生效日期": today},
                            revisions=[*log, entry("V3.0", today - timedelta(days=5), "恢复流程")],
                            reviews=reviews(today - timedelta(days=4)))
    result = runner.invoke(main, [*ws, "process", str(revival)])
    assert result.exit_code == 0, result.output
    expected["V3.0"] = current
    check(expected)
    assert runner.invoke(main, [*ws, "verify"]).output.splitlines() == ["校验通过 verified"]
    before = openpyxl.load_workbook(root / "outbox" / "流程文件总台账.xlsx")["总台账"]
    rows = [[c.value for c in r] for r in before.iter_rows()]
    rebuilt = runner.invoke(main, [*ws, "register", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    after = openpyxl.load_workbook(root / "outbox" / "流程文件总台账.xlsx")["总台账"]
    assert [[c.value for c in r] for r in after.iter_rows()] == rows
    check(expected)
    assert runner.invoke(main, [*ws, "verify"]).output.splitlines() == ["校验通过 verified"]


# ---------------------------------------------------------------- 3. re-saved workbooks


def test_a_resaved_workbook_is_a_duplicate_and_a_changed_one_names_its_cells(tmp_path: Path,
                                                                             workspace: Workspace,
                                                                             ledger: SqliteLedger) -> None:
    original = make_workbook(tmp_path)
    issue(workspace, ledger, original, TODAY)
    book = openpyxl.load_workbook(original)
    book["基本信息"].column_dimensions["C"].width = 40  # opened, touched, saved: other bytes
    resaved = tmp_path / "resaved.xlsx"
    book.save(resaved)
    assert resaved.read_bytes() != original.read_bytes()
    outcome = process_bytes(resaved.read_bytes(), "resaved.xlsx", workspace, ledger, TODAY)
    assert (outcome.result, outcome.version, outcome.message) == (
        Result.DUPLICATE, "V1.0", "内容与已归档的 V1.0 相同（仅文件字节不同，如另存/重新保存），不会重复发布。")
    book["流程步骤"]["B2"] = "接收客户投诉信息（电话、邮件）"
    book.save(resaved)
    outcome = process_bytes(resaved.read_bytes(), "resaved.xlsx", workspace, ledger, TODAY)
    assert outcome.result is Result.REJECTED
    assert [f.message for f in outcome.findings if f.code == "version.exists"] == [
        "V1.0 已归档且内容不同（首处不同：流程步骤!B2）：请把版本号改为 V1.1 或 V2.0。"]


def test_an_archive_from_before_records_keeps_its_issued_bytes_when_remarked(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    """Upgrading: versions issued before records/ existed get their document kept as the record first."""
    import shutil
    import sqlite3

    log = [entry("V1.0", date(2024, 1, 1), "初稿编写")]
    issue(workspace, ledger, make_workbook(tmp_path, "v10.xlsx", revisions=list(log)), TODAY)
    [v10] = ledger.versions()
    issued = (workspace.outbox / v10.document_path).read_bytes()
    shutil.rmtree(workspace.root / "records")
    raw = sqlite3.connect(workspace.ledger_path)
    raw.execute("UPDATE versions SET issued_path = '', issued_sha256 = '', marking = ''")
    raw.commit()
    raw.close()
    issue(workspace, ledger, version_book(tmp_path, "V1.1", TODAY, log), TODAY)
    assert (workspace.root / "records" / v10.document_path).read_bytes() == issued
    assert marks(workspace.outbox / v10.document_path) == ("已失效 · 仅供追溯", "已失效（2024-09-01 起）")
    assert [e["event"] for e in ledger.events(DOC) if e["version"] == "V1.0"][-2:] == ["record-adopted", "remarked"]


def test_verify_passes_on_a_fresh_clone_with_placeholder_files(tmp_path: Path, workspace: Workspace,
                                                                ledger: SqliteLedger) -> None:
    """The repo ships outbox/.gitkeep: `verify` on the README's first command must still pass."""
    (workspace.outbox / ".gitkeep").write_bytes(b"")
    issue(workspace, ledger, make_workbook(tmp_path), TODAY)
    result = CliRunner().invoke(main, ["-w", str(workspace.root), "verify"])
    assert (result.exit_code, result.output.splitlines()) == (0, ["校验通过 verified"])


def test_an_export_clears_only_the_changes_it_has_seen(tmp_path: Path, workspace: Workspace,
                                                       ledger: SqliteLedger) -> None:
    """Another process's change made during an export keeps the register stale (issue 16 item 4)."""
    issue(workspace, ledger, make_workbook(tmp_path), TODAY)
    assert not ledger.register_stale()
    seen = ledger.register_generation()
    other = SqliteLedger(workspace.ledger_path)  # a second process records a change meanwhile
    other.withdraw([], [])
    other.close()
    ledger.mark_register_exported([Event("exported")], seen)
    assert ledger.register_stale()
    publish(workspace, ledger, TODAY)
    assert not ledger.register_stale()
