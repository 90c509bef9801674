"""The command line, through click's CliRunner, on real files."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import openpyxl
import pytest
from click.testing import CliRunner
from factory import make_workbook

from officeflow.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(autouse=True)
def _workspace_here(tmp_path: Path) -> None:
    """Most tests use tmp_path itself as the workspace: an empty officeflow.toml makes it one."""
    (tmp_path / "officeflow.toml").write_text("", encoding="utf-8")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_init_creates_a_working_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert invoke("init", str(root)) == (0, f"工作区已就绪 Workspace ready: {root.resolve()}\n")
    assert {p.name for p in root.iterdir()} >= {"inbox", "outbox", "templates", "officeflow.toml"}
    assert (root / "templates" / "sop.docx").stat().st_size > 10_000
    assert openpyxl.load_workbook(root / "templates" / "sop.xlsx").sheetnames[:2] == ["填写说明", "基本信息"]
    # the written config is valid TOML whose every key is commented out: defaults apply
    code, output = invoke("-w", str(root), "process", str(make_workbook(tmp_path)))
    assert code == 0, output


def test_template_writes_a_blank_workbook(tmp_path: Path) -> None:
    target = tmp_path / "blank.xlsx"
    assert invoke("template", "sop", "-o", str(target)) == (0, f"模板已生成 Template written: {target}\n")
    book = openpyxl.load_workbook(target)
    assert book["基本信息"]["B3"].value == "标准化服务流程"


def _dropdowns(sheet: Any) -> list[str]:
    return [str(dv.formula1) for dv in sheet.data_validations.dataValidation if dv.type == "list"]


def test_template_and_init_use_the_workspace_settings(tmp_path: Path) -> None:
    """Controlled 流程类别 and an added review level reach the dropdowns of the blank workbooks."""
    (tmp_path / "officeflow.toml").write_text(
        'categories = ["客户服务类", "质量管理类"]\nreview_levels = ["初审", "复审", "会签", "终审"]\n',
        encoding="utf-8")
    target = tmp_path / "blank.xlsx"
    code, output = invoke("-w", str(tmp_path), "template", "sop", "-o", str(target))
    assert code == 0, output
    code, output = invoke("init", str(tmp_path))
    assert code == 0, output
    for path in (target, tmp_path / "templates" / "sop.xlsx"):
        book = openpyxl.load_workbook(path)
        assert '"客户服务类,质量管理类"' in _dropdowns(book["基本信息"]), path
        assert '"初审,复审,会签,终审"' in _dropdowns(book["审核记录"]), path


def test_validate_prints_located_findings_and_exits_1(tmp_path: Path) -> None:
    bad = make_workbook(tmp_path, "bad.xlsx", fields={"流程编号": "X1"})
    assert invoke("-w", str(tmp_path), "validate", str(bad)) == (
        1, "bad.xlsx › 基本信息!B5: 流程编号“X1”不符合编号规则（前缀-类别-年份-序号），如 CRM-CS-2024-005。"
           "  [错误 numbering.doc-id-format]\n")
    assert not (tmp_path / "outbox").exists()  # validate changes nothing


def test_validate_json_lists_findings_with_fields(tmp_path: Path) -> None:
    bad = make_workbook(tmp_path, "bad.xlsx", fields={"流程编号": "X1"})
    code, output = invoke("-w", str(tmp_path), "validate", "--json", str(bad))
    assert code == 1
    assert json.loads(output) == [{
        "file": str(bad), "severity": "error", "code": "numbering.doc-id-format", "sheet": "基本信息",
        "cell": "B5", "message": "流程编号“X1”不符合编号规则（前缀-类别-年份-序号），如 CRM-CS-2024-005。",
    }]


def test_validate_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    vague = make_workbook(tmp_path, "vague.xlsx", fields={"流程目标": "尽快处理投诉，7个工作日内解决"})
    assert invoke("-w", str(tmp_path), "validate", str(vague))[0] == 0
    assert invoke("-w", str(tmp_path), "validate", "--strict", str(vague))[0] == 1


def test_process_issues_then_reports_duplicate_and_rejection(tmp_path: Path) -> None:
    good = make_workbook(tmp_path, "good.xlsx")
    register = tmp_path / "outbox" / "流程文件总台账.xlsx"
    code, output = invoke("-w", str(tmp_path), "process", str(good))
    assert code == 0, output
    document = tmp_path / "outbox" / "客户服务类" / "客服部" / "2024-08-01" / "CRM-CS-2024-005_V1.0.docx"
    issued, summary = output.splitlines()
    # the number is how long processing took; everything else exact
    assert re.fullmatch(re.escape(f"已发布 issued  good.xlsx → CRM-CS-2024-005 V1.0 现行有效  {document}")
                        + r"  \(\d+ ms\)", issued)
    assert summary == f"共 1 个文件：发布 1，退回 0，重复 0。台账 Register: {register}"
    assert register.exists()
    assert invoke("-w", str(tmp_path), "process", str(good)) == (0, (
        "重复 duplicate  good.xlsx: 与已归档的 CRM-CS-2024-005 V1.0 内容完全相同，未重复处理。\n"
        f"共 1 个文件：发布 0，退回 0，重复 1。台账 Register: {register}\n"))
    bad = make_workbook(tmp_path, "bad.xlsx", steps=[["2", "x", "客服专员"]])
    assert invoke("-w", str(tmp_path), "process", str(bad)) == (1, (
        "退回 rejected  bad.xlsx\n"
        "bad.xlsx › 基本信息!B6: V1.0 已归档且内容不同（首处不同：流程步骤!A2、流程步骤!A3、流程步骤!A4）："
        "请把版本号改为 V1.1 或 V2.0。  [错误 version.exists]\n"
        "bad.xlsx › 流程步骤!A2: 第一个步骤编号应为 1 或 1.1，这里是 2，请从 1 开始连续编号。  [错误 numbering.step-gap]\n"
        f"共 1 个文件：发布 0，退回 1，重复 0。台账 Register: {register}\n"))


def test_register_export_rewrites_from_the_ledger(tmp_path: Path) -> None:
    invoke("-w", str(tmp_path), "process", str(make_workbook(tmp_path)))
    register = tmp_path / "outbox" / "流程文件总台账.xlsx"
    register.unlink()
    code, output = invoke("-w", str(tmp_path), "register", "export")
    assert code == 0, output
    sheet = openpyxl.load_workbook(register).worksheets[0]
    assert sheet.max_row == 2 and "CRM-CS-2024-005" in [c.value for c in sheet[2]]


def test_bad_config_is_a_clear_error_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "officeflow.toml").write_text("review_interval_months = 'six'\nunknown = 1\n", encoding="utf-8")
    assert invoke("-w", str(tmp_path), "validate", str(make_workbook(tmp_path))) == (2, (
        f"错误 Error: 配置文件 {tmp_path / 'officeflow.toml'} 有误：\n"
        "  review_interval_months：值 'six' 无效，应为整数\n"
        "  unknown：没有这个设置项\n"))  # every line: no traceback


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, f"{prefix}{name} "))
    return found


@pytest.mark.parametrize("name, command", _commands(main))
def test_every_command_has_help_and_is_in_the_readme(name: str, command: click.Command) -> None:
    assert command.help and command.help.strip()
    readme = README.read_text(encoding="utf-8")
    assert re.search(rf"officeflow {re.escape(name)}\b", readme), f"README does not mention `officeflow {name}`"


def test_regenerate_twice_reports_unchanged(tmp_path: Path) -> None:
    invoke("-w", str(tmp_path), "process", str(make_workbook(tmp_path)))
    code, output = invoke("-w", str(tmp_path), "regenerate", "--all", "--workers", "1")
    assert code == 0, output
    # the number is the run's wall-clock time; everything else exact
    assert re.fullmatch(r"已更新 changed 0，未变 unchanged 1，失败 failed 0（\d+\.\d s）\n", output)
    assert invoke("-w", str(tmp_path), "regenerate")[0] == 2  # nothing selected: a usage error


def _regenerate_with_stderr_on(tmp_path: Path, tty: bool) -> tuple[str, str]:
    """`officeflow regenerate --all` in a real process, stderr on a terminal (pty) or a pipe."""
    command = [sys.executable, "-m", "officeflow", "-w", str(tmp_path), "regenerate", "--all", "--workers", "1"]
    if not tty:
        run = subprocess.run(command, capture_output=True, text=True, timeout=120)
        return run.stdout, run.stderr
    controller, terminal = pty.openpty()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=terminal, text=True) as child:
        os.close(terminal)
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        stdout = child.stdout.read() if child.stdout else ""
    os.close(controller)
    return stdout, seen.decode()


def test_regenerate_shows_a_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    invoke("-w", str(tmp_path), "process", str(make_workbook(tmp_path)))
    summary = r"已更新 changed 0，未变 unchanged 1，失败 failed 0（\d+\.\d s）\n"
    stdout, stderr = _regenerate_with_stderr_on(tmp_path, tty=False)
    assert re.fullmatch(summary, stdout)
    assert stderr == ""  # a log file or a pipe gets no bar
    stdout, stderr = _regenerate_with_stderr_on(tmp_path, tty=True)
    assert re.fullmatch(summary, stdout)
    # click's bar: redrawn in place (\r, cursor hidden), then the cursor back and a newline.
    frames = stderr.split("\r\x1b[?25l")
    assert frames[0] == ""
    assert frames[1].rstrip() == "regenerate  [------------------------------------]  0/1    0%"
    assert re.fullmatch(r"regenerate  \[#{36}\]  1/1  100%  \d+\.\d docs/s *\x1b\[\?25h\r?\n", frames[-1])


def test_training_refuses_unknown_document_and_recall_lists_nothing(tmp_path: Path) -> None:
    assert invoke("-w", str(tmp_path), "training", "CRM-CS-2024-999") == (
        2, "错误 Error: 未找到流程编号 CRM-CS-2024-999 / unknown document CRM-CS-2024-999\n")
    invoke("-w", str(tmp_path), "process", str(make_workbook(tmp_path)))
    assert invoke("-w", str(tmp_path), "recall", "CRM-CS-2024-005") == (
        0, "CRM-CS-2024-005 没有需回收的旧版培训副本\n")
