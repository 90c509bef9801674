"""What a copy of a version says about its status: the header mark and the 状态 line.

A pure function of the version's state on a date, so the as-issued document, the reading
copy in the archive and the register always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from officeflow.lifecycle import VersionState
from officeflow.records import Status, Withdrawal

CONTROLLED_MARK = "受控文件"


@dataclass(frozen=True)
class Marking:
    control_mark: str  # the header's right-hand mark
    status_text: str  # the 状态 cell of 基本信息
    # An obsolete copy has no next review: its 基本信息 row shows 失效日期/废止日期 instead
    # (None: the stamp's 下次回顾日期 stays).
    date_row: tuple[str, str] | None = None

    @property
    def key(self) -> str:
        """Stored in the ledger: a copy is re-marked when this differs from today's."""
        return f"{self.control_mark}|{self.status_text}"

    def context(self) -> dict[str, str]:
        """What the marking sets in the Word context (officeflow.render.build_context)."""
        context = {"control_mark": self.control_mark, "status": self.status_text}
        if self.date_row:
            context["next_review_label"], context["next_review_date"] = self.date_row
        return context


def marking_for(state: VersionState, effective_date: date, withdrawal: Withdrawal | None = None) -> Marking:
    status = state.status
    if status is Status.CURRENT:
        return Marking(CONTROLLED_MARK, status.value)
    if status is Status.PENDING:
        return Marking(f"{CONTROLLED_MARK} · {status.value}",
                       f"{status.value}（{effective_date:%Y-%m-%d} 起施行）")
    if status is Status.SUPERSEDED:
        since = f"（{state.expiry_date:%Y-%m-%d} 起）" if state.expiry_date else ""
        expired = f"{state.expiry_date:%Y-%m-%d}" if state.expiry_date else ""
        return Marking(f"{status.value} · 仅供追溯", f"{status.value}{since}", ("失效日期", expired))
    reason = f"，原因：{withdrawal.reason}" if withdrawal and withdrawal.reason else ""
    when = f"{state.expiry_date:%Y-%m-%d}" if state.expiry_date else ""
    why = f"（原因：{withdrawal.reason}）" if withdrawal and withdrawal.reason else ""
    return Marking(f"{status.value} · 仅供追溯", f"{status.value}（{when} 废止{reason}）", ("废止日期", when + why))
