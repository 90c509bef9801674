"""Training copies: real LibreOffice PDFs with watermark, serial and sign-in page; recall."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import pypdf
import pytest
from conftest import TODAY
from test_regenerate import DOC, issue

from officeflow.errors import NotFoundError
from officeflow.ledger import (
    Event,
    SqliteLedger,
    TrainingCopy,
    record_training_copies,
    training_copies,
)
from officeflow.pdf import PdfError, convert_to_pdf
from officeflow.settings import Workspace
from officeflow.training import (
    TRAINING_MARK,
    ObsoleteVersionError,
    make_department_copies,
    make_training_copies,
    outstanding_copies,
)


def require_soffice() -> None:
    # CI installs LibreOffice: its absence is a failure, never a skip.
    assert shutil.which("soffice"), (
        "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui fonts-noto-cjk")


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


@pytest.mark.slow
def test_training_copies_are_marked_on_every_page(tmp_path: Path, workspace: Workspace,
                                                  ledger: SqliteLedger) -> None:
    require_soffice()
    issue(tmp_path, workspace, ledger)
    result = make_training_copies(workspace, ledger, DOC, copies=2, recipient="张三/客服部", today=TODAY)
    assert result.version == "V1.1" and result.status == "现行有效"
    assert result.serials == [f"{DOC}-V1.1-T0001", f"{DOC}-V1.1-T0002"]
    folder = workspace.outbox / workspace.settings.training_folder
    assert result.pdfs == [folder / f"{serial}.pdf" for serial in result.serials]
    for serial, pdf in zip(result.serials, result.pdfs, strict=True):
        pages = pdf_pages(pdf)
        assert len(pages) >= 2
        for page in pages:
            assert TRAINING_MARK in page and serial in page
            assert "以受控版本为准" in page and "打印日期 2024-09-01" in page
            assert "受控文件" not in page.replace(TRAINING_MARK, "")
        text = "\n".join(pages)
        assert "接收客户投诉信息" in text and "增加回访步骤" in text  # steps and merged history, as Chinese
        last = pages[-1]
        assert "培训签到表" in last
        assert all(label in last for label in ("姓名", "部门", "日期", "签名", "考核结果"))
    fonts = subprocess.run(["pdffonts", str(result.pdfs[0])], capture_output=True, text=True, check=True).stdout
    embedded = [line for line in fonts.splitlines()[2:] if "CJK" in line]
    assert embedded and all(line.split()[-5] == "yes" for line in embedded), fonts
    assert [(c.serial, c.recipient, c.pdf_path) for c in training_copies(ledger, DOC)] == [
        (s, "张三/客服部", f"{workspace.settings.training_folder}/{s}.pdf") for s in result.serials]
    printed = [e for e in ledger.events(DOC) if e["event"] == "training-printed"]
    assert [e["detail"].split()[0] for e in printed] == result.serials


@pytest.mark.slow
def test_department_copies_in_one_batch(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    require_soffice()
    issue(tmp_path, workspace, ledger)
    results = make_department_copies(workspace, ledger, "客服部", today=TODAY)
    assert [(r.doc_id, r.version, r.serials) for r in results] == [
        (DOC, "V1.1", [f"{DOC}-V1.1-T0001"]), ("HR-TR-2024-012", "V1.0", ["HR-TR-2024-012-V1.0-T0001"])]
    assert all(p.exists() for r in results for p in r.pdfs)
    with pytest.raises(NotFoundError, match="财务部"):
        make_department_copies(workspace, ledger, "财务部", today=TODAY)


def test_superseded_version_is_refused(tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    issue(tmp_path, workspace, ledger)
    with pytest.raises(ObsoleteVersionError, match="V1.0 的状态为“已失效”"):
        make_training_copies(workspace, ledger, DOC, version="V1.0", today=TODAY)
    with pytest.raises(NotFoundError):
        make_training_copies(workspace, ledger, DOC, version="V9.9", today=TODAY)
    assert not (workspace.outbox / workspace.settings.training_folder).exists()


def test_recall_lists_outstanding_copies_of_old_versions(tmp_path: Path, workspace: Workspace,
                                                         ledger: SqliteLedger) -> None:
    issue(tmp_path, workspace, ledger)
    printed = datetime(2024, 8, 10, 9, 0)
    copies = [TrainingCopy(f"{DOC}-{v}-T{n:04d}", DOC, v, n, "李四", printed, f"培训副本/{v}-{n}.pdf")
              for v, n in (("V1.0", 1), ("V1.0", 2), ("V1.1", 1))]
    record_training_copies(ledger, copies, [Event("training-printed", DOC, c.version) for c in copies])
    # Before V1.1 takes effect nothing is to be recalled; from then on V1.0's copies are.
    assert outstanding_copies(ledger, DOC, today=date(2024, 8, 20)) == []
    assert [c.serial for c in outstanding_copies(ledger, DOC, today=TODAY)] == [
        f"{DOC}-V1.0-T0001", f"{DOC}-V1.0-T0002"]


def test_missing_soffice_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PdfError, match="LibreOffice.*libreoffice-writer-nogui"):
        convert_to_pdf([tmp_path / "x.docx"], tmp_path / "out")


PENDING_MARK = "培训专用 · 非受控文件 · 待生效（2024-10-01 起施行）"


@pytest.mark.slow
def test_pending_version_gets_a_training_copy_marked_with_its_effective_date(
        tmp_path: Path, workspace: Workspace, ledger: SqliteLedger) -> None:
    require_soffice()
    from factory import make_workbook

    from officeflow.pipeline import Result, process_bytes

    book = make_workbook(tmp_path, fields={"生效日期": date(2024, 10, 1)})
    assert process_bytes(book.read_bytes(), book.name, workspace, ledger, TODAY).result is Result.ISSUED
    # No version is current yet: the default is the pending one, trained before it takes effect.
    result = make_training_copies(workspace, ledger, DOC, today=TODAY)
    assert (result.version, result.status) == ("V1.0", "待生效")
    pages = pdf_pages(result.pdfs[0])
    assert len(pages) >= 2
    for page in pages:
        assert PENDING_MARK in page.replace("\n", "")
        assert "受控文件" not in page.replace("非受控文件", "")


def test_obsolete_version_needs_the_explicit_flag(tmp_path: Path, workspace: Workspace,
                                                  ledger: SqliteLedger) -> None:
    issue(tmp_path, workspace, ledger)
    with pytest.raises(ObsoleteVersionError) as raised:
        make_training_copies(workspace, ledger, DOC, version="V1.0", today=TODAY)
    assert str(raised.value) == (
        f"{DOC} V1.0 的状态为“已失效”，只有现行有效或待生效的版本可以制作培训副本；"
        "如确需使用已失效/已废止的版本，请加 --allow-obsolete。 / "
        f"{DOC} V1.0 is superseded: only a current or pending version gives a training copy "
        "(use --allow-obsolete to override)")
