""""办不成事" requests as stored: a citizen's matter the window could not settle, with its
escalation, deadline and outcome (``kiosk/domain/unresolved.py`` decides the steps).

Who asked (name, phone, ID number) is sealed under the request's own data key and found again
only by the ID number's blind index; what was asked and why it could not be done are kept
readable, as the manager's list and the county's figures need them, and must not carry
personal data (the screen says so).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from . import outbox
from .clock import iso
from .ids import new_id
from .site import Site

REQUESTER_CONTEXT = "unresolved.requester"


def add_request(conn: sqlite3.Connection, site: Site, *, requester: Mapping[str, Any],
                what: str, why: str, escalation: str, stage: str, deadline: str,
                item_code: str | None = None, window: str | None = None,
                clerk: str | None = None) -> dict[str, Any]:
    """Store one request inside the caller's write transaction, with its outbox op.

    :param requester: at least ``name``; ``id_number`` when known (then findable by it).
    """
    request_id = new_id()
    now = iso(site.clock.now())
    dk = site.new_data_key()
    site.save_data_key(conn, dk)
    id_number = requester.get("id_number")
    conn.execute(
        "INSERT INTO unresolved_requests (id, key_id, requester, requester_index, what, why,"
        " item_code, window, clerk, escalation, stage, deadline, history, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (request_id, dk.key_id,
         dk.encrypt_json(dict(requester), f"{REQUESTER_CONTEXT}|{request_id}"),
         site.keys.blind_index(str(id_number)) if id_number else None, what, why, item_code,
         window, clerk, escalation, stage, deadline, "[]", now, now),
    )
    outbox.enqueue(conn, site.clock, entity="unresolved", entity_id=request_id, op="opened",
                   key=dk, payload={"id": request_id, "requester": dict(requester),
                                    "what": what, "why": why, "item_code": item_code,
                                    "window": window, "clerk": clerk, "escalation": escalation,
                                    "stage": stage, "deadline": deadline, "at": now})
    return {"id": request_id}


def move_request(conn: sqlite3.Connection, site: Site, request_id: str, *, stage: str,
                 escalation: str, entry: Mapping[str, Any], outcome: str | None = None,
                 deadline: str | None = None) -> None:
    """Record one step (escalated, answered, closed with its outcome) with its history."""
    row = conn.execute("SELECT history FROM unresolved_requests WHERE id = ?",
                       (request_id,)).fetchone()
    if row is None:
        raise LookupError(request_id)
    now = iso(site.clock.now())
    conn.execute(
        "UPDATE unresolved_requests SET stage = ?, escalation = ?, outcome = coalesce(?, outcome),"
        " deadline = coalesce(?, deadline), history = ?, updated_at = ? WHERE id = ?",
        (stage, escalation, outcome, deadline,
         json.dumps([*json.loads(row[0]), dict(entry)], ensure_ascii=False), now, request_id),
    )
    outbox.enqueue(conn, site.clock, entity="unresolved", entity_id=request_id, op="moved",
                   payload={"id": request_id, "stage": stage, "escalation": escalation,
                            "outcome": outcome, "entry": dict(entry), "at": now})


def requests(site: Site, *, open_only: bool = True) -> list[dict[str, Any]]:
    """The requests without who asked (the list is for the manager's overview), by deadline."""
    # the only part put into the SQL is one of two constants
    where = "WHERE outcome IS NULL" if open_only else ""
    rows = site.store.query(
        "SELECT id, what, why, item_code, window, clerk, escalation, stage, deadline, outcome,"  # noqa: S608
        f" history, created_at, updated_at FROM unresolved_requests {where}"
        " ORDER BY deadline, id")
    for row in rows:
        row["history"] = json.loads(row["history"])
    return rows


def read_requester(site: Site, request_id: str) -> dict[str, Any]:
    rows = site.store.query("SELECT key_id, requester FROM unresolved_requests WHERE id = ?",
                            [request_id])
    if not rows:
        raise LookupError(request_id)
    return site.data_key(rows[0]["key_id"]).decrypt_json(
        rows[0]["requester"], f"{REQUESTER_CONTEXT}|{request_id}")
