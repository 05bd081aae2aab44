import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.queue.ordering import (
    OrderingRules,
    Waiting,
    effective_priority,
    next_ticket,
    queue_order,
)
from kiosk.domain.queue.priority import Reason

T0 = dt.datetime(2026, 11, 24, 9, 0)
RULES = OrderingRules()


def ticket(seq: int, minute: float, category: str = "A", *reasons: Reason,
           slot: tuple[float, float] | None = None) -> Waiting:
    start = end = None
    if slot is not None:
        start, end = (T0 + dt.timedelta(minutes=m) for m in slot)
    return Waiting(f"t{category}{seq}", f"{category}{seq:03d}", category, seq,
                   T0 + dt.timedelta(minutes=minute), tuple(reasons), start, end)


def at(minute: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def test_without_priority_it_is_first_come_first_served() -> None:
    waiting = [ticket(3, 2), ticket(1, 0), ticket(2, 1)]
    assert [t.seq for t in queue_order(waiting, at(5), RULES)] == [1, 2, 3]


def test_the_green_channel_goes_ahead_then_ageing_catches_up() -> None:
    walk_in = ticket(1, 0)
    elderly = ticket(2, 10, "A", Reason.ELDERLY)
    assert next_ticket([walk_in, elderly], at(15), RULES, {"A": 1}) is elderly
    # an elderly citizen overtakes anyone who came less than 2 × 30 min earlier, no more
    late_elderly = ticket(3, 61, "A", Reason.ELDERLY)
    assert next_ticket([walk_in, late_elderly], at(62), RULES, {"A": 1}) is walk_in


def test_an_appointment_counts_only_inside_its_slot() -> None:
    walk_in = ticket(1, 0)
    booked = ticket(2, 1, "A", Reason.APPOINTMENT, slot=(30, 45))
    window = {"A": 1}
    assert next_ticket([walk_in, booked], at(5), RULES, window) is walk_in  # too early
    assert next_ticket([walk_in, booked], at(16), RULES, window) is booked  # 15 min before
    assert next_ticket([walk_in, booked], at(46), RULES, window) is walk_in  # slot over
    assert effective_priority(booked, at(20), RULES) == 3
    assert effective_priority(booked, at(50), RULES) == 1  # 49 minutes' ageing only


def test_a_window_calls_only_its_categories_and_prefers_its_own() -> None:
    a, b = ticket(1, 0, "A"), ticket(1, 1, "B")
    assert next_ticket([a, b], at(2), RULES, {"B": 1}) is b
    assert next_ticket([a, b], at(2), RULES, {"A": 1, "B": 2}) is b  # its own, though later
    assert next_ticket([a, b], at(2), RULES, {"A": 1, "B": 1}) is a
    assert next_ticket([a, b], at(2), RULES, {"C": 1}) is None
    # priority comes before the window's preference
    elderly_a = ticket(2, 1, "A", Reason.ELDERLY)
    assert next_ticket([elderly_a, b], at(2), RULES, {"A": 1, "B": 2}) is elderly_a


def test_rules_are_checked() -> None:
    with pytest.raises(ValueError, match="ageing_minutes"):
        OrderingRules(ageing_minutes=0)
    with pytest.raises(ValueError, match="weights"):
        OrderingRules(weights={Reason.ELDERLY: -1})
    assert OrderingRules().overtaking_limit == dt.timedelta(minutes=90)


arrivals = st.lists(
    st.tuples(st.floats(0, 240, allow_nan=False),  # minute of arrival
              st.sampled_from([(), (Reason.ELDERLY,), (Reason.PREGNANT,), (Reason.DISABLED,),
                               (Reason.APPOINTMENT,)]),
              st.floats(-30, 240, allow_nan=False)),  # appointment slot start
    min_size=2, max_size=40)


@settings(max_examples=150, deadline=None)
@given(arrivals, st.lists(st.floats(0.5, 12, allow_nan=False), min_size=1, max_size=60))
def test_nobody_is_overtaken_by_anyone_who_came_much_later(
        people: list[tuple[float, tuple[Reason, ...], float]], gaps: list[float]) -> None:
    """One window calls at random intervals, tickets arrive with random green-channel
    reasons: a ticket is never called before one that arrived more than the overtaking limit
    earlier (the module docstring's bound, which is what "nobody waits forever" means)."""
    tickets = [ticket(i + 1, minute, "A", *reasons,
                      slot=(slot, slot + 15) if Reason.APPOINTMENT in reasons else None)
               for i, (minute, reasons, slot) in enumerate(sorted(people, key=lambda p: p[0]))]
    limit = RULES.overtaking_limit
    now, called = T0, []
    pending = list(tickets)
    gap_iter = itertools.cycle(gaps)
    while pending:
        now += dt.timedelta(minutes=next(gap_iter))
        present = [t for t in pending if t.issued_at <= now]
        if not present:
            continue
        chosen = next_ticket(present, now, RULES, {"A": 1})
        assert chosen is not None
        # everyone still waiting who came more than the limit before the chosen one
        overtaken = [t for t in present if t is not chosen
                     and chosen.issued_at - t.issued_at > limit]
        assert not overtaken, (chosen, overtaken)
        called.append(chosen)
        pending.remove(chosen)
    assert sorted(t.seq for t in called) == [t.seq for t in tickets]
