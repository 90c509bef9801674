"""Issue 16, items 4, 5, 6 and 8 (verify): the register is never silently stale, a damaged ledger is
rebuilt without losing evidence, and every kind of tampering is found by `verify`.

Everything here is real: workbooks built by tests/factory.py, the real CLI, a real SIGKILL, real
bytes written over a page of the SQLite file, real edits with sqlite3 as an attacker would make.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from factory import make_workbook, register_values

from officeflow import integrity
from officeflow.cli import main
from officeflow.fsutil import sha256_bytes
from officeflow.ledger import Event, TrainingCopy, open_ledger
from officeflow.manifest import Manifest
from officeflow.settings import open_workspace

DOC, OTHER = "CRM-CS-2024-005", "HR-TR-2024-012"
FOLDER = "客户服务类/客服部/2024-08-01"
FAILED = "校验失败 verification failed"
VERIFIED = "校验通过 verified"


def invoke(ws: Path, *args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["-w", str(ws), *args])
    return result.exit_code, result.output.splitlines()


def books(tmp_path: Path) -> list[Path]:
    return [make_workbook(tmp_path, "a.xlsx"),
            make_workbook(tmp_path, "b.xlsx", fields={"流程编号": OTHER, "流程名称": "员工培训流程"})]


def issue_two(tmp_path: Path, ws: Path) -> list[Path]:
    files = books(tmp_path)
    code, lines = invoke(ws, "process", *map(str, files))
    assert code == 0, lines
    return files


def ledger_file(ws: Path) -> Path:
    return open_workspace(ws).ledger_path


def register_file(ws: Path) -> Path:
    return open_workspace(ws).register_path


def sql(ws: Path, *statements: str) -> list[tuple[object, ...]]:
    """What an attacker with the sqlite3 shell does; returns the last statement's rows."""
    db = sqlite3.connect(ledger_file(ws), isolation_level=None)
    try:
        rows: list[tuple[object, ...]] = []
        for statement in statements:
            rows = db.execute(statement).fetchall()
        return rows
    finally:
        db.close()


def stale(ws: Path) -> bool:
    ledger = open_ledger(ledger_file(ws))
    try:
        return ledger.register_stale()
    finally:
        ledger.close()


def sheet_rows(path: Path, name: str) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(book[name].values)
    finally:
        book.close()


def forged_docx(original: Path) -> bytes:
    """The archived document with one sentence changed, as a forger would do it in Word."""
    document = docx.Document(str(original))
    paragraph = next(p for p in document.paragraphs if p.text.strip())
    paragraph.add_run("（已按领导口头要求调整）")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- item 4: the register after a kill

HANG_IN_EXPORT = """\
import pathlib, sys, time
import officeflow.register

def hang(path, sheets, today):  # the register writer, stuck (a full share, a slow disk): then killed
    pathlib.Path(sys.argv[1]).write_text("exporting", encoding="utf-8")
    time.sleep(600)

officeflow.register.write_workbook = hang
from officeflow.cli import main
main(sys.argv[2:])
"""


def kill_during_export(tmp_path: Path, ws: Path, files: list[Path]) -> None:
    driver, flag = tmp_path / "driver.py", tmp_path / "exporting.flag"
    driver.write_text(HANG_IN_EXPORT, encoding="utf-8")
    process = subprocess.Popen([sys.executable, str(driver), str(flag), "-w", str(ws), "process",
                                *map(str, files)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "process never reached the register export"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        if process.stderr:
            process.stderr.close()


def test_process_killed_during_register_export_rewrites_it_on_the_next_run(tmp_path: Path, ws: Path) -> None:
    """On bf362b9 the rerun said 重复 for both files, exited 0 and never wrote the register."""
    files = books(tmp_path)
    kill_during_export(tmp_path, ws, files)
    assert not register_file(ws).exists()
    assert stale(ws) is True
    code, lines = invoke(ws, "process", *map(str, files))
    assert code == 0, lines
    assert lines == [
        f"重复 duplicate  a.xlsx: 与已归档的 {DOC} V1.0 内容完全相同，未重复处理。",
        f"重复 duplicate  b.xlsx: 与已归档的 {OTHER} V1.0 内容完全相同，未重复处理。",
        f"共 2 个文件：发布 0，退回 0，重复 2。台账 Register: {register_file(ws)}",
    ]
    assert [row[:5] for row in register_values(register_file(ws))[1:]] == [
        (DOC, "客户投诉处理流程", "标准化服务流程", "V1.0", "现行有效"),
        (OTHER, "员工培训流程", "标准化服务流程", "V1.0", "现行有效"),
    ]
    assert stale(ws) is False


def test_kill_during_export_leaves_a_temp_file_that_verify_reports(tmp_path: Path, ws: Path) -> None:
    """Item 8: on bf362b9 `verify` skipped every dot-file, so the kill's orphan passed as 校验通过."""
    kill_during_export(tmp_path, ws, books(tmp_path))
    [orphan] = (ws / "outbox").glob(".*.tmp")
    code, lines = invoke(ws, "verify")
    assert (code, lines) == (1, [f"多余文件 stray: outbox/{orphan.name}", FAILED])


def test_failed_export_is_known_stale_until_register_export(tmp_path: Path, ws: Path) -> None:
    """A register path that cannot be written (here a folder took its name) fails the export.

    On bf362b9 nothing recorded that the export had failed (there was no marker: the test fails
    at `stale`), so only someone who saw the error knew the register was behind.
    """
    register_file(ws).mkdir(parents=True)
    code, lines = invoke(ws, "process", *map(str, books(tmp_path)))
    assert code == 3, lines
    assert stale(ws) is True
    register_file(ws).rmdir()
    code, lines = invoke(ws, "register", "export")
    assert (code, lines) == (0, [f"台账已导出 Register exported: {register_file(ws)} (2 行 rows)"])
    assert stale(ws) is False
    assert len(register_values(register_file(ws))) == 3


# ---------------------------------------------------------------- item 5: a damaged ledger


def corrupt_an_index_page(ws: Path, how: str) -> bytes:
    """Damage the index page holding the versions' source hashes; returns the damaged file.

    "garbage": the whole page overwritten (SQLite cannot even finish its check);
    "key": one character of one indexed hash changed (the table and the index disagree,
    everything still reads: the case `verify` passed on bf362b9).
    """
    [(page_size,)] = sql(ws, "PRAGMA page_size")
    [(digest,), _] = sql(ws, "SELECT source_sha256 FROM versions ORDER BY doc_id")
    path = ledger_file(ws)
    assert not Path(f"{path}-wal").exists()  # everything is in the main file
    data = path.read_bytes()
    for (root,) in sql(ws, "SELECT rootpage FROM sqlite_master WHERE type = 'index'"):
        start = (int(root) - 1) * int(page_size)
        at = data.find(str(digest).encode(), start, start + int(page_size))
        if at >= 0:
            break
    else:
        raise AssertionError("no index page holds the source hashes")
    with path.open("r+b") as fh:
        if how == "garbage":
            fh.seek(start)
            fh.write(b"\xde\xad\xbe\xef" * (int(page_size) // 4))
        else:
            fh.seek(at)
            fh.write(b"0" if data[at:at + 1] != b"0" else b"1")
    return path.read_bytes()


def sqlite_says(path: Path) -> list[str]:
    """PRAGMA integrity_check of a copy (so the file under test is not touched)."""
    copy = path.with_name("check-copy.sqlite3")
    copy.write_bytes(path.read_bytes())
    db = sqlite3.connect(copy)
    try:
        return [str(row[0]) for row in db.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:  # a page so damaged that the check itself stops
        return [str(exc)]
    finally:
        db.close()
        copy.unlink()


@pytest.mark.parametrize("how", ["key", "garbage"])
def test_damaged_ledger_fails_verify_and_rebuild_keeps_it_aside(tmp_path: Path, ws: Path, how: str) -> None:
    """On bf362b9 `verify` said 校验通过 and `register rebuild` exited 3 (malformed)."""
    issue_two(tmp_path, ws)
    register_before = register_values(register_file(ws))
    events_before = [dict(zip(("id", "event", "hash"), row, strict=True))
                     for row in sql(ws, "SELECT id, event, hash FROM events ORDER BY id")]
    damaged = corrupt_an_index_page(ws, how)
    problems = sqlite_says(ledger_file(ws))  # one or two lines: the changed key may also be out of order
    assert problems != ["ok"] and len(problems) <= 5

    assert invoke(ws, "verify") == (1, [
        *(f"台账数据库损坏：{problem}" for problem in problems),
        "请运行 officeflow register rebuild 从归档重建台账（损坏的台账文件会原样保留）",
        FAILED,
    ])

    code, lines = invoke(ws, "register", "rebuild")
    [aside] = ledger_file(ws).parent.glob("ledger.sqlite3.damaged-*[0-9]")
    assert (code, lines) == (0, [
        f"注意：台账数据库已损坏，原文件保留为 {aside.name}；找回审计记录 {len(events_before)} 条",
        "已从归档重建 Rebuilt from the archive: 2 个版本 versions，0 份培训副本记录 training copies",
    ])
    assert aside.read_bytes() == damaged
    assert register_values(register_file(ws)) == register_before
    carried = sql(ws, "SELECT id, event, hash FROM events ORDER BY id")[:len(events_before)]
    assert [dict(zip(("id", "event", "hash"), row, strict=True)) for row in carried] == events_before
    assert sqlite_says(ledger_file(ws)) == ["ok"]
    assert invoke(ws, "verify") == (0, [VERIFIED])


# ---------------------------------------------------------------- item 6: tampering


def test_deleting_the_last_events_is_found_by_the_head_anchor(tmp_path: Path, ws: Path) -> None:
    """On bf362b9 the remaining chain was intact, so `verify` said 校验通过."""
    issue_two(tmp_path, ws)
    [(last,)] = sql(ws, "SELECT MAX(id) FROM events")
    sql(ws, "DROP TRIGGER events_append_only_delete",
        f"DELETE FROM events WHERE id > {int(last) - 2}")
    assert invoke(ws, "verify") == (1, [
        f"{OTHER} V1.0：审计记录中没有发布事件",  # its `issued` event was one of the two
        f"审计记录被截断：锚定的最后一条记录 #{last} 已不存在",
        FAILED,
    ])


def test_truncation_stays_visible_after_later_appends(tmp_path: Path, ws: Path) -> None:
    """The watcher appends events all day: the next one must not re-anchor a truncated chain."""
    issue_two(tmp_path, ws)
    [(last,)] = sql(ws, "SELECT MAX(id) FROM events")
    sql(ws, "DROP TRIGGER events_append_only_delete", f"DELETE FROM events WHERE id > {int(last) - 2}",
        f"UPDATE sqlite_sequence SET seq = {int(last) - 2} WHERE name = 'events'")
    invoke(ws, "process", str(books(tmp_path)[0]))  # a duplicate: two more events
    assert invoke(ws, "verify") == (1, [
        f"审计记录曾被截断：记录 #{int(last) - 1} 写入时，锚定的记录 #{last} 已不在审计记录中",
        f"{OTHER} V1.0：审计记录中没有发布事件",
        FAILED,
    ])


def test_forged_reading_copy_with_its_hash_updated_in_the_ledger(tmp_path: Path, ws: Path) -> None:
    """On bf362b9 the file matched the edited row, and the chain was intact: 校验通过."""
    issue_two(tmp_path, ws)
    copy = ws / "outbox" / FOLDER / f"{DOC}_V1.0.docx"
    forged = forged_docx(copy)
    copy.write_bytes(forged)
    sql(ws, f"UPDATE versions SET document_sha256 = '{sha256_bytes(forged)}' WHERE doc_id = '{DOC}'")
    assert invoke(ws, "verify") == (1, [f"{DOC} V1.0：台账中的阅读副本哈希与审计记录不符（台账被改动）", FAILED])


def test_forged_as_issued_record_with_its_hash_updated_in_the_ledger(tmp_path: Path, ws: Path) -> None:
    """records/ and versions.issued_sha256 did not exist on bf362b9 (the outbox copy was the record,
    and the forgery of the previous test passed there)."""
    issue_two(tmp_path, ws)
    record = ws / "records" / FOLDER / f"{DOC}_V1.0.docx"
    forged = forged_docx(record)
    record.chmod(0o644)
    record.write_bytes(forged)
    sql(ws, f"UPDATE versions SET issued_sha256 = '{sha256_bytes(forged)}' WHERE doc_id = '{DOC}'")
    assert invoke(ws, "verify") == (1, [f"{DOC} V1.0：台账中的发布文件哈希与审计记录不符（台账被改动）", FAILED])


def test_edited_manifest_is_found_and_refused_by_rebuild(tmp_path: Path, ws: Path) -> None:
    """On bf362b9 `verify` passed and `register rebuild` put the forged approver into the ledger."""
    issue_two(tmp_path, ws)
    path = ws / "outbox" / FOLDER / f"{DOC}_V1.0.manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["approver"] = "钱某"
    Manifest(manifest).write(path)
    assert invoke(ws, "verify") == (1, [f"{DOC} V1.0：清单 {path.name} 与发布时的内容不符（清单被改动）", FAILED])

    code, lines = invoke(ws, "register", "rebuild")
    assert (code, lines) == (1, [
        f"未采用 refused: {DOC} V1.0：清单内容与发布时不符（被改动）；保留台账中原有的记录",
        "已从归档重建 Rebuilt from the archive: 2 个版本 versions，0 份培训副本记录 training copies",
    ])
    assert sql(ws, "SELECT doc_id, approver FROM versions ORDER BY doc_id") == [(DOC, "赵总"), (OTHER, "赵总")]
    assert [row[:4] for row in register_values(register_file(ws))[1:]] == [
        (DOC, "客户投诉处理流程", "标准化服务流程", "V1.0"), (OTHER, "员工培训流程", "标准化服务流程", "V1.0")]


# ---------------------------------------------------------------- rebuild and the training copies


def hand_out_copies(ws: Path) -> None:
    """Two printed copies as `officeflow training` records them (PDF rendering left out), one returned."""
    printed = datetime(2024, 8, 10, 9, 0)
    copies = [TrainingCopy(f"{DOC}-V1.0-T{n:04d}", DOC, "V1.0", n, who, printed, f"培训副本/{DOC}-T{n}.pdf")
              for n, who in ((1, "客服部 李四"), (2, ""))]
    ledger = open_ledger(ledger_file(ws))
    try:
        ledger.record_training_copies(copies, [
            Event("training-printed", c.doc_id, c.version, c.pdf_path, "0" * 64,
                  f"{c.serial} → {c.recipient or '未指定'}", at=printed) for c in copies])
    finally:
        ledger.close()
    code, lines = invoke(ws, "recall", DOC, "--returned", f"{DOC}-V1.0-T0001")
    assert code == 0, lines


def test_rebuild_restores_the_training_distribution_log_from_the_trail(tmp_path: Path, ws: Path) -> None:
    """On bf362b9 rebuild emptied training_copies: the 培训副本发放 sheet came back empty."""
    issue_two(tmp_path, ws)
    hand_out_copies(ws)
    before = sheet_rows(register_file(ws), "培训副本发放")
    assert len(before) == 3 and before[1][7] == "已回收"
    code, lines = invoke(ws, "register", "rebuild")
    assert (code, lines) == (0, [
        "已从归档重建 Rebuilt from the archive: 2 个版本 versions，2 份培训副本记录 training copies"])
    assert sheet_rows(register_file(ws), "培训副本发放") == before


def test_rebuild_after_the_ledger_was_deleted_says_what_is_lost(tmp_path: Path, ws: Path) -> None:
    """On bf362b9 rebuild said nothing of the lost audit trail and distribution log."""
    issue_two(tmp_path, ws)
    hand_out_copies(ws)
    [(count,)] = sql(ws, "SELECT COUNT(*) FROM events")
    ledger_file(ws).unlink()
    code, lines = invoke(ws, "register", "rebuild")
    assert (code, lines) == (0, [
        f"注意：审计记录缺失（台账文件已不在，原有审计记录 {count} 条）：清单无法与审计记录核对，"
        "培训副本发放记录无法恢复",
        "已从归档重建 Rebuilt from the archive: 2 个版本 versions，0 份培训副本记录 training copies",
    ])
    assert sheet_rows(register_file(ws), "培训副本发放")[1:] == []
    assert len(register_values(register_file(ws))) == 3
    assert invoke(ws, "verify") == (0, [VERIFIED])


def test_deleting_the_anchor_file_is_found_now_and_after_later_appends(tmp_path: Path, ws: Path) -> None:
    """The anchor file did not exist on bf362b9; on 88c0017 the next append rewrote it silently."""
    issue_two(tmp_path, ws)
    head = ledger_file(ws).with_name("ledger.sqlite3.head")
    head.unlink()
    assert invoke(ws, "verify") == (1, ["审计记录的锚文件缺失（ledger.sqlite3.head）", FAILED])
    invoke(ws, "process", str(books(tmp_path)[0]))  # a duplicate: the first append after the deletion
    [(number,)] = sql(ws, "SELECT id FROM events WHERE event = 'anchor-lost'")
    assert invoke(ws, "verify") == (1, [f"审计记录曾被改写：记录 #{number} 写入时，锚文件被删除", FAILED])


def test_rebuild_of_a_damaged_and_truncated_trail_restores_what_it_cannot_vouch_for(
        tmp_path: Path, ws: Path) -> None:
    """A damaged ledger whose trail also lost its last events: the manifest of a version whose
    `issued` event is gone is taken (sealed by a `restored` event) and named, not dropped.

    On 88c0017 such a manifest was refused and the version vanished from the register."""
    issue_two(tmp_path, ws)
    [(last,)] = sql(ws, "SELECT MAX(id) FROM events")
    sql(ws, "DROP TRIGGER events_append_only_delete", f"DELETE FROM events WHERE id > {int(last) - 2}")
    corrupt_an_index_page(ws, "key")
    code, lines = invoke(ws, "register", "rebuild")
    [aside] = ledger_file(ws).parent.glob("ledger.sqlite3.damaged-*[0-9]")
    assert (code, lines) == (0, [
        f"注意：台账数据库已损坏，原文件保留为 {aside.name}；找回审计记录 {int(last) - 2} 条",
        f"注意：{OTHER} V1.0：找回的审计记录中没有它的发布事件，已按清单恢复",
        "已从归档重建 Rebuilt from the archive: 2 个版本 versions，0 份培训副本记录 training copies",
    ])
    assert sql(ws, f"SELECT event FROM events WHERE doc_id = '{OTHER}' ORDER BY id") == [
        ("validated",), ("restored",)]
    assert invoke(ws, "verify") == (0, [VERIFIED])


def test_an_edited_ledger_row_is_found_against_the_sealed_manifest(tmp_path: Path, ws: Path) -> None:
    """The register shows the ledger: a forged approver there (one UPDATE) passed `verify` on bf362b9."""
    issue_two(tmp_path, ws)
    sql(ws, f"UPDATE versions SET approver = '钱某', effective_date = '2024-07-01' WHERE doc_id = '{DOC}'")
    assert invoke(ws, "verify") == (1, [f"{DOC} V1.0：台账中的生效日期与发布时的清单不符（台账被改动）",
                                        f"{DOC} V1.0：台账中的终审人与发布时的清单不符（台账被改动）", FAILED])


def test_a_deleted_withdrawal_is_found(tmp_path: Path, ws: Path) -> None:
    """Deleting the row brings a withdrawn document back as 现行有效; on bf362b9 `verify` passed."""
    issue_two(tmp_path, ws)
    code, lines = invoke(ws, "withdraw", DOC, "--reason", "业务取消")
    assert code == 0, lines
    sql(ws, "DELETE FROM withdrawals")
    assert invoke(ws, "verify") == (1, [f"{DOC} V1.0：审计记录中已废止，台账中却没有废止记录（台账被改动）", FAILED])


def test_an_edited_distribution_log_is_found(tmp_path: Path, ws: Path) -> None:
    """An outstanding copy deleted and another marked returned; on bf362b9 `verify` passed."""
    issue_two(tmp_path, ws)
    hand_out_copies(ws)
    sql(ws, f"DELETE FROM training_copies WHERE serial = '{DOC}-V1.0-T0001'",
        f"UPDATE training_copies SET closed_as = '已回收', returned_at = '2024-08-11T09:00:00' "
        f"WHERE serial = '{DOC}-V1.0-T0002'")
    assert invoke(ws, "verify") == (1, [
        f"培训副本 {DOC}-V1.0-T0001：审计记录中已发放，台账中却没有记录（台账被改动）",
        f"培训副本 {DOC}-V1.0-T0002：台账中的领取人或回收情况与审计记录不符（台账被改动）",
        FAILED,
    ])


def test_verify_passes_after_withdrawal_copies_and_a_rebuild_from_nothing(tmp_path: Path, ws: Path) -> None:
    """The checks above raise no false alarm on ordinary use, nor after a rebuild without a trail."""
    issue_two(tmp_path, ws)
    hand_out_copies(ws)
    assert invoke(ws, "withdraw", OTHER, "--reason", "业务取消")[0] == 0
    assert invoke(ws, "verify") == (0, [VERIFIED])
    ledger_file(ws).unlink()
    assert invoke(ws, "register", "rebuild")[0] == 0
    assert invoke(ws, "verify") == (0, [VERIFIED])


def test_a_second_damaged_ledger_in_the_same_second_does_not_replace_the_first(
        tmp_path: Path, ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The set-aside name is stamped to the second: a second rebuild then moved over the first file."""

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: object = None) -> Frozen:  # type: ignore[override]
            return cls(2024, 9, 1, 8, 0, 0)

    monkeypatch.setattr(integrity, "datetime", Frozen)
    issue_two(tmp_path, ws)
    first = corrupt_an_index_page(ws, "garbage")
    assert invoke(ws, "register", "rebuild")[0] == 0
    salvaged = len(sql(ws, "SELECT id FROM events"))
    second = corrupt_an_index_page(ws, "garbage")
    code, lines = invoke(ws, "register", "rebuild")
    assert code == 0, lines
    state = ledger_file(ws).parent
    assert (state / "ledger.sqlite3.damaged-20240901-080000").read_bytes() == first
    assert (state / "ledger.sqlite3.damaged-20240901-080000-2").read_bytes() == second
    assert lines[0] == f"注意：台账数据库已损坏，原文件保留为 ledger.sqlite3.damaged-20240901-080000-2；找回审计记录 {salvaged} 条"
