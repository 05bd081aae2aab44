"""The link between site and hub misbehaves (cut, delayed, throttled, truncated, duplicated,
down) while a day's records and pages go up; when it heals, the hub holds exactly what the site
confirmed (../shared/research/sync.md §8 items 3, 4, 7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.faultproxy import FaultProxy

from .rig import CHUNK_KIB, Rig, assert_hub_holds_exactly_what_the_site_confirmed

FAULTS: dict[str, Callable[[FaultProxy], None]] = {
    "cut_up_every_40k": lambda p: p.cut_after(40_000, direction="up", every=True),
    "cut_down_every_3k": lambda p: p.cut_after(3_000, direction="down", every=True),
    "truncated_answers": lambda p: p.truncate_response(60),
    "link_down": lambda p: p.refuse(True),
    "delayed_chunks": lambda p: p.delay(0.02),
    "throttled_to_2_mbit": lambda p: p.throttle(250_000, direction="up"),
}
HEALS = {"delayed_chunks", "throttled_to_2_mbit"}
"""Faults a daemon works through without the fault ever being cleared."""


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_faulty_link_then_a_healed_one_delivers_everything_once(rig: Rig, fault: str) -> None:
    rig.record_day()
    daemon = rig.daemon()
    FAULTS[fault](rig.proxy)
    rig.drive(daemon, cycles=4)
    if fault not in HEALS:
        assert rig.undelivered() or rig.blobs_pending(), "the fault let everything through"
    rig.proxy.clear()
    rig.drive(daemon, cycles=30)
    assert_hub_holds_exactly_what_the_site_confirmed(rig)


def test_every_request_arriving_twice_changes_nothing(rig: Rig) -> None:
    rig.proxy.duplicate_requests(True)
    rig.record_day()
    cycles = rig.drive(rig.daemon(), cycles=30)
    assert cycles < 30
    assert rig.proxy.stats().replayed_bytes > 0
    assert_hub_holds_exactly_what_the_site_confirmed(rig)


def test_an_answer_lost_after_the_hub_applied_comes_back_as_duplicate(rig: Rig) -> None:
    """The kill between the hub's apply and the site's acknowledgement: the hub commits, the
    answer never arrives, the site sends again and is told ``duplicate``."""
    daemon = rig.daemon()
    daemon.run_once()  # the heartbeat and the audit summary: not due again in this test
    rig.record_day(cases_n=0)
    rig.proxy.truncate_response(0)
    daemon.run_once()
    applied_on_hub = len(rig.hub.admin.records("S01")["ops"])
    assert applied_on_hub > 0 and rig.undelivered() > 0
    rig.proxy.clear()
    rig.clock.advance(minutes=16)
    rig.drive(daemon, cycles=10)
    assert_hub_holds_exactly_what_the_site_confirmed(rig)


def test_a_cut_mid_upload_costs_at_most_one_chunk(rig: Rig) -> None:
    rig.record_day(tickets_n=0, cases_n=1, page_kib=600)
    page_bytes = sum(len(p) for p in rig.pages)
    daemon = rig.daemon()
    rig.proxy.cut_after(300_000, direction="up")
    rig.drive(daemon, cycles=1)
    assert rig.proxy.stats().cuts == 1
    before = rig.proxy.stats().bytes_up
    rig.drive(daemon, cycles=10)
    sent_after = rig.proxy.stats().bytes_up - before
    # Everything after the cut: what was left of the pages, at most one chunk again, and the
    # requests' own headers and ops (a few kB).
    assert sent_after <= page_bytes - 300_000 + CHUNK_KIB * 1024 + 64 * 1024
    assert_hub_holds_exactly_what_the_site_confirmed(rig)


def test_a_cut_link_and_duplicated_requests_against_a_hub_on_postgresql(pg_rig: Rig) -> None:
    """The county's production database: the same promises hold."""
    pg_rig.record_day()
    daemon = pg_rig.daemon()
    pg_rig.proxy.cut_after(40_000, direction="up", every=True)
    pg_rig.drive(daemon, cycles=3)
    pg_rig.proxy.clear()
    pg_rig.proxy.duplicate_requests(True)
    pg_rig.record_day(tickets_n=5, cases_n=1)
    pg_rig.drive(daemon, cycles=30)
    assert_hub_holds_exactly_what_the_site_confirmed(pg_rig)
