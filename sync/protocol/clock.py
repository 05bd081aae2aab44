"""The hub's time as a site learns it from the ``Date`` header of every answer.

Village PCs boot without a battery clock (../shared/research/sync.md §4); the daemon signs
with hub time, so it keeps an offset rather than trusting its own clock. ``Date`` has a
resolution of one second and is stamped at some moment while the hub answered: the best
estimate takes the request's midpoint as that moment and adds half a second for the
truncation (the approach of https://aws.amazon.com/blogs/developer/clock-skew-correction/).
"""

from __future__ import annotations

import email.utils


def parse_date(value: str | None) -> float | None:
    """Unix seconds from an HTTP ``Date`` (RFC 9110 §5.6.7), or None when absent or bad."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def offset_from(date_header: str | None, sent_at: float, received_at: float) -> float | None:
    """The hub's clock minus ours, in seconds, from one answer.

    :param sent_at: our clock when the request left.
    :param received_at: our clock when the answer arrived.
    """
    hub = parse_date(date_header)
    if hub is None:
        return None
    return hub + 0.5 - (sent_at + received_at) / 2
