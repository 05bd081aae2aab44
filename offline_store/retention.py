"""Retention: destroy personal data the site no longer needs (PIPL Art. 19, 47; GB/T 35273 §6.1).

Once the county has acknowledged every op of a record and the grace period has passed, the
record's data key is destroyed (crypto-shredding), its encrypted page files are deleted and
the purge is written to the audit log. The row itself stays (receipt number, item, status,
times) for statistics and the county's reconciliation; its sealed columns can no longer be
opened by anyone, the site key's holder included. The WAL is then checkpointed and truncated
so the destroyed key's wrapped bytes do not linger in it; ``secure_delete`` zeroes them in
the main file.
"""

from __future__ import annotations

import datetime as dt

from . import audit
from .clock import iso
from .site import Site

_ENTITIES = {
    # entity: (table, id column)
    "case": "cases",
    "ticket": "tickets",
}


def due_for_purge(site: Site, entity: str, grace_days: int) -> list[tuple[str, str]]:
    """``(record id, key id)`` of records whose ops are all acked for ``grace_days``."""
    table = _ENTITIES[entity]
    cutoff = iso(site.clock.now() - dt.timedelta(days=grace_days))
    return [
        (r["id"], r["key_id"])
        for r in site.store.query(
            f"SELECT t.id, t.key_id FROM {table} t JOIN"  # noqa: S608 (table from _ENTITIES)
            " data_keys k ON k.key_id = t.key_id"
            " WHERE k.wrapped IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM outbox o WHERE o.entity = ? AND o.entity_id = t.id)"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entity = ? AND o.entity_id = t.id"
            "   AND (o.state != 'acked' OR o.acked_at > ?))",
            [entity, entity, cutoff],
        )
    ]


def purge_acknowledged(site: Site, grace_days: int, actor: str = "retention") -> list[str]:
    """Shred every case and ticket holder that is due; returns the record ids purged."""
    purged: list[str] = []
    files: list[str] = []
    for entity, table in _ENTITIES.items():
        for record_id, key_id in due_for_purge(site, entity, grace_days):
            with site.store.write() as conn:
                if not site.shred_key(conn, key_id, actor=actor,
                                      reason=f"{entity} {record_id} acknowledged, grace over"):
                    continue
                if table == "cases":
                    conn.execute("UPDATE cases SET shredded_at = ? WHERE id = ?",
                                 (iso(site.clock.now()), record_id))
                shas = [r[0] for r in conn.execute(
                    "SELECT sha256 FROM blobs WHERE key_id = ? AND state != 'purged'", (key_id,))]
                conn.execute("UPDATE blobs SET state = 'purged' WHERE key_id = ?", (key_id,))
            files += shas
            purged.append(record_id)
    for sha in files:
        site.blobs.delete(sha)
    if purged:
        site.store.checkpoint()
    return purged


def prune_audit(site: Site, keep_days: int) -> int:
    """Forget audit entries older than ``keep_days``, except the record of this pruning."""
    cutoff = iso(site.clock.now() - dt.timedelta(days=keep_days))
    with site.store.write() as conn:
        removed = conn.execute("DELETE FROM audit_log WHERE at < ?", (cutoff,)).rowcount
        if removed:
            audit.record(conn, site.clock, actor="retention", action="audit.pruned",
                         subject="audit_log", detail={"count": removed, "before": cutoff})
    return removed
