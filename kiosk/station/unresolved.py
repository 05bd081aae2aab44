"""The station's "办不成事" desk: a matter the window could not settle, recorded with who asked
(sealed by the store), escalated window → centre → county with a deadline per level on the
site's working-day calendar, and closed with its outcome. The rules are
``kiosk/domain/unresolved.py``'s, the rows ``offline_store/unresolved.py``'s; each request or
step is one transaction with its outbox op and its audit entry."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from kiosk.domain import unresolved as rules
from kiosk.domain.masking import mask_id_number, mask_name
from kiosk.domain.workdays import WorkdayCalendar
from offline_store import audit
from offline_store import unresolved as store
from offline_store.clock import iso

from .engine import Answer, QueueEngine, Refused

_COLUMNS = ("id, what, why, item_code, window, clerk, escalation, stage, deadline, outcome,"
            " history, created_at, updated_at")


class UnresolvedDesk:
    def __init__(self, engine: QueueEngine, calendar: WorkdayCalendar,
                 days: int = rules.DAYS):
        self.engine = engine
        self.calendar = calendar
        self.days = days

    def report(self, conn: sqlite3.Connection, *, requester: Mapping[str, Any], what: str,
               why: str, item_code: str | None, window: str | None, by: str | None,
               actor: str) -> Answer:
        """Record a request: the clerk signed in at ``window`` (else ``by``, else the
        screen) is who took it."""
        if window is not None:
            self.engine.window(window)
        clerk = (self.engine.clerks.get(window) if window else None) or by or actor
        at = self.engine.local(self.engine.now())
        try:
            request, _ = rules.open_request(what, why, at, clerk, self.calendar,
                                            days=self.days, item_code=item_code,
                                            window=window)
        except rules.UnresolvedError as exc:
            raise Refused(422, "invalid", str(exc)) from None
        fields = rules.store_fields(request)
        fields.pop("outcome")
        made = store.add_request(conn, self.engine.site, requester=dict(requester), **fields)
        audit.record(conn, self.engine.site.clock, actor=actor, action="unresolved.opened",
                     subject=made["id"], detail={"window": window,
                                                 "named": bool(requester.get("id_number"))})
        return Answer(201, {**self._public({**fields, "id": made["id"], "outcome": None,
                                            "history": [], "created_at": iso(self.engine.now())}),
                            "requester_masked": {
                                "name": mask_name(str(requester.get("name", ""))),
                                "id_number": mask_id_number(str(requester["id_number"]))
                                if requester.get("id_number") else None}})

    def requests(self, *, open_only: bool = True) -> list[dict[str, Any]]:
        """The manager's list: open and overdue first, then by deadline, closed last."""
        rows = store.requests(self.engine.site, open_only=open_only)
        today = self.engine.local(self.engine.now()).date()
        by_id = {row["id"]: row for row in rows}
        ordered = rules.manager_order((rules.request_from_store(r) for r in rows), today)
        return [self._public(by_id[r.request_id]) for r in ordered if r.request_id]

    def step(self, conn: sqlite3.Connection, request_id: str, step: str, *, by: str,
             note: str, outcome: str | None, actor: str) -> Answer:
        """``escalate`` to the next level or ``close`` with an outcome, as the domain
        allows; a step that does not apply is 409 with the reason."""
        row = conn.execute(f"SELECT {_COLUMNS} FROM unresolved_requests WHERE id = ?",  # noqa: S608
                           (request_id,)).fetchone()
        if row is None:
            raise Refused(404, "not_found", f"没有这条办不成事诉求 / no request {request_id!r}")
        names = [c.strip() for c in _COLUMNS.split(",")]
        stored = dict(zip(names, row, strict=True))
        stored["history"] = json.loads(stored["history"])
        request = rules.request_from_store(stored)
        at = self.engine.local(self.engine.now())
        try:
            if step == "escalate":
                request, done = rules.escalate(request, at, by, note, self.calendar,
                                               days=self.days)
            elif outcome is None:
                raise Refused(422, "invalid", "办结须选择结果 / closing needs an outcome "
                                              f"({', '.join(o.value for o in rules.Outcome)})")
            else:
                request, done = rules.close(request, rules.Outcome(outcome), at, by, note)
        except rules.UnresolvedError as exc:
            raise Refused(409, "invalid_transition", str(exc)) from None
        fields = rules.store_fields(request)
        store.move_request(conn, self.engine.site, request_id, stage=fields["stage"],
                           escalation=fields["escalation"], entry=done.entry(),
                           outcome=fields["outcome"], deadline=fields["deadline"])
        audit.record(conn, self.engine.site.clock, actor=actor, action=f"unresolved.{done.kind}",
                     subject=request_id, detail={"level": fields["escalation"]})
        return Answer(200, self._public({**stored, **fields,
                                         "history": [*stored["history"], done.entry()]}))

    def _public(self, row: Mapping[str, Any]) -> dict[str, Any]:
        today = self.engine.local(self.engine.now()).date().isoformat()
        return {"id": row["id"], "what": row["what"], "why": row["why"],
                "item_code": row.get("item_code"), "window": row.get("window"),
                "clerk": row.get("clerk"), "escalation": row["escalation"],
                "stage": row["stage"], "deadline": row["deadline"],
                "outcome": row.get("outcome"),
                "overdue": row["stage"] == rules.Stage.OPEN and row["deadline"] < today,
                "history": list(row.get("history") or ()),
                "created_at": row.get("created_at")}
