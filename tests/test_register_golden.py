"""The register export and the re-marking pass give exactly the bytes they gave before they were
made fast (issue 15, item 3).

A realistic ledger (4,000-odd versions: every status, withdrawals before and after taking
effect, V10.0 after V9.0, reviews overdue and due soon, training copies) plus the awkward
values a register meets (control characters, `_x0041_`, leading spaces, emoji, `&<>"`, paths
with `#`, `?`, `%`, backslashes, a path too long for a hyperlink, a text over Excel's cell
limit, no kind label) is exported, and each part of the package is compared with the
SHA-256 of what the export wrote before the rewrite (the creation time in docProps/core.xml
aside). The parts are compared uncompressed (`ZipFile.read`): the deflated bytes and the zip's
headers are not pinned, so the container (officeflow.xlsx_zip: deflate level 1, sheets deflated
on a worker thread) may change without touching these digests. The statuses the reading copies
must show are compared the same way.

When the output is changed on purpose, print the new digests with
`OFFICEFLOW_PRINT_DIGESTS=1 pytest tests/test_register_golden.py -s`, look at the parts that
changed (openpyxl, or unzip) and update the digests here.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from officeflow.ledger import open_ledger
from officeflow.ledger_protocol import Event, Ledger
from officeflow.publish import export_register_from_ledger
from officeflow.records import TrainingCopy, VersionRecord, Withdrawal
from officeflow.remark import markings_today
from officeflow.settings import Workspace, open_workspace

TODAY = date(2024, 9, 1)
DEPARTMENTS = ("客服部", "人力资源部", "质量管理部 ", "信息技术部", "R&D <研发> \"一部\"")
PEOPLE = ("张伟", "欧阳明", " 李雷", "王芳\t", "Zoë")
NAMES = ("客户投诉处理流程", "费用报销审核流程（修订）", "_x0041_ 编码流程", "流程\x01含控制符", "多行\r\n名称\x0b流程",
         "年度🎉活动流程", "A&B <合规> 流程", "  前后空格  ")


def version_record(n: int, k: int, version: str, effective: date) -> VersionRecord:
    doc_id = f"{('CRM-CS', 'HR-TR', 'QM-QA', 'IT-OPS')[n % 4]}-{2019 + n % 6}-{n:04d}"
    name = NAMES[n % len(NAMES)] + ("（第二版）" * (k % 2))
    document = f"{doc_id}/{version}/{name.strip()} #{n}?.docx"
    if n % 13 == 0:
        document = document.replace("/", "\\")  # written on Windows
    if n % 97 == 0:
        document = f"{doc_id}/{version}/" + "很长的路径%" * 450 + ".docx"  # > 2,079: no hyperlink
    if n % 101 == 0:
        document = ""
    received = datetime(2024, 1, 1, 8, 30, 15, 250_000 * (n % 4)) + timedelta(minutes=37 * n + k)
    return VersionRecord(
        doc_id, version, "sop", name, effective, ("客户服务类", "人力资源类", "质量管理类")[n % 3],
        DEPARTMENTS[n % len(DEPARTMENTS)], PEOPLE[n % len(PEOPLE)], PEOPLE[(n + 2) % len(PEOPLE)], document,
        f"{doc_id}/{version}/source.xlsx", f"{doc_id}/{version}/manifest.json", f"{n:032x}{k:032x}",
        f"{k:032x}{n:032x}", received, "" if n % 19 == 0 else ("标准化服务流程", "作业指导书")[n % 2],
        f"records/{doc_id}/{version}.docx" if n % 3 else "", f"{n:064x}")


def archive(documents: int) -> tuple[list[VersionRecord], list[Withdrawal], list[TrainingCopy]]:
    records, withdrawals, copies = [], [], []
    for n in range(documents):
        versions = [f"V{v}.{n % 3}" for v in range(1, 2 + n % 4)] + (["V10.0"] if n % 17 == 0 else [])
        first = date(2019 + n % 6, 1 + n % 12, 1 + n % 28)
        for k, version in enumerate(versions):
            # Some documents' latest version takes effect after today (待生效), some reviews fall due.
            effective = first + timedelta(days=190 * k) if n % 11 else TODAY + timedelta(days=10 + k)
            if n % 23 == 0:
                effective = TODAY - timedelta(days=180 - n % 40)  # review due around today
            records.append(version_record(n, k, version, effective))
            if n % 5 == 0:
                returned = datetime(2024, 6, 1, 17, 5) if n % 10 == 0 else None
                copies.append(TrainingCopy(f"{records[-1].doc_id}-{version}-T0001", records[-1].doc_id, version, 1,
                                           "培训中心 & 质量部", datetime(2024, 5, 1, 9, 0), "培训副本/x.pdf", returned,
                                           "returned" if returned else ""))
        doc_id = records[-1].doc_id
        if n % 7 == 0:
            withdrawals.append(Withdrawal(doc_id, versions[-1], date(2024, 6, 1), "业务停办 <合并> & 调整"))
        if n % 29 == 0 and len(versions) > 1:  # withdrawn before it took effect: it constrains nothing
            withdrawals.append(Withdrawal(doc_id, versions[0], date(2018, 1, 1), ""))
    long_text = "超长" * 17_000  # over Excel's 32,767 characters: cut
    records.append(version_record(9999, 0, "V1.0", date(2024, 1, 1))._replace(name=long_text))
    return records, withdrawals, copies


def exported_parts(workspace: Workspace, ledger: Ledger) -> dict[str, str]:
    records, withdrawals, copies = archive(1700)
    ledger.rebuild(records, [], withdrawals, copies, [Event("test")], {})
    assert export_register_from_ledger(workspace, ledger, TODAY) == len(records)
    with zipfile.ZipFile(workspace.register_path) as zf:
        return {name: hashlib.sha256(zf.read(name)).hexdigest() for name in zf.namelist()
                if name != "docProps/core.xml"}


def marking_digest(ledger: Ledger) -> str:
    lines = [f"{doc_id}|{version}|{m.key}|{m.date_row}|{sorted(m.context().items())}"
             for (doc_id, version), m in sorted(markings_today(ledger, TODAY).items())]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


# What the export wrote before it was made fast (commit 12aeeec).
EXPECTED_PARTS = {
    "[Content_Types].xml": "44baa3a2d2de1f9274435eb11803c609c373cd29399a0bdf6fbf806ce7bd0ea6",
    "_rels/.rels": "1285b20099c64699001f9d90ea040ca1c177fa99bc3ae8a841128874820f01a4",
    "docProps/app.xml": "c1e4fd9cb6f5d5cf9fe9fdc783cead98e8843f1c5eced25c9e3c00ec3cf3c7de",
    "xl/styles.xml": "9c623749beb344e2fe47a60176981b0b0e30926867e0b84468ed81fff7bc5e3e",
    "xl/worksheets/sheet1.xml": "5725d9933f7bdf0a0b8ccf1ddb624031cadfcd80193c9f8f29af5eac99ea0eb9",
    "xl/worksheets/_rels/sheet1.xml.rels": "011dd374a44bc70b4aa921d667d8c4d323355a4dead669d551da56d023b91d4a",
    "xl/worksheets/sheet2.xml": "43cf1b0245a697e23742c0c1209342a891de06845b332f85fce97fec9c278279",
    "xl/worksheets/_rels/sheet2.xml.rels": "b67fb07c5c3d93692ce7b191e5c112e3a46994daab04a3db98c368e6fbda17ef",
    "xl/worksheets/sheet3.xml": "e038bdbf532f99a327df3a7474ca282db2f9845b542b34fcc656c906d72e5125",
    "xl/worksheets/_rels/sheet3.xml.rels": "2f0a65ff2c0a99d2caf00ef76b21432499448f4c0688f8ba61b9028b35988fe2",
    "xl/worksheets/sheet4.xml": "74e43f62a15f9da6007018990c5bc7ebea7a2292281d7a2d2613c6815cc78418",
    "xl/workbook.xml": "e93835b27b86f33b0fb8daf23ea226bc29447e26ad0f0f96d1df71cd00137e7e",
    "xl/_rels/workbook.xml.rels": "5c0a06c976deebaa9dacfb2e86d1e8e96734fa58e4563b1ea5cf648cadd4409f",
}
EXPECTED_MARKINGS = "1fce936e36557531619e898ebb58e51b16f9cfe1b8876f2d363df2af5b9cc36a"


@pytest.fixture
def golden_ledger(tmp_path: Path) -> tuple[Workspace, Ledger]:
    root = tmp_path / "ws"
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True)
    workspace = open_workspace(root)
    return workspace, open_ledger(workspace.ledger_path)


def test_the_register_export_writes_the_same_bytes_as_before(golden_ledger: tuple[Workspace, Ledger]) -> None:
    workspace, ledger = golden_ledger
    try:
        parts = exported_parts(workspace, ledger)
        markings = marking_digest(ledger)
    finally:
        ledger.close()
    if os.environ.get("OFFICEFLOW_PRINT_DIGESTS"):
        print(parts, markings)
    assert sorted(parts) == sorted(EXPECTED_PARTS)
    assert [name for name in EXPECTED_PARTS if parts[name] != EXPECTED_PARTS[name]] == []
    assert markings == EXPECTED_MARKINGS
