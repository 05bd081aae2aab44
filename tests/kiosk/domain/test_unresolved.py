""""办不成事" requests: opening, escalation, deadlines, outcomes, the manager's order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from kiosk.domain import unresolved as u
from kiosk.domain.workdays import WorkdayCalendar

AT = dt.datetime(2026, 9, 29, 11, 0)  # Tue before 国庆


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def opened(cal: WorkdayCalendar, **kw) -> u.Request:
    req, step = u.open_request("迁移养老保险关系", "外省系统无法查询参保记录", AT, "clerk-7", cal,
                               window="3", **kw)
    assert step.kind == "opened" and step.to == "window"
    return req


def test_open_at_the_window_with_a_deadline_over_national_day(cal: WorkdayCalendar) -> None:
    req = opened(cal)
    assert (req.level, req.stage, req.outcome) == (u.Level.WINDOW, u.Stage.OPEN, None)
    # 5 working days from Tue 29 Sep 2026: 30 Sep, [国庆], 8, 9, 10 (调休 Sat), 12
    assert req.deadline == dt.date(2026, 10, 12)
    assert opened(cal, days=2).deadline == dt.date(2026, 10, 8)
    assert req.clerk == "clerk-7" and req.history == ()


@pytest.mark.parametrize(("what", "why", "words"), [
    ("", "x", "what"), ("x", " ", "why"), (" ", "", "what.*\n.*why")])
def test_open_needs_what_and_why(cal: WorkdayCalendar, what: str, why: str,
                                 words: str) -> None:
    with pytest.raises(u.UnresolvedError, match=words):
        u.open_request(what, why, AT, "clerk-7", cal)


def test_escalation_window_centre_county_then_no_further(cal: WorkdayCalendar) -> None:
    req = opened(cal)
    later = dt.datetime(2026, 10, 9, 9)  # Fri
    req, step = u.escalate(req, later, "clerk-7", "需协调社保经办机构", cal)
    assert req.level is u.Level.CENTRE and step.to == "centre"
    # the centre's own 5 working days from Fri 9 Oct: 10 (调休 Sat), 12, 13, 14, 15
    assert req.deadline == dt.date(2026, 10, 15)
    req, _ = u.escalate(req, later, "head", "上报县政务服务中心", cal, days=3)
    assert req.level is u.Level.COUNTY and req.deadline == dt.date(2026, 10, 13)
    with pytest.raises(u.UnresolvedError, match="last level"):
        u.escalate(req, later, "head", "again", cal)
    with pytest.raises(u.UnresolvedError, match="why"):
        u.escalate(opened(cal), later, "clerk-7", "", cal)


@pytest.mark.parametrize("outcome", list(u.Outcome))
def test_close_with_each_outcome(cal: WorkdayCalendar, outcome: u.Outcome) -> None:
    req, step = u.close(opened(cal), outcome, AT, "head", "已答复")
    assert (req.stage, req.outcome, step.kind) == (u.Stage.CLOSED, outcome,
                                                   f"closed_{outcome.value}")
    for move in (lambda: u.close(req, outcome, AT, "head", "again"),
                 lambda: u.escalate(req, AT, "head", "up", cal)):
        with pytest.raises(u.UnresolvedError, match="closed"):
            move()


def test_close_needs_the_answer(cal: WorkdayCalendar) -> None:
    with pytest.raises(u.UnresolvedError):
        u.close(opened(cal), u.Outcome.REFERRED, AT, "head", " ")


def test_overdue_and_the_managers_order(cal: WorkdayCalendar) -> None:
    today = dt.date(2026, 10, 14)
    base = opened(cal)
    late_long = dataclasses.replace(base, what="a", deadline=dt.date(2026, 10, 8))
    late = dataclasses.replace(base, what="b", deadline=dt.date(2026, 10, 13))
    due_today = dataclasses.replace(base, what="c", deadline=today)
    later = dataclasses.replace(base, what="d", deadline=dt.date(2026, 10, 20))
    closed_late = dataclasses.replace(u.close(late_long, u.Outcome.SOLVED, AT, "h", "ok")[0],
                                      what="e")
    assert [u.overdue(x, today) for x in (late_long, late, due_today, later, closed_late)] == [
        True, True, False, False, False]
    shuffled = [later, closed_late, due_today, late, late_long]
    assert [x.what for x in u.manager_order(shuffled, today)] == ["a", "b", "c", "d", "e"]


def test_store_round_trip(cal: WorkdayCalendar) -> None:
    req = opened(cal, item_code="SMP-SHBZ-002", request_id="u-1")
    req, _ = u.escalate(req, AT, "clerk-7", "协调", cal)
    req, _ = u.close(req, u.Outcome.EXPLAINED, AT, "head", "政策不支持，已解释")
    row = {**u.store_fields(req), "id": "u-1", "created_at": AT.isoformat(),
           "history": json.loads(json.dumps([s.entry() for s in req.history]))}
    assert u.request_from_store(row) == req
