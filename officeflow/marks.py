"""What a copy of a version says about its status: the header mark and the 状态 line.

A pure function of the version's state on a date, so the as-issued document, the reading
copy in the archive and the register always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

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
        return _CURRENT
    if status is Status.PENDING:
        return _pending(effective_date)
    if status is Status.SUPERSEDED:
        return _superseded(state.expiry_date)
    return _withdrawn(state.expiry_date, withdrawal.reason if withdrawal else "")


# Every version's marking is asked for before each register export, and a handful of dates and
# reasons cover most of them: each built once (frozen, so shared).
_CURRENT = Marking(CONTROLLED_MARK, Status.CURRENT.value)


@lru_cache(maxsize=4096)
def _pending(effective_date: date) -> Marking:
    status = Status.PENDING.value
    return Marking(f"{CONTROLLED_MARK} · {status}", f"{status}（{effective_date:%Y-%m-%d} 起施行）")


@lru_cache(maxsize=4096)
def _superseded(expiry_date: date | None) -> Marking:
    status = Status.SUPERSEDED.value
    expired = f"{expiry_date:%Y-%m-%d}" if expiry_date else ""
    since = f"（{expired} 起）" if expired else ""
    return Marking(f"{status} · 仅供追溯", f"{status}{since}", ("失效日期", expired))


@lru_cache(maxsize=4096)
def _withdrawn(withdrawn_on: date | None, why: str) -> Marking:
    status = Status.WITHDRAWN.value
    reason = f"，原因：{why}" if why else ""
    when = f"{withdrawn_on:%Y-%m-%d}" if withdrawn_on else ""
    why = f"（原因：{why}）" if why else ""
    return Marking(f"{status} · 仅供追溯", f"{status}（{when} 废止{reason}）", ("废止日期", when + why))
