"""The counter's queue state without Qt: the station's frames in, what the panel shows and
which F-key may act out. Frames have the shapes of docs/api/events.md."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.client.http import StationError, StationUnreachable
from kiosk.ui.counter.queue_model import Action, QueueModel, plain_error, ticket_ref


def status(current: dict[str, Any] | None = None, state: str = "open",
           waiting: dict[str, int] | None = None) -> dict[str, Any]:
    waiting = {"A": 2, "B": 1, "C": 4} if waiting is None else waiting
    return {
        "categories": [{"prefix": p, "name": f"类{p}", "name_en": p, "waiting": n,
                        "estimated_wait_s": None, "issued": n, "open_now": True}
                       for p, n in waiting.items()],
        "windows": [
            {"number": "3", "name": "社保医保", "state": state, "temporary": False,
             "categories": {"B": 2, "A": 1}, "current": current},
            {"number": "4", "name": "民政", "state": "open", "temporary": False,
             "categories": {"C": 1}, "current": None},
        ],
    }


def ticket(number: str, status_: str, window: str | None = "3", **more: Any) -> dict[str, Any]:
    return {"id": f"t-{number}", "number": number, "category": number[0], "status": status_,
            "window": window, "calls": 1, **more}


def window_out(current: dict[str, Any] | None, state: str = "open") -> dict[str, Any]:
    return status(current, state)["windows"][0]


@pytest.fixture
def model() -> QueueModel:
    made = QueueModel("3")
    made.apply({"type": "hello", "seq": 1, "status": status()})
    made.live = made.signed_in = True
    return made


def allowed(model: QueueModel) -> set[str]:
    return {a.key for a, ok in model.enabled().items() if ok}


def test_hello_gives_this_windows_state_and_its_waiting(model: QueueModel) -> None:
    assert model.window_state == "open" and model.window_name == "社保医保"
    assert model.served == {"B": 2, "A": 1} and model.windows == ["3", "4"]
    assert model.waiting_here == 3  # A and B only: C is not served here
    assert model.current is None


def test_a_free_window_may_call_pause_or_take_a_walk_in(model: QueueModel) -> None:
    assert allowed(model) == {"F1", "F8", "F9"}
    assert not model.pause_means_open


def test_nothing_before_sign_in_or_while_a_request_is_on_its_way(model: QueueModel) -> None:
    model.signed_in = False
    assert allowed(model) == set()
    model.signed_in, model.busy = True, True
    assert allowed(model) == set() and not model.may_resume()


def test_no_call_when_nobody_waits_here_unless_the_counts_may_be_stale(
        model: QueueModel) -> None:
    model.apply({"type": "ticket.issued", "ticket": ticket("C005", "waiting", window=None),
                 "categories": status(waiting={"A": 0, "B": 0, "C": 5})["categories"]})
    assert model.waiting_here == 0 and "F1" not in allowed(model)
    model.live = False  # the feed is away: let the station answer
    assert "F1" in allowed(model)


def test_a_called_ticket_enables_what_a_called_ticket_may_do(model: QueueModel) -> None:
    called = ticket("A001", "called")
    model.apply({"type": "ticket.called", "ticket": called,
                 "windows": [window_out({"number": "A001", "status": "called"})],
                 "categories": status()["categories"]})
    assert model.current == called  # the id comes with the event's ticket
    assert allowed(model) == {"F2", "F3", "F4", "F5", "F6", "F7", "F8"}


def test_serving_cannot_be_recalled_or_marked_no_show(model: QueueModel) -> None:
    model.apply_ticket(ticket("A001", "serving"))
    assert allowed(model) == {"F4", "F5", "F6", "F7", "F8"}
    model.accepting = True  # the acceptance page has the case open
    assert allowed(model) == {"F5", "F6", "F8"}


def test_the_windows_list_is_the_truth_and_the_ticket_keeps_its_id(model: QueueModel) -> None:
    model.apply_ticket(ticket("A001", "called"))
    model.apply_window(window_out({"number": "A001", "status": "serving"}))
    assert model.current == {**ticket("A001", "called"), "status": "serving"}
    # a status from elsewhere (a reconnect) names another ticket: the number only
    model.apply({"type": "hello", "status": status({"number": "B002", "status": "called"})})
    assert model.current == {"number": "B002", "status": "called"}
    model.apply_window(window_out(None))
    assert model.current is None


def test_parked_tickets_are_followed_and_resumed(model: QueueModel) -> None:
    model.apply_ticket(ticket("A001", "serving"))
    model.apply({"type": "ticket.changed", "change": "parked",
                 "ticket": ticket("A001", "parked"), "windows": [window_out(None)]})
    assert model.current is None and list(model.parked) == ["A001"]
    assert model.may_resume()
    model.apply_ticket(ticket("A002", "parked", window="4"))  # parked at another window
    assert list(model.parked) == ["A001"]
    model.apply({"type": "ticket.changed", "change": "resumed",
                 "ticket": ticket("A001", "serving"),
                 "windows": [window_out({"number": "A001", "status": "serving"})]})
    assert model.parked == {} and model.current_status == "serving"
    assert not model.may_resume()


def test_tickets_sent_to_this_window_count_as_waiting_here(model: QueueModel) -> None:
    model.apply({"type": "ticket.changed", "change": "transferred",
                 "ticket": ticket("C007", "waiting")})
    assert list(model.pinned) == ["C007"] and model.waiting_here == 4
    model.apply_ticket(ticket("C007", "called"))
    assert model.pinned == {} and model.current_status == "called"


def test_a_ticket_sent_on_leaves_the_window(model: QueueModel) -> None:
    model.apply_ticket(ticket("A001", "serving"))
    model.apply_ticket(ticket("A001", "waiting", window="4"))
    assert model.current is None and model.pinned == {}


def test_a_new_day_forgets_yesterdays_tickets(model: QueueModel) -> None:
    model.apply_ticket(ticket("A001", "parked"))
    model.apply_ticket(ticket("C001", "waiting"))
    model.apply({"type": "status.reset", "status": status()})
    assert model.parked == {} and model.pinned == {} and model.current is None


def test_f8_opens_a_paused_window(model: QueueModel) -> None:
    model.apply({"type": "window.changed", "window": window_out(None, "paused")})
    assert model.window_state == "paused" and model.pause_means_open
    assert Action.PAUSE_OPEN in {a for a, ok in model.enabled().items() if ok}


def test_a_home_visit_has_no_queue(model: QueueModel) -> None:
    model.mode = "home_visit"
    assert allowed(model) == {"F9"} and not model.may_resume()


def test_other_windows_are_ignored(model: QueueModel) -> None:
    model.apply({"type": "window.changed", "window": {**window_out(None, "closed"),
                                                      "number": "4"}})
    assert model.window_state == "open"


def test_a_malformed_frame_raises_for_the_caller_to_skip(model: QueueModel) -> None:
    with pytest.raises(KeyError):
        model.apply({"type": "ticket.called", "ticket": {"status": "called"}})


def test_plain_errors_never_show_a_trace() -> None:
    refused = StationError(409, "window_busy", "3号窗口正在办理 A001 / window 3 still has A001")
    assert plain_error(refused) == refused.message
    assert "cannot reach the station" in plain_error(StationUnreachable("http://x", "refused"))
    assert plain_error(RuntimeError("secret detail")) == (
        "操作没有完成（RuntimeError），请重试 / the request did not complete (RuntimeError); "
        "try again")
    assert ticket_ref({"number": "A001"}) == "A001" and ticket_ref(None) == ""
