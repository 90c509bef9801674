"""What an operator sees (issue 11, items 9–12): Chinese first, exact lines, no tracebacks.

Every assertion compares the whole text a person reads, as sqlite-utils' CLI tests do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from factory import make_workbook

from officeflow.cli import main
from officeflow.errors import TemplateVariablesError
from officeflow.fastrender import prepared_template
from officeflow.ledger import open_ledger
from officeflow.render import check_template

DOC = "CRM-CS-2024-005"


@pytest.fixture(autouse=True)
def _workspace_here(tmp_path: Path) -> None:
    """tmp_path is the workspace: an empty officeflow.toml makes it one."""
    (tmp_path / "officeflow.toml").write_text("", encoding="utf-8")


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """`officeflow -w tmp_path ARGS…`: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["-w", str(tmp_path), *args], prog_name="officeflow")
    return result.exit_code, result.stdout, result.stderr


def received(tmp_path: Path) -> list[str]:
    """Each version's 接收时间 as the commands print it (the CLI stamps the clock)."""
    ledger = open_ledger(tmp_path / ".officeflow" / "ledger.sqlite3")
    try:
        return [f"{v.received_at:%Y-%m-%d %H:%M}" for v in ledger.history(DOC).versions]
    finally:
        ledger.close()


def second_version(tmp_path: Path) -> Path:
    """V1.1 of the factory document, effective in the past, with its revision entry."""
    effective = date.today() - timedelta(days=10)
    log = [["V1.0", date(2024, 1, 1), "初稿编写", "新建流程", "王敏", "客服主管"],
           ["V1.1", effective - timedelta(days=20), "增加回访步骤", "业务调整", "王敏", "客服主管"]]
    reviews = [[level, name, effective - timedelta(days=days), "通过"]
               for level, name, days in (("初审", "王敏", 15), ("复审", "李强", 14), ("终审", "赵总", 13))]
    steps = [["1.1", "接收客户投诉信息（电话、邮件、在线表单）", "客服专员", "客户投诉内容、联系方式",
              "《客户投诉登记表》", "≤30分钟", "记录完整率100%"],
             ["1.2", "电话回访客户", "客服专员", "《客户投诉登记表》", "回访记录", "≤10分钟", "回访率100%"]]
    return make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": effective},
                         revisions=log, reviews=reviews, steps=steps)


# ------------------------------------------------------------- 9. click's own usage errors


def test_a_missing_option_is_reported_in_chinese(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "withdraw", DOC)
    assert (code, out) == (2, "")
    assert err == ("Usage: officeflow withdraw [OPTIONS] DOC_ID\n"
                   "运行 'officeflow withdraw --help' 查看帮助。\n"
                   "\n"
                   "错误 Error: 缺少选项 '--reason'.\n")


def test_an_unknown_command_is_reported_in_chinese(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "stauts", DOC)
    assert code == 2
    assert err.splitlines()[-1] == "错误 Error: 没有这个命令：'stauts'。 是否应为 'status'？"


def test_a_bad_choice_is_reported_in_chinese(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "template", "sopp")
    assert code == 2
    assert err.splitlines()[-1] == ("错误 Error: 参数 '{optimization|scenario|sop|standard}' 的值无效："
                                    "'sopp' 不是可选值之一：'optimization', 'scenario', 'sop', 'standard'。")


def test_a_missing_argument_and_a_missing_file_are_reported_in_chinese(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "status")
    assert (code, err.splitlines()[-1]) == (2, "错误 Error: 缺少参数 'DOC_ID'.")
    code, _, err = run(tmp_path, "validate", "nowhere.xlsx")
    assert (code, err.splitlines()[-1]) == (2, "错误 Error: 参数 'FILES...' 的值无效：文件 'nowhere.xlsx' 不存在。")
    code, _, err = run(tmp_path, "due", "--within", "x")
    assert (code, err.splitlines()[-1]) == (2, "错误 Error: 参数 '--within' 的值无效：'x' 不是有效的数值（integer）。")


# ------------------------------------------------------------- 9. settings errors


def test_a_mistyped_setting_names_the_key_and_the_likely_one(tmp_path: Path) -> None:
    (tmp_path / "officeflow.toml").write_text("revew_interval_months = 3\nreview_interval_months = 'six'\n",
                                              encoding="utf-8")
    code, out, err = run(tmp_path, "due")
    assert (code, out) == (2, "")
    assert err == (f"错误 Error: 配置文件 {tmp_path / 'officeflow.toml'} 有误：\n"
                   "  revew_interval_months：没有这个设置项，是否应为 review_interval_months？\n"
                   "  review_interval_months：值 'six' 无效，应为整数\n")


def test_a_toml_syntax_error_says_where(tmp_path: Path) -> None:
    (tmp_path / "officeflow.toml").write_text("strict = \n", encoding="utf-8")
    code, _, err = run(tmp_path, "due")
    assert (code, err) == (2, f"错误 Error: 配置文件 {tmp_path / 'officeflow.toml'} 不是有效的 TOML：第 1 行第 10 列"
                              "（Invalid value）\n")


def test_an_invalid_doc_id_pattern_is_a_configuration_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "officeflow.toml").write_text("doc_id_pattern = '^(?P<prefix>[A-Z]+-(?P<year>\\d{4})$'\n",
                                              encoding="utf-8")
    code, out, err = run(tmp_path, "validate", str(make_workbook(tmp_path)))
    assert (code, out) == (2, "")
    assert err == (f"错误 Error: 配置文件 {tmp_path / 'officeflow.toml'} 有误：\n"
                   "  doc_id_pattern：不是有效的正则表达式（missing ), unterminated subpattern，位置 1）\n")


# ------------------------------------------------------------- 9. a closed pipe is not an error


def _with_closed_stdout(tmp_path: Path, *args: str) -> tuple[int, str]:
    """`officeflow ARGS | head -0`: the reader has gone before the first line is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([sys.executable, "-m", "officeflow", "-w", str(tmp_path), *args],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    return done.returncode, done.stderr


@pytest.mark.slow
def test_audit_and_process_into_a_closed_pipe_exit_quietly(tmp_path: Path) -> None:
    code, err = _with_closed_stdout(tmp_path, "process", str(make_workbook(tmp_path)))
    assert (code, [line for line in err.splitlines() if " INFO " not in line]) == (141, [])
    assert run(tmp_path, "status", DOC)[0] == 0  # the work was done; only the printing stopped
    assert _with_closed_stdout(tmp_path, "audit") == (141, "")


# ------------------------------------------------------------- 9. case-insensitive IDs and versions


def test_status_and_diff_take_ids_and_versions_in_any_case(tmp_path: Path) -> None:
    assert run(tmp_path, "process", str(make_workbook(tmp_path)), str(second_version(tmp_path)))[0] == 0
    first, second = received(tmp_path)
    effective = (date.today() - timedelta(days=10)).isoformat()
    code, out, _ = run(tmp_path, "status", "crm-cs-2024-005")
    lines = out.splitlines()
    assert code == 0
    assert lines[:3] == [f"{DOC}  客户投诉处理流程",
                         "版本   状态    生效日期    失效日期    下次回顾    终审人  接收时间          废止原因",
                         f"V1.0   已失效   2024-08-01  {effective}  -           赵总    {first}"]
    assert lines[3].startswith(f"V1.1   现行有效  {effective}  -           ") and lines[3].endswith(f"赵总    {second}")
    code, out, _ = run(tmp_path, "diff", "crm-cs-2024-005", "v1.0", "ｖ１.１")
    assert (code, out) == (0, "- 步骤 1.1 的关键控制点由“记录完整率100%，分类准确率≥95%”改为“记录完整率100%”\n"
                              "- 新增步骤 1.2“电话回访客户”\n"
                              "- 删除步骤 1.2“转派至责任部门”\n"
                              "- 删除步骤 1.3“技术部分析并处理故障类投诉”\n")


def test_diff_of_an_unknown_document_says_so(tmp_path: Path) -> None:
    code, out, err = run(tmp_path, "diff", "CRM-CS-2024-999", "V1.0", "V1.1")
    assert (code, out, err) == (2, "", "错误 Error: 流程编号 CRM-CS-2024-999 不在台账中\n")


# ------------------------------------------------------------- 9. recall header, audit in Chinese


def test_recall_prints_a_header(tmp_path: Path) -> None:
    from officeflow.ledger import Event, TrainingCopy

    assert run(tmp_path, "process", str(make_workbook(tmp_path)))[0] == 0
    ledger = open_ledger(tmp_path / ".officeflow" / "ledger.sqlite3")
    try:
        copy = TrainingCopy(f"{DOC}-V1.0-T0001", DOC, "V1.0", 1, "客服部 张三",
                            __import__("datetime").datetime(2024, 8, 5, 9, 30), "培训副本/1.pdf")
        ledger.record_training_copies([copy], [Event("training-printed", DOC, "V1.0", copy.pdf_path, "",
                                                     f"{copy.serial} → {copy.recipient}", at=copy.printed_at)])
    finally:
        ledger.close()
    assert run(tmp_path, "process", str(second_version(tmp_path)))[0] == 0
    code, out, _ = run(tmp_path, "recall", DOC.lower())
    assert (code, out) == (0, f"{DOC} 需回收的旧版培训副本：1 份\n"
                              "副本编号                    版本  领用人       打印时间\n"
                              f"{DOC}-V1.0-T0001  V1.0  客服部 张三  2024-08-05 09:30\n")


def test_audit_names_events_in_chinese_and_json_keeps_the_codes(tmp_path: Path) -> None:
    assert run(tmp_path, "process", str(make_workbook(tmp_path)))[0] == 0
    code, out, _ = run(tmp_path, "audit", "--json")
    events = json.loads(out)
    assert (code, [e["event"] for e in events]) == (0, ["received", "validated", "issued", "exported"])
    at = [e["at"] for e in events]
    who = f"{events[0]['actor']}@{events[0]['host']}"
    sha = [e["sha256"][:12] for e in events]
    document = events[2]["file"]
    code, out, _ = run(tmp_path, "audit")
    assert (code, out.splitlines()) == (0, [
        f"{at[0]}  接收             {who}  book.xlsx  {sha[0]}",
        f"{at[1]}  校验通过      {DOC} V1.0  {who}  book.xlsx  {sha[1]}  0 warning(s)",
        f"{at[2]}  发布          {DOC} V1.0  {who}  {document}  {sha[2]}  {events[2]['detail']}",
        f"{at[3]}  导出台账         {who}  流程文件总台账.xlsx    {events[3]['detail']}",
    ])


# ------------------------------------------------------------- 10. template -o never overwrites silently


def test_template_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "mine.xlsx"
    target.write_bytes(b"the author's own work")
    code, out, err = run(tmp_path, "template", "sop", "-o", str(target))
    assert (code, out, err) == (2, "", f"错误 Error: {target} 已存在，未覆盖。确需覆盖请加 --force。\n")
    assert target.read_bytes() == b"the author's own work"
    code, out, _ = run(tmp_path, "template", "sop", "-o", str(target), "--force")
    assert (code, out) == (0, f"模板已生成 Template written: {target}\n")
    assert openpyxl.load_workbook(target)["基本信息"]["B3"].value == "标准化服务流程"


# ------------------------------------------------------------- 11. a broken Word template


def _break_template(tmp_path: Path) -> Path:
    """The quality office adds `{{ company }}` to the workspace's sop.docx."""
    assert run(tmp_path, "init", str(tmp_path))[0] == 0
    template = tmp_path / "templates" / "sop.docx"
    document = docx.Document(str(template))
    document.add_paragraph("{{ company }}")
    document.save(str(template))
    return template


def test_validate_and_process_name_the_template_and_the_unknown_variable(tmp_path: Path) -> None:
    template = _break_template(tmp_path)
    book = make_workbook(tmp_path)
    code, out, err = run(tmp_path, "validate", str(book))
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == f"错误 Error: Word 模板 {template} 使用了未知的变量 company。"
    assert lines[1].startswith("可用的变量：approver、")
    assert lines[2] == "这是模板的问题，不是工作簿的问题：请修改模板后重试。"
    code, out, err2 = run(tmp_path, "process", str(book))
    assert (code, err2) == (2, err)
    assert not list((tmp_path / "outbox").rglob("*.docx"))


def test_the_renderer_itself_names_the_template_and_the_unknown_variable(tmp_path: Path) -> None:
    """`process` needs no second look: the check before rendering raises the named error."""
    template = _break_template(tmp_path)
    context = {name: "" for name in prepared_template(template).undeclared_variables({}) - {"company"}}
    with pytest.raises(TemplateVariablesError) as caught:
        check_template(template, context)
    assert (caught.value.template, caught.value.unknown) == (template, ["company"])
    assert str(caught.value).splitlines()[0] == f"Word 模板 {template} 使用了未知的变量 company。"


# ------------------------------------------------------------- 12. an empty file


def test_an_empty_file_is_reported_at_once_by_validate_and_process(tmp_path: Path) -> None:
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    assert run(tmp_path, "validate", str(empty))[:2] == (
        1, "空.xlsx › 文件为空（0 字节）：请重新保存工作簿后提交。  [错误 file.empty]\n")
    code, out, _ = run(tmp_path, "process", str(empty))
    assert (code, out.splitlines()[:2]) == (1, ["退回 rejected  空.xlsx",
                                               "空.xlsx › 文件为空（0 字节）：请重新保存工作簿后提交。  [错误 file.empty]"])
