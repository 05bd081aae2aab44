"""The station's side of work done offline (上门服务, 帮办代办): the whole catalogue for the
counter to keep, and a case delivered later with the receipt number the counter printed —
taken only for those modes, only in the counter's form with this site's code, only once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.domain.catalogue import parse_catalogue
from tests.kiosk.station.case_station import CaseStation, birth_bundle, case_station, jpeg, sha

SITE = "DEMO-0001"  # SiteConfig()'s code


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("offline") / "site") as made:
        yield made


def offline_case(station: CaseStation, receipt_no: str | None, *, mode: str = "home_visit",
                 hours_ago: float = 2.0) -> dict[str, Any]:
    """A bundle case as a counter delivers it later: its pages uploaded now, accepted
    ``hours_ago`` with the counter's number."""
    pages = {"M008": jpeg(), "M004": jpeg()}
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)).astimezone().isoformat()
    with station.client() as client:
        for data in pages.values():
            client.upload_page(data)
        # the latest 容缺 day counts from the day it was accepted, not from today: two hours
        # ago may be yesterday in Shanghai
        asked = {"bundle_code": "SMP-YJS-001", "mode": mode}
        if mode != "counter":  # a counter's case is accepted now (it may not give a time)
            asked["accepted_at"] = at
        due = client.preview_case(asked)["rongque_latest"]
    body = birth_bundle({k: [sha(v)] for k, v in pages.items()}, due, mode=mode,
                        accepted_at=at)
    if receipt_no is not None:
        body["receipt_no"] = receipt_no
    return body


def number(seq: int, window: str = "1", site: str = SITE) -> str:
    """The counter's form: ``<site>-<yyyymmdd>-H<window><seq:03d>``."""
    return f"{site}-{dt.date.today():%Y%m%d}-H{window}{seq:03d}"


def test_the_whole_catalogue_is_served_for_the_counter_to_keep(station: CaseStation) -> None:
    short = station.get("counter", "/v1/catalogue")
    assert short.status_code == 200 and "source" not in short.json()
    full = station.get("counter", "/v1/catalogue", full="true")
    assert full.status_code == 200, full.text
    answer = full.json()
    catalogue = parse_catalogue(answer["source"])
    assert catalogue.version == answer["version"]
    assert "SMP-YJS-001" in catalogue.bundles
    assert [i["code"] for i in answer["items"]] == list(catalogue.items)
    assert station.get("kiosk", "/v1/catalogue", full="true").status_code == 200
    assert station.get("display", "/v1/catalogue", full="true").status_code == 403


def test_a_home_visit_keeps_the_counters_number_and_time(station: CaseStation) -> None:
    receipt_no = number(1)
    body = offline_case(station, receipt_no, hours_ago=3)
    made = station.post("counter", "/v1/cases", body)
    assert made.status_code == 201, made.text
    case = made.json()
    assert case["receipt_no"] == receipt_no and case["mode"] == "home_visit"
    at = dt.datetime.fromisoformat(case["accepted_at"])
    assert abs(at - dt.datetime.fromisoformat(body["accepted_at"])) < dt.timedelta(seconds=1)
    read = station.get("counter", f"/v1/cases/{case['id']}").json()
    assert read["receipt_no"] == receipt_no
    assert station.rows("SELECT mode FROM cases WHERE receipt_no = ?", receipt_no) == [
        ("home_visit",)]
    # the station's own numbering goes on as before (4 digits, no H)
    with station.client() as client:
        for data in (jpeg(), jpeg()):
            client.upload_page(data)
    plain = offline_case(station, None)
    plain.pop("accepted_at")
    plain["mode"] = "counter"
    own = station.post("counter", "/v1/cases", plain)
    assert own.status_code == 201, own.text
    assert own.json()["receipt_no"].rsplit("-", 1)[1].isdigit()


def test_an_agents_case_may_bring_its_number_too(station: CaseStation) -> None:
    made = station.post("counter", "/v1/cases", offline_case(station, number(2), mode="agent"))
    assert made.status_code == 201, made.text
    assert made.json()["receipt_no"] == number(2)


def test_a_number_used_already_is_refused_but_a_resend_gets_its_answer(
        station: CaseStation) -> None:
    key = uuid.uuid4().hex
    body = offline_case(station, number(3))
    first = station.post("counter", "/v1/cases", body, key=key)
    assert first.status_code == 201, first.text
    again = station.post("counter", "/v1/cases", body, key=key)  # the delivery cut off
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    other = station.post("counter", "/v1/cases", offline_case(station, number(3)))
    assert other.status_code == 409, other.text
    assert other.json()["error"]["code"] == "duplicate_receipt"
    assert number(3) in other.json()["error"]["message"]
    assert station.rows("SELECT count(*) FROM cases WHERE receipt_no = ?", number(3)) == [(1,)]


@pytest.mark.parametrize("wrong", [
    number(4, site="OTHER-0002"),  # another site's code
    number(4, window="2"),  # the body's window is 1
    f"{SITE}-{dt.date.today():%Y%m%d}-0004",  # the station's own form
    f"{SITE}-20261340-H1004",  # no such day
    f"{SITE}-{dt.date.today():%Y%m%d}-H10004",  # a seq of four digits
])
def test_a_number_not_in_the_counters_form_for_this_site_is_refused(
        station: CaseStation, wrong: str) -> None:
    made = station.post("counter", "/v1/cases", offline_case(station, wrong))
    assert made.status_code == 422, made.text
    assert station.rows("SELECT count(*) FROM cases WHERE receipt_no = ?", wrong) == [(0,)]


def test_counter_mode_brings_no_number_and_no_time(station: CaseStation) -> None:
    body = offline_case(station, number(5), mode="counter")
    made = station.post("counter", "/v1/cases", body)
    assert made.status_code == 422
    assert "receipt_no" in made.json()["error"]["message"] \
        or "accepted_at" in made.json()["error"]["message"]
    body.pop("accepted_at")
    made = station.post("counter", "/v1/cases", body)
    assert made.status_code == 422
    assert "receipt_no" in made.json()["error"]["message"]
