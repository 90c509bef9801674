"""Text the commands print: columns aligned on a terminal, audit events named in Chinese."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

# The ledger's event codes (stable: `audit --json`, the chain, the tests) as an operator reads them.
EVENT_LABELS: dict[str, str] = {
    "received": "接收",
    "validated": "校验通过",
    "rejected": "退回",
    "duplicate": "重复",
    "issued": "发布",
    "superseded": "被替代",
    "withdrawn": "废止",
    "revoked": "撤销",
    "exported": "导出台账",
    "training-printed": "打印培训副本",
    "training-returned": "培训副本回收",
    "training-lost": "培训副本遗失",
    "training-destroyed": "培训副本销毁",
    "regenerated": "重新生成",
    "regenerate-failed": "重新生成失败",
    "remarked": "重新标记",
    "remark-failed": "重新标记失败",
    "restored": "从归档恢复",
    "rebuilt": "从归档重建",
    "record-adopted": "采用存档记录",
    "migrated": "台账迁移",
    "anchor-lost": "审计锚点丢失",
    "intake-failed": "处理失败",
    "notice-sent": "发送通知",
    "feedback": "问题反馈",
}
EVENT_WIDTH = max(len(label) for label in EVENT_LABELS.values()) * 2


def display_width(text: str) -> int:
    """Columns `text` takes on a terminal: CJK and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def padded(row: Sequence[str], widths: Sequence[int], gap: str = "  ") -> str:
    """One line of columns: each but the last padded to its width."""
    cells = [pad(cell, width) for cell, width in zip(row, widths, strict=False)]
    return gap.join([*cells, *row[len(cells):]]).rstrip()


def event_label(code: str) -> str:
    """The Chinese name of an audit event, padded to one width; an unknown code as it is."""
    return pad(EVENT_LABELS.get(code, code), EVENT_WIDTH)
