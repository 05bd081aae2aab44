"""Ratings (好差评, 一次一评) and the rectification tasks a bad one opens, as stored.

The domain (``kiosk/domain/ratings.py``) decides levels, deadlines and stages; this module
keeps its results. What identifies the rater (实名差评: name, phone, ID number) and the free
text are personal data: sealed under the rating's own data key, in the ``comment`` column,
and in the outbox op. The level, the dimensions, the reason codes and the links (case, ticket,
window, clerk) are not, and stay readable for the figures.

One rating per visit: a second rating of the same ticket or the same case is refused by the
store too (:func:`add_rating` looks first, under the write lock), not only by the screen.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from . import outbox
from .clock import iso
from .ids import new_id
from .site import Site

PRIVATE_CONTEXT = "ratings.private"


class AlreadyRated(ValueError):
    """一次一评: this visit has its rating."""


def add_rating(
    conn: sqlite3.Connection,
    site: Site,
    *,
    level: int,
    channel: str,
    dimensions: Mapping[str, int] | None = None,
    reasons: Sequence[str] = (),
    private: Mapping[str, Any] | None = None,
    case_id: str | None = None,
    ticket_id: str | None = None,
    window: str | None = None,
    clerk: str | None = None,
    named: bool = False,
    rectification: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Store one rating inside the caller's write transaction, with its rectification task
    when the domain opened one (``{"stage", "deadline", "status"}``) and its outbox op.

    :param private: the rater's identity and free text; sealed, never stored in clear.
    :param named: 实名: the rater is known (kept apart from ``private``, which an anonymous
        rating's free text also fills).
    :raises AlreadyRated: the ticket or the case was rated already.
    """
    for column, value in (("ticket_id", ticket_id), ("case_id", case_id)):
        if value is not None and conn.execute(
                f"SELECT 1 FROM ratings WHERE {column} = ?", (value,)).fetchone():  # noqa: S608
            raise AlreadyRated(f"这次办事已经评价过了 / this visit was rated already "
                               f"({column.removesuffix('_id')} {value})")
    rating_id = new_id()
    now = site.clock.now()
    dk = site.new_data_key() if private else None
    if dk is not None:
        site.save_data_key(conn, dk)
    conn.execute(
        "INSERT INTO ratings (id, level, dimensions, reasons, comment, key_id, case_id,"
        " ticket_id, window, clerk, channel, rated_at, clock_synced, named)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (rating_id, level, json.dumps(dict(dimensions or {}), sort_keys=True),
         json.dumps(list(reasons), ensure_ascii=False),
         dk.encrypt_json(dict(private or {}), f"{PRIVATE_CONTEXT}|{rating_id}") if dk else None,
         dk.key_id if dk else None, case_id, ticket_id, window, clerk, channel, iso(now),
         int(site.clock.synced), int(named)),
    )
    task_id = None
    if rectification is not None:
        task_id = new_id()
        conn.execute(
            "INSERT INTO rectifications (id, rating_id, stage, deadline, status, history,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            (task_id, rating_id, rectification["stage"], str(rectification["deadline"]),
             rectification["status"], json.dumps([], ensure_ascii=False), iso(now), iso(now)),
        )
    outbox.enqueue(
        conn, site.clock, entity="rating", entity_id=rating_id, op="rated", key=dk,
        payload={"id": rating_id, "level": level, "dimensions": dict(dimensions or {}),
                 "reasons": list(reasons), "private": dict(private) if private else None,
                 "case_id": case_id, "ticket_id": ticket_id, "window": window, "clerk": clerk,
                 "channel": channel, "named": named, "rated_at": iso(now),
                 "rectification_id": task_id,
                 # the county follows the task up too: it needs the deadline the site set
                 "rectification": None if rectification is None else {
                     "stage": rectification["stage"], "status": rectification["status"],
                     "deadline": str(rectification["deadline"])}},
    )
    return {"id": rating_id, "rectification_id": task_id, "rated_at": now}


def read_private(site: Site, rating_id: str) -> dict[str, Any] | None:
    """The rater's identity and text, for the staff doing the 回访 (None if anonymous)."""
    rows = site.store.query("SELECT key_id, comment FROM ratings WHERE id = ?", [rating_id])
    if not rows:
        raise LookupError(rating_id)
    if rows[0]["comment"] is None:
        return None
    return site.data_key(rows[0]["key_id"]).decrypt_json(
        rows[0]["comment"], f"{PRIVATE_CONTEXT}|{rating_id}")


def move_rectification(conn: sqlite3.Connection, site: Site, task_id: str, *, stage: str,
                       status: str, entry: Mapping[str, Any], deadline: str | None = None,
                       ) -> None:
    """Record one step of a rectification task (the domain checked it may be taken); the
    history keeps who, when and a note per step, and the county gets the step."""
    row = conn.execute("SELECT history FROM rectifications WHERE id = ?", (task_id,)).fetchone()
    if row is None:
        raise LookupError(task_id)
    history = [*json.loads(row[0]), dict(entry)]
    now = iso(site.clock.now())
    conn.execute(
        "UPDATE rectifications SET stage = ?, status = ?, history = ?, updated_at = ?,"
        " deadline = coalesce(?, deadline) WHERE id = ?",
        (stage, status, json.dumps(history, ensure_ascii=False), now, deadline, task_id),
    )
    outbox.enqueue(conn, site.clock, entity="rectification", entity_id=task_id, op="moved",
                   payload={"id": task_id, "stage": stage, "status": status,
                            "entry": dict(entry), "at": now, "deadline": deadline})


def rectifications(site: Site, *, open_only: bool = True, today: dt.date | None = None,
                   ) -> list[dict[str, Any]]:
    """The tasks with their rating's level, window and clerk, overdue first, then by
    deadline (the manager's list)."""
    # the only part put into the SQL is one of two constants
    where = "WHERE r.status = 'open'" if open_only else ""
    rows = site.store.query(
        "SELECT r.id, r.rating_id, r.stage, r.deadline, r.status, r.history, r.created_at,"  # noqa: S608
        " g.level, g.window, g.clerk, g.case_id, g.ticket_id, g.named, g.rated_at"
        f" FROM rectifications r JOIN ratings g ON g.id = r.rating_id {where}"
        " ORDER BY r.deadline, r.id")
    day = (today or site.clock.now().date()).isoformat()
    for row in rows:
        row["history"] = json.loads(row["history"])
        row["named"] = bool(row["named"])
        row["overdue"] = row["status"] == "open" and row["deadline"] < day
    return sorted(rows, key=lambda r: (not r["overdue"], r["deadline"]))
