"""Statuses follow the calendar: a pure function of the archived versions and a date (SPEC §3)."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from officeflow.records import Status
from officeflow.versions import version_key


class Dated(Protocol):
    @property
    def version(self) -> str: ...

    @property
    def effective_date(self) -> date: ...


@dataclass(frozen=True)
class VersionState:
    status: Status
    expiry_date: date | None  # 失效日期: when a newer version took effect (or withdrawal)


def states_on(versions: Sequence[Dated], on: date,
              withdrawn: dict[str, date] | None = None) -> dict[str, VersionState]:
    """The status of every version of one document on the date `on`.

    The highest version whose effective date has come is 现行有效; lower effective ones
    are 已失效 from the day a higher one took effect; higher ones still to come are
    待生效; withdrawn ones are 已废止 from their withdrawal date. So there is never more
    than one current version, whatever order versions arrived in.
    """
    withdrawn = withdrawn or {}
    gone = {v: d for v, d in withdrawn.items() if d <= on}
    live = [v for v in versions if v.version not in gone]
    effective = sorted((v for v in live if v.effective_date <= on), key=lambda v: version_key(v.version))
    current = effective[-1] if effective else None
    states: dict[str, VersionState] = {}
    for v in versions:
        if v.version in gone:
            states[v.version] = VersionState(Status.WITHDRAWN, gone[v.version])
        elif current is not None and v.version == current.version:
            states[v.version] = VersionState(Status.CURRENT, None)
        elif v.effective_date > on and (current is None or version_key(v.version) > version_key(current.version)):
            states[v.version] = VersionState(Status.PENDING, None)
        else:
            later = [w.effective_date for w in effective if version_key(w.version) > version_key(v.version)]
            states[v.version] = VersionState(Status.SUPERSEDED, min(later) if later else None)
    return states


def add_months(day: date, months: int) -> date:
    """`2024-08-31` + 6 months → `2025-02-28` (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_date(effective_date: date, interval_months: int) -> date:
    return add_months(effective_date, interval_months)
