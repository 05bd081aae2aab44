"""Whether a category may issue a ticket now: its hours, its daily quota and its time-slot
quotas (JackQChen/QueueSystem's lineUpMax and time intervals, Novo SGA's daily maximum;
../shared/research/queue.md (a)).

Pure: the caller gives the local time and how many tickets were issued today and in each
span; the refusal says why in Chinese and English, and when tickets are issued again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


class IssueRefused(ValueError):
    """The category issues no ticket now; the message says why and when it will."""


@dataclass(frozen=True)
class Span:
    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> Span:
        """``"08:30-12:00"`` (the end is not part of the span)."""
        first, _, last = text.partition("-")
        return cls(dt.time.fromisoformat(first), dt.time.fromisoformat(last))

    def covers(self, at: dt.time) -> bool:
        return self.start <= at < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Category:
    prefix: str
    name: str
    name_en: str = ""
    hours: tuple[Span, ...] = ()
    """Empty: issued whenever the station runs."""
    daily_quota: int = 0
    """0: no limit."""
    slot_quotas: Mapping[Span, int] = field(default_factory=dict)
    green_channel: bool = True

    def open_at(self, at: dt.time) -> bool:
        return not self.hours or any(span.covers(at) for span in self.hours)


def check_issue(category: Category, at: dt.datetime, issued_today: int,
                issued_at: Sequence[dt.time]) -> None:
    """Raise :class:`IssueRefused` when ``category`` may not issue a ticket at local time
    ``at``.

    :param issued_today: tickets of the category issued this service day (voided ones not
        counted: a ticket that never came out takes no place in a quota).
    :param issued_at: the local times of those tickets, for the slot quotas.
    """
    now = at.time()
    name = f"{category.name}（{category.prefix}）"
    if not category.open_at(now):
        spans = "、".join(str(span) for span in category.hours)
        raise IssueRefused(f"{name}现在不取号，取号时间 {spans} / "
                           f"{category.name_en or category.prefix} issues tickets only at "
                           f"{', '.join(map(str, category.hours))}")
    if category.daily_quota and issued_today >= category.daily_quota:
        raise IssueRefused(f"{name}今日号已取完（{category.daily_quota} 个），请明天再来 / "
                           f"today's {category.daily_quota} tickets are all taken")
    for span, quota in category.slot_quotas.items():
        if span.covers(now) and sum(span.covers(t) for t in issued_at) >= quota:
            raise IssueRefused(f"{name} {span} 时段的号已取完（{quota} 个），请在 {span.end:%H:%M}"
                               f" 后再来 / the {quota} tickets of {span} are all taken; "
                               f"come back after {span.end:%H:%M}")
