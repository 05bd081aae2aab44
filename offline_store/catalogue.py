"""The service catalogue as stored: whole versions, one of them current.

The county sends the catalogue as versions (sync pulls it); a new version is written in one
transaction and made current, the old one stays so that cases keep pointing at the version
they were accepted under. Validation is the domain's job (kiosk/domain/catalogue.py); this
module stores what it is given.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .clock import iso


def save_version(
    conn: sqlite3.Connection,
    clock: Any,
    *,
    version: str,
    source: str,
    sample: bool,
    body: dict[str, Any],
    items: list[dict[str, Any]],
    bundles: list[dict[str, Any]],
) -> None:
    """Store a catalogue version and make it current, inside the caller's transaction.

    :param items: dicts with ``code, name, category, level, window_category`` and the rest.
    """
    conn.execute("DELETE FROM catalogue_versions WHERE version = ?", (version,))
    conn.execute("UPDATE catalogue_versions SET is_current = 0 WHERE is_current = 1")
    conn.execute(
        "INSERT INTO catalogue_versions (version, source, sample, loaded_at, is_current, body)"
        " VALUES (?,?,?,?,1,?)",
        (version, source, int(sample), iso(clock.now()), json.dumps(body, ensure_ascii=False)),
    )
    conn.executemany(
        "INSERT INTO catalogue_items (version, code, name, category, level, window_category,"
        " body) VALUES (?,?,?,?,?,?,?)",
        [(version, i["code"], i["name"], i["category"], i["level"], i["window_category"],
          json.dumps(i, ensure_ascii=False)) for i in items],
    )
    conn.executemany(
        "INSERT INTO catalogue_bundles (version, code, name, body) VALUES (?,?,?,?)",
        [(version, b["code"], b["name"], json.dumps(b, ensure_ascii=False)) for b in bundles],
    )


def current(conn: sqlite3.Connection) -> dict[str, Any] | None:
    """The current version's whole body as it was saved, with its load metadata."""
    row = conn.execute(
        "SELECT version, source, sample, loaded_at, body FROM catalogue_versions"
        " WHERE is_current = 1"
    ).fetchone()
    if row is None:
        return None
    return {"version": row[0], "source": row[1], "sample": bool(row[2]), "loaded_at": row[3],
            "body": json.loads(row[4])}
