"""A hub that answers 5xx and 429 in bursts, a site clock that jumps, a three-day outage
simulated by the clock (../shared/research/sync.md §8 items 5, 6, 7): each ends with the hub
holding exactly what the site confirmed."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offline_store import tickets
from offline_store.clock import FixedClock
from offline_store.site import init_site
from sync.daemon import SyncSettings, enrol, status
from sync.hub.app import create_app
from sync.hub.runtime import Hub
from sync.hub.server import RunningHub
from tests.support.faultproxy import FaultProxy

from ..daemon.servers import serve_asgi
from .rig import (
    CHUNK_KIB,
    SITE,
    HubClock,
    Rig,
    assert_hub_holds_exactly_what_the_site_confirmed,
    day_start,
)


class Bursts:
    """ASGI middleware in front of the real hub: the next ``n`` requests get ``status``
    (with ``Retry-After`` on 429/503) without reaching the hub. Mocked: nothing, it is a
    hostile front end of our own."""

    def __init__(self, app: Any):
        self.app = app
        self.left = 0
        self.status = 503
        self.seen = 0

    def burst(self, status: int, n: int) -> None:
        self.status, self.left = status, n

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.left <= 0:
            await self.app(scope, receive, send)
            return
        self.left -= 1
        self.seen += 1
        headers = [(b"content-type", b"application/json")]
        if self.status in (429, 503):
            headers.append((b"retry-after", b"120"))
        body = b'{"error": {"code": "busy", "message": "busy"}}'
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def burst_rig(tmp_path: Path) -> Iterator[tuple[Rig, Bursts]]:
    clock = FixedClock(day_start())
    site, _ = init_site(tmp_path / "site", clock=clock)
    hub = Hub.open(tmp_path / "hub", clock=HubClock(clock))
    bursts = Bursts(create_app(hub))
    settings = SyncSettings(site_code=SITE, health_port=0, chunk_kib=CHUNK_KIB,
                            read_timeout_s=5, connect_timeout_s=2)
    try:
        with serve_asgi(bursts) as url:
            port = int(url.rsplit(":", 1)[1])
            with FaultProxy("127.0.0.1", port) as proxy:
                enrol(site, url, hub.admin.enrol_code(SITE)["code"], settings=settings)
                yield Rig(site, clock, RunningHub(url, hub, hub.admin, port), proxy,
                          settings), bursts
    finally:
        site.close()
        hub.close()


@pytest.mark.parametrize(("code", "n"), [(500, 7), (502, 3), (503, 12), (429, 25)])
def test_bursts_of_hub_errors_are_waited_out(burst_rig: tuple[Rig, Bursts], code: int,
                                             n: int) -> None:
    rig, bursts = burst_rig
    rig.record_day()
    daemon = rig.daemon()
    bursts.burst(code, n)
    rig.drive(daemon, cycles=40)
    assert bursts.seen == n and bursts.left == 0
    assert_hub_holds_exactly_what_the_site_confirmed(rig)
    # The error is kept for the technician, with its time, and success came after it.
    shown = status(rig.site)
    assert "busy" in shown["last_error"] and shown["last_push"] > shown["last_error_at"]


@pytest.mark.parametrize("jump", [dt.timedelta(days=-3), dt.timedelta(hours=-1),
                                  dt.timedelta(hours=7), dt.timedelta(days=400),
                                  dt.timedelta(days=-20_000)])
def test_a_site_clock_that_jumps_still_signs_in_hub_time(rig: Rig, jump: dt.timedelta) -> None:
    """The site's clock jumps (a dead RTC battery, a technician's typo); the hub's does not.
    Requests carry hub time learned from ``Date``, so the first stale refusal corrects it."""
    rig.record_day()
    daemon = rig.daemon()
    daemon.run_once()
    rig.remember_delivered()
    rig.record_day(cases_n=1)
    hub_clock = rig.hub.hub.clock
    assert isinstance(hub_clock, HubClock)
    hub_clock.skew = -jump.total_seconds()  # the hub stays where it was
    rig.clock.advance(seconds=jump.total_seconds())
    rig.drive(daemon, cycles=30, step_s=60)
    assert_hub_holds_exactly_what_the_site_confirmed(rig)
    assert abs(status(rig.site)["clock_offset_s"] + jump.total_seconds()) < 3 * 60 * 30


def test_a_three_day_outage_queues_everything_and_drains_it_after(rig: Rig) -> None:
    """Three days without the county (the clock moves, so backoff, upload expiry and tokens
    all age): nothing is lost meanwhile, the waits stay capped, and the backlog drains."""
    rig.record_day(cases_n=2, page_kib=400)
    daemon = rig.daemon()
    rig.proxy.cut_after(200_000, direction="up")  # half a page up, then the link goes
    daemon.run_once()
    rig.proxy.refuse(True)
    waits = []
    for hour in itertools.count():
        if hour >= 72:
            break
        rig.clock.advance(hours=1)
        if hour % 6 == 0:
            tickets.issue(rig.site, service_day=rig.clock.now().date().isoformat(),
                          category="B", channel="kiosk")
        daemon.run_once()
        due = rig.site.store.query(
            "SELECT max(next_at) AS t FROM outbox WHERE state = 'pending'")[0]["t"]
        waits.append((dt.datetime.fromisoformat(due.replace("Z", "+00:00"))
                      - rig.clock.now()).total_seconds())
    assert max(waits) <= 15 * 60 + 1  # the backoff never waits more than 15 minutes
    shown = status(rig.site)
    assert shown["outbox_pending"] > 0 and shown["oldest_pending_age_s"] >= 72 * 3600
    assert shown["last_error"]
    rig.proxy.clear()
    rig.drive(daemon, cycles=20)
    assert_hub_holds_exactly_what_the_site_confirmed(rig)
    shown = status(rig.site)
    assert shown["last_push"] >= shown["last_error_at"]
