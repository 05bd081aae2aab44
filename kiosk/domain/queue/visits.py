"""A ticket's life at the counter, as pure transitions with outcome codes.

States: ``waiting`` → ``called`` (at a window; called again with 重呼) → ``serving`` → ``done``;
``parked`` (帮办: the citizen fetches a missing document) and back. Every transaction at a
window ends with one **outcome** (queue.md §3: Qmatic's visit-transaction outcomes), and the
visit ends with the outcome of its last transaction:

- ``normal``: served and finished;
- ``no_show``: called, nobody came (弃号);
- ``transferred``: sent on to another category or window (综合窗口 → 分领域); the ticket
  waits again, keeping its number and its arrival time, so it is not sent to the back;
- ``parked``: set aside for a missing document (帮办); resumed later at the same window;
- ``cancelled``: withdrawn by the citizen or the clerk;
- ``removed_by_reset``: still open when the service day ended;
- ``voided``: its ticket could not be printed, so it never counts as issued.

Each transition returns the new ticket and the :class:`Event` to store (the station writes
both in one transaction). A transition that does not apply raises :class:`VisitError` with a
plain, bilingual message (a clerk double-clicking "no-show" must get a clear answer, not a
stack trace).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass


class Status(enum.StrEnum):
    RESERVED = "reserved"
    """Numbered, not yet printed: the kiosk confirms it once the ticket is out, or voids it."""
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    PARKED = "parked"
    DONE = "done"


class Outcome(enum.StrEnum):
    NORMAL = "normal"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    PARKED = "parked"
    CANCELLED = "cancelled"
    REMOVED_BY_RESET = "removed_by_reset"
    VOIDED = "voided"


OPEN = (Status.RESERVED, Status.WAITING, Status.CALLED, Status.SERVING, Status.PARKED)


class VisitError(ValueError):
    """A transition that does not apply to the ticket as it stands."""


@dataclass(frozen=True)
class Ticket:
    """A ticket's state (the station keeps it in the site store)."""

    ticket_id: str
    number: str
    category: str
    issued_at: dt.datetime
    status: Status = Status.WAITING
    window: str | None = None
    """The window that called it, serves it, parked it, or that it was sent to."""
    calls: int = 0
    """Times called at the current window (1 = first call; more = 重呼)."""
    called_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    outcome: Outcome | None = None
    """The last transaction's outcome (None while the first is under way)."""
    pinned_window: str | None = None
    """Only this window may call it (sent to a window, or parked there)."""


@dataclass(frozen=True)
class Event:
    """What happened, for ``queue_events`` and the hall display's stream."""

    kind: str
    ticket_id: str
    at: dt.datetime
    window: str | None = None
    outcome: Outcome | None = None
    detail: str | None = None
    """The category or window a transfer went to."""


def _check(ticket: Ticket, allowed: tuple[Status, ...], what: str) -> None:
    if ticket.status not in allowed:
        raise VisitError(f"{ticket.number} 当前为“{_ZH[ticket.status]}”，不能{_ZH_ACTION[what]} / "
                         f"ticket {ticket.number} is {ticket.status}: it cannot be {what}")


_ZH = {Status.RESERVED: "待打印",
       Status.WAITING: "等候中", Status.CALLED: "已叫号", Status.SERVING: "办理中",
       Status.PARKED: "挂起", Status.DONE: "已结束"}
_ZH_ACTION = {"called": "叫号", "recalled": "重呼", "marked no-show": "弃号",
              "started": "开始办理", "finished": "办结", "transferred": "转移",
              "parked": "挂起", "resumed": "恢复办理", "cancelled": "取消",
              "voided": "作废", "confirmed": "确认"}


def call(ticket: Ticket, window: str, now: dt.datetime) -> tuple[Ticket, Event]:
    """Call a waiting ticket to ``window``."""
    _check(ticket, (Status.WAITING,), "called")
    if ticket.pinned_window is not None and ticket.pinned_window != window:
        raise VisitError(f"{ticket.number} 已转给 {ticket.pinned_window} 号窗口 / ticket "
                         f"{ticket.number} was sent to window {ticket.pinned_window}")
    new = dataclasses.replace(ticket, status=Status.CALLED, window=window, calls=1,
                              called_at=now, started_at=None)
    return new, Event("called", ticket.ticket_id, now, window)


def recall(ticket: Ticket, now: dt.datetime) -> tuple[Ticket, Event]:
    """Call the called ticket once more (重呼)."""
    _check(ticket, (Status.CALLED,), "recalled")
    new = dataclasses.replace(ticket, calls=ticket.calls + 1, called_at=now)
    return new, Event("recalled", ticket.ticket_id, now, ticket.window)


def no_show(ticket: Ticket, now: dt.datetime) -> tuple[Ticket, Event]:
    """Nobody came to the called ticket (弃号)."""
    _check(ticket, (Status.CALLED,), "marked no-show")
    return _end(ticket, now, Outcome.NO_SHOW, "no_show")


def start(ticket: Ticket, now: dt.datetime) -> tuple[Ticket, Event]:
    """The citizen is at the window: service starts."""
    _check(ticket, (Status.CALLED,), "started")
    new = dataclasses.replace(ticket, status=Status.SERVING, started_at=now)
    return new, Event("started", ticket.ticket_id, now, ticket.window)


def finish(ticket: Ticket, now: dt.datetime) -> tuple[Ticket, Event]:
    """Served and done. From ``called`` too: a clerk who never pressed "start" has still
    served the citizen (service time then counts from the call)."""
    _check(ticket, (Status.CALLED, Status.SERVING), "finished")
    started = ticket.started_at or ticket.called_at or now
    return _end(dataclasses.replace(ticket, started_at=started), now, Outcome.NORMAL,
                "finished")


def transfer(ticket: Ticket, now: dt.datetime, *, category: str | None = None,
             window: str | None = None) -> tuple[Ticket, Event]:
    """Send the ticket on to another category, or to one window; it waits again with its
    number and its arrival time."""
    _check(ticket, (Status.CALLED, Status.SERVING, Status.PARKED), "transferred")
    if (category is None) == (window is None):
        raise VisitError("转移到一个业务类别或一个窗口 / transfer to one category or one window")
    new = dataclasses.replace(ticket, status=Status.WAITING,
                              category=category or ticket.category, window=window,
                              pinned_window=window, calls=0, called_at=None, started_at=None,
                              outcome=Outcome.TRANSFERRED)
    target = f"category {category}" if category else f"window {window}"
    return new, Event("transferred", ticket.ticket_id, now, ticket.window,
                      Outcome.TRANSFERRED, target)


def park(ticket: Ticket, now: dt.datetime) -> tuple[Ticket, Event]:
    """Set the visit aside at this window while the citizen fetches a document (帮办)."""
    _check(ticket, (Status.CALLED, Status.SERVING), "parked")
    new = dataclasses.replace(ticket, status=Status.PARKED, pinned_window=ticket.window,
                              outcome=Outcome.PARKED)
    return new, Event("parked", ticket.ticket_id, now, ticket.window, Outcome.PARKED)


def resume(ticket: Ticket, window: str, now: dt.datetime) -> tuple[Ticket, Event]:
    """Take the parked visit up again, at the window that parked it (or, if it is closed,
    at any window the manager sends it to by ``transfer``)."""
    _check(ticket, (Status.PARKED,), "resumed")
    if ticket.pinned_window is not None and ticket.pinned_window != window:
        raise VisitError(f"{ticket.number} 挂起在 {ticket.pinned_window} 号窗口 / ticket "
                         f"{ticket.number} is parked at window {ticket.pinned_window}")
    new = dataclasses.replace(ticket, status=Status.SERVING, window=window, started_at=now,
                              pinned_window=None)
    return new, Event("resumed", ticket.ticket_id, now, window)


def cancel(ticket: Ticket, now: dt.datetime) -> tuple[Ticket, Event]:
    _check(ticket, OPEN, "cancelled")
    return _end(ticket, now, Outcome.CANCELLED, "cancelled")


def confirm(ticket: Ticket, now: dt.datetime) -> tuple[Ticket, Event]:
    """The kiosk printed the reserved ticket: it joins the queue (its arrival is its
    reservation, so the seconds the printer took do not send it behind anyone)."""
    _check(ticket, (Status.RESERVED,), "confirmed")
    return dataclasses.replace(ticket, status=Status.WAITING), Event("confirmed",
                                                                     ticket.ticket_id, now)


def void(ticket: Ticket, now: dt.datetime) -> tuple[Ticket, Event]:
    """The ticket could not be printed: it never counts as issued (its number is not
    handed out again: a number is never reused within a day)."""
    _check(ticket, (Status.RESERVED, Status.WAITING), "voided")
    return _end(ticket, now, Outcome.VOIDED, "voided")


def reset(ticket: Ticket, now: dt.datetime) -> tuple[Ticket, Event] | None:
    """End of the service day: close the ticket if it is still open (None if it is not)."""
    if ticket.status not in OPEN:
        return None
    return _end(ticket, now, Outcome.REMOVED_BY_RESET, "reset")


def _end(ticket: Ticket, now: dt.datetime, outcome: Outcome, kind: str) -> tuple[Ticket, Event]:
    new = dataclasses.replace(ticket, status=Status.DONE, outcome=outcome, pinned_window=None)
    return new, Event(kind, ticket.ticket_id, now, ticket.window, outcome)


def open_duplicate(tickets: list[Ticket], holders: dict[str, bytes], holder_index: bytes,
                   category: str) -> Ticket | None:
    """The citizen's open ticket in ``category``, if any: one ID card holds one open ticket
    per category (a second swipe offers a reprint instead; queue.md §2, JackQChen).

    :param holders: ticket id → the holder's blind index, for the tickets that have one.
    """
    for ticket in tickets:
        if ticket.category == category and ticket.status in OPEN \
                and holders.get(ticket.ticket_id) == holder_index:
            return ticket
    return None
