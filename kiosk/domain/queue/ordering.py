"""Whose turn it is at a window.

The rule (queue.md §2, novosga's ``DefaultQueueOrderingHandler``, with ageing added), among the
waiting tickets of the categories the window serves:

1. the higher **effective priority**: the ticket's green-channel weight (:mod:`.priority`; an
   appointment counts only inside its slot, from ``appointment_early`` before its start to its
   end) plus one step for every ``ageing_minutes`` it has waited;
2. then the higher **window-category weight** (a 综合窗口 may prefer its own categories);
3. then the earlier **arrival** (issue time), then the lower sequence number.

Ageing is what keeps anyone from waiting forever: a ticket that arrives ``d`` later than
another can only overtake it while ``d`` is less than the largest priority weight times
``ageing_minutes`` (with the defaults: an elderly citizen may go ahead of someone who came up to
an hour earlier, never more), whatever the stream of later priority tickets. The tests check
this bound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .priority import WEIGHTS, Reason


@dataclass(frozen=True)
class Waiting:
    """A waiting ticket, as the ordering sees it."""

    ticket_id: str
    number: str
    category: str
    seq: int
    issued_at: dt.datetime
    reasons: tuple[Reason, ...] = ()
    appointment_start: dt.datetime | None = None
    appointment_end: dt.datetime | None = None
    pinned_window: str | None = None
    """Sent to (or parked at) this window: only it calls the ticket, whatever its category."""


@dataclass(frozen=True)
class OrderingRules:
    ageing_minutes: float = 30.0
    """One priority step per this many minutes waited (``[queue] ageing_minutes``)."""
    weights: Mapping[Reason, int] = field(default_factory=lambda: dict(WEIGHTS))
    """Priority steps per green-channel reason."""
    appointment_early: dt.timedelta = dt.timedelta(minutes=15)
    """An appointment counts from this long before its slot starts."""

    def __post_init__(self) -> None:
        if not self.ageing_minutes > 0:
            raise ValueError(f"ageing_minutes must be above 0, not {self.ageing_minutes}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("priority weights are 0 or more")

    @property
    def overtaking_limit(self) -> dt.timedelta:
        """How much later a ticket may arrive and still be called before another."""
        return dt.timedelta(minutes=max(self.weights.values(), default=0) * self.ageing_minutes)


def in_slot(ticket: Waiting, now: dt.datetime, rules: OrderingRules) -> bool:
    """The ticket's appointment slot is open (from ``appointment_early`` before its start)."""
    if ticket.appointment_start is None:
        return False
    end = ticket.appointment_end or ticket.appointment_start
    return ticket.appointment_start - rules.appointment_early <= now <= end


def effective_priority(ticket: Waiting, now: dt.datetime, rules: OrderingRules) -> int:
    """Green-channel weight plus ageing steps (rule 1 of the module docstring)."""
    weight = max((rules.weights.get(reason, 0) for reason in ticket.reasons
                  if reason is not Reason.APPOINTMENT or in_slot(ticket, now, rules)),
                 default=0)
    waited_min = max(0.0, (now - ticket.issued_at).total_seconds() / 60.0)
    return weight + int(waited_min // rules.ageing_minutes)


def sort_key(ticket: Waiting, now: dt.datetime, rules: OrderingRules,
             window_weights: Mapping[str, int] | None = None) -> tuple[object, ...]:
    window_weight = window_weights.get(ticket.category, 0) if window_weights else 0
    return (-effective_priority(ticket, now, rules), -window_weight, ticket.issued_at,
            ticket.seq, ticket.ticket_id)


def queue_order(waiting: Iterable[Waiting], now: dt.datetime, rules: OrderingRules,
                window_weights: Mapping[str, int] | None = None) -> list[Waiting]:
    """The tickets in the order they would be called: by a window serving
    ``window_weights``'s categories (only those), or, without, across all categories (a
    citizen's place in the hall)."""
    tickets = [t for t in waiting if window_weights is None or t.category in window_weights]
    return sorted(tickets, key=lambda t: sort_key(t, now, rules, window_weights))


def next_ticket(waiting: Iterable[Waiting], now: dt.datetime, rules: OrderingRules,
                window_weights: Mapping[str, int], window: str | None = None) -> Waiting | None:
    """The ticket ``window``, serving ``window_weights`` (category → weight), calls next:
    tickets sent to it come into its choice whatever their category, tickets sent to another
    window never do."""
    tickets = [t for t in waiting
               if (t.pinned_window is None and t.category in window_weights)
               or (window is not None and t.pinned_window == window)]
    if not tickets:
        return None
    return min(tickets, key=lambda t: sort_key(t, now, rules, window_weights))
