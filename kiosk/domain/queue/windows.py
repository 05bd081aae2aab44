"""Windows (窗口) and the advice to open or close a temporary one (潮汐窗口).

A window has a number (what the voice and the LED sign say), a name, the categories it serves
with weights (a 综合窗口 serves several, preferring some), and a state: ``open`` (calls
tickets), ``paused`` (the clerk stepped away: the hall hears "N号窗口暂停服务", queue.md §4),
``closed``. Temporary windows are opened on advice when a category's queue grows and closed
when they stand idle (queue.md §3: Chinese vendors' 潮汐 windows).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class WindowState(enum.StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


@dataclass(frozen=True)
class Window:
    number: str
    name: str
    weights: Mapping[str, int]
    """Category prefix → weight (higher: preferred)."""
    state: WindowState = WindowState.CLOSED
    temporary: bool = False

    def __post_init__(self) -> None:
        if not self.number.strip():
            raise ValueError("a window needs a number")
        if not self.weights or any(w < 1 for w in self.weights.values()):
            raise ValueError(f"window {self.number} must serve at least one category, each "
                             "with a weight of 1 or more")

    def serves(self, category: str) -> bool:
        return category in self.weights

    def with_state(self, state: WindowState) -> Window:
        return dataclasses.replace(self, state=state)


@dataclass(frozen=True)
class AdviceRules:
    open_when_wait_s: float = 1800.0
    """Advise a temporary window when a category's estimated wait passes this. Unit: s."""
    open_when_waiting: int = 15
    """… or when this many tickets of one category wait."""
    close_when_idle_s: float = 900.0
    """Advise closing a temporary window that has called nobody for this long. Unit: s."""


@dataclass(frozen=True)
class Advice:
    action: str
    """``open`` (a temporary window for ``category``) or ``close`` (``window``)."""
    category: str | None = None
    window: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class CategoryLoad:
    category: str
    waiting: int
    estimated_wait_s: float | None
    """None: no open window serves it (which is itself a reason to open one)."""


@dataclass(frozen=True)
class WindowIdle:
    window: Window
    idle_s: float
    """Seconds since it last called a ticket (or opened)."""


def advice(loads: Iterable[CategoryLoad], idle: Iterable[WindowIdle],
           rules: AdviceRules | None = None) -> list[Advice]:
    """What to tell the manager: categories whose queue passed a threshold, and temporary
    windows that have stood idle. Pure: the station calls it after each change."""
    rules = rules or AdviceRules()
    out: list[Advice] = []
    for load in loads:
        if load.waiting <= 0:
            continue
        if load.estimated_wait_s is None:
            out.append(Advice("open", category=load.category,
                              reason=f"{load.waiting} 人等候，没有窗口办理 / "
                                     f"{load.waiting} waiting and no window open for them"))
        elif load.estimated_wait_s >= rules.open_when_wait_s \
                or load.waiting >= rules.open_when_waiting:
            minutes = round(load.estimated_wait_s / 60)
            out.append(Advice("open", category=load.category,
                              reason=f"{load.waiting} 人等候，约 {minutes} 分钟 / "
                                     f"{load.waiting} waiting, about {minutes} min"))
    for entry in idle:
        window = entry.window
        if window.temporary and window.state is not WindowState.CLOSED \
                and entry.idle_s >= rules.close_when_idle_s:
            minutes = round(entry.idle_s / 60)
            out.append(Advice("close", window=window.number,
                              reason=f"{minutes} 分钟无人办理 / idle for {minutes} min"))
    return out
