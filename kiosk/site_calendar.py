"""The site's working-day calendar: chinese-calendar's years plus the site's override file
(``[calendar] override_file``, made absolute when the configuration was loaded)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .config import SiteConfig
from .domain.workdays import CalendarError, WorkdayCalendar, parse_override


def calendar_from(override: Path | None) -> WorkdayCalendar:
    """:raises CalendarError: the override file cannot be read or is malformed (plain words,
    with the file's name)."""
    if override is None:
        return WorkdayCalendar()
    try:
        data = tomllib.loads(override.read_text("utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CalendarError(f"{override}: {exc}") from exc
    try:
        return WorkdayCalendar(parse_override(data))
    except CalendarError as exc:
        raise CalendarError(f"{override}: {exc}") from exc


def site_calendar(config: SiteConfig) -> WorkdayCalendar:
    override = config.calendar.override_file
    return calendar_from(Path(override) if override else None)
