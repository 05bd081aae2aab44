"""The station's 好差评 desk: a rating given at the window (一次一评) and the rectification a
bad one opens, through the domain's rules (``kiosk/domain/ratings.py``) into the store
(``offline_store/ratings.py``), each in the request's one transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from kiosk.domain import ratings as rules
from kiosk.domain.workdays import WorkdayCalendar
from offline_store import ratings as store
from offline_store.clock import parse_iso

from .engine import Answer, QueueEngine, Refused


class RatingDesk:
    def __init__(self, engine: QueueEngine, calendar: WorkdayCalendar, rectify_days: int):
        self.engine = engine
        self.calendar = calendar
        self.profile = rules.Profile(rectify_days, str(rectify_days))

    def rate(self, conn: sqlite3.Connection, *, level: int, channel: str,
             dimensions: Mapping[str, int], reasons: Sequence[str], text: str,
             rater: Mapping[str, str] | None, case_id: str | None, ticket_id: str | None,
             window: str | None) -> Answer:
        """Keep one rating; a 差评 opens its rectification task with its deadline."""
        for table, value in (("tickets", ticket_id), ("cases", case_id)):
            # the store's foreign keys would refuse it too, but as a 500
            if value is not None and conn.execute(
                    f"SELECT 1 FROM {table} WHERE id = ?", (value,)).fetchone() is None:  # noqa: S608
                what = "号票" if table == "tickets" else "办件"
                raise Refused(404, "not_found", f"没有这个{what} / no {table[:-1]} {value!r}")
        if window is not None:
            self.engine.window(window)
        clerk = self.engine.clerks.get(window) if window else None
        try:
            rating = rules.Rating(
                level=level, channel=channel, rated_at=self.engine.local(self.engine.now()),
                dimensions=dict(dimensions), reasons=tuple(reasons), text=text,
                rater=rules.Rater(**rater) if rater else None, case_id=case_id,
                ticket_id=ticket_id, window=window, clerk=clerk)
        except rules.RatingError as exc:
            raise Refused(422, "invalid", str(exc)) from None
        task = rules.open_task(rating, "", self.calendar, self.profile)
        try:
            made = store.add_rating(conn, self.engine.site, **rules.store_fields(rating),
                                    rectification=rules.task_fields(task) if task else None)
        except store.AlreadyRated as exc:
            raise Refused(409, "already_rated", str(exc)) from None
        body = {"id": made["id"], "level": level, "window": window, "clerk": clerk,
                "rectification": None if task is None else {
                    "id": made["rectification_id"], "stage": task.stage.value,
                    "deadline": task.deadline.isoformat()}}
        event = self.engine.event("rating.given", level=level, window=window, clerk=clerk,
                                  bad=rating.bad)
        return Answer(201, body, [event])

    def tasks(self, *, open_only: bool = True) -> list[dict[str, Any]]:
        today = self.engine.local(self.engine.now()).date()
        return store.rectifications(self.engine.site, open_only=open_only, today=today)

    def step(self, conn: sqlite3.Connection, task_id: str, step: str, *, by: str, note: str,
             upheld: bool | None = None) -> Answer:
        """One step of a rectification task, as the domain allows it."""
        row = conn.execute(
            "SELECT r.rating_id, r.stage, r.status, r.deadline, r.history, g.named, g.rated_at"
            " FROM rectifications r JOIN ratings g ON g.id = r.rating_id WHERE r.id = ?",
            (task_id,)).fetchone()
        if row is None:
            raise Refused(404, "not_found", f"没有这个整改任务 / no rectification task {task_id!r}")
        task = rules.task_from_store(
            {"stage": row[1], "status": row[2], "deadline": row[3], "history": json.loads(row[4])},
            rating_id=row[0], named=bool(row[5]),
            rated_on=self.engine.local(parse_iso(row[6])).date())
        at = self.engine.local(self.engine.now())
        try:
            if step == "review_appeal":
                if upheld is None:
                    raise rules.RatingError("复核须说明是否成立 / say whether the appeal is upheld")
                task, done = rules.review_appeal(task, upheld, at, by, note)
            else:
                task, done = getattr(rules, step)(task, at, by, note)
        except rules.RatingError as exc:
            raise Refused(409, "invalid_transition", str(exc)) from None
        store.move_rectification(conn, self.engine.site, task_id, stage=task.stage.value,
                                 status=task.status.value, entry=done.entry())
        return Answer(200, {"id": task_id, "stage": task.stage.value,
                            "status": task.status.value, "deadline": task.deadline.isoformat(),
                            "overdue": rules.overdue(task, at.date())}, [])
