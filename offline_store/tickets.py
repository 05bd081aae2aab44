"""Queue tickets as stored: numbered per category per service day (A001, A002, …).

The queue engine (kiosk/domain) decides who gets which category and priority; this module
only writes a ticket, its first queue event and its outbox op in one transaction, taking the
next number under the write lock so two kiosks never hand out the same number.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from . import outbox
from .clock import iso
from .ids import new_id
from .site import Site

HOLDER_CONTEXT = "tickets.holder"


def issue(site: Site, **fields: Any) -> dict[str, Any]:
    """Issue the next ticket in a transaction of its own (:func:`issue_in` for the fields)."""
    with site.store.write() as conn:
        return issue_in(conn, site, **fields)


def issue_in(
    conn: sqlite3.Connection,
    site: Site,
    *,
    service_day: str,
    category: str,
    channel: str,
    priority: int = 0,
    holder: dict[str, Any] | None = None,
    status: str = "waiting",
    reasons: str = "",
) -> dict[str, Any]:
    """Issue the next ticket of ``category`` for ``service_day`` (YYYY-MM-DD, local) inside
    the caller's write transaction (the station keeps its answer for retries in the same one).

    :param holder: the citizen's ID card data when a card was swiped (name, id_number):
        sealed with a key of its own, found again by its blind index only.
    """
    dk = site.new_data_key() if holder else None
    ticket_id = new_id()
    now = site.clock.now()
    seq = _next_seq(conn, service_day, category)
    number = f"{category}{seq:03d}"
    if dk is not None:
        site.save_data_key(conn, dk)
    conn.execute(
        "INSERT INTO tickets (id, service_day, category, seq, number, status, priority,"
        " channel, key_id, holder_index, holder, issued_at, clock_synced, reasons)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (ticket_id, service_day, category, seq, number, status, priority, channel,
         dk.key_id if dk else None,
         site.keys.blind_index(holder["id_number"]) if holder else None,
         dk.encrypt_json(holder, f"{HOLDER_CONTEXT}|{ticket_id}") if dk else None,
         iso(now), int(site.clock.synced), reasons),
    )
    conn.execute(
        "INSERT INTO queue_events (id, ticket_id, kind, at, clock_synced)"
        " VALUES (?,?,?,?,?)",
        (new_id(), ticket_id, "issued", iso(now), int(site.clock.synced)),
    )
    outbox.enqueue(
        conn, site.clock, entity="ticket", entity_id=ticket_id, op="issued",
        payload={"id": ticket_id, "number": number, "category": category,
                 "service_day": service_day, "channel": channel, "priority": priority,
                 "issued_at": iso(now), "clock_synced": site.clock.synced},
    )
    return {"id": ticket_id, "number": number, "seq": seq, "category": category,
            "service_day": service_day, "issued_at": now}


def _next_seq(conn: sqlite3.Connection, service_day: str, category: str) -> int:
    row = conn.execute(
        "SELECT coalesce(max(seq), 0) + 1 FROM tickets WHERE service_day = ? AND category = ?",
        (service_day, category),
    ).fetchone()
    return int(row[0])


def holder(site: Site, ticket_id: str) -> dict[str, Any] | None:
    rows = site.store.query("SELECT key_id, holder FROM tickets WHERE id = ?", [ticket_id])
    if not rows or rows[0]["holder"] is None:
        return None
    dk = site.data_key(rows[0]["key_id"])
    return dk.decrypt_json(rows[0]["holder"], f"{HOLDER_CONTEXT}|{ticket_id}")


def find_by_id_number(site: Site, id_number: str, service_day: str) -> list[dict[str, Any]]:
    """Tickets of one citizen on one day, by blind index (one open ticket per category)."""
    return site.store.query(
        "SELECT id, number, category, status FROM tickets"
        " WHERE holder_index = ? AND service_day = ? ORDER BY seq",
        [site.keys.blind_index(id_number), service_day],
    )
