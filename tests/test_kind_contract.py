"""Registering a kind checks the contract the shared rules, stamp and pipeline rely on;
review levels, vague words and status names have one source each."""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path

import openpyxl
import pytest

from officeflow import register, render, vocabulary
from officeflow.catalog import Field, FieldType, KindSpec, Table
from officeflow.errors import ConfigError
from officeflow.kinds import KINDS, KindContractError, register_kind
from officeflow.kinds.common import BASIC_FIELDS, CLOSING_TABLES, RELATED_DOCUMENTS, REVIEW_RECORDS
from officeflow.records import Status
from officeflow.settings import Settings, load_settings
from officeflow.workbook_template import write_template

ITEMS = Table("items", "清单", "Items", columns=(
    Field("number", "序号", "No.", FieldType.CODE, required=True),
    Field("item", "内容", "Item", required=True),
))


def _kind(**changes: object) -> KindSpec:
    base = KindSpec(key="contract_test", label="契约测试", fields=BASIC_FIELDS,
                    tables=(ITEMS, *CLOSING_TABLES), word_template="contract_test.docx",
                    step_table="items")
    return dataclasses.replace(base, **changes)


def _refusal(kind: KindSpec) -> str:
    with pytest.raises(KindContractError) as raised:
        register_kind(kind)
    assert kind.key not in KINDS
    return str(raised.value)


def test_a_kind_without_a_revision_log_is_refused_when_registered() -> None:
    """Before: registered, then validation crashed with AttributeError on `revision_log`."""
    kind = _kind(tables=(ITEMS, RELATED_DOCUMENTS, REVIEW_RECORDS))
    assert _refusal(kind) == (
        "kind 'contract_test' (契约测试) does not meet the kind contract: "
        "table 'revision_log' (修订记录) is missing")


def test_every_missing_field_and_column_is_named() -> None:
    fields = tuple(f for f in BASIC_FIELDS if f.key not in ("owner", "effective_date"))
    fields += (Field("effective_date", "生效日期", "Effective date"),)  # text, not a date
    reviews = dataclasses.replace(
        REVIEW_RECORDS, columns=tuple(c for c in REVIEW_RECORDS.columns if c.key != "conclusion"))
    kind = _kind(fields=fields, tables=(ITEMS, CLOSING_TABLES[0], CLOSING_TABLES[1], reviews))
    assert _refusal(kind) == (
        "kind 'contract_test' (契约测试) does not meet the kind contract: "
        "field 'effective_date' (生效日期) must be of type date, not text; "
        "field 'owner' (流程负责人) is missing; "
        "table 'reviews' (审核记录) has no column 'conclusion' (审核结论)")


def test_the_step_table_and_its_columns_must_exist() -> None:
    kind = _kind(step_table="steps", role_columns=("role",))
    assert _refusal(kind) == (
        "kind 'contract_test' (契约测试) does not meet the kind contract: "
        "step_table 'steps' is not a table of the kind")
    kind = _kind(duration_columns=("duration",))
    assert _refusal(kind) == (
        "kind 'contract_test' (契约测试) does not meet the kind contract: "
        "duration_columns: table 'items' has no column 'duration'")


def test_a_column_named_like_a_dict_method_is_refused() -> None:
    """Jinja resolves row.items to dict.items before the key: the Word cell would print a method."""
    items = dataclasses.replace(ITEMS, columns=(*ITEMS.columns, Field("items", "明细", "Items")))
    assert _refusal(_kind(tables=(items, *CLOSING_TABLES))) == (
        "kind 'contract_test' (契约测试) does not meet the kind contract: "
        "table 'items' column 'items' is also a name of dict (the Word template would print a method)")


def test_word_layout_names_only_what_the_kind_has() -> None:
    kind = _kind(word_sections=("objective", "scenario", "items"),
                 word_info_rows=(("name",), ("doc_id", "approver"), ("cycle_time",)))
    assert _refusal(kind) == (
        "kind 'contract_test' (契约测试) does not meet the kind contract: "
        "word_info_rows names 'cycle_time', not a field of the kind; "
        "word_sections names 'scenario', neither a field nor a table of the kind")


def test_a_plug_in_that_breaks_the_contract_fails_at_import(tmp_path: Path) -> None:
    plugin = tmp_path / "broken_kind_plugin.py"
    plugin.write_text(
        "from officeflow.catalog import KindSpec\n"
        "from officeflow.kinds import register_kind\n"
        "from officeflow.kinds.common import BASIC_FIELDS\n"
        "register_kind(KindSpec('broken', '坏的', BASIC_FIELDS, (), word_template='broken.docx'))\n",
        encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(KindContractError) as raised:
            importlib.import_module("broken_kind_plugin")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("broken_kind_plugin", None)
    assert str(raised.value) == (
        "kind 'broken' (坏的) does not meet the kind contract: "
        "table 'related_documents' (相关文件) is missing; "
        "table 'revision_log' (修订记录) is missing; "
        "table 'reviews' (审核记录) is missing")
    assert "broken" not in KINDS


def test_the_shipped_kinds_meet_the_contract() -> None:
    """They are registered through register_kind when officeflow.kinds is imported."""
    assert list(KINDS) == ["sop", "scenario", "standard", "optimization"]


# --------------------------------------------------------------------- one source


def test_review_levels_and_conclusions_have_one_source() -> None:
    for kind in KINDS.values():
        reviews = kind.table("reviews")
        assert reviews.column("level").choices == vocabulary.REVIEW_LEVELS
        assert reviews.column("conclusion").choices == vocabulary.REVIEW_CONCLUSIONS
    assert Settings().review_levels == list(vocabulary.REVIEW_LEVELS)
    assert vocabulary.PASSED == "通过"


def test_an_added_review_level_is_accepted_and_a_comma_is_refused(tmp_path: Path) -> None:
    """The levels drive the 审核级别 dropdown and enum (officeflow.tailor; issue 11 item 7):
    an added level is accepted; one that cannot be a dropdown item is refused, naming the key."""
    config = tmp_path / "officeflow.toml"
    config.write_text('review_levels = ["初审", "部门会签", "终审"]\n', encoding="utf-8")
    assert load_settings(tmp_path).review_levels == ["初审", "部门会签", "终审"]
    config.write_text('review_levels = ["初审", "会签,复核", "终审"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path)
    message = str(raised.value)
    assert str(config) in message and "review_levels" in message
    assert message.endswith("“会签,复核”不能为空，也不能含逗号或引号（它会成为下拉列表的一项）")


def test_vague_words_have_one_source(tmp_path: Path) -> None:
    assert Settings().vague_words == list(vocabulary.VAGUE_WORDS)
    path = tmp_path / "sop.xlsx"
    write_template(KINDS["sop"], path)
    guide = openpyxl.load_workbook(path)["填写说明"]
    texts = [str(c.value) for row in guide.iter_rows() for c in row if c.value]
    quoted = "".join(f"“{w}”" for w in vocabulary.VAGUE_WORDS)
    assert f"避免使用{quoted}等模糊词汇，写清谁在什么时间做什么事、做到什么标准；" \
           "流程目标和关键控制点需量化，如“响应时间≤2小时”“准确率≥95%”。" in texts


def test_status_names_come_from_records_status() -> None:
    assert [s.value for s in Status] == ["待生效", "现行有效", "已失效", "已废止"]
    assert render.STATUS_MARKS[Status.SUPERSEDED].startswith(Status.SUPERSEDED.value)
    assert render.STATUS_MARKS[Status.WITHDRAWN].startswith(Status.WITHDRAWN.value)
    assert {register.STATUS_PENDING, register.STATUS_CURRENT, register.STATUS_EXPIRED,
            register.STATUS_WITHDRAWN} == {s.value for s in Status}
