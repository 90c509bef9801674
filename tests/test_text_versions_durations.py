"""Small pure helpers: label normalisation, versions, durations, lifecycle dates."""

from __future__ import annotations

from datetime import date

import pytest

from officeflow.durations import parse_duration
from officeflow.lifecycle import add_months
from officeflow.text import clean_text, normalise_label, split_list
from officeflow.versions import is_legal_successor, next_version, parse_version


@pytest.mark.parametrize("written, simplified", [
    ("流程編號", "流程编号"), ("* 版本號：", "版本号"), ("適用範圍", "适用范围"),
    ("修訂記錄", "修订记录"), ("審核級別", "审核级别"), ("關鍵控制點", "关键控制点"),
    ("流程负责人（必填）", "流程负责人"), ("　生效日期　:", "生效日期"),
])
def test_labels_normalise_traditional_marks_and_spaces(written: str, simplified: str) -> None:
    assert normalise_label(written) == normalise_label(simplified) == simplified


def test_english_alias_normalises_case_insensitively() -> None:
    assert normalise_label("Process ID") == normalise_label("process  id") == "processid"


def test_clean_text_turns_soft_breaks_into_newlines_and_drops_controls() -> None:
    assert clean_text(" a\x0bb\r\nc\x00d ") == "a\nb\ncd"


def test_split_list_on_chinese_and_ascii_separators() -> None:
    assert split_list("客服部、技术部，法务部;财务部\n行政部") == ["客服部", "技术部", "法务部", "财务部", "行政部"]


def test_versions() -> None:
    assert parse_version("V2.10") == (2, 10)
    assert parse_version("2.0") is None
    assert is_legal_successor("V1.0", "V1.1") and is_legal_successor("V1.9", "V2.0")
    assert not is_legal_successor("V1.0", "V1.2") and not is_legal_successor("V1.1", "V1.0")
    assert next_version([]) == "V1.0"
    assert next_version(["V1.0", "V1.1"]) == "V1.2"


@pytest.mark.parametrize("text, minutes", [
    ("≤30分钟", 30), ("≤2小时", 120), ("≤0.5个工作日", 240), ("≤1个工作日", 480),
    ("出差后3个工作日内", 1440), ("即时", 0), ("半个工作日", 240),
    ("一般投诉≤3个工作日，重大投诉≤5个工作日", 2400),
])
def test_durations_parse_to_minutes(text: str, minutes: float) -> None:
    parsed = parse_duration(text)
    assert parsed is not None and parsed.minutes == minutes


def test_unparseable_duration_is_none() -> None:
    assert parse_duration("看情况") is None


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2024, 8, 1), 6) == date(2025, 2, 1)
    assert add_months(date(2023, 12, 31), 2) == date(2024, 2, 29)
    assert add_months(date(2024, 7, 31), 5) == date(2024, 12, 31)


@pytest.mark.parametrize("text, minutes", [
    ("十五分钟", 15), ("≤二十分钟", 20), ("两个半小时", 150), ("半小时", 30), ("一个半小时", 90),
    ("三十分钟内", 30), ("一百二十分钟", 120), ("十分钟", 10), ("两小时", 120), ("≤二十五分钟", 25),
    ("≤30分鐘", 30), ("2小時", 120), ("≤１５分钟", 15), ("1 working day", 480), ("2 working days", 960),
    ("30 mins", 30), ("当天", 480), ("当日完成", 480), ("T+1", 480), ("T+2日", 960),
    ("三个工作日", 1440), ("半天", 720), ("0.5天", 720),
])
def test_durations_as_authors_type_them(text: str, minutes: float) -> None:
    parsed = parse_duration(text)
    assert parsed is not None and parsed.minutes == minutes, (text, parsed)


@pytest.mark.parametrize("text", ["一般投诉", "看情况", "按客户要求", "第一时间"])
def test_words_with_numeral_characters_are_not_durations(text: str) -> None:
    assert parse_duration(text) is None
