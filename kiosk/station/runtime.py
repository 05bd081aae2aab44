"""The running station: one writer thread for the store, and the event stream's fan-out.

Every request's work runs on one thread (the store's connection is used by one thread at a
time, and one writer needs no locks). Events get their sequence number on that thread, in
commit order, and are handed to the event loop right after the commit, before the HTTP
answer goes out: a display hears a call as early as the counter learns it was made.

A subscriber that falls 1,000 events behind is dropped rather than let the station's memory
grow; it reconnects and resyncs from the ``hello`` snapshot like any other client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kiosk.domain.workdays import WorkdayCalendar
from offline_store import station_access
from offline_store.site import Site

from .cases import CaseDesk
from .engine import Answer, QueueEngine
from .ratings import RatingDesk
from .settings import QueueSettings
from .unresolved import UnresolvedDesk
from .uploads import Staging

log = logging.getLogger(__name__)
T = TypeVar("T")
BACKLOG = 1000
TICK_S = 2.0
ROLE_CACHE_S = 30.0
"""How long a token's role is believed without asking the store again. Unit: s."""


CLOSE_TOO_SLOW = 4408
CLOSE_RESTART = 1012  # RFC 6455 §7.4: "service restart"; clients reconnect


@dataclass(eq=False)
class Subscriber:
    queue: asyncio.Queue[dict[str, Any] | None] = field(
        default_factory=lambda: asyncio.Queue(BACKLOG))
    after_seq: int = 0
    close_code: int = CLOSE_TOO_SLOW
    """Why its sender should close, once it takes None from the queue."""

    def close(self, code: int) -> None:
        """Tell its sender to close (on the loop's thread): what it has not sent yet is
        dropped, and a sender waiting on the queue wakes at once."""
        self.close_code = code
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class EventHub:
    """Fan-out on the event loop's thread."""

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.closed = False

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber()
        if self.closed:  # came in while the station stops: told to go at once
            subscriber.close(CLOSE_RESTART)
        else:
            self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    def publish(self, events: list[dict[str, Any]]) -> None:
        for subscriber in list(self.subscribers):
            for event in events:
                try:
                    subscriber.queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.warning("an event subscriber fell %d events behind; dropped", BACKLOG)
                    self.subscribers.discard(subscriber)
                    subscriber.close(CLOSE_TOO_SLOW)
                    break

    def close_all(self) -> None:
        """The station is stopping: every stream closes now, not when uvicorn's grace runs
        out and cancels it mid-wait."""
        self.closed = True
        for subscriber in list(self.subscribers):
            subscriber.close(CLOSE_RESTART)
        self.subscribers.clear()


class Station:
    def __init__(self, site: Site, settings: QueueSettings,
                 calendar: WorkdayCalendar | None = None, rectify_days: int = 15, *,
                 query_url: str = ""):
        self.site = site
        self.settings = settings
        self.engine = QueueEngine(site, settings)
        calendar = calendar or WorkdayCalendar()
        self.ratings = RatingDesk(self.engine, calendar, rectify_days)
        # pages on their way into a case; what an earlier process staged is swept here
        self.staging = Staging(site.data_dir / "staging")
        self.cases = CaseDesk(self.engine, calendar, self.staging, query_url=query_url)
        self.unresolved = UnresolvedDesk(self.engine, calendar)
        self.writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="station-writer")
        self.hub = EventHub()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.seq = 0
        self._roles: dict[str, tuple[str, float]] = {}
        """token → (role, monotonic time until which it is believed)."""
        self._advised: list[tuple[str, str | None, str | None]] = []

    async def on_writer(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.writer, fn, *args)

    # --- writer-thread side -------------------------------------------------------------

    def _publish(self, events: list[dict[str, Any]]) -> None:
        advice = self.engine.advice()
        # an event when what is advised changes, not when its numbers do (15 waiting, 16 …):
        # the manager's screen reads the numbers from the status
        advised = [(a["action"], a["category"], a["window"]) for a in advice]
        if advised != self._advised:
            self._advised = advised
            events = [*events, self.engine.event("advice", advice=advice)]
        for event in events:
            self.seq += 1
            event["seq"] = self.seq
        if events and self.loop is not None:
            self.loop.call_soon_threadsafe(self.hub.publish, events)

    def _do(self, token: str, key: str, print_: str,
            op: Callable[[sqlite3.Connection], Answer]) -> Answer:
        answer = self.engine.run(token, key, print_, op)
        self._publish(answer.events)  # a replayed answer carries none (a new day's reset may)
        return answer

    def _tick(self) -> None:
        self._publish(self.engine.tick())

    # --- loop side --------------------------------------------------------------------------

    async def do(self, token: str, key: str, print_: str,
                 op: Callable[[sqlite3.Connection], Answer]) -> Answer:
        return await self.on_writer(self._do, token, key, print_, op)

    async def publish_now(self, make: Callable[[], list[dict[str, Any]]]) -> None:
        await self.on_writer(lambda: self._publish(make()))

    async def role_of(self, token: str) -> str | None:
        # kept ROLE_CACHE_S at most: a token revoked in the store (bianmin station revoke,
        # bianmin setup) stops working within that, without a restart
        cached = self._roles.get(token)
        now = time.monotonic()
        if cached is not None and cached[1] > now:
            return cached[0]
        role = await self.on_writer(station_access.role_of, self.site.store, token)
        if role is None:
            self._roles.pop(token, None)
        else:
            self._roles[token] = (role, now + ROLE_CACHE_S)
        return role

    async def snapshot(self) -> tuple[int, dict[str, Any]]:
        return await self.on_writer(lambda: (self.seq, self.engine.status()))

    async def read(self, fn: Callable[[], T]) -> T:
        return await self.on_writer(fn)

    async def ticking(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            try:
                await self.on_writer(self._tick)
            except Exception:  # the clock work must never stop the station
                log.exception("station clock work failed; retrying in %.0f s", TICK_S)

    def close(self) -> None:
        self.writer.shutdown(wait=True)
