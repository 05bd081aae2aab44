"""What the hall board shows, kept from the station's events (no Qt).

Follows the station contract of issue 6: ``hello`` carries the whole status and replaces
everything (the resync after a reconnect); ``ticket.called``, ``ticket.changed``,
``ticket.issued`` and ``window.changed`` carry the categories and windows they touched;
``announcement`` is spoken and captioned. Where the board's numbers come from the
connection state decides: while the feed is not live they are the last known, not the
current ones, and the view must show them as such (issue 6, "Faults"). Times are
``time.monotonic()`` seconds handed in, so tests need no clock.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SHOWN_CALLS = 6
"""Calls on the board, newest first (MADO shows at most 5; one more fits a 1080p hall
screen at 10 m: ../shared/research/queue.md (c))."""
KEPT_CALLS = 10
"""Calls remembered, as many as the station's ``recent_calls``."""
FRESH_S = 8.0
"""How long the newest call stands out. Unit: s."""
MISSED_CALL_S = 60.0
"""After a reconnect, calls the station made while the board was away are announced when
they are at most this old; an older one is shown but not spoken (the citizen has gone to
the window or given up, and a stale call would send the next one to the wrong place).
Unit: s."""

CONNECTING, LIVE, RECONNECTING = "connecting", "live", "reconnecting"


@dataclass(frozen=True)
class CallView:
    number: str
    window: str
    at: str
    recall: bool = False
    text: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return self.number, self.window, self.at


@dataclass(frozen=True)
class CategoryView:
    prefix: str
    name: str
    name_en: str
    waiting: int
    estimated_wait_s: float | None
    open_now: bool = True

    @property
    def wait_minutes(self) -> int | None:
        """The estimated wait in whole minutes, rounded up (a 61 s wait is 2 minutes: a
        citizen told "1 minute" who waits two feels misled); None when unknown."""
        if self.estimated_wait_s is None:
            return None
        return max(0, math.ceil(self.estimated_wait_s / 60.0 - 1e-9))


@dataclass(frozen=True)
class WindowView:
    number: str
    name: str
    state: str  # open, paused, closed
    temporary: bool = False
    current: str | None = None
    current_status: str | None = None

    @property
    def shown(self) -> bool:
        """A closed temporary window is not part of today's hall: not on the board."""
        return not (self.temporary and self.state == "closed")


@dataclass(frozen=True)
class CallAction:
    """Say a ticket's call (the announcer's :meth:`announce`), or its recall (重呼)."""

    number: str
    window: str
    recall: bool
    text: str


@dataclass(frozen=True)
class SayAction:
    """Say free text (an ``announcement`` event)."""

    text: str


Action = CallAction | SayAction


@dataclass
class HallBoard:
    """The board's state. :meth:`apply` takes one decoded frame and returns what must be
    spoken; :meth:`set_connection` follows the feed."""

    site_name: str = ""
    service_day: str = ""
    categories: dict[str, CategoryView] = field(default_factory=dict)
    windows: dict[str, WindowView] = field(default_factory=dict)
    calls: list[CallView] = field(default_factory=list)
    notice: str = ""
    connection: str = CONNECTING
    connection_reason: str = ""
    synced: bool = False
    """A ``hello`` has been applied at least once: there is something to show."""
    caption: str = ""
    """The words being spoken (or last spoken), shown for those who cannot hear them."""
    caption_recall: bool = False
    caption_call: CallView | None = None
    """The call the caption is about, None for a free-text announcement."""
    device_warnings: dict[str, str] = field(default_factory=dict)
    """Role → plain words about a device that is absent or broken."""
    fresh_until: float = 0.0
    last_seq: int | None = None
    version: int = 0
    """Incremented on every change, so a view can tell whether to redraw."""

    # -- connection

    @property
    def live(self) -> bool:
        return self.connection == LIVE

    @property
    def stale(self) -> bool:
        """Numbers are on the board but may no longer be true: do not show them as
        current."""
        return self.synced and not self.live

    def set_connection(self, state: str, reason: str = "") -> None:
        if state not in (CONNECTING, LIVE, RECONNECTING):
            raise ValueError(f"unknown connection state {state!r}")
        self.connection, self.connection_reason = state, reason
        if state != LIVE:
            self.fresh_until = 0.0  # a stale call must not look new
        self._changed()

    # -- calls

    @property
    def shown_calls(self) -> list[CallView]:
        return self.calls[:SHOWN_CALLS]

    def is_fresh(self, now: float) -> bool:
        """The newest call stands out (for :data:`FRESH_S` after it came in live)."""
        return self.live and bool(self.calls) and now < self.fresh_until

    def set_caption(self, text: str, call: CallView | None = None) -> None:
        self.caption, self.caption_call = text, call
        self.caption_recall = bool(call and call.recall)
        self._changed()

    def set_device_warning(self, role: str, text: str | None) -> None:
        if text:
            self.device_warnings[role] = text
        else:
            self.device_warnings.pop(role, None)
        self._changed()

    # -- events

    def apply(self, frame: Mapping[str, Any], now: float) -> list[Action]:
        """Take one frame; return what must be spoken because of it.

        :raises ValueError: the frame does not have the contract's shape (the board is
            left as it was).
        """
        kind = frame.get("type")
        seq = frame.get("seq")
        if kind == "hello":
            return self._hello(frame, now)
        if kind == "status.reset":
            # a new service day: yesterday's calls and counts go, as at a resync (the new
            # day's snapshot has no calls, so nothing is spoken)
            return self._hello(frame, now)
        if kind == "ping":
            return []
        if isinstance(seq, int) and self.last_seq is not None and seq <= self.last_seq:
            return []  # a frame already applied (the station's seq only grows in one run)
        actions: list[Action] = []
        if kind in ("ticket.called", "ticket.changed", "ticket.issued", "window.changed"):
            categories = _categories(frame.get("categories") or [])
            windows = _windows(frame.get("windows") or [])
            if kind == "window.changed":
                windows += _windows([_mapping(frame.get("window"), "window")])
            call = _call(frame.get("call")) if kind == "ticket.called" else None
            # everything parsed before anything changes: a bad frame leaves the board whole
            self.categories.update((c.prefix, c) for c in categories)
            self.windows.update((w.number, w) for w in windows)
            if call is not None:
                self._add_call(call, now)
                actions.append(CallAction(call.number, call.window, call.recall, call.text))
        elif kind == "announcement":
            text = str(frame.get("text") or "").strip()
            if text:
                actions.append(SayAction(text))
        # advice is for the manager's screen; other kinds may come with a newer station
        if isinstance(seq, int):
            self.last_seq = seq
        self._changed()
        return actions

    def _hello(self, frame: Mapping[str, Any], now: float) -> list[Action]:
        status = _mapping(frame.get("status"), "status")
        categories = _categories(status.get("categories") or [])
        windows = _windows(status.get("windows") or [])
        calls = [_call(c) for c in status.get("recent_calls") or []][:KEPT_CALLS]
        missed: list[Action] = []
        if self.synced:
            missed = self._missed(calls, status.get("at"))
        site = status.get("site") or {}
        self.site_name = str(site.get("name") or "") if isinstance(site, Mapping) else ""
        self.service_day = str(status.get("service_day") or "")
        self.categories = {c.prefix: c for c in categories}
        self.windows = {w.number: w for w in windows}
        had_newest = self.calls[0].key if self.calls else None
        self.calls = calls
        self.notice = str(status.get("notice") or "")
        seq = frame.get("seq")
        self.last_seq = seq if isinstance(seq, int) else None
        self.synced = True
        if missed or (calls and had_newest is not None and calls[0].key != had_newest):
            self.fresh_until = now + FRESH_S
        self._changed()
        return missed

    def _missed(self, calls: list[CallView], status_at: Any) -> list[Action]:
        """Calls in a resync's snapshot that the board never saw and that are recent enough
        to still matter, oldest first (the order they were made)."""
        seen = {c.key for c in self.calls}
        newest_seen = self.calls[0].at if self.calls else ""
        fresh = []
        for call in calls:
            if call.key in seen or call.at <= newest_seen:
                continue  # ISO-8601 UTC strings of one format compare as times
            if _age_s(call.at, status_at) > MISSED_CALL_S:
                continue
            fresh.append(CallAction(call.number, call.window, call.recall, call.text))
        return list(reversed(fresh))

    def _add_call(self, call: CallView, now: float) -> None:
        self.calls = [call] + [c for c in self.calls if c.key != call.key]
        del self.calls[KEPT_CALLS:]
        self.fresh_until = now + FRESH_S

    def _changed(self) -> None:
        self.version += 1

    # -- views for the screen

    @property
    def shown_windows(self) -> list[WindowView]:
        return sorted((w for w in self.windows.values() if w.shown), key=_window_order)

    @property
    def shown_categories(self) -> list[CategoryView]:
        return sorted(self.categories.values(), key=lambda c: c.prefix)


def _window_order(window: WindowView) -> tuple[int, str]:
    return (int(window.number) if window.number.isdigit() else 10**6, window.number)


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} is not an object")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is missing")
    return value


def _call(value: Any) -> CallView:
    call = _mapping(value, "call")
    return CallView(number=_text(call.get("number"), "call.number"),
                    window=_text(call.get("window"), "call.window"),
                    at=str(call.get("at") or ""), recall=bool(call.get("recall")),
                    text=str(call.get("text") or ""))


def _categories(values: Any) -> list[CategoryView]:
    if not isinstance(values, list):
        raise ValueError("categories is not a list")
    out = []
    for value in values:
        c = _mapping(value, "category")
        wait = c.get("estimated_wait_s")
        waiting = c.get("waiting")
        if wait is not None and not isinstance(wait, int | float):
            raise ValueError("category.estimated_wait_s is not a number")
        if not isinstance(waiting, int) or isinstance(waiting, bool):
            raise ValueError("category.waiting is not a count")
        out.append(CategoryView(prefix=_text(c.get("prefix"), "category.prefix"),
                                name=str(c.get("name") or c.get("prefix")),
                                name_en=str(c.get("name_en") or ""), waiting=waiting,
                                estimated_wait_s=None if wait is None else float(wait),
                                open_now=c.get("open_now") is not False))
    return out


def _windows(values: Any) -> list[WindowView]:
    if not isinstance(values, list):
        raise ValueError("windows is not a list")
    out = []
    for value in values:
        w = _mapping(value, "window")
        current = w.get("current")
        number = status = None
        if isinstance(current, Mapping):
            number = str(current.get("number") or "") or None
            status = str(current.get("status") or "") or None
        state = w.get("state")
        out.append(WindowView(number=_text(w.get("number"), "window.number"),
                              name=str(w.get("name") or ""),
                              state=state if state in ("open", "paused", "closed") else "open",
                              temporary=bool(w.get("temporary")), current=number,
                              current_status=status))
    return out


def _age_s(at: str, now: Any) -> float:
    """Seconds from ``at`` to ``now`` (both ISO-8601 UTC); infinity when either is
    unreadable, so a call of unknown age is never re-announced."""
    try:
        then = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
        later = dt.datetime.fromisoformat(str(now).replace("Z", "+00:00"))
    except ValueError:
        return math.inf
    return (later - then).total_seconds()
