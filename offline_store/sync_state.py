"""What the sync daemon keeps in the site store, and every SQL statement it needs.

The daemon (``sync/daemon/``) talks to the county hub; this module is its side of the store
(docs/sync-protocol.md, docs/store.md): the enrolment (the Ed25519 private key sealed under
a data key of its own), key/value state (counters, last events, the hub clock's offset),
which outbox ops are ready to send, the upload state of each page, the hub's answers
recorded in one transaction, pulled items held back while the site still has ops of their
record to deliver, and the pulled items' effects on cases, appointments and rectifications.

Pure SQL over the shared file; no network, no protocol types.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import audit, outbox
from .clock import Clock, iso, parse_iso
from .crypto import DataKey
from .db import Store
from .errors import KeyShredded
from .outbox import OutboxOp
from .site import Site

PRIVATE_KEY_CONTEXT = "sync_enrolment.private_key"
HOLDER_CONTEXT = "appointments.holder"
_LOST = "lost_blob:"
_LOST_END = "lost_blob;"  # the next key after every "lost_blob:<sha>" in text order


# --- enrolment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    site_code: str
    hub_url: str
    key_id: str
    private_key: bytes
    """The 32 raw bytes of the Ed25519 private key (RFC 8032), unsealed."""
    public_key: str
    enrolled_at: str


def save_enrolment(site: Site, *, site_code: str, hub_url: str, key_id: str,
                   private_key: bytes, public_key: str) -> None:
    """Keep the site's enrolment, replacing an earlier one (a new key for a replaced PC);
    the old private key's data key is destroyed with it."""
    dk = site.new_data_key()
    with site.store.write() as conn:
        old = conn.execute("SELECT data_key_id FROM sync_enrolment WHERE id = 1").fetchone()
        site.save_data_key(conn, dk)
        conn.execute(
            "INSERT OR REPLACE INTO sync_enrolment (id, site_code, hub_url, key_id, data_key_id,"
            " private_key, public_key, enrolled_at) VALUES (1,?,?,?,?,?,?,?)",
            (site_code, hub_url, key_id, dk.key_id,
             dk.encrypt(private_key, f"{PRIVATE_KEY_CONTEXT}|{key_id}"), public_key,
             iso(site.clock.now())))
        if old is not None:
            site.shred_key(conn, old[0], actor="sync", reason="sync key replaced at enrolment")
        audit.record(conn, site.clock, actor="technician", action="sync.enrolled",
                     subject=site_code, detail={"hub": hub_url, "key_id": key_id})


def load_enrolment(site: Site) -> Enrolment | None:
    rows = site.store.query("SELECT * FROM sync_enrolment WHERE id = 1")
    if not rows:
        return None
    row = rows[0]
    dk = site.data_key(row["data_key_id"])
    return Enrolment(row["site_code"], row["hub_url"], row["key_id"],
                     dk.decrypt(row["private_key"], f"{PRIVATE_KEY_CONTEXT}|{row['key_id']}"),
                     row["public_key"], row["enrolled_at"])


# --- key/value state -----------------------------------------------------------------------


def values(store: Store) -> dict[str, Any]:
    """Every state value (``acked_total``, ``last_push``, ``clock_offset_s``, …), decoded."""
    return {r["key"]: json.loads(r["value"])
            for r in store.query("SELECT key, value FROM sync_state WHERE key < ? OR key >= ?",
                                 [_LOST, _LOST_END])}


def put(conn: sqlite3.Connection, clock: Clock, **items: Any) -> None:
    """Set state values inside the caller's transaction."""
    now = iso(clock.now())
    conn.executemany(
        "INSERT INTO sync_state (key, value, updated_at) VALUES (?,?,?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [(key, json.dumps(value, ensure_ascii=False), now) for key, value in items.items()])


def save(store: Store, clock: Clock, **items: Any) -> None:
    """Set state values in a transaction of their own."""
    with store.write() as conn:
        put(conn, clock, **items)


def _bump(conn: sqlite3.Connection, clock: Clock, key: str, by: int) -> None:
    if by:
        row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        put(conn, clock, **{key: (json.loads(row[0]) if row else 0) + by})


# --- ops ready to send ---------------------------------------------------------------------


def _op(row: sqlite3.Row | tuple[Any, ...]) -> OutboxOp:
    return OutboxOp(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                    tuple(json.loads(row[7])), row[8], row[9], bool(row[10]))


def claim_ready(store: Store, clock: Clock, *, limit: int, lease_s: float) -> list[OutboxOp]:
    """Lease the next ops that may go now, at most ``limit``.

    An op may go when it is pending (or claimed under a lease that ran out), due, and every
    page it names is uploaded or lost. One that may not go holds back the later ops of the
    same record (``entity``, ``entity_id``), which keeps each record's order; other records
    go ahead, so a ticket is not stuck behind a case whose pages are still uploading.

    Due times and leases are wall-clock times, and a village PC's clock jumps (a flat RTC
    battery boots it in 1970, a technician corrects it by days). A due time or a lease end
    further ahead than any backoff or lease could set means the clock went back since: the
    op is taken as due rather than held until the clock catches up.
    """
    now = iso(clock.now())
    due_horizon = iso(clock.now() + dt.timedelta(seconds=outbox.BACKOFF_CAP_S + 60))
    lease_horizon = iso(clock.now() + dt.timedelta(seconds=lease_s + 60))
    if not store.query("SELECT 1 FROM outbox WHERE state IN ('pending', 'claimed') LIMIT 1"):
        return []  # an idle poll takes no write lock from the station
    with store.write() as conn:
        waiting = _blobs_not_ready(conn)
        blocked: set[tuple[str, str]] = set()
        batch: list[OutboxOp] = []
        cur = conn.execute(
            "SELECT seq, op_id, entity, entity_id, op, key_id, payload, blob_hashes, attempts,"
            " created_at, clock_synced, state, next_at, claimed_until FROM outbox"
            " WHERE state IN ('pending', 'claimed') ORDER BY seq")
        while len(batch) < limit:
            rows = cur.fetchmany(256)
            if not rows:
                break
            for row in rows:
                record = (row[2], row[3])
                if record in blocked:
                    continue
                state, next_at, claimed_until = row[11], row[12], row[13]
                busy = state == "claimed" and now < (claimed_until or "") <= lease_horizon
                waits = state == "pending" and now < next_at <= due_horizon
                if busy or waits or \
                        any(sha in waiting for sha in json.loads(row[7])):
                    blocked.add(record)
                    continue
                batch.append(_op(row))
                if len(batch) == limit:
                    break
        cur.close()
        until = iso(clock.now() + dt.timedelta(seconds=lease_s))
        conn.executemany("UPDATE outbox SET state = 'claimed', claimed_until = ? WHERE seq = ?",
                         [(until, op.seq) for op in batch])
    return batch


def _blobs_not_ready(conn: sqlite3.Connection) -> set[str]:
    lost = set(_lost(conn))
    return {r[0] for r in conn.execute(
        "SELECT sha256 FROM blobs WHERE state IN ('local', 'uploading')")} - lost


def release(store: Store, op_ids: Iterable[str]) -> None:
    """Hand leased ops back untouched (the hub could not be reached: no backoff per op, the
    daemon waits as a whole)."""
    with store.write() as conn:
        conn.executemany("UPDATE outbox SET state = 'pending', claimed_until = NULL"
                         " WHERE op_id = ? AND state = 'claimed'", [(i,) for i in op_ids])


def release_all_claims(store: Store) -> int:
    """At start: claims held by this site's previous daemon (killed mid-send) go back."""
    with store.write() as conn:
        return conn.execute("UPDATE outbox SET state = 'pending', claimed_until = NULL"
                            " WHERE state = 'claimed'").rowcount


def reject_locally(store: Store, clock: Clock, op_id: str, reason: str) -> None:
    """An op the site itself cannot send (its key destroyed, its data damaged, too large):
    kept as rejected with the reason, so it does not hold the outbox forever."""
    with store.write() as conn:
        conn.execute("UPDATE outbox SET state = 'rejected', claimed_until = NULL, last_error = ?"
                     " WHERE op_id = ? AND state IN ('pending', 'claimed')", (reason[:500], op_id))
        audit.record(conn, clock, actor="sync", action="sync.op_unsendable", subject=op_id,
                     detail={"reason": reason[:200]})


def record_results(site: Site, sent: Sequence[OutboxOp], results: Sequence[Mapping[str, Any]],
                   *, rng: random.Random | None = None) -> dict[str, int]:
    """Record one answer of the hub in one transaction.

    ``applied`` and ``duplicate`` acknowledge the op (keeping ``server_ref``; a case's
    ``accepted`` op's ref is its official 办件编号, written to ``cases.official_no`` here
    too); ``rejected`` keeps it as rejected with its reason; ``deferred`` and ops the answer
    does not mention are due again after a jittered backoff. Pages the hub says it lacks
    (``missing``, by their hash as uploaded) are uploaded again.

    :param results: dicts with ``op_id``, ``status`` and ``server_ref``, ``code``,
        ``message``, ``missing`` as the answer gave them.
    :returns: ``{"acked", "rejected", "deferred"}``.
    """
    rng = rng or random.Random()  # noqa: S311 (backoff jitter, not a secret)
    by_id = {op.op_id: op for op in sent}
    counts = {"acked": 0, "rejected": 0, "deferred": 0}
    now = site.clock.now()
    answered: set[str] = set()
    with site.store.write() as conn:
        for result in results:
            op = by_id.get(str(result.get("op_id")))
            if op is None or op.op_id in answered:
                continue  # not in this batch (a replayed or confused answer): ignore it
            answered.add(op.op_id)
            status = result.get("status")
            if status in ("applied", "duplicate"):
                ref = result.get("server_ref")
                changed = conn.execute(
                    "UPDATE outbox SET state = 'acked', acked_at = ?, claimed_until = NULL,"
                    " server_ref = COALESCE(?, server_ref), last_error = NULL"
                    " WHERE op_id = ? AND state IN ('pending', 'claimed')",
                    (iso(now), ref, op.op_id)).rowcount
                counts["acked"] += changed
                if ref and op.entity == "case" and op.op == "accepted":
                    conn.execute("UPDATE cases SET official_no = ? WHERE id = ?",
                                 (ref, op.entity_id))
            elif status == "rejected":
                reason = f"{result.get('code') or 'rejected'}: {result.get('message') or ''}"
                counts["rejected"] += conn.execute(
                    "UPDATE outbox SET state = 'rejected', claimed_until = NULL, last_error = ?"
                    " WHERE op_id = ? AND state IN ('pending', 'claimed')",
                    (reason.strip()[:500], op.op_id)).rowcount
            else:
                counts["deferred"] += 1
                _defer(conn, now, op, f"deferred: {result.get('code') or ''}", rng)
                _upload_again(conn, result.get("missing") or [])
        for op in sent:
            if op.op_id not in answered:
                counts["deferred"] += 1
                _defer(conn, now, op, "no answer for this op", rng)
        _bump(conn, site.clock, "acked_total", counts["acked"])
    return counts


def _defer(conn: sqlite3.Connection, now: dt.datetime, op: OutboxOp, error: str,
           rng: random.Random) -> None:
    due = iso(now + dt.timedelta(seconds=outbox.backoff_s(op.attempts, rng)))
    conn.execute("UPDATE outbox SET state = 'pending', claimed_until = NULL,"
                 " attempts = attempts + 1, next_at = ?, last_error = ?"
                 " WHERE op_id = ? AND state IN ('pending', 'claimed')",
                 (due, error[:500], op.op_id))


def retry_later(store: Store, clock: Clock, ops: Sequence[OutboxOp], error: str,
                rng: random.Random | None = None) -> None:
    """The hub refused a whole batch (a bug or a hostile answer): each op is due again
    after a jittered backoff, never in a tight loop."""
    rng = rng or random.Random()  # noqa: S311 (backoff jitter, not a secret)
    with store.write() as conn:
        for op in ops:
            _defer(conn, clock.now(), op, error, rng)


def _upload_again(conn: sqlite3.Connection, plain_hashes: Iterable[str]) -> None:
    conn.executemany(
        "UPDATE blobs SET state = 'local', upload_url = NULL, upload_offset = 0,"
        " upload_expires = NULL WHERE plain_sha256 = ? AND state = 'uploaded'",
        [(str(sha),) for sha in plain_hashes])


# --- pages: upload state -------------------------------------------------------------------


@dataclass(frozen=True)
class BlobRow:
    sha256: str
    """Of the sealed file at the site."""
    size: int
    key_id: str | None
    media_type: str
    state: str
    upload_url: str | None
    upload_offset: int
    upload_expires: str | None
    plain_sha256: str | None
    plain_size: int | None


_BLOB_COLUMNS = ("b.sha256, b.size, b.key_id, b.media_type, b.state, b.upload_url,"
                 " b.upload_offset, b.upload_expires, b.plain_sha256, b.plain_size")


def blobs_to_upload(store: Store, limit: int = 8) -> list[BlobRow]:
    """Pages named by ops not yet delivered and not yet uploaded (nor lost): an upload cut
    short first, then in the order of the ops that need them."""
    lost = set(lost_blobs(store))
    rows = store.query(
        f"SELECT {_BLOB_COLUMNS}, min(o.seq) AS first FROM outbox o,"  # noqa: S608
        " json_each(o.blob_hashes) j JOIN blobs b ON b.sha256 = j.value"
        " WHERE o.state IN ('pending', 'claimed') AND b.state IN ('local', 'uploading')"
        " GROUP BY b.sha256 ORDER BY b.state = 'uploading' DESC, first")
    return [BlobRow(**{k: v for k, v in row.items() if k != "first"}) for row in rows
            if row["sha256"] not in lost][:limit]


def blob_rows(store: Store, shas: Iterable[str]) -> dict[str, BlobRow]:
    shas = list(dict.fromkeys(shas))
    if not shas:
        return {}
    rows = store.query(f"SELECT {_BLOB_COLUMNS} FROM blobs b"  # noqa: S608
                       f" WHERE b.sha256 IN ({','.join('?' * len(shas))})", shas)
    return {r["sha256"]: BlobRow(**r) for r in rows}


def start_upload(store: Store, sha: str, plain_sha256: str, plain_size: int) -> None:
    """The page's hash and size as uploaded, known once it was unsealed."""
    with store.write() as conn:
        conn.execute("UPDATE blobs SET plain_sha256 = ?, plain_size = ?,"
                     " state = CASE state WHEN 'local' THEN 'uploading' ELSE state END"
                     " WHERE sha256 = ?", (plain_sha256, plain_size, sha))


def upload_progress(store: Store, sha: str, url: str | None, offset: int,
                    expires: str | None) -> None:
    """After every chunk: a killed daemon resumes from here, costing at most one chunk."""
    with store.write() as conn:
        conn.execute("UPDATE blobs SET upload_url = ?, upload_offset = ?, upload_expires = ?,"
                     " state = 'uploading' WHERE sha256 = ? AND state IN ('local', 'uploading')",
                     (url, offset, expires, sha))


def upload_done(store: Store, sha: str) -> None:
    with store.write() as conn:
        conn.execute("UPDATE blobs SET state = 'uploaded', upload_offset = coalesce(plain_size,"
                     " upload_offset) WHERE sha256 = ? AND state IN ('local', 'uploading')",
                     (sha,))


def mark_lost(store: Store, clock: Clock, sha: str, reason: str) -> None:
    """A page the site can no longer read (missing, damaged, its key destroyed): its ops go
    with it listed in ``blobs_lost`` instead of waiting for it forever."""
    with store.write() as conn:
        put(conn, clock, **{f"{_LOST}{sha}": {"reason": reason, "at": iso(clock.now())}})
        audit.record(conn, clock, actor="sync", action="sync.blob_lost", subject=sha,
                     detail={"reason": reason})


def _lost(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    return {key[len(_LOST):]: json.loads(value) for key, value in conn.execute(
        "SELECT key, value FROM sync_state WHERE key >= ? AND key < ?", (_LOST, _LOST_END))}


def lost_blobs(store: Store) -> dict[str, dict[str, Any]]:
    """``{sealed sha256: {"reason", "at"}}`` of the pages marked lost."""
    return {r["key"][len(_LOST):]: json.loads(r["value"]) for r in store.query(
        "SELECT key, value FROM sync_state WHERE key >= ? AND key < ?", [_LOST, _LOST_END])}


# --- pulled items --------------------------------------------------------------------------


def cursor(store: Store, stream: str) -> tuple[str | None, str | None]:
    rows = store.query("SELECT cursor, handle FROM sync_cursors WHERE stream = ?", [stream])
    return (rows[0]["cursor"], rows[0]["handle"]) if rows else (None, None)


def set_cursor(conn: sqlite3.Connection, clock: Clock, stream: str, value: str | None,
               handle: str | None) -> None:
    """Inside the transaction that applied the page's items."""
    conn.execute(
        "INSERT INTO sync_cursors (stream, cursor, handle, updated_at) VALUES (?,?,?,?)"
        " ON CONFLICT (stream) DO UPDATE SET cursor = excluded.cursor,"
        " handle = excluded.handle, updated_at = excluded.updated_at",
        (stream, value, handle, iso(clock.now())))


def drop_cursor(store: Store, clock: Clock, stream: str) -> None:
    """The hub's history is not the one the cursor points into: read from the start."""
    with store.write() as conn:
        set_cursor(conn, clock, stream, None, None)


def case_undelivered(conn: sqlite3.Connection, case_id: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM outbox WHERE entity = 'case' AND entity_id = ?"
        " AND state IN ('pending', 'claimed') LIMIT 1", (case_id,)).fetchone() is not None


def hold(conn: sqlite3.Connection, clock: Clock, stream: str, key: str,
         item: Mapping[str, Any]) -> None:
    """Keep a pulled item back until its record's ops are delivered; a newer item for the
    same record replaces the one held."""
    conn.execute(
        "INSERT INTO sync_held (stream, item_key, item, held_at) VALUES (?,?,?,?)"
        " ON CONFLICT (stream, item_key) DO UPDATE SET item = excluded.item,"
        " held_at = excluded.held_at",
        (stream, key, json.dumps(dict(item), ensure_ascii=False), iso(clock.now())))


def release_held(site: Site) -> int:
    """Apply the held case statuses whose cases have nothing left to deliver; returns how
    many were applied."""
    if not site.store.query("SELECT 1 FROM sync_held LIMIT 1"):
        return 0
    with site.store.write() as conn:
        rows = conn.execute(
            "SELECT item_key, item FROM sync_held h WHERE stream = 'case_status' AND NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.entity = 'case' AND o.entity_id = h.item_key"
            " AND o.state IN ('pending', 'claimed'))").fetchall()
        for key, item in rows:
            apply_case_status(conn, site.clock, json.loads(item))
            conn.execute("DELETE FROM sync_held WHERE stream = 'case_status' AND item_key = ?",
                         (key,))
    return len(rows)


def apply_case_status(conn: sqlite3.Connection, clock: Clock, item: Mapping[str, Any]) -> bool:
    """The county's status of a case (审核, 办结, 退回) and its step, appended to the county
    history once however often the item comes; the official number when the item has one.
    False when the site has no such case."""
    row = conn.execute("SELECT county_history FROM cases WHERE id = ?",
                       (item["case_id"],)).fetchone()
    if row is None:
        return False
    history = json.loads(row[0])
    step = item.get("step")
    if step and step not in history:
        history.append(step)
    conn.execute(
        "UPDATE cases SET county_status = ?, county_history = ?, county_updated_at = ?,"
        " official_no = COALESCE(?, official_no) WHERE id = ?",
        (item["status"], json.dumps(history, ensure_ascii=False), iso(clock.now()),
         item.get("official_no"), item["case_id"]))
    return True


def case_key(site: Site, case_id: str) -> tuple[DataKey, bool] | None:
    """The key a result document of the case is sealed under: the case's own, or a new one
    (``True``) once the case's key was destroyed. None: no such case."""
    rows = site.store.query("SELECT key_id FROM cases WHERE id = ?", [case_id])
    if not rows:
        return None
    try:
        return site.data_key(rows[0]["key_id"]), False
    except KeyShredded:
        return site.new_data_key(), True


def has_result(store: Store, case_id: str, plain_sha256: str) -> bool:
    return bool(store.query("SELECT 1 FROM case_results WHERE case_id = ? AND plain_sha256 = ?",
                            [case_id, plain_sha256]))


def save_result(site: Site, *, case_id: str, key: DataKey, new_key: bool, sealed_sha: str,
                sealed_size: int, plain_sha256: str, plain_size: int, media_type: str,
                name: str) -> None:
    """The row of a result document whose sealed file is written already."""
    now = iso(site.clock.now())
    with site.store.write() as conn:
        if new_key:
            site.save_data_key(conn, key)
        conn.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, key_id, media_type, created_at, state,"
            " upload_offset, plain_sha256, plain_size) VALUES (?,?,?,?,?,'uploaded',?,?,?)",
            (sealed_sha, sealed_size, key.key_id, media_type, now, plain_size, plain_sha256,
             plain_size))
        conn.execute(
            "INSERT OR IGNORE INTO case_results (case_id, plain_sha256, blob_sha256, media_type,"
            " name, received_at) VALUES (?,?,?,?,?,?)",
            (case_id, plain_sha256, sealed_sha, media_type, name, now))


def apply_appointment(conn: sqlite3.Connection, site: Site, item: Mapping[str, Any]) -> None:
    """A booking made on the county platform: the holder sealed under a data key of its
    own and found by the blind index of the ID number; the code checked in at the kiosk
    (``offline_store/appointments.py``), which a later copy of the item does not undo
    unless it cancels the booking."""
    appointment_id = str(item["id"])
    row = conn.execute("SELECT key_id FROM appointments WHERE id = ?",
                       (appointment_id,)).fetchone()
    holder = item.get("holder")
    key_id = sealed = index = phone_index = None
    if holder:
        dk = None
        if row is not None and row[0]:
            try:
                dk = site.data_key(row[0])
            except KeyShredded:
                dk = None
        if dk is None:
            dk = site.new_data_key()
            site.save_data_key(conn, dk)
        key_id = dk.key_id
        sealed = dk.encrypt_json(dict(holder), f"{HOLDER_CONTEXT}|{appointment_id}")
        id_number = holder.get("id_number")
        index = site.keys.blind_index(str(id_number)) if id_number else None
        phone = holder.get("phone")
        phone_index = site.keys.phone_index(str(phone)) if phone else None
    # The county moved a code to another booking: the code names one booking at a time.
    conn.execute("DELETE FROM appointments WHERE code = ? AND id != ?",
                 (str(item["code"]), appointment_id))
    conn.execute(
        "INSERT INTO appointments (id, category, start_at, end_at, code, status, key_id,"
        " holder_index, phone_index, holder, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (id) DO UPDATE SET category = excluded.category,"
        " start_at = excluded.start_at, end_at = excluded.end_at, code = excluded.code,"
        # a booking checked in here stays checked in when the county sends it again
        # (a re-read from the start, a changed holder), unless the county cancelled it
        " status = CASE WHEN appointments.status = 'checked_in'"
        " AND excluded.status != 'cancelled' THEN 'checked_in' ELSE excluded.status END,"
        " key_id = excluded.key_id,"
        " holder_index = excluded.holder_index, phone_index = excluded.phone_index,"
        " holder = excluded.holder, updated_at = excluded.updated_at",
        (appointment_id, str(item["category"]), str(item["start"]), str(item["end"]),
         str(item["code"]), str(item["status"]), key_id, index, phone_index, sealed,
         iso(site.clock.now())))


def appointments_by_phone(site: Site, phone: str) -> list[dict[str, Any]]:
    """The bookings made with this phone number, earliest first, without their holder (the
    kiosk shows the slots to choose from; a name is shown masked only after the choice)."""
    return site.store.query(
        "SELECT id, category, start_at, end_at, code, status FROM appointments"
        " WHERE phone_index = ? ORDER BY start_at, id", [site.keys.phone_index(phone)])


def appointment_holder(site: Site, appointment_id: str) -> dict[str, Any] | None:
    rows = site.store.query("SELECT key_id, holder FROM appointments WHERE id = ?",
                            [appointment_id])
    if not rows or rows[0]["holder"] is None:
        return None
    return site.data_key(rows[0]["key_id"]).decrypt_json(
        rows[0]["holder"], f"{HOLDER_CONTEXT}|{appointment_id}")


def apply_rectification(conn: sqlite3.Connection, clock: Clock, item: Mapping[str, Any]) -> bool:
    """The county's step on a bad rating's follow-up: stage and status, the entry appended
    to the history once. False when the site has no such task."""
    row = conn.execute("SELECT history FROM rectifications WHERE id = ?",
                       (str(item["id"]),)).fetchone()
    if row is None:
        return False
    history = json.loads(row[0])
    entry = item.get("entry")
    if entry and entry not in history:
        history.append(entry)
    conn.execute("UPDATE rectifications SET stage = ?, status = ?, history = ?, updated_at = ?"
                 " WHERE id = ?",
                 (str(item["stage"]), str(item["status"]),
                  json.dumps(history, ensure_ascii=False), iso(clock.now()), str(item["id"])))
    return True


# --- figures -------------------------------------------------------------------------------


def figures(store: Store, clock: Clock) -> dict[str, Any]:
    """The outbox and upload figures of ``bianmin sync status``."""
    pending = store.query(
        "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox"
        " WHERE state IN ('pending', 'claimed')")[0]
    age = None
    if pending["oldest"]:
        age = round((clock.now() - parse_iso(pending["oldest"])).total_seconds(), 1)
    lost = set(lost_blobs(store))
    blob_rows_ = store.query(
        "SELECT b.sha256, coalesce(b.plain_size, b.size) - b.upload_offset AS left FROM blobs b"
        " WHERE b.state IN ('local', 'uploading') AND EXISTS (SELECT 1 FROM outbox o,"
        " json_each(o.blob_hashes) j WHERE o.state IN ('pending', 'claimed')"
        " AND j.value = b.sha256)")
    counts = {r["state"]: r["n"] for r in store.query(
        "SELECT state, count(*) AS n FROM outbox WHERE state IN ('rejected', 'acked')"
        " GROUP BY state")}
    return {
        "outbox_pending": pending["n"],
        "oldest_pending_age_s": age,
        "blobs_pending_bytes": sum(max(0, r["left"]) for r in blob_rows_
                                   if r["sha256"] not in lost),
        "rejected": counts.get("rejected", 0),
        "held": store.query("SELECT count(*) AS n FROM sync_held")[0]["n"],
        "blobs_lost": len(lost),
    }


def rejected_ops(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The ops the county refused, newest first: id, record, op and reason (no payload)."""
    return store.query("SELECT op_id, entity, entity_id, op, last_error AS reason FROM outbox"
                       " WHERE state = 'rejected' ORDER BY seq DESC LIMIT ?", [limit])


def audit_counts(store: Store, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Audit entries per action in ``[start, end)``: counts, never subjects."""
    return {r["action"]: r["n"] for r in store.query(
        "SELECT action, count(*) AS n FROM audit_log WHERE at >= ? AND at < ?"
        " GROUP BY action ORDER BY action", [iso(start), iso(end)])}


def enqueue_audit_summary(site: Site, day: str, payload: Mapping[str, Any]) -> bool:
    """Queue the ``audit/summary`` op of one local day, once: False when that day (or a
    later one) was summarised already."""
    with site.store.write() as conn:
        row = conn.execute("SELECT value FROM sync_state WHERE key = 'audit_summary_day'"
                           ).fetchone()
        if row is not None and json.loads(row[0]) >= day:
            return False
        outbox.enqueue(conn, site.clock, entity="audit", entity_id=day, op="summary",
                       payload=dict(payload))
        put(conn, site.clock, audit_summary_day=day)
    return True


def acked_window(store: Store) -> dict[str, Any] | None:
    """What the hub should hold of ours, for the daily reconciliation: the acknowledged
    ops in ``[from_seq, to_seq]``, a range with no op pruned from it and none undelivered
    in it, with their count and the sha256 over their sorted ``op_id`` lines."""
    bounds = store.query(
        "SELECT min(seq) AS lo, max(seq) AS hi,"
        " (SELECT min(seq) FROM outbox WHERE state IN ('pending', 'claimed')) AS first_open"
        " FROM outbox")[0]
    if bounds["lo"] is None:
        return None
    hi = bounds["first_open"] - 1 if bounds["first_open"] is not None else bounds["hi"]
    after_gap = store.query(
        "SELECT max(o.seq) AS s FROM outbox o WHERE o.seq > ? AND o.seq <= ?"
        " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.seq = o.seq - 1)",
        [bounds["lo"], hi])[0]["s"]
    lo = after_gap or bounds["lo"]
    if hi < lo:
        return None
    ids = sorted(r["op_id"] for r in store.query(
        "SELECT op_id FROM outbox WHERE state = 'acked' AND seq BETWEEN ? AND ?", [lo, hi]))
    digest = hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest()
    return {"from_seq": lo, "to_seq": hi, "ops": len(ids), "hash": digest}


def enrolled(store: Store) -> dict[str, Any] | None:
    """Who the site is enrolled as, without opening its key: ``{"site", "hub", "key_id",
    "enrolled_at"}`` or None."""
    rows = store.query("SELECT site_code AS site, hub_url AS hub, key_id, enrolled_at"
                       " FROM sync_enrolment WHERE id = 1")
    return rows[0] if rows else None
