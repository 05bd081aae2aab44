"""The counter window's queue state, without Qt: the station's status and events in, what
the queue panel shows and what each F-key may do now out.

Follows the station's contract (docs/api/events.md): ``hello`` and ``status.reset`` carry
the full status, ``ticket.*`` events carry the ticket and the windows, ``window.changed``
one window. The windows list is the truth for the ticket at this window (its number and
status); a ticket dict from an event or from an answer of ours adds its id, which the
acceptance and the rating need. The station's status names no parked ticket, so the
tickets parked here are followed from the events (and lost by a restart of the screen).

The rules of :meth:`QueueModel.allowed` follow the station's queue rules
(``kiosk/domain/queue/visits.py``): recall, no-show and start only while the ticket is
``called``; finish, park and transfer while it is ``called`` or ``serving``; a call or a
resume only when the window has no ticket. A button that would only earn a refusal is not
offered; the station still checks everything.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Action(enum.Enum):
    """What the queue panel offers, with its F-key (clerks who never leave the keyboard)."""

    CALL = "F1"
    RECALL = "F2"
    NO_SHOW = "F3"
    START = "F4"
    TRANSFER = "F5"
    PARK = "F6"
    FINISH = "F7"
    PAUSE_OPEN = "F8"
    WALK_IN = "F9"

    @property
    def key(self) -> str:
        return self.value


AT_WINDOW = ("called", "serving")
"""Ticket statuses that mean "this ticket is at the window now"."""
QUEUE_MODES = ("counter", "agent")
"""Modes with a queue to call from; a home visit (上门服务) has none (walk-in only)."""


@dataclass
class CategoryCount:
    prefix: str
    name: str
    name_en: str
    waiting: int


@dataclass
class QueueModel:
    """The queue as this window sees it.

    :param window: this window's number ("3").
    :param mode: counter, agent or home_visit.
    """

    window: str
    mode: str = "counter"
    live: bool = False
    """The event feed has the station's current status (not merely the last known)."""
    window_state: str | None = None
    """open, paused or closed; None before the first status."""
    window_name: str = ""
    served: dict[str, int] = field(default_factory=dict)
    """The categories this window serves, with their weights."""
    categories: list[CategoryCount] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)
    """Every window's number (transfer targets)."""
    current: dict[str, Any] | None = None
    """The ticket at this window: at least ``number`` and ``status``; ``id`` when known."""
    parked: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Ticket number → ticket, parked at this window (挂起), oldest first."""
    pinned: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Ticket number → ticket transferred to this window and waiting for it."""
    signed_in: bool = False
    accepting: bool = False
    """The acceptance page has a case open (begun, not yet submitted or cancelled)."""
    busy: bool = False
    """A queue request of this window is on its way: no second click until it answers."""

    # -- from the station

    def apply(self, frame: Mapping[str, Any]) -> None:
        """One event frame. Raises ``KeyError``/``TypeError`` on a frame that does not fit the
        contract (the caller logs and skips it)."""
        kind = frame.get("type")
        if kind in ("hello", "status.reset"):
            if kind == "status.reset":  # a new service day: yesterday's tickets are gone
                self.parked.clear()
                self.pinned.clear()
                self.current = None
            self.apply_status(frame["status"])
            return
        if "categories" in frame:
            self._categories(frame["categories"])
        if "windows" in frame:
            for window in frame["windows"]:
                self.apply_window(window)
        if kind == "window.changed":
            self.apply_window(frame["window"])
        if kind in ("ticket.issued", "ticket.called", "ticket.changed"):
            self.apply_ticket(frame["ticket"], frame.get("change"))

    def apply_status(self, status: Mapping[str, Any]) -> None:
        """The full status (``GET /v1/status``, a ``hello``)."""
        self._categories(status["categories"])
        self.windows = [str(w["number"]) for w in status["windows"]]
        for window in status["windows"]:
            self.apply_window(window)

    def apply_window(self, window: Mapping[str, Any]) -> None:
        """One window (``WindowOut``); only this window's matters here."""
        if str(window["number"]) != self.window:
            return
        self.window_state = str(window["state"])
        self.window_name = str(window.get("name") or self.window_name)
        self.served = dict(window.get("categories") or self.served)
        current = window.get("current")
        if current is None:
            self.current = None
        elif self.current is not None and self.current.get("number") == current["number"]:
            self.current = {**self.current, "status": current["status"]}
        else:
            self.current = {"number": current["number"], "status": current["status"]}

    def apply_ticket(self, ticket: Mapping[str, Any], change: str | None = None) -> None:
        """A ticket from an event or from the answer to one of our requests."""
        number, status = str(ticket["number"]), str(ticket["status"])
        here = ticket.get("window") == self.window
        if status == "parked":
            if here:
                self.parked[number] = dict(ticket)
        else:
            self.parked.pop(number, None)
        if status == "waiting" and here:
            self.pinned[number] = dict(ticket)  # transferred to this window
        else:
            self.pinned.pop(number, None)
        if here and status in AT_WINDOW:
            self.current = dict(ticket)
        elif self.current is not None and self.current.get("number") == number:
            self.current = None  # finished, no-show, parked or sent on

    def _categories(self, categories: Any) -> None:
        self.categories = [CategoryCount(str(c["prefix"]), str(c.get("name", "")),
                                         str(c.get("name_en", "")), int(c["waiting"]))
                           for c in categories]

    # -- what the panel shows

    @property
    def waiting_here(self) -> int:
        """Tickets this window could call now: its categories' queues and those sent to it."""
        return sum(c.waiting for c in self.categories if c.prefix in self.served) \
            + len(self.pinned)

    @property
    def current_status(self) -> str | None:
        return None if self.current is None else str(self.current.get("status"))

    @property
    def has_queue(self) -> bool:
        return self.mode in QUEUE_MODES

    def allowed(self, action: Action) -> bool:
        """May the clerk do ``action`` now?"""
        if not self.signed_in or self.busy:
            return False
        status = self.current_status
        if action is Action.WALK_IN:
            return not self.accepting and status is None
        if action is Action.PAUSE_OPEN:
            return self.has_queue and self.window_state is not None
        if not self.has_queue:
            return False
        if action is Action.CALL:
            # while the feed is away the counts may be stale: let the station say
            return status is None and not self.accepting \
                and (self.waiting_here > 0 or not self.live)
        if action in (Action.RECALL, Action.NO_SHOW):
            return status == "called" and not self.accepting
        if action is Action.START:
            return status in AT_WINDOW and not self.accepting
        if action in (Action.PARK, Action.TRANSFER):
            return status in AT_WINDOW
        if action is Action.FINISH:
            return status in AT_WINDOW and not self.accepting
        raise ValueError(action)

    def enabled(self) -> dict[Action, bool]:
        return {action: self.allowed(action) for action in Action}

    def may_resume(self) -> bool:
        """A parked ticket may be taken up again (the window must be free)."""
        return self.signed_in and not self.busy and self.has_queue \
            and self.current is None and not self.accepting

    @property
    def pause_means_open(self) -> bool:
        """F8 opens the window (it is paused or closed) rather than pausing it."""
        return self.window_state != "open"


def ticket_ref(ticket: Mapping[str, Any] | None) -> str:
    """What the rating terminal shows for a visit without a receipt: its ticket number."""
    return "" if ticket is None else str(ticket.get("number", ""))


def plain_error(exc: BaseException) -> str:
    """What the clerk reads about a failed request: the station's own words (they are
    中文 / English already), never a trace. Only the type of anything else is named."""
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    return f"操作没有完成（{type(exc).__name__}），请重试 / the request did not complete " \
           f"({type(exc).__name__}); try again"
