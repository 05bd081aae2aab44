"""The station's event fan-out: order, a subscriber that falls behind, shutdown, and the
advice event that goes out only when the advice changes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.config import SiteConfig
from kiosk.station.runtime import (
    BACKLOG,
    CLOSE_RESTART,
    CLOSE_TOO_SLOW,
    EventHub,
    Station,
)
from kiosk.station.settings import QueueSettings
from offline_store.site import Site


def drain(queue: asyncio.Queue[Any]) -> list[Any]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


def test_every_subscriber_gets_every_event_in_order() -> None:
    hub = EventHub()
    one, two = hub.subscribe(), hub.subscribe()
    hub.publish([{"seq": 1}, {"seq": 2}])
    hub.publish([{"seq": 3}])
    assert [e["seq"] for e in drain(one.queue)] == [1, 2, 3]
    assert [e["seq"] for e in drain(two.queue)] == [1, 2, 3]


def test_a_subscriber_that_falls_behind_is_dropped_not_buffered() -> None:
    hub = EventHub()
    slow, fast = hub.subscribe(), hub.subscribe()
    for n in range(BACKLOG):
        hub.publish([{"seq": n}])
        drain(fast.queue)
    hub.publish([{"seq": BACKLOG}])  # one more than the slow one can hold
    assert slow not in hub.subscribers and fast in hub.subscribers
    assert drain(slow.queue) == [None] and slow.close_code == CLOSE_TOO_SLOW
    assert [e["seq"] for e in drain(fast.queue)] == [BACKLOG]


def test_shutdown_closes_every_stream_and_any_that_comes_late() -> None:
    hub = EventHub()
    early = hub.subscribe()
    early.queue.put_nowait({"seq": 1})  # not yet sent: dropped, the client resyncs anyway
    hub.close_all()
    assert drain(early.queue) == [None] and early.close_code == CLOSE_RESTART
    late = hub.subscribe()
    assert drain(late.queue) == [None] and not hub.subscribers


@pytest.fixture
def station(site: Site) -> Iterator[Station]:
    made = Station(site, QueueSettings.from_config(SiteConfig()))
    yield made
    made.close()


def test_events_are_numbered_and_advice_goes_out_when_it_changes(station: Station) -> None:
    loop = asyncio.new_event_loop()
    station.loop = loop
    listener = station.hub.subscribe()
    engine = station.engine

    def issue(category: str) -> None:
        answer = station._do("token", uuid.uuid4().hex, "p",
                             lambda conn: engine.issue(conn, category=category, confirm=True))
        assert answer.status == 201

    try:
        for _ in range(14):
            issue("B")
        issue("B")  # the 15th waiting: advise a temporary window for B
        issue("B")  # still advised: no new advice event
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    events = drain(listener.queue)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    kinds = [e["type"] for e in events]
    assert kinds.count("ticket.issued") == 16
    assert kinds.count("advice") == 1 and kinds.index("advice") == 15
    advice = events[15]["advice"]
    assert advice[0]["action"] == "open_window" and advice[0]["category"] == "B"
