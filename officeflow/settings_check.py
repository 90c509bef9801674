"""A bad officeflow.toml explained, key by key; the values pydantic converts ("6" → 6) kept.

officeflow.settings reads a file whose values already have their declared types and pass
their checks; any other file comes here. The pydantic model is built from Settings' fields,
so the keys, types, bounds and checks are declared once, in officeflow.settings (which passes
its Settings class and KEYS in: this module imports nothing of it, so there is no cycle).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, TypeVar, get_type_hints

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model

from officeflow.errors import ConfigError

T = TypeVar("T")


def checked_settings(data: dict[str, Any], path: Path, settings: type[T], keys: dict[str, Any]) -> T:
    """`settings` (the Settings class) from `data` as pydantic converts it, or a ConfigError with
    one line per problem; `keys`: settings.KEYS."""
    try:
        model = _model(settings, tuple(keys.items())).model_validate(data)
    except ValidationError as exc:
        problems = sorted(_problem(e, keys) for e in exc.errors())
        raise ConfigError(f"配置文件 {path} 有误：\n" + "\n".join(f"  {p}" for p in problems)) from exc
    return settings(**{name: getattr(model, name) for name in model.model_fields_set})


@cache
def _model(settings: type, keys: tuple[tuple[str, Any], ...]) -> type[BaseModel]:
    """Settings as a pydantic model; defaults stay Settings' own (a key not given is not passed on)."""
    declared = get_type_hints(settings)
    definitions: dict[str, Any] = {}
    for name, key in keys:
        kind = Annotated[declared[name], AfterValidator(key.check)] if key.check else declared[name]
        definitions[name] = (kind, Field(default=None, gt=key.gt, ge=key.ge))
    model: type[BaseModel] = create_model("Settings", __config__=ConfigDict(extra="forbid"), **definitions)
    return model


# What a pydantic error type means, for the operator who edits officeflow.toml.
_EXPECTED = {
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字", "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false", "string_type": "应为文字（加引号）", "list_type": "应为列表，如 [\"a\", \"b\"]",
    "dict_type": "应为表（[名称] 段）",
}


def _problem(error: Any, keys: dict[str, Any]) -> str:
    """One line per problem: the key, what is wrong, and for an unknown key the likely one."""
    key = ".".join(map(str, error["loc"]))
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        import difflib  # only for a mistyped key

        close = difflib.get_close_matches(key, list(keys), n=1)
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
