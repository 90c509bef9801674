"""What the audit chain says, and where the ledger's tables or the manifests disagree with it.

Pure functions over `Ledger.events()` rows: `officeflow.integrity` runs them for `verify`
and uses the same replay (`copies_from_events`) for `register rebuild`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from officeflow.ledger_protocol import chain_hash
from officeflow.records import TrainingCopy, VersionRecord, Withdrawal

_CLOSURES = {"training-returned": "已回收", "training-lost": "已遗失", "training-destroyed": "已销毁"}
_WITHDRAWALS = ("withdrawn", "revoked")
# Ledger columns a person reads in the register, as the sealed manifest holds them.
# (Not the as-issued path and hash: versions from before records/ got theirs later, checked by the chain.)
_LABELS = {"kind": "模板类型", "name": "流程名称", "effective_date": "生效日期", "category": "流程类别",
           "department": "主责部门", "owner": "流程负责人", "approver": "终审人", "document_path": "文档链接",
           "source_path": "源文件", "source_sha256": "源文件哈希", "received_at": "接收时间"}


def seal_of(event: dict[str, str]) -> str:
    return event["detail"].partition("manifest:")[2].strip()


def check_chain(events: list[dict[str, str]], head: tuple[int, str] | None) -> tuple[list[int], list[str]]:
    """Broken event ids, and problems with the anchored head."""
    broken: list[int] = []
    previous = ""
    for row in events:
        if row["prev_hash"] != previous or chain_hash(row) != row["hash"]:
            broken.append(int(row["id"]))
        previous = row["hash"]
    problems: list[str] = []
    if head is not None and head[0]:
        anchored = next((e for e in events if int(e["id"]) == head[0]), None)
        if anchored is None:
            problems.append(f"审计记录被截断：锚定的最后一条记录 #{head[0]} 已不存在")
        elif anchored["hash"] != head[1]:
            problems.append(f"审计记录被改写：记录 #{head[0]} 与锚定的哈希不符")
    elif head is None and events:
        problems.append("审计记录的锚文件缺失（ledger.sqlite3.head）")
    return broken, problems


def read_head(path: Path) -> tuple[int, str] | None:
    try:
        number, _, digest = path.read_text(encoding="ascii").strip().partition(" ")
        return int(number), digest
    except (OSError, ValueError):
        return None


def copies_from_events(events: list[dict[str, str]]) -> list[TrainingCopy]:
    """The training distribution log, replayed from the audit trail."""
    copies: dict[str, TrainingCopy] = {}
    for e in events:
        if e["event"] == "training-printed":
            serial, _, recipient = e["detail"].partition(" → ")
            sequence = int(serial.rpartition("-T")[2] or 0) if serial.rpartition("-T")[2].isdigit() else 0
            copies[serial] = TrainingCopy(serial, e["doc_id"], e["version"], sequence,
                                          "" if recipient == "未指定" else recipient,
                                          datetime.fromisoformat(e["at"]), e["file"])
        elif e["event"] in _CLOSURES and e["detail"] in copies:
            c = copies[e["detail"]]
            copies[c.serial] = TrainingCopy(c.serial, c.doc_id, c.version, c.sequence, c.recipient,
                                            c.printed_at, c.pdf_path, datetime.fromisoformat(e["at"]),
                                            _CLOSURES[e["event"]])
    return list(copies.values())



def row_vs_manifest(record: VersionRecord, sealed: VersionRecord) -> list[str]:
    """The ledger row against the record its (chain-checked) manifest gives: an UPDATE shows here."""
    name = f"{record.doc_id} {record.version}"
    differing = [_LABELS[name] for name in VersionRecord._fields
                 if name in _LABELS and getattr(record, name) != getattr(sealed, name)]
    return [f"{name}：台账中的{label}与发布时的清单不符（台账被改动）" for label in dict.fromkeys(differing)]


def withdrawals_vs_chain(events: list[dict[str, str]], withdrawals: list[Withdrawal]) -> list[str]:
    """Every withdrawal in the ledger has its event and the other way round (a deleted row revives a document)."""
    said = {(e["doc_id"], e["version"]): e["detail"] for e in events if e["event"] in _WITHDRAWALS}
    held = {(w.doc_id, w.version): w.reason for w in withdrawals}
    problems = [f"{d} {v}：审计记录中已废止，台账中却没有废止记录（台账被改动）" for d, v in said if (d, v) not in held]
    problems += [f"{d} {v}：台账中的废止记录在审计记录中没有对应事件（台账被改动）" for d, v in held if (d, v) not in said]
    problems += [f"{d} {v}：台账中的废止原因与审计记录不符（台账被改动）"
                 for (d, v), reason in held.items() if (d, v) in said and said[(d, v)] != reason]
    return problems


def copies_vs_chain(events: list[dict[str, str]], copies: list[TrainingCopy]) -> list[str]:
    """The training distribution log against its replay from the chain."""
    said = {c.serial: c for c in copies_from_events(events)}
    held = {c.serial: c for c in copies}
    problems = [f"培训副本 {s}：审计记录中已发放，台账中却没有记录（台账被改动）" for s in said if s not in held]
    problems += [f"培训副本 {s}：台账中的记录在审计记录中没有对应事件（台账被改动）" for s in held if s not in said]
    problems += [f"培训副本 {s}：台账中的领取人或回收情况与审计记录不符（台账被改动）" for s, c in held.items()
                 if s in said and (c.recipient, c.closed_as) != (said[s].recipient, said[s].closed_as)]
    return problems

