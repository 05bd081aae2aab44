"""The station's queue state as stored: a ticket's progress, the windows, the events.

The queue engine (``kiosk/domain/queue``) decides every transition; the station keeps its
result here, in the same transaction as the event row, the outbox op (for a visit that ended)
and the answer kept for a retried request, so a restart mid-day finds exactly what was
answered. Rows are plain dicts; times are ISO-8601 UTC text (``clock.iso``).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from . import outbox
from .clock import Clock, iso
from .db import Store
from .ids import new_id

# Column names below come from these constants, never from a request: the f-strings that
# build SQL from them carry "noqa: S608".
TICKET_COLUMNS = (
    "id", "service_day", "category", "seq", "number", "status", "priority", "channel",
    "holder_index", "issued_at", "queue_category", "window", "pinned_window", "calls",
    "first_called_at", "called_at", "started_at", "ended_at", "outcome", "reasons",
    "served_s", "clerk", "appointment_start", "appointment_end",
)
# category, seq and number never change: they are the ticket's number for the day (a ticket
# sent on to another category waits there as queue_category, keeping its number)
UPDATABLE = frozenset(TICKET_COLUMNS) - {"id", "service_day", "category", "seq", "number",
                                         "holder_index", "issued_at", "channel"}
_COLUMNS = ", ".join(TICKET_COLUMNS)
OPEN_STATUSES = ("reserved", "waiting", "called", "serving", "parked")


def tickets_of_day(store: Store, service_day: str) -> list[dict[str, Any]]:
    """Every ticket of one service day, in issue order (personal data left sealed)."""
    return store.query(
        f"SELECT {_COLUMNS} FROM tickets WHERE service_day = ? ORDER BY rowid",  # noqa: S608
        [service_day],
    )


def ticket(store: Store, ticket_id: str) -> dict[str, Any] | None:
    """One ticket of any day (personal data left sealed), or None."""
    rows = store.query(f"SELECT {_COLUMNS} FROM tickets WHERE id = ?",  # noqa: S608
                       [ticket_id])
    return rows[0] if rows else None


def rated(store: Store, ticket_id: str) -> bool:
    """Whether the visit of this ticket has its rating (一次一评)."""
    return bool(store.query("SELECT 1 FROM ratings WHERE ticket_id = ? LIMIT 1", [ticket_id]))


def calls_of_day(store: Store, service_day: str, limit: int) -> list[dict[str, Any]]:
    """The day's latest calls and recalls, newest first (number, window, at, kind)."""
    return store.query(
        "SELECT t.number, e.window, e.at, e.kind FROM queue_events e JOIN tickets t"
        " ON t.id = e.ticket_id WHERE t.service_day = ? AND e.kind IN ('called', 'recalled')"
        " ORDER BY e.at DESC, e.rowid DESC LIMIT ?",
        [service_day, limit],
    )


def open_before(store: Store, service_day: str) -> list[dict[str, Any]]:
    """Tickets of earlier days still open: the day ended while they were (reset)."""
    marks = ", ".join("?" * len(OPEN_STATUSES))
    return store.query(
        f"SELECT {_COLUMNS} FROM tickets"  # noqa: S608
        f" WHERE service_day < ? AND status IN ({marks}) ORDER BY rowid",
        [service_day, *OPEN_STATUSES],
    )


def update_ticket(conn: sqlite3.Connection, ticket_id: str, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"not a ticket column that changes: {sorted(unknown)}")
    names = list(fields)
    conn.execute(
        f"UPDATE tickets SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",  # noqa: S608
        [fields[n] for n in names] + [ticket_id],
    )


def add_event(conn: sqlite3.Connection, clock: Clock, *, ticket_id: str, kind: str,
              window: str | None = None, clerk: str | None = None,
              detail: Mapping[str, Any] | None = None, at: dt.datetime | None = None) -> None:
    conn.execute(
        "INSERT INTO queue_events (id, ticket_id, kind, window, clerk, at, clock_synced, detail)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (new_id(), ticket_id, kind, window, clerk, iso(at or clock.now()), int(clock.synced),
         json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True)),
    )


def enqueue_visit_end(conn: sqlite3.Connection, clock: Clock, row: Mapping[str, Any]) -> None:
    """The county's record of one ended visit (no personal data: the holder stays local)."""
    fields = ("id", "number", "category", "queue_category", "service_day", "window", "outcome",
              "issued_at", "first_called_at", "started_at", "ended_at", "served_s", "priority",
              "reasons")
    outbox.enqueue(conn, clock, entity="ticket", entity_id=str(row["id"]), op="ended",
                   payload={f: row.get(f) for f in fields})


def windows(store: Store) -> dict[str, dict[str, Any]]:
    return {r["number"]: r for r in store.query(
        "SELECT number, state, clerk, since FROM queue_windows")}


def set_window(conn: sqlite3.Connection, number: str, state: str, since: str,
               clerk: str | None = None) -> None:
    conn.execute(
        "INSERT INTO queue_windows (number, state, clerk, since) VALUES (?,?,?,?)"
        " ON CONFLICT(number) DO UPDATE SET state = excluded.state, clerk = excluded.clerk,"
        " since = excluded.since",
        (number, state, clerk, since),
    )
