import datetime as dt

import pytest

from kiosk.domain.queue import visits
from kiosk.domain.queue.ordering import OrderingRules, Waiting, next_ticket
from kiosk.domain.queue.visits import Outcome, Status, Ticket, VisitError

T0 = dt.datetime(2026, 11, 24, 9, 0)


def at(minute: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def fresh(number: str = "A001", category: str = "A") -> Ticket:
    return Ticket(f"id-{number}", number, category, T0)


def test_the_common_path_call_start_finish() -> None:
    t, e = visits.call(fresh(), "3", at(5))
    assert (t.status, t.window, t.calls, e.kind, e.window) == (Status.CALLED, "3", 1, "called", "3")
    t, e = visits.recall(t, at(6))
    assert t.calls == 2 and t.called_at == at(6) and e.kind == "recalled"
    t, _ = visits.start(t, at(7))
    assert t.status is Status.SERVING and t.started_at == at(7)
    t, e = visits.finish(t, at(12))
    assert (t.status, t.outcome, e.outcome) == (Status.DONE, Outcome.NORMAL, Outcome.NORMAL)


def test_finishing_without_start_counts_service_from_the_call() -> None:
    t, _ = visits.call(fresh(), "1", at(5))
    t, _ = visits.finish(t, at(9))
    assert t.started_at == at(5) and t.outcome is Outcome.NORMAL


def test_no_show_ends_the_visit() -> None:
    t, _ = visits.call(fresh(), "2", at(1))
    t, e = visits.no_show(t, at(3))
    assert (t.status, t.outcome, e.kind) == (Status.DONE, Outcome.NO_SHOW, "no_show")
    with pytest.raises(VisitError, match=r"弃号.*cannot be marked no-show"):
        visits.no_show(t, at(4))


def test_a_transfer_keeps_number_and_arrival_and_may_pin_a_window() -> None:
    t, _ = visits.call(fresh(), "1", at(2))
    t, _ = visits.start(t, at(3))
    moved, e = visits.transfer(t, at(8), category="C")
    assert (moved.status, moved.category, moved.number, moved.issued_at) == \
        (Status.WAITING, "C", "A001", T0)
    assert moved.outcome is Outcome.TRANSFERRED and e.detail == "category C"
    pinned, e = visits.transfer(t, at(8), window="5")
    assert pinned.pinned_window == "5" and pinned.category == "A" and e.detail == "window 5"
    with pytest.raises(VisitError, match="sent to window 5"):
        visits.call(pinned, "4", at(9))
    assert visits.call(pinned, "5", at(9))[0].status is Status.CALLED
    with pytest.raises(VisitError, match="one category or one window"):
        visits.transfer(t, at(8), category="C", window="5")
    with pytest.raises(VisitError, match="one category or one window"):
        visits.transfer(t, at(8))


def test_a_transferred_ticket_is_chosen_only_by_its_window() -> None:
    waiting = [Waiting("a", "A001", "A", 1, T0, pinned_window="5"),
               Waiting("b", "A002", "A", 2, at(1))]
    rules = OrderingRules()
    assert next_ticket(waiting, at(3), rules, {"A": 1}, window="4").ticket_id == "b"
    assert next_ticket(waiting, at(3), rules, {"B": 1}, window="5").ticket_id == "a"
    assert next_ticket(waiting, at(3), rules, {"A": 1}, window="5").ticket_id == "a"


def test_park_and_resume_at_the_same_window() -> None:
    t, _ = visits.call(fresh(), "2", at(1))
    t, _ = visits.start(t, at(2))
    parked, e = visits.park(t, at(4))
    assert (parked.status, parked.outcome, parked.pinned_window) == \
        (Status.PARKED, Outcome.PARKED, "2")
    with pytest.raises(VisitError, match="parked at window 2"):
        visits.resume(parked, "3", at(20))
    back, e = visits.resume(parked, "2", at(20))
    assert back.status is Status.SERVING and back.started_at == at(20) and e.kind == "resumed"
    done, _ = visits.finish(back, at(25))
    assert done.outcome is Outcome.NORMAL


def test_cancel_void_and_the_end_of_day() -> None:
    assert visits.cancel(fresh(), at(1))[0].outcome is Outcome.CANCELLED
    assert visits.void(fresh(), at(0))[0].outcome is Outcome.VOIDED
    called, _ = visits.call(fresh(), "1", at(1))
    with pytest.raises(VisitError, match=r"作废.*cannot be voided"):
        visits.void(called, at(2))
    closed = visits.reset(called, at(600))
    assert closed is not None and closed[0].outcome is Outcome.REMOVED_BY_RESET
    assert visits.reset(closed[0], at(601)) is None  # already done: nothing to close


def test_wrong_transitions_say_so_plainly() -> None:
    with pytest.raises(VisitError, match=r"A001 当前为“等候中”，不能重呼 / ticket A001 is waiting"):
        visits.recall(fresh(), at(1))
    with pytest.raises(VisitError, match="cannot be started"):
        visits.start(fresh(), at(1))
    with pytest.raises(VisitError, match="cannot be resumed"):
        visits.resume(fresh(), "1", at(1))


def test_one_open_ticket_per_id_card_per_category() -> None:
    a1, b1 = fresh("A001", "A"), fresh("B001", "B")
    holders = {a1.ticket_id: b"card-1", b1.ticket_id: b"card-2"}
    assert visits.open_duplicate([a1, b1], holders, b"card-1", "A") is a1
    assert visits.open_duplicate([a1, b1], holders, b"card-1", "B") is None
    done, _ = visits.cancel(a1, at(1))
    assert visits.open_duplicate([done, b1], holders, b"card-1", "A") is None
