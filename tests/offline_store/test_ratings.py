"""Ratings, their rectification tasks and "办不成事" requests in a real store."""

from __future__ import annotations

import datetime as dt

import pytest

from offline_store import cases, ratings, tickets, unresolved
from offline_store.clock import FixedClock
from offline_store.site import Site


def rate(site: Site, **kwargs: object) -> dict[str, object]:
    with site.store.write() as conn:
        return ratings.add_rating(conn, site, channel="terminal", **kwargs)  # type: ignore[arg-type]


def test_one_rating_per_visit_even_from_two_screens(site: Site) -> None:
    ticket = tickets.issue(site, service_day="2026-11-24", category="A", channel="kiosk")
    case = cases.add_case(site, site_code="T0001", local_day=dt.date(2026, 11, 24),
                          applicant={"name": "张三", "id_number": "110101195003071234"},
                          item_codes=["SMP-SHBZ-001"], catalogue_version="test", materials=[])
    rate(site, level=5, window="3", clerk="wangfang")  # a rating without a visit link
    first = rate(site, level=4, case_id=case["id"], ticket_id=ticket["id"])
    with pytest.raises(ratings.AlreadyRated, match="评价过"):
        rate(site, level=1, ticket_id=ticket["id"])
    with pytest.raises(ratings.AlreadyRated):
        rate(site, level=1, case_id=case["id"])
    rows = site.store.query("SELECT id FROM ratings WHERE ticket_id = ?", [ticket["id"]])
    assert [r["id"] for r in rows] == [first["id"]]  # the refused one left nothing behind


def test_an_anonymous_rating_has_nothing_sealed(site: Site) -> None:
    made = rate(site, level=3, dimensions={"service_attitude": 3}, reasons=[])
    assert ratings.read_private(site, str(made["id"])) is None
    assert made["rectification_id"] is None


def test_rectifications_list_overdue_first_and_keep_their_history(
        site: Site, clock: FixedClock) -> None:
    later = rate(site, level=2, window="1", private={"name": "张三", "phone": "13800000000"},
                 named=True,
                 rectification={"stage": "verify", "deadline": "2026-12-20", "status": "open"})
    soon = rate(site, level=1, window="2", private={"text": "等太久"},
                rectification={"stage": "verify", "deadline": "2026-11-30", "status": "open"})
    clock.t += dt.timedelta(days=8)  # 2 December: the second task is overdue
    tasks = ratings.rectifications(site)
    assert [t["rating_id"] for t in tasks] == [soon["id"], later["id"]]
    assert [t["overdue"] for t in tasks] == [True, False]
    assert [t["named"] for t in tasks] == [False, True]
    with site.store.write() as conn:
        ratings.move_rectification(conn, site, str(soon["rectification_id"]), stage="closed",
                                   status="closed", entry={"by": "manager", "note": "已整改"})
    assert [t["rating_id"] for t in ratings.rectifications(site)] == [later["id"]]
    done = ratings.rectifications(site, open_only=False)
    closed = next(t for t in done if t["rating_id"] == soon["id"])
    assert closed["history"] == [{"by": "manager", "note": "已整改"}] and not closed["overdue"]
    ops = site.store.query("SELECT entity, op FROM outbox ORDER BY seq")
    assert [(o["entity"], o["op"]) for o in ops] == [
        ("rating", "rated"), ("rating", "rated"), ("rectification", "moved")]


def test_unresolved_requests_escalate_and_close(site: Site) -> None:
    with site.store.write() as conn:
        made = unresolved.add_request(
            conn, site, requester={"name": "李四", "id_number": "110101199001011234"},
            what="办理农村宅基地审批", why="须县级审批", escalation="window", stage="open",
            deadline="2026-12-01", window="4", clerk="wangfang")
        unresolved.move_request(conn, site, made["id"], stage="escalated", escalation="county",
                                entry={"by": "manager", "note": "转县自然资源局"})
    listed = unresolved.requests(site)
    assert listed[0]["escalation"] == "county" and "requester" not in listed[0]
    assert listed[0]["history"] == [{"by": "manager", "note": "转县自然资源局"}]
    with site.store.write() as conn:
        unresolved.move_request(conn, site, made["id"], stage="closed", escalation="county",
                                outcome="solved", entry={"by": "manager"})
    assert unresolved.requests(site) == []
    assert unresolved.requests(site, open_only=False)[0]["outcome"] == "solved"
    assert unresolved.read_requester(site, made["id"])["name"] == "李四"
