"""Service days and ticket numbers.

Numbers run per category per service day (A001, A002, …; ../shared/research/queue.md: a
per-service daily counter, not FQM's one global number). The service day starts at the site's
``[queue] reset_hour`` in local time, so a centre that resets at 05:00 counts a ticket taken at
01:30 to the day before (night shifts of a 24-hour self-service room).
"""

from __future__ import annotations

import datetime as dt
import re

PREFIX = re.compile(r"^[A-Z]$")


def service_day(local_now: dt.datetime, reset_hour: int = 0) -> dt.date:
    """The service day a moment belongs to (``local_now`` in the site's local time)."""
    if not 0 <= reset_hour <= 23:
        raise ValueError(f"reset_hour is an hour of the day (0–23), not {reset_hour}")
    day = local_now.date()
    return day - dt.timedelta(days=1) if local_now.hour < reset_hour else day


def ticket_number(prefix: str, seq: int) -> str:
    """``A001``: the category's letter and the day's sequence, three digits at least (the
    thousandth ticket of a day is ``A1000``: never wrap, a wrapped number would be called twice
    in one day)."""
    if not PREFIX.match(prefix):
        raise ValueError(f"a category prefix is one capital letter A–Z, not {prefix!r}")
    if seq < 1:
        raise ValueError(f"ticket sequence numbers start at 1, not {seq}")
    return f"{prefix}{seq:03d}"


def parse_ticket_number(number: str) -> tuple[str, int]:
    """``"A001"`` → ``("A", 1)``; a plain error for anything else."""
    match = re.fullmatch(r"([A-Z])(\d{3,})", number.strip().upper())
    if not match:
        raise ValueError(f"a ticket number is a letter and three or more digits (A001), "
                         f"not {number!r}")
    return match.group(1), int(match.group(2))
