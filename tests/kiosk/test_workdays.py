"""The working-day calendar (kiosk/domain/workdays.py): holidays, 调休 and the override.

Expected values follow the State Council's 2026 holiday notice (国务院办公厅关于2026年部分节假日
安排的通知), as carried by chinese-calendar 1.11: 元旦 Jan 1–3 off, Sun Jan 4 worked; 春节
Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked; 清明 Apr 4–6; 劳动节 May 1–5 off, Sat May 9
worked; 端午 Jun 19–21; 中秋 Sep 25–27; 国庆 Oct 1–7 off, Sun Sep 20 and Sat Oct 10 worked.
"""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from kiosk.domain.workdays import CalendarError, Override, WorkdayCalendar, parse_override


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- is_workday on known 2026 dates -------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        # statutory holidays on weekdays
        ("2026-01-01", False),  # Thu, 元旦
        ("2026-01-02", False),  # Fri, 元旦
        ("2026-02-16", False),  # Mon, 春节
        ("2026-02-20", False),  # Fri, 春节
        ("2026-02-23", False),  # Mon, 春节 (last day off)
        ("2026-04-06", False),  # Mon, 清明
        ("2026-05-01", False),  # Fri, 劳动节
        ("2026-05-05", False),  # Tue, 劳动节
        ("2026-06-19", False),  # Fri, 端午
        ("2026-09-25", False),  # Fri, 中秋
        ("2026-10-01", False),  # Thu, 国庆
        ("2026-10-07", False),  # Wed, 国庆
        # make-up working days on weekends (调休)
        ("2026-01-04", True),  # Sun
        ("2026-02-14", True),  # Sat
        ("2026-02-28", True),  # Sat
        ("2026-05-09", True),  # Sat
        ("2026-09-20", True),  # Sun
        ("2026-10-10", True),  # Sat
        # holiday weekends and ordinary weekends
        ("2026-02-15", False),  # Sun, 春节
        ("2026-04-04", False),  # Sat, 清明
        ("2026-10-11", False),  # Sun after 国庆
        ("2026-03-07", False),  # Sat
        ("2026-03-08", False),  # Sun
        # ordinary weekdays, including the first day back
        ("2026-02-24", True),  # Tue after 春节
        ("2026-03-09", True),  # Mon
        ("2026-10-08", True),  # Thu after 国庆
    ],
)
def test_is_workday_2026(day: str, workday: bool) -> None:
    cal = WorkdayCalendar()
    assert cal.is_workday(d(day)) is workday
    assert cal.estimated_years == set()


# --- add_working_days -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-10-01", 0, "2026-10-01"),  # n = 0 is the start itself, even on a holiday
        ("2026-03-06", 0, "2026-03-06"),
        ("2026-03-06", 1, "2026-03-09"),  # Fri + 1 skips the weekend
        ("2026-09-30", 1, "2026-10-08"),  # across 国庆
        ("2026-09-30", 3, "2026-10-10"),  # ... onto the make-up Saturday
        ("2026-09-30", 4, "2026-10-12"),
        ("2026-09-18", 1, "2026-09-20"),  # the make-up Sunday before 国庆
        ("2026-09-24", 1, "2026-09-28"),  # across 中秋
        ("2026-02-13", 1, "2026-02-14"),  # make-up Saturday before 春节
        ("2026-02-13", 2, "2026-02-24"),  # across 春节
        ("2026-02-13", 6, "2026-02-28"),  # make-up Saturday after 春节
        ("2026-02-13", 7, "2026-03-02"),
        ("2025-12-31", 1, "2026-01-04"),  # across 元旦 onto the make-up Sunday
        ("2026-04-03", 1, "2026-04-07"),  # across 清明
        ("2026-04-30", 1, "2026-05-06"),  # across 劳动节
        ("2026-04-30", 4, "2026-05-09"),  # ... onto the make-up Saturday
        ("2026-06-18", 1, "2026-06-22"),  # across 端午
        ("2026-11-24", 15, "2026-12-15"),  # the default rectification deadline
    ],
)
def test_add_working_days_2026(start: str, n: int, expected: str) -> None:
    cal = WorkdayCalendar()
    assert cal.add_working_days(d(start), n) == d(expected)
    assert cal.estimated_years == set()


@pytest.mark.parametrize("n", [-1, -15])
def test_negative_n_raises(n: int) -> None:
    with pytest.raises(CalendarError, match=rf"0 or more, got {n}"):
        WorkdayCalendar().add_working_days(d("2026-03-02"), n)


# --- unknown years: Monday to Friday, and said so -----------------------------------------


def test_knows() -> None:
    cal = WorkdayCalendar()
    assert cal.knows(2026)
    assert cal.knows(2004)
    assert not cal.knows(2027)
    assert not cal.knows(2003)
    with_2027 = WorkdayCalendar(Override(years=frozenset({2027})))
    assert with_2027.knows(2027)
    assert not with_2027.knows(2028)


def test_estimated_years_only_for_unknown_years() -> None:
    cal = WorkdayCalendar()
    # 2026-12-31 is a Thursday; 2027-01-01 (Fri) is counted as a weekday for lack of data.
    assert cal.add_working_days(d("2026-12-30"), 1) == d("2026-12-31")
    assert cal.estimated_years == set()
    assert cal.add_working_days(d("2026-12-31"), 1) == d("2027-01-01")
    assert cal.estimated_years == {2027}
    assert cal.is_workday(d("2028-01-08")) is False  # Saturday
    assert cal.estimated_years == {2027, 2028}


def test_override_year_is_not_estimated() -> None:
    override = parse_override({"2027": {"holidays": [d("2027-01-01")]}})
    cal = WorkdayCalendar(override)
    # Fri Jan 1 is a holiday, Jan 2-3 the weekend.
    assert cal.add_working_days(d("2026-12-31"), 1) == d("2027-01-04")
    assert cal.estimated_years == set()


# --- the override -------------------------------------------------------------------------


def test_parse_override_toml_dates_and_strings() -> None:
    data = tomllib.loads(
        "[2027]\n"
        'holidays = [2027-01-01, "2027-01-04"]\n'
        "workdays = [2027-01-09]\n"
        "[2028]\n"
        'holidays = ["2028-01-03"]\n'
    )
    override = parse_override(data)
    assert override.holidays == {d("2027-01-01"), d("2027-01-04"), d("2028-01-03")}
    assert override.workdays == {d("2027-01-09")}
    assert override.years == {2027, 2028}
    cal = WorkdayCalendar(override)
    assert cal.is_workday(d("2027-01-04")) is False  # Monday, listed holiday
    assert cal.is_workday(d("2027-01-09")) is True  # Saturday, listed workday
    assert cal.is_workday(d("2027-01-10")) is False  # Sunday, not listed
    assert cal.add_working_days(d("2026-12-31"), 1) == d("2027-01-05")
    assert cal.add_working_days(d("2026-12-31"), 5) == d("2027-01-09")
    assert cal.estimated_years == set()


def test_empty_year_section_makes_the_year_known() -> None:
    override = parse_override({"2027": {}})
    assert override.years == {2027}
    assert override.holidays == override.workdays == frozenset()


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[2027]\nholidays = [2027-01-01]\nfoo = 1\nbar = 2\n",
         "[2027]: unknown key(s) bar, foo; only holidays and workdays are allowed"),
        ("[2027]\nholidays = [2026-12-31]\n", "[2027] holidays: 2026-12-31 is not in 2027"),
        ('[2027]\nworkdays = ["2028-01-01"]\n', "[2027] workdays: 2028-01-01 is not in 2027"),
        ("[2027]\nholidays = [2027-01-01]\nworkdays = [2027-01-01]\n",
         "2027-01-01 is listed both as a holiday and as a workday"),
        ("[holidays]\n2027 = [2027-01-01]\n", "[holidays]: sections must be years such as [2027]"),
        ("[27]\nholidays = []\n", "[27]: sections must be years such as [2027]"),
        ("2027 = 5\n", "[2027]: expected a table with holidays and workdays"),
        ('[2027]\nholidays = ["tomorrow"]\n',
         "[2027] holidays: 'tomorrow' is not a date (YYYY-MM-DD)"),
        ('[2027]\nholidays = ["2027-02-30"]\n',
         "[2027] holidays: '2027-02-30' is not a date (YYYY-MM-DD)"),
        ("[2027]\nholidays = [1]\n", "[2027] holidays: 1 is not a date (YYYY-MM-DD)"),
        ("[2027]\nholidays = [2027-01-01T10:00:00]\n",
         "[2027] holidays: 2027-01-01 10:00:00 has a time; give the date only"),
    ],
)
def test_parse_override_errors(toml: str, message: str) -> None:
    with pytest.raises(CalendarError) as info:
        parse_override(tomllib.loads(toml))
    assert str(info.value) == message


def test_parse_override_holidays_not_a_list() -> None:
    with pytest.raises(CalendarError, match=r"\[2027\] holidays"):
        parse_override(tomllib.loads("[2027]\nholidays = 5\n"))


def test_override_takes_precedence_over_the_library() -> None:
    override = parse_override(
        {"2026": {"holidays": [d("2026-11-24")], "workdays": [d("2026-10-05")]}}
    )
    cal = WorkdayCalendar(override)
    assert WorkdayCalendar().is_workday(d("2026-11-24")) is True  # Tuesday
    assert cal.is_workday(d("2026-11-24")) is False
    assert WorkdayCalendar().is_workday(d("2026-10-05")) is False  # 国庆
    assert cal.is_workday(d("2026-10-05")) is True
    assert cal.add_working_days(d("2026-11-23"), 1) == d("2026-11-25")


def test_override_corrects_rather_than_replaces_a_known_year() -> None:
    cal = WorkdayCalendar(parse_override({"2026": {"holidays": [d("2026-11-24")]}}))
    assert cal.is_workday(d("2026-10-01")) is False  # 国庆 stays a holiday
    assert cal.is_workday(d("2026-10-10")) is True  # and its make-up Saturday a workday
