"""Durations such as `≤30分钟`, `≤0.5个工作日`, `两个半小时`, `T+1`, `即时` → minutes."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A Chinese numeral right before a unit (`十五分钟`, `两个半小时`, `半小时`): only there, so
# words such as 一般 or 第一时间 are left alone. cn2an converts the numeral itself.
_NUMERAL = "零〇一二两三四五六七八九十百千"
_UNIT_WORDS = "工作日|自然日|小时|分钟|秒钟|天|日|周|星期|个?月"
_CHINESE_AMOUNT = re.compile(rf"([{_NUMERAL}]*)(个)?(半)?\s*(?=个?(?:{_UNIT_WORDS}))")
_AMOUNT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:个)?\s*"
    r"(working\s*days?|workdays?|工作日|自然日|小时|分钟|秒钟|秒|天|日|周|星期|月"
    r"|hours?|hrs?|h|minutes?|mins?|min|days?)(?![a-z])",
    re.IGNORECASE,
)
# `T+1`, `T+2日`: N working days after the day of the event.
_T_PLUS = re.compile(r"\bT\s*\+\s*(\d+)\s*(?:个)?\s*(?:工作日|日|天)?", re.IGNORECASE)
_SAME_DAY = ("当天", "当日", "同日", "同一天")
_IMMEDIATE = ("即时", "立即", "实时", "立刻", "当场")

_MINUTES_PER_UNIT = {"分钟": 1.0, "min": 1.0, "mins": 1.0, "minute": 1.0, "minutes": 1.0,
                     "秒": 1 / 60, "秒钟": 1 / 60, "小时": 60.0, "h": 60.0, "hr": 60.0, "hrs": 60.0,
                     "hour": 60.0, "hours": 60.0, "天": 1440.0, "日": 1440.0, "自然日": 1440.0,
                     "day": 1440.0, "days": 1440.0, "周": 10080.0, "星期": 10080.0, "月": 43200.0}


@dataclass(frozen=True)
class Duration:
    """A parsed duration: its upper bound in minutes and the text it came from."""

    minutes: float
    text: str

    def describe(self) -> str:
        return describe_minutes(self.minutes)


def _chinese_number(numeral: str) -> float:
    if numeral == "两":
        return 2.0
    import cn2an  # on first use: it takes half a second to import and most durations are digits

    return float(cn2an.cn2an(numeral.replace("两", "二"), "smart"))


def _arabic(text: str) -> str:
    """`两个半小时` → `2.5小时`, `十五分钟` → `15分钟`, `半小时` → `0.5小时`."""

    def repl(match: re.Match[str]) -> str:
        numeral, half = match[1], match[3]
        if not numeral and not half:
            return match[0]
        try:
            number = _chinese_number(numeral) if numeral else 0.0
        except ValueError:  # cn2an refuses a malformed numeral: leave the text as typed
            return match[0]
        return f"{number + (0.5 if half else 0):g}"

    return _CHINESE_AMOUNT.sub(repl, text)


def _normalise(text: str) -> str:
    # Full-width digits, Traditional units (分鐘, 小時) and the full-width colon.
    text = unicodedata.normalize("NFKC", text)
    return text.replace("鐘", "钟").replace("時", "时").replace("個", "个").replace("週", "周")


def parse_duration(text: str, workday_hours: float = 8.0) -> Duration | None:
    """The upper bound of a duration text, or None if it names no amount.

    Several amounts (`一般投诉≤3个工作日，重大投诉≤5个工作日`) give the largest:
    the step must fit that bound in the worst case.
    """
    cleaned = _arabic(_normalise(text))
    workday = workday_hours * 60
    amounts = [int(days) * workday for days in _T_PLUS.findall(cleaned)]
    cleaned = _T_PLUS.sub("", cleaned)  # `T+2日` is two working days, not also two calendar days
    for number, unit in _AMOUNT.findall(cleaned):
        unit = unit.lower()
        is_workday = unit == "工作日" or unit.startswith(("working", "workday"))
        per_unit = workday if is_workday else _MINUTES_PER_UNIT[re.sub(r"\s", "", unit)]
        amounts.append(float(number) * per_unit)
    if amounts:
        return Duration(max(amounts), text)
    if any(word in cleaned for word in _SAME_DAY):
        return Duration(workday, text)
    if any(word in cleaned for word in _IMMEDIATE):
        return Duration(0.0, text)
    return None


def describe_minutes(minutes: float) -> str:
    """A readable Chinese amount: 90 → `1.5小时`, 30 → `30分钟`."""
    if minutes >= 60:
        hours = minutes / 60
        return f"{hours:g}小时"
    return f"{minutes:g}分钟"
