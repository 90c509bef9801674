"""Settings: one pydantic model, loaded from the workspace's officeflow.toml (every key optional)."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from officeflow.errors import ConfigError
from officeflow.vocabulary import REVIEW_LEVELS, VAGUE_WORDS

CONFIG_FILE = "officeflow.toml"
STATE_DIR = ".officeflow"


class Settings(BaseModel):
    """Document-control rules of the organisation. Unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")

    doc_id_pattern: str = Field(
        default=r"^(?P<prefix>[A-Z][A-Z0-9]{1,9})(?:-(?P<category>[A-Z][A-Z0-9]{0,9}))?"
        r"-(?P<year>\d{4})-(?P<seq>\d{3,4})$",
        description="Regular expression for 流程编号; a named group `year` enables the year check.",
    )
    doc_id_example: str = Field(default="CRM-CS-2024-005", description="Shown in messages.")
    review_levels: list[str] = Field(
        default=list(REVIEW_LEVELS),
        description="Review levels that must all be present and 通过 for a release, in order; "
        "the last one approves. They are the 审核级别 dropdown of every template.",
    )
    categories: list[str] = Field(
        default_factory=list,
        description="Allowed 流程类别 (archive folders), the template's dropdown; empty: free text.",
    )
    departments: list[str] = Field(
        default_factory=list,
        description="Allowed 主责部门 (archive folders), the template's dropdown; empty: free text.",
    )
    review_interval_months: int = Field(default=6, ge=1, description="Next 定期回顾 (periodic review) = effective + N months.")
    vague_words: list[str] = Field(default=list(VAGUE_WORDS), description="Words to warn about.")
    workday_hours: float = Field(default=8.0, gt=0, description="Hours in one 工作日 for durations.")
    register_file: str = Field(default="流程文件总台账.xlsx", description="Register name in outbox/.")
    returned_folder: str = Field(default="退回", description="Folder in inbox/ for returned workbooks.")
    training_folder: str = Field(default="培训副本", description="Folder in outbox/ for training copies.")
    max_file_mb: float = Field(default=20, gt=0, description="Largest workbook accepted.")
    strict: bool = Field(default=False, description="Treat warnings as errors.")
    notices: dict[str, Any] = Field(
        default_factory=dict,
        description="[notices] table: SMTP server, sender, department → addresses, portal URL "
        "(validated by officeflow.portal.config; see docs/portal.md).",
    )
    portal_submit: bool = Field(default=False, description="The portal's online check may submit into inbox/.")
    ledger_url: str = Field(
        default="",
        description="PostgreSQL ledger for several hosts (postgresql://user@host/db); "
        "empty: the SQLite file .officeflow/ledger.sqlite3. OFFICEFLOW_LEDGER_URL overrides it.",
    )
    self_approval: Literal["warning", "error"] = Field(
        default="warning",
        description="Every review level signed by the 流程负责人 himself on one day "
        "(review.self-approved): a warning, or an error that blocks the release.",
    )
    # Inbox intake (officeflow watch).
    polling: bool = Field(
        default=False,
        description="Poll the inbox instead of native file events (SMB/NFS shares hear no events).",
    )
    poll_interval: float = Field(default=2.0, gt=0, description="Seconds between polls with polling.")
    stable_seconds: float = Field(
        default=2.0, ge=0,
        description="A file is taken only after its size and time stayed unchanged this long.",
    )
    rescan_seconds: float = Field(
        default=30.0, gt=0, description="Full rescan of the inbox every N seconds (catches missed events).",
    )
    incomplete_grace_seconds: float = Field(
        default=60.0, ge=0,
        description="How long a stable .xlsx that is not yet a complete zip is waited for "
        "before it is returned as corrupt.",
    )
    register_quiet_seconds: float = Field(
        default=2.0, ge=0,
        description="Export the register once the inbox has been quiet this long "
        "(once per batch, not per file); a failed export is retried with backoff.",
    )
    processing_folder: str = Field(
        default=".processing",
        description="Folder in inbox/ where claimed files wait while they are processed.",
    )
    company_name: str = Field(default="", description="Company name in the header of every document.")
    company_logo: str = Field(default="", description="Logo image (path from the workspace) beside it.")

    @field_validator("review_levels", "categories", "departments")
    @classmethod
    def _dropdown_values(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # These lists become the templates' dropdowns and the enums (officeflow.tailor): a value
        # must fit an Excel list (no comma, no quote) and appear once.
        value = [v.strip() for v in value]
        if info.field_name == "review_levels" and not value:
            raise ValueError("至少需要一个审核级别")
        for item in value:
            if not item or any(ch in item for ch in ',"，'):
                raise ValueError(f"“{item}”不能为空，也不能含逗号或引号（它会成为下拉列表的一项）")
        if len(set(value)) != len(value):
            raise ValueError("列表中有重复的值")
        return value

    @field_validator("processing_folder")
    @classmethod
    def _one_folder_name(cls, value: str) -> str:
        if not value.strip(". ") or any(ch in value for ch in "/\\:"):
            raise ValueError("must be one folder name inside inbox/")
        return value


@dataclass(frozen=True)
class Workspace:
    """A folder with officeflow.toml, templates/, inbox/, outbox/ and the state folder."""

    root: Path
    settings: Settings

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def ledger_path(self) -> Path:
        return self.state_dir / "ledger.sqlite3"

    @property
    def ledger_url(self) -> str:
        """The PostgreSQL ledger's URL ('' for the SQLite file); the environment wins over the file."""
        return os.environ.get("OFFICEFLOW_LEDGER_URL", "").strip() or self.settings.ledger_url.strip()

    @property
    def register_path(self) -> Path:
        return self.outbox / self.settings.register_file

    @property
    def returned(self) -> Path:
        return self.inbox / self.settings.returned_folder

    @property
    def processing(self) -> Path:
        return self.inbox / self.settings.processing_folder


def load_settings(root: Path) -> Settings:
    """Settings from `root/officeflow.toml`, or the defaults when there is none."""
    path = root / CONFIG_FILE
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        settings = Settings.model_validate(data)
        re.compile(settings.doc_id_pattern)  # compiled by the rules on every workbook: fail here, named
        return settings
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        text = re.sub(r" \(at .*?\)$", "", str(exc))
        at = f"第 {where[1]} 行第 {where[2]} 列" if where else "位置未知"
        raise ConfigError(f"配置文件 {path} 不是有效的 TOML：{at}（{text}）") from exc
    except ValidationError as exc:
        problems = sorted(_problem(e) for e in exc.errors())
        raise ConfigError(f"配置文件 {path} 有误：\n" + "\n".join(f"  {p}" for p in problems)) from exc
    except re.error as exc:
        raise ConfigError(f"配置文件 {path} 有误：\n  doc_id_pattern：不是有效的正则表达式"
                          f"（{exc.msg}，位置 {exc.pos}）") from exc


# What a pydantic error type means, for the operator who edits officeflow.toml.
_EXPECTED = {
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字", "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false", "string_type": "应为文字（加引号）", "list_type": "应为列表，如 [\"a\", \"b\"]",
    "dict_type": "应为表（[名称] 段）",
}


def _problem(error: Any) -> str:
    """One line per problem: the key, what is wrong, and for an unknown key the likely one."""
    key = ".".join(map(str, error["loc"]))
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(key, Settings.model_fields, n=1)
        return f"{key}：没有这个设置项" + (f"，是否应为 {close[0]}？" if close else "")
    if kind in _EXPECTED:
        return f"{key}：值 {error['input']!r} 无效，{_EXPECTED[kind]}"
    if kind in ("greater_than", "greater_than_equal"):
        sign = ">" if kind == "greater_than" else "≥"
        bound = context.get("gt", context.get("ge"))
        return f"{key}：值 {error['input']!r} 无效，应 {sign} {bound}"
    if kind == "literal_error":
        return f"{key}：值 {error['input']!r} 无效，应为 {context.get('expected', '')}"
    if kind == "value_error":
        return f"{key}：{context.get('error', error['msg'])}"
    return f"{key}：{error['msg']}"


def open_workspace(root: Path) -> Workspace:
    return Workspace(root.resolve(), load_settings(root))


def default_config_text() -> str:
    """officeflow.toml written by `init`: every key, commented, with its default."""
    lines = ["# officeflow settings. Every key is optional; the values shown are the defaults.", ""]
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        lines.append(f"# {info.description}")
        lines.append(f"# {name} = {_toml_value(default)}")
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value + "'" if "'" not in value else '"' + value.replace("\\", "\\\\") + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return str(value)
