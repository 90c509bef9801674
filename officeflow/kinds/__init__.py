"""The registry of document kinds; a kind is data (see officeflow.catalog).

Every kind, shipped or plugged in, goes through `register_kind`, which checks the kind
contract (officeflow.kinds.contract): a kind that breaks it fails at import.
"""

from __future__ import annotations

from officeflow.catalog import KindSpec
from officeflow.kinds.contract import KindContractError as KindContractError  # re-exported
from officeflow.kinds.contract import check_kind
from officeflow.kinds.optimization import OPTIMIZATION
from officeflow.kinds.scenario import SCENARIO
from officeflow.kinds.sop import SOP
from officeflow.kinds.standard import STANDARD
from officeflow.text import normalise_label

KINDS: dict[str, KindSpec] = {}


def register_kind(kind: KindSpec) -> None:
    """Add a kind (shipped, plug-in or test) after checking the kind contract.

    Raises KindContractError (a ValueError) naming what the kind lacks, or ValueError when
    its label is already another kind's.
    """
    for existing in KINDS.values():
        if existing.key != kind.key and existing.label == kind.label:
            raise ValueError(f"kind label {kind.label!r} already used by {existing.key!r}")
    check_kind(kind)
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


for _kind in (SOP, SCENARIO, STANDARD, OPTIMIZATION):
    register_kind(_kind)
