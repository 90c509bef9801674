"""Durations such as `≤30分钟`, `≤0.5个工作日`, `出差后3个工作日内`, `即时` → minutes."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CHINESE_NUMBERS = {"半": "0.5", "一": "1", "两": "2", "二": "2", "三": "3", "四": "4", "五": "5",
                    "六": "6", "七": "7", "八": "8", "九": "9", "十": "10"}
_AMOUNT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:个)?\s*(工作日|自然日|小时|分钟|秒钟|秒|天|日|周|星期|月|h|min)",
    re.IGNORECASE,
)
_IMMEDIATE = ("即时", "立即", "实时", "立刻", "当场")

_MINUTES_PER_UNIT = {"分钟": 1.0, "min": 1.0, "秒": 1 / 60, "秒钟": 1 / 60, "小时": 60.0, "h": 60.0,
                     "天": 1440.0, "日": 1440.0, "自然日": 1440.0, "周": 10080.0,
                     "星期": 10080.0, "月": 43200.0}


@dataclass(frozen=True)
class Duration:
    """A parsed duration: its upper bound in minutes and the text it came from."""

    minutes: float
    text: str

    def describe(self) -> str:
        return describe_minutes(self.minutes)


def _arabic(text: str) -> str:
    # `半个工作日`, `三个工作日` → digits; only before a unit, so names are left alone.
    def repl(match: re.Match[str]) -> str:
        return _CHINESE_NUMBERS[match[1]] + match[2]

    return re.sub(r"([半一两二三四五六七八九十])(个?(?:工作日|小时|天|周|月|分钟))", repl, text)


def parse_duration(text: str, workday_hours: float = 8.0) -> Duration | None:
    """The upper bound of a duration text, or None if it names no amount.

    Several amounts (`一般投诉≤3个工作日，重大投诉≤5个工作日`) give the largest:
    the step must fit that bound in the worst case.
    """
    cleaned = _arabic(text.replace("：", ":"))
    amounts = []
    for number, unit in _AMOUNT.findall(cleaned):
        per_unit = workday_hours * 60 if unit == "工作日" else _MINUTES_PER_UNIT[unit.lower()]
        amounts.append(float(number) * per_unit)
    if amounts:
        return Duration(max(amounts), text)
    if any(word in text for word in _IMMEDIATE):
        return Duration(0.0, text)
    return None


def describe_minutes(minutes: float) -> str:
    """A readable Chinese amount: 90 → `1.5小时`, 30 → `30分钟`."""
    if minutes >= 60:
        hours = minutes / 60
        return f"{hours:g}小时"
    return f"{minutes:g}分钟"
