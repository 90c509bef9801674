"""A kind that exists only in this test: one catalog, and both templates are generated from it.

It proves "a fifth kind is one file in kinds/, one registry line and the two generators":
the blank Excel template (officeflow.workbook_template) and the Word template
(officeflow.word_templates) come from the catalog alone, and the workbook a person fills in
is validated and issued by the real pipeline.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from conftest import TODAY

from officeflow.catalog import Field, FieldType, KindSpec, Table
from officeflow.findings import Finding, Severity, warning
from officeflow.kinds import KINDS, register_kind, unregister_kind
from officeflow.kinds.common import BASIC_FIELDS, CLOSING_TABLES
from officeflow.ledger import SqliteLedger
from officeflow.pipeline import Result, check_workbook, process_bytes
from officeflow.settings import Workspace
from officeflow.word_templates import build_template
from officeflow.workbook_template import fill_template

ROOT = Path(__file__).resolve().parent.parent

CHECKLIST = Table("checklist", "检查清单", "Checklist", columns=(
    Field("number", "序号", "No.", FieldType.CODE, required=True, width=8, word_width=1.4,
          word_center=True),
    Field("item", "检查项", "Item", required=True, width=40),
), min_rows=1)


def _no_duplicate_items(doc, ctx) -> Iterator[Finding]:  # type: ignore[no-untyped-def]
    """The one rule of the test kind: an item may not be listed twice."""
    seen: set[str] = set()
    for index, row in enumerate(doc.rows("checklist")):
        if row.item in seen:
            yield warning("checklist.duplicate", f"检查项“{row.item}”重复。",
                          doc.source.cell("checklist", index, "item"))
        seen.add(row.item)


CHECKLIST_KIND = KindSpec(
    key="checklist", label="检查清单（测试）", fields=BASIC_FIELDS,
    tables=(CHECKLIST, *CLOSING_TABLES), rules=(_no_duplicate_items,),
    word_template="checklist.docx", step_table="checklist",
)


def _sop_example() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "tools" / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.COMPLAINTS


@pytest.fixture
def checklist_kind() -> Iterator[KindSpec]:
    register_kind(CHECKLIST_KIND)
    try:
        yield CHECKLIST_KIND
    finally:
        unregister_kind(CHECKLIST_KIND.key)


def _rows(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_a_kind_defined_only_in_the_test_runs_through_the_pipeline(
        checklist_kind: KindSpec, tmp_path: Path, workspace: Workspace,
        ledger: SqliteLedger) -> None:
    build_template(checklist_kind, workspace.templates / "checklist.docx")
    base = _sop_example()
    data = {
        "fields": {**base["fields"], "name": "门店开店检查清单", "doc_id": "OPS-CK-2024-001",
                   "version": "V1.0"},
        "tables": {
            "checklist": [{"number": "1", "item": "收银系统 <R&D> 已联网"},
                          {"number": "2", "item": "消防通道畅通"},
                          {"number": "3", "item": "消防通道畅通"}],
            "related_documents": [],
            "revision_log": [{"version": "V1.0", "date": date(2024, 7, 1), "content": "初稿",
                              "reason": "新建流程", "author": "王敏"}],
            "reviews": base["tables"]["reviews"],
        },
    }
    path = tmp_path / "book.xlsx"
    fill_template(checklist_kind, data, path)
    checked = check_workbook(path.read_bytes(), workspace, ledger, TODAY)
    assert checked.parsed is not None and checked.parsed.kind is checklist_kind
    assert [(f.severity, f.code, str(f.where)) for f in checked.findings] == [
        (Severity.WARNING, "checklist.duplicate", "检查清单!B4")]

    outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger, TODAY)
    assert outcome.result is Result.ISSUED, [f.located() for f in outcome.findings]
    assert outcome.document is not None
    document = docx.Document(str(outcome.document))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == [
        "一、基本信息", "二、流程目标", "三、适用范围", "四、检查清单", "五、相关文件", "六、修订记录",
        "七、审核与批准"]
    assert [p.text for p in document.paragraphs[:2]] == ["门店开店检查清单", "检查清单（测试）"]
    info, checklist, related, revisions, reviews = document.tables
    assert _rows(info)[:2] == [["流程名称", "门店开店检查清单", "门店开店检查清单", "门店开店检查清单"],
                               ["流程编号", "OPS-CK-2024-001", "版本号", "V1.0"]]
    assert _rows(info)[-1] == ["下次回顾日期", "2025-02-01", "文件类型", "检查清单（测试）"]
    assert _rows(checklist) == [["序号", "检查项"], ["1", "收银系统 <R&D> 已联网"],
                                ["2", "消防通道畅通"], ["3", "消防通道畅通"]]
    assert _rows(related) == [["序号", "文件名称", "文件编号"], ["无", "无", "无"]]
    assert _rows(revisions)[1] == ["V1.0", "2024-07-01", "初稿", "新建流程", "王敏", ""]
    assert [row[0] for row in _rows(reviews)] == ["审核级别", "初审", "复审", "终审"]
    assert document.paragraphs[-1].text == "批准人：赵建国　　　生效日期：2024-08-01"
    assert document.sections[0].header.paragraphs[0].text == (
        "流程编号 OPS-CK-2024-001　·　版本号 V1.0　·　生效日期 2024-08-01\t受控文件")
    assert ledger.history("OPS-CK-2024-001").versions[0].kind == "checklist"


def test_kind_labels_stay_unique(checklist_kind: KindSpec) -> None:
    clash = KindSpec("other", checklist_kind.label, BASIC_FIELDS, CLOSING_TABLES,
                     word_template="other.docx")
    with pytest.raises(ValueError) as raised:
        register_kind(clash)
    assert str(raised.value) == "kind label '检查清单（测试）' already used by 'checklist'"
    assert "other" not in KINDS
