"""A category's hours and quotas, and the plain refusal that says when tickets come again."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.queue.categories import Category, IssueRefused, Span, check_issue

AT_0930 = dt.datetime(2026, 11, 24, 9, 30)


def test_a_span_holds_its_start_not_its_end() -> None:
    span = Span.parse("08:30-12:00")
    assert span.covers(dt.time(8, 30)) and span.covers(dt.time(11, 59))
    assert not span.covers(dt.time(12, 0)) and str(span) == "08:30-12:00"


def test_without_hours_or_quotas_anything_goes() -> None:
    check_issue(Category("A", "综合受理"), AT_0930, 999, [])


def test_outside_the_hours_the_refusal_names_them() -> None:
    noon = Category("A", "综合受理", "General", hours=(Span.parse("13:30-17:00"),))
    with pytest.raises(IssueRefused, match="13:30-17:00") as refused:
        check_issue(noon, AT_0930, 0, [])
    assert str(refused.value).startswith("综合受理（A）现在不取号")


def test_the_daily_quota_counts_what_was_issued() -> None:
    capped = Category("B", "社保", daily_quota=3)
    check_issue(capped, AT_0930, 2, [])
    with pytest.raises(IssueRefused, match="3 个"):
        check_issue(capped, AT_0930, 3, [])


def test_a_slot_quota_counts_only_its_span() -> None:
    slot = Span.parse("09:00-10:00")
    category = Category("C", "民政", slot_quotas={slot: 2})
    before = [dt.time(8, 50), dt.time(8, 55), dt.time(8, 59)]
    check_issue(category, AT_0930, 3, before)  # the 8 o'clock tickets are not in the slot
    with pytest.raises(IssueRefused, match="10:00 后再来"):
        check_issue(category, AT_0930, 5, [*before, dt.time(9, 1), dt.time(9, 20)])
    check_issue(category, AT_0930.replace(hour=10), 5, [*before, dt.time(9, 1), dt.time(9, 20)])
