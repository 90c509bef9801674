"""A workspace as a quality office has it after a while, and the portal served from it as a real process.

The ledger is the workspace's own (`workspace_ledger`): the SQLite file, or PostgreSQL when
officeflow.toml has `ledger_url` before `build` runs.

    CRM-CS-2024-005 客户投诉处理流程  V1.0 (已失效) → V1.1 (现行有效, with a flowchart)
    HR-TR-2024-012  新员工入职培训流程  V1.0 withdrawn (已废止)
    CSC-2024-001    安全巡检流程      V1.0 effective in 30 days (待生效), `<script>` in a step
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

from factory import REVISIONS, make_workbook

from officeflow.control import withdraw
from officeflow.flowchart import svg_for
from officeflow.ledger import workspace_ledger
from officeflow.model import parse_document
from officeflow.pipeline import Result, process_bytes
from officeflow.reader import read_workbook
from officeflow.settings import Workspace, open_workspace

V11_STEPS = [
    ["1.1", "接收客户投诉信息（电话、邮件、在线表单）", "客服专员", "客户投诉内容、联系方式", "《客户投诉登记表》",
     "≤30分钟", "记录完整率100%，分类准确率≥95%"],
    ["1.2", "投诉分级（按紧急程度：紧急、一般、建议）", "客服主管", "《客户投诉登记表》", "《投诉分级表》",
     "≤15分钟", "紧急投诉升级时间≤15分钟"],
    ["1.3", "技术部分析并处理故障类投诉", "技术支持工程师", "《投诉分级表》", "《处理方案》", "≤2个工作日",
     "方案一次通过率≥90%"],
]
SCRIPT_STEP = "<script>alert('x')</script>巡检消防通道并拍照"
PENDING_IN = 30  # days until CSC-2024-001 takes effect


def _reviews(first: date) -> list[list[object]]:
    return [["初审", "王敏", first, "通过"], ["复审", "李强", first + timedelta(days=1), "通过"],
            ["终审", "赵总", first + timedelta(days=2), "通过"]]


def _issue(workspace: Workspace, path: Path, today: date) -> None:
    ledger = workspace_ledger(workspace)
    try:
        outcome = process_bytes(path.read_bytes(), path.name, workspace, ledger, today)
        assert outcome.result is Result.ISSUED, outcome.findings
    finally:
        ledger.close()


def build(root: Path) -> Workspace:
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    workspace = open_workspace(root)
    books = root.parent / "books"
    _issue(workspace, make_workbook(books, "crm-v1.0.xlsx"), date(2024, 7, 20))
    v11 = make_workbook(books, "crm-v1.1.xlsx", fields={"版本号": "V1.1", "生效日期": date(2025, 1, 1)},
                        steps=V11_STEPS, reviews=_reviews(date(2024, 12, 1)),
                        revisions=[*REVISIONS, ["V1.1", date(2024, 12, 1), "增加投诉分级步骤", "紧急投诉响应慢",
                                                "王敏", "客服主管"]])
    _issue(workspace, v11, date(2024, 12, 20))
    hr = {"流程名称": "新员工入职培训流程", "流程编号": "HR-TR-2024-012", "生效日期": date(2024, 3, 1),
          "流程类别": "人力资源类", "主责部门": "人力资源部", "适用部门": "人力资源部、行政部", "流程负责人": "陈静"}
    _issue(workspace, make_workbook(books, "hr.xlsx", fields=hr, reviews=_reviews(date(2024, 2, 1))),
           date(2024, 2, 20))
    ledger = workspace_ledger(workspace)
    try:
        withdraw(workspace, ledger, "HR-TR-2024-012", "并入 HR-TR-2024-020", date(2024, 10, 8), actor="质量部")
    finally:
        ledger.close()
    today = date.today()
    csc = {"流程名称": "安全巡检流程", "流程编号": "CSC-2024-001", "生效日期": today + timedelta(days=PENDING_IN),
           "流程类别": "安全管理类", "主责部门": "安全部", "适用部门": "安全部", "适用角色": "安全员",
           "流程负责人": "刘洋", "流程目标": "每周巡检覆盖率100%", "适用范围": "适用于所有办公区域的安全巡检"}
    steps = [["1", SCRIPT_STEP, "安全员", "巡检计划", "《巡检记录表》", "≤2小时", "覆盖率100%"]]
    _issue(workspace, make_workbook(books, "csc.xlsx", fields=csc, steps=steps,
                                    related=[["《巡检记录表》", "CSC-TAB-001"]],
                                    reviews=_reviews(today - timedelta(days=5))), today)
    # The flowchart the pipeline puts beside a document (`<流程编号>_<版本号>.flow.svg`).
    document = next(workspace.outbox.rglob("CRM-CS-2024-005_V1.1.docx"))
    raw = read_workbook(v11.read_bytes())
    document.with_name("CRM-CS-2024-005_V1.1.flow.svg").write_bytes(svg_for(parse_document(raw, raw.epoch)))
    return workspace


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_portal(root: Path, log: Path, *args: str, wait: float = 60) -> Iterator[str]:
    """`officeflow serve [ARGS]` as a real process on a free loopback port; yields its base URL.

    Ready when /healthz answers: the server builds the library and the search index first.
    """
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "officeflow", "-w", str(root), "serve", "--port", str(port), *args],
                                   stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log.read_text(encoding="utf-8", errors="replace")) from None
                    time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Client:
    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookie = ""

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            sent = {**({"Cookie": self.cookie} if self.cookie else {}), **(headers or {})}
            connection.request(method, path, body=body or None, headers=sent)
            response = connection.getresponse()
            data = response.read()
            found = {k.lower(): v for k, v in response.getheaders()}
            if "set-cookie" in found:
                self.cookie = found["set-cookie"].split(";")[0]
            return response.status, found, data
        finally:
            connection.close()

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def json(self, path: str) -> object:
        status, headers, body = self.get(path)
        assert (status, headers["content-type"]) == (200, "application/json; charset=utf-8"), body
        return json.loads(body)


def q(text: str) -> str:
    return quote(text, safe="")


def token_of(page: bytes) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.decode("utf-8"))
    assert found is not None
    return found.group(1)


def form(fields: dict[str, str]) -> bytes:
    return "&".join(f"{q(k)}={q(v)}" for k, v in fields.items()).encode("ascii")


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, dict[str, str]]:
    boundary = "----officeflowtest"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), {
        "Content-Type": f"multipart/form-data; boundary={boundary}"}


def findings_of(page: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<tr class="(?:error|warning)"><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>', page)
