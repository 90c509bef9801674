"""The portal's and the notices' settings: `portal_submit` and the `[notices]` table of officeflow.toml.

officeflow.settings accepts both keys (the table as a plain dict); this module checks the
table's keys and values and turns them into typed settings. Every problem is a ConfigError in
Chinese naming the key.

    portal_submit = false            # the online check may put a passing workbook into inbox/
    [notices]
    smtp_host = "mail.example.com"   # default localhost
    smtp_port = 587                  # default 25
    smtp_starttls = true             # default false
    smtp_user = "officeflow"         # login only when set; the password from OFFICEFLOW_SMTP_PASSWORD
    from_address = "流程管理部 <process@example.com>"
    portal_url = "https://process.example.com"   # links in mails
    review_reminder_days = 30        # remind the owner this many days before 定期回顾
    window_days = 30                 # release/withdrawal notices for changes of the last N days only
    [notices.departments]            # 适用部门 → addresses
    "客服部" = ["kefu@example.com"]
    [notices.owners]                 # 流程负责人 → address (else the 主责部门's)
    "王敏" = "wangmin@example.com"
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from officeflow.errors import ConfigError
from officeflow.settings import Settings

PASSWORD_ENV = "OFFICEFLOW_SMTP_PASSWORD"


@dataclass(frozen=True)
class NoticeSettings:
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    from_address: str = ""
    portal_url: str = "http://127.0.0.1:8000"
    review_reminder_days: int = 30
    window_days: int = 30
    timeout: float = 30.0
    departments: dict[str, tuple[str, ...]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PortalSettings:
    portal_submit: bool = False
    notices: NoticeSettings = NoticeSettings()


def portal_settings(settings: Settings) -> PortalSettings:
    """The workspace's portal settings; ConfigError when the [notices] table is wrong."""
    return PortalSettings(settings.portal_submit, _notices(settings.notices))


def _notices(table: dict[str, Any]) -> NoticeSettings:
    known = set(NoticeSettings.__dataclass_fields__)
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"[notices] 中有无法识别的设置：{'、'.join(unknown)}（可用：{'、'.join(sorted(known))}）")
    values: dict[str, Any] = {}
    for key, kind in (("smtp_host", str), ("smtp_user", str), ("smtp_password", str), ("from_address", str),
                      ("portal_url", str), ("smtp_starttls", bool)):
        if key in table:
            if not isinstance(table[key], kind):
                raise ConfigError(f"[notices] {key} 应为{'文本' if kind is str else ' true 或 false'}")
            values[key] = table[key]
    for key, low, high in (("smtp_port", 1, 65535), ("review_reminder_days", 0, 3650),
                           ("window_days", 0, 3650), ("timeout", 1, 600)):
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                raise ConfigError(f"[notices] {key} 应为 {low}–{high} 之间的数字")
            values[key] = value
    values["departments"] = {str(k): _addresses(f"departments.{k}", v)
                             for k, v in _table(table, "departments").items()}
    values["owners"] = {str(k): _addresses(f"owners.{k}", v)[0] for k, v in _table(table, "owners").items()}
    values["smtp_password"] = os.environ.get(PASSWORD_ENV) or values.get("smtp_password", "")
    values["portal_url"] = values.get("portal_url", NoticeSettings.portal_url).rstrip("/")
    return NoticeSettings(**values)


def _table(table: dict[str, Any], key: str) -> dict[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[notices.{key}] 应为一个表：名称 = 邮箱地址")
    return value


def _addresses(key: str, value: Any) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(a, str) and "@" in a for a in items):
        raise ConfigError(f"[notices] {key} 应为邮箱地址或邮箱地址列表，例如 [\"kefu@example.com\"]")
    return tuple(a.strip() for a in items)
