"""Flowcharts (issue 12): the diagram's structure read back from the SVG itself.

Workbooks are built as a person fills them (tests/factory.py, the shipped examples) and go
through the real reader; the SVG is parsed and its lanes, steps, arrows and marks compared
with the steps table.
"""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from conftest import TODAY
from factory import STEP_HEADER, sop_sheets, write_book
from lxml import etree

from officeflow import flowchart
from officeflow.catalog import Field, KindSpec
from officeflow.flow.geometry import MIN_FONT
from officeflow.flow.svg import draw
from officeflow.kinds import KINDS, register_kind, unregister_kind
from officeflow.kinds.sop import SOP, STEPS
from officeflow.model import ParsedDocument, parse_document
from officeflow.reader import read_workbook
from officeflow.records import DocumentHistory
from officeflow.rules import RuleContext
from officeflow.settings import Settings
from officeflow.validate import validate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SVG = "{http://www.w3.org/2000/svg}"


def parse(path: Path) -> ParsedDocument:
    return parse_document(read_workbook(path.read_bytes()))


def tree(svg: bytes) -> etree._Element:
    return etree.fromstring(svg)


def lanes(root: etree._Element, helper: str = "0") -> list[str]:
    band = root.find(f"{SVG}g[@data-band='0']")
    return [g.get("data-lane") for g in band.findall(f"{SVG}g[@class='lane']")
            if g.get("data-helper") == helper]


def steps(root: etree._Element) -> list[str]:
    return [g.get("data-step") for g in root.iter(f"{SVG}g") if g.get("class") == "step"]


def arrows(root: etree._Element) -> list[tuple[str, str, str]]:
    return [(g.get("data-from"), g.get("data-to"), g.get("data-label"))
            for g in root.iter(f"{SVG}g") if g.get("class") == "arrow"]


def marked(root: etree._Element, mark: str) -> list[str]:
    return [g.get("data-step") for g in root.iter(f"{SVG}g")
            if g.get("class") == "step" and mark in g.get("data-marks").split()]


def step_lane(root: etree._Element, number: str) -> str:
    """The name of the lane a step's box sits in."""
    box = next(g for g in root.iter(f"{SVG}g") if g.get("data-step") == number and g.get("class") == "step")
    band = root.find(f"{SVG}g[@data-band='0']")
    return band.findall(f"{SVG}g[@class='lane']")[int(box.get("data-lane-index"))].get("data-lane")


def sop_book(tmp_path: Path, rows: list[list[object]], roles: str, name: str = "book.xlsx") -> Path:
    return write_book(tmp_path / name, sop_sheets({"适用角色": roles}, steps=rows))


def test_sop_lanes_steps_arrows_and_marks(tmp_path: Path) -> None:
    rows = [
        ["1.1", "接收客户投诉信息（电话、邮件、在线表单）", "客服专员", "", "", "≤30分钟", "记录完整率100%"],
        ["1.2", "投诉分级", "客服主管", "", "", "≤15分钟", ""],
        ["1.3", "技术部分析并处理故障类投诉", "技术支持工程师", "", "", "≤2个工作日", "方案一次通过率≥90%"],
        ["1.4", "回访客户", "客服专员", "", "", "≤1小时", ""],
    ]
    parsed = parse(sop_book(tmp_path, rows, "客服专员、客服主管、技术支持工程师"))
    root = tree(flowchart.svg_for(parsed))

    assert lanes(root) == ["客服专员", "客服主管", "技术支持工程师"]
    assert lanes(root, helper="1") == []
    assert steps(root) == ["1.1", "1.2", "1.3", "1.4"]
    assert [step_lane(root, n) for n in ("1.1", "1.2", "1.3", "1.4")] == [
        "客服专员", "客服主管", "技术支持工程师", "客服专员"]
    assert arrows(root) == [("start", "1.1", ""), ("1.1", "1.2", ""), ("1.2", "1.3", ""),
                            ("1.3", "1.4", ""), ("1.4", "end", "")]
    assert marked(root, "control") == ["1.1", "1.3"]
    assert marked(root, "bottleneck") == ["1.3"]
    legend = [g.get("data-mark") for g in root.iter(f"{SVG}g") if g.get("class") == "legend-item"]
    assert legend == ["control", "bottleneck"]
    # The short name drops the bracketed note; the tooltip keeps the whole action.
    box = next(g for g in root.iter(f"{SVG}g") if g.get("data-step") == "1.1")
    texts = [t.text for t in box.findall(f"{SVG}text")]
    assert texts == ["1.1", "接收客户投诉信", "息", "≤30分钟"]
    assert box.find(f"{SVG}title").text.splitlines()[0] == "1.1 接收客户投诉信息（电话、邮件、在线表单）"
    assert [t.get("data-terminal") for t in root.iter(f"{SVG}g") if t.get("class") == "terminal"] == [
        "start", "end"]


def test_every_text_is_at_least_8pt_and_chinese_font_named_first(tmp_path: Path) -> None:
    parsed = parse(EXAMPLES / "客户投诉处理流程_CRM-CS-2024-005.xlsx")
    root = tree(flowchart.svg_for(parsed))
    assert root.get("width") == "160mm"
    assert root.get("viewBox").split()[2] == "160"  # 1 user unit = 1 mm at print size
    assert root.get("font-family").startswith("'Noto Sans CJK SC'")
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "zh-CN"
    sizes = {float(t.get("font-size")) for t in root.iter(f"{SVG}text")}
    assert min(sizes) >= MIN_FONT


def test_optimization_raci_helpers_and_bottleneck() -> None:
    parsed = parse(EXAMPLES / "企业客户投诉处理流程_CSC-2024-001.xlsx")
    root = tree(flowchart.svg_for(parsed))
    assert lanes(root) == ["客服专员", "客服主管"]
    assert lanes(root, helper="1") == ["销售", "法务"]
    links = [(g.get("data-from"), g.get("data-to")) for g in root.iter(f"{SVG}g")
             if g.get("class") == "link"]
    assert links == [("3", "3@销售"), ("3", "3@法务")]
    assert marked(root, "bottleneck") == ["3"]  # ≤4小时 of 6.25 h; none above 48 h ÷ 5
    box = next(g for g in root.iter(f"{SVG}g") if g.get("data-step") == "3")
    assert [t.text for t in box.findall(f"{SVG}text")][-1] == "A：客服经理"


def test_steps_over_their_share_of_the_cycle_are_bottlenecks(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(EXAMPLES / "企业客户投诉处理流程_CSC-2024-001.xlsx")
    sheet = book["基本信息"]
    cell = next(row[1] for row in sheet.iter_rows() if "总流程周期" in str(row[0].value))
    cell.value = "≤2小时"  # 24 minutes a step: 30 min, 4 h, 1 h and 30 min are over
    book.save(tmp_path / "cycle.xlsx")
    root = tree(flowchart.svg_for(parse(tmp_path / "cycle.xlsx")))
    assert marked(root, "bottleneck") == ["2", "3", "4", "5"]


def test_scenario_supporting_departments_and_standard_phases() -> None:
    scenario = tree(flowchart.svg_for(parse(EXAMPLES / "新业务上线流程规范_PRD-NB-2024-001.xlsx")))
    assert lanes(scenario) == ["市场部", "产品部", "技术部"]
    assert lanes(scenario, helper="1") == ["财务部", "客服部"]
    assert steps(scenario) == ["1", "2", "3", "4", "5", "6"]

    standard = tree(flowchart.svg_for(parse(EXAMPLES / "产品服务标准与客户投诉处理操作流程_QM-ST-2024-001.xlsx")))
    phases = [g.get("data-phase") for g in standard.iter(f"{SVG}g") if g.get("class") == "phase"]
    assert phases == ["接收投诉", "问题分类", "处理执行", "解决方案", "回访验证"]
    box = next(g for g in standard.iter(f"{SVG}g") if g.get("data-step") == "1")
    assert [t.text for t in box.findall(f"{SVG}text")] == ["1", "记录投诉信息", "即时", "标准：CS-003"]


def test_sub_steps_are_grouped_under_their_phase(tmp_path: Path) -> None:
    rows = [[n, f"步骤{n}", "员工", "", "", "≤1小时", ""] for n in ("1.1", "1.2", "2.1", "2.2")]
    root = tree(flowchart.svg_for(parse(sop_book(tmp_path, rows, "员工"))))
    phases = [(g.get("data-phase"), g.find(f"{SVG}text").text) for g in root.iter(f"{SVG}g")
              if g.get("class") == "phase"]
    assert phases == [("1", "阶段1"), ("2", "阶段2")]


def test_long_names_wrap_and_only_a_cut_name_ends_with_an_ellipsis(tmp_path: Path) -> None:
    rows = [["1", "核对客户提交的全部票据原件与电子扫描件是否一致并登记", "员工", "", "", "≤1小时", ""],
            ["2", "审批", "员工", "", "", "≤1小时", ""]]
    root = tree(flowchart.svg_for(parse(sop_book(tmp_path, rows, "员工"))))
    first, second = ([t.text for t in g.findall(f"{SVG}text")] for g in root.iter(f"{SVG}g")
                     if g.get("class") == "step")
    assert first[1:3] == ["核对客户提交的", "全部票据原件…"]
    assert second[1] == "审批"


def test_markup_characters_are_escaped(tmp_path: Path) -> None:
    rows = [["1", "核对 R&D <内部> 单据", "A&B组", "", "", "≤1小时", "准确率≥95%"]]
    root = tree(flowchart.svg_for(parse(sop_book(tmp_path, rows, "A&B组"))))
    assert lanes(root) == ["A&B组"]
    box = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "step")
    assert [t.text for t in box.findall(f"{SVG}text")][1:3] == ["核对 R&D <内", "部> 单据"]


# ---------------------------------------------------------------- 后续步骤 (decisions)

NEXT = Field("next", "后续步骤", "Next steps", hint="留空为下一步；如 3，或 是→3；否→5", width=16)
BRANCH_KIND = replace(SOP, key="branching", label="带分支的服务流程（测试）",
                      tables=(replace(STEPS, columns=(*STEPS.columns, NEXT)), *SOP.tables[1:]),
                      rules=(*SOP.rules, flowchart.next_steps))


@pytest.fixture
def branching() -> KindSpec:
    register_kind(BRANCH_KIND)
    yield BRANCH_KIND
    unregister_kind(BRANCH_KIND.key)


def decision_book(tmp_path: Path, next_of_2: str = "是→3；否→5") -> Path:
    sheets = sop_sheets({"模板类型": BRANCH_KIND.label, "适用角色": "客服专员、客服主管、技术支持工程师"})
    sheets["流程步骤"] = [[*STEP_HEADER, "后续步骤"],
                        ["1", "接收投诉", "客服专员", "", "", "≤30分钟", "", ""],
                        ["2", "是否需要技术处理", "客服主管", "", "", "≤15分钟", "判断准确率≥95%", next_of_2],
                        ["3", "技术处理", "技术支持工程师", "", "", "≤1个工作日", "", ""],
                        ["4", "复核方案", "客服主管", "", "", "≤1小时", "", "2"],
                        ["5", "答复客户", "客服专员", "", "", "≤1小时", "", "结束"]]
    return write_book(tmp_path / "decision.xlsx", sheets)


def test_next_steps_column_draws_a_decision(tmp_path: Path, branching: KindSpec) -> None:
    parsed = parse(decision_book(tmp_path))
    assert parsed.kind.key == "branching"
    root = tree(flowchart.svg_for(parsed))
    assert arrows(root) == [("start", "1", ""), ("1", "2", ""), ("2", "3", "是"), ("2", "5", "否"),
                            ("3", "4", ""), ("4", "2", ""), ("5", "end", "")]
    assert marked(root, "decision") == ["2"]
    assert "decision" in [g.get("data-mark") for g in root.iter(f"{SVG}g") if g.get("class") == "legend-item"]


def test_next_step_that_does_not_exist_is_a_finding_on_its_cell(tmp_path: Path, branching: KindSpec) -> None:
    parsed = parse(decision_book(tmp_path, "是→3；否→9"))
    ctx = RuleContext(Settings(), DocumentHistory("CRM-CS-2024-005", []), TODAY)
    found = [(f.code, f.sheet, f.cell, f.message) for f in validate(parsed, ctx) if f.code.startswith("flow.")]
    assert found == [("flow.next-unknown", "流程步骤", "H3",
                      "后续步骤“是→3；否→9”指向的步骤 9 不存在：请改为已有的步骤编号，或填写“结束”。")]


# ---------------------------------------------------------------- determinism, cache, size


def _svg_sha_in_fresh_process(path: Path) -> str:
    code = ("import hashlib,sys; from pathlib import Path; from officeflow import flowchart;"
            "from officeflow.model import parse_document; from officeflow.reader import read_workbook;"
            "d=parse_document(read_workbook(Path(sys.argv[1]).read_bytes()));"
            "print(hashlib.sha256(flowchart.svg_for(d)).hexdigest())")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                          check=True, cwd=ROOT).stdout.strip()


def test_same_steps_give_byte_identical_svg_in_another_process() -> None:
    path = EXAMPLES / "企业客户投诉处理流程_CSC-2024-001.xlsx"
    here = hashlib.sha256(flowchart.svg_for(parse(path))).hexdigest()
    assert _svg_sha_in_fresh_process(path) == here


def test_drawing_is_cached_by_the_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counting_draw(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return draw(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(flowchart, "draw", counting_draw)
    rows = [["1", "登记", "员工", "", "", "≤1小时", ""], ["2", "审批", "经理", "", "", "≤1小时", ""]]
    first = flowchart.svg_for(parse(sop_book(tmp_path, rows, "员工、经理", "a.xlsx")))
    # Another workbook with other basic information but the same steps and name: not redrawn.
    other = write_book(tmp_path / "b.xlsx", sop_sheets({"适用角色": "员工、经理", "流程负责人": "李四",
                                                        "生效日期": date(2025, 1, 1)}, steps=rows))
    assert flowchart.svg_for(parse(other)) == first
    assert len(calls) == 1
    rows[1][1] = "部门审批"
    flowchart.svg_for(parse(sop_book(tmp_path, rows, "员工、经理", "c.xlsx")))
    assert len(calls) == 2


def thirty_steps(tmp_path: Path) -> Path:
    roles = ["客服专员", "客服主管", "技术支持工程师", "质量专员", "法务专员", "财务专员", "部门经理", "运营总监"]
    # Hand-offs in no particular order (every role used), as a real 30-step process has them.
    order = [0, 1, 0, 2, 3, 1, 4, 4, 5, 2, 6, 7, 0, 3, 5, 1, 6, 2, 0, 7, 4, 3, 1, 5, 6, 0, 2, 7, 3, 0]
    rows = [[str(i), f"第{i}步：核对并登记客户提交的资料", roles[order[i - 1]], "", "", f"≤{i}小时",
             "准确率≥95%" if i % 7 == 0 else ""] for i in range(1, 31)]
    return sop_book(tmp_path, rows, "、".join(roles), "thirty.xlsx")


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


@pytest.mark.slow
def test_thirty_steps_eight_lanes_fit_a4_pages_at_200_dpi(tmp_path: Path) -> None:
    parsed = parse(thirty_steps(tmp_path))
    root = tree(flowchart.svg_for(parsed))
    assert len(lanes(root)) == 8
    assert steps(root) == [str(i) for i in range(1, 31)]
    assert [(a, b) for a, b, _ in arrows(root)] == [
        ("start", "1"), *((str(i), str(i + 1)) for i in range(1, 30)), ("30", "end")]
    pictures = flowchart.pictures_for(parsed)
    assert len(pictures) > 1
    for picture in pictures:
        assert picture.width_cm == 16.0
        assert picture.height_cm <= 22.8
        width_px, height_px = _png_size(picture.png)
        assert width_px >= 16.0 / 2.54 * 200
        assert height_px >= picture.height_cm / 2.54 * 200 - 1
    # Every step is on exactly one page.
    on_pages = [n for p in pictures for n in steps(tree(p.svg))]
    assert on_pages == [str(i) for i in range(1, 31)]


@pytest.mark.slow
def test_png_is_deterministic_and_at_least_200_dpi() -> None:
    parsed = parse(EXAMPLES / "客户投诉处理流程_CRM-CS-2024-005.xlsx")
    svg = flowchart.svg_for(parsed)
    from officeflow.flow.raster import svg_to_png

    first, second = svg_to_png(svg), svg_to_png(svg)
    assert first == second
    width_px, _ = _png_size(first)
    assert width_px == round(160 / 25.4 * 200)


def test_kinds_are_untouched_by_the_test_kind() -> None:
    assert "branching" not in KINDS
