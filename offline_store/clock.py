"""Time for records: UTC instants with an honest ``clock_synced`` flag.

Village PCs often have no battery-backed clock and boot offline; deadlines (时限) run from the
acceptance time, so every record says whether the clock was synchronised when it was made
(../shared/research/sync.md §4). A clock is handed in everywhere, never read from a global.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

UTC = dt.UTC

# systemd-timesyncd creates this file once the clock was synchronised since boot.
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")


class Clock(Protocol):
    """What every writer is handed: the time, and whether the clock was synchronised."""

    @property
    def synced(self) -> bool: ...

    def now(self) -> dt.datetime: ...


def iso(t: dt.datetime) -> str:
    """UTC ISO-8601 text with milliseconds, the one stored time format (sorts as text)."""
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class SystemClock:
    """The machine clock; synced when systemd-timesyncd says so or the county corrected it."""

    def __init__(self, offset_s: float = 0.0, synced: bool | None = None):
        self.offset_s = offset_s
        self._synced = synced

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC) + dt.timedelta(seconds=self.offset_s)

    @property
    def synced(self) -> bool:
        if self._synced is not None:
            return self._synced
        return TIMESYNC_FLAG.exists() or os.environ.get("BIANMIN_CLOCK_SYNCED") == "1"


@dataclass
class FixedClock:
    """A clock for tests and benchmarks that moves only when told to."""

    t: dt.datetime
    synced: bool = True

    def now(self) -> dt.datetime:
        return self.t

    def advance(self, **kwargs: float) -> None:
        self.t += dt.timedelta(**kwargs)
