"""The audit log: who did what to which record, and when. Never personal data itself:
subjects are record ids, details are counts, reasons and codes."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .clock import Clock, iso


def record(
    conn: sqlite3.Connection,
    clock: Clock,
    *,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry inside the caller's transaction."""
    conn.execute(
        "INSERT INTO audit_log (at, clock_synced, actor, action, subject, detail)"
        " VALUES (?,?,?,?,?,?)",
        (iso(clock.now()), int(clock.synced), actor, action, subject,
         json.dumps(detail or {}, ensure_ascii=False)),
    )
