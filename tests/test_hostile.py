"""Files that must never stop intake: FIFOs, symlinks, long names, merge bombs, big sheets,
files over their budget, server faults, left-overs of kills, and versions out of order."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from factory import REVISIONS, make_workbook, sop_sheets, write_book
from test_intake import FAST, archived, book, processing_left, report, returned_files
from test_watcher import ROOT, live, make_workspace, wait_for, watcher

from officeflow import fsutil
from officeflow.intake import Intake
from officeflow.ledger import open_ledger
from officeflow.reader import Unreadable, read_workbook
from officeflow.settings import Workspace
from officeflow.watcher import WatchOptions, WatchSummary, run_watch


def name_bytes(name: str) -> int:
    return len(os.fsencode(name))


def budget(seconds: float = 60.0, memory_mb: int = 1024) -> object:
    from officeflow.sandbox import Budget  # new: imported here so each test fails on its own

    return Budget(seconds, memory_mb)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def drain_in_thread(workspace: Workspace, options: WatchOptions = FAST,
                    unblock: list[Path] | None = None) -> WatchSummary:
    """`watch --once` that must end by itself; a hang fails the test instead of hanging it."""
    result: dict[str, WatchSummary] = {}
    thread = threading.Thread(target=lambda: result.update(summary=run_watch(workspace, options)))
    thread.start()
    thread.join(30)
    hung = thread.is_alive()
    if hung:  # free a reader blocked on a FIFO so the thread can end
        for fifo in unblock or []:
            for path in [fifo, *workspace.processing.rglob(fifo.name)]:
                with contextlib.suppress(OSError):
                    os.close(os.open(path, os.O_RDWR | os.O_NONBLOCK))
        thread.join(10)
    assert not hung, "the watcher hung"
    return result["summary"]


def events(workspace: Workspace) -> list[dict[str, str]]:
    ledger = open_ledger(workspace.ledger_path)
    try:
        return ledger.events()
    finally:
        ledger.close()


def replace_part(path: Path, part: str, data: bytes) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            dst.writestr(info, data if info.filename == part else src.read(info.filename))
    path.write_bytes(out.getvalue())
    return path


def merge_bomb(folder: Path, name: str, number: int, ref: str = "E20:ZZ200000") -> Path:
    """A valid workbook whose 流程步骤 sheet (sheet2) declares one huge merged range."""
    path = book(folder, name, number)
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet2.xml").decode("utf-8")
    xml = xml.replace("</sheetData>", f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>')
    return replace_part(path, "xl/worksheets/sheet2.xml", xml.encode("utf-8"))


def with_appendix(folder: Path, name: str, number: int, rows: int, cols: int, text: str = "x",
                  random_text: int = 0) -> Path:
    """A valid workbook plus a sheet 附录 holding rows × cols inline-string cells (sheet6);
    `random_text` characters of distinct text per cell make it compress like real data."""
    sheets = sop_sheets({"流程编号": f"CRM-CS-2024-{number:03d}"})
    path = write_book(folder / name, {**sheets, "附录": [["附录"]]})
    body = "".join(
        f'<row r="{r}">' + "".join(f'<c r="{_col(c)}{r}" t="inlineStr"><is><t>'
                                   f'{_noise(random_text) if random_text else text}</t></is></c>'
                                   for c in range(1, cols + 1)) + "</row>"
        for r in range(1, rows + 1))
    xml = f'<worksheet xmlns="{MAIN_NS}"><sheetData>{body}</sheetData></worksheet>'
    return replace_part(path, "xl/worksheets/sheet6.xml", xml.encode("utf-8"))


def _noise(size: int) -> str:
    """`size` characters, distinct per call, compressing about 10:1 like real sheet text."""
    head = os.urandom(max(size // 20, 1)).hex()  # a tenth of random hex keeps it under 200:1
    return (head + "step text " * (size // 10 + 1))[:size]


def _col(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_in_child(path: Path, seconds: float = 30, memory_gb: float = 2.0) -> str:
    """read_workbook in a separate interpreter with a memory cap and a timeout: the finding
    messages, or why it did not finish (so a bomb fails a test instead of the machine)."""
    code = ("import sys\nfrom pathlib import Path\nfrom officeflow.reader import read_workbook, Unreadable\n"
            "try:\n    read_workbook(Path(sys.argv[1]).read_bytes())\n    print('read')\n"
            "except Unreadable as exc:\n    print('\\n'.join(f.message for f in exc.findings))\n")

    def limit() -> None:
        import resource
        cap = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    try:
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                              timeout=seconds, preexec_fn=limit, env={**os.environ, "PYTHONPATH": str(ROOT)})
    except subprocess.TimeoutExpired:
        return "timeout"
    return done.stdout.strip() if done.returncode == 0 else f"died: {done.stderr.strip()[-300:]}"


# -- 1. only regular files ---------------------------------------------------------------


def test_read_regular_file_refuses_fifo_symlink_and_too_large(tmp_path: Path) -> None:
    regular = tmp_path / "a.xlsx"
    regular.write_bytes(b"12345")
    assert fsutil.read_regular_file(regular, 5) == b"12345"
    with pytest.raises(fsutil.FileTooLarge) as too_big:
        fsutil.read_regular_file(regular, 4)
    assert str(too_big.value).startswith("“a.xlsx”大小 0.0 MB，超过上限")
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    with pytest.raises(fsutil.NotRegularFile) as not_regular:
        fsutil.read_regular_file(fifo, 100)  # must not block
    assert str(not_regular.value).startswith("“pipe.xlsx”是命名管道，不是普通文件，未读取。")
    link = tmp_path / "link.xlsx"
    link.symlink_to(regular)
    with pytest.raises(fsutil.NotRegularFile, match="符号链接"):
        fsutil.read_regular_file(link, 100)
    with pytest.raises(fsutil.NotRegularFile, match="文件夹"):
        fsutil.read_regular_file(tmp_path, 100)


def test_fifo_in_the_inbox_is_answered_and_valid_files_beside_it_are_archived(workspace: Workspace) -> None:
    os.mkfifo(workspace.inbox / "pipe.xlsx")
    book(workspace.inbox, "good.xlsx", 1)
    summary = drain_in_thread(workspace, unblock=[workspace.inbox / "pipe.xlsx"])
    assert (summary.archived, summary.returned, summary.errors) == (1, 1, 0)
    assert archived(workspace) == ["CRM-CS-2024-001_V1.0.docx"]
    assert returned_files(workspace) == ["pipe.问题清单.txt"]  # nothing to give back
    assert "原因 Reason: “pipe.xlsx”是命名管道，不是普通文件：未读取，也不退回其内容。请直接提交工作簿文件本身。" in (
        report(workspace, "pipe").splitlines())
    assert processing_left(workspace) == [] and not (workspace.inbox / "pipe.xlsx").exists()


def test_fifo_does_not_block_the_live_watcher(workspace: Workspace) -> None:
    with live(workspace):
        os.mkfifo(workspace.inbox / "pipe.xlsx")
        book(workspace.inbox, "good.xlsx", 1)
        wait_for(lambda: len(returned_files(workspace)) == 1 and len(archived(workspace)) == 1)
    assert processing_left(workspace) == []


def test_sigterm_stops_the_watcher_with_a_fifo_in_the_inbox(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws")
    os.mkfifo(workspace.inbox / "pipe.xlsx")
    proc = watcher(workspace)
    try:
        book(workspace.inbox, "good.xlsx", 1)
        wait_for(lambda: bool(archived(workspace)) and bool(returned_files(workspace)), timeout=20)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            os.close(os.open(workspace.inbox / "pipe.xlsx", os.O_RDWR | os.O_NONBLOCK))
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.splitlines()[0].startswith("共处理 2 个文件：归档 1，退回 1，重复 0，出错 0（")


def test_symlinks_are_never_followed_out_of_the_inbox(tmp_path: Path, workspace: Workspace) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0", encoding="utf-8")
    elsewhere = book(tmp_path / "elsewhere", "valid.xlsx", 1)
    (workspace.inbox / "x.txt").symlink_to(secret)
    (workspace.inbox / "linked.xlsx").symlink_to(elsewhere)
    (workspace.inbox / "folder").symlink_to(elsewhere.parent, target_is_directory=True)
    (workspace.inbox / "dangling.xlsx").symlink_to(tmp_path / "nothing.xlsx")
    summary = drain_in_thread(workspace)
    assert (summary.archived, summary.returned) == (0, 3)
    assert archived(workspace) == []
    assert returned_files(workspace) == ["dangling.问题清单.txt", "linked.问题清单.txt", "x.问题清单.txt"]
    for stem, name in [("x", "x.txt"), ("linked", "linked.xlsx")]:
        assert f"原因 Reason: “{name}”是符号链接，不是普通文件：未读取，也不退回其内容。请直接提交工作簿文件本身。" in (
            report(workspace, stem).splitlines())
    for path in workspace.returned.iterdir():
        assert path.read_bytes() not in (secret.read_bytes(), elsewhere.read_bytes())
    assert secret.read_text(encoding="utf-8") == "root:x:0:0" and elsewhere.is_file()  # targets untouched
    assert sorted(p.name for p in elsewhere.parent.iterdir()) == ["valid.xlsx"]
    assert processing_left(workspace) == []


# -- 2. long names -----------------------------------------------------------------------


def test_long_names_never_stop_the_watcher_and_come_back_shortened(tmp_path: Path, workspace: Workspace) -> None:
    long_valid = "客" * 83 + ".xlsx"  # 254 bytes: `.~lock.<name>#` would be 262
    long_bad = "退" * 80 + ".xlsx"  # 245 bytes
    assert name_bytes(long_valid) == 254 and name_bytes(long_bad) == 245
    book(workspace.inbox, long_valid, 1)
    shutil.copy(book(tmp_path, "bad.xlsx", 2, 流程编号="bad-id"), workspace.inbox / long_bad)
    summary = drain_in_thread(workspace)
    assert (summary.archived, summary.returned, summary.errors) == (1, 1, 0)
    names = returned_files(workspace)
    assert len(names) == 3 and all(name_bytes(n) <= 255 for n in names)
    assert sorted(os.path.splitext(n)[1] for n in names) == [".txt", ".xlsx", ".xlsx"]
    assert long_bad in names  # fits as it is
    report_name = next(n for n in names if n.endswith(".问题清单.txt"))
    assert report_name.startswith("退" * 70) and "~" in report_name
    text = (workspace.returned / report_name).read_text(encoding="utf-8-sig")
    assert f"文件 File: {long_bad}" in text.splitlines()
    assert processing_left(workspace) == []
    # the same name again: the intake id no longer fits either, the names still do
    shutil.copy(book(tmp_path, "bad2.xlsx", 3, 流程编号="bad-id2"), workspace.inbox / long_bad)
    drain_in_thread(workspace)
    names = returned_files(workspace)
    assert len(names) == 6 and all(name_bytes(n) <= 255 for n in names)
    assert processing_left(workspace) == []


def test_fit_name_cuts_on_a_character_boundary_keeps_the_tail_and_stays_distinct() -> None:
    assert fsutil.fit_name("短", ".xlsx") == "短.xlsx"
    one, two = fsutil.fit_name("客" * 90 + "甲", ".问题清单.txt"), fsutil.fit_name("客" * 90 + "乙", ".问题清单.txt")
    assert one != two and one.endswith(".问题清单.txt") and name_bytes(one) <= 255
    assert fsutil.fit_name("𠀀" * 70, ".xlsx").startswith("𠀀" * 60)  # 4-byte characters are never split


def test_four_byte_cjk_folder_and_file_names(tmp_path: Path, workspace: Workspace) -> None:
    folder = workspace.inbox / ("𠀀𠀁𪚥部门" * 10)
    book(folder, "𠮷野家流程.xlsx", 1)
    shutil.copy(book(tmp_path, "bad.xlsx", 2, 流程编号="bad-id"), folder / ("𠮷" * 62 + ".xlsx"))
    summary = drain_in_thread(workspace)
    assert (summary.archived, summary.returned, summary.errors) == (1, 1, 0)
    assert all(name_bytes(n) <= 255 for n in returned_files(workspace))
    assert processing_left(workspace) == []


# -- 3. limits before parsing, budgets -----------------------------------------------------


def test_merge_bomb_is_refused_before_it_is_expanded(tmp_path: Path, workspace: Workspace) -> None:
    bomb = merge_bomb(tmp_path, "merge.xlsx", 1)
    assert bomb.stat().st_size < 30_000
    assert read_in_child(bomb) == ("工作表“流程步骤”的合并单元格 E20:ZZ200000 超出行列上限（5000 行、200 列），"
                                   "已拒收：请取消该合并后重新提交。")
    shutil.copy(bomb, workspace.inbox / "merge.xlsx")
    summary = drain_in_thread(workspace)
    assert (summary.archived, summary.returned) == (0, 1)
    assert "流程步骤: 工作表“流程步骤”的合并单元格 E20:ZZ200000 超出行列上限" in report(workspace, "merge")


def test_many_small_merges_are_refused_by_their_total_area(tmp_path: Path) -> None:
    path = book(tmp_path, "merges.xlsx", 1)
    merges = "".join(f'<mergeCell ref="A{r}:CV{r}"/>' for r in range(1, 1200))  # 1199 × 100 cells
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet5.xml").decode("utf-8")
    xml = xml.replace("</sheetData>", f"</sheetData><mergeCells>{merges}</mergeCells>")
    replace_part(path, "xl/worksheets/sheet5.xml", xml.encode("utf-8"))
    assert read_in_child(path) == ("工作簿的合并单元格共超过 100000 个单元格（工作表“审核记录”），"
                                   "已拒收：请取消多余的合并后重新提交。")


def test_big_sheet_inside_the_ratio_guard_is_refused_by_its_cells(tmp_path: Path) -> None:
    path = with_appendix(tmp_path, "cells.xlsx", 1, rows=4000, cols=30)  # 120,000 cells
    assert read_in_child(path) == ("工作簿的单元格超过 100000 个（工作表“附录”），"
                                   "请删除多余的内容和格式后重新提交。")


@pytest.mark.slow
def test_big_sheet_xml_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = with_appendix(tmp_path, "xml.xlsx", 1, rows=1100, cols=1, random_text=50_000)  # 55 MB
    assert path.stat().st_size < 40 * 1024 * 1024  # under the 200:1 ratio guard, under 200 MB
    started = time.monotonic()
    with pytest.raises(Unreadable) as refused:
        read_workbook(path.read_bytes())
    assert time.monotonic() - started < 10  # refused from the zip directory, not parsed
    assert [f.message for f in refused.value.findings] == [
        "工作簿的表格内容解压后超过 50 MB，已拒收：请删除多余的行、列和格式后重新提交。"]


def slow_book(folder: Path, number: int) -> Path:
    """Legal but slow: 90,000 cells in an appendix sheet (seconds of openpyxl work)."""
    return with_appendix(folder, f"slow{number}.xlsx", number, rows=3000, cols=30)


def test_a_file_over_its_time_budget_is_returned_and_the_queue_moves_on(tmp_path: Path,
                                                                        workspace: Workspace) -> None:
    shutil.copy(slow_book(tmp_path, 1), workspace.inbox / "slow.xlsx")
    book(workspace.inbox, "good.xlsx", 2)
    options = WatchOptions(once=True, stable_seconds=0.05, register_quiet_seconds=0.05,
                           budget=budget(seconds=1.5))  # good.xlsx takes ~0.2 s, slow.xlsx ~3 s
    summary = drain_in_thread(workspace, options)
    assert (summary.archived, summary.returned) == (1, 1)
    assert ("原因 Reason: 处理超出时限（1.5 秒），已停止并退回：请检查工作簿是否过大或结构异常"
            "（多余的行、列、合并单元格、图片），精简后重新提交。") in report(workspace, "slow").splitlines()
    assert drain_in_thread(workspace, options).handled == 0  # answered, never retried
    assert processing_left(workspace) == []


@pytest.mark.slow
def test_a_file_over_its_memory_budget_is_returned(tmp_path: Path, workspace: Workspace) -> None:
    # 40 MB of distinct strings, built in another process: memory this process freed after
    # building it would be reused by the forked child without counting against its budget
    code = ("import sys; from pathlib import Path; from test_hostile import with_appendix; "
            "with_appendix(Path(sys.argv[1]), 'fat.xlsx', 1, rows=2000, cols=20, random_text=1000)")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, cwd=Path(__file__).parent,
                   env={**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{Path(__file__).parent}"})
    fat = tmp_path / "fat.xlsx"
    shutil.copy(fat, workspace.inbox / "fat.xlsx")
    options = WatchOptions(once=True, stable_seconds=0.05, budget=budget(seconds=60, memory_mb=8))
    summary = drain_in_thread(workspace, options)
    assert summary.returned == 1
    assert report(workspace, "fat").splitlines()[5] in (
        "原因 Reason: 处理超出内存上限（8 MB），已停止并退回：请检查工作簿是否过大或结构异常"
        "（多余的行、列、合并单元格、图片），精简后重新提交。",
        "原因 Reason: 处理过程异常终止（可能超出内存上限），已停止并退回：请检查工作簿是否过大或结构异常"
        "（多余的行、列、合并单元格、图片），精简后重新提交。")


def test_a_file_whose_attempts_were_all_killed_is_returned_not_retried(tmp_path: Path,
                                                                      workspace: Workspace) -> None:
    source = book(tmp_path, "killer.xlsx", 1)
    folder = workspace.processing / "deadhost-1-abc" / "20240901-120000-aaaaaa"
    folder.mkdir(parents=True)
    (folder.parent / ".lock").write_bytes(b"")  # its watcher is dead: nobody holds the lock
    shutil.copy(source, folder / "killer.xlsx")
    (folder / "claim.json").write_text('{"name": "killer.xlsx", "received_at": "2024-09-01T12:00:00"}',
                                       encoding="utf-8")
    (folder / ".attempts").write_text("3", encoding="ascii")  # three watchers died on it
    summary = drain_in_thread(workspace)
    assert (summary.archived, summary.returned) == (0, 1)
    assert report(workspace, "killer").splitlines()[5] == (
        "原因 Reason: 该文件已处理 3 次均未完成（处理中断），已停止处理并退回：请检查工作簿是否过大或结构异常"
        "（多余的行、列、合并单元格、图片），精简后重新提交。")
    assert processing_left(workspace) == []


@pytest.mark.slow
def test_sigterm_mid_file_stops_within_seconds_and_the_file_is_finished_later(tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws")
    slow = slow_book(tmp_path, 1)
    proc = watcher(workspace)
    try:
        time.sleep(0.5)
        shutil.copy(slow, workspace.inbox / "slow.xlsx")
        wait_for(lambda: bool(processing_left(workspace)), timeout=20)
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
        stopped_in = time.monotonic() - started
    finally:
        proc.kill()
    assert proc.returncode == 0
    final = watcher(workspace, "--once")
    out, err = final.communicate(timeout=120)
    assert final.returncode in (0, 1), err
    assert processing_left(workspace) == [] and len(archived(workspace)) == 1
    print(f"SIGTERM mid-file: stopped in {stopped_in:.1f} s")


# -- 4. server faults ----------------------------------------------------------------------


def test_a_server_fault_keeps_the_file_and_logs_an_audit_event(workspace: Workspace) -> None:
    blocker = workspace.outbox / "客户服务类"  # the archive folder cannot be made: a file is in the way
    blocker.write_bytes(b"")
    book(workspace.inbox, "good.xlsx", 1)
    summary = drain_in_thread(workspace, WatchOptions(once=True, stable_seconds=0.05, retry_seconds=0.05))
    assert (summary.archived, summary.returned, summary.kept, summary.failed) == (0, 0, 1, 1)
    assert str(summary).splitlines()[1] == ("服务器故障，1 个文件保留在处理区，稍后重试（不是提交人的问题）"
                                            " Kept 1 file(s) after a server fault; retried later.")
    assert returned_files(workspace) == []  # not the author's fault
    assert [p.name for p in processing_left(workspace) if not p.name.startswith(".")
            and p.name != "claim.json"] == ["good.xlsx"]
    failed = [e for e in events(workspace) if e["event"] == "intake-failed"]
    assert len(failed) == 3 and failed[0]["file"] == "good.xlsx"  # first try and two retries
    assert failed[0]["detail"].startswith(("FileExistsError", "NotADirectoryError"))
    blocker.unlink()  # the operator fixes the server
    summary = drain_in_thread(workspace)
    assert (summary.archived, summary.kept) == (1, 0)
    assert processing_left(workspace) == [] and archived(workspace) == ["CRM-CS-2024-001_V1.0.docx"]


def test_live_watcher_retries_a_kept_file_with_backoff(workspace: Workspace,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    blocker = workspace.outbox / "客户服务类"
    blocker.write_bytes(b"")
    with live(workspace, retry_seconds=0.2):
        book(workspace.inbox, "good.xlsx", 1)
        # the log, not the ledger: no SQLite call in this thread while the watcher forks
        wait_for(lambda: "good.xlsx 服务器故障，留在处理区，稍后重试：" in caplog.text)
        blocker.unlink()
        wait_for(lambda: archived(workspace) == ["CRM-CS-2024-001_V1.0.docx"])
    assert returned_files(workspace) == [] and processing_left(workspace) == []


# -- 5. left-overs -------------------------------------------------------------------------


def test_temp_files_of_killed_writers_are_cleaned_at_start(workspace: Workspace) -> None:
    folder = workspace.outbox / "客户服务类" / "客服部" / "2024-08-01"
    folder.mkdir(parents=True)
    dead = folder / ".CRM-CS-2024-001_V1.0.docx.of999999999-abcd1234.tmp"  # no such pid
    alive = folder / ".CRM-CS-2024-002_V1.0.docx.of1-abcd1234.tmp"  # pid 1 is alive
    old = workspace.returned / ".x.xlsx.q1w2e3r4.tmp"  # an older temp name, an hour old
    user = workspace.outbox / ".keep.txt"
    for path in (dead, alive, old, user):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    assert sorted(p.name for p in fsutil.clean_orphans(workspace)) == sorted([dead.name, old.name])
    assert alive.exists() and user.exists() and not dead.exists()
    dead.write_bytes(b"x")
    drain_in_thread(workspace)  # the watcher cleans at start
    assert not dead.exists() and alive.exists()


def test_a_file_handled_again_after_a_kill_logs_its_events_once(tmp_path: Path, workspace: Workspace,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(book(tmp_path, "bad.xlsx", 1, 流程编号="bad-id"), workspace.inbox / "bad.xlsx")
    (workspace.inbox / "notes.txt").write_text("x", encoding="utf-8")

    def killed(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt  # the watcher dies after logging, before publishing

    ledger = open_ledger(workspace.ledger_path)
    for name in ("bad.xlsx", "notes.txt"):
        intake = Intake(workspace, ledger)
        claim = intake.claim(workspace.inbox / name)
        assert claim is not None
        monkeypatch.setattr("officeflow.intake.publish", killed)
        with pytest.raises(KeyboardInterrupt):
            intake.handle(claim)
        monkeypatch.undo()
        intake._owner_lock.release()  # what the death of its process does
    ledger.close()
    summary = drain_in_thread(workspace)
    assert summary.returned == 2
    counts = Counter((e["file"], e["event"]) for e in events(workspace) if e["event"] != "exported")
    assert counts == Counter({("bad.xlsx", "received"): 1, ("bad.xlsx", "rejected"): 1,
                              ("notes.txt", "received"): 1, ("notes.txt", "rejected"): 1})
    assert returned_files(workspace) == ["bad.xlsx", "bad.原件.xlsx", "bad.问题清单.txt",
                                         "notes.txt", "notes.问题清单.txt"]
    assert processing_left(workspace) == []


# -- 6. versions in order ------------------------------------------------------------------


def test_versions_of_one_document_in_one_sweep_go_in_version_order(workspace: Workspace) -> None:
    revisions = [*REVISIONS, ["V1.1", date(2024, 8, 20), "补充转派时限", "客户反馈", "王敏", "客服主管"]]
    newer = make_workbook(workspace.inbox, "a-新版.xlsx", revisions=revisions,
                          fields={"流程编号": "CRM-CS-2024-001", "版本号": "V1.1",
                                  "生效日期": date(2024, 9, 1)})
    older = make_workbook(workspace.inbox, "b-初版.xlsx", fields={"流程编号": "CRM-CS-2024-001"})
    os.utime(newer, (time.time() - 60, time.time() - 60))  # V1.1 is older and sorts first
    summary = drain_in_thread(workspace)
    assert (summary.archived, summary.returned) == (2, 0), returned_files(workspace)
    issued = [(e["version"], e["file"]) for e in events(workspace) if e["event"] == "issued"]
    assert [v for v, _ in issued] == ["V1.0", "V1.1"]
    assert archived(workspace) == ["CRM-CS-2024-001_V1.0.docx", "CRM-CS-2024-001_V1.1.docx"]
    assert not older.exists()

