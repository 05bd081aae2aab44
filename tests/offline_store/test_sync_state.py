"""The sync daemon's side of the store (offline_store/sync_state.py): which ops may go, the
hub's answers recorded in one transaction, pages' upload state, held pulled items and their
effects, the status figures."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from typing import Any

import pytest

from offline_store import cases, outbox, retention, sync_state, tickets
from offline_store.clock import FixedClock, iso
from offline_store.errors import KeyShredded
from offline_store.ratings import add_rating
from offline_store.site import Site

PERSON = {"name": "张三", "id_number": "110105194912310021"}
DAY = dt.date(2026, 11, 24)


def _case(site: Site, pages: int = 1) -> dict[str, Any]:
    return cases.add_case(
        site, site_code="T0001", local_day=DAY, applicant=PERSON, item_codes=["X"],
        catalogue_version="test",
        materials=[cases.MaterialRecord("M1", "captured",
                                        [f"page {i}".encode() * 50 for i in range(pages)])]
        if pages else [])


def _ticket(site: Site) -> str:
    return tickets.issue(site, service_day="2026-11-24", category="A", channel="kiosk")["id"]


def _supply(site: Site, case_id: str, data: bytes | None = None) -> dict[str, Any]:
    material = cases.MaterialRecord("M2", "captured", [data]) if data else None
    with site.store.write() as conn:
        return cases.move_case(conn, site, case_id, status="accepted", op="material_supplied",
                               entry={"kind": "supplied"}, material=material)


def _ops(site: Site) -> list[dict[str, Any]]:
    return site.store.query("SELECT * FROM outbox ORDER BY seq")


def _claim(site: Site, limit: int = 100) -> list[str]:
    return [op.op_id for op in sync_state.claim_ready(site.store, site.clock, limit=limit,
                                                      lease_s=300)]


def _uploaded(site: Site, sha: str) -> None:
    sync_state.start_upload(site.store, sha, hashlib.sha256(sha.encode()).hexdigest(), 10)
    sync_state.upload_done(site.store, sha)


# --- which ops may go ----------------------------------------------------------------------


def test_metadata_goes_ahead_of_pages_but_a_record_keeps_its_order(site: Site) -> None:
    case = _case(site)
    _supply(site, case["id"])  # a later op of the same case, naming no page
    ticket = _ticket(site)
    case_ops = [o["op_id"] for o in _ops(site) if o["entity"] == "case"]
    ticket_op = next(o["op_id"] for o in _ops(site) if o["entity_id"] == ticket)

    # The case's page is not uploaded: both case ops wait, the ticket goes.
    assert _claim(site) == [ticket_op]

    _uploaded(site, case["blob_hashes"][0])
    assert _claim(site) == case_ops


def test_a_not_yet_due_op_holds_back_its_record_only(site: Site, clock: FixedClock) -> None:
    first, second = _ticket(site), _ticket(site)
    with site.store.write() as conn:  # a later op of the first ticket
        outbox.enqueue(conn, clock, entity="ticket", entity_id=first, op="ended", payload={})
    ops = _ops(site)
    assert _claim(site, limit=1) == [ops[0]["op_id"]]
    sync_state.record_results(site, [_op(site, ops[0]["op_id"])],
                              [{"op_id": ops[0]["op_id"], "status": "deferred"}],
                              rng=random.Random(1))
    # The first ticket's issue is deferred: its "ended" waits, the second ticket goes.
    assert _claim(site) == [ops[1]["op_id"]]
    assert ops[1]["entity_id"] == second
    sync_state.record_results(site, [_op(site, ops[1]["op_id"])],
                              [{"op_id": ops[1]["op_id"], "status": "applied"}])
    clock.advance(minutes=16)
    assert _claim(site) == [ops[0]["op_id"], ops[2]["op_id"]]


def _op(site: Site, op_id: str) -> outbox.OutboxOp:
    row = site.store.conn.execute(
        "SELECT seq, op_id, entity, entity_id, op, key_id, payload, blob_hashes, attempts,"
        " created_at, clock_synced FROM outbox WHERE op_id = ?", (op_id,)).fetchone()
    return sync_state._op(row)


def test_a_lease_blocks_until_it_runs_out_and_release_hands_ops_back(
        site: Site, clock: FixedClock) -> None:
    _ticket(site)
    claimed = _claim(site)
    assert claimed and _claim(site) == []  # leased
    clock.advance(seconds=301)
    assert _claim(site) == claimed  # the sender died: claimable again
    sync_state.release(site.store, claimed)
    assert _ops(site)[0]["state"] == "pending" and _ops(site)[0]["attempts"] == 0
    assert _claim(site) == claimed
    assert sync_state.release_all_claims(site.store) == 1
    assert _claim(site) == claimed


def test_a_lost_page_does_not_hold_its_op_forever(site: Site) -> None:
    case = _case(site)
    assert _claim(site) == []
    sync_state.mark_lost(site.store, site.clock, case["blob_hashes"][0], "missing")
    assert len(_claim(site)) == 1
    assert sync_state.lost_blobs(site.store)[case["blob_hashes"][0]]["reason"] == "missing"
    assert "lost_blob:" not in json.dumps(sync_state.values(site.store))
    actions = [r["action"] for r in site.store.query("SELECT action FROM audit_log")]
    assert "sync.blob_lost" in actions


# --- answers -------------------------------------------------------------------------------


def test_an_answer_is_recorded_in_one_transaction(site: Site, clock: FixedClock) -> None:
    case = _case(site, pages=0)
    ticket_ids = [_ticket(site) for _ in range(3)]
    ops = {o["entity_id"]: o["op_id"] for o in _ops(site)}
    sent = sync_state.claim_ready(site.store, clock, limit=10, lease_s=300)
    begins: list[str] = []
    site.store.conn.set_trace_callback(lambda sql: begins.append(sql) if sql.startswith(
        "BEGIN") else None)
    try:
        counts = sync_state.record_results(site, sent, [
            {"op_id": ops[case["id"]], "status": "applied", "server_ref": "BM20261124000123"},
            {"op_id": ops[ticket_ids[0]], "status": "duplicate", "server_ref": None},
            {"op_id": ops[ticket_ids[1]], "status": "rejected", "code": "unknown_window",
             "message": "窗口不存在 / no such window"},
            {"op_id": "not-in-this-batch", "status": "applied"},
        ], rng=random.Random(2))
    finally:
        site.store.conn.set_trace_callback(None)
    assert begins == ["BEGIN IMMEDIATE"]
    assert counts == {"acked": 2, "rejected": 1, "deferred": 1}  # the unanswered one
    rows = {r["entity_id"]: r for r in _ops(site)}
    assert rows[case["id"]]["state"] == "acked"
    assert rows[case["id"]]["server_ref"] == "BM20261124000123"
    assert site.store.query("SELECT official_no FROM cases")[0]["official_no"] == \
        "BM20261124000123"
    assert rows[ticket_ids[1]]["state"] == "rejected"
    assert rows[ticket_ids[1]]["last_error"].startswith("unknown_window: 窗口不存在")
    assert rows[ticket_ids[2]]["state"] == "pending" and rows[ticket_ids[2]]["attempts"] == 1
    assert rows[ticket_ids[2]]["next_at"] >= iso(clock.now())
    assert sync_state.values(site.store)["acked_total"] == 2

    # Acknowledging again (a replayed answer) counts nothing twice.
    again = sync_state.record_results(site, sent, [
        {"op_id": ops[case["id"]], "status": "duplicate", "server_ref": "BM20261124000123"}])
    assert again["acked"] == 0
    assert sync_state.values(site.store)["acked_total"] == 2


def test_a_page_the_hub_lacks_is_uploaded_again(site: Site) -> None:
    case = _case(site)
    sha = case["blob_hashes"][0]
    _uploaded(site, sha)
    plain = sync_state.blob_rows(site.store, [sha])[sha].plain_sha256
    sent = sync_state.claim_ready(site.store, site.clock, limit=10, lease_s=300)
    assert sync_state.blobs_to_upload(site.store) == []
    sync_state.record_results(site, sent, [{"op_id": sent[0].op_id, "status": "deferred",
                                            "code": "blob_missing", "missing": [plain]}])
    again = sync_state.blobs_to_upload(site.store)
    assert [b.sha256 for b in again] == [sha] and again[0].state == "local"


def test_upload_state_survives_between_chunks(site: Site) -> None:
    first, second = _case(site), _case(site)
    shas = [first["blob_hashes"][0], second["blob_hashes"][0]]
    assert [b.sha256 for b in sync_state.blobs_to_upload(site.store)] == shas
    sync_state.start_upload(site.store, shas[1], "ab" * 32, 300)
    sync_state.upload_progress(site.store, shas[1], "http://hub/v1/blobs/x", 100,
                               "2026-11-25T02:00:00.000Z")
    resumed = sync_state.blobs_to_upload(site.store)[0]  # a cut upload comes first
    assert (resumed.sha256, resumed.state, resumed.upload_url, resumed.upload_offset) == \
        (shas[1], "uploading", "http://hub/v1/blobs/x", 100)
    assert sync_state.figures(site.store, site.clock)["blobs_pending_bytes"] == \
        200 + sync_state.blob_rows(site.store, [shas[0]])[shas[0]].size
    sync_state.upload_done(site.store, shas[1])
    assert [b.sha256 for b in sync_state.blobs_to_upload(site.store)] == shas[:1]


# --- pulled items --------------------------------------------------------------------------


def _status(case_id: str, status: str, kind: str) -> dict[str, Any]:
    return {"case_id": case_id, "official_no": "BM20261124000007", "status": status,
            "step": {"kind": kind, "at": "2026-11-24T03:00:00Z", "by": "县审批局", "note": ""}}


def test_a_county_status_is_held_while_the_case_has_ops_to_deliver(site: Site) -> None:
    case = _case(site, pages=0)
    with site.store.write() as conn:
        assert sync_state.case_undelivered(conn, case["id"])
        sync_state.hold(conn, site.clock, "case_status", case["id"],
                        _status(case["id"], "in_review", "review"))
        sync_state.hold(conn, site.clock, "case_status", case["id"],  # newer replaces older
                        _status(case["id"], "done", "done"))
    assert sync_state.release_held(site) == 0  # still undelivered
    assert site.store.query("SELECT county_status FROM cases")[0]["county_status"] is None

    sent = sync_state.claim_ready(site.store, site.clock, limit=10, lease_s=300)
    sync_state.record_results(site, sent, [{"op_id": sent[0].op_id, "status": "applied"}])
    assert sync_state.release_held(site) == 1
    row = site.store.query("SELECT county_status, county_history, official_no FROM cases")[0]
    assert row["county_status"] == "done" and row["official_no"] == "BM20261124000007"
    assert [s["kind"] for s in json.loads(row["county_history"])] == ["done"]
    assert site.store.query("SELECT count(*) AS n FROM sync_held")[0]["n"] == 0


def test_applying_a_county_status_twice_appends_its_step_once(site: Site) -> None:
    case = _case(site, pages=0)
    with site.store.write() as conn:
        for item in (_status(case["id"], "in_review", "review"),
                     _status(case["id"], "in_review", "review"),
                     _status(case["id"], "done", "done")):
            assert sync_state.apply_case_status(conn, site.clock, item)
        assert not sync_state.apply_case_status(conn, site.clock, _status("nope", "done", "x"))
    history = json.loads(site.store.query("SELECT county_history FROM cases")[0]
                         ["county_history"])
    assert [s["kind"] for s in history] == ["review", "done"]


def test_a_result_document_is_kept_sealed_under_the_case_key_or_a_new_one(
        site: Site, clock: FixedClock) -> None:
    case = _case(site, pages=0)
    key, new = sync_state.case_key(site, case["id"])
    assert not new
    doc = b"%PDF-1.7 result"
    sealed = key.encrypt(doc, cases.BLOB_CONTEXT)
    sealed_sha = site.blobs.put(sealed)
    plain_sha = hashlib.sha256(doc).hexdigest()
    sync_state.save_result(site, case_id=case["id"], key=key, new_key=new, sealed_sha=sealed_sha,
                           sealed_size=len(sealed), plain_sha256=plain_sha, plain_size=len(doc),
                           media_type="application/pdf", name="决定书.pdf")
    assert sync_state.has_result(site.store, case["id"], plain_sha)
    assert doc not in site.blobs.path(sealed_sha).read_bytes()
    row = site.store.query("SELECT * FROM blobs WHERE sha256 = ?", [sealed_sha])[0]
    assert (row["state"], row["plain_sha256"]) == ("uploaded", plain_sha)

    # Once the case's key is destroyed, a later document gets a key of its own.
    sent = sync_state.claim_ready(site.store, clock, limit=10, lease_s=300)
    sync_state.record_results(site, sent, [{"op_id": sent[0].op_id, "status": "applied"}])
    clock.advance(days=31)
    assert retention.purge_acknowledged(site, 30) == [case["id"]]
    with pytest.raises(KeyShredded):
        site.data_key(key.key_id)
    other, new = sync_state.case_key(site, case["id"])
    assert new and other.key_id != key.key_id
    assert sync_state.case_key(site, "no-such-case") is None


def test_an_appointment_holder_is_sealed_and_found_by_blind_index(site: Site) -> None:
    item = {"id": "ap1", "category": "A", "start": "2026-11-25T01:00:00Z",
            "end": "2026-11-25T01:30:00Z", "code": "K7Q2", "status": "booked",
            "holder": PERSON}
    with site.store.write() as conn:
        sync_state.apply_appointment(conn, site, item)
        sync_state.apply_appointment(conn, site, {**item, "status": "cancelled"})
        # The county moves the code to another booking: the old one gives it up.
        sync_state.apply_appointment(conn, site, {**item, "id": "ap2", "holder": None})
    rows = site.store.query("SELECT * FROM appointments ORDER BY id")
    assert [r["id"] for r in rows] == ["ap2"]
    with site.store.write() as conn:
        sync_state.apply_appointment(conn, site, {**item, "code": "K7Q3"})
    row = site.store.query("SELECT * FROM appointments WHERE id = 'ap1'")[0]
    assert row["holder_index"] == site.keys.blind_index(PERSON["id_number"])
    assert PERSON["id_number"].encode() not in row["holder"]
    assert sync_state.appointment_holder(site, "ap1") == PERSON
    assert sync_state.appointment_holder(site, "ap2") is None


@pytest.mark.parametrize("typed", ["13800138000", "138 0013 8000", "+86 138-0013-8000",
                                   "0086 13800138000", "１３８００１３８０００"])
def test_a_booking_is_found_by_the_phone_however_it_is_typed(site: Site, typed: str) -> None:
    slot = {"category": "A", "end": "2026-11-25T01:30:00Z", "status": "booked"}
    with site.store.write() as conn:
        sync_state.apply_appointment(conn, site, {
            **slot, "id": "ap2", "start": "2026-11-26T01:00:00Z", "code": "K7Q3",
            "holder": {"name": "李秀英", "phone": "13800138000"}})
        sync_state.apply_appointment(conn, site, {
            **slot, "id": "ap1", "start": "2026-11-25T01:00:00Z", "code": "K7Q2",
            "holder": {"name": "李秀英", "phone": "138-0013-8000"}})
        sync_state.apply_appointment(conn, site, {
            **slot, "id": "ap3", "start": "2026-11-25T02:00:00Z", "code": "K7Q4",
            "holder": {"name": "王桂兰", "phone": "13900139000"}})
    found = sync_state.appointments_by_phone(site, typed)
    assert [r["id"] for r in found] == ["ap1", "ap2"]
    assert "holder" not in found[0]
    assert sync_state.appointments_by_phone(site, "13800138001") == []
    # the phone is kept only sealed and as an index that no ID number's index can equal
    raw = site.store.query("SELECT phone_index, holder FROM appointments WHERE id = 'ap2'")[0]
    assert b"13800138000" not in raw["holder"] and b"13800138000" not in raw["phone_index"]
    assert raw["phone_index"] != site.keys.blind_index("13800138000")


def test_a_rectification_step_from_the_county_is_appended_once(site: Site) -> None:
    with site.store.write() as conn:
        rating = add_rating(conn, site, level=1, channel="counter",
                            rectification={"stage": "verify", "deadline": "2026-12-15",
                                           "status": "open"})
    item = {"id": rating["rectification_id"], "stage": "closed", "status": "closed",
            "entry": {"kind": "closed", "by": "县政务服务中心", "note": "已回访"}}
    with site.store.write() as conn:
        assert sync_state.apply_rectification(conn, site.clock, item)
        assert sync_state.apply_rectification(conn, site.clock, item)
        assert not sync_state.apply_rectification(conn, site.clock, {**item, "id": "none"})
    row = site.store.query("SELECT stage, status, history FROM rectifications")[0]
    assert (row["stage"], row["status"]) == ("closed", "closed")
    assert json.loads(row["history"]) == [item["entry"]]


def test_cursors_are_set_in_the_callers_transaction_and_dropped(site: Site) -> None:
    assert sync_state.cursor(site.store, "catalogue") == (None, None)
    with pytest.raises(RuntimeError), site.store.write() as conn:
        sync_state.set_cursor(conn, site.clock, "catalogue", "17", "h1")
        raise RuntimeError("the page's items failed")
    assert sync_state.cursor(site.store, "catalogue") == (None, None)
    with site.store.write() as conn:
        sync_state.set_cursor(conn, site.clock, "catalogue", "17", "h1")
    assert sync_state.cursor(site.store, "catalogue") == ("17", "h1")
    sync_state.drop_cursor(site.store, site.clock, "catalogue")
    assert sync_state.cursor(site.store, "catalogue") == (None, None)


# --- enrolment, state, figures -------------------------------------------------------------


def test_enrolment_keeps_the_private_key_sealed_and_replaces_it(site: Site) -> None:
    assert sync_state.load_enrolment(site) is None
    secret = bytes(range(32))
    sync_state.save_enrolment(site, site_code="S01", hub_url="http://hub", key_id="k1",
                              private_key=secret, public_key="pub1")
    first = sync_state.load_enrolment(site)
    assert first is not None and first.private_key == secret and first.key_id == "k1"
    stored = site.store.query("SELECT private_key, data_key_id FROM sync_enrolment")[0]
    assert secret not in stored["private_key"]
    sync_state.save_enrolment(site, site_code="S01", hub_url="http://hub", key_id="k2",
                              private_key=bytes(32), public_key="pub2")
    assert sync_state.load_enrolment(site).key_id == "k2"  # type: ignore[union-attr]
    with pytest.raises(KeyShredded):
        site.data_key(stored["data_key_id"])
    assert sync_state.enrolled(site.store)["site"] == "S01"  # type: ignore[index]


def test_state_values_round_trip(site: Site) -> None:
    sync_state.save(site.store, site.clock, last_push="t", clock_offset_s=-3.5,
                    reconcile={"ok": True})
    sync_state.save(site.store, site.clock, last_push="u")
    assert sync_state.values(site.store) == {"last_push": "u", "clock_offset_s": -3.5,
                                             "reconcile": {"ok": True}}


def test_figures_with_nothing_pending_and_with_an_old_op(site: Site, clock: FixedClock) -> None:
    figures = sync_state.figures(site.store, clock)
    assert figures["outbox_pending"] == 0 and figures["oldest_pending_age_s"] is None
    assert figures["blobs_pending_bytes"] == 0
    _ticket(site)
    clock.advance(seconds=90)
    _ticket(site)
    figures = sync_state.figures(site.store, clock)
    assert figures["outbox_pending"] == 2 and figures["oldest_pending_age_s"] == 90.0


def test_an_op_the_site_cannot_read_is_rejected_locally_and_audited(site: Site) -> None:
    _ticket(site)
    op_id = _ops(site)[0]["op_id"]
    sync_state.reject_locally(site.store, site.clock, op_id, "unreadable at the site")
    assert _ops(site)[0]["state"] == "rejected"
    assert sync_state.figures(site.store, site.clock)["rejected"] == 1
    assert sync_state.rejected_ops(site.store)[0]["reason"] == "unreadable at the site"


def test_the_audit_summary_is_queued_once_per_day_with_counts_only(
        site: Site, clock: FixedClock) -> None:
    _ticket(site)
    start = clock.now() - dt.timedelta(hours=1)
    counts = sync_state.audit_counts(site.store, start, start + dt.timedelta(days=1))
    assert counts == {"store.created": 1}
    assert sync_state.enqueue_audit_summary(site, "2026-11-23", {"counts": counts})
    assert not sync_state.enqueue_audit_summary(site, "2026-11-23", {"counts": counts})
    assert not sync_state.enqueue_audit_summary(site, "2026-11-22", {"counts": counts})
    ops = [o for o in _ops(site) if o["entity"] == "audit"]
    assert [(o["entity_id"], o["op"], o["key_id"]) for o in ops] == \
        [("2026-11-23", "summary", None)]


def test_the_reconciliation_window_skips_pruned_and_undelivered_ops(
        site: Site, clock: FixedClock) -> None:
    assert sync_state.acked_window(site.store) is None
    for _ in range(5):
        _ticket(site)
    ops = _ops(site)
    sent = sync_state.claim_ready(site.store, clock, limit=10, lease_s=300)
    acks = [{"op_id": o["op_id"], "status": "applied"} for o in ops if o["seq"] != ops[3]["seq"]]
    sync_state.record_results(site, sent, acks)
    with site.store.write() as conn:  # the first op was pruned long ago
        conn.execute("DELETE FROM outbox WHERE seq = ?", (ops[1]["seq"],))
    window = sync_state.acked_window(site.store)
    assert window is not None
    assert (window["from_seq"], window["to_seq"]) == (ops[2]["seq"], ops[2]["seq"])
    expected = hashlib.sha256(f"{ops[2]['op_id']}\n".encode()).hexdigest()
    assert (window["ops"], window["hash"]) == (1, expected)
