"""Statuses follow the calendar: a pure function of the archived versions and a date (SPEC §3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple, Protocol

from officeflow.records import Status
from officeflow.versions import version_key


class Dated(Protocol):
    @property
    def version(self) -> str: ...

    @property
    def effective_date(self) -> date: ...


class VersionState(NamedTuple):
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
    if len(versions) == 1 and not withdrawn:  # most documents, on every export: nothing to compare
        only = versions[0]
        return {only.version: _CURRENT if only.effective_date <= on else _PENDING}
    withdrawn = withdrawn or {}
    # Each version's sort key and start day computed once (this runs per document, per export).
    keyed = [(version_key(v.version), v, in_force_from(v, withdrawn) if withdrawn else v.effective_date)
             for v in versions]
    started = {v.version: (key, day) for key, v, day in keyed if day is not None and day <= on}
    states: dict[str, VersionState] = {}
    for key, v, _ in keyed:
        gone = withdrawn.get(v.version)
        if gone is not None and gone <= on:
            states[v.version] = VersionState(Status.WITHDRAWN, gone)
            continue
        later = [d for other, d in started.values() if other > key]
        if later:
            states[v.version] = _superseded(min(later))
        elif v.version in started:
            states[v.version] = _CURRENT
        else:
            states[v.version] = _PENDING
    return states


_CURRENT = VersionState(Status.CURRENT, None)  # frozen: one shared instance each
_PENDING = VersionState(Status.PENDING, None)


@lru_cache(maxsize=4096)  # the days newer versions took effect: one state each, shared
def _superseded(since: date) -> VersionState:
    return VersionState(Status.SUPERSEDED, since)


def add_months(day: date, months: int) -> date:
    """`2024-08-31` + 6 months → `2025-02-28` (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    next_month_first = date(year + month // 12, month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month_first - timedelta(days=1)).day))


@lru_cache(maxsize=4096)  # effective dates repeat across an archive; asked per version per export
def next_review_date(effective_date: date, interval_months: int) -> date:
    return add_months(effective_date, interval_months)
