"""The station's queue: the domain's rules applied to the site's tickets, kept in the store.

One :class:`QueueEngine` per station, driven from one thread (the station's writer): every
operation is one ``BEGIN IMMEDIATE`` transaction that writes the ticket, its event, the
outbox op of a visit that ended, and the answer kept for a retry of the same request
(``offline_store.station_access``). The day's open tickets are also kept in memory so that
calling the next number does not scan the day; a change is made in memory inside the
transaction and undone if the transaction fails, so memory never holds what the store lost.

A restart reads the day back from the store: nothing answered is lost, no number is reused
(numbers come from ``max(seq)`` under the write lock, ``offline_store.tickets``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiosk.domain.call_text import DEFAULT_TEMPLATE
from kiosk.domain.queue import visits
from kiosk.domain.queue.categories import IssueRefused, check_issue
from kiosk.domain.queue.estimates import (
    OpenWindow,
    estimated_wait_s,
    servers_for,
    typical_service_s,
)
from kiosk.domain.queue.kpi import Visit, by, figures, uneven_load
from kiosk.domain.queue.numbering import parse_ticket_number, service_day
from kiosk.domain.queue.ordering import Waiting, next_ticket, sort_key
from kiosk.domain.queue.priority import Reason, reasons_for, weight_of
from kiosk.domain.queue.visits import Outcome, Status, Ticket, VisitError
from kiosk.domain.queue.windows import (
    CategoryLoad,
    Window,
    WindowIdle,
    WindowState,
    advice,
)
from offline_store import queue_state, station_access, tickets
from offline_store.clock import iso, parse_iso
from offline_store.site import Site

from .settings import QueueSettings

RECENT_CALLS = 10
KEEP_ANSWERS = dt.timedelta(days=2)
FORGET_EVERY = dt.timedelta(hours=1)


class Refused(Exception):
    """A request the station will not carry out, with the HTTP status and a plain message
    (中文 / English) for whoever sent it."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


@dataclass(frozen=True)
class Record:
    """An open ticket as the station keeps it: the domain's state plus what the queue
    order, the estimates and the figures need."""

    ticket: Ticket
    seq: int
    priority: int
    reasons: tuple[Reason, ...]
    holder_index: bytes | None = None
    first_called_at: dt.datetime | None = None
    clerk: str | None = None
    appointment: tuple[dt.datetime, dt.datetime] | None = None
    """The booked slot (start, end) of a citizen who checked in for an appointment."""

    @property
    def id(self) -> str:
        return self.ticket.ticket_id

    @functools.cached_property
    def waiting(self) -> Waiting:
        """As the ordering rules see it (made once: the call order looks at every open
        ticket on every call)."""
        t = self.ticket
        start, end = self.appointment or (None, None)
        return Waiting(ticket_id=t.ticket_id, number=t.number, category=t.category,
                       seq=self.seq, issued_at=t.issued_at, reasons=self.reasons,
                       appointment_start=start, appointment_end=end,
                       pinned_window=t.pinned_window)


@dataclass
class Answer:
    status: int
    body: Any
    events: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False


def fingerprint(method: str, path: str, body: Any) -> str:
    """What a retry must repeat exactly to get the kept answer."""
    text = json.dumps([method, path, body], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def call_text(number: str, window: str) -> str:
    return DEFAULT_TEMPLATE.format(ticket=number, window=window)


class QueueEngine:
    def __init__(self, site: Site, settings: QueueSettings):
        self.site = site
        self.s = settings
        self.windows: dict[str, Window] = dict(settings.windows)
        self.clerks: dict[str, str | None] = {}
        self.open: dict[str, Record] = {}
        self.by_number: dict[str, str] = {}
        self.issued: dict[str, list[dt.time]] = {}
        self.served: dict[str, list[float]] = {}
        self.last_activity: dict[str, dt.datetime] = {}
        self.recent_calls: list[dict[str, Any]] = []
        self._journal: list[Callable[[], None]] | None = None
        self._version = 0
        self._cache: dict[Any, Any] = {}
        self._cache_version = -1
        self._forgot_at: dt.datetime | None = None
        self.day = ""
        self._load()

    # --- time -------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self.site.clock.now()

    def local(self, at: dt.datetime) -> dt.datetime:
        return at.astimezone(self.s.tz)

    def _today(self) -> str:
        return service_day(self.local(self.now()), self.s.reset_hour).isoformat()

    # --- loading and the day's end -------------------------------------------------------------

    def _load(self) -> None:
        self._version += 1
        self.day = self._today()
        stored = queue_state.windows(self.site.store)
        for number, window in self.windows.items():
            row = stored.get(number)
            if row is not None:
                self.windows[number] = window.with_state(WindowState(row["state"]))
                self.clerks[number] = row["clerk"]
                self.last_activity[number] = parse_iso(row["since"])
        self._end_earlier_days()
        self.open.clear()
        self.by_number.clear()
        self.issued = {p: [] for p in self.s.categories}
        self.served = {p: [] for p in self.s.categories}
        ended: list[tuple[dt.datetime, str, float]] = []
        for row in queue_state.tickets_of_day(self.site.store, self.day):
            if row["outcome"] != Outcome.VOIDED:
                self.issued.setdefault(row["category"], []).append(
                    self.local(parse_iso(row["issued_at"])).time())
            if row["status"] in queue_state.OPEN_STATUSES:
                record = _record_of(row)
                self.open[record.id] = record
                self.by_number[record.ticket.number] = record.id
            elif row["outcome"] == Outcome.NORMAL and row["served_s"] is not None:
                ended.append((parse_iso(row["ended_at"]), _queue_category(row),
                              row["served_s"]))
        for _, category, served_s in sorted(ended):
            self.served.setdefault(category, []).append(served_s)
        self.recent_calls = [
            {"number": c["number"], "window": c["window"], "at": c["at"],
             "recall": c["kind"] == "recalled", "text": call_text(c["number"], c["window"])}
            for c in queue_state.calls_of_day(self.site.store, self.day, RECENT_CALLS)]

    def _end_earlier_days(self) -> None:
        stale = queue_state.open_before(self.site.store, self.day)
        if not stale:
            return
        now = self.now()
        with self.site.store.write() as conn:
            for row in stale:
                ended = visits.reset(_record_of(row).ticket, now)
                assert ended is not None
                fields = {"status": Status.DONE.value, "outcome": Outcome.REMOVED_BY_RESET.value,
                          "ended_at": iso(now), "pinned_window": None}
                queue_state.update_ticket(conn, row["id"], fields)
                queue_state.add_event(conn, self.site.clock, ticket_id=row["id"], kind="reset")
                queue_state.enqueue_visit_end(conn, self.site.clock, {**row, **fields})

    def tick(self) -> list[dict[str, Any]]:
        """The station's clock work, every few seconds: a new service day starts, and
        reservations nobody confirmed or voided are confirmed (QueueSection docs)."""
        events = self._roll_day()
        limit = self.now() - self.s.reservation_timeout
        stale = [r for r in self.open.values()
                 if r.ticket.status is Status.RESERVED and r.ticket.issued_at <= limit]
        for record in stale:
            answer = self._transact(lambda conn, r=record: self._confirm(conn, r))
            events += answer.events
        if self._forgot_at is None or self.now() - self._forgot_at >= FORGET_EVERY:
            # hourly, not every tick: an idle station must not fsync every two seconds
            with self.site.store.write() as conn:
                station_access.forget_before(conn, self.now() - KEEP_ANSWERS)
            self._forgot_at = self.now()
        return events

    # --- the transaction around every request -----------------------------------------------------

    def run(self, token: str, key: str, print_: str, op: Callable[[sqlite3.Connection], Answer],
            ) -> Answer:
        """Carry out ``op`` once per idempotency ``key``: a retry with the same key and the
        same request (``print_``, :func:`fingerprint`) gets the kept answer and changes
        nothing; the same key with another request is refused."""
        reset = self._roll_day()
        # kept keyed with the site's index key: a bare hash of a body with an ID number in
        # it could be reversed by trying every number (the ID number space is small)
        print_ = self.site.keys.blind_index(print_).hex()

        def guarded(conn: sqlite3.Connection) -> Answer:
            found = station_access.recall(conn, token, key)
            if found is not None:
                if found[0] != print_:
                    raise Refused(422, "idempotency_key_reused",
                                  "这个请求编号已用于另一个请求 / this Idempotency-Key was "
                                  "used for a different request")
                return Answer(found[1], found[2], replayed=True)
            answer = op(conn)
            station_access.remember(conn, token, key, print_, answer.status, answer.body,
                                    self.now())
            return answer

        answer = self._transact(guarded)
        answer.events[:0] = reset
        return answer

    def _roll_day(self) -> list[dict[str, Any]]:
        if self._today() == self.day:
            return []
        self._load()
        return [self.event("status.reset", status=self.status())]

    def _transact(self, op: Callable[[sqlite3.Connection], Answer]) -> Answer:
        self._journal = []
        try:
            with self.site.store.write() as conn:
                answer = op(conn)
        except BaseException:
            for undo in reversed(self._journal):
                undo()
            raise
        finally:
            self._journal = None
        return answer

    def _put(self, record: Record) -> None:
        """Change one open ticket in memory (it leaves when it is done), undoably."""
        key, number = record.id, record.ticket.number
        before = self.open.get(key)
        if record.ticket.status is Status.DONE:
            self.open.pop(key, None)
            self.by_number.pop(number, None)
        else:
            self.open[key] = record
            self.by_number[number] = key

        def undo() -> None:
            if before is None:
                self.open.pop(key, None)
                self.by_number.pop(number, None)
            else:
                self.open[key] = before
                self.by_number[number] = key

        self._undoable(undo)

    def _undoable(self, undo: Callable[[], None]) -> None:
        """Every change of the state in memory registers its undo here; that is also how
        the views made from the state (:meth:`_view`) learn they are out of date."""
        assert self._journal is not None
        self._version += 1

        def undo_and_mark() -> None:
            undo()
            self._version += 1

        self._journal.append(undo_and_mark)

    def _view(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()``, kept until the state changes: the status, the events and the advice
        all look at the same categories and windows several times per request."""
        if self._cache_version != self._version:
            self._cache.clear()
            self._cache_version = self._version
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # --- issuing -------------------------------------------------------------------------------

    def issue(self, conn: sqlite3.Connection, *, category: str,
              id_card: Mapping[str, str] | None = None, reasons: Sequence[str] = (),
              appointment: tuple[dt.datetime, dt.datetime] | None = None,
              confirm: bool = False, channel: str = "kiosk") -> Answer:
        """Number a ticket (reserved until the kiosk printed it, unless ``confirm``).

        :param appointment: the booked slot of a citizen checking in: inside it (from 15
            minutes before) the ticket goes ahead of walk-ins (queue.md).
        """
        cat = self.s.categories.get(category)
        if cat is None:
            raise Refused(404, "no_such_category",
                          f"没有业务类别 {category} / no category {category!r} (known: "
                          f"{', '.join(self.s.categories)})")
        now = self.now()
        local = self.local(now)
        try:
            check_issue(cat, local, len(self.issued.get(category, [])),
                        self.issued.get(category, []))
        except IssueRefused as exc:
            raise Refused(409, "not_issuing", str(exc)) from None
        holder = None
        birth = None
        holder_index = None
        if id_card:
            holder = {"id_number": id_card["id_number"], "name": id_card.get("name", "")}
            holder_index = self.site.keys.blind_index(id_card["id_number"])
            duplicate = next((r for r in self.open.values()
                              if r.holder_index == holder_index
                              and r.ticket.category == category), None)
            if duplicate is not None:
                raise Refused(409, "duplicate_ticket",
                              f"您已有 {duplicate.ticket.number} 号，可重打小票 / this ID card "
                              f"already holds ticket {duplicate.ticket.number}; reprint it",
                              ticket=self.public(duplicate))
            birth = _birth_date(id_card)
        wanted = {Reason(r) for r in reasons}
        found = reasons_for(day=local.date(), birth=birth, elderly_age=self.s.elderly_age,
                            disabled=Reason.DISABLED in wanted,
                            pregnant=Reason.PREGNANT in wanted,
                            appointment=appointment is not None) if cat.green_channel else ()
        priority = weight_of(found, self.s.ordering.weights)
        status = Status.WAITING if confirm else Status.RESERVED
        made = tickets.issue_in(conn, self.site, service_day=self.day, category=category,
                                channel=channel, priority=priority, holder=holder,
                                status=status.value, reasons=",".join(found))
        if appointment is not None:
            queue_state.update_ticket(conn, made["id"], {
                "appointment_start": iso(appointment[0]), "appointment_end": iso(appointment[1])})
        record = Record(
            Ticket(made["id"], made["number"], category, made["issued_at"], status=status),
            seq=made["seq"], priority=priority, reasons=found, holder_index=holder_index,
            appointment=appointment)
        self._put(record)
        times = self.issued.setdefault(category, [])
        times.append(local.time())
        self._undoable(times.pop)
        if confirm:
            return self._answer(201, "ticket.issued", record, [])
        return Answer(201, self.public(record))

    def confirm(self, conn: sqlite3.Connection, ticket_id: str) -> Answer:
        return self._confirm(conn, self._open_ticket(ticket_id))

    def _confirm(self, conn: sqlite3.Connection, record: Record) -> Answer:
        ticket, event = self._domain(visits.confirm, record.ticket, self.now())
        new = dataclasses.replace(record, ticket=ticket)
        self._save(conn, new, event)
        return self._answer(200, "ticket.issued", new, [])

    def void(self, conn: sqlite3.Connection, ticket_id: str) -> Answer:
        record = self._open_ticket(ticket_id)
        ticket, event = self._domain(visits.void, record.ticket, self.now())
        new = dataclasses.replace(record, ticket=ticket)
        self._save(conn, new, event)
        times = self.issued.get(parse_ticket_number(record.ticket.number)[0], [])
        when = self.local(record.ticket.issued_at).time()
        if when in times:
            times.remove(when)
            self._undoable(lambda: times.append(when))
        return self._answer(200, "ticket.changed", new, [], change="voided")

    def cancel(self, conn: sqlite3.Connection, ticket_id: str) -> Answer:
        record = self._open_ticket(ticket_id)
        return self._change(conn, record, visits.cancel, "cancelled")

    # --- at a window -----------------------------------------------------------------------------

    def call(self, conn: sqlite3.Connection, window: str, number: str | None = None) -> Answer:
        win = self._window(window)
        current = self.current(window)
        if current is not None:
            raise Refused(409, "window_busy",
                          f"{window}号窗口正在办理 {current.ticket.number}，请先办结或弃号 / "
                          f"window {window} still has {current.ticket.number}: finish it or "
                          f"mark it no-show first")
        now = self.now()
        if number is not None:
            record = self._by_number(number)
            if record.ticket.category not in win.weights and \
                    record.ticket.pinned_window != window:
                raise Refused(409, "not_served_here",
                              f"{window}号窗口不办理 {record.ticket.category} 类业务 / window "
                              f"{window} does not serve category {record.ticket.category}")
        else:
            waiting = [r.waiting for r in self.open.values()
                       if r.ticket.status is Status.WAITING]
            chosen = next_ticket(waiting, now, self.s.ordering, win.weights, window)
            if chosen is None:
                raise Refused(409, "queue_empty",
                              f"{window}号窗口暂无等候的号 / nobody is waiting for window {window}")
            record = self.open[chosen.ticket_id]
        events: list[dict[str, Any]] = []
        if win.state is not WindowState.OPEN:
            events += self._set_window(conn, window, WindowState.OPEN, self.clerks.get(window))
        ticket, event = self._domain(visits.call, record.ticket, window, now)
        new = dataclasses.replace(record, ticket=ticket,
                                  first_called_at=record.first_called_at or now,
                                  clerk=self.clerks.get(window))
        self._save(conn, new, event)
        self._touch(window, now)
        call = self._remember_call(new, recall=False)
        return self._answer(200, "ticket.called", new, events, call=call)

    def recall(self, conn: sqlite3.Connection, window: str) -> Answer:
        record = self._current_or_refuse(window)
        ticket, event = self._domain(visits.recall, record.ticket, self.now())
        new = dataclasses.replace(record, ticket=ticket)
        self._save(conn, new, event)
        call = self._remember_call(new, recall=True)
        return self._answer(200, "ticket.called", new, [], call=call)

    def at_window(self, conn: sqlite3.Connection, window: str, action: str) -> Answer:
        """no-show, start, finish, park of the window's current ticket."""
        record = self._current_or_refuse(window)
        step, change = {"no-show": (visits.no_show, "no_show"), "start": (visits.start, "started"),
                        "finish": (visits.finish, "finished"),
                        "park": (visits.park, "parked")}[action]
        self._touch(window, self.now())
        return self._change(conn, record, step, change)

    def transfer(self, conn: sqlite3.Connection, window: str, *, category: str | None = None,
                 to_window: str | None = None) -> Answer:
        record = self._current_or_refuse(window)
        if category is not None and category not in self.s.categories:
            raise Refused(404, "no_such_category", f"没有业务类别 {category} / no category "
                                                   f"{category!r}")
        if to_window is not None:
            self._window(to_window)
        self._touch(window, self.now())
        return self._change(conn, record, lambda t, now: visits.transfer(
            t, now, category=category, window=to_window), "transferred")

    def resume(self, conn: sqlite3.Connection, window: str, number: str) -> Answer:
        self._window(window)
        current = self.current(window)
        if current is not None:
            raise Refused(409, "window_busy", f"{window}号窗口正在办理 {current.ticket.number} / "
                                              f"window {window} still has "
                                              f"{current.ticket.number}")
        record = self._by_number(number)
        self._touch(window, self.now())
        return self._change(conn, record, lambda t, now: visits.resume(t, window, now),
                            "resumed")

    def window_state(self, conn: sqlite3.Connection, window: str, state: str,
                     clerk: str | None = None) -> Answer:
        self._window(window)
        try:
            wanted = WindowState(state)
        except ValueError:
            raise Refused(422, "invalid", f"窗口状态只能是 open、paused、closed / state must be "
                                          f"open, paused or closed (got {state!r})") from None
        current = self.current(window)
        if wanted is WindowState.CLOSED and current is not None:
            raise Refused(409, "window_busy", f"{window}号窗口还在办理 {current.ticket.number} / "
                                              f"window {window} still has "
                                              f"{current.ticket.number}")
        events = self._set_window(conn, window, wanted, clerk or self.clerks.get(window))
        return Answer(200, self.public_window(self.windows[window]), events)

    def clerk_left(self, conn: sqlite3.Connection, window: str) -> Answer:
        """The clerk signed out: the window pauses and has no clerk, so that the next ticket
        called there is not put down to the clerk who left."""
        self._window(window)
        events = self._set_window(conn, window, WindowState.PAUSED, None)
        return Answer(200, self.public_window(self.windows[window]), events)

    def window(self, number: str) -> Window:
        """The window, or a plain 404."""
        return self._window(number)

    def announce(self, text: str) -> Answer:
        return Answer(200, {"text": text}, [self.event("announcement", text=text)])

    # --- reading ---------------------------------------------------------------------------------

    def current(self, window: str) -> Record | None:
        def at_windows() -> dict[str, Record]:
            return {r.ticket.window: r for r in self.open.values()
                    if r.ticket.window is not None
                    and r.ticket.status in (Status.CALLED, Status.SERVING)}

        return self._view("current", at_windows).get(window)

    def status(self) -> dict[str, Any]:
        return {
            "service_day": self.day, "at": iso(self.now()),
            "site": {"code": self.s.site_code, "name": self.s.site_name},
            "categories": self.categories(), "windows": self.public_windows(),
            "recent_calls": list(self.recent_calls), "advice": self.advice(),
            "notice": self.s.notice,
        }

    def categories(self) -> list[dict[str, Any]]:
        local = self.local(self.now()).time()
        return self._view(("categories", local.hour, local.minute),
                          lambda: self._categories(local))

    def _categories(self, local: dt.time) -> list[dict[str, Any]]:
        waiting: dict[str, int] = {p: 0 for p in self.s.categories}
        for record in self.open.values():
            if record.ticket.status is Status.WAITING and record.ticket.pinned_window is None:
                waiting[record.ticket.category] = waiting.get(record.ticket.category, 0) + 1
        busy = [p for p, n in waiting.items() if n]
        opened = self._open_windows()
        return [{
            "prefix": p, "name": c.name, "name_en": c.name_en, "waiting": waiting[p],
            "estimated_wait_s": self._estimate(p, waiting[p], opened, busy),
            "issued": len(self.issued.get(p, [])), "open_now": c.open_at(local),
        } for p, c in self.s.categories.items()]

    def _open_windows(self) -> list[OpenWindow]:
        return [OpenWindow(w.number, w.weights) for w in self.windows.values()
                if w.state is WindowState.OPEN]

    def _estimate(self, category: str, ahead: int, opened: Iterable[OpenWindow],
                  busy: Iterable[str]) -> float | None:
        typical = typical_service_s(self.served.get(category, []), self.s.estimates)
        wait = estimated_wait_s(ahead, typical, servers_for(category, opened, busy))
        return None if wait is None else round(wait, 1)

    def public_windows(self) -> list[dict[str, Any]]:
        return self._view("windows", lambda: [self.public_window(w)
                                              for w in self.windows.values()])

    def public_window(self, window: Window) -> dict[str, Any]:
        current = self.current(window.number)
        return {"number": window.number, "name": window.name, "state": window.state.value,
                "temporary": window.temporary, "categories": dict(window.weights),
                "current": None if current is None else {
                    "number": current.ticket.number, "status": current.ticket.status.value}}

    def advice(self) -> list[dict[str, Any]]:
        now = self.now()
        loads = [CategoryLoad(c["prefix"], c["waiting"], c["estimated_wait_s"])
                 for c in self.categories()]
        idle = [WindowIdle(w, (now - self.last_activity.get(w.number, now)).total_seconds())
                for w in self.windows.values()]
        return [{"action": f"{a.action}_window", "category": a.category, "window": a.window,
                 "reason": a.reason} for a in advice(loads, idle, self.s.advice)]

    def public(self, record: Record) -> dict[str, Any]:
        t = record.ticket
        body: dict[str, Any] = {
            "id": t.ticket_id, "number": t.number, "category": t.category,
            "status": t.status.value, "window": t.window, "priority": record.priority,
            "reasons": [r.value for r in record.reasons], "issued_at": iso(t.issued_at),
            "called_at": iso(t.called_at) if t.called_at else None, "calls": t.calls,
            "outcome": t.outcome.value if t.outcome else None, "ahead": None,
            "estimated_wait_s": None,
        }
        if t.status in (Status.WAITING, Status.RESERVED) and t.pinned_window is None:
            now, rules = self.now(), self.s.ordering
            mine = sort_key(record.waiting, now, rules)
            ahead = sum(1 for r in self.open.values()
                        if r.ticket.category == t.category and r.ticket.pinned_window is None
                        and r.ticket.status is Status.WAITING and r.id != t.ticket_id
                        and sort_key(r.waiting, now, rules) < mine)
            busy = [c["prefix"] for c in self.categories() if c["waiting"]]
            body["ahead"] = ahead
            body["estimated_wait_s"] = self._estimate(t.category, ahead, self._open_windows(),
                                                      busy)
        return body

    def ticket_view(self, ticket_id: str) -> dict[str, Any] | None:
        """:meth:`public` of a ticket of any day (an open one as memory holds it), or None:
        a ticket's QR code is scanned again after the visit, to rate it."""
        record = self.open.get(ticket_id)
        if record is None:
            row = queue_state.ticket(self.site.store, ticket_id)
            if row is None:
                return None
            record = _record_of(row)
        return self.public(record)

    def kpi(self, day: str | None = None) -> dict[str, Any]:
        day = day or self.day
        rows = queue_state.tickets_of_day(self.site.store, day)
        ended = [_visit(r) for r in rows if r["outcome"] is not None
                 and r["status"] == Status.DONE.value]
        busy: dict[str, float] = {w: 0.0 for w in self.windows}
        for row in rows:
            if row["window"] and row["served_s"]:
                busy[row["window"]] = busy.get(row["window"], 0.0) + row["served_s"]
        return {
            "day": day, "open_tickets": sum(r["status"] in queue_state.OPEN_STATUSES
                                            for r in rows),
            "total": figures(ended).as_json(),
            "by_category": {k: f.as_json() for k, f in by(ended, lambda v: v.category).items()},
            "by_window": {k: f.as_json() for k, f in by(ended, lambda v: v.window).items()},
            "by_clerk": {k: f.as_json() for k, f in by(ended, lambda v: v.clerk).items()},
            "busy_s_by_window": busy,
            "uneven_load": uneven_load({w: s for w, s in busy.items()
                                        if self.windows.get(w) is None
                                        or not self.windows[w].temporary or s > 0}),
        }

    # --- helpers ---------------------------------------------------------------------------------

    def _domain(self, step: Callable[..., tuple[Ticket, visits.Event]], *args: Any,
                ) -> tuple[Ticket, visits.Event]:
        try:
            return step(*args)
        except VisitError as exc:
            raise Refused(409, "invalid_transition", str(exc)) from None

    def _change(self, conn: sqlite3.Connection, record: Record,
                step: Callable[[Ticket, dt.datetime], tuple[Ticket, visits.Event]],
                change: str) -> Answer:
        ticket, event = self._domain(step, record.ticket, self.now())
        new = dataclasses.replace(record, ticket=ticket)
        self._save(conn, new, event)
        return self._answer(200, "ticket.changed", new, [], change=change)

    def _save(self, conn: sqlite3.Connection, new: Record, event: visits.Event) -> None:
        t = new.ticket
        fields: dict[str, Any] = {
            "status": t.status.value, "queue_category": t.category, "window": t.window,
            "pinned_window": t.pinned_window, "calls": t.calls,
            "called_at": iso(t.called_at) if t.called_at else None,
            "first_called_at": iso(new.first_called_at) if new.first_called_at else None,
            "started_at": iso(t.started_at) if t.started_at else None,
            "outcome": t.outcome.value if t.outcome else None, "clerk": new.clerk,
        }
        if t.status is Status.DONE:
            fields["ended_at"] = iso(event.at)
            if t.outcome is Outcome.NORMAL and t.started_at is not None:
                served = max(0.0, (event.at - t.started_at).total_seconds())
                fields["served_s"] = served
                samples = self.served.setdefault(t.category, [])
                samples.append(served)
                self._undoable(samples.pop)
        queue_state.update_ticket(conn, t.ticket_id, fields)
        queue_state.add_event(conn, self.site.clock, ticket_id=t.ticket_id, kind=event.kind,
                              window=event.window, clerk=new.clerk,
                              detail={"detail": event.detail} if event.detail else None,
                              at=event.at)
        if t.status is Status.DONE:
            queue_state.enqueue_visit_end(conn, self.site.clock, {
                **fields, "id": t.ticket_id, "number": t.number, "service_day": self.day,
                "category": parse_ticket_number(t.number)[0],
                "issued_at": iso(t.issued_at), "priority": new.priority,
                "reasons": ",".join(new.reasons)})
        self._put(new)

    def _set_window(self, conn: sqlite3.Connection, number: str, state: WindowState,
                    clerk: str | None) -> list[dict[str, Any]]:
        before, clerk_before = self.windows[number], self.clerks.get(number)
        now = self.now()
        queue_state.set_window(conn, number, state.value, iso(now), clerk)
        self.windows[number] = before.with_state(state)
        self.clerks[number] = clerk
        self._touch(number, now)

        def undo() -> None:
            self.windows[number] = before
            self.clerks[number] = clerk_before

        self._undoable(undo)
        return [self.event("window.changed", window=self.public_window(self.windows[number]),
                            categories=self.categories())]

    def _touch(self, window: str, now: dt.datetime) -> None:
        before = self.last_activity.get(window)
        self.last_activity[window] = now

        def undo() -> None:
            if before is None:
                self.last_activity.pop(window, None)
            else:
                self.last_activity[window] = before

        self._undoable(undo)

    def _remember_call(self, record: Record, *, recall: bool) -> dict[str, Any]:
        t = record.ticket
        assert t.window is not None and t.called_at is not None
        call = {"number": t.number, "window": t.window, "at": iso(t.called_at),
                "recall": recall, "text": call_text(t.number, t.window)}
        before = list(self.recent_calls)
        self.recent_calls = [call, *self.recent_calls][:RECENT_CALLS]

        def undo() -> None:
            self.recent_calls = before

        self._undoable(undo)
        return call

    def _window(self, number: str) -> Window:
        window = self.windows.get(number)
        if window is None:
            raise Refused(404, "no_such_window",
                          f"没有 {number} 号窗口 / no window {number!r} (known: "
                          f"{', '.join(self.windows)})")
        return window

    def _current_or_refuse(self, window: str) -> Record:
        self._window(window)
        record = self.current(window)
        if record is None:
            raise Refused(409, "window_idle", f"{window}号窗口没有正在办理的号 / window "
                                              f"{window} has no called ticket")
        return record

    def _open_ticket(self, ticket_id: str) -> Record:
        record = self.open.get(ticket_id)
        if record is None:
            raise Refused(404, "not_found", f"没有这张未结束的票 / no open ticket {ticket_id!r}")
        return record

    def _by_number(self, number: str) -> Record:
        ticket_id = self.by_number.get(number.strip().upper())
        if ticket_id is None:
            raise Refused(404, "not_found", f"今天没有未结束的 {number} 号 / no open ticket "
                                            f"{number} today")
        return self.open[ticket_id]

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": kind, "at": iso(self.now()), **fields}

    def _answer(self, status: int, kind: str, record: Record, events: list[dict[str, Any]],
                **fields: Any) -> Answer:
        """The answer with the ticket, and its event after ``events`` (one public view of
        the ticket for both)."""
        body = self.public(record)
        extra: dict[str, Any] = {"windows": self.public_windows()} if kind != "ticket.issued" \
            else {}
        event = self.event(kind, ticket=body, categories=self.categories(), **extra, **fields)
        return Answer(status, body, [*events, event])


def _record_of(row: Mapping[str, Any]) -> Record:
    def when(name: str) -> dt.datetime | None:
        return parse_iso(row[name]) if row.get(name) else None

    ticket = Ticket(
        ticket_id=row["id"], number=row["number"], category=_queue_category(row),
        issued_at=parse_iso(row["issued_at"]), status=Status(row["status"]),
        window=row["window"], calls=row["calls"] or 0, called_at=when("called_at"),
        started_at=when("started_at"),
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        pinned_window=row["pinned_window"])
    reasons = tuple(Reason(r) for r in (row["reasons"] or "").split(",") if r)
    start, end = when("appointment_start"), when("appointment_end")
    return Record(ticket, seq=row["seq"], priority=row["priority"], reasons=reasons,
                  holder_index=row["holder_index"], first_called_at=when("first_called_at"),
                  clerk=row.get("clerk"),
                  appointment=(start, end) if start is not None and end is not None else None)


def _birth_date(id_card: Mapping[str, Any]) -> dt.date | None:
    """From the card's own field, else from the ID number (GB 11643: digits 7-14 are the
    birth date), so a number typed at the CLI still finds an elderly citizen."""
    try:
        if id_card.get("birth_date"):
            return dt.date.fromisoformat(id_card["birth_date"])
        number = str(id_card.get("id_number", ""))
        if len(number) == 18:
            return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        pass
    return None


def _queue_category(row: Mapping[str, Any]) -> str:
    """Where the ticket waits or was served: its own category unless it was sent on."""
    return str(row.get("queue_category") or row["category"])


def _visit(row: Mapping[str, Any]) -> Visit:
    wait = None
    if row["first_called_at"]:
        wait = (parse_iso(row["first_called_at"]) - parse_iso(row["issued_at"])).total_seconds()
    return Visit(category=_queue_category(row), window=row["window"], clerk=row.get("clerk"),
                 outcome=Outcome(row["outcome"]), wait_s=wait, service_s=row["served_s"])
