"""The hub's clock as text: ISO 8601 for JSON, the HTTP date for headers.

The hub reads time only from the clock it was handed (unix seconds), so tests can jump it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable

Clock = Callable[[], float]


def iso(ts: float | None) -> str | None:
    """``2026-11-24T02:00:01.000Z`` (UTC, milliseconds), None for None."""
    if ts is None:
        return None
    moment = dt.datetime.fromtimestamp(ts, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def http_date(ts: float) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7) for ``Date`` and ``Upload-Expires``."""
    return email.utils.formatdate(ts, usegmt=True)
