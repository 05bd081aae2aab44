"""The working-day calendar (工作日): promised dates of cases and deadlines of rectifications.

China's working days are set each year by the State Council's holiday notice (国务院办公厅关于
部分节假日安排的通知): statutory holidays, and weekend days made working days in exchange
(调休). ``chinese-calendar`` carries those notices for the years it knows. For a year it does
not know yet (the notice comes out in November or December), a site override lists the
holidays and make-up working days; without either, Monday to Friday count and the answer says
that it is an estimate, so a clerk never promises a date on a silent guess.

Pure: the override is handed in as data (see :func:`parse_override`), no file is read here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import chinese_calendar


class CalendarError(ValueError):
    """A malformed override, in words a county clerk can act on."""


@dataclass(frozen=True)
class Override:
    """Holidays and make-up working days for years the library does not know, or to correct
    it. Keyed by year so a year counts as known only when the override names it."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    years: frozenset[int] = frozenset()


def parse_override(data: Mapping[str, object]) -> Override:
    """Read the override from its TOML form::

        [2027]
        holidays = [2027-01-01, 2027-02-06, ...]   # TOML dates or "YYYY-MM-DD" strings
        workdays = [2027-02-14]                    # 调休: weekend days that are worked
    """
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    years: set[int] = set()
    for year_key, section in data.items():
        if not (isinstance(year_key, str) and year_key.isdigit() and len(year_key) == 4):
            raise CalendarError(f"[{year_key}]: sections must be years such as [2027]")
        if not isinstance(section, Mapping):
            raise CalendarError(f"[{year_key}]: expected a table with holidays and workdays")
        unknown = set(section) - {"holidays", "workdays"}
        if unknown:
            raise CalendarError(f"[{year_key}]: unknown key(s) {', '.join(sorted(unknown))}; "
                                "only holidays and workdays are allowed")
        year = int(year_key)
        years.add(year)
        for name, target in (("holidays", holidays), ("workdays", workdays)):
            values = section.get(name, [])
            if not isinstance(values, list):
                raise CalendarError(f"[{year_key}] {name}: expected a list of dates such as "
                                    f"[{year}-01-01]")
            for value in values:
                day = _as_date(value, f"[{year_key}] {name}")
                if day.year != year:
                    raise CalendarError(f"[{year_key}] {name}: {day} is not in {year}")
                target.add(day)
    clash = holidays & workdays
    if clash:
        raise CalendarError(f"{min(clash)} is listed both as a holiday and as a workday")
    return Override(frozenset(holidays), frozenset(workdays), frozenset(years))


def _as_date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise CalendarError(f"{where}: {value} has a time; give the date only")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")


@dataclass
class WorkdayCalendar:
    """Answers "is this a working day" and counts working days forward.

    ``estimated_years`` collects the years answered by the Monday-to-Friday fallback.
    """

    override: Override = field(default_factory=Override)
    estimated_years: set[int] = field(default_factory=set)

    def knows(self, year: int) -> bool:
        return year in self.override.years or _library_knows(year)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.override.holidays:
            return False
        if day in self.override.workdays:
            return True
        if _library_knows(day.year):
            return chinese_calendar.is_workday(day)
        if day.year not in self.override.years:
            self.estimated_years.add(day.year)
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The date ``n`` working days after ``start``; ``start`` itself is not counted, so
        n = 0 gives ``start``. (Time limits are counted from the day after acceptance.)"""
        if n < 0:
            raise CalendarError(f"the number of working days must be 0 or more, got {n}")
        day = start
        remaining = n
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True
