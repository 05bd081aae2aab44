"""The rating of a visit: asked once, bound to its ticket and case, entered by hand when the
pad gives nothing, kept pending when the station could not take it. The station's answers
are canned in the shape of ``POST /v1/ratings`` (the real route: test_window.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.client.http import StationError, StationUnreachable
from kiosk.counter_ports import CounterDevices, RatingAnswer
from kiosk.ui.counter.context import Clerk, CounterContext
from kiosk.ui.counter.rating_flow import RatingFlow, Visit, rating_body, visit_of
from kiosk.ui.runner import Runner

from .conftest import pump
from .fakes import FakeRating

TICKET = {"id": "t1", "number": "A007", "status": "done"}
CASE = {"id": "c1", "receipt_no": "DEMO-0001-20261124-0003"}


class CannedClient:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.refuse: list[BaseException] = []

    def rate(self, body: dict[str, Any]) -> dict[str, Any]:
        self.bodies.append(body)
        if self.refuse:
            raise self.refuse.pop(0)
        bad = body["level"] <= 2
        return {"id": f"r{len(self.bodies)}", "level": body["level"], "window": "3",
                "clerk": "zhang01", "rectification": {"id": "x", "stage": "verify",
                                                      "deadline": "2026-12-15"} if bad else None}


@pytest.fixture
def flow(qapp: Any) -> Iterator[RatingFlow]:
    runner = Runner()
    ctx = CounterContext(client=CannedClient(), runner=runner,  # type: ignore[arg-type]
                         devices=CounterDevices(rating=FakeRating()), window="3",
                         window_name="社保医保", clerk=Clerk("zhang01", "张芳"))
    made = RatingFlow(ctx, timeout_s=5)
    yield made
    pad = ctx.devices.rating
    if pad is not None:
        pad.cancel()
    runner.close()


@pytest.fixture
def notes(flow: RatingFlow) -> list[str]:
    """What the flow said for the strip, in order."""
    said: list[str] = []
    flow.noted.connect(said.append)
    return said


def pad_of(flow: RatingFlow) -> FakeRating:
    pad = flow.ctx.devices.rating
    assert isinstance(pad, FakeRating)
    return pad


def client_of(flow: RatingFlow) -> CannedClient:
    client = flow.ctx.client
    assert isinstance(client, CannedClient)
    return client


def test_the_body_and_the_visit() -> None:
    visit = visit_of(TICKET, CASE)
    assert visit == Visit("t1", "c1", "DEMO-0001-20261124-0003")
    assert rating_body(4, visit, "3") == {"level": 4, "channel": "terminal", "case_id": "c1",
                                         "ticket_id": "t1", "window": "3", "reasons": []}
    assert visit_of({"number": "A007"}, None) is None  # known by number only: no id to bind
    assert visit_of(TICKET, None) == Visit("t1", None, "A007")


def test_the_pad_answers_and_the_visit_is_not_asked_again(flow: RatingFlow) -> None:
    pad = pad_of(flow)
    pad.answers = [RatingAnswer(5)]
    flow.after_login()
    assert pump(lambda: pad.staff == [("张芳", "3", "社保医保")])
    flow.ask(TICKET, CASE)
    flow.ask(TICKET, None)  # F7 after the case: the same visit
    assert pump(lambda: flow.pending is None and client_of(flow).bodies != [])
    assert pad.asked == ["DEMO-0001-20261124-0003"]
    assert [b["level"] for b in client_of(flow).bodies] == [5]
    assert flow.rated_already(TICKET) and flow.rated_already(None, CASE)
    flow.ask(TICKET, None)
    assert pad.asked == ["DEMO-0001-20261124-0003"] and flow.pending is None


def test_by_hand_cancels_the_pad_and_a_bad_rating_shows_its_deadline(
        flow: RatingFlow, notes: list[str]) -> None:
    pad = pad_of(flow)  # no answers: the citizen walks away from the pad
    flow.ask(TICKET, None)
    assert pump(lambda: pad.asked == ["A007"])
    assert flow.asking is not None
    flow.submit(1)
    assert pump(lambda: flow.pending is None and not flow.sending)
    assert pump(lambda: pad.cancelled >= 1)
    assert client_of(flow).bodies[0]["level"] == 1
    assert any("2026-12-15" in n and "rectification due" in n for n in notes)


def test_a_timed_out_pad_leaves_the_visit_to_rate_by_hand(flow: RatingFlow,
                                                         notes: list[str]) -> None:
    pad_of(flow).answers = [RatingAnswer(None, timed_out=True)]
    flow.ask(TICKET, None)
    assert pump(lambda: flow.asking is None and any(
        "timed out" in n for n in notes))
    assert flow.pending is not None and client_of(flow).bodies == []


def test_a_lost_rating_stays_pending_and_a_second_one_is_not_pushed(
        flow: RatingFlow, notes: list[str]) -> None:
    flow.ctx.devices.rating = None
    client = client_of(flow)
    client.refuse = [StationUnreachable("http://station", "refused"),
                     StationError(409, "already_rated", "这次办事已经评价过了 / this visit "
                                  "was rated already (ticket t1)")]
    flow.ask(TICKET, None)
    assert any("No rating pad" in n for n in notes)
    flow.submit(4)
    assert pump(lambda: not flow.sending and len(client.bodies) == 1)
    assert flow.pending is not None  # the clerk may press again
    assert "cannot reach the station" in notes[-1]
    flow.submit(4)
    assert pump(lambda: not flow.sending and len(client.bodies) == 2)
    assert flow.pending is None and flow.rated_already(TICKET)
    assert "rated already" in notes[-1]
