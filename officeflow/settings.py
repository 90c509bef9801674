"""Settings: the workspace's officeflow.toml (every key optional), read without pydantic.

`Settings` is the one list of keys: type, default, bound, check and what each means. A file
whose values already have their declared types and pass their bounds and checks is read here;
any other file goes to officeflow.settings_check, where pydantic converts a value as it always
has ("6" → 6) or names every problem. So the ledger commands start without importing pydantic
(issue 15, item 1).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields, replace
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple, get_args, get_origin, get_type_hints

from officeflow.errors import ConfigError
from officeflow.vocabulary import REVIEW_LEVELS, VAGUE_WORDS

CONFIG_FILE = "officeflow.toml"
STATE_DIR = ".officeflow"


def _dropdown(value: list[str]) -> list[str]:
    """A list that becomes a template's dropdown and an enum (officeflow.tailor): each value
    fits an Excel list (no comma, no quote) and appears once."""
    value = [v.strip() for v in value]
    for item in value:
        if not item or any(ch in item for ch in ',"，'):
            raise ValueError(f"“{item}”不能为空，也不能含逗号或引号（它会成为下拉列表的一项）")
    if len(set(value)) != len(value):
        raise ValueError("列表中有重复的值")
    return value


def _review_levels(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("至少需要一个审核级别")
    return _dropdown(value)


def _one_folder_name(value: str) -> str:
    if not value.strip(". ") or any(ch in value for ch in "/\\:"):
        raise ValueError("must be one folder name inside inbox/")
    return value


class Key(NamedTuple):
    """What Settings declares of one key besides its type and default."""

    description: str  # written into officeflow.toml by `init`
    gt: float | None = None
    ge: float | None = None
    check: Callable[[Any], Any] | None = None  # returns the value to keep, or raises ValueError


def setting(default: Any, description: str, *, gt: float | None = None, ge: float | None = None,
            check: Callable[[Any], Any] | None = None) -> Any:
    """One field of Settings: its default and its Key."""
    metadata = {"key": Key(description, gt, ge, check)}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """Document-control rules of the organisation. Unknown keys are rejected."""

    doc_id_pattern: str = setting(
        r"^(?P<prefix>[A-Z][A-Z0-9]{1,9})(?:-(?P<category>[A-Z][A-Z0-9]{0,9}))?"
        r"-(?P<year>\d{4})-(?P<seq>\d{3,4})$",
        "Regular expression for 流程编号; a named group `year` enables the year check.")
    doc_id_example: str = setting("CRM-CS-2024-005", "Shown in messages.")
    review_levels: list[str] = setting(
        list(REVIEW_LEVELS),
        "Review levels that must all be present and 通过 for a release, in order; "
        "the last one approves. They are the 审核级别 dropdown of every template.", check=_review_levels)
    categories: list[str] = setting(
        [], "Allowed 流程类别 (archive folders), the template's dropdown; empty: free text.",
        check=_dropdown)
    departments: list[str] = setting(
        [], "Allowed 主责部门 (archive folders), the template's dropdown; empty: free text.",
        check=_dropdown)
    review_interval_months: int = setting(
        6, "Next 定期回顾 (periodic review) = effective + N months.", ge=1)
    vague_words: list[str] = setting(list(VAGUE_WORDS), "Words to warn about.")
    workday_hours: float = setting(8.0, "Hours in one 工作日 for durations.", gt=0)
    register_file: str = setting("流程文件总台账.xlsx", "Register name in outbox/.")
    returned_folder: str = setting("退回", "Folder in inbox/ for returned workbooks.")
    training_folder: str = setting("培训副本", "Folder in outbox/ for training copies.")
    max_file_mb: float = setting(20, "Largest workbook accepted.", gt=0)
    strict: bool = setting(False, "Treat warnings as errors.")
    notices: dict[str, Any] = setting(
        {}, "[notices] table: SMTP server, sender, department → addresses, portal URL "
        "(validated by officeflow.portal.config; see docs/portal.md).")
    portal_submit: bool = setting(False, "The portal's online check may submit into inbox/.")
    ledger_url: str = setting(
        "", "PostgreSQL ledger for several hosts (postgresql://user@host/db); "
        "empty: the SQLite file .officeflow/ledger.sqlite3. OFFICEFLOW_LEDGER_URL overrides it.")
    self_approval: Literal["warning", "error"] = setting(
        "warning", "Every review level signed by the 流程负责人 himself on one day "
        "(review.self-approved): a warning, or an error that blocks the release.")
    # Inbox intake (officeflow watch).
    polling: bool = setting(
        False, "Poll the inbox instead of native file events (SMB/NFS shares hear no events).")
    poll_interval: float = setting(2.0, "Seconds between polls with polling.", gt=0)
    stable_seconds: float = setting(
        2.0, "A file is taken only after its size and time stayed unchanged this long.", ge=0)
    rescan_seconds: float = setting(
        30.0, "Full rescan of the inbox every N seconds (catches missed events).", gt=0)
    incomplete_grace_seconds: float = setting(
        60.0, "How long a stable .xlsx that is not yet a complete zip is waited for "
        "before it is returned as corrupt.", ge=0)
    register_quiet_seconds: float = setting(
        2.0, "Export the register once the inbox has been quiet this long "
        "(once per batch, not per file); a failed export is retried with backoff.", ge=0)
    processing_folder: str = setting(
        ".processing", "Folder in inbox/ where claimed files wait while they are processed.",
        check=_one_folder_name)
    company_name: str = setting("", "Company name in the header of every document.")
    company_logo: str = setting("", "Logo image (path from the workspace) beside it.")

    # pydantic's names, for the callers written while Settings was a pydantic model.
    model_fields: ClassVar[dict[str, Key]]

    def __post_init__(self) -> None:
        for name in KEYS:
            object.__setattr__(self, name, _checked(name, getattr(self, name)))

    def model_copy(self, *, update: dict[str, Any]) -> Settings:
        return replace(self, **update)

    @classmethod
    def model_validate(cls, data: dict[str, Any]) -> Settings:
        """Settings from a parsed officeflow.toml; ConfigError names every problem."""
        return load_settings_data(data, Path(CONFIG_FILE))


KEYS: dict[str, Key] = {f.name: f.metadata["key"] for f in fields(Settings)}
Settings.model_fields = KEYS


@cache
def _types() -> dict[str, Any]:
    return get_type_hints(Settings)


def _checked(name: str, value: Any) -> Any:
    """`value` as Settings keeps it, or ValueError `name：problem`."""
    key = KEYS[name]
    try:
        value = _typed(_types()[name], value)
        if key.gt is not None and not value > key.gt:
            raise ValueError(f"值 {value!r} 无效，应 > {key.gt}")
        if key.ge is not None and not value >= key.ge:
            raise ValueError(f"值 {value!r} 无效，应 ≥ {key.ge}")
        return key.check(value) if key.check else value
    except ValueError as exc:
        raise ValueError(f"{name}：{exc}") from None


def _typed(declared: Any, value: Any) -> Any:
    """`value` if it already has the declared type (an int serves as a float and becomes one)."""
    origin, args = get_origin(declared), get_args(declared)
    if origin is Literal:
        fits = isinstance(value, str) and value in args
    elif origin is list:
        fits = isinstance(value, list) and all(isinstance(v, args[0]) for v in value)
        value = list(value) if fits else value
    elif origin is dict:
        fits = isinstance(value, dict)
        value = dict(value) if fits else value
    elif declared is float:
        fits = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if fits else value
    else:
        fits = isinstance(value, declared) and (declared is bool or not isinstance(value, bool))
    if not fits:
        raise ValueError(f"值 {value!r} 的类型不对")
    return value


class Workspace(NamedTuple):  # not a dataclass: ~0.7 ms less of every command's start-up
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
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        text = re.sub(r" \(at .*?\)$", "", str(exc))
        at = f"第 {where[1]} 行第 {where[2]} 列" if where else "位置未知"
        raise ConfigError(f"配置文件 {path} 不是有效的 TOML：{at}（{text}）") from exc
    return load_settings_data(data, path)


def load_settings_data(data: dict[str, Any], path: Path) -> Settings:
    """Settings from the parsed file at `path`; ConfigError names every problem."""
    settings = settings_of(data)
    if settings is None:  # a value to convert or a problem to name: pydantic's part
        from officeflow.settings_check import checked_settings

        settings = checked_settings(data, path, Settings, KEYS)
    try:
        re.compile(settings.doc_id_pattern)  # compiled by the rules on every workbook: fail here, named
    except re.error as exc:
        raise ConfigError(f"配置文件 {path} 有误：\n  doc_id_pattern：不是有效的正则表达式"
                          f"（{exc.msg}，位置 {exc.pos}）") from exc
    return settings


def settings_of(data: dict[str, Any]) -> Settings | None:
    """Settings from values that are known keys, already of their type and pass their checks; else None."""
    if not data.keys() <= KEYS.keys():
        return None
    try:
        return Settings(**data)
    except ValueError:
        return None


def open_workspace(root: Path) -> Workspace:
    return Workspace(root.resolve(), load_settings(root))


def default_config_text() -> str:
    """officeflow.toml written by `init`: every key, commented, with its default."""
    lines = ["# officeflow settings. Every key is optional; the values shown are the defaults.", ""]
    for key in fields(Settings):
        default = key.default if key.default_factory is MISSING else key.default_factory()
        lines.append(f"# {key.metadata['key'].description}")
        lines.append(f"# {key.name} = {_toml_value(default)}")
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
