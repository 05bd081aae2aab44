"""How an op goes on the wire: pages named as uploaded, lost pages listed, batches of at most
100 ops, compressed when large (and the hub reads them so)."""

from __future__ import annotations

import gzip
import json

from offline_store import sync_state, tickets
from offline_store.outbox import OutboxOp
from offline_store.site import Site
from sync.daemon import Daemon, SyncSettings
from sync.daemon.push import GZIP_FROM_BYTES, encode_batch, map_hashes, wire_op
from sync.hub.server import RunningHub
from sync.protocol.messages import OpsBatch

from .conftest import SITE

SEALED = ["a" * 64, "b" * 64, "c" * 64]
PLAIN = ["1" * 64, "2" * 64]


def _row(sealed: str, plain: str | None, state: str) -> sync_state.BlobRow:
    return sync_state.BlobRow(sealed, 10, "k", "image/jpeg", state, None, 0, None, plain, 8)


def test_map_hashes_replaces_every_reference_and_nothing_else() -> None:
    payload = {"materials": [{"pages": [SEALED[0], SEALED[1]], "note": SEALED[0] + "x"}],
               SEALED[0]: {"nested": [SEALED[1], 3, None, True]}, "other": "d" * 64}
    mapping = {SEALED[0]: PLAIN[0], SEALED[1]: PLAIN[1]}
    assert map_hashes(payload, mapping) == {
        "materials": [{"pages": [PLAIN[0], PLAIN[1]], "note": SEALED[0] + "x"}],
        PLAIN[0]: {"nested": [PLAIN[1], 3, None, True]}, "other": "d" * 64}


def test_a_wire_op_lists_pages_as_uploaded_and_the_lost_ones_apart() -> None:
    op = OutboxOp(7, "op-1", "case", "c-1", "accepted", "k", b"", tuple(SEALED), 0,
                  "2026-11-24T02:00:00.000Z", True)
    rows = {SEALED[0]: _row(SEALED[0], PLAIN[0], "uploaded"),
            SEALED[1]: _row(SEALED[1], PLAIN[1], "uploading")}  # lost mid-upload
    lost = {SEALED[1]: {"reason": "corrupt"}}  # and SEALED[2] has no row at all
    wire = wire_op(op, {"pages": SEALED}, rows, lost)
    assert wire["blobs"] == [PLAIN[0]]
    assert wire["blobs_lost"] == [PLAIN[1], SEALED[2]]
    assert wire["payload"] == {"pages": [PLAIN[0], PLAIN[1], SEALED[2]]}
    OpsBatch.model_validate({"batch_id": "b", "ops": [wire]})  # what the hub accepts


def test_large_batches_are_gzipped_small_ones_not() -> None:
    small, headers = encode_batch("b", [{"op_id": "x"}])
    assert "Content-Encoding" not in headers and json.loads(small)["batch_id"] == "b"
    ops = [{"op_id": str(i), "payload": {"text": "窗口" * 50}} for i in range(100)]
    body, headers = encode_batch("b", ops)
    assert headers["Content-Encoding"] == "gzip"
    plain = gzip.decompress(body)
    assert len(plain) > GZIP_FROM_BYTES > len(body)
    assert len(json.loads(plain)["ops"]) == 100


def test_a_backlog_goes_in_batches_of_at_most_100_gzipped(
        enrolled: Site, hub: RunningHub) -> None:
    for _ in range(230):
        tickets.issue(enrolled, service_day="2026-11-24", category="A", channel="kiosk")
    counts = Daemon(enrolled, SyncSettings(site_code=SITE, health_port=0)).run_once()
    assert counts["errors"] == [] and counts["acked"] == 231  # and the audit summary
    assert hub.admin.stats()["sites"][SITE]["ops"] == 231
