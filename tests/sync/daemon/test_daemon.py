"""The sync daemon against the real hub on loopback (``sync.hub.server.running_hub``): what
it delivers, in which order, how it resumes, what it brings back, and what it does when
the hub refuses, is away, or lives in another decade."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from typing import Any

import pytest

from offline_store import cases, outbox, sync_state, tickets
from offline_store.clock import FixedClock
from offline_store.errors import KeyShredded
from offline_store.ratings import add_rating
from offline_store.site import Site
from sync.daemon import Daemon, SyncSettings, enrol, status
from sync.daemon.errors import ItemRefused
from sync.daemon.status import KEYS
from sync.hub.server import RunningHub
from sync.protocol import signing
from tests.support.faultproxy import FaultProxy

from .conftest import SITE, HubClock

PERSON = {"name": "李秀英", "id_number": "110105194912310021", "phone": "13800138000"}
DAY = dt.date(2026, 11, 24)
CHUNK = 64 * 1024


def _case(site: Site, pages: list[bytes]) -> dict[str, Any]:
    return cases.add_case(site, site_code=SITE, local_day=DAY, applicant=PERSON,
                          item_codes=["SMP-001"], catalogue_version="t",
                          materials=[cases.MaterialRecord("M1", "captured", pages)])


def _ticket(site: Site) -> str:
    return tickets.issue(site, service_day="2026-11-24", category="A", channel="kiosk")["id"]


def _outbox(site: Site, *, audit: bool = False) -> list[dict[str, Any]]:
    """The outbox; without the daily audit summary the first cycle adds, unless asked."""
    return [o for o in site.store.query(
        "SELECT op_id, entity, entity_id, op, state, attempts, server_ref FROM outbox"
        " ORDER BY seq") if audit or o["entity"] != "audit"]


SUMMARY = 1
"""The first cycle of a day also sends yesterday's audit summary (counted in ``acked``)."""


class Recorder:
    """A notifier that remembers what it was told (systemd is not there in a test)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.on_watchdog = lambda: None

    def ready(self) -> None:
        self.lines.append("READY=1")

    def watchdog(self) -> None:
        self.lines.append("WATCHDOG=1")
        self.on_watchdog()

    def status(self, text: str) -> None:
        self.lines.append(f"STATUS={text}")

    def stopping(self) -> None:
        self.lines.append("STOPPING=1")


# --- delivery ------------------------------------------------------------------------------


def test_a_cycle_delivers_records_and_plain_pages_and_keeps_the_official_number(
        enrolled: Site, hub: RunningHub, settings: SyncSettings) -> None:
    pages = [os.urandom(3 * CHUNK + 7), b"second page"]
    case = _case(enrolled, pages)
    _ticket(enrolled)
    with enrolled.store.write() as conn:
        add_rating(conn, enrolled, level=5, channel="counter", case_id=case["id"])

    counts = Daemon(enrolled, settings).run_once()

    assert counts["errors"] == [] and counts["acked"] == counts["pushed"] == 3 + SUMMARY
    assert counts["blob_bytes"] == sum(len(p) for p in pages)
    assert {o["state"] for o in _outbox(enrolled)} == {"acked"}
    official = enrolled.store.query("SELECT official_no FROM cases")[0]["official_no"]
    assert official and official.startswith("BM20261124")
    # The hub holds exactly the ops the site sent, and the pages as captured, named by
    # their own hash in the case's payload.
    held = hub.admin.records(SITE)
    assert sorted(held["ops"]) == sorted(o["op_id"] for o in _outbox(enrolled, audit=True))
    on_hub = hub.admin.case(SITE, case["id"])
    plain = [hashlib.sha256(p).hexdigest() for p in pages]
    assert sorted(p["sha256"] for p in on_hub["pages"]) == sorted(plain)
    assert on_hub["payload"]["materials"][0]["pages"] == plain
    rows = sync_state.blob_rows(enrolled.store, case["blob_hashes"])
    assert {r.plain_sha256 for r in rows.values()} == set(plain)
    assert {r.state for r in rows.values()} == {"uploaded"}
    shown = status(enrolled)
    assert shown["acked_total"] == 3 + SUMMARY and shown["outbox_pending"] == 0
    assert shown["oldest_pending_age_s"] is None and shown["blobs_pending_bytes"] == 0
    assert shown["reconcile"]["ok"] is True


def test_metadata_goes_between_the_chunks_of_a_slow_page(
        enrolled: Site, hub: RunningHub) -> None:
    page = os.urandom(4 * CHUNK)
    case = _case(enrolled, [page])
    ticket: list[str] = []
    acked_mid_upload: list[bool] = []

    def sleep(_seconds: float) -> None:  # the bandwidth cap's wait, before chunks 2, 3, 4
        if not ticket:
            ticket.append(_ticket(enrolled))
        elif not acked_mid_upload:
            states = {o["entity_id"]: o["state"] for o in _outbox(enrolled)}
            acked_mid_upload.append(states[ticket[0]] == "acked")
            assert states[case["id"]] == "pending"  # its page is not complete yet

    slow = SyncSettings(site_code=SITE, health_port=0, chunk_kib=64, upload_kbit_s=8)
    counts = Daemon(enrolled, slow, sleep=sleep).run_once()
    assert acked_mid_upload == [True]
    assert counts["acked"] == 2 + SUMMARY and counts["errors"] == []


def test_a_stopped_daemon_resumes_its_page_costing_nothing_sent_twice(
        enrolled: Site, settings: SyncSettings) -> None:
    page = os.urandom(5 * CHUNK + 1)
    case = _case(enrolled, [page])
    first = Daemon(enrolled, SyncSettings(site_code=SITE, health_port=0, chunk_kib=64,
                                          upload_kbit_s=8))
    first.sleep = lambda _s: first.stop_event.set()  # SIGTERM while the second chunk waits
    counts = first.run_once()
    assert counts["blob_bytes"] == 2 * CHUNK  # the chunk under way was finished
    row = sync_state.blob_rows(enrolled.store, case["blob_hashes"])[case["blob_hashes"][0]]
    assert (row.state, row.upload_offset) == ("uploading", 2 * CHUNK) and row.upload_url
    assert _outbox(enrolled)[0]["state"] == "pending"

    again = Daemon(enrolled, settings).run_once()  # a new process
    assert again["blob_bytes"] == len(page) - 2 * CHUNK
    assert again["acked"] == 1 and _outbox(enrolled)[0]["state"] == "acked"


def test_a_page_lost_at_the_site_does_not_hold_the_outbox(
        enrolled: Site, hub: RunningHub, settings: SyncSettings) -> None:
    case = _case(enrolled, [b"gone", b"kept"])
    enrolled.blobs.delete(case["blob_hashes"][0])  # a damaged disk

    counts = Daemon(enrolled, settings).run_once()

    assert counts["acked"] == 1 + SUMMARY
    shown = status(enrolled)
    assert shown["blobs_lost"] == 1 and shown["outbox_pending"] == 0
    on_hub = hub.admin.case(SITE, case["id"])
    # The lost page is named by its sealed file's hash (its own was never known).
    assert on_hub["blobs_lost"] == [case["blob_hashes"][0]]
    assert sorted((p["sha256"], bool(p["lost"])) for p in on_hub["pages"]) == sorted(
        [(case["blob_hashes"][0], True), (hashlib.sha256(b"kept").hexdigest(), False)])


def test_an_op_the_site_cannot_open_is_rejected_locally(enrolled: Site,
                                                         settings: SyncSettings) -> None:
    case = _case(enrolled, [])
    key_id = enrolled.store.query("SELECT key_id FROM cases")[0]["key_id"]
    with enrolled.store.write() as conn:
        enrolled.shred_key(conn, key_id, actor="test", reason="a key lost before delivery")
    _ticket(enrolled)

    counts = Daemon(enrolled, settings).run_once()

    states = {o["entity_id"]: o["state"] for o in _outbox(enrolled)}
    assert states[case["id"]] == "rejected" and counts["rejected"] == 1
    assert counts["acked"] == 1 + SUMMARY and status(enrolled)["rejected"] == 1


# --- what comes back -----------------------------------------------------------------------


def test_county_steps_results_appointments_and_rectifications_come_back(
        enrolled: Site, hub: RunningHub, settings: SyncSettings) -> None:
    case = _case(enrolled, [b"page"])
    with enrolled.store.write() as conn:
        rating = add_rating(conn, enrolled, level=1, channel="counter", case_id=case["id"],
                            rectification={"stage": "verify", "deadline": "2026-12-15",
                                           "status": "open"})
    daemon = Daemon(enrolled, settings)
    daemon.run_once()
    # the county follows the task up against the deadline the site's rule set
    assert [(t["id"], t["deadline"]) for t in hub.admin.rectifications(site=SITE)] == [
        (rating["rectification_id"], "2026-12-15")]
    hub.admin.move_case(SITE, case["id"], "review", "县审批局")
    result = b"%PDF-1.7 decision"
    hub.admin.move_case(SITE, case["id"], "done", "县审批局", "准予许可",
                        result=(result, "application/pdf", "决定书.pdf"))
    hub.admin.add_appointment(SITE, {
        "id": "ap-1", "category": "A", "start": "2026-11-25T01:00:00Z",
        "end": "2026-11-25T01:30:00Z", "code": "Q7K2", "status": "booked",
        "holder": {"name": PERSON["name"], "id_number": PERSON["id_number"],
                   "phone": PERSON["phone"]}})
    hub.admin.move_rectification(SITE, rating["rectification_id"], "closed", "closed",
                                 "县政务服务中心", "已回访")

    counts = daemon.run_once()

    assert counts["errors"] == [] and counts["pulled"] == 4
    row = enrolled.store.query("SELECT county_status, county_history FROM cases")[0]
    assert row["county_status"] == "done"
    assert [s["kind"] for s in json.loads(row["county_history"])] == ["in_review", "done"]
    stored = enrolled.store.query("SELECT * FROM case_results")[0]
    assert stored["plain_sha256"] == hashlib.sha256(result).hexdigest()
    sealed = enrolled.blobs.read(stored["blob_sha256"])
    assert result not in sealed
    key = enrolled.data_key(enrolled.store.query("SELECT key_id FROM cases")[0]["key_id"])
    assert key.decrypt(sealed, cases.BLOB_CONTEXT) == result
    assert sync_state.appointment_holder(enrolled, "ap-1")["id_number"] == PERSON["id_number"]
    found = enrolled.store.query("SELECT id FROM appointments WHERE holder_index = ?",
                                 [enrolled.keys.blind_index(PERSON["id_number"])])
    assert [r["id"] for r in found] == ["ap-1"]
    assert [r["code"] for r in sync_state.appointments_by_phone(enrolled, "+86 138 0013 8000")
            ] == ["Q7K2"]
    task = enrolled.store.query("SELECT stage, status, history FROM rectifications")[0]
    assert (task["stage"], task["status"]) == ("closed", "closed")
    assert json.loads(task["history"])[-1]["note"] == "已回访"


def test_a_county_status_waits_while_the_case_has_ops_to_deliver(
        enrolled: Site, hub: RunningHub, settings: SyncSettings) -> None:
    case = _case(enrolled, [])
    daemon = Daemon(enrolled, settings)
    daemon.run_once()
    hub.admin.move_case(SITE, case["id"], "review", "县审批局")
    # The window completes the materials while the county reviews: the site's step is not
    # delivered yet (a retry not due) when the county's status arrives.
    with enrolled.store.write() as conn:
        cases.move_case(conn, enrolled, case["id"], status="accepted",
                        op="materials_completed", entry={"kind": "completed"})
        # ten minutes: within any backoff (a due time beyond the cap reads as a clock that
        # went back, and is due at once)
        conn.execute("UPDATE outbox SET next_at = '2026-11-24T02:10:00.000Z'"
                     " WHERE op = 'materials_completed'")
    daemon.run_once()
    assert enrolled.store.query("SELECT county_status FROM cases")[0]["county_status"] is None
    assert status(enrolled)["held"] == 1
    enrolled.clock.advance(minutes=11)  # type: ignore[attr-defined]
    daemon.run_once()
    assert enrolled.store.query("SELECT county_status FROM cases")[0]["county_status"] == \
        "in_review"
    assert status(enrolled)["held"] == 0


def test_a_catalogue_version_that_does_not_validate_is_skipped_and_reported(
        enrolled: Site, hub: RunningHub, settings: SyncSettings) -> None:
    applied: list[str] = []

    def apply_catalogue(conn: Any, site: Site, item: dict[str, Any]) -> None:
        if not item["body"].get("items"):
            raise ItemRefused(f"catalogue {item['version']} has no items",
                              zh="事项清单未通过校验，仍使用当前版本",
                              en="the catalogue failed validation; the current one stays")
        conn.execute("INSERT INTO settings (key, value) VALUES ('t.catalogue', ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                     (json.dumps(item["version"]),))
        applied.append(item["version"])

    hub.admin.publish_catalogue({"items": [{"code": "X"}]}, "v1")
    hub.admin.publish_catalogue({"items": []}, "v2-broken")
    hub.admin.publish_catalogue({"items": [{"code": "Y"}]}, "v3")
    daemon = Daemon(enrolled, settings, appliers={"catalogue": apply_catalogue})
    counts = daemon.run_once()

    assert applied == ["v1", "v3"]
    assert any("v2-broken" in e for e in counts["errors"])
    shown = status(enrolled)
    assert "v2-broken" in shown["last_error"] and "当前版本" in shown["last_error"]
    cursor, handle = sync_state.cursor(enrolled.store, "catalogue")
    assert cursor is not None and handle is not None
    assert daemon.run_once()["errors"] == [] and applied == ["v1", "v3"]  # not stuck on v2


def test_a_rebuilt_hub_history_is_read_again_without_doubling_anything(
        enrolled: Site, hub: RunningHub, settings: SyncSettings) -> None:
    case = _case(enrolled, [])
    daemon = Daemon(enrolled, settings)
    daemon.run_once()
    hub.admin.move_case(SITE, case["id"], "review", "县审批局")
    daemon.run_once()
    old_cursor, old_handle = sync_state.cursor(enrolled.store, "case_status")
    hub.admin.new_epoch()

    counts = daemon.run_once()

    assert counts["errors"] == [] and counts["pulled"] == 1  # read from the start
    cursor, handle = sync_state.cursor(enrolled.store, "case_status")
    assert handle != old_handle and cursor == old_cursor
    history = json.loads(enrolled.store.query("SELECT county_history FROM cases")[0]
                         ["county_history"])
    assert [s["kind"] for s in history] == ["in_review"]


# --- identity, clock, link -----------------------------------------------------------------


def test_a_site_that_booted_in_1970_signs_right_after_its_first_answer(
        enrolled: Site, hub: RunningHub, hub_clock: HubClock, clock: FixedClock,
        settings: SyncSettings) -> None:
    _ticket(enrolled)
    real = clock.now()
    clock.t = dt.datetime(1970, 1, 1, 0, 5, tzinfo=dt.UTC)
    hub_clock.skew = (real - clock.t).total_seconds()  # the hub still lives in 2026
    sync_state.save(enrolled.store, clock, clock_offset_s=0.0)  # and nothing is known of it

    counts = Daemon(enrolled, settings).run_once()

    # The ticket was due in 2026 by the clock it was made under; a due time decades ahead is
    # a clock that went back, so it goes now rather than in 56 years.
    assert counts["errors"] == [] and counts["acked"] == 1 + SUMMARY
    assert [o["state"] for o in _outbox(enrolled)] == ["acked"]
    assert status(enrolled)["clock_offset_s"] == pytest.approx(hub_clock.skew, abs=1)


def test_a_refused_key_stops_pushing_and_says_so(
        enrolled: Site, hub: RunningHub, settings: SyncSettings) -> None:
    _ticket(enrolled)
    # The county enrolled a replacement PC for this site: this one's key stops working.
    other = signing.new_key()
    import httpx

    answer = httpx.post(f"{hub.url}/v1/enrol", json={
        "site": SITE, "code": hub.admin.enrol_code(SITE)["code"],
        "public_key": signing.b64(signing.public_bytes(other)), "version": "x"})
    assert answer.status_code == 201

    counts = Daemon(enrolled, settings).run_once()

    assert counts["pushed"] == 0 and "enrol again" in counts["errors"][0]
    shown = status(enrolled)
    assert shown["key_refused"] is True and "unknown_site" in shown["last_error"]
    assert [(o["state"], o["attempts"]) for o in _outbox(enrolled)] == [("pending", 0)]


def test_the_link_down_loses_nothing_and_costs_no_backoff_per_op(
        site: Site, hub: RunningHub, settings: SyncSettings) -> None:
    host, port = hub.url.removeprefix("http://").split(":")
    with FaultProxy(host, int(port)) as proxy:
        enrol(site, proxy.url, hub.admin.enrol_code(SITE)["code"], settings=settings)
        _ticket(site)
        _case(site, [os.urandom(CHUNK)])
        proxy.refuse(True)
        daemon = Daemon(site, settings)
        down = daemon.run_once()
        assert down["acked"] == 0 and "cannot be reached" in down["errors"][0]
        assert daemon.failure is not None and daemon.failure.retryable  # type: ignore[attr-defined]
        assert {(o["state"], o["attempts"]) for o in _outbox(site)} == {("pending", 0)}
        proxy.refuse(False)
        up = daemon.run_once()
    assert up["errors"] == [] and up["acked"] == 2 + SUMMARY
    assert status(site)["last_error"] == down["errors"][0]  # kept until a newer error


def test_enrolment_is_refused_in_plain_words(site: Site, hub: RunningHub,
                                            settings: SyncSettings) -> None:
    from sync.daemon.errors import EnrolmentRefused, SyncError

    with pytest.raises(EnrolmentRefused, match="code_unknown"):
        enrol(site, hub.url, "ABCDEFGHJK", settings=settings)
    code = hub.admin.enrol_code("S02")["code"]
    with pytest.raises(EnrolmentRefused, match="code_other_site"):
        enrol(site, hub.url, code, settings=settings)
    with pytest.raises(SyncError, match="site code"):
        enrol(site, hub.url, code, settings=SyncSettings())
    assert sync_state.load_enrolment(site) is None
    counts = Daemon(site, settings).run_once()
    assert "bianmin sync enrol" in counts["errors"][0]


# --- housekeeping, status, logs ------------------------------------------------------------


def test_retention_and_the_daily_audit_summary_run_from_the_daemon(
        enrolled: Site, hub: RunningHub, clock: FixedClock, settings: SyncSettings) -> None:
    case = _case(enrolled, [b"page"])
    daemon = Daemon(enrolled, settings)
    daemon.run_once()
    clock.advance(days=31)
    counts = daemon.run_once()
    assert counts["errors"] == []
    key_id = enrolled.store.query("SELECT key_id FROM cases")[0]["key_id"]
    with pytest.raises(KeyShredded):
        enrolled.data_key(key_id)
    assert not enrolled.blobs.exists(case["blob_hashes"][0])
    summaries = [o for o in _outbox(enrolled, audit=True) if o["entity"] == "audit"]
    # the first run summarised 11-23; this one every local day since, up to 12-24
    assert [o["entity_id"] for o in summaries] == \
        [(DAY + dt.timedelta(days=n)).isoformat() for n in range(-1, 31)]
    assert {o["state"] for o in summaries} == {"acked"}
    payload = json.loads(enrolled.store.query(
        "SELECT payload FROM outbox WHERE entity = 'audit' AND entity_id = '2026-11-24'"
    )[0]["payload"])
    assert set(payload) == {"day", "timezone", "counts", "total"}
    assert payload["counts"]["store.created"] == payload["counts"]["sync.enrolled"] == 1
    assert PERSON["name"] not in json.dumps(payload, ensure_ascii=False)


def test_status_and_logs_carry_no_personal_data(
        enrolled: Site, hub: RunningHub, settings: SyncSettings,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    case = _case(enrolled, [b"page"])
    daemon = Daemon(enrolled, settings)
    daemon.run_once()
    hub.admin.move_case(SITE, case["id"], "done", "县审批局", PERSON["name"] + "的申请已办结")
    daemon.run_once()
    shown = status(enrolled)
    assert set(KEYS) <= set(shown)
    text = caplog.text + json.dumps(shown, ensure_ascii=False)
    for value in (PERSON["name"], PERSON["id_number"], PERSON["phone"]):
        assert value not in text
    assert "bianmin.sync" in {r.name for r in caplog.records}


def test_status_of_an_idle_unenrolled_site_has_every_key(site: Site) -> None:
    shown = status(site)
    assert list(shown)[:len(KEYS)] == list(KEYS)
    assert shown["oldest_pending_age_s"] is None and shown["enrolled"] is False
    assert shown["acked_total"] == 0 and shown["last_error"] is None
    outbox_stats = outbox.stats(site.store, site.clock)
    assert outbox_stats["pending"] == shown["outbox_pending"] == 0


def test_the_heartbeat_tells_the_hub_status_and_health_when_due(
        enrolled: Site, hub: RunningHub, clock: FixedClock, settings: SyncSettings) -> None:
    _ticket(enrolled)
    daemon = Daemon(enrolled, settings)
    daemon.run_once()
    beat = next(s for s in hub.admin.sites() if s["site"] == SITE)
    assert beat["backlog"] == 1 + SUMMARY  # sent before the push of this cycle
    assert set(KEYS) <= set(beat["status"]) and beat["version"] == settings.version
    assert beat["health"]["integrity"] == "ok" and beat["health"]["free_disk_bytes"] > 0
    assert beat["health"]["blobs_missing"] == beat["health"]["blobs_corrupt"] == 0
    first_at = beat["heartbeat_at"]

    clock.advance(seconds=settings.heartbeat_s - 1)
    daemon.run_once()  # not due yet
    assert next(s for s in hub.admin.sites() if s["site"] == SITE)["heartbeat_at"] == first_at
    clock.advance(seconds=1)
    daemon.run_once()
    beat = next(s for s in hub.admin.sites() if s["site"] == SITE)
    assert beat["heartbeat_at"] != first_at and beat["backlog"] == 0


def test_a_page_of_items_and_its_cursor_commit_together_or_not_at_all(
        enrolled: Site, hub: RunningHub, settings: SyncSettings) -> None:
    def apply_catalogue(conn: Any, site: Site, item: dict[str, Any]) -> None:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, '1')",
                     (f"t.{item['version']}",))
        if item["version"] == "v2":
            raise RuntimeError("the store failed half-way through the page")

    for version in ("v1", "v2"):
        hub.admin.publish_catalogue({"items": [version]}, version)
    daemon = Daemon(enrolled, settings, appliers={"catalogue": apply_catalogue})
    with pytest.raises(RuntimeError):
        daemon.run_once()
    assert enrolled.store.query("SELECT key FROM settings WHERE key LIKE 't.%'") == []
    assert sync_state.cursor(enrolled.store, "catalogue") == (None, None)


def test_a_page_the_hub_refuses_waits_without_holding_the_rest_then_is_given_up(
        site: Site, tmp_path: Any, hub_clock: HubClock, settings: SyncSettings) -> None:
    from sync.daemon.daemon import MAX_PAGE_REFUSALS
    from sync.hub.server import running_hub

    with running_hub(tmp_path / "small-hub", clock=hub_clock, max_blob_bytes=1024) as small:
        enrol(site, small.url, small.admin.enrol_code(SITE)["code"], settings=settings)
        page = os.urandom(4096)  # more than this hub takes
        case = _case(site, [page])
        ticket = _ticket(site)
        small.admin.publish_catalogue({"items": []}, "v1")
        daemon = Daemon(site, settings, appliers={"catalogue": lambda *_: None})

        first = daemon.run_once()

        assert "4096 bytes" in first["errors"][0] and first["pulled"] == 1
        states = {o["entity_id"]: o["state"] for o in _outbox(site)}
        assert states == {case["id"]: "pending", ticket: "acked"}
        assert daemon.failure is not None  # the loop backs off before trying again
        for _ in range(MAX_PAGE_REFUSALS - 1):
            daemon.run_once()
        assert status(site)["blobs_lost"] == 1
        daemon.run_once()
        assert {o["state"] for o in _outbox(site)} == {"acked"}
        # named by its own hash: the site had learnt it before the hub refused the page
        assert small.admin.case(SITE, case["id"])["blobs_lost"] == \
            [hashlib.sha256(page).hexdigest()]
