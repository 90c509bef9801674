"""The whole usual output of init, template, validate, process, regenerate and --help, every line (issue 9 item 10).

Real workbooks (tests/factory.py) through the real CLI (click's CliRunner). stdout and stderr are
asserted apart and whole. A duration is the only part matched by a pattern (`ANY_MS`, `ANY_S`):
it is the wall-clock time of the run. Dates are computed. The other control commands (due,
next-id, verify, register export, withdraw, training) are in tests/test_cli_outputs.py.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import click
import openpyxl
import pytest
from click.testing import CliRunner
from factory import REVISIONS, STEPS, make_workbook
from test_fastrender import edit_template

from officeflow.cli import main

DOC = "CRM-CS-2024-005"
KINDS = ["optimization", "scenario", "sop", "standard"]  # the shipped kinds, each has a template
Line = str | re.Pattern[str]


def run(*args: str) -> tuple[int, str, str]:
    """`officeflow ARGS…` at 80 columns (help is wrapped to the terminal): (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, list(args), prog_name="officeflow", terminal_width=80)
    return result.exit_code, result.stdout, result.stderr


def in_ws(ws: Path, *args: str) -> tuple[int, str, str]:
    return run("-w", str(ws), *args)


def with_ms(text: str) -> re.Pattern[str]:
    """`text` exactly, then `  (N ms)`: how long processing took, which no test can know."""
    return re.compile(re.escape(text) + r"  \(\d+ ms\)")


def with_seconds(text: str) -> re.Pattern[str]:
    """`text` exactly, then `（N.N s）`: regenerate's wall-clock time, which no test can know."""
    return re.compile(re.escape(text) + r"（\d+\.\d s）")


def assert_lines(output: str, expected: list[Line]) -> None:
    """Every line of `output` equals its expected line; a pattern must match the whole line."""
    lines = output.splitlines()
    assert len(lines) == len(expected), output
    for line, want in zip(lines, expected, strict=True):
        if isinstance(want, str):
            assert line == want
        else:
            assert want.fullmatch(line), (line, want.pattern)


def issued_line(ws: Path, book: str, version: str, status: str, effective: str, doc: str = DOC) -> re.Pattern[str]:
    document = ws / "outbox" / "客户服务类" / "客服部" / effective / f"{doc}_{version}.docx"
    return with_ms(f"已发布 issued  {book} → {doc} {version} {status}  {document}")


def summary_line(ws: Path, total: int, issued: int, rejected: int, duplicate: int) -> str:
    return (f"共 {total} 个文件：发布 {issued}，退回 {rejected}，重复 {duplicate}。"
            f"台账 Register: {ws / 'outbox' / '流程文件总台账.xlsx'}")


def is_chinese(char: str) -> bool:
    return unicodedata.east_asian_width(char) == "W"


def test_init_in_an_empty_folder_says_where_the_workspace_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    monkeypatch.delenv("OFFICEFLOW_WORKSPACE", raising=False)
    ready = (0, f"工作区已就绪 Workspace ready: {empty.resolve()}\n", "")
    assert run("init") == ready
    assert sorted(p.name for p in empty.iterdir()) == ["inbox", "officeflow.toml", "outbox", "templates"]
    assert run("init") == ready  # again, on the workspace it made: the same line


def test_the_shipped_kinds_are_the_ones_tested_here() -> None:
    from officeflow.kinds import KINDS as SHIPPED

    assert sorted(SHIPPED) == KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_template_prints_the_file_it_wrote(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("template", kind) == (0, f"模板已生成 Template written: {kind}.xlsx\n", "")
    assert openpyxl.load_workbook(tmp_path / f"{kind}.xlsx").sheetnames[0] == "填写说明"
    target = tmp_path / "forms" / f"{kind}-blank.xlsx"
    target.parent.mkdir()
    assert run("template", kind, "-o", str(target)) == (0, f"模板已生成 Template written: {target}\n", "")


def test_template_never_overwrites_without_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run("template", "sop")
    assert run("template", "sop") == (2, "", "错误 Error: sop.xlsx 已存在，未覆盖。确需覆盖请加 --force。\n")
    assert run("template", "sop", "--force") == (0, "模板已生成 Template written: sop.xlsx\n", "")


def test_template_of_an_unknown_kind_lists_the_kinds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("template", "sops")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "Usage: officeflow template [OPTIONS] {optimization|scenario|sop|standard}",
        "运行 'officeflow template --help' 查看帮助。",
        "",
        "错误 Error: 参数 '{optimization|scenario|sop|standard}' 的值无效：'sops' 不是可选值之一："
        "'optimization', 'scenario', 'sop', 'standard'。",
    ]


# ---- validate -------------------------------------------------------------------------------------

WRONG_ID = ("bad.xlsx › 基本信息!B5: 流程编号“X1”不符合编号规则（前缀-类别-年份-序号），如 CRM-CS-2024-005。"
            "  [错误 numbering.doc-id-format]")
WARNINGS = [
    "warn.xlsx › 基本信息!B13: “流程目标”含模糊词“尽快”：请写明谁在什么时间做到什么标准。  [警告 wording.vague]",
    "warn.xlsx › 流程步骤!C3: 责任角色“外包人员”未列在适用角色中：请在基本信息的适用角色里补上，或改用已列出的角色。"
    "  [警告 roles.unknown]",
    "warn.xlsx › 流程步骤!F4: 无法识别时限“看情况”：请写成可度量的时长，如 ≤30分钟、≤2小时、≤1个工作日、即时。"
    "  [警告 duration.unparsed]",
]
STEP_GAP = "第一个步骤编号应为 1 或 1.1，这里是 2，请从 1 开始连续编号。  [错误 numbering.step-gap]"


def warned_workbook(folder: Path, **fields: str) -> Path:
    """Three warnings, no error: a vague 流程目标, a role not in 适用角色, a 耗时 that is no duration."""
    steps = [list(step) for step in STEPS]
    steps[1][2] = "外包人员"
    steps[2][5] = "看情况"
    return make_workbook(folder, "warn.xlsx", fields={"流程目标": "尽快处理投诉，7个工作日内解决", **fields},
                         steps=steps)


def test_validate_a_good_workbook(tmp_path: Path, ws: Path) -> None:
    assert in_ws(ws, "validate", str(make_workbook(tmp_path, "good.xlsx"))) == (0, "good.xlsx › 通过 OK\n", "")
    assert not (ws / "outbox").exists()  # validate changes nothing


def test_validate_a_workbook_with_one_error(tmp_path: Path, ws: Path) -> None:
    bad = make_workbook(tmp_path, "bad.xlsx", fields={"流程编号": "X1"})
    assert in_ws(ws, "validate", str(bad)) == (1, WRONG_ID + "\n", "")


def test_validate_a_workbook_with_warnings_passes_unless_strict(tmp_path: Path, ws: Path) -> None:
    warned = warned_workbook(tmp_path)
    assert in_ws(ws, "validate", str(warned)) == (0, "\n".join(WARNINGS) + "\n", "")
    assert in_ws(ws, "validate", "--strict", str(warned)) == (1, "\n".join(WARNINGS) + "\n", "")


def test_validate_several_workbooks_reports_each_in_order(tmp_path: Path, ws: Path) -> None:
    books = [make_workbook(tmp_path, "good.xlsx"), make_workbook(tmp_path, "bad.xlsx", fields={"流程编号": "X1"}),
             warned_workbook(tmp_path)]
    lines = ["good.xlsx › 通过 OK", WRONG_ID, *WARNINGS]
    assert in_ws(ws, "validate", *map(str, books)) == (1, "\n".join(lines) + "\n", "")


def test_validate_of_an_archived_workbook_agrees_with_process(tmp_path: Path, ws: Path) -> None:
    good = make_workbook(tmp_path, "good.xlsx")
    in_ws(ws, "process", str(good))
    duplicate = f"与已归档的 {DOC} V1.0 内容完全相同，未重复处理。"
    code, out, err = in_ws(ws, "process", str(good))
    assert (code, out.splitlines()[0], err) == (0, f"重复 duplicate  good.xlsx: {duplicate}", "")
    assert in_ws(ws, "validate", str(good)) == (0, f"good.xlsx › 重复 duplicate: {duplicate}\n", "")
    assert in_ws(ws, "validate", "--json", str(good)) == (0, "[]\n", "")  # a duplicate is no finding


def test_validate_of_a_resaved_copy_agrees_with_process(tmp_path: Path, ws: Path) -> None:
    good = make_workbook(tmp_path, "good.xlsx")
    in_ws(ws, "process", str(good))
    book = openpyxl.load_workbook(good)
    book.properties.lastModifiedBy = "另一台电脑"  # other bytes, the same content
    book.save(tmp_path / "resaved.xlsx")
    same = "内容与已归档的 V1.0 相同（仅文件字节不同，如另存/重新保存），不会重复发布。"
    assert in_ws(ws, "validate", str(tmp_path / "resaved.xlsx")) == (
        0, f"resaved.xlsx › 重复 duplicate: {same}\n", "")
    assert in_ws(ws, "process", str(tmp_path / "resaved.xlsx"))[:2] == (0, "\n".join([
        f"重复 duplicate  resaved.xlsx: {same}", summary_line(ws, 1, 0, 0, 1)]) + "\n")


def test_process_one_issued_one_rejected_one_duplicate_in_one_call(tmp_path: Path, ws: Path) -> None:
    good = make_workbook(tmp_path, "good.xlsx")
    bad = make_workbook(tmp_path, "bad.xlsx", fields={"流程编号": "CRM-CS-2024-011", "流程名称": "客户回访流程"},
                        steps=[["2", "x", "客服专员"]])
    copy = shutil.copyfile(good, tmp_path / "copy.xlsx")
    code, out, err = in_ws(ws, "process", str(good), str(bad), str(copy))
    assert (code, err) == (1, "")
    assert_lines(out, [
        issued_line(ws, "good.xlsx", "V1.0", "现行有效", "2024-08-01"),
        "退回 rejected  bad.xlsx",
        f"bad.xlsx › 流程步骤!A2: {STEP_GAP}",
        f"重复 duplicate  copy.xlsx: 与已归档的 {DOC} V1.0 内容完全相同，未重复处理。",
        summary_line(ws, 3, 1, 1, 1),
    ])


def test_process_prints_the_same_findings_as_validate(tmp_path: Path, ws: Path) -> None:
    warned = warned_workbook(tmp_path, 流程编号="CRM-CS-2024-012")
    bad = make_workbook(tmp_path, "bad.xlsx", steps=[["2", "x", "客服专员"]])
    assert in_ws(ws, "validate", str(bad)) == (1, f"bad.xlsx › 流程步骤!A2: {STEP_GAP}\n", "")
    code, out, err = in_ws(ws, "process", str(warned), str(bad))
    assert (code, err) == (1, "")
    assert_lines(out, [
        issued_line(ws, "warn.xlsx", "V1.0", "现行有效", "2024-08-01", doc="CRM-CS-2024-012"),
        *WARNINGS,  # an issued workbook's warnings, as validate printed them
        "退回 rejected  bad.xlsx",
        f"bad.xlsx › 流程步骤!A2: {STEP_GAP}",
        summary_line(ws, 2, 1, 1, 0),
    ])


def test_process_a_resaved_copy_is_a_duplicate_naming_the_version(tmp_path: Path, ws: Path) -> None:
    good = make_workbook(tmp_path, "good.xlsx")
    in_ws(ws, "process", str(good))
    book = openpyxl.load_workbook(good)
    book.properties.lastModifiedBy = "另一台电脑"  # as another program saves it: other bytes, the same content
    book.save(tmp_path / "resaved.xlsx")
    assert (tmp_path / "resaved.xlsx").read_bytes() != good.read_bytes()
    assert in_ws(ws, "process", str(tmp_path / "resaved.xlsx")) == (0, "\n".join([
        "重复 duplicate  resaved.xlsx: 内容与已归档的 V1.0 相同（仅文件字节不同，如另存/重新保存），不会重复发布。",
        summary_line(ws, 1, 0, 0, 1),
    ]) + "\n", "")


def test_process_a_pending_version_prints_its_effective_date(tmp_path: Path, ws: Path) -> None:
    in_ws(ws, "process", str(make_workbook(tmp_path, "v10.xlsx")))
    today = date.today()
    effective = today + timedelta(days=30)
    v11 = make_workbook(tmp_path, "v11.xlsx", fields={"版本号": "V1.1", "生效日期": effective},
                        revisions=[*REVISIONS, ["V1.1", today - timedelta(days=10), "增加回访步骤", "业务调整",
                                                "王敏", "客服主管"]],
                        reviews=[["初审", "王敏", today - timedelta(days=5), "通过"],
                                 ["复审", "李强", today - timedelta(days=4), "通过"],
                                 ["终审", "赵总", today - timedelta(days=3), "通过"]])
    code, out, err = in_ws(ws, "process", str(v11))
    assert (code, err) == (0, "")
    assert_lines(out, [issued_line(ws, "v11.xlsx", "V1.1", "待生效", f"{effective:%Y-%m-%d}"),
                       summary_line(ws, 1, 1, 0, 0)])


def two_documents(tmp_path: Path, ws: Path) -> None:
    """CRM-CS-2024-005 and HR-TR-2024-012, both V1.0, both sop; the workspace has its own sop.docx."""
    hr = make_workbook(tmp_path, "hr.xlsx", fields={"流程编号": "HR-TR-2024-012", "流程名称": "员工培训流程"})
    assert in_ws(ws, "process", str(make_workbook(tmp_path, "good.xlsx")), str(hr))[0] == 0
    (ws / "templates").mkdir(exist_ok=True)
    shutil.copyfile(str(resources.files("officeflow.bundled_templates") / "sop.docx"), ws / "templates" / "sop.docx")


def change_the_template(ws: Path) -> None:
    edit_template(ws / "templates" / "sop.docx", "一、基本信息", "一、基本资料")


def test_regenerate_all_without_and_with_a_change(tmp_path: Path, ws: Path) -> None:
    two_documents(tmp_path, ws)
    unchanged = with_seconds("已更新 changed 0，未变 unchanged 2，失败 failed 0")
    for _ in range(2):  # twice: nothing to change is said the same way each time
        code, out, err = in_ws(ws, "regenerate", "--all", "--workers", "1")
        assert (code, err) == (0, "")
        assert_lines(out, [unchanged])
    change_the_template(ws)
    code, out, err = in_ws(ws, "regenerate", "--all", "--dry-run", "--workers", "1")
    assert (code, err) == (0, "")
    assert_lines(out, [with_seconds("将更新 would change 2，未变 unchanged 0，失败 failed 0")])
    code, out, err = in_ws(ws, "regenerate", "--all", "--workers", "1")
    assert (code, err) == (0, "")
    assert_lines(out, [with_seconds("已更新 changed 2，未变 unchanged 0，失败 failed 0")])
    code, out, err = in_ws(ws, "regenerate", "--all", "--workers", "1")
    assert (code, err) == (0, "")
    assert_lines(out, [unchanged])


def test_regenerate_one_document_without_and_with_a_change(tmp_path: Path, ws: Path) -> None:
    two_documents(tmp_path, ws)
    code, out, err = in_ws(ws, "regenerate", DOC, "--workers", "1")
    assert (code, err) == (0, "")
    assert_lines(out, [with_seconds("已更新 changed 0，未变 unchanged 1，失败 failed 0")])
    change_the_template(ws)
    code, out, err = in_ws(ws, "regenerate", DOC, "--workers", "1")
    assert (code, err) == (0, "")
    assert_lines(out, [with_seconds("已更新 changed 1，未变 unchanged 0，失败 failed 0")])
    code, out, err = in_ws(ws, "regenerate", "--all", "--workers", "1")  # the other one is still to do
    assert (code, err) == (0, "")
    assert_lines(out, [with_seconds("已更新 changed 1，未变 unchanged 1，失败 failed 0")])


def test_regenerate_names_a_version_that_failed(tmp_path: Path, ws: Path) -> None:
    two_documents(tmp_path, ws)
    change_the_template(ws)
    source = next((ws / "outbox").rglob("HR-TR-2024-012_V1.0.xlsx"))
    source.write_bytes(source.read_bytes()[:500])
    code, out, err = in_ws(ws, "regenerate", "--all", "--workers", "1")
    assert (code, err) == (1, "")
    assert_lines(out, [
        "失败 failed: HR-TR-2024-012 V1.0: 归档的源工作簿已损坏或被改动（SHA-256 不符）"
        "/ archived source workbook is corrupt or was altered (SHA-256 mismatch)",
        with_seconds("已更新 changed 1，未变 unchanged 0，失败 failed 1"),
    ])


def test_regenerate_an_unknown_document_is_an_error(tmp_path: Path, ws: Path) -> None:
    two_documents(tmp_path, ws)
    assert in_ws(ws, "regenerate", "XX-2024-001") == (
        2, "", "错误 Error: 未找到流程编号 / unknown document(s): XX-2024-001\n")


def test_regenerate_finds_a_document_typed_in_lower_case(tmp_path: Path, ws: Path) -> None:
    two_documents(tmp_path, ws)
    code, out, err = in_ws(ws, "regenerate", DOC.lower(), "--workers", "1")
    assert (code, err) == (0, "")
    assert_lines(out, [with_seconds("已更新 changed 0，未变 unchanged 1，失败 failed 0")])


def test_regenerate_without_a_selection_says_so_in_chinese(ws: Path) -> None:
    assert in_ws(ws, "regenerate") == (2, "", "\n".join([
        "Usage: officeflow regenerate [OPTIONS] [DOC_IDS]...",
        "运行 'officeflow regenerate --help' 查看帮助。",
        "",
        "错误 Error: 请指定流程编号、--all 或 --kind / give DOC_ID…, --all or --kind",
    ]) + "\n")


def test_training_without_a_document_says_so_in_chinese(ws: Path) -> None:
    assert in_ws(ws, "training") == (2, "", "\n".join([
        "Usage: officeflow training [OPTIONS] [DOC_ID]",
        "运行 'officeflow training --help' 查看帮助。",
        "",
        "错误 Error: 请指定流程编号或 --current / give DOC_ID or --current",
    ]) + "\n")


# ---- --help ---------------------------------------------------------------------------------------

HELP = [
    "Usage: officeflow [OPTIONS] COMMAND [ARGS]...",
    "",
    "  officeflow 流程文件管理：校验工作簿，发布受控 Word 文件，维护总台账。",
    "",
    "  Validate process workbooks, issue them as controlled Word documents, keep the",
    "  register.",
    "",
    "Options:",
    "  --version            Show the version and exit.",
    "  -w, --workspace DIR  Workspace folder (officeflow.toml, templates/, inbox/,",
    "                       outbox/).  [default: ($OFFICEFLOW_WORKSPACE or .)]",
    "  -v, --verbose        Debug logging and tracebacks.",
    "  --help               Show this message and exit.",
    "",
    "Commands:",
    "  audit       审计记录 Print the audit trail (all events, or those of DOC_ID)",
    "  diff        版本差异 What changed in DOC_ID between versions OLD and NEW",
    "  due         到期回顾 Current documents whose periodic review is due soon",
    "  feedback    问题反馈 List the feedback (of DOC_ID) for the next review",
    "  flowchart   流程图 Draw the swimlane flowchart of a workbook or DOC_ID",
    "  init        创建工作区 Create a workspace: config, templates, folders",
    "  ledger      台账数据库 Which ledger is in use; move it to PostgreSQL",
    "  next-id     下一个流程编号 Print the next free ID for PREFIX[-CAT]",
    "  notices     邮件通知 Mail the release, review and withdrawal notices due",
    "  process     处理工作簿 Validate and issue workbooks; exit 1 if any rejected",
    "  recall      回收培训副本 Copies of obsolete versions still out; close them",
    "  regenerate  重新生成 Re-render archived documents with current templates",
    "  register    总台账 The master register spreadsheet (export, rebuild)",
    "  serve       流程知识库 Serve the process knowledge base in the browser",
    "  status      版本状态 Every version of DOC_ID with today's status and dates",
    "  template    空白模板 Write a blank template workbook for KIND",
    "  training    培训副本 Print training copies (PDF) of a document",
    "  validate    校验工作簿 Check workbooks, change nothing; exit 1 on an error",
    "  verify      完整性校验 Re-hash the archive, check the audit chain",
    "  watch       监视收件箱 Watch the inbox, process every workbook dropped there",
    "  withdraw    废止或撤销 Withdraw DOC_ID or revoke one pending version",
]


def every_command(group: click.Group = main, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The group itself, its commands and the commands of its subgroups, as typed."""
    found = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += every_command(command, (*path, name))
        else:
            found.append((*path, name))
    return found


def help_section(title: str, *command: str) -> list[str]:
    code, out, err = run(*command, "--help")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    if title not in lines:
        return []
    start = lines.index(title) + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def display_width(text: str) -> int:
    """Columns on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def test_help_lists_every_command() -> None:
    code, out, err = run("--help")
    assert (code, err) == (0, "")
    assert out.splitlines() == HELP


@pytest.mark.parametrize("command", every_command(), ids=lambda path: " ".join(path) or "officeflow")
def test_help_describes_each_command_in_chinese_first(command: tuple[str, ...]) -> None:
    listed = help_section("Commands:", *command)
    english = [line for line in listed if not is_chinese(line.split(maxsplit=1)[1][0])]
    assert english == []
    assert [line for line in listed if line.endswith(("e.g.", "i.e.", "..."))] == []  # cut mid-sentence


@pytest.mark.parametrize("command", every_command(), ids=lambda path: " ".join(path) or "officeflow")
def test_help_options_start_in_one_column_and_fit_80_columns(command: tuple[str, ...]) -> None:
    def description_column(line: str) -> int:
        before = re.match(r"( +-\S.*?  +)\S", line)
        assert before is not None, line
        return display_width(before.group(1))

    options = [line for line in help_section("Options:", *command) if line.lstrip().startswith("-")]
    described = [line for line in options if re.search(r"\S  +\S", line)]  # a long option's text goes below
    assert len({description_column(line) for line in described}) == 1, options
    wide = [line for line in run(*command, "--help")[1].splitlines() if display_width(line) > 80]
    assert wide == []
