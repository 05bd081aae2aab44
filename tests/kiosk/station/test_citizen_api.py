"""The citizen kiosk's routes through a real station on loopback (issue 9, docs/citizen-api.md):
the keyed codes on tickets and receipts, 进度查询 by card and by code (nothing of anyone else,
forged codes refused, wrong codes slowed down), 结果打印, 预约签到 with its window on the
site's clock, and 我要帮办 reaching the counters' event stream.

The station's clock is a FixedClock put in place of the system clock, so that the check-in
window's edges are exact; each test sets the time it needs."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from kiosk.client.http import StationClient, StationError
from kiosk.domain.receipt_code import parse_code
from kiosk.station import auth
from offline_store import cases, sync_state
from offline_store.cases import BLOB_CONTEXT
from offline_store.clock import FixedClock, iso

from .case_station import (
    ID_NUMBER,
    CaseStation,
    birth_bundle,
    case_station,
    jpeg,
)

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai, a Tuesday
OTHER = {"id_number": "110105198001010013", "name": "王建国"}
CARD = {"id_number": ID_NUMBER, "name": "欧阳娜娜"}
ELDER = {"name": "李秀英", "id_number": "110105194912310021", "phone": "13800138000"}
SUMMARY_KEYS = {"case_id", "receipt_no", "official_no", "title", "title_en", "status",
                "status_text", "status_text_en", "county_status", "county_status_text",
                "county_status_text_en", "county_updated_at", "promised", "accepted_at",
                "applicant", "missing", "rated", "rateable", "results"}


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("citizen") / "site") as made:
        clock = FixedClock(NOW)
        made.on_writer(setattr, made.running.station.site, "clock", clock)
        yield made


@pytest.fixture
def clock(station: CaseStation) -> FixedClock:
    clock = station.running.station.site.clock
    assert isinstance(clock, FixedClock)
    clock.t = NOW
    return clock


@pytest.fixture(scope="module")
def accepted(station: CaseStation) -> dict[str, Any]:
    """欧阳娜娜's 新生儿出生一件事, accepted at window 1 with its photo 容缺, and a case of
    王建国's stored beside it."""
    clock = station.running.station.site.clock
    clock.t = NOW  # type: ignore[attr-defined]
    with station.client() as counter:
        due = counter.preview_case({"bundle_code": "SMP-YJS-001"})["rongque_latest"]
        shas = [counter.upload_page(jpeg()) for _ in range(2)]
        case = counter.accept_case(birth_bundle({"M008": shas[:1], "M004": shas[1:]}, due))
    site = station.running.station.site
    other = station.on_writer(lambda: cases.add_case(
        site, site_code="DEMO-0001", local_day=NOW.date(), applicant=OTHER,
        item_codes=["SMP-SHBZ-001"], catalogue_version="sample-2026.11",
        materials=[cases.MaterialRecord("M001", "captured", [jpeg(100)])]))
    return {"case": case, "due": due, "other": other}


def kiosk(station: CaseStation) -> StationClient:
    return station.client("kiosk")


def refused(call: Any, status: int, code: str) -> StationError:
    with pytest.raises(StationError) as caught:
        call()
    error = caught.value
    assert (error.status, error.code) == (status, code), error.message
    assert " / " in error.message and any("\u4e00" <= c <= "\u9fff" for c in error.message)
    return error


@contextlib.contextmanager
def events(station: CaseStation, role: str) -> Iterator[ClientConnection]:
    ws_url = station.url.replace("http://", "ws://") + "/v1/events"
    with connect(ws_url, additional_headers={
            "Authorization": f"Bearer {station.tokens[role]}"}, open_timeout=5) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        yield socket


def next_of(socket: ClientConnection, kind: str) -> dict[str, Any]:
    for _ in range(20):
        event = json.loads(socket.recv(timeout=5))
        if event["type"] == kind:
            return event  # type: ignore[no-any-return]
    raise AssertionError(f"no {kind} event")


# --- codes on tickets --------------------------------------------------------------------------


def test_only_the_issuing_screen_hears_a_tickets_code(station: CaseStation,
                                                      clock: FixedClock) -> None:
    with events(station, "display") as hall, kiosk(station) as k:
        reserved = k.issue("C")
        confirmed = k.confirm(reserved["id"])
        issued = next_of(hall, "ticket.issued")
        status = k.status()
    assert reserved["code"] == confirmed["code"]
    found = parse_code(reserved["code"])
    assert found is not None and (found.kind, found.value) == ("ticket", reserved["id"])
    assert "code" not in issued["ticket"] and found.token not in json.dumps(issued)
    assert found.token not in json.dumps(status)


def test_a_ticket_code_follows_the_queue_and_a_forged_one_opens_nothing(
        station: CaseStation, clock: FixedClock) -> None:
    with kiosk(station) as k, station.client() as counter:
        ahead = k.issue("D", confirm=True)
        mine = k.issue("D", confirm=True)
        seen = k.citizen_cases(code=mine["code"])
        assert seen["cases"] == [] and seen["last_sync_at"] is None
        ticket = seen["ticket"]
        assert ticket == {"ticket_id": mine["id"], "number": mine["number"], "category": "D",
                          "category_name": "农业农村",
                          "category_name_en": "Agriculture and rural affairs",
                          "status": "waiting", "ahead": 1,
                          "estimated_wait_s": ticket["estimated_wait_s"], "rated": False,
                          "rateable": False}
        token = parse_code(mine["code"]).token  # type: ignore[union-attr]
        # another ticket's id with this token, and this id with a token made up
        refused(lambda: k.citizen_cases(code=f"BMT:{ahead['id']}:{token}"), 404, "not_found")
        refused(lambda: k.citizen_cases(code=f"BMT:{mine['id']}:abcdefghijkl"), 404,
                "not_found")
        refused(lambda: k.citizen_cases(code=f"BMT:{uuid.uuid4()}:{token}"), 404, "not_found")
        for number in (ahead["number"], mine["number"]):
            counter.call("5", number)
            counter.start("5")
            counter.finish("5")
        done = k.citizen_cases(code=mine["code"])["ticket"]
        assert (done["status"], done["ahead"], done["rateable"]) == ("done", 0, True)
        k.rate({"level": 5, "channel": "qr", "ticket_id": mine["id"]})
        rated = k.citizen_cases(code=mine["code"])["ticket"]
        assert (rated["rated"], rated["rateable"]) == (True, False)


def test_a_second_ticket_of_the_same_card_offers_its_code_to_reprint(
        station: CaseStation, clock: FixedClock) -> None:
    card = {"id_number": "110105197001010015", "name": "赵六"}
    with kiosk(station) as k:
        first = k.issue("B", id_card=card)
        error = refused(lambda: k.issue("B", id_card=card), 409, "duplicate_ticket")
        k.void(first["id"])
    assert error.body["ticket"]["id"] == first["id"]
    assert error.body["ticket"]["code"] == first["code"]


# --- 进度查询 ------------------------------------------------------------------------------------


def test_each_citizen_sees_only_their_own_cases(station: CaseStation, clock: FixedClock,
                                                accepted: dict[str, Any]) -> None:
    case, other = accepted["case"], accepted["other"]
    with kiosk(station) as k:
        mine = k.citizen_cases(id_card=CARD)
        theirs = k.citizen_cases(id_card=OTHER)
        nobody = k.citizen_cases(id_card={"id_number": "11010519900101001X", "name": "某"})
    assert [c["case_id"] for c in mine["cases"]] == [case["id"]]
    assert [c["case_id"] for c in theirs["cases"]] == [other["id"]]
    assert nobody == {"cases": [], "ticket": None, "last_sync_at": None}
    summary = mine["cases"][0]
    assert set(summary) == SUMMARY_KEYS
    assert summary["receipt_no"] == case["receipt_no"] and summary["official_no"] is None
    assert (summary["title"], summary["title_en"]) == ("新生儿出生一件事",
                                                       "Birth of a child")
    assert (summary["status"], summary["status_text"]) == ("accepted_rongque",
                                                           "已受理（容缺），请按期补交材料")
    assert summary["applicant"] == "欧**娜" and summary["promised"] == case["promised_date"]
    assert summary["missing"] == [{"name": "近期免冠证件照片",
                                   "name_en": "Recent bare-headed ID photo",
                                   "due": accepted["due"]}]
    assert (summary["rated"], summary["rateable"], summary["results"]) == (False, False, [])
    assert theirs["cases"][0]["applicant"] == "王*国"
    assert theirs["cases"][0]["title"] == station.rows(
        "SELECT name FROM catalogue_items WHERE code = 'SMP-SHBZ-001'")[0][0]
    # nothing of anyone else: not their name, not their number, not their receipt
    text = json.dumps(mine, ensure_ascii=False)
    assert "王" not in text and other["receipt_no"] not in text and ID_NUMBER not in text


def test_a_receipt_code_opens_its_one_case_and_a_forged_one_nothing(
        station: CaseStation, clock: FixedClock, accepted: dict[str, Any]) -> None:
    case, other = accepted["case"], accepted["other"]
    code = case["query_url"]
    assert code.startswith(f"BMR:{case['receipt_no']}:")
    token = parse_code(code).token  # type: ignore[union-attr]
    with kiosk(station) as k:
        found = k.citizen_cases(code=code)
        assert [c["case_id"] for c in found["cases"]] == [case["id"]]
        assert found["ticket"] is None
        refused(lambda: k.citizen_cases(code=f"BMR:{other['receipt_no']}:{token}"), 404,
                "not_found")
        refused(lambda: k.citizen_cases(code=f"BMR:{case['receipt_no']}:aaaaaaaaaaaa"), 404,
                "not_found")
        refused(lambda: k.citizen_cases(code=case["receipt_no"]), 404, "not_found")
        refused(lambda: k.citizen_cases(code="\x00" * 3000), 404, "not_found")
        # the site's query URL as a phone would open it reads back too
        desk = station.running.station.cases
        desk.query_url = "https://q.example.cn/q/{receipt_no}"
        try:
            with station.client() as counter:
                url = counter.case(case["id"])["query_url"]
        finally:
            desk.query_url = ""
        assert url == f"https://q.example.cn/q/{case['receipt_no']}?t={token}"
        assert [c["case_id"] for c in k.citizen_cases(code=url)["cases"]] == [case["id"]]
    audit = station.rows("SELECT subject, detail FROM audit_log WHERE action = 'citizen.cases'")
    assert (case["id"], '{"by": "code", "cases": 1, "ticket": false}') in audit
    assert all(ID_NUMBER not in subject + detail and "欧阳" not in detail
               for subject, detail in audit)


def test_the_county_status_and_last_sync_show_and_a_done_case_may_be_rated(
        station: CaseStation, clock: FixedClock, accepted: dict[str, Any]) -> None:
    other = accepted["other"]
    site = station.running.station.site

    def county_done() -> None:
        with site.store.write() as conn:
            sync_state.apply_case_status(conn, site.clock, {
                "case_id": other["id"], "status": "done", "official_no": "XZ-2026-0001"})
        sync_state.save(site.store, site.clock, last_pull=iso(NOW))

    station.on_writer(county_done)
    with kiosk(station) as k:
        found = k.citizen_cases(id_card=OTHER)
        summary = found["cases"][0]
        assert found["last_sync_at"] == iso(NOW)
        assert (summary["county_status"], summary["county_status_text"],
                summary["official_no"]) == ("done", "县级已办结", "XZ-2026-0001")
        assert (summary["status"], summary["rateable"]) == ("accepted", True)
        k.rate({"level": 4, "channel": "kiosk", "case_id": other["id"]})
        summary = k.citizen_cases(id_card=OTHER)["cases"][0]
    assert (summary["rated"], summary["rateable"]) == (True, False)


def test_ten_wrong_codes_in_a_minute_slow_one_screen_down(
        station: CaseStation, clock: FixedClock, accepted: dict[str, Any]) -> None:
    token = station.on_writer(auth.pair, station.running.station.site, "kiosk").token
    good = accepted["case"]["query_url"]
    with StationClient(station.url, token, timeout_s=10) as k:
        for n in range(10):
            refused(lambda n=n: k.citizen_cases(code=f"BMR:DEMO-0001-20261124-{n:04d}:"
                                                      "aaaaaaaaaaaa"), 404, "not_found")
            clock.advance(seconds=5)
        error = refused(lambda: k.citizen_cases(code=good), 429, "slow_down")
        assert 1 <= error.body["retry_after_s"] <= 60
        refused(lambda: k.find_appointments(code="NOPE"), 429, "slow_down")
        assert k.citizen_cases(id_card=CARD)["cases"]  # a card is not a guess
        with kiosk(station) as other_screen:  # another screen is not slowed down
            assert other_screen.citizen_cases(code=good)["cases"]
        clock.advance(seconds=16)  # the first wrong code is a minute old now
        assert k.citizen_cases(code=good)["cases"]


def test_a_screen_must_be_a_kiosk_and_ask_one_way(station: CaseStation) -> None:
    for role in ("display", "counter"):
        response = station.post(role, "/v1/citizen/cases", {"id_card": CARD})
        assert response.status_code == 403
    both = station.post("kiosk", "/v1/citizen/cases", {"id_card": CARD, "code": "x"})
    neither = station.post("kiosk", "/v1/citizen/cases", {})
    bad_card = station.post("kiosk", "/v1/citizen/cases", {"id_card": {"id_number": "1"}})
    assert [r.json()["error"]["code"] for r in (both, neither, bad_card)] == ["invalid"] * 3
    assert station.post("manager", "/v1/citizen/cases", {"id_card": CARD}).status_code == 200


# --- 结果打印 ------------------------------------------------------------------------------------


def test_a_result_document_prints_for_its_applicant_only(
        station: CaseStation, clock: FixedClock, accepted: dict[str, Any]) -> None:
    case = accepted["case"]
    site = station.running.station.site
    document = b"%PDF-1.4\n" + uuid.uuid4().bytes * 100
    plain = hashlib.sha256(document).hexdigest()

    def county_sends() -> None:  # as the sync daemon's pull keeps it
        key, new = sync_state.case_key(site, case["id"])  # type: ignore[misc]
        sealed = key.encrypt(document, BLOB_CONTEXT)
        sync_state.save_result(site, case_id=case["id"], key=key, new_key=new,
                               sealed_sha=site.blobs.put(sealed), sealed_size=len(sealed),
                               plain_sha256=plain, plain_size=len(document),
                               media_type="application/pdf", name="出生医学证明")

    station.on_writer(county_sends)
    with kiosk(station) as k:
        listed = k.citizen_cases(id_card=CARD)["cases"][0]["results"]
        assert [(r["id"], r["name"], r["media_type"]) for r in listed] == [
            (plain, "出生医学证明", "application/pdf")]
        assert k.citizen_result(case["id"], plain, CARD) == (document, "application/pdf")
        refused(lambda: k.citizen_result(case["id"], plain, OTHER), 403, "not_yours")
        refused(lambda: k.citizen_result(case["id"], "0" * 64, CARD), 404, "not_found")
        refused(lambda: k.citizen_result(accepted["other"]["id"], plain, OTHER), 404,
                "not_found")
        refused(lambda: k.citizen_result(str(uuid.uuid4()), plain, CARD), 404, "not_found")
    printed = station.rows("SELECT subject, detail FROM audit_log WHERE action = "
                           "'result.printed'")
    assert [s for s, _ in printed] == [case["id"]]
    assert station.rows("SELECT subject FROM audit_log WHERE action = 'result.refused'") == [
        (case["id"],)]


# --- 预约签到 ------------------------------------------------------------------------------------


def book(station: CaseStation, appointment_id: str, start: dt.datetime, minutes: int = 30,
         *, code: str | None = None, status: str = "booked",
         holder: dict[str, str] | None = None) -> None:
    site = station.running.station.site

    def write() -> None:
        with site.store.write() as conn:
            sync_state.apply_appointment(conn, site, {
                "id": appointment_id, "category": "A", "start": iso(start),
                "end": iso(start + dt.timedelta(minutes=minutes)),
                "code": code or appointment_id.upper(), "status": status,
                "holder": holder or ELDER})

    station.on_writer(write)


def test_bookings_are_found_by_code_or_phone_for_today_only(station: CaseStation,
                                                            clock: FixedClock) -> None:
    book(station, "f-now", NOW + dt.timedelta(minutes=20))
    book(station, "f-later", NOW + dt.timedelta(hours=2))
    book(station, "f-gone", NOW - dt.timedelta(hours=2))
    book(station, "f-tomorrow", NOW + dt.timedelta(days=1))
    book(station, "f-cancelled", NOW + dt.timedelta(hours=1), status="cancelled")
    book(station, "f-someone", NOW, holder={"name": "王桂兰", "phone": "13900139000"})
    with kiosk(station) as k:
        by_code = k.find_appointments(code="F-NOW")["appointments"]
        assert by_code == [{"id": "f-now", "category": "A", "category_name": "综合受理",
                            "category_name_en": "General services",
                            "start_at": "2026-11-24T10:20:00+08:00",
                            "end_at": "2026-11-24T10:50:00+08:00", "status": "booked",
                            "holder": "李*英", "when": "open"}]
        for url in ("https://yy.example.cn/checkin/F-NOW", "https://yy.example.cn/c?code=F-NOW"):
            assert k.find_appointments(code=url)["appointments"] == by_code
        by_phone = k.find_appointments(phone="+86 138 0013 8000")["appointments"]
        assert [(a["id"], a["when"]) for a in by_phone] == [
            ("f-gone", "late"), ("f-now", "open"), ("f-later", "early")]
        assert k.find_appointments(code="F-TOMORROW") == {"appointments": []}
        refused(lambda: k.find_appointments(code="NO-SUCH"), 404, "not_found")
        assert k.find_appointments(phone="13700137000") == {"appointments": []}
    assert station.post("kiosk", "/v1/appointments/find", {}).status_code == 422


def test_check_in_opens_thirty_minutes_before_and_closes_at_the_end(
        station: CaseStation, clock: FixedClock) -> None:
    start = NOW + dt.timedelta(hours=1)  # 11:00–11:30 local
    book(station, "w-edge", start)
    with kiosk(station) as k:
        clock.t = start - dt.timedelta(minutes=30, seconds=1)
        error = refused(lambda: k.check_in("w-edge"), 409, "too_early")
        assert "10:30" in error.message and error.body["opens_at"] == \
            "2026-11-24T10:30:00+08:00"
        clock.t = start + dt.timedelta(minutes=30, seconds=1)
        assert "普通号" in refused(lambda: k.check_in("w-edge"), 409, "too_late").message
        clock.t = start + dt.timedelta(minutes=30)  # the end itself still counts
        late_but_in = k.check_in("w-edge")
        k.void(late_but_in["id"])
        clock.t = start - dt.timedelta(minutes=30)  # and so does the opening minute
        ticket = k.check_in("w-edge")
        k.confirm(ticket["id"])
    assert ticket["appointment_id"] == "w-edge" and ticket["status"] == "reserved"
    refused(lambda: kiosk(station).check_in("no-such-booking"), 404, "not_found")


def test_a_check_in_is_a_priority_ticket_once_and_a_void_gives_it_back(
        station: CaseStation, clock: FixedClock) -> None:
    elder = {"name": "周桂芳", "id_number": "110105194501010012", "phone": "13800138001"}
    book(station, "c-one", NOW + dt.timedelta(minutes=10), code="Q7K2", holder=elder)
    book(station, "c-off", NOW, status="cancelled")
    key = uuid.uuid4().hex
    with kiosk(station) as k:
        ticket = k.check_in("c-one", key=key)
        assert k.check_in("c-one", key=key) == ticket  # a retry gets the same ticket
        assert set(ticket["reasons"]) == {"elderly", "appointment"}
        assert ticket["category"] == "A" and ticket["status"] == "reserved"
        found = parse_code(ticket["code"])
        assert found is not None and found.value == ticket["id"]
        error = refused(lambda: k.check_in("c-one"), 409, "already_checked_in")
        assert error.body["ticket"]["id"] == ticket["id"]
        assert error.body["ticket"]["code"] == ticket["code"]
        assert k.find_appointments(code="Q7K2")["appointments"][0]["status"] == "checked_in"
        k.void(ticket["id"])  # it did not print: the booking may check in again
        assert k.find_appointments(code="Q7K2")["appointments"][0]["status"] == "booked"
        again = k.check_in("c-one")
        assert again["id"] != ticket["id"]
        k.confirm(again["id"])
        refused(lambda: k.check_in("c-off"), 409, "cancelled")
    holder = station.rows("SELECT holder_index, channel, appointment_start FROM tickets"
                          " WHERE id = ?", again["id"])[0]
    assert holder[0] is not None and holder[1] == "appointment" and holder[2]
    assert station.rows("SELECT subject FROM audit_log WHERE action ="
                        " 'appointment.checked_in' AND subject = 'c-one'") == [("c-one",)] * 2


# --- 我要帮办 ------------------------------------------------------------------------------------


def test_a_call_for_help_rings_the_counters_until_answered(station: CaseStation,
                                                           clock: FixedClock) -> None:
    with events(station, "counter") as counters, kiosk(station) as k, \
            station.client() as counter:
        asked = k.ask_help("guide")
        rang = next_of(counters, "help.requested")
        assert (rang["id"], rang["at"], rang["screen"]) == (asked["id"], asked["at"], "guide")
        assert rang["kiosk"].startswith("kiosk@") and rang["kiosk"] == asked["kiosk"]
        assert k.ask_help("progress")["id"] == asked["id"]  # one open call per screen
        assert [r["id"] for r in counter.help_requests()] == [asked["id"]]
        answered = counter.answer_help(asked["id"], window="1")
        heard = next_of(counters, "help.answered")
        assert (heard["id"], heard["window"], heard["clerk"]) == (asked["id"], "1", "zhang01")
        assert answered["answered_at"] == iso(NOW)
        refused(lambda: counter.answer_help(asked["id"]), 409, "already_answered")
        refused(lambda: counter.answer_help("no-such-call"), 404, "not_found")
        assert counter.help_requests() == []
        assert k.ask_help("guide")["id"] != asked["id"]  # a new call rings again
        assert next_of(counters, "help.requested")["id"] != asked["id"]
    clock.advance(minutes=31)  # nobody answered on screen: it lapses
    with station.client() as counter:
        assert counter.help_requests() == []
    assert station.post("display", "/v1/help", {"screen": "guide"}).status_code == 403
    assert station.post("kiosk", "/v1/help/x/answer", None).status_code == 403
    assert station.post("kiosk", "/v1/help", {"screen": "Guide!"}).status_code == 422
    assert station.post("kiosk", "/v1/help", {"screen": "g" * 41}).status_code == 422
