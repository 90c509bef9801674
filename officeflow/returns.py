"""The returned folder: a report, the file as it came and an annotated copy, never overwritten.

Returned-file names: `<name>` and `<stem>.问题清单.txt`; if an earlier return holds
either name, the new files get the intake id: `<stem> (<intake id>)<ext>`. Names longer
than the filesystem allows (255 bytes) are cut on a character boundary with a short hash
(`fsutil.fit_name`), keeping the extension. The report is created with a no-overwrite
link, so concurrent returns never replace each other, and it carries the intake id, so a
restart recognises its own half-published return.

A saved outcome (`.outcome.json` in the intake folder) is written right after the audit
events of a file were logged: a restart publishes from it instead of handling the file
again, so a file's events are logged once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from officeflow.annotate import ORIGINAL_MARK, REPORT_SUFFIX, RESUBMIT, format_report
from officeflow.findings import CellRef, Finding, Severity, error
from officeflow.fsutil import (
    atomic_copy,
    atomic_write_bytes,
    fit_name,
    fsync_dir,
    make_temp_beside,
)
from officeflow.sandbox import Budget, ChildStatus

_ADVICE = "请检查工作簿是否过大或结构异常（多余的行、列、合并单元格、图片），精简后重新提交。"
# A report's last line when the author has nothing to fix (annotate.RESUBMIT otherwise).
DUPLICATE_CLOSING = "无需修改：此文件已归档，不必重新提交。"
INTERNAL_CLOSING = "这不是工作簿的问题，无需修改：流程管理员排除故障后，可把同一文件重新放入收件箱（inbox）。"

OUTCOME_FILE = ".outcome.json"
ANNOTATED_FILE = ".annotated.xlsx"
MAX_SUFFIX_BYTES = 16  # a longer "extension" is part of the name


class IntakeResult(StrEnum):
    ARCHIVED = "archived"
    RETURNED = "returned"
    DUPLICATE = "duplicate"
    KEPT = "kept"  # a server fault: left claimed, retried later
    STOPPED = "stopped"  # the watcher is stopping: left claimed, finished by the next start
    ERROR = "error"  # could not even be returned; left in the processing area


@dataclass
class Saved:
    """What was decided for a file, enough to publish it again without handling it again."""

    result: str  # an IntakeResult value
    reason: str = ""
    doc_id: str = ""
    version: str = ""
    findings: tuple[Finding, ...] = ()
    annotated: bytes | None = None


def save_outcome(folder: Path, saved: Saved) -> None:
    if saved.annotated is not None:
        atomic_write_bytes(folder / ANNOTATED_FILE, saved.annotated)
    body = {"result": saved.result, "reason": saved.reason, "doc_id": saved.doc_id,
            "version": saved.version, "annotated": saved.annotated is not None,
            "findings": [[f.severity.value, f.code, f.message, f.sheet if f.where else None, f.cell,
                          f.suggestion] for f in saved.findings]}
    atomic_write_bytes(folder / OUTCOME_FILE, json.dumps(body, ensure_ascii=False).encode("utf-8"))


def load_outcome(folder: Path) -> Saved | None:
    try:
        body = json.loads((folder / OUTCOME_FILE).read_text(encoding="utf-8"))
        findings = tuple(Finding(Severity(s), code, message, CellRef(sheet, cell) if sheet is not None else None,
                                 suggestion) for s, code, message, sheet, cell, suggestion in body["findings"])
        annotated = (folder / ANNOTATED_FILE).read_bytes() if body["annotated"] else None
        return Saved(body["result"], body["reason"], body["doc_id"], body["version"], findings, annotated)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # none, or half-written by a killed watcher: handle the file again


def split_name(name: str) -> tuple[str, str]:
    stem, suffix = os.path.splitext(name)
    if len(os.fsencode(suffix)) > MAX_SUFFIX_BYTES or not stem:
        return name, ""
    return stem, suffix


def publish(folder: Path, name: str, shown: str, token: str, at: datetime, reason: str,
            findings: list[Finding], annotated: bytes | None,
            source: bytes | Path | None, closing: str = RESUBMIT) -> list[Path]:
    """Write the returned files; the report first, as the no-overwrite reservation.

    `name` is the file's real name (bytes may not be UTF-8), `shown` the one for people;
    `source` is the file as it came (bytes read safely, or a regular file to copy), None
    when there is nothing to give back (a FIFO, a symlink).
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = split_name(name)
    for mark in ("", f" ({token})"):
        main = folder / fit_name(stem, f"{mark}{suffix}")
        original = folder / fit_name(stem, f"{mark}{ORIGINAL_MARK}{suffix}") if annotated else None
        report = folder / fit_name(stem, f"{mark}{REPORT_SUFFIX}")
        files = ([main] if source is not None else []) + ([original] if original else [])
        text = format_report(shown, reason, findings, intake_id=token, at=at, closing=closing,
                             files=[os.fsencode(p.name).decode("utf-8", "replace") for p in files])
        data = text.encode("utf-8-sig")
        if _is_ours(report, token):
            atomic_write_bytes(report, data)
            break
        if not mark and any(p.exists() for p in [*files, report]):
            continue  # an earlier return of a file with this name: keep it
        if _create_exclusive(report, data):
            break
    else:  # pragma: no cover - the intake id is unique, so the second name is free
        atomic_write_bytes(report, data)
    if source is not None:
        if annotated is not None and original is not None:
            _write_source(source, original)
            atomic_write_bytes(main, annotated)
        else:
            _write_source(source, main)
    return [*files, report]


def _write_source(source: bytes | Path, target: Path) -> None:
    if isinstance(source, bytes):
        atomic_write_bytes(target, source)
    else:
        atomic_copy(source, target)  # opens regular files only


def _is_ours(report: Path, token: str) -> bool:
    try:
        with report.open("rb") as fh:
            return f"Intake ID: {token}".encode() in fh.read(4096)
    except OSError:
        return False


def _create_exclusive(path: Path, data: bytes) -> bool:
    """Create `path` with `data` unless it exists: complete content or nothing (hard link)."""
    temp = make_temp_beside(path)
    try:
        with temp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        except OSError:  # shares without hard links: exclusive create, then write
            try:
                out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                return False
            with os.fdopen(out, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        fsync_dir(path.parent)
        return True
    finally:
        temp.unlink(missing_ok=True)


def reason_of(findings: list[Finding]) -> str:
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if len(findings) == 1 and findings[0].where is None:
        return findings[0].message
    return f"{len(errors)} 个错误，{len(findings) - len(errors)} 个警告" if findings else "退回"


def attempts_finding(attempts: int) -> Finding:
    """Why a file whose every attempt was killed (with its watcher) is returned, not retried."""
    return error("file.budget", f"该文件已处理 {attempts} 次均未完成（处理中断），已停止处理并退回：{_ADVICE}")


def budget_finding(status: ChildStatus, budget: Budget) -> Finding:
    """Why a file whose child blew its budget is returned."""
    advice = _ADVICE
    if status is ChildStatus.TIMEOUT:
        return error("file.budget-time", f"处理超出时限（{budget.seconds:g} 秒），已停止并退回：{advice}")
    if status is ChildStatus.MEMORY:
        return error("file.budget-memory", f"处理超出内存上限（{budget.memory_mb} MB），已停止并退回：{advice}")
    return error("file.budget-died", f"处理过程异常终止（可能超出内存上限），已停止并退回：{advice}")
