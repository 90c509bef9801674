"""Version and revision-log rules: the version a workbook claims, against the archive and its log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from officeflow.drafts import CONTENT_MISSING, missing_entry, next_row_cell, revision_row
from officeflow.findings import CellRef, Finding, error, warning
from officeflow.identity import differing_cells, same_content
from officeflow.lifecycle import in_force_from
from officeflow.records import RevisionEntry
from officeflow.rulecontext import RuleContext, cells_in_error, resolved_version, table_read
from officeflow.versions import (
    FIRST_VERSION,
    is_legal_successor,
    latest,
    legal_successors,
    parse_version,
    version_key,
)

if TYPE_CHECKING:
    from officeflow.model import ParsedDocument

SAME_CONTENT = "version.same-content"  # the pipeline turns this finding into a DUPLICATE outcome
# On screen a drafted change quotes at most this many characters of each value.


def check_version(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    typed: str = doc.value("version")
    where = doc.source.field("version")
    if typed and parse_version(typed) is None:
        yield error("version.format", f"版本号“{typed}”格式不对，应为 V主版本.次版本，如 V1.0、V1.1、V2.0。", where)
        return
    version = resolved_version(doc, ctx)
    if version is None or not typed:
        return
    archived = [v.version for v in ctx.history.versions]
    newest = latest(archived)
    if newest is None:
        if version != FIRST_VERSION:
            yield _first_upload(doc, version, where)
        return
    if version in archived:
        finding = _archived_again(doc, ctx, version, newest, where)
        yield finding
        if finding.code == SAME_CONTENT:
            return  # the archived version itself: nothing else about its version to say
    elif version_key(version) < version_key(newest):
        yield error("version.go-back",
                    f"版本号不能回退：已归档的最新版本是 {newest}，请改为 {' 或 '.join(legal_successors(newest))}。",
                    where)
    elif not is_legal_successor(newest, version):
        yield error("version.skip",
                    f"版本号跳号：已归档的最新版本是 {newest}，下一版本应为 {' 或 '.join(legal_successors(newest))}。",
                    where)
    effective: date | None = doc.value("effective_date")
    # A version withdrawn before its effective date never came into force: it constrains nothing.
    in_force = [v for v in ctx.history.versions if in_force_from(v, ctx.history.withdrawn) is not None]
    last = max(in_force, key=lambda v: version_key(v.version), default=None)
    if effective and last and effective < last.effective_date:
        yield error("version.effective-before-previous",
                    f"生效日期早于已归档版本 {last.version} 的生效日期 {last.effective_date:%Y-%m-%d}，请核对。",
                    doc.source.field("effective_date"))


def _first_upload(doc: ParsedDocument, version: str, where: CellRef) -> Finding:
    """A new document above V1.0: a migration when its log lists the versions before it."""
    earlier = sorted({r.version for r in doc.rows("revision_log")
                      if parse_version(r.version) and version_key(r.version) < version_key(version)},
                     key=version_key)
    if earlier and is_legal_successor(earlier[-1], version):
        return warning("version.earlier-not-archived",
                       f"{'、'.join(earlier)} 未在本系统归档，仅记录在修订记录中。", where)
    return error("version.first",
                 f"新流程的首个版本应为 {FIRST_VERSION}；如为已有版本的迁移，请在修订记录中列出此前的版本。",
                 where)


def _archived_again(doc: ParsedDocument, ctx: RuleContext, version: str, newest: str,
                    where: CellRef) -> Finding:
    """A typed version already archived: the same content re-saved, or a change under an old number."""
    successors = " 或 ".join(legal_successors(newest))
    archived = ctx.same_version
    if archived is not None and same_content(archived, doc):
        return error(SAME_CONTENT,
                     f"内容与已归档的 {version} 相同（仅文件字节不同，如另存/重新保存），不会重复发布。", where)
    cells = differing_cells(archived, doc) if archived is not None else []
    first = f"（首处不同：{'、'.join(cells)}）" if cells else ""
    return error("version.exists", f"{version} 已归档且内容不同{first}：请把版本号改为 {successors}。", where)


_ENTRY_COLUMNS = (("date", "修订日期"), ("content", "修订内容"), ("reason", "修订原因"),
                  ("author", "修订人"), ("reviewer", "审核人"))


def check_revision_log(doc: ParsedDocument, ctx: RuleContext) -> Iterator[Finding]:
    if not table_read(doc, "revision_log"):
        return  # no sheet or no header row: said once by the reader, the entries are unknown
    version = resolved_version(doc, ctx)
    rows = doc.rows("revision_log")
    effective: date | None = doc.value("effective_date")
    unreadable = cells_in_error(doc)
    previous: str | None = None
    own_index: int | None = None
    last_unknown = False  # the last entry's version is unknown: it may be this version's entry
    for index, row in enumerate(rows):
        cell = lambda column, i=index: doc.source.cell("revision_log", i, column)  # noqa: E731
        entry_version = row.version
        if not entry_version and index == len(rows) - 1 and not doc.value("version"):
            entry_version = version or ""  # the entry of the version being assigned
        if not entry_version or parse_version(entry_version) is None:
            if cell("version") not in unreadable:  # a date or formula there is said already
                yield _unknown_version(entry_version, cell("version"))
            last_unknown = index == len(rows) - 1
            continue
        if previous and version_key(entry_version) <= version_key(previous):
            yield error("revision.order",
                        f"修订记录的版本号应严格递增：{entry_version} 排在 {previous} 之后，请调整顺序。",
                        cell("version"))
        previous = entry_version
        archived = ctx.history.revision_entries.get(entry_version)
        if archived is not None and entry_version != version:
            yield from _compare_with_archive(row, archived, cell)
        record = ctx.history.version(entry_version)
        limit = effective if entry_version == version else (record.effective_date if record else None)
        if row.date and limit and row.date > limit:
            yield error("revision.date-after-effective",
                        f"修订日期 {row.date:%Y-%m-%d} 晚于 {entry_version} 的生效日期 {limit:%Y-%m-%d}，请核对。",
                        cell("date"))
        if entry_version == version:
            own_index = index
    if version is not None and not (own_index is None and last_unknown):
        yield from _own_entry(doc, version, own_index)


def _unknown_version(typed: str | None, where: CellRef | None) -> Finding:
    if not typed:
        return error("revision.version-missing", "修订记录的版本号为空，请填写，如 V1.1。", where)
    return error("revision.version-format", f"修订记录的版本号“{typed}”格式不对，应为 V主版本.次版本。", where)


def _own_entry(doc: ParsedDocument, version: str, own_index: int | None) -> Iterator[Finding]:
    """The revision entry of the version being issued: present, with its content and reason."""
    # The drafted 修订内容 is added after validation (pipeline.draft_revision_entries).
    if own_index is None:
        yield missing_entry(
            f"修订记录中没有本版本（{version}）的记录：请新增一行，写明修订内容和修订原因。",
            next_row_cell(doc, "revision_log", "content") or doc.source.table("revision_log"),
            "", revision_row(doc, version, drafted_content=False))
        return
    own = doc.rows("revision_log")[own_index]
    if not own.content:
        yield error(CONTENT_MISSING, f"请填写 {version} 的修订内容。",
                    doc.source.cell("revision_log", own_index, "content"))
    if not own.reason:
        yield error("revision.reason-missing",
                    f"请填写 {version} 的修订原因（如“根据2024年财税新规调整票据要求”），保证修订可追溯。",
                    doc.source.cell("revision_log", own_index, "reason"))

def _compare_with_archive(row: Any, archived: RevisionEntry, cell: Any) -> Iterator[Finding]:
    for column, label in _ENTRY_COLUMNS:
        typed, kept = getattr(row, column), getattr(archived, column)
        if (typed or None) != (kept or None):
            shown = f"{kept:%Y-%m-%d}" if isinstance(kept, date) else (kept or "（空）")
            yield error("revision.history-rewritten",
                        f"{archived.version} 的修订记录已归档，不可改写：{label}应为“{shown}”。",
                        cell(column))
