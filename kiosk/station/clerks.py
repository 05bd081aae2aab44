"""Clerk accounts at the station: the manager keeps them, a counter signs a clerk in at a
window (which opens it, with the clerk's id on the window) and out again (paused, no clerk).

Argon2 runs on a thread of its own (:class:`ClerkDesk`), before the request reaches the
station's writer: the queue never waits 0.1 s for a sign-in, and one verification at a time
bounds the memory (64 MiB each) that a burst of attempts can take. What the verification
found is applied on the writer, in the request's transaction with its kept answer.

A wrong secret is an *answer* (401), not a refusal: the failure count and its audit entry
must commit, where a raised :class:`Refused` would roll them back.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
from typing import Any

from kiosk.domain.clerks import WRONG, LockPolicy, locked_message
from kiosk.domain.queue.windows import WindowState
from offline_store import audit
from offline_store import clerks as store
from offline_store.clock import iso

from .engine import Answer, QueueEngine, Refused


class ClerkDesk:
    def __init__(self, engine: QueueEngine, policy: LockPolicy | None = None):
        self.engine = engine
        self.policy = policy or LockPolicy()
        self._argon2 = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="argon2")

    def close(self) -> None:
        self._argon2.shutdown(wait=True)

    # --- off the writer ----------------------------------------------------------------------

    async def hash(self, secret: str) -> store.Hashed:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._argon2, store.hash_secret, secret)

    async def check(self, secret_hash: str | None, secret: str) -> store.Checked:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._argon2, store.check, secret_hash, secret)

    # --- on the writer, inside the request's transaction -----------------------------------------

    def add(self, conn: sqlite3.Connection, *, clerk_id: str, name: str, secret: store.Hashed,
            manager: bool, actor: str) -> Answer:
        try:
            made = store.add(conn, self.engine.site.clock, clerk_id=clerk_id, name=name,
                             secret=secret, manager=manager, actor=actor)
        except store.ClerkExists as exc:
            raise Refused(409, "clerk_exists", str(exc)) from None
        return Answer(201, _short(made))

    def reset(self, conn: sqlite3.Connection, clerk_id: str, secret: store.Hashed, *,
              actor: str) -> Answer:
        try:
            return Answer(200, _short(store.reset_secret(conn, self.engine.site.clock,
                                                         clerk_id, secret, actor=actor)))
        except store.NoSuchClerk as exc:
            raise Refused(404, "not_found", str(exc)) from None

    def disable(self, conn: sqlite3.Connection, clerk_id: str, *, actor: str) -> Answer:
        try:
            return Answer(200, _short(store.disable(conn, self.engine.site.clock, clerk_id,
                                                    actor=actor)))
        except store.NoSuchClerk as exc:
            raise Refused(404, "not_found", str(exc)) from None

    def login(self, conn: sqlite3.Connection, clerk_id: str, checked: store.Checked,
              window: str, *, actor: str) -> Answer:
        self.engine.window(window)  # an unknown window is refused before anything counts
        found = store.record_login(conn, self.engine.site.clock, clerk_id, checked,
                                   self.policy, actor=actor, where=f"window {window}")
        if found.outcome == "locked":
            assert found.locked_until is not None
            return Answer(423, {"error": {
                "code": "locked", "message": locked_message(found.locked_until, self.engine.s.tz),
                "locked_until": iso(found.locked_until)}})
        if found.outcome == "wrong" or found.clerk is None:
            return Answer(401, {"error": {"code": "wrong_secret", "message": WRONG}})
        opened = self.engine.window_state(conn, window, WindowState.OPEN.value, clerk_id)
        clerk = found.clerk
        return Answer(200, {"clerk": clerk["id"], "name": clerk["name"], "window": window,
                            "manager": clerk["manager"]}, opened.events)

    def logout(self, conn: sqlite3.Connection, window: str, *, actor: str) -> Answer:
        self.engine.window(window)
        before = self.engine.clerks.get(window)
        answer = self.engine.clerk_left(conn, window)
        audit.record(conn, self.engine.site.clock, actor=actor, action="clerk.logout",
                     subject=before or "?", detail={"where": f"window {window}"})
        return answer


def _short(clerk: dict[str, Any]) -> dict[str, Any]:
    return {"id": clerk["id"], "name": clerk["name"], "manager": clerk["manager"]}
