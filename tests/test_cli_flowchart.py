"""`officeflow flowchart FILE.xlsx|DOC_ID [--version V] -o OUT.svg|OUT.png` (issue 12)."""

from __future__ import annotations

import struct
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from factory import REVISIONS, STEP_HEADER, make_workbook, sop_sheets, write_book

from officeflow import flowchart
from officeflow.cli import main
from officeflow.model import parse_document
from officeflow.reader import read_workbook

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def drawn(book: Path) -> bytes:
    return flowchart.svg_for(parse_document(read_workbook(book.read_bytes())))


def test_a_workbook_is_previewed_as_svg_without_a_workspace(tmp_path: Path) -> None:
    book = make_workbook(tmp_path)
    out = tmp_path / "preview" / "flow.svg"
    code, output = invoke("-w", str(tmp_path / "nowhere"), "flowchart", str(book), "-o", str(out))
    assert (code, output.splitlines()) == (0, [f"流程图已生成 Flowchart written: {out}（3 个步骤）"])
    assert out.read_bytes() == drawn(book)


def test_a_workbook_is_previewed_as_a_200_dpi_png(tmp_path: Path) -> None:
    book = make_workbook(tmp_path)
    out = tmp_path / "flow.png"
    code, _output = invoke("flowchart", str(book), "-o", str(out))
    data = out.read_bytes()
    assert (code, data[:8]) == (0, PNG_SIGNATURE)
    width = struct.unpack(">I", data[16:20])[0]
    assert width == round(160 / 25.4 * 200)  # 16 cm at 200 dpi


def test_a_wrong_next_step_is_a_finding_and_nothing_is_drawn(tmp_path: Path) -> None:
    sheets = sop_sheets()
    sheets["流程步骤"] = [[*STEP_HEADER, "后续步骤"],
                        ["1", "接收投诉", "客服专员", "", "", "≤30分钟", "", "是→2；否→7"],
                        ["2", "答复客户", "客服专员", "", "", "≤1小时", "", ""]]
    book = write_book(tmp_path / "branch.xlsx", sheets)
    out = tmp_path / "flow.svg"
    code, output = invoke("flowchart", str(book), "-o", str(out))
    assert (code, output.splitlines()) == (1, [
        "branch.xlsx › 流程步骤!H2: 后续步骤“是→2；否→7”指向的步骤 7 不存在：请改为已有的步骤编号，或填写“结束”。"
        "  [错误 flow.next-unknown]",
        "步骤有错误，未生成流程图：请先修正以上问题。"])
    assert not out.exists()


def test_an_archived_document_is_drawn_by_its_id_and_version(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert invoke("init", str(root))[0] == 0
    v10 = make_workbook(tmp_path, "v10.xlsx")
    v11 = make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": date(2024, 9, 1)},
                        steps=[["1", "接收投诉", "客服专员", "", "", "≤30分钟", ""]],
                        revisions=[*REVISIONS, ["V1.1", date(2024, 8, 20), "精简步骤", "客户反馈", "王敏",
                                                "客服主管"]])
    assert invoke("-w", str(root), "process", str(v10), str(v11))[0] == 0
    latest, first = tmp_path / "latest.svg", tmp_path / "first.svg"
    assert invoke("-w", str(root), "flowchart", "CRM-CS-2024-005", "-o", str(latest)) == (
        0, f"流程图已生成 Flowchart written: {latest}（1 个步骤）\n")
    assert latest.read_bytes() == drawn(v11)
    assert invoke("-w", str(root), "flowchart", "CRM-CS-2024-005", "--version", "V1.0", "-o", str(first))[0] == 0
    assert first.read_bytes() == drawn(v10)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert invoke("init", str(root))[0] == 0
    assert invoke("-w", str(root), "process", str(make_workbook(tmp_path)))[0] == 0
    out = str(tmp_path / "x.svg")
    assert invoke("-w", str(root), "flowchart", "NO-SUCH-1", "-o", out) == (
        2, "错误 Error: 未找到流程编号 NO-SUCH-1：台账中没有它的已发布版本，或它不是工作簿文件\n")
    assert invoke("-w", str(root), "flowchart", "CRM-CS-2024-005", "--version", "V9.9", "-o", out) == (
        2, "错误 Error: CRM-CS-2024-005 没有版本 V9.9（已发布的版本：V1.0）\n")
    assert invoke("-w", str(root), "flowchart", "CRM-CS-2024-005", "-o", str(tmp_path / "x.pdf")) == (
        2, "错误 Error: 输出文件须以 .svg 或 .png 结尾：x.pdf\n")
    assert not (tmp_path / "x.svg").exists()
