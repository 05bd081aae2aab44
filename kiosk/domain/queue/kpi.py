"""Key figures of a day, per category, window and clerk (queue.md §3: Qmatic's waiting,
transaction and no-show figures; 忙闲不均, uneven load across windows, which Chinese hall
managers are asked about).

Computed from finished visits (:class:`Visit`), pure; the station reads them from the store.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .visits import Outcome


@dataclass(frozen=True)
class Visit:
    """One ended ticket, as the figures need it (times in seconds)."""

    category: str
    window: str | None
    clerk: str | None
    outcome: Outcome
    wait_s: float | None
    """Issued → first called; None when never called."""
    service_s: float | None
    """Started → finished; None when not served."""


@dataclass(frozen=True)
class Figures:
    tickets: int
    served: int
    no_shows: int
    wait_p50_s: float | None
    wait_p90_s: float | None
    service_p50_s: float | None

    @property
    def no_show_rate(self) -> float | None:
        called = self.served + self.no_shows
        return self.no_shows / called if called else None

    def as_json(self) -> dict[str, object]:
        return {"tickets": self.tickets, "served": self.served, "no_shows": self.no_shows,
                "no_show_rate": self.no_show_rate, "wait_p50_s": self.wait_p50_s,
                "wait_p90_s": self.wait_p90_s, "service_p50_s": self.service_p50_s}


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0–1), linear between order statistics; None without values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def figures(visits: Iterable[Visit]) -> Figures:
    """The figures of a set of visits (voided tickets never count: they were not issued)."""
    counted = [v for v in visits if v.outcome is not Outcome.VOIDED]
    waits = [v.wait_s for v in counted if v.wait_s is not None]
    services = [v.service_s for v in counted
                if v.outcome is Outcome.NORMAL and v.service_s is not None]
    return Figures(
        tickets=len(counted),
        served=sum(v.outcome is Outcome.NORMAL for v in counted),
        no_shows=sum(v.outcome is Outcome.NO_SHOW for v in counted),
        wait_p50_s=percentile(waits, 0.5), wait_p90_s=percentile(waits, 0.9),
        service_p50_s=percentile(services, 0.5))


def by(visits: Iterable[Visit], key: Callable[[Visit], str | None]) -> dict[str, Figures]:
    """Figures per category, window or clerk (``key``); visits without one are left out."""
    groups: dict[str, list[Visit]] = defaultdict(list)
    for visit in visits:
        name = key(visit)
        if name is not None:
            groups[name].append(visit)
    return {name: figures(group) for name, group in sorted(groups.items())}


def uneven_load(busy_s_by_window: dict[str, float]) -> float | None:
    """忙闲不均: the coefficient of variation of the windows' busy time (standard deviation
    over mean; 0 when every window worked alike, 1 and more when a few did the work).
    None with fewer than two windows or no work at all."""
    values = list(busy_s_by_window.values())
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    if mean <= 0:
        return None
    return statistics.pstdev(values) / mean
