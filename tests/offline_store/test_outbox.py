"""The outbox: in-order claims, leases, idempotent acks, retries with backoff, rejects."""

from __future__ import annotations

import random

import pytest

from offline_store import outbox
from offline_store.clock import FixedClock
from offline_store.site import Site


def _enqueue(site: Site, n: int, *, sealed: bool = False) -> list[str]:
    ids = []
    for i in range(n):
        dk = site.new_data_key() if sealed else None
        with site.store.write() as conn:
            if dk:
                site.save_data_key(conn, dk)
            ids.append(outbox.enqueue(conn, site.clock, entity="ticket", entity_id=f"t{i}",
                                      op="issued", payload={"n": i, "name": "张三"}, key=dk))
    return ids


def test_enqueue_is_part_of_the_callers_transaction(site: Site) -> None:
    with pytest.raises(RuntimeError), site.store.write() as conn:
        outbox.enqueue(conn, site.clock, entity="ticket", entity_id="t", op="issued",
                       payload={})
        raise RuntimeError("domain write failed")
    assert site.store.query("SELECT count(*) AS n FROM outbox")[0]["n"] == 0


def test_claim_hands_out_ops_in_order_and_leases_them(site: Site, clock: FixedClock) -> None:
    ids = _enqueue(site, 5)
    first = outbox.claim(site.store, clock, limit=3)
    assert [op.op_id for op in first] == ids[:3]
    assert [op.seq for op in first] == sorted(op.seq for op in first)
    # A second sender cannot take leased ops, nor jump over them.
    assert outbox.claim(site.store, clock, limit=3) == []
    clock.advance(seconds=301)  # the first sender died: the lease runs out
    again = outbox.claim(site.store, clock, limit=10)
    assert [op.op_id for op in again] == ids


def test_ack_is_idempotent_and_keeps_the_server_reference(site: Site, clock: FixedClock) -> None:
    ids = _enqueue(site, 2)
    batch = outbox.claim(site.store, clock)
    assert outbox.ack(site.store, clock, [(ids[0], "BJ-2026-001"), (ids[1], None)]) == 2
    assert outbox.ack(site.store, clock, [(ids[0], "BJ-2026-001")]) == 0
    rows = site.store.query("SELECT op_id, state, server_ref FROM outbox ORDER BY seq")
    assert [(r["state"], r["server_ref"]) for r in rows] == [("acked", "BJ-2026-001"),
                                                              ("acked", None)]
    assert outbox.claim(site.store, clock) == [] and len(batch) == 2


def test_retry_backs_off_and_keeps_order(site: Site, clock: FixedClock) -> None:
    ids = _enqueue(site, 3)
    batch = outbox.claim(site.store, clock, limit=2)
    outbox.retry_later(site.store, clock, [op.op_id for op in batch], "connection refused",
                       rng=random.Random(1))
    # The third op is due, but it must not overtake the two waiting for their retry.
    assert outbox.claim(site.store, clock) == []
    clock.advance(seconds=outbox.BACKOFF_BASE_S * 2 + 1)
    again = outbox.claim(site.store, clock)
    assert [op.op_id for op in again] == ids
    assert [op.attempts for op in again] == [1, 1, 0]
    row = site.store.query("SELECT last_error FROM outbox WHERE op_id = ?", [ids[0]])[0]
    assert row["last_error"] == "connection refused"


def test_backoff_is_full_jitter_capped_at_fifteen_minutes() -> None:
    rng = random.Random(7)
    samples = [outbox.backoff_s(attempt, rng) for attempt in range(40) for _ in range(50)]
    assert min(samples) >= 0 and max(samples) <= 15 * 60
    late = [outbox.backoff_s(30, rng) for _ in range(500)]
    assert max(late) > 0.9 * 15 * 60 and min(late) < 0.1 * 15 * 60  # spread over [0, cap]
    early = [outbox.backoff_s(0, rng) for _ in range(500)]
    assert max(early) <= outbox.BACKOFF_BASE_S


def test_rejected_op_leaves_the_queue_but_stays_visible(site: Site, clock: FixedClock) -> None:
    ids = _enqueue(site, 2)
    outbox.claim(site.store, clock)
    outbox.reject(site.store, ids[0], "422 item code unknown to the county")
    stats = outbox.stats(site.store, clock)
    assert stats["rejected"] == 1 and stats["claimed"] == 1
    clock.advance(seconds=400)
    assert [op.op_id for op in outbox.claim(site.store, clock)] == [ids[1]]


def test_sealed_payload_needs_its_data_key(site: Site, clock: FixedClock) -> None:
    _enqueue(site, 1, sealed=True)
    op = outbox.claim(site.store, clock)[0]
    assert "张三".encode() not in op.payload
    assert outbox.open_payload(op, site.data_key(op.key_id)) == {"n": 0, "name": "张三"}
    with pytest.raises(ValueError):
        outbox.open_payload(op, None)


def test_stats_and_pruning(site: Site, clock: FixedClock) -> None:
    ids = _enqueue(site, 3)
    clock.advance(minutes=10)
    stats = outbox.stats(site.store, clock)
    assert stats["pending"] == 3 and stats["oldest_undelivered_age_s"] == 600.0
    outbox.claim(site.store, clock)
    outbox.ack(site.store, clock, [(i, None) for i in ids[:2]])
    clock.advance(days=91)
    assert outbox.prune_acked(site.store, clock, keep_days=90) == 2
    assert outbox.stats(site.store, clock)["acked"] == 0
