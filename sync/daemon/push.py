"""Push: the outbox's ops and the pages they name, to the hub (docs/sync-protocol.md, Push
and Blobs).

Ops go in ``seq`` order per record, in batches of at most 100 ops and 4 MB as sent; an op
goes only when every page it names is on the hub (or lost at the site). Pages go as the
page itself, unsealed from its file: the county must read it, so its address on the hub is
the sha256 of the page as captured, and the op's payload is rewritten to name pages by that
hash. Between two chunks of a page, ops that became ready are pushed, so metadata never
waits behind a slow page.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from offline_store import outbox, sync_state
from offline_store.cases import BLOB_CONTEXT
from offline_store.clock import iso
from offline_store.errors import BlobCorrupt, BlobMissing, DecryptionFailed, KeyShredded
from offline_store.outbox import OutboxOp
from offline_store.site import Site
from sync.protocol.messages import MAX_BATCH_BYTES, MAX_OPS, OpsAnswer

from .errors import AuthRefused, BlobRefused, HubUnavailable, Refused
from .settings import SyncSettings
from .transport import Answer, HubClient
from .tus_client import TokenBucket, TusClient, UploadState

log = logging.getLogger("bianmin.sync")
GZIP_FROM_BYTES = 16 * 1024
"""Batches larger than this go gzip-compressed (``Content-Encoding: gzip``)."""


def map_hashes(value: Any, mapping: Mapping[str, str]) -> Any:
    """``value`` with every string (and key) that is a key of ``mapping`` replaced by its
    value: the site's sealed-file hashes by the hashes of the pages as uploaded."""
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list):
        return [map_hashes(v, mapping) for v in value]
    if isinstance(value, dict):
        return {mapping.get(k, k): map_hashes(v, mapping) for k, v in value.items()}
    return value


def wire_op(op: OutboxOp, payload: dict[str, Any], rows: Mapping[str, sync_state.BlobRow],
            lost: Mapping[str, Any]) -> dict[str, Any]:
    """One op as sent: its payload with pages named as uploaded, the pages it needs in
    ``blobs`` and the ones the site can no longer read in ``blobs_lost``."""
    mapping: dict[str, str] = {}
    blobs: list[str] = []
    blobs_lost: list[str] = []
    for sealed in dict.fromkeys(op.blob_hashes):
        row = rows.get(sealed)
        plain = row.plain_sha256 if row is not None else None
        if plain:
            mapping[sealed] = plain
        if row is None or sealed in lost or row.state == "purged":
            blobs_lost.append(plain or sealed)
        else:
            blobs.append(plain or sealed)
    return {"op_id": op.op_id, "seq": op.seq, "entity": op.entity, "entity_id": op.entity_id,
            "op": op.op, "created_at": op.created_at, "clock_synced": op.clock_synced,
            "payload": map_hashes(payload, mapping), "blobs": blobs, "blobs_lost": blobs_lost}


def encode_batch(batch_id: str, ops: Sequence[dict[str, Any]]) -> tuple[bytes, dict[str, str]]:
    """The request body as sent and its headers; gzip when it is large."""
    body = json.dumps({"batch_id": batch_id, "ops": list(ops)}, ensure_ascii=False,
                      separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    if len(body) > GZIP_FROM_BYTES:
        body = gzip.compress(body, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return body, headers


class Pusher:
    """Sends what is ready; one role, no waiting (the daemon decides when to come back)."""

    def __init__(self, site: Site, hub: HubClient, settings: SyncSettings, *,
                 rng: random.Random | None = None, sleep: Callable[[float], None] | None = None,
                 stop: threading.Event | None = None,
                 on_change: Callable[[], None] = lambda: None):
        self.site = site
        self.hub = hub
        self.settings = settings
        self.rng = rng or random.Random()  # noqa: S311 (backoff jitter, not a secret)
        self.stop = stop or threading.Event()
        self.on_change = on_change
        """Told after every batch and every chunk (the daemon pings the watchdog)."""
        self._tus: TusClient | None = None
        self.bucket = None
        if settings.upload_kbit_s > 0:
            self.bucket = TokenBucket(settings.upload_bytes_s, settings.chunk_bytes,
                                      sleep=sleep or time.sleep)

    # --- ops -----------------------------------------------------------------------------

    def push_ready(self, counts: dict[str, Any]) -> int:
        """Send batches until no op is ready; returns how many ops were sent."""
        sent = 0
        while not self.stop.is_set():
            ops = sync_state.claim_ready(self.site.store, self.site.clock,
                                         limit=min(self.settings.batch_ops, MAX_OPS),
                                         lease_s=self.settings.lease_s)
            if not ops:
                break
            sent += self._send(ops, counts)
            self.on_change()
        return sent

    def _send(self, ops: list[OutboxOp], counts: dict[str, Any]) -> int:
        rows = sync_state.blob_rows(self.site.store, (h for op in ops for h in op.blob_hashes))
        lost = sync_state.lost_blobs(self.site.store)
        wire: list[dict[str, Any]] = []
        sendable: list[OutboxOp] = []
        for op in ops:
            try:
                payload = outbox.open_payload(
                    op, self.site.data_key(op.key_id) if op.key_id else None)
            except (KeyShredded, DecryptionFailed, ValueError) as exc:
                reason = f"unreadable at the site: {type(exc).__name__}"
                sync_state.reject_locally(self.site.store, self.site.clock, op.op_id, reason)
                counts["rejected"] += 1
                counts["errors"].append(f"op {op.op_id} {reason}")
                continue
            wire.append(wire_op(op, payload, rows, lost))
            sendable.append(op)
        if not sendable:
            return 0
        body, headers = encode_batch(str(uuid.uuid4()), wire)
        while len(body) > MAX_BATCH_BYTES and len(wire) > 1:
            keep = len(wire) // 2
            sync_state.release(self.site.store, [op.op_id for op in sendable[keep:]])
            wire, sendable = wire[:keep], sendable[:keep]
            body, headers = encode_batch(str(uuid.uuid4()), wire)
        if len(body) > MAX_BATCH_BYTES:
            reason = f"too large to send: {len(body)} bytes, the hub takes {MAX_BATCH_BYTES}"
            sync_state.reject_locally(self.site.store, self.site.clock, sendable[0].op_id, reason)
            counts["rejected"] += 1
            counts["errors"].append(f"op {sendable[0].op_id} {reason}")
            return 0
        try:
            answer = self.hub.call("POST", "/v1/ops", OpsAnswer, body=body, headers=headers)
        except (HubUnavailable, AuthRefused):
            sync_state.release(self.site.store, [op.op_id for op in sendable])
            raise
        except Refused as exc:
            sync_state.retry_later(self.site.store, self.site.clock, sendable,
                                   f"batch refused: {exc.detail}"[:500], self.rng)
            raise
        result = sync_state.record_results(
            self.site, sendable, [r.model_dump() for r in answer.results], rng=self.rng)
        counts["pushed"] += len(sendable)
        for key in ("acked", "rejected", "deferred"):
            counts[key] += result[key]
        sync_state.save(self.site.store, self.site.clock, last_push=_now(self.site))
        if result["acked"]:
            sync_state.release_held(self.site)
        log.info("pushed %d ops: %d acknowledged, %d rejected, %d deferred", len(sendable),
                 result["acked"], result["rejected"], result["deferred"])
        return len(sendable)

    # --- pages ---------------------------------------------------------------------------

    def upload_next(self, counts: dict[str, Any],
                    between_chunks: Callable[[], None] = lambda: None,
                    skip: Collection[str] = ()) -> bool:
        """Upload (or resume) the next page the outbox needs, but those in ``skip``; False
        when none is left.

        :raises BlobRefused: the hub refused this page (the caller lets it wait).
        """
        rows = [r for r in sync_state.blobs_to_upload(self.site.store, limit=len(skip) + 1)
                if r.sha256 not in skip]
        if not rows or self.stop.is_set():
            return False
        row = rows[0]
        plain = self._plain(row)
        if plain is None:
            return True
        plain_sha = hashlib.sha256(plain).hexdigest()
        state = UploadState(row.upload_url, row.upload_offset, row.upload_expires)
        if row.plain_sha256 != plain_sha or row.plain_size != len(plain):
            sync_state.start_upload(self.site.store, row.sha256, plain_sha, len(plain))
            state = UploadState()
        tus = self._tus_client()
        last = {"url": state.url, "offset": state.offset}

        def progress(now: UploadState) -> None:
            if now.url == last["url"] and now.offset > last["offset"]:
                counts["blob_bytes"] += now.offset - last["offset"]
            last.update(url=now.url, offset=now.offset)
            sync_state.upload_progress(self.site.store, row.sha256, now.url, now.offset,
                                       now.expires)
            self.on_change()

        pushed_failed: list[BaseException] = []

        def between() -> None:
            try:
                between_chunks()
            except BaseException as exc:
                pushed_failed.append(exc)
                raise

        try:
            done = tus.upload(plain, metadata={"sha256": plain_sha, "filetype": row.media_type,
                                               "filename": plain_sha},
                              state=state, on_progress=progress, between_chunks=between,
                              stop=self.stop.is_set)
        except Refused as exc:
            if pushed_failed:
                raise  # an op batch failed between two chunks, not this page
            raise BlobRefused(row.sha256, exc) from exc
        if done:
            sync_state.upload_done(self.site.store, row.sha256)
            log.info("page %s uploaded (%d bytes)", plain_sha[:12], len(plain))
        return True

    def _tus_client(self) -> TusClient:
        """One per pusher: the hub's tus options are asked once a cycle."""
        if self._tus is None:
            self._tus = TusClient(self._call, self.hub.url("/v1/blobs"),
                                  chunk_size=self.settings.chunk_bytes, bucket=self.bucket,
                                  now=self.hub.hub_now, retry_cap_s=self.settings.backoff_cap_s)
        return self._tus

    def _plain(self, row: sync_state.BlobRow) -> bytes | None:
        """The page as captured, or None after marking it lost."""
        try:
            sealed = self.site.blobs.read(row.sha256)
            if row.key_id is None:
                return sealed
            return self.site.data_key(row.key_id).decrypt(sealed, BLOB_CONTEXT)
        except BlobMissing:
            reason = "missing"
        except (BlobCorrupt, DecryptionFailed):
            reason = "corrupt"
        except KeyShredded:
            reason = "key_destroyed"
        log.warning("page file %s is %s: its ops go without it", row.sha256[:12], reason)
        sync_state.mark_lost(self.site.store, self.site.clock, row.sha256, reason)
        return None

    def _call(self, method: str, url: str, headers: Mapping[str, str],
              body: bytes | None) -> Answer:
        return self.hub.request(method, url, headers=headers, body=body or None)


def _now(site: Site) -> str:
    return iso(site.clock.now())
