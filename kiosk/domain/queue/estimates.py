"""How long a citizen will wait: the figure printed on the ticket and shown in the hall.

The estimate (queue.md §3: Waitwhile's "service durations × active staff" model; FQM and
JackQChen show only the count ahead) for a category:

    wait ≈ tickets ahead ÷ windows serving it × typical service time

- **Typical service time**: the median of the category's last ``recent`` service times
  (started → finished) today; before there are ``min_samples`` of them, the site's default
  for the category (or ``default_service_s``). The median, not the mean: one case that took
  an hour must not double every estimate.
- **Windows serving it**: each open window that serves the category counts for its share:
  its weight for this category over the sum of its weights for the categories that have
  someone waiting (a 综合窗口 serving four busy categories gives each a quarter).
- **Tickets ahead**: as the ordering would call them (the station passes the position).

The benchmark backtests it on a simulated day (issue 6).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EstimateRules:
    default_service_s: float = 300.0
    """Service time assumed for a category without enough history today. Unit: s."""
    recent: int = 20
    """How many of the latest service times make the typical one."""
    min_samples: int = 3
    """Service times needed before they replace the default."""

    def __post_init__(self) -> None:
        if not self.default_service_s > 0:
            raise ValueError("default_service_s must be above 0")
        if self.recent < 1 or not 1 <= self.min_samples <= self.recent:
            raise ValueError("need 1 <= min_samples <= recent")


@dataclass(frozen=True)
class OpenWindow:
    """A window as the estimate sees it: open, and the categories it serves with weights."""

    number: str
    weights: Mapping[str, int]


def typical_service_s(recent_service_s: Sequence[float], rules: EstimateRules,
                      default_s: float | None = None) -> float:
    """The median of the latest ``rules.recent`` service times, or the default."""
    samples = [s for s in recent_service_s[-rules.recent:] if s > 0]
    if len(samples) < rules.min_samples:
        return default_s if default_s is not None else rules.default_service_s
    return float(statistics.median(samples))


def servers_for(category: str, windows: Iterable[OpenWindow],
                busy_categories: Iterable[str]) -> float:
    """How many windows' worth of service ``category`` gets (module docstring)."""
    busy = set(busy_categories) | {category}
    total = 0.0
    for window in windows:
        weight = window.weights.get(category, 0)
        if weight <= 0:
            continue
        shared = sum(w for c, w in window.weights.items() if c in busy and w > 0)
        total += weight / shared
    return total


def estimated_wait_s(ahead: int, typical_s: float, servers: float) -> float | None:
    """Seconds until a ticket with ``ahead`` tickets before it is called; None when no open
    window serves its category (the screen says so instead of a number)."""
    if ahead < 0:
        raise ValueError(f"tickets ahead cannot be negative ({ahead})")
    if servers <= 0:
        return None
    return ahead * typical_s / servers


def wait_minutes(seconds: float) -> int:
    """An estimated wait as the kiosk's screen and its ticket say it: whole minutes, rounded
    up, at least 1 (a citizen told "0 minutes" and then kept waiting trusts nothing after)."""
    return max(1, math.ceil(seconds / 60))
