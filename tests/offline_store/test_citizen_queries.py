"""What the citizen kiosk reads from the store (issue 9): the keyed token on paper codes, a
citizen's own cases and result documents (offline_store/case_progress.py), and checking a
booking in (offline_store/appointments.py), on a real site store."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from offline_store import appointments, case_progress, cases, retention, sync_state, tickets
from offline_store.cases import BLOB_CONTEXT
from offline_store.clock import FixedClock
from offline_store.crypto import SM4_GCM, KeyRing
from offline_store.ratings import add_rating
from offline_store.site import Site, init_site

ZHANG = {"name": "张三", "id_number": "110105194912310021"}
LI = {"name": "李秀英", "id_number": "11010519491231002X"}
DAY = dt.date(2026, 11, 24)


def _case(site: Site, person: dict[str, str], material: str = "captured") -> dict[str, str]:
    return cases.add_case(
        site, site_code="T0001", local_day=DAY, applicant=person, item_codes=["X"],
        catalogue_version="test", promised_date="2026-12-08",
        materials=[cases.MaterialRecord("M1", material, [b"page" * 10]
                                        if material == "captured" else [],
                                        due_date="2026-12-01" if material == "deferred"
                                        else None)])


def _result(site: Site, case_id: str, data: bytes) -> str:
    key, new = sync_state.case_key(site, case_id)  # type: ignore[misc]
    sealed = key.encrypt(data, BLOB_CONTEXT)
    plain = hashlib.sha256(data).hexdigest()
    sync_state.save_result(site, case_id=case_id, key=key, new_key=new,
                           sealed_sha=site.blobs.put(sealed), sealed_size=len(sealed),
                           plain_sha256=plain, plain_size=len(data),
                           media_type="application/pdf", name="准予登记通知书")
    return plain


def test_a_code_token_is_keyed_short_and_checked_in_constant_time(tmp_path: Path) -> None:
    ring = KeyRing(b"k" * 32)
    token = ring.code_token("receipt", "T0001-20261124-0001")
    assert re.fullmatch(r"[a-z2-7]{12}", token)
    assert token == ring.code_token("receipt", "T0001-20261124-0001")
    # another number, another kind, another site: another token
    assert token != ring.code_token("receipt", "T0001-20261124-0002")
    assert token != ring.code_token("ticket", "T0001-20261124-0001")
    assert token != KeyRing(b"j" * 32).code_token("receipt", "T0001-20261124-0001")
    assert ring.check_code_token("receipt", "T0001-20261124-0001", f" {token.upper()} ")
    assert not ring.check_code_token("receipt", "T0001-20261124-0001", "a" * 12)
    assert not ring.check_code_token("receipt", "T0001-20261124-0001", "票" * 12)
    sm = KeyRing(b"k" * 32, cipher=SM4_GCM, index_hash="sm3")
    assert re.fullmatch(r"[a-z2-7]{12}", sm.code_token("receipt", "x"))


def test_a_citizen_finds_only_their_own_cases_newest_first(site: Site,
                                                           clock: FixedClock) -> None:
    older = _case(site, ZHANG)
    clock.advance(hours=1)
    newer = _case(site, ZHANG, material="deferred")
    others = _case(site, LI)
    found = case_progress.of_applicant(site, ZHANG["id_number"].lower())
    assert [r["id"] for r in found] == [newer["id"], older["id"]]
    assert found[0]["applicant"] == ZHANG and found[0]["owed"] == [
        {"code": "M1", "due": "2026-12-01"}]
    assert found[1]["owed"] == [] and found[1]["promised_date"] == "2026-12-08"
    assert [r["id"] for r in case_progress.of_applicant(site, LI["id_number"])] == \
        [others["id"]]
    assert case_progress.of_applicant(site, ZHANG["id_number"], limit=1)[0]["id"] == newer["id"]
    by_no = case_progress.by_receipt_no(site, others["receipt_no"])
    assert by_no is not None and by_no["id"] == others["id"]
    assert case_progress.by_receipt_no(site, "T0001-20261124-9999") is None


def test_rated_and_results_of_a_case(site: Site) -> None:
    made = _case(site, ZHANG)
    with site.store.write() as conn:
        add_rating(conn, site, level=5, channel="kiosk", case_id=made["id"])
    data = b"%PDF-1.4 result"
    plain = _result(site, made["id"], data)
    row = case_progress.by_receipt_no(site, made["receipt_no"])
    assert row is not None and row["rated"] is True
    assert [(r["id"], r["name"], r["media_type"]) for r in row["results"]] == [
        (plain, "准予登记通知书", "application/pdf")]
    assert case_progress.open_result(site, made["id"], plain) == (
        data, "application/pdf", "准予登记通知书")
    assert case_progress.open_result(site, made["id"], "0" * 64) is None
    assert case_progress.applicant_matches(site, made["id"], ZHANG["id_number"]) is True
    assert case_progress.applicant_matches(site, made["id"], LI["id_number"]) is False
    assert case_progress.applicant_matches(site, "no-such-case", LI["id_number"]) is None


def test_a_purged_case_keeps_its_row_but_not_its_name_or_documents(
        site: Site, clock: FixedClock) -> None:
    made = _case(site, ZHANG, material="waived")  # no page waits for its upload
    plain = _result(site, made["id"], b"%PDF-1.4 result")
    sent = sync_state.claim_ready(site.store, clock, limit=10, lease_s=300)
    sync_state.record_results(site, sent, [{"op_id": op.op_id, "status": "applied"}
                                           for op in sent])
    clock.advance(days=31)
    assert made["id"] in retention.purge_acknowledged(site, 30)
    row = case_progress.of_applicant(site, ZHANG["id_number"])[0]
    assert row["applicant"] is None and row["results"] == []
    assert case_progress.open_result(site, made["id"], plain) is None


def _booking(site: Site, status: str = "booked") -> None:
    with site.store.write() as conn:
        sync_state.apply_appointment(conn, site, {
            "id": "ap1", "category": "A", "start": "2026-11-24T02:00:00Z",
            "end": "2026-11-24T02:30:00Z", "code": "K7Q2", "status": status, "holder": LI})


def test_a_check_in_is_linked_to_its_ticket_and_a_void_gives_the_booking_back(
        site: Site) -> None:
    _booking(site)
    assert appointments.by_code(site, "K7Q2")["status"] == "booked"  # type: ignore[index]
    assert appointments.by_code(site, "K7Q3") is None
    ticket = tickets.issue(site, service_day="2026-11-24", category="A",
                           channel="appointment")["id"]
    with site.store.write() as conn:
        assert appointments.checked_in_ticket(conn, "ap1", "2026-11-24") is None
        appointments.check_in(conn, site.clock, "ap1", ticket)
        assert appointments.get(conn, "ap1")["status"] == "checked_in"  # type: ignore[index]
        # a ticket without the slot written is not a check-in's (the engine writes it)
        assert appointments.checked_in_ticket(conn, "ap1", "2026-11-24") is None
        conn.execute("UPDATE tickets SET appointment_start = 'x', appointment_end = 'y'")
        assert appointments.checked_in_ticket(conn, "ap1", "2026-11-24") == ticket
        assert appointments.checked_in_ticket(conn, "ap1", "2026-11-25") is None
    # the county sends the booking again: it stays checked in; a cancellation wins
    _booking(site)
    assert appointments.by_code(site, "K7Q2")["status"] == "checked_in"  # type: ignore[index]
    with site.store.write() as conn:
        conn.execute("UPDATE tickets SET outcome = 'voided', status = 'done'")
        assert appointments.undo_check_in(conn, site.clock, ticket) == "ap1"
        assert appointments.checked_in_ticket(conn, "ap1", "2026-11-24") is None
        assert appointments.undo_check_in(conn, site.clock, "another") is None
    assert appointments.by_code(site, "K7Q2")["status"] == "booked"  # type: ignore[index]
    _booking(site, status="cancelled")
    assert appointments.by_code(site, "K7Q2")["status"] == "cancelled"  # type: ignore[index]


def test_the_store_keeps_no_code_token_or_number_in_clear(tmp_path: Path,
                                                          clock: FixedClock) -> None:
    # the token is computed, never stored: a stolen store file does not hold one
    site, _ = init_site(tmp_path / "s", clock=clock)
    try:
        made = _case(site, ZHANG)
        token = site.keys.code_token("receipt", made["receipt_no"])
    finally:
        site.close()
    for path in (tmp_path / "s").rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes()
