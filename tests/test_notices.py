"""Release notices, review reminders and withdrawal notices, delivered to a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from factory import REVISIONS, make_workbook
from portal_world import free_port

from officeflow.cli import main
from officeflow.control import withdraw
from officeflow.ledger import open_ledger
from officeflow.lifecycle import next_review_date
from officeflow.pipeline import Result, process_bytes
from officeflow.settings import open_workspace

pytestmark = pytest.mark.slow

TODAY = date.today()
YEAR = (TODAY - timedelta(days=400)).year  # a 流程编号 year no later than any effective date below
CRM, HR, OPS = f"CRM-CS-{YEAR}-001", f"HR-TR-{YEAR}-002", f"OPS-{YEAR}-003"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.raw.append(envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def reviews(first: date) -> list[list[object]]:
    return [["初审", "王敏", first, "通过"], ["复审", "李强", first + timedelta(days=1), "通过"],
            ["终审", "赵总", first + timedelta(days=2), "通过"]]


def issue(root: Path, book: Path, today: date) -> None:
    ledger = open_ledger(root / ".officeflow" / "ledger.sqlite3")
    try:
        outcome = process_bytes(book.read_bytes(), book.name, open_workspace(root), ledger, today,
                                received_at=datetime.combine(today, time(9)))
        assert outcome.result is Result.ISSUED, outcome.findings
    finally:
        ledger.close()


CONFIG = """
review_interval_months = 6

[notices]
smtp_host = "127.0.0.1"
smtp_port = {port}
from_address = "流程管理部 <process@example.com>"
portal_url = "http://portal.example.com/"
review_reminder_days = 30
window_days = 30

[notices.departments]
"客服部" = ["kefu@example.com"]
"技术部" = ["tech@example.com", "tech-lead@example.com"]
"人力资源部" = "hr@example.com"

[notices.owners]
"陈静" = "chenjing@example.com"
"""


class Server:
    """aiosmtpd on a loopback port; stopped and started again (a new controller) on the same port."""

    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[Server]:
    server = Server()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def root(tmp_path: Path, smtp: Server) -> Path:
    """CRM: V1.1 took effect 3 days ago; HR: 定期回顾 due in about 10 days; OPS withdrawn yesterday."""
    root = tmp_path / "ws"
    for folder in ("inbox", "outbox", "templates"):
        (root / folder).mkdir(parents=True)
    books = tmp_path / "books"
    v10 = TODAY - timedelta(days=200)
    crm = {"流程编号": CRM, "生效日期": v10}
    log = [["V1.0", v10 - timedelta(days=30), "初稿编写", "新建流程", "王敏", "客服主管"]]
    issue(root, make_workbook(books, "crm1.xlsx", fields=crm, revisions=log, reviews=reviews(v10 - timedelta(20))),
          v10 - timedelta(days=10))
    v11 = TODAY - timedelta(days=3)
    log.append(["V1.1", v11 - timedelta(days=20), "增加投诉分级步骤", "紧急投诉响应慢", "王敏", "客服主管"])
    issue(root, make_workbook(books, "crm2.xlsx", fields={**crm, "版本号": "V1.1", "生效日期": v11}, revisions=log,
                              reviews=reviews(v11 - timedelta(days=15))), v11 - timedelta(days=10))
    hr_day = TODAY - timedelta(days=170)
    hr = {"流程名称": "新员工入职培训流程", "流程编号": HR, "生效日期": hr_day, "主责部门": "人力资源部",
          "适用部门": "人力资源部", "流程负责人": "陈静"}
    issue(root, make_workbook(books, "hr.xlsx", fields=hr, revisions=REVISIONS[:0] + [
        ["V1.0", hr_day - timedelta(days=20), "初稿编写", "新建流程", "陈静", "人事主管"]],
        reviews=reviews(hr_day - timedelta(days=10))), hr_day - timedelta(days=5))
    ops_day = TODAY - timedelta(days=100)
    ops = {"流程名称": "机房巡检流程", "流程编号": OPS, "生效日期": ops_day, "主责部门": "技术部", "适用部门": "技术部"}
    issue(root, make_workbook(books, "ops.xlsx", fields=ops, revisions=[
        ["V1.0", ops_day - timedelta(days=20), "初稿编写", "新建流程", "王敏", "客服主管"]],
        reviews=reviews(ops_day - timedelta(days=10))), ops_day - timedelta(days=5))
    ledger = open_ledger(root / ".officeflow" / "ledger.sqlite3")
    try:
        withdraw(open_workspace(root), ledger, OPS, "机房已迁至云上", TODAY - timedelta(days=1), actor="质量部")
    finally:
        ledger.close()
    (root / "officeflow.toml").write_text(CONFIG.format(port=smtp.port), encoding="utf-8")
    return root


def notices(root: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["-w", str(root), "notices", *args])


def release_body() -> str:
    day = (TODAY - timedelta(days=3)).isoformat()
    return (f"客服部：\n\n《客户投诉处理流程》（流程编号 {CRM}，版本 V1.1）自 {day} 起生效，请本部门相关人员知悉并遵照执行。\n\n"
            "适用部门：客服部、技术部、法务部\n适用角色：客服专员、客服主管、技术支持工程师\n流程负责人：王敏\n终审人：赵总\n"
            "本次修订：增加投诉分级步骤（原因：紧急投诉响应慢）\n"
            f"废止旧版本：V1.0 自 {day} 起失效，请停止使用旧版本及其打印件。\n"
            f"查看与下载：http://portal.example.com/doc/{CRM}\n\n"
            "如对流程有疑问或改进建议，请在上述页面提交“问题反馈”。\n—— 流程管理部（officeflow 自动发送，请勿直接回复）\n")


def test_dry_run_previews_and_records_nothing(root: Path, smtp: Server) -> None:
    result = notices(root, "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == [f"未发送 not addressed: {CRM} V1.1 发布通知：适用部门“法务部”没有配置邮箱",
                         "收件人 To: kefu@example.com",
                         f"主题 Subject: 【流程发布】客户投诉处理流程（{CRM} V1.1）自 {TODAY - timedelta(days=3)} 起生效"]
    assert [line for line in lines if line.startswith("主题")] == [
        f"主题 Subject: 【流程发布】客户投诉处理流程（{CRM} V1.1）自 {TODAY - timedelta(days=3)} 起生效",
        f"主题 Subject: 【流程发布】客户投诉处理流程（{CRM} V1.1）自 {TODAY - timedelta(days=3)} 起生效",
        f"主题 Subject: 【定期回顾提醒】新员工入职培训流程（{HR} V1.0）应于 "
        f"{next_review_date(TODAY - timedelta(days=170), 6)} 前完成回顾",
        f"主题 Subject: 【流程废止】机房巡检流程（{OPS} V1.0）自 {TODAY - timedelta(days=1)} 起废止"]
    assert lines[-1] == "待发送 4 封（预览，未发送）"
    assert smtp.inbox.messages == []
    assert notices(root, "--dry-run").output == result.output  # nothing was recorded


def test_notices_are_delivered_once_with_exact_text(root: Path, smtp: Server) -> None:
    result = notices(root)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "发送 4 封，失败 0 封"
    received = {m["X-Officeflow-Notice"]: m for m in smtp.inbox.messages}
    assert sorted(received) == [f"release:{CRM}:V1.1:客服部", f"release:{CRM}:V1.1:技术部",
                                f"review:{HR}:V1.0:{next_review_date(TODAY - timedelta(days=170), 6)}",
                                f"withdrawal:{OPS}:V1.0:技术部"]
    release = received[f"release:{CRM}:V1.1:客服部"]
    assert release["To"] == "kefu@example.com"
    assert release["From"] == "流程管理部 <process@example.com>"
    assert release["Subject"] == f"【流程发布】客户投诉处理流程（{CRM} V1.1）自 {TODAY - timedelta(days=3)} 起生效"
    raw = smtp.inbox.raw[smtp.inbox.messages.index(release)]
    subject_line = re.findall(rb"(?m)^Subject: (\S+)", raw)[0]
    assert subject_line.startswith(b"=?utf-8?") and subject_line.isascii()  # RFC 2047 encoded
    assert release.get_content() == release_body()
    assert received[f"release:{CRM}:V1.1:技术部"]["To"] == "tech@example.com, tech-lead@example.com"
    review = received[f"review:{HR}:V1.0:{next_review_date(TODAY - timedelta(days=170), 6)}"]
    due = next_review_date(TODAY - timedelta(days=170), 6)
    assert review["To"] == "chenjing@example.com"
    assert review.get_content().splitlines()[:5] == [
        "陈静：", "",
        f"您负责的《新员工入职培训流程》（流程编号 {HR}，现行版本 V1.0，生效日期 {TODAY - timedelta(days=170)}）"
        f"应于 {due} 前完成定期回顾（还有 {(due - TODAY).days} 天）。", "",
        "收到的问题反馈：0 条，请在回顾时一并处理。"]
    withdrawal = received[f"withdrawal:{OPS}:V1.0:技术部"]
    assert withdrawal["Subject"] == f"【流程废止】机房巡检流程（{OPS} V1.0）自 {TODAY - timedelta(days=1)} 起废止"
    assert withdrawal.get_content().splitlines()[4] == "废止原因：机房已迁至云上"
    again = notices(root)
    assert (again.exit_code, again.output.splitlines()[-1]) == (0, "发送 0 封，失败 0 封")
    assert len(smtp.inbox.messages) == 4


def sent_keys(root: Path) -> list[str]:
    """The keys of the notices the ledger records as sent (`notice-sent` events)."""
    ledger = open_ledger(root / ".officeflow" / "ledger.sqlite3")
    try:
        return sorted(json.loads(row["detail"])["key"] for row in ledger.events() if row["event"] == "notice-sent")
    finally:
        ledger.close()


def test_a_notice_the_server_did_not_take_is_sent_on_the_next_run(root: Path, smtp: Server) -> None:
    smtp.stop()
    down = notices(root)
    assert down.exit_code == 1
    assert down.output.splitlines()[-1] == "发送 0 封，失败 4 封（下次运行时重试）"
    assert f"无法连接邮件服务器 127.0.0.1:{smtp.port}" in down.output
    assert sent_keys(root) == []  # nothing recorded as sent
    smtp.start()  # the server is back
    up = notices(root)
    assert (up.exit_code, up.output.splitlines()[-1]) == (0, "发送 4 封，失败 0 封")
    keys = sorted(m["X-Officeflow-Notice"] for m in smtp.inbox.messages)
    assert len(keys) == len(set(keys)) == 4  # each delivered once
    assert sent_keys(root) == keys
    again = notices(root)
    assert (again.exit_code, again.output.splitlines()[-1]) == (0, "发送 0 封，失败 0 封")
    assert len(smtp.inbox.messages) == 4


def test_a_bad_notices_table_is_a_chinese_error(root: Path) -> None:
    config = root / "officeflow.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"人力资源部" = "hr@example.com"',
                                                                 '"人力资源部" = "hr"'), encoding="utf-8")
    result = notices(root, "--dry-run")
    assert result.exit_code == 2
    assert result.output == ('错误 Error: [notices] departments.人力资源部 应为邮箱地址或邮箱地址列表，'
                             '例如 ["kefu@example.com"]\n')
