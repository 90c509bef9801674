"""The registry of document kinds; a kind is data (see officeflow.catalog)."""

from __future__ import annotations

from officeflow.catalog import KindSpec
from officeflow.kinds.optimization import OPTIMIZATION
from officeflow.kinds.scenario import SCENARIO
from officeflow.kinds.sop import SOP
from officeflow.kinds.standard import STANDARD
from officeflow.text import normalise_label

KINDS: dict[str, KindSpec] = {k.key: k for k in (SOP, SCENARIO, STANDARD, OPTIMIZATION)}


def register_kind(kind: KindSpec) -> None:
    """Add a kind (used by plug-ins and tests); a kind key or label may not be reused."""
    for existing in KINDS.values():
        if existing.key != kind.key and existing.label == kind.label:
            raise ValueError(f"kind label {kind.label!r} already used by {existing.key!r}")
    KINDS[kind.key] = kind


def unregister_kind(key: str) -> None:
    KINDS.pop(key, None)


def find_kind(value: str) -> KindSpec | None:
    """The kind named by a 模板类型 value: its Chinese label or its key."""
    wanted = normalise_label(value)
    for kind in KINDS.values():
        if wanted in (normalise_label(kind.label), kind.key.lower()):
            return kind
    return None
