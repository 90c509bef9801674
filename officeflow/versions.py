"""Version numbers `V<major>.<minor>`: parsing, ordering and legal successors (SPEC §3)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_VERSION = re.compile(r"^[Vv](\d{1,3})\.(\d{1,3})$")

FIRST_VERSION = "V1.0"


def parse_version(text: str) -> tuple[int, int] | None:
    """`V2.10` → (2, 10); None when the text is not a version."""
    match = _VERSION.match(text.strip())
    return (int(match[1]), int(match[2])) if match else None


def normalise_version(text: str) -> str:
    """`v1.0` → `V1.0` (the same version typed in lower case); any other text as it is."""
    return "V" + text[1:] if _VERSION.match(text.strip()) and text.startswith("v") else text


def format_version(version: tuple[int, int]) -> str:
    return f"V{version[0]}.{version[1]}"


@lru_cache(maxsize=4096)  # a few hundred distinct versions; the register export asks per version
def version_key(text: str) -> tuple[int, int]:
    """Sort key; unparseable versions sort first."""
    return parse_version(text) or (-1, -1)


def legal_successors(previous: str) -> tuple[str, str]:
    """The two versions that may follow `previous`: next minor and next major."""
    major, minor = parse_version(previous) or (0, 0)
    return format_version((major, minor + 1)), format_version((major + 1, 0))


def is_legal_successor(previous: str, candidate: str) -> bool:
    return candidate in legal_successors(previous)


def latest(versions: Iterable[str]) -> str | None:
    ordered = sorted(versions, key=version_key)
    return ordered[-1] if ordered else None


def next_version(archived: Iterable[str]) -> str:
    """The version a blank 版本号 gets: V1.0 for a new document, else the next minor."""
    newest = latest(archived)
    return legal_successors(newest)[0] if newest else FIRST_VERSION
