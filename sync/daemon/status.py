"""The daemon's figures, as ``bianmin sync status --json``, ``GET /healthz`` and the
heartbeat show them. Read from the store alone, so any process can ask (docs/cli.md)."""

from __future__ import annotations

from typing import Any

from offline_store import sync_state
from offline_store.clock import Clock
from offline_store.db import Store
from offline_store.site import Site

KEYS = ("acked_total", "outbox_pending", "oldest_pending_age_s", "blobs_pending_bytes",
        "last_push", "last_pull", "last_error", "clock_offset_s")
"""The contract of ``bianmin sync status --json``: always there, never renamed."""


def status_of(store: Store, clock: Clock) -> dict[str, Any]:
    values = sync_state.values(store)
    figures = sync_state.figures(store, clock)
    enrolment = sync_state.enrolled(store)
    out: dict[str, Any] = {
        "acked_total": values.get("acked_total", 0),
        "outbox_pending": figures["outbox_pending"],
        "oldest_pending_age_s": figures["oldest_pending_age_s"],
        "blobs_pending_bytes": figures["blobs_pending_bytes"],
        "last_push": values.get("last_push"),
        "last_pull": values.get("last_pull"),
        "last_error": values.get("last_error"),
        "clock_offset_s": values.get("clock_offset_s"),
    }
    out.update({
        "last_error_at": values.get("last_error_at"),
        "last_ok": values.get("last_ok"),
        "rejected": figures["rejected"],
        "held": figures["held"],
        "blobs_lost": figures["blobs_lost"],
        "enrolled": enrolment is not None,
        "site": enrolment["site"] if enrolment else None,
        "hub": enrolment["hub"] if enrolment else None,
        "key_refused": bool(values.get("key_refused", False)),
        "reconcile": values.get("reconcile"),
    })
    return out


def status(site: Site) -> dict[str, Any]:
    """The exact keys of ``bianmin sync status --json`` (:data:`KEYS`) and a few more."""
    return status_of(site.store, site.clock)
