"""好差评: ratings, 一次一评, and the rectification of a 差评."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain import ratings as r
from kiosk.domain.workdays import WorkdayCalendar

AT = dt.datetime(2026, 9, 29, 16, 30)  # Tue before 国庆


def rating(**kw) -> r.Rating:
    base = {"level": 2, "channel": "terminal", "rated_at": AT, "ticket_id": "t-1",
            "case_id": "case-1", "window": "3", "clerk": "clerk-7"}
    return r.Rating(**{**base, **kw})


def test_five_levels_and_four_dimensions() -> None:
    assert [r.LEVELS[n] for n in (5, 4, 3, 2, 1)] == ["非常满意", "满意", "基本满意", "不满意",
                                                      "非常不满意"]
    assert list(r.DIMENSIONS.values()) == ["整体满意度", "服务效率", "服务水平", "服务态度"]
    assert [rating(level=n).bad for n in (1, 2, 3, 4, 5)] == [True, True, False, False, False]


@pytest.mark.parametrize(("kw", "words"), [
    ({"level": 0}, "1-5"), ({"level": 6}, "1-5"), ({"level": True}, "1-5"),
    ({"channel": "sms"}, "channel"),
    ({"dimensions": {"speed": 3}}, "dimension"),
    ({"dimensions": {"attitude": 0}}, "服务态度"),
    ({"reasons": ("rude_words",)}, "unknown reason"),
    ({"reasons": ("slow", "slow")}, "twice"),
    ({"level": 4, "reasons": ("slow",)}, "不满意"),
    ({"reasons_version": "local-edit"}, "reason set"),
    ({"ticket_id": None, "case_id": None}, "case or a ticket"),
])
def test_rating_refusals(kw: dict, words: str) -> None:
    with pytest.raises(r.RatingError, match=words):
        rating(**kw)


def test_reason_set_cannot_be_edited_by_a_site() -> None:
    with pytest.raises(TypeError):
        r.REASONS["my_reason"] = "本地新增"  # type: ignore[index]


def test_one_per_visit() -> None:
    first = rating()
    r.one_per_visit([], first)
    with pytest.raises(r.AlreadyRated, match="ticket t-1"):
        r.one_per_visit([first], rating(case_id="case-2"))
    with pytest.raises(r.AlreadyRated, match="case case-1"):
        r.one_per_visit([first], rating(ticket_id="t-2"))
    r.one_per_visit([first], rating(ticket_id="t-2", case_id="case-2"))
    # a ticket-only and a case-only rating of different visits do not clash over None
    r.one_per_visit([rating(case_id=None)], rating(ticket_id=None, case_id="case-9"))


def test_store_fields_seal_the_rater_and_keep_the_reason_version() -> None:
    fields = r.store_fields(rating(level=1, reasons=("slow", "attitude"), text="等了两个小时",
                                   rater=r.Rater("张三", "13800000000"),
                                   dimensions={"attitude": 1}))
    assert fields["reasons"] == ["bianmin-2026.1:slow", "bianmin-2026.1:attitude"]
    assert fields["private"] == {"rater": {"name": "张三", "phone": "13800000000",
                                           "id_number": ""}, "text": "等了两个小时"}
    assert fields["dimensions"] == {"attitude": 1}
    assert r.split_reason(fields["reasons"][0]) == ("bianmin-2026.1", "slow")
    assert r.store_fields(rating(level=5))["private"] is None


# --- rectification --------------------------------------------------------------------------


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def test_good_ratings_open_no_task(cal: WorkdayCalendar) -> None:
    assert r.open_task(rating(level=3), "g-1", cal) is None


@pytest.mark.parametrize(("profile", "deadline"), [
    # 15 working days from Tue 29 Sep 2026: 30 Sep, [国庆 1-7 Oct], 8, 9, 10 (调休 Sat),
    # 12-16, 19-23, 26 (the 15th)
    (r.PROFILE_15, "2026-10-26"),
    (r.PROFILE_5, "2026-10-12"),
])
def test_deadline_across_national_day(cal: WorkdayCalendar, profile: r.Profile,
                                      deadline: str) -> None:
    task = r.open_task(rating(), "g-1", cal, profile)
    assert task is not None
    assert task.deadline == dt.date.fromisoformat(deadline)
    assert r.task_fields(task) == {"stage": "verify", "status": "open", "deadline": deadline}


def test_deadline_over_a_make_up_sunday(cal: WorkdayCalendar) -> None:
    # rated Fri 18 Sep 2026: Sun 20 Sep is a 调休 working day, 中秋 25 Sep is not
    task = r.open_task(rating(rated_at=dt.datetime(2026, 9, 18, 9)), "g-1", cal, r.PROFILE_5)
    assert task is not None and task.deadline == dt.date(2026, 9, 24)


def test_overdue(cal: WorkdayCalendar) -> None:
    task = r.open_task(rating(), "g-1", cal, r.PROFILE_5)
    assert task is not None
    assert not r.overdue(task, dt.date(2026, 10, 12))
    assert r.overdue(task, dt.date(2026, 10, 13))
    done = dataclasses.replace(task, status=r.Status.CLOSED)
    assert not r.overdue(done, dt.date(2026, 12, 1))


def walk(task: r.Task, *moves: str) -> r.Task:
    for n, move in enumerate(moves):
        at = AT + dt.timedelta(days=n + 1)
        if move == "upheld":
            task, _ = r.review_appeal(task, True, at, "head", "恶意评价，经复核撤销")
        elif move == "dismissed":
            task, _ = r.review_appeal(task, False, at, "head", "申诉不成立")
        else:
            task, _ = getattr(r, move)(task, at, "head", f"{move} note")
    return task


def test_named_task_full_path_with_history(cal: WorkdayCalendar) -> None:
    task = r.open_task(rating(rater=r.Rater("张三", "13800000000")), "g-1", cal)
    assert task is not None and task.named
    task = walk(task, "verify", "rectify", "feed_back")
    assert task.stage is r.Stage.REVISIT and task.status is r.Status.OPEN
    task = walk(task, "revisit")
    assert (task.stage, task.status) == (r.Stage.DONE, r.Status.CLOSED)
    assert [s.kind for s in task.history] == ["verified", "rectified", "fed_back", "revisited"]
    assert task.history[0].by == "head" and task.history[0].note == "verify note"
    # the store's columns hold everything: rebuild from a JSON-decoded row
    row = {**r.task_fields(task),
           "history": json.loads(json.dumps([s.entry() for s in task.history]))}
    assert r.task_from_store(row, rating_id="g-1", named=True, rated_on=AT.date()) == task


def test_anonymous_task_closes_after_feedback(cal: WorkdayCalendar) -> None:
    task = walk(r.open_task(rating(), "g-1", cal), "verify", "rectify", "feed_back")
    assert (task.stage, task.status) == (r.Stage.DONE, r.Status.CLOSED)
    assert not task.revisited


def test_appeal_upheld_and_dismissed(cal: WorkdayCalendar) -> None:
    anonymous = r.open_task(rating(), "g-1", cal)
    named = r.open_task(rating(rater=r.Rater("张三")), "g-2", cal)
    assert anonymous is not None and named is not None
    assert walk(anonymous, "appeal", "upheld").status is r.Status.UPHELD
    # a 实名 rater still gets the 回访 with the review's result
    task = walk(named, "appeal", "upheld")
    assert (task.stage, task.status, task.appeal) == (r.Stage.REVISIT, r.Status.OPEN, "upheld")
    assert walk(task, "revisit").status is r.Status.UPHELD
    # dismissed: the rating stands, rectify it by the same deadline
    task = walk(named, "appeal", "dismissed")
    assert (task.stage, task.appeal, task.deadline) == (r.Stage.RECTIFY, "dismissed",
                                                       named.deadline)


@pytest.mark.parametrize("moves", [
    ("rectify",), ("feed_back",), ("revisit",), ("verify", "verify"), ("verify", "appeal"),
    ("appeal", "verify"), ("appeal", "rectify"), ("verify", "rectify", "revisit"),
])
def test_steps_out_of_order_are_refused(cal: WorkdayCalendar, moves: tuple[str, ...]) -> None:
    task = r.open_task(rating(rater=r.Rater("张三")), "g-1", cal)
    assert task is not None
    with pytest.raises(r.RatingError, match=" / "):
        walk(task, *moves)


def test_each_step_needs_a_note(cal: WorkdayCalendar) -> None:
    task = r.open_task(rating(), "g-1", cal)
    assert task is not None
    with pytest.raises(r.RatingError, match="note"):
        r.verify(task, AT, "head", "  ")


MOVES = ("verify", "appeal", "upheld", "dismissed", "rectify", "feed_back", "revisit")


@given(named=st.booleans(), moves=st.lists(st.sampled_from(MOVES), max_size=12))
def test_no_path_ends_a_named_task_without_revisit(named: bool, moves: list[str]) -> None:
    """100 % 回访: whatever is tried in whatever order, a 实名差评 task that has ended has a
    回访 step, and only the last step can have ended it."""
    task = r.open_task(rating(rater=r.Rater("张三") if named else None), "g-1",
                       WorkdayCalendar())
    assert task is not None
    for move in moves:
        try:
            task = walk(task, move)
        except r.RatingError:
            continue
        if task.status is not r.Status.OPEN:
            assert task.stage is r.Stage.DONE
            if named:
                assert task.revisited and task.history[-1].kind == "revisited"
    assert (task.stage is r.Stage.DONE) == (task.status is not r.Status.OPEN)
