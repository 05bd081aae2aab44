"""When a bad rating's rectification (整改) is due, as the county sees it.

The site decides the deadline (kiosk/domain/ratings.py: the rated day + 15 working days by
default, Sichuan's rule; 5 where a centre follows 德州's) but the rating op does not carry it
(docs/sync-protocol.md, ``rating``/``rated``). Until it does, the hub reckons the default: 15
working days by the State Council's holiday notices as ``chinese-calendar`` knows them, Monday
to Friday for a year it does not know yet, and the page says the date is reckoned. A task that
carries its own ``deadline`` is shown with that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import chinese_calendar

from .display import local_day, parse_time

DEFAULT_DAYS = 15


def is_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year whose holiday notice the library does not carry
        return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
    day = start
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def deadline(task: Mapping[str, Any], zone: str) -> tuple[dt.date | None, bool]:
    """``(due day, reckoned)``: the task's own ``deadline`` when it has one, else the rated
    day (in ``zone``) plus :data:`DEFAULT_DAYS` working days; ``(None, False)`` when neither
    is known."""
    own = task.get("deadline")
    if isinstance(own, str):
        try:
            return dt.date.fromisoformat(own[:10]), False
        except ValueError:
            pass
    rated = parse_time(task.get("rated_at"))
    if rated is None:
        return None, False
    return add_working_days(local_day(rated, zone), DEFAULT_DAYS), True
