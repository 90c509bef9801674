"""The pieces of a laid-out diagram (pure data, millimetres at print size)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lane:
    name: str
    helper: bool  # only ever helps (配合), never responsible


@dataclass(frozen=True)
class Box:
    id: str  # step number, START, END, or `<number>@<lane>` for a helper mark
    kind: str  # step | start | end | helper
    lane: int
    band: int
    col: int
    x: float
    y: float
    w: float
    h: float
    number: str = ""
    name_lines: tuple[str, ...] = ()
    time: str = ""
    tags: tuple[str, ...] = ()
    marks: tuple[str, ...] = ()  # control | bottleneck | decision
    title: str = ""

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def midy(self) -> float:
        return self.y + self.h / 2


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    label: str
    points: tuple[tuple[float, float], ...]
    bands: tuple[int, ...]
    dashed: bool = False  # a helper link, not a flow
    label_at: tuple[float, float] | None = None  # centre and baseline of the label
    shown: str = ""  # the label as drawn, when cut to fit (else the label itself)


@dataclass(frozen=True)
class PhaseBar:
    key: str
    label: str
    band: int
    x: float
    y: float
    w: float


@dataclass(frozen=True)
class Placement:
    """One band: its top (phase strip first, when there are phases) and where its lanes start."""

    index: int
    top: float
    lanes_top: float
    bottom: float
