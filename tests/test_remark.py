"""Issue 15, item 3: the re-marking pass before every register export streams the ledger.

`publish` (every `register export`, batch, withdrawal) first brings each reading copy's status
marking up to today's. It reads the ledger one document at a time (`iter_markings`), never the
whole table at once, and loads the rendering machinery only when a copy is stale. Each test
failed on the code before (8f67893): no `iter_markings`, `versions()`/`markings()` read whole,
docxtpl and openpyxl imported by every export.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY
from factory import REVISIONS, make_workbook
from pgcluster import pg_cluster, pg_url  # noqa: F401 - fixtures
from test_document_control import marks
from test_ledger_pg import any_ledger, backend, issue, record  # noqa: F401 - fixtures

from officeflow.ledger import Ledger, workspace_ledger
from officeflow.ledger_protocol import CopyMarking, Event
from officeflow.pipeline import Result, process_bytes
from officeflow.publish import publish
from officeflow.records import Withdrawal
from officeflow.settings import Workspace

DOC = "CRM-CS-2024-005"
HR = "HR-TR-2024-012"
CURRENT = "受控文件|现行有效"


def test_iter_markings_streams_what_each_copy_shows_in_register_order(any_ledger: Ledger) -> None:  # noqa: F811
    issue(any_ledger, record(HR, "V1.0"), marking=CURRENT)
    issue(any_ledger, record(DOC, "V1.10", effective_date=date(2024, 9, 1)), marking=CURRENT)
    issue(any_ledger, record(DOC, "V1.2", issued_path=""), marking="已失效 · 仅供追溯|已失效（2024-09-01 起）")
    issue(any_ledger, record(DOC, "V9.0"))
    assert list(any_ledger.iter_markings()) == [
        CopyMarking(DOC, "V1.2", date(2024, 8, 1), f"{DOC}/{DOC}_V1.2.docx", "",
                    "已失效 · 仅供追溯|已失效（2024-09-01 起）"),
        CopyMarking(DOC, "V1.10", date(2024, 9, 1), f"{DOC}/{DOC}_V1.10.docx",
                    f"records/{DOC}/{DOC}_V1.10.docx", CURRENT),
        CopyMarking(DOC, "V9.0", date(2024, 8, 1), f"{DOC}/{DOC}_V9.0.docx", f"records/{DOC}/{DOC}_V9.0.docx", ""),
        CopyMarking(HR, "V1.0", date(2024, 8, 1), f"{HR}/{HR}_V1.0.docx", f"records/{HR}/{HR}_V1.0.docx", CURRENT),
    ]
    assert [(c.doc_id, c.version) for c in any_ledger.iter_markings()] == [
        (v.doc_id, v.version) for v in any_ledger.iter_versions()]


class StreamingOnly:
    """The ledger, except that reading every version at once fails the test."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def __getattr__(self, name: str) -> Any:
        if name in ("versions", "markings"):
            raise AssertionError(f"ledger.{name}() holds every version in memory")
        return getattr(self._ledger, name)


def issue_book(workspace: Workspace, ledger: Ledger, book: Path) -> Path:
    outcome = process_bytes(book.read_bytes(), book.name, workspace, ledger, TODAY)
    assert outcome.result is Result.ISSUED, outcome.findings
    assert outcome.document is not None
    return outcome.document


def remarked(ledger: Ledger) -> list[tuple[str, str, str]]:
    return [(e["doc_id"], e["version"], e["detail"]) for e in ledger.events() if e["event"] == "remarked"]


@pytest.mark.parametrize("ledger_backend", ["sqlite", "postgres"], indirect=True)
def test_a_pending_version_taking_over_is_remarked_by_the_streaming_pass(
        tmp_path: Path, workspace: Workspace) -> None:
    ledger = workspace_ledger(workspace)
    try:
        v10 = issue_book(workspace, ledger, make_workbook(tmp_path, "v10.xlsx"))
        v11 = issue_book(workspace, ledger, make_workbook(
            tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 10, 1)},
            revisions=[*REVISIONS, ["V1.1", date(2024, 9, 10), "增加回访步骤", "客户反馈", "王敏", "客服主管"]]))
        hr = issue_book(workspace, ledger, make_workbook(tmp_path, "hr.xlsx", fields={"流程编号": HR}))
        publish(workspace, StreamingOnly(ledger), TODAY)  # type: ignore[arg-type]
        assert remarked(ledger) == []
        publish(workspace, StreamingOnly(ledger), date(2024, 10, 1))  # type: ignore[arg-type]
        assert remarked(ledger) == [(DOC, "V1.0", "changed (已失效)"), (DOC, "V1.1", "changed (现行有效)")]
        assert [marks(v10), marks(v11), marks(hr)] == [
            ("已失效 · 仅供追溯", "已失效（2024-10-01 起）"), ("受控文件", "现行有效"), ("受控文件", "现行有效")]
        publish(workspace, StreamingOnly(ledger), date(2024, 10, 2))  # type: ignore[arg-type]
        assert len(remarked(ledger)) == 2
    finally:
        ledger.close()


@pytest.mark.parametrize("ledger_backend", ["sqlite", "postgres"], indirect=True)
def test_a_withdrawal_remarks_only_its_own_document(tmp_path: Path, workspace: Workspace) -> None:
    ledger = workspace_ledger(workspace)
    try:
        crm = issue_book(workspace, ledger, make_workbook(tmp_path, "crm.xlsx"))
        hr = issue_book(workspace, ledger, make_workbook(tmp_path, "hr.xlsx", fields={"流程编号": HR}))
        ledger.withdraw([Withdrawal(HR, "V1.0", TODAY, "业务取消", "质量部")],
                        [Event("withdrawn", HR, "V1.0", detail="业务取消")])
        publish(workspace, StreamingOnly(ledger), TODAY)  # type: ignore[arg-type]
        assert remarked(ledger) == [(HR, "V1.0", "changed (已废止)")]
        assert [marks(crm), marks(hr)] == [
            ("受控文件", "现行有效"), ("已废止 · 仅供追溯", "已废止（2024-09-01 废止，原因：业务取消）")]
    finally:
        ledger.close()


class OnePass(StreamingOnly):
    """The ledger, counting how often its versions are streamed."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.passes: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name in ("iter_versions", "iter_markings", "iter_register"):
            self.passes.append(name)
        return super().__getattr__(name)


@pytest.mark.parametrize("ledger_backend", ["sqlite", "postgres"], indirect=True)
def test_publish_remarks_and_exports_on_one_pass_over_the_ledger(tmp_path: Path, workspace: Workspace) -> None:
    ledger = workspace_ledger(workspace)
    try:
        issue_book(workspace, ledger, make_workbook(tmp_path, "v10.xlsx"))
        issue_book(workspace, ledger, make_workbook(
            tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 10, 1)},
            revisions=[*REVISIONS, ["V1.1", date(2024, 9, 10), "增加回访步骤", "客户反馈", "王敏", "客服主管"]]))
        counted = OnePass(ledger)
        assert publish(workspace, counted, date(2024, 10, 1)) == 2  # type: ignore[arg-type]
        assert counted.passes == ["iter_register"]
        assert remarked(ledger) == [(DOC, "V1.0", "changed (已失效)"), (DOC, "V1.1", "changed (现行有效)")]
        # The copies are re-marked after the workbook is written, before the export is recorded.
        trail = [e["event"] for e in ledger.events()]
        assert trail[-3:] == ["remarked", "remarked", "exported"]
    finally:
        ledger.close()


RENDERING = ("docxtpl", "docx", "openpyxl", "lxml", "jinja2", "PIL", "resvg_py")
_PROBE = """
import json, sys
from officeflow.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules} & set(%r))))
"""


def test_register_export_with_nothing_to_remark_loads_no_rendering_machinery(
        tmp_path: Path, workspace: Workspace) -> None:
    ledger = workspace_ledger(workspace)
    try:
        issue_book(workspace, ledger, make_workbook(tmp_path, "v10.xlsx"))
        publish(workspace, ledger, date.today())  # every copy marked as of today: nothing stale
    finally:
        ledger.close()
    done = subprocess.run([sys.executable, "-c", _PROBE % (RENDERING,), "-w", str(workspace.root),
                           "register", "export"], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [
        f"台账已导出 Register exported: {workspace.register_path} (1 行 rows)", "[]"]
