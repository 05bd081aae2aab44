"""The transactional outbox: what the sync daemon must deliver to the county, in order.

A domain row and its outbox row are written in the same transaction (:func:`enqueue` takes
the caller's connection), so a record exists locally exactly when it is queued for the county
(https://microservices.io/patterns/data/transactional-outbox.html). Delivery is at least
once; the hub de-duplicates by the permanent ``op_id`` (../shared/research/sync.md §1, §7).

States: ``pending`` -> ``claimed`` (leased to one sender) -> ``acked`` | ``rejected``; a failed
send puts ops back to ``pending`` with a full-jitter backoff
(https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). A claim whose
lease ran out (the daemon was killed mid-send) is claimable again. Payloads that carry
personal data are sealed with the record's data key.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .clock import Clock, iso
from .crypto import DataKey
from .db import Store
from .ids import new_id

BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 15 * 60.0
PAYLOAD_CONTEXT = "outbox.payload"


@dataclass(frozen=True)
class OutboxOp:
    seq: int
    op_id: str
    entity: str
    entity_id: str
    op: str
    key_id: str | None
    payload: bytes
    blob_hashes: tuple[str, ...]
    attempts: int
    created_at: str
    clock_synced: bool


def enqueue(
    conn: sqlite3.Connection,
    clock: Clock,
    *,
    entity: str,
    entity_id: str,
    op: str,
    payload: dict[str, Any],
    key: DataKey | None = None,
    blob_hashes: Sequence[str] = (),
) -> str:
    """Queue one op inside the caller's write transaction; returns its ``op_id``.

    :param key: seal the payload with this data key (anything with personal data).
    :param blob_hashes: blobs the hub must hold before it can apply the op.
    """
    op_id = new_id()
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    if key is not None:
        body = key.encrypt(body, f"{PAYLOAD_CONTEXT}|{op_id}")
    now = iso(clock.now())
    conn.execute(
        "INSERT INTO outbox (op_id, entity, entity_id, op, key_id, payload, blob_hashes,"
        " created_at, clock_synced, next_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (op_id, entity, entity_id, op, key.key_id if key else None, body,
         json.dumps(list(blob_hashes)), now, int(clock.synced), now),
    )
    return op_id


def open_payload(op: OutboxOp, key: DataKey | None) -> dict[str, Any]:
    """The op's payload as a dict, unsealed with ``key`` when it was sealed."""
    body = op.payload
    if op.key_id is not None:
        if key is None or key.key_id != op.key_id:
            raise ValueError(f"op {op.op_id} needs data key {op.key_id}")
        body = key.decrypt(body, f"{PAYLOAD_CONTEXT}|{op.op_id}")
    return json.loads(body)


def claim(store: Store, clock: Clock, *, limit: int = 100, lease_s: float = 300) -> list[OutboxOp]:
    """Lease the next ops in order to one sender.

    Ops are handed out strictly by ``seq``: the batch stops at the first op that is not yet
    due for retry, so the county never sees a later op of a record before an earlier one.
    """
    now = clock.now()
    with store.write() as conn:
        rows = conn.execute(
            "SELECT seq, op_id, entity, entity_id, op, key_id, payload, blob_hashes, attempts,"
            " created_at, clock_synced, state, next_at, claimed_until FROM outbox"
            " WHERE state IN ('pending', 'claimed') ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        batch = []
        for row in rows:
            state, next_at, claimed_until = row[11], row[12], row[13]
            if state == "claimed" and claimed_until > iso(now):
                break  # another sender holds it
            if state == "pending" and next_at > iso(now):
                break
            batch.append(
                OutboxOp(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                         tuple(json.loads(row[7])), row[8], row[9], bool(row[10]))
            )
        if batch:
            until = iso(now + dt.timedelta(seconds=lease_s))
            conn.executemany(
                "UPDATE outbox SET state = 'claimed', claimed_until = ? WHERE seq = ?",
                [(until, op.seq) for op in batch],
            )
        return batch


def ack(store: Store, clock: Clock, acks: Iterable[tuple[str, str | None]]) -> int:
    """Mark ops delivered: ``(op_id, server_ref)`` pairs, the ref being e.g. the official
    办件编号. Acking twice is harmless. Returns how many ops changed state."""
    now = iso(clock.now())
    with store.write() as conn:
        cur = conn.executemany(
            "UPDATE outbox SET state = 'acked', acked_at = ?, claimed_until = NULL,"
            " server_ref = COALESCE(?, server_ref), last_error = NULL"
            " WHERE op_id = ? AND state IN ('pending', 'claimed')",
            [(now, ref, op_id) for op_id, ref in acks],
        )
        return cur.rowcount


def reject(store: Store, op_id: str, reason: str) -> None:
    """The county refused the op for good: keep it, visible, out of the send queue."""
    with store.write() as conn:
        conn.execute(
            "UPDATE outbox SET state = 'rejected', claimed_until = NULL, last_error = ?"
            " WHERE op_id = ? AND state IN ('pending', 'claimed')",
            (reason, op_id),
        )


def backoff_s(attempts: int, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempts)]."""
    return rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(attempts, 20)))


def retry_later(
    store: Store, clock: Clock, op_ids: Sequence[str], error: str, rng: random.Random | None = None
) -> None:
    """A send failed for a passing reason: back to pending, due after a jittered backoff.

    The whole batch gets the delay of its first op, so their order is kept.
    """
    rng = rng or random.Random()  # noqa: S311 (backoff jitter, not a secret)
    with store.write() as conn:
        rows = conn.execute(
            f"SELECT op_id, attempts FROM outbox WHERE op_id IN ({','.join('?' * len(op_ids))})"  # noqa: S608
            " AND state IN ('pending', 'claimed')",
            list(op_ids),
        ).fetchall()
        if not rows:
            return
        attempts = max(r[1] for r in rows)
        due = iso(clock.now() + dt.timedelta(seconds=backoff_s(attempts, rng)))
        conn.executemany(
            "UPDATE outbox SET state = 'pending', claimed_until = NULL, attempts = attempts + 1,"
            " next_at = ?, last_error = ? WHERE op_id = ?",
            [(due, error[:500], r[0]) for r in rows],
        )


def stats(store: Store, clock: Clock) -> dict[str, Any]:
    """Depth per state and the age of the oldest op not yet delivered."""
    counts = dict.fromkeys(("pending", "claimed", "acked", "rejected"), 0)
    for row in store.query("SELECT state, count(*) AS n FROM outbox GROUP BY state"):
        counts[row["state"]] = row["n"]
    oldest = store.query(
        "SELECT min(created_at) AS t FROM outbox WHERE state IN ('pending', 'claimed')"
    )[0]["t"]
    age = None
    if oldest:
        age = round((clock.now() - dt.datetime.fromisoformat(oldest.replace("Z", "+00:00")))
                    .total_seconds(), 1)
    return {**counts, "oldest_undelivered_age_s": age}


def prune_acked(store: Store, clock: Clock, keep_days: int) -> int:
    """Forget delivered ops after ``keep_days``; rejected ones stay until someone looks."""
    cutoff = iso(clock.now() - dt.timedelta(days=keep_days))
    with store.write() as conn:
        return conn.execute(
            "DELETE FROM outbox WHERE state = 'acked' AND acked_at < ?", (cutoff,)
        ).rowcount
