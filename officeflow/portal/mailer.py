"""Send the notices by SMTP (STARTTLS and login when configured) and record each one sent.

One connection per run. Each notice is recorded in the ledger right after the server accepted
it, so a run that dies half-way resends nothing; a notice the server did not take stays due and
goes out on the next run (the retry when the server was down).
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from officeflow.ledger_protocol import Ledger
from officeflow.portal.config import NoticeSettings
from officeflow.portal.notices import Notice, sent_event

HEADER_KEY = "X-Officeflow-Notice"


@dataclass
class SendReport:
    sent: list[Notice] = field(default_factory=list)
    failed: list[tuple[Notice, str]] = field(default_factory=list)


def message_of(notice: Notice, settings: NoticeSettings) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = notice.subject
    message["From"] = settings.from_address
    message["To"] = ", ".join(notice.to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="officeflow.local")
    message[HEADER_KEY] = notice.key
    message.set_content(notice.body, charset="utf-8")
    return message


def _connect(settings: NoticeSettings) -> smtplib.SMTP:
    client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout)
    try:
        if settings.smtp_starttls:
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        client.close()
        raise
    return client


def send_notices(notices: list[Notice], settings: NoticeSettings, ledger: Ledger, attempts: int = 3,
                 pause: Callable[[float], None] = time.sleep) -> SendReport:
    """Send every notice; the connection is tried `attempts` times with a growing pause."""
    report = SendReport()
    if not notices:
        return report
    client: smtplib.SMTP | None = None
    problem = ""
    for attempt in range(attempts):
        try:
            client = _connect(settings)
            break
        except (OSError, smtplib.SMTPException) as exc:
            problem = f"无法连接邮件服务器 {settings.smtp_host}:{settings.smtp_port}（{exc}）"
            if attempt + 1 < attempts:
                pause(2.0 ** attempt)
    if client is None:
        report.failed = [(n, problem) for n in notices]
        return report
    try:
        for notice in notices:
            try:
                client.send_message(message_of(notice, settings))
            except (OSError, smtplib.SMTPException) as exc:
                report.failed.append((notice, f"邮件服务器拒收（{exc}）"))
                continue
            ledger.add_events([sent_event(notice)])  # sent: never again
            report.sent.append(notice)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return report
