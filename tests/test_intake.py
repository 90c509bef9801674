"""Inbox intake with real files: claim, outcomes, returned reports, hostile input, recovery."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from factory import make_workbook, register_values

from officeflow.intake import CLAIM_FILE, PIPELINE_MARK, Intake
from officeflow.ledger import SqliteLedger, open_ledger
from officeflow.pipeline import Result, process_bytes
from officeflow.settings import Workspace, open_workspace
from officeflow.watcher import WatchOptions, WatchSummary, run_watch

FAST = WatchOptions(once=True, stable_seconds=0.05, incomplete_grace_seconds=0.2,
                    register_quiet_seconds=0.05)

LAUGHS = "".join(
    f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
)
XML_BOMB_DOCTYPE = f'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol0 "lol">{LAUGHS}]>\n'


def book(folder: Path, name: str, number: int, **fields: object) -> Path:
    return make_workbook(folder, name, fields={"流程编号": f"CRM-CS-2024-{number:03d}", **fields})


def xml_bomb(path: Path, source: Path, part: str) -> Path:
    """`source` with a billion-laughs entity declared in `part` and used in its first value."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                text = data.decode("utf-8").split("?>", 1)[-1]
                text = text.replace('name="', 'name="&lol9;', 1).replace("<t>", "<t>&lol9;", 1)
                data = (XML_BOMB_DOCTYPE + text).encode("utf-8")
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())
    return path


def zip_bomb(path: Path, megabytes: int = 20) -> Path:
    """A small .xlsx-named zip whose one sheet inflates to `megabytes` of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as fh:
            chunk = b"0" * (1 << 20)
            for _ in range(megabytes):
                fh.write(chunk)
    return path


def drain(workspace: Workspace, options: WatchOptions = FAST) -> WatchSummary:
    return run_watch(workspace, options)


def returned_files(workspace: Workspace) -> list[str]:
    return sorted(p.name for p in workspace.returned.iterdir() if not p.name.startswith("."))


def report(workspace: Workspace, stem: str) -> str:
    return (workspace.returned / f"{stem}.问题清单.txt").read_text(encoding="utf-8-sig")


def archived(workspace: Workspace) -> list[str]:
    return sorted(p.name for p in workspace.outbox.rglob("*.docx"))


def processing_left(workspace: Workspace) -> list[Path]:
    return [p for p in workspace.processing.rglob("*") if p.is_file() and p.name != ".lock"]


def test_valid_workbooks_are_archived_and_register_exported_once(workspace: Workspace) -> None:
    for number in (1, 2, 3):
        book(workspace.inbox, f"b{number}.xlsx", number)
    summary = drain(workspace)
    assert (summary.archived, summary.returned, summary.failed) == (3, 0, 0)
    assert archived(workspace) == [f"CRM-CS-2024-00{n}_V1.0.docx" for n in (1, 2, 3)]
    assert sorted(p.name for p in workspace.inbox.iterdir()) == [".processing", "退回"]
    assert processing_left(workspace) == []
    ledger = open_ledger(workspace.ledger_path)
    try:
        assert [e["event"] for e in ledger.events()].count("exported") == 1  # coalesced
        assert len(ledger.versions()) == 3
    finally:
        ledger.close()
    rows = register_values(workspace.register_path)
    assert sorted(r[0] for r in rows[1:]) == ["CRM-CS-2024-001", "CRM-CS-2024-002", "CRM-CS-2024-003"]


def test_every_bad_file_is_returned_with_a_report(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "inbox").mkdir(parents=True)
    (root / "officeflow.toml").write_text("max_file_mb = 0.05\n", encoding="utf-8")
    workspace = open_workspace(root)
    inbox = workspace.inbox
    good = book(tmp_path, "good.xlsx", 1)
    shutil.copy(good, inbox / "good.xlsx")
    (inbox / "notes.txt").write_text("不是工作簿", encoding="utf-8")
    (inbox / "corrupt.xlsx").write_bytes(good.read_bytes()[:3000] + b"\0" * 500 + good.read_bytes()[3500:])
    (inbox / "legacy.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    shutil.copy(good, inbox / "macro.xlsm")
    (inbox / "big.xlsx").write_bytes(os.urandom(80 * 1024))
    zip_bomb(inbox / "bomb.xlsx")
    xml_bomb(inbox / "laughs.xlsx", book(tmp_path, "l.xlsx", 2), "xl/workbook.xml")
    xml_bomb(inbox / "laughs-sheet.xlsx", book(tmp_path, "ls.xlsx", 3), "xl/worksheets/sheet1.xml")
    started = time.monotonic()
    summary = drain(workspace)
    assert time.monotonic() - started < 20  # no hang on the bombs
    assert (summary.archived, summary.returned, summary.errors) == (1, 8, 0)
    assert archived(workspace) == ["CRM-CS-2024-001_V1.0.docx"]
    reasons = {
        "notes": "文件不是 Excel 工作簿（.xlsx）",
        "corrupt": "文件已损坏，无法作为 Excel 工作簿打开",
        "legacy": "旧版 .xls 格式不予接收",
        "macro": "含宏的工作簿（.xlsm）不予接收",
        "big": "超过上限 0.05 MB",
        "bomb": "疑似压缩炸弹",
        "laughs": "无法读取工作簿",
        "laughs-sheet": "无法读取工作簿",
    }
    for stem, reason in reasons.items():
        text = report(workspace, stem)
        assert reason in text, (stem, text)
        assert "处理编号 Intake ID: " in text
    names = returned_files(workspace)
    for stem, suffix in [("notes", ".txt"), ("corrupt", ".xlsx"), ("legacy", ".xls"), ("macro", ".xlsm"),
                         ("big", ".xlsx"), ("bomb", ".xlsx"), ("laughs", ".xlsx")]:
        assert f"{stem}{suffix}" in names
    assert (workspace.returned / "notes.txt").read_text(encoding="utf-8") == "不是工作簿"  # as it came
    assert processing_left(workspace) == []


def test_rejected_workbook_comes_back_annotated_with_the_original_beside_it(
        tmp_path: Path, workspace: Workspace) -> None:
    source = book(tmp_path, "bad.xlsx", 7, 流程编号="bad-id", 流程名称=None)
    shutil.copy(source, workspace.inbox / "bad.xlsx")
    summary = drain(workspace)
    assert (summary.returned, summary.failed) == (1, 1)
    assert returned_files(workspace) == ["bad.xlsx", "bad.原件.xlsx", "bad.问题清单.txt"]
    assert (workspace.returned / "bad.原件.xlsx").read_bytes() == source.read_bytes()
    wb = openpyxl.load_workbook(workspace.returned / "bad.xlsx")
    assert "不符合编号规则" in wb["基本信息"]["B4"].comment.text
    assert "缺少字段“流程名称”" in wb.worksheets[0]["A1"].comment.text
    text = report(workspace, "bad")
    assert "基本信息!B4: 流程编号“bad-id”不符合编号规则" in text
    assert "基本信息: 缺少字段“流程名称”" in text


def test_returned_names_never_overwrite_an_earlier_return(tmp_path: Path, workspace: Workspace) -> None:
    source = book(tmp_path, "bad.xlsx", 7, 流程编号="bad-id")
    shutil.copy(source, workspace.inbox / "bad.xlsx")
    drain(workspace)
    first = report(workspace, "bad")
    shutil.copy(source, workspace.inbox / "bad.xlsx")
    drain(workspace)
    assert report(workspace, "bad") == first
    names = returned_files(workspace)
    assert len(names) == 6
    tagged = [n for n in names if n.startswith("bad (") and n.endswith(").问题清单.txt")]
    assert len(tagged) == 1
    stem = tagged[0].removesuffix(".问题清单.txt")
    assert f"{stem}.xlsx" in names and f"{stem}.原件.xlsx" in names


def test_duplicate_is_returned_with_the_version_it_already_is(tmp_path: Path, workspace: Workspace) -> None:
    source = book(tmp_path, "b.xlsx", 4)
    shutil.copy(source, workspace.inbox / "b.xlsx")
    drain(workspace)
    shutil.copy(source, workspace.inbox / "again.xlsx")
    summary = drain(workspace)
    assert (summary.duplicate, summary.failed) == (1, 0)
    lines = report(workspace, "again").splitlines()
    assert lines[5:] == ["原因 Reason: 与已归档的 CRM-CS-2024-004 V1.0 内容完全相同，未重复处理。", "",
                         "退回的文件 Returned files:", "- again.xlsx", "",
                         "无需修改：此文件已归档，不必重新提交。"]  # nothing for the author to fix
    assert (workspace.returned / "again.xlsx").read_bytes() == source.read_bytes()


def test_ignored_files_are_left_exactly_where_they_are(workspace: Workspace) -> None:
    inbox = workspace.inbox
    book(inbox, "b.xlsx", 1)
    ignored = ["~$other.xlsx", ".~lock.other.xlsx#", "~WRL0001.tmp", "x.tmp", "a.filepart",
               "b.crdownload", "Thumbs.db", "desktop.ini", ".DS_Store", "._b.xlsx", "README",
               "noext", ".hidden.xlsx"]
    for name in ignored:
        (inbox / name).write_bytes(b"keep me " + name.encode())
    (inbox / ".hidden").mkdir()
    book(inbox / ".hidden", "in-hidden.xlsx", 2)
    stats = {name: (inbox / name).stat().st_mtime_ns for name in ignored}
    summary = drain(workspace)
    assert (summary.archived, summary.returned) == (1, 0)
    for name in ignored:
        assert (inbox / name).read_bytes() == b"keep me " + name.encode()
        assert (inbox / name).stat().st_mtime_ns == stats[name]
    assert (inbox / ".hidden" / "in-hidden.xlsx").exists()


def test_file_open_in_excel_is_left_for_later(workspace: Workspace) -> None:
    book(workspace.inbox, "open.xlsx", 1)
    (workspace.inbox / "~$open.xlsx").write_bytes(b"owner")
    summary = drain(workspace)
    assert (summary.handled, summary.still_open) == (0, ["open.xlsx"])
    assert "仍在 Excel 中打开" in str(summary)
    (workspace.inbox / "~$open.xlsx").unlink()
    assert drain(workspace).archived == 1


def test_subfolders_are_watched_but_own_folders_are_not(workspace: Workspace) -> None:
    book(workspace.inbox / "客服部", "b.xlsx", 1)
    workspace.returned.mkdir(parents=True)
    book(workspace.returned, "old.xlsx", 2)
    assert drain(workspace).archived == 1
    assert (workspace.returned / "old.xlsx").exists()


def test_two_intakes_never_claim_one_file(workspace: Workspace) -> None:
    path = book(workspace.inbox, "b.xlsx", 1)
    ledger = open_ledger(workspace.ledger_path)
    first, second = Intake(workspace, ledger), Intake(workspace, ledger)
    try:
        claim = first.claim(path)
        assert claim is not None and claim.path.exists()
        assert second.claim(path) is None
        assert json.loads((claim.folder / CLAIM_FILE).read_text(encoding="utf-8"))["name"] == "b.xlsx"
    finally:
        first.close()
        second.close()
        ledger.close()


def plant_dead_claim(workspace: Workspace, source: Path, received_at: datetime, token: str) -> Path:
    """What a watcher killed mid-file leaves: an owner folder nobody holds a lock on."""
    folder = workspace.processing / "deadhost-1-abc" / token
    folder.mkdir(parents=True)
    (folder / CLAIM_FILE).write_text(json.dumps(
        {"name": source.name, "received_at": received_at.isoformat()}), encoding="utf-8")
    shutil.copy(source, folder / source.name)
    (folder.parent / ".lock").write_bytes(b"")
    return folder


def test_restart_finishes_a_file_left_in_processing(tmp_path: Path, workspace: Workspace) -> None:
    source = book(tmp_path, "b.xlsx", 1)
    plant_dead_claim(workspace, source, datetime(2024, 9, 1, 10, 0), "20240901-100000-aaaaaa")
    summary = drain(workspace)
    assert (summary.archived, summary.failed) == (1, 0)
    assert archived(workspace) == ["CRM-CS-2024-001_V1.0.docx"]
    assert not (workspace.processing / "deadhost-1-abc").exists()


def test_restart_after_the_ledger_commit_does_not_report_a_duplicate(tmp_path: Path,
                                                                      workspace: Workspace) -> None:
    source = book(tmp_path, "b.xlsx", 1)
    received = datetime(2024, 9, 1, 10, 0)
    ledger = open_ledger(workspace.ledger_path)
    try:  # the crash came after the pipeline committed, before the claim was cleaned up
        assert process_bytes(source.read_bytes(), "b.xlsx", workspace, ledger,
                             received_at=received).result is Result.ISSUED
    finally:
        ledger.close()
    plant_dead_claim(workspace, source, received, "20240901-100000-bbbbbb")
    summary = drain(workspace)
    assert (summary.archived, summary.duplicate, summary.returned) == (1, 0, 0)
    assert returned_files(workspace) == []
    ledger = open_ledger(workspace.ledger_path)
    try:
        assert [e["event"] for e in ledger.events()].count("issued") == 1
    finally:
        ledger.close()


def test_a_live_watcher_folder_is_not_taken_over(tmp_path: Path, workspace: Workspace) -> None:
    ledger = open_ledger(workspace.ledger_path)
    alive = Intake(workspace, ledger)
    try:
        claim = alive.claim(book(workspace.inbox, "b.xlsx", 1))
        assert claim is not None
        assert drain(workspace).handled == 0  # its owner holds the lock
        assert claim.path.exists()
    finally:
        alive.close()
        ledger.close()
    assert drain(workspace).archived == 1  # once it is gone, the next start finishes it


def test_register_that_cannot_be_replaced_is_exported_later(workspace: Workspace) -> None:
    workspace.register_path.mkdir(parents=True)  # os.replace onto a directory fails
    book(workspace.inbox, "b.xlsx", 1)
    summary = drain(workspace)
    assert summary.archived == 1 and summary.failed == 0
    assert "台账未能更新" in str(summary) and summary.register_error
    workspace.register_path.rmdir()
    assert drain(workspace).register_error == ""  # nothing new, but the export was owed
    rows = register_values(workspace.register_path)
    assert [r[0] for r in rows[1:]] == ["CRM-CS-2024-001"]


@pytest.mark.parametrize("name", ["b.XLSX", "客户投诉 流程(终稿).xlsx"])
def test_unusual_but_valid_names(workspace: Workspace, name: str) -> None:
    book(workspace.inbox, name, 1)
    assert drain(workspace).archived == 1


def test_recovery_ignores_a_half_written_claim(workspace: Workspace, ledger: SqliteLedger) -> None:
    """A SIGKILL while claim.json was being written leaves only its dot-temp: nothing to return."""
    from officeflow.intake import LOCK_FILE, Intake

    owner = workspace.processing / "dead-watcher"
    (owner / "20240901-000000-abcd").mkdir(parents=True)
    (owner / LOCK_FILE).touch()  # its watcher is gone: the lock file is free
    (owner / "20240901-000000-abcd" / ".claim.json.x1y2z3.tmp").write_bytes(b'{"name": "bo')
    intake = Intake(workspace, ledger)
    try:
        assert intake.recover() == []
    finally:
        intake.close()
    assert not workspace.returned.exists() or not any(workspace.returned.iterdir())
    assert not owner.exists()


def test_a_planted_symlink_lock_is_not_followed(tmp_path: Path, workspace: Workspace) -> None:
    """.processing lies in the shared inbox: a `.lock` pointing elsewhere must not create the target."""
    folder = plant_dead_claim(workspace, book(tmp_path, "b.xlsx", 1), datetime(2024, 9, 1, 10, 0),
                              "20240901-100000-cccccc")
    lock = folder.parent / ".lock"
    lock.unlink()
    victim = tmp_path / "elsewhere" / "victim"
    victim.parent.mkdir()
    lock.symlink_to(victim)
    an_hour_ago = time.time() - 3600  # long past the grace a starting watcher gets
    os.utime(folder.parent, (an_hour_ago, an_hour_ago))
    assert drain(workspace).handled == 0  # not a dead watcher's lock: left alone
    assert not victim.exists()
    assert lock.is_symlink() and (folder / "b.xlsx").exists()


BAD_ID = "基本信息!B5: 流程编号“bad-id”不符合编号规则（前缀-类别-年份-序号），如 CRM-CS-2024-005。"


def events_of(workspace: Workspace) -> list[str]:
    """The audit trail's events about files (the register's `exported` left out)."""
    ledger = open_ledger(workspace.ledger_path)
    try:
        return [e["event"] for e in ledger.events() if e["event"] != "exported"]
    finally:
        ledger.close()


def crash_after_commit(workspace: Workspace, source: Path, name: str, token: str) -> Result:
    """What a watcher SIGKILLed between the pipeline's ledger commit and its saved outcome leaves:
    the child's mark of the trail's head before it ran, the events, no outcome."""
    folder = plant_dead_claim(workspace, source, datetime(2024, 9, 1, 10, 0), token)
    (folder / source.name).rename(folder / name)
    (folder / CLAIM_FILE).write_text(json.dumps(
        {"name": name, "received_at": "2024-09-01T10:00:00"}), encoding="utf-8")
    ledger = open_ledger(workspace.ledger_path)
    try:
        (folder / PIPELINE_MARK).write_text(str(ledger.chain_head()[0]), encoding="ascii")
        return process_bytes(source.read_bytes(), name, workspace, ledger).result
    finally:
        ledger.close()


def test_restart_after_a_rejection_was_logged_returns_it_without_logging_again(
        tmp_path: Path, workspace: Workspace) -> None:
    source = book(tmp_path, "bad.xlsx", 7, 流程编号="bad-id")
    assert crash_after_commit(workspace, source, "bad.xlsx", "20240901-100000-dddddd") is Result.REJECTED
    summary = drain(workspace)
    assert (summary.returned, summary.archived) == (1, 0)
    assert events_of(workspace) == ["received", "rejected"]  # once, not twice
    assert returned_files(workspace) == ["bad.xlsx", "bad.原件.xlsx", "bad.问题清单.txt"]
    assert report(workspace, "bad").splitlines()[5:] == [
        "原因 Reason: 1 个错误，0 个警告", "", "问题清单 Findings（1 个错误，0 个警告）:",
        f"1. {BAD_ID}  [错误 numbering.doc-id-format]", "", "退回的文件 Returned files:",
        "- bad.xlsx", "- bad.原件.xlsx", "", "请修改后把工作簿重新放入收件箱（inbox）。"]
    assert processing_left(workspace) == []


def test_restart_after_a_duplicate_was_logged_returns_it_without_logging_again(
        tmp_path: Path, workspace: Workspace) -> None:
    source = book(tmp_path, "b.xlsx", 4)
    shutil.copy(source, workspace.inbox / "b.xlsx")
    drain(workspace)
    before = events_of(workspace)
    assert crash_after_commit(workspace, source, "again.xlsx", "20240901-100000-eeeeee") is Result.DUPLICATE
    summary = drain(workspace)
    assert (summary.duplicate, summary.returned, summary.archived) == (1, 0, 0)
    assert events_of(workspace)[len(before):] == ["received", "duplicate"]
    assert report(workspace, "again").splitlines()[5] == (
        "原因 Reason: 与已归档的 CRM-CS-2024-004 V1.0 内容完全相同，未重复处理。")


def test_a_child_failing_after_the_commit_returns_the_file_with_its_findings(
        tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """Annotating comes after the rejection is logged; its failure must not log the file again."""
    import officeflow.intake_work

    def broken(data: bytes, findings: object) -> bytes:
        raise RuntimeError("annotate broke")

    monkeypatch.setattr(officeflow.intake_work, "annotate_workbook", broken)  # the forked child has it too
    shutil.copy(book(tmp_path, "bad.xlsx", 7, 流程编号="bad-id"), workspace.inbox / "bad.xlsx")
    summary = drain(workspace)
    assert (summary.returned, summary.errors) == (1, 0)
    assert events_of(workspace) == ["received", "rejected"]
    assert returned_files(workspace) == ["bad.xlsx", "bad.问题清单.txt"]  # no annotated copy
    assert report(workspace, "bad").splitlines()[5:10] == [
        "原因 Reason: 1 个错误，0 个警告", "", "问题清单 Findings（1 个错误，0 个警告）:",
        f"1. {BAD_ID}  [错误 numbering.doc-id-format]", ""]


def archive_files(workspace: Workspace) -> list[str]:
    """Every file under outbox/ and records/ (the register and dot-temps left out)."""
    found = [p for root in (workspace.outbox, workspace.root / "records") if root.exists()
             for p in root.rglob("*") if p.is_file() and p != workspace.register_path]
    return sorted(str(p.relative_to(workspace.root)) for p in found if not p.name.startswith("."))


def test_a_child_killed_between_archive_and_ledger_leaves_no_uncommitted_version(
        tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The archive is written before the ledger commit; a SIGKILL between the two (here the
    child kills itself after writing the archive) must not leave a version the ledger never issued: the
    file comes back, the archive holds nothing of it, and `verify` passes."""
    from click.testing import CliRunner

    import officeflow.pipeline
    from officeflow.cli import main

    write_version = officeflow.pipeline.write_version

    def written_then_killed(*args: object, **kwargs: object) -> None:
        write_version(*args, **kwargs)  # type: ignore[arg-type]
        os.kill(os.getpid(), 9)  # SIGKILL before record_issue: the forked child dies where a host can

    monkeypatch.setattr(officeflow.pipeline, "write_version", written_then_killed)
    shutil.copy(book(tmp_path, "b.xlsx", 7), workspace.inbox / "b.xlsx")
    summary = drain(workspace)
    assert (summary.returned, summary.archived) == (1, 0)
    assert report(workspace, "b").splitlines()[5] == (
        "原因 Reason: 处理过程异常终止（可能超出内存上限），已停止并退回：请检查工作簿是否过大或结构异常"
        "（多余的行、列、合并单元格、图片），精简后重新提交。")
    assert archive_files(workspace) == []
    assert processing_left(workspace) == []
    monkeypatch.undo()
    checked = CliRunner().invoke(main, ["-w", str(workspace.root), "verify"])
    assert (checked.exit_code, checked.output.splitlines()) == (0, ["校验通过 verified"])



KILLED_AFTER_ARCHIVE = """
import os, sys
import officeflow.pipeline as pipeline
write_version = pipeline.write_version
def written_then_killed(*args, **kwargs):
    write_version(*args, **kwargs)
    os.kill(os.getpid(), 9)
pipeline.write_version = written_then_killed
from officeflow.cli import main
main(sys.argv[1:])
"""


def test_a_process_run_killed_between_archive_and_ledger_is_cleaned_up_by_the_next_run(
        tmp_path: Path, workspace: Workspace) -> None:
    """`officeflow process` SIGKILLed after archiving, before the ledger: the next run removes
    what it archived (the ledger never issued it), then goes on; `verify` passes."""
    import subprocess
    import sys

    from click.testing import CliRunner

    from officeflow.cli import main

    if workspace.ledger_url.startswith("postgres"):
        pytest.skip("the subprocess reads the workspace's officeflow.toml: SQLite here")
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_ARCHIVE, "-w", str(workspace.root), "process",
                             str(book(tmp_path, "a.xlsx", 7))], capture_output=True, text=True)
    assert killed.returncode == -9
    assert len(archive_files(workspace)) == 6  # written, never issued
    runner = CliRunner()
    second = runner.invoke(main, ["-w", str(workspace.root), "process", str(book(tmp_path, "b.xlsx", 8))])
    assert second.exit_code == 0, second.output
    assert [Path(p).name for p in archive_files(workspace)] == [
        "CRM-CS-2024-008_V1.0.docx", "CRM-CS-2024-008_V1.0.flow.svg", "CRM-CS-2024-008_V1.0.manifest.json",
        "CRM-CS-2024-008_V1.0.xlsx", "CRM-CS-2024-008_V1.0.docx", "CRM-CS-2024-008_V1.0.flow.svg"]
    checked = runner.invoke(main, ["-w", str(workspace.root), "verify"])
    assert (checked.exit_code, checked.output.splitlines()) == (0, ["校验通过 verified"])


def test_the_parent_prepares_what_every_child_would_build_again(workspace: Workspace) -> None:
    """The watcher forks one child per file; what a child builds dies with it. Measured in a
    child, preparing the Word template, parsing its variables and building the catalog's
    pydantic model cost more than the file itself, so the parent does it once (warm_up)."""
    from officeflow.fastrender import prepared_template
    from officeflow.intake_work import warm_up
    from officeflow.kinds import KINDS
    from officeflow.pipeline import word_template
    from officeflow.tailor import tailored

    warm_up(workspace)
    for kind in KINDS.values():
        assert "variables" in vars(prepared_template(word_template(workspace, kind.word_template)))
        assert "model" in vars(tailored(kind, workspace.settings))
