"""Appointments as the kiosk checks them in (预约签到, issue 9).

The bookings themselves come from the county (``sync_state.apply_appointment``, the sync
daemon's pull); this module finds one by its code and checks it in. A check-in is kept as
the appointment's status ``checked_in`` and as a ``checked_in`` event of the ticket it
issued, whose detail names the appointment and the status it had before: that link finds
the ticket to reprint on a second check-in, and a ticket voided because it did not print
gives the appointment back (:func:`undo_check_in`). No migration was needed for it.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from . import queue_state
from .clock import Clock, iso
from .site import Site

CHECKED_IN = "checked_in"
CANCELLED = "cancelled"
_COLUMNS = "id, category, start_at, end_at, code, status"


def by_code(site: Site, code: str) -> dict[str, Any] | None:
    """The booking with this code (a code names one booking at a time), holder left
    sealed."""
    rows = site.store.query(f"SELECT {_COLUMNS} FROM appointments WHERE code = ?",  # noqa: S608
                            [code])
    return rows[0] if rows else None


def get(conn: sqlite3.Connection, appointment_id: str) -> dict[str, Any] | None:
    """The booking, read inside the caller's transaction; holder left sealed."""
    cur = conn.execute(f"SELECT {_COLUMNS} FROM appointments WHERE id = ?",  # noqa: S608
                       (appointment_id,))
    row = cur.fetchone()
    return dict(zip([c[0] for c in cur.description], row, strict=True)) if row else None


def checked_in_ticket(conn: sqlite3.Connection, appointment_id: str,
                      service_day: str) -> str | None:
    """The ticket this booking was checked in with on ``service_day`` and not voided since
    (the latest one), or None."""
    row = conn.execute(
        "SELECT t.id FROM tickets t JOIN queue_events e ON e.ticket_id = t.id"
        " WHERE t.service_day = ? AND t.appointment_start IS NOT NULL"
        " AND e.kind = 'checked_in' AND json_extract(e.detail, '$.appointment') = ?"
        " AND coalesce(t.outcome, '') != 'voided' ORDER BY e.at DESC, e.rowid DESC LIMIT 1",
        (service_day, appointment_id)).fetchone()
    return str(row[0]) if row else None


def check_in(conn: sqlite3.Connection, clock: Clock, appointment_id: str,
             ticket_id: str) -> None:
    """Mark the booking checked in with ``ticket_id``, inside the transaction that issued
    the ticket."""
    before = conn.execute("SELECT status FROM appointments WHERE id = ?",
                          (appointment_id,)).fetchone()
    if before is None:
        raise LookupError(appointment_id)
    conn.execute("UPDATE appointments SET status = ?, updated_at = ? WHERE id = ?",
                 (CHECKED_IN, iso(clock.now()), appointment_id))
    queue_state.add_event(conn, clock, ticket_id=ticket_id, kind="checked_in",
                          detail={"appointment": appointment_id, "status_before": before[0]})


def undo_check_in(conn: sqlite3.Connection, clock: Clock, ticket_id: str) -> str | None:
    """The ticket was voided (it did not print): the booking it checked in gets its
    status back, so that the citizen can check in again. Returns the booking's id, or None
    when the ticket checked nothing in."""
    row = conn.execute("SELECT detail FROM queue_events WHERE ticket_id = ?"
                       " AND kind = 'checked_in' ORDER BY at DESC, rowid DESC LIMIT 1",
                       (ticket_id,)).fetchone()
    if row is None:
        return None
    detail = json.loads(row[0])
    appointment_id = str(detail.get("appointment", ""))
    conn.execute("UPDATE appointments SET status = ?, updated_at = ? WHERE id = ?"
                 " AND status = ?", (str(detail.get("status_before") or "booked"),
                                     iso(clock.now()), appointment_id, CHECKED_IN))
    return appointment_id
