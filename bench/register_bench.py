"""Benchmark register writers side by side: seconds and peak memory for 1k/10k/50k rows.

Run `python bench/register_bench.py` (about a minute). Each writer/size runs in its own
subprocess so peak RSS (ru_maxrss) belongs to that run alone. All writers produce the same
sheet: styled header, 16 columns, widths, frozen header, autofilter, real dates, status
styles, relative hyperlinks, literal text for every string.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from operator import attrgetter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from officeflow import register  # noqa: E402
from officeflow.register import HEADERS, RegisterRow  # noqa: E402

_CELL_KINDS = tuple(kind for _, kind, _ in register.COLUMNS)
_VALUES = attrgetter(*register.FIELDS)

SIZES = (1_000, 10_000, 50_000)
GOAL_SECONDS = 3.0
TODAY = date(2025, 1, 1)
GOAL_MB = 300.0

_CATEGORIES = {
    "客户服务类": ("CRM", "CS", ("客服部", "呼叫中心", "客户成功部")),
    "人力资源类": ("HR", "TR", ("人力资源部", "培训中心", "薪酬福利部")),
    "财务管理类": ("FIN", "AC", ("财务部", "资金管理部", "审计部")),
    "质量管理类": ("QM", "QA", ("质量管理部", "检验中心", "体系管理办公室")),
    "信息技术类": ("IT", "OPS", ("信息技术部", "运维中心", "数据管理部")),
    "行政后勤类": ("ADM", "GA", ("行政部", "后勤保障部", "安全管理部")),
}
_SUBJECTS = (
    "客户投诉", "新员工入职", "费用报销", "供应商准入", "合同审批", "设备点检", "数据备份",
    "会员积分", "门店巡检", "质量异常", "变更管理", "应急响应", "绩效考核", "档案借阅",
)  # fmt: skip
_ACTIONS = ("处理", "受理与升级", "审核", "培训", "服务标准", "梳理优化", "闭环管理", "复盘")
_DOC_KINDS = ("标准化服务流程", "业务场景流程", "产品服务标准", "流程梳理优化")
_PEOPLE = (
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴昊",
    "徐丽", "孙浩", "马超", "朱琳", "胡军", "郭晓峰", "欧阳明", "司马青",
)  # fmt: skip


def make_rows(count: int, seed: int = 7) -> list[RegisterRow]:
    """Realistic register rows: documents with 1-4 versions, the last one current or pending."""
    rng = random.Random(seed)
    rows: list[RegisterRow] = []
    serial = 0
    while len(rows) < count:
        serial += 1
        category = rng.choice(list(_CATEGORIES))
        prefix, code, departments = _CATEGORIES[category]
        department = rng.choice(departments)
        year = rng.randint(2019, 2024)
        doc_id = f"{prefix}-{code}-{year}-{serial % 1000:03d}"
        name = f"{rng.choice(_SUBJECTS)}{rng.choice(_ACTIONS)}流程"
        kind = rng.choice(_DOC_KINDS)
        owner, approver = rng.sample(_PEOPLE, 2)
        effective = date(year, rng.randint(1, 12), rng.randint(1, 28))
        versions = rng.randint(1, 4)
        for v in range(versions):
            last = v == versions - 1
            following = effective + timedelta(days=rng.randint(90, 500))
            status = (
                ("待生效" if rng.random() < 0.1 else "现行有效")
                if last
                else ("已废止" if rng.random() < 0.05 else "已失效")
            )
            version = f"V{1 + v // 3}.{v % 3}"
            folder = f"{category}/{department}/{effective.isoformat()}"
            rows.append(
                RegisterRow(
                    doc_id=doc_id,
                    name=name,
                    kind_label=kind,
                    version=version,
                    status=status,
                    effective_date=effective,
                    expiry_date=None if last else following,
                    category=category,
                    department=department,
                    owner=owner,
                    approver=approver,
                    # Reviews of current versions fall due around "today"; old ones have none.
                    next_review_date=(
                        TODAY + timedelta(days=rng.randint(-60, 180))
                        if status == "现行有效"
                        else None
                    ),
                    document_path=f"{folder}/{doc_id}_{version}.docx",
                    source_path=f"{folder}/{doc_id}_{version}.xlsx",
                    sha256=f"{rng.getrandbits(256):064x}",
                    received_at=datetime.combine(effective, datetime.min.time())
                    - timedelta(days=rng.randint(1, 20), seconds=rng.randint(0, 86399)),
                )
            )
            effective = following
            if len(rows) == count:
                break
    return rows


def write_openpyxl(rows: Sequence[RegisterRow], path: Path) -> None:
    """openpyxl write-only mode with the same styles and links."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Border, Font, PatternFill, Side

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(register.SHEET_ALL)
    ws.freeze_panes = "A2"
    for letter, width in zip(register._LETTERS, register.column_widths(rows), strict=True):
        ws.column_dimensions[letter].width = width
    header_font = Font(name="等线", bold=True)
    header_fill = PatternFill("solid", fgColor="D9E1F2")
    header_border = Border(bottom=Side(style="thin"))
    link_font = Font(name="等线", color="0563C1", underline="single")
    muted_font = Font(name="等线", color="808080")
    status_styles = {
        "现行有效": (Font(name="等线", bold=True, color="006100"), PatternFill("solid", fgColor="C6EFCE")),
        "待生效": (Font(name="等线", color="1F4E78"), PatternFill("solid", fgColor="DDEBF7")),
        "已失效": (Font(name="等线", strike=True, color="808080"), PatternFill("solid", fgColor="E7E6E6")),
        "已废止": (Font(name="等线", strike=True, color="9C0006"), PatternFill("solid", fgColor="FFC7CE")),
    }  # fmt: skip
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.fill, cell.border = header_font, header_fill, header_border
        header.append(cell)
    ws.append(header)
    for row in rows:
        muted = row.status in ("已失效", "已废止")
        cells = []
        for kind, value in zip(_CELL_KINDS, _VALUES(row), strict=True):
            if value is None:
                cells.append(None)
                continue
            if kind in ("date", "datetime"):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd" if kind == "date" else "yyyy-mm-dd hh:mm:ss"
            elif kind == "link":
                cell = WriteOnlyCell(ws, value=register._link_text(value))
                cell.data_type = "s"
                cell.hyperlink = register.link_target(value)
                cell.font = muted_font if muted else link_font
            else:
                cell = WriteOnlyCell(ws, value=register.xml_safe(value))
                cell.data_type = "s"  # after the value: keeps "=…" as text
                if kind == "status" and value in status_styles:
                    cell.font, cell.fill = status_styles[value]
                elif muted:
                    cell.font = muted_font
            cells.append(cell)
        ws.append(cells)
    ws.auto_filter.ref = f"A1:P{len(rows) + 1}"
    wb.save(path)


def write_xlsxwriter(rows: Sequence[RegisterRow], path: Path) -> None:
    """xlsxwriter with constant_memory (rows are flushed as they are written)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    ws = wb.add_worksheet(register.SHEET_ALL)
    base = {"font_name": "等线", "font_size": 11}
    header = wb.add_format(
        base | {"bold": True, "bg_color": "#D9E1F2", "bottom": 1, "align": "center"}
    )
    formats = {
        muted: {
            "text": wb.add_format(base | {"num_format": "@"} | ({"font_color": "#808080"} if muted else {})),
            "date": wb.add_format(base | {"num_format": "yyyy-mm-dd"} | ({"font_color": "#808080"} if muted else {})),
            "datetime": wb.add_format(base | {"num_format": "yyyy-mm-dd hh:mm:ss"} | ({"font_color": "#808080"} if muted else {})),
            "link": wb.add_format(base | {"underline": 1, "font_color": "#808080" if muted else "#0563C1"}),
        }
        for muted in (False, True)
    }  # fmt: skip
    status = {
        "现行有效": wb.add_format(base | {"bold": True, "font_color": "#006100", "bg_color": "#C6EFCE"}),
        "待生效": wb.add_format(base | {"font_color": "#1F4E78", "bg_color": "#DDEBF7"}),
        "已失效": wb.add_format(base | {"font_strikeout": True, "font_color": "#808080", "bg_color": "#E7E6E6"}),
        "已废止": wb.add_format(base | {"font_strikeout": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"}),
    }  # fmt: skip
    for col, width in enumerate(register.column_widths(rows)):
        ws.set_column(col, col, width)
    ws.freeze_panes(1, 0)
    for col, text in enumerate(HEADERS):
        ws.write_string(0, col, text, header)
    for r, row in enumerate(rows, start=1):
        fmt = formats[row.status in ("已失效", "已废止")]
        for col, (kind, value) in enumerate(zip(_CELL_KINDS, _VALUES(row), strict=True)):
            if value is None:
                continue
            if kind in ("date", "datetime"):
                ws.write_datetime(r, col, value, fmt[kind])
            elif kind == "link":
                ws.write_url(r, col, f"external:{value}", fmt["link"], register._link_text(value))
            elif kind == "status":
                ws.write_string(r, col, value, status.get(value, fmt["text"]))
            else:
                ws.write_string(r, col, register.xml_safe(value), fmt["text"])
    ws.autofilter(0, 0, len(rows), len(HEADERS) - 1)
    wb.close()


def write_streaming(rows: Sequence[RegisterRow], path: Path) -> None:
    """The hand-written SpreadsheetML writer of officeflow.register, one sheet."""
    register.write_workbook(path, [register.RegisterSheet(register.SHEET_ALL, rows)], TODAY)


def write_export(rows: Sequence[RegisterRow], path: Path) -> None:
    """What ships: export_register (atomic, 总台账 + 现行有效 + 复审提醒)."""
    register.export_register(rows, path, today=TODAY)


WRITERS: dict[str, Callable[[Sequence[RegisterRow], Path], None]] = {
    "openpyxl write_only": write_openpyxl,
    "xlsxwriter constant_memory": write_xlsxwriter,
    "streaming (1 sheet)": write_streaming,
    "export_register (3 sheets)": write_export,
}


# Comparison writers need their library; a missing one is skipped, not a failure.
NEEDS: dict[str, str] = {"openpyxl write_only": "openpyxl", "xlsxwriter constant_memory": "xlsxwriter"}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_one(writer: str, count: int) -> dict[str, float]:
    """Time one writer on `count` rows in this process; report seconds and memory."""
    rows = make_rows(count)
    before = _rss_mb()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "register.xlsx"
        start = time.perf_counter()
        WRITERS[writer](rows, path)
        seconds = time.perf_counter() - start
        size = path.stat().st_size
    peak = _rss_mb()
    return {"seconds": seconds, "peak_mb": peak, "delta_mb": peak - before, "file_mb": size / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=2, metavar=("WRITER", "ROWS"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--writers", nargs="+", choices=list(WRITERS), default=list(WRITERS))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    print(f"goal: {SIZES[-1]:,} rows in ≤ {GOAL_SECONDS} s, peak < {GOAL_MB:.0f} MB")
    print(f"{'writer':<28} {'rows':>7} {'seconds':>8} {'peak MB':>8} {'+MB':>6} {'file MB':>8}")
    for writer in args.writers:
        if writer in NEEDS and importlib.util.find_spec(NEEDS[writer]) is None:
            print(f"{writer:<28} skipped: {NEEDS[writer]} is not installed")
            continue
        for count in args.sizes:
            run = subprocess.run(
                [sys.executable, __file__, "--one", writer, str(count)],
                capture_output=True,
                text=True,
            )
            if run.returncode:
                sys.exit(f"{writer} {count}: failed\n{run.stderr}")
            m = json.loads(run.stdout.strip().splitlines()[-1])
            print(
                f"{writer:<28} {count:>7,} {m['seconds']:>8.2f} {m['peak_mb']:>8.1f}"
                f" {m['delta_mb']:>6.1f} {m['file_mb']:>8.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
