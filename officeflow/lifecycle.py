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


def in_force_from(version: Dated, withdrawn: dict[str, date]) -> date | None:
    """The day a version came (or comes) into force; None when it was withdrawn before that day."""
    gone = withdrawn.get(version.version)
    if gone is not None and gone <= version.effective_date:
        return None
    return version.effective_date


def states_on(versions: Sequence[Dated], on: date,
              withdrawn: dict[str, date] | None = None) -> dict[str, VersionState]:
    """The status of every version of one document on the date `on`.

    A version is 已废止 from its withdrawal date. Otherwise it is 已失效 from the day a
    higher version came into force (and stays so, with that date, even if the higher one is
    withdrawn later: withdrawal never rewrites history); the highest version in force is
    现行有效; versions still to come are 待生效. A version withdrawn before its effective
    date never came into force and constrains nothing. So there is never more than one
    current version, whatever order versions arrived in.
    """
    withdrawn = withdrawn or {}
    started = {v.version: d for v in versions if (d := in_force_from(v, withdrawn)) is not None and d <= on}
    states: dict[str, VersionState] = {}
    for v in versions:
        gone = withdrawn.get(v.version)
        if gone is not None and gone <= on:
            states[v.version] = VersionState(Status.WITHDRAWN, gone)
            continue
        later = [d for other, d in started.items() if version_key(other) > version_key(v.version)]
        if later:
            states[v.version] = VersionState(Status.SUPERSEDED, min(later))
        elif v.version in started:
            states[v.version] = VersionState(Status.CURRENT, None)
        else:
            states[v.version] = VersionState(Status.PENDING, None)
    return states


def add_months(day: date, months: int) -> date:
    """`2024-08-31` + 6 months → `2025-02-28` (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_date(effective_date: date, interval_months: int) -> date:
    return add_months(effective_date, interval_months)
