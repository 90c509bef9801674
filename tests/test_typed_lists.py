"""Issue 11 item 14: a list keeps the text its author typed beside its items.

The items drive validation (roles known, departments), the typed text is what the Word document
prints (tests/test_print_output.py); both are the document's content.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import TODAY
from factory import sop_sheets, write_book

from officeflow.catalog import Field
from officeflow.kinds import KINDS, KindContractError, register_kind
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import Result, process_bytes
from officeflow.settings import Workspace


def _process(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger, name: str, departments: str):
    path = write_book(tmp_path / name, sop_sheets({"适用部门": departments}))
    return process_bytes(path.read_bytes(), path.name, workspace, ledger, TODAY)


def test_other_separators_under_the_same_version_number_are_a_change(tmp_path: Path, workspace: Workspace,
                                                                     ledger: SqliteLedger) -> None:
    assert _process(tmp_path, workspace, ledger, "a.xlsx", "IT, QA、客服部").result is Result.ISSUED
    # The same items, typed with other separators: the document would print differently.
    outcome = _process(tmp_path, workspace, ledger, "b.xlsx", "IT; QA、客服部")
    assert outcome.result is Result.REJECTED
    assert [f.located() for f in outcome.findings if f.severity == "error"] == [
        "基本信息!B6: V1.0 已归档且内容不同：请把版本号改为 V1.1 或 V2.0。"]
    # Spaces are tidied, so typing more of them is no change.
    again = _process(tmp_path, workspace, ledger, "c.xlsx", "IT,   QA、客服部 ")
    assert again.result is Result.DUPLICATE


def test_a_field_named_like_a_lists_typed_text_is_refused() -> None:
    sop = KINDS["sop"]
    clash = Field("departments_text", "适用部门说明", "Departments note")
    kind = dataclasses.replace(sop, key="typed_clash", label="冲突测试", fields=(*sop.fields, clash))
    with pytest.raises(KindContractError) as raised:
        register_kind(kind)
    assert str(raised.value) == (
        "kind 'typed_clash' (冲突测试) does not meet the kind contract: "
        "fields: 'departments_text' is the typed text of the list field 'departments'")
    assert kind.key not in KINDS
