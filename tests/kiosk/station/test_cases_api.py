"""One-window acceptance through a real station on loopback: the catalogue, the preview, a
case accepted with its pages (and nothing personal left in clear on the disk), the refusals
with every problem, the pages uploaded after a 409, retries, roles, and reading back with its
audit entry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.client.http import StationError
from offline_store.clock import iso

from .case_station import (
    AGENT_ID_NUMBER,
    CLERK,
    ID_NUMBER,
    NAME,
    CaseStation,
    birth_bundle,
    case_station,
    jpeg,
    person,
    sha,
)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("cases") / "site") as made:
        yield made


@pytest.fixture(scope="module")
def due(station: CaseStation) -> str:
    """The latest day a 容缺 material may be promised for, as the station counts it."""
    with station.client() as client:
        return str(client.preview_case({"bundle_code": "SMP-YJS-001"})["rongque_latest"])


def upload(station: CaseStation, *pages: bytes) -> list[str]:
    with station.client() as client:
        return [client.upload_page(p) for p in pages]


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_the_catalogue_lists_items_and_bundles(
        station: CaseStation) -> None:
    with station.client("kiosk") as kiosk:  # the kiosk reads it too (service guide)
        listing = kiosk.catalogue()
    assert listing["version"] == "sample-2026.11" and listing["sample"] is True
    assert len(listing["items"]) == 49
    birth = next(b for b in listing["bundles"] if b["code"] == "SMP-YJS-001")
    assert birth["name"] == "新生儿出生一件事"
    assert birth["promised_days"] == 7 and len(birth["item_codes"]) == 4
    item = listing["items"][0]
    assert set(item) == {"code", "name", "name_en", "department", "category", "level",
                         "promised_days"}


def test_the_preview_decides_without_writing(station: CaseStation, due: str) -> None:
    before = station.rows("SELECT count(*) FROM cases")[0][0]
    draft = birth_bundle({"M008": [], "M004": []}, due)
    draft["materials"][1]["page_count"] = 2  # captured, not uploaded yet
    with station.client("kiosk") as kiosk:
        preview = kiosk.preview_case(draft)
    problems = {(p["kind"], p["material_code"]) for p in preview["problems"]}
    assert problems == {("no_pages", "M004")}  # M008 counts its page_count
    assert preview["ok"] is False and preview["status"] is None
    assert [line["code"] for line in preview["checklist"]] == [
        "M001", "M003", "M008", "M004", "M002", "M007"]
    assert preview["notice"] == [{"material_code": "M007", "name": "近期免冠证件照片",
                                  "form": "原件", "count": 1, "note": "可调取公安人口库照片",
                                  "due": due}]
    assert preview["promised_days"] == 7 and preview["promised_date"] > preview["accepted_on"]
    assert preview["rongque_latest"] == due and len(preview["fees"]) == 4
    draft["materials"][2]["page_count"] = 1
    with station.client() as counter:
        fixed = counter.preview_case(draft)
    assert fixed["ok"] is True and fixed["status"] == "accepted_rongque", fixed["problems"]
    half_typed = {**draft, "applicant": person(id_number="1101051949")}
    with station.client() as counter:
        preview = counter.preview_case(half_typed)
    assert [p["kind"] for p in preview["problems"]] == ["applicant_id_number"]
    with station.client() as counter:
        nobody = counter.preview_case({**draft, "applicant": None})
    assert nobody["ok"] is False and [p["kind"] for p in nobody["problems"]] == ["applicant"]
    assert station.rows("SELECT count(*) FROM cases")[0][0] == before


def test_a_case_with_pages_leaves_nothing_personal_in_clear(station: CaseStation,
                                                             due: str) -> None:
    form, cert_front, cert_back = jpeg(), jpeg(), jpeg()
    shas = upload(station, form, cert_front, cert_back)
    staging = station.data_dir / "staging"
    assert len(files_under(staging)) == 3
    body = birth_bundle({"M008": shas[:1], "M004": shas[1:]}, due)
    body["agent"] = person("李四", AGENT_ID_NUMBER, relationship="parent")
    with station.client() as counter:
        case = counter.accept_case(body)
    assert case["status"] == "accepted_rongque"
    assert (case["window"], case["clerk"], case["clerk_name"]) == ("1", CLERK, "张小明")
    assert case["applicant_masked"] == {"name": "欧**娜", "id_number": "110105********002X"}
    assert case["agent_masked"] == {"name": "李*", "id_number": "110105********0038"}
    assert case["bundle"] == {"code": "SMP-YJS-001", "name": "新生儿出生一件事"}
    states = {m["code"]: (m["state"], m["pages"], m["due"]) for m in case["materials"]}
    assert states == {"M001": ("waived", 0, None), "M003": ("missing", 0, None),
                      "M008": ("captured", 1, None), "M004": ("captured", 2, None),
                      "M002": ("missing", 0, None), "M007": ("deferred", 0, due)}
    assert [n["material_code"] for n in case["notice"]] == ["M007"]
    assert case["receipt_no"].startswith("DEMO-0001-")
    assert case["query_url"].startswith(f"BMR:{case['receipt_no']}:")  # kiosk reads it
    # the staged copies are gone once the case keeps the pages
    assert files_under(staging) == []

    # what the store holds: the case, its first step, the pages as blob rows
    row = station.rows("SELECT status, window, clerk, mode, history, accepted_day FROM cases"
                       " WHERE id = ?", case["id"])[0]
    assert row[:4] == ("accepted_rongque", "1", CLERK, "counter")
    assert [(s["kind"], s["by"]) for s in json.loads(row[4])] == [("accepted_rongque", CLERK)]
    assert row[5] == case["accepted_on"]
    pages = station.rows("SELECT material_code, page_no, blob_sha256 FROM case_pages"
                         " WHERE case_id = ? ORDER BY material_code, page_no", case["id"])
    assert [(m, n) for m, n, _ in pages] == [("M004", 1), ("M004", 2), ("M008", 1)]
    assert {s for _, _, s in pages}.isdisjoint(shas)  # stored sealed: other bytes, other hash
    entry = station.rows("SELECT actor, detail FROM audit_log WHERE action = 'case.accepted'"
                         " AND subject = ?", case["id"])
    assert len(entry) == 1 and entry[0][0].startswith("counter@")
    assert json.loads(entry[0][1])["pages"] == 3
    assert station.rows("SELECT count(*) FROM outbox WHERE entity = 'case' AND entity_id = ?",
                        case["id"])[0][0] == 1

    # the raw files: store, WAL, blobs, staging. No name, ID number, phone or page in clear
    station.on_writer(station.running.station.site.store.checkpoint)
    raw = b"".join(p.read_bytes() for p in files_under(station.data_dir))
    assert "欧**娜".encode() in raw  # the kept answer, masked: text in clear is findable
    for secret in (NAME.encode(), ID_NUMBER.encode(), AGENT_ID_NUMBER.encode(),
                   "李四".encode(), b"13800138000", b"EL-1"):
        assert secret not in raw, secret
    for page in (form, cert_front, cert_back):
        assert page[100:164] not in raw

    # and the station itself opens them again, whole
    from offline_store.cases import read_case

    kept = station.on_writer(read_case, station.running.station.site, case["id"])
    assert kept["applicant"]["name"] == NAME and kept["pages"]["M004"] == [cert_front,
                                                                           cert_back]


def test_a_missing_upload_is_409_and_the_same_key_succeeds_after_it(
        station: CaseStation, due: str) -> None:
    page, late = jpeg(), jpeg()
    shas = upload(station, page)
    body = birth_bundle({"M008": shas, "M004": [sha(late)]}, due)
    first = station.post("counter", "/v1/cases", body, key="retry-1")
    assert first.status_code == 409, first.text
    assert first.json()["error"]["code"] == "missing_uploads"
    assert first.json()["error"]["missing"] == [sha(late)]
    with station.client() as counter:
        try:
            counter.accept_case(body, key="retry-1")
        except StationError as exc:  # the client hands the list on
            assert exc.status == 409 and exc.body["missing"] == [sha(late)]
        else:
            pytest.fail("accepted without its page")
        counter.upload_page(late)
        made = counter.accept_case(body, key="retry-1")
        again = counter.accept_case(body, key="retry-1")  # a lost answer, asked again
    assert again == made
    assert station.rows("SELECT count(*) FROM cases WHERE receipt_no = ?",
                        made["receipt_no"])[0][0] == 1


def test_a_refused_case_lists_every_problem_and_the_notice(station: CaseStation,
                                                           due: str) -> None:
    body = {"applicant": person(), "bundle_code": "SMP-YJS-001", "window": "1",
            "materials": [
                {"code": "M008", "state": "waived", "reason": "shared_data"},
                {"code": "M007", "state": "deferred", "due": due, "commitment_signed": False},
                {"code": "M999", "state": "missing"}]}
    answer = station.post("counter", "/v1/cases", body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "acceptance_refused"
    assert [(p["kind"], p["material_code"]) for p in error["problems"]] == [
        ("unknown_material", "M999"), ("missing", "M001"), ("waive_not_allowed", "M008"),
        ("missing", "M004"), ("commitment_unsigned", "M007")]
    assert [(n["material_code"], n["due"]) for n in error["notice"]] == [
        ("M001", None), ("M004", None), ("M007", due)]
    assert "/" in error["message"]


@pytest.mark.parametrize(("applicant", "agent", "kinds"), [
    (person(id_number="110105194912310021"), None, ["applicant_id_number"]),
    (person(name=" "), None, ["applicant_name"]),
    (person(), person("李四", ID_NUMBER, relationship="neighbour"),
     ["agent_relationship", "agent_is_applicant"]),
])
def test_a_wrong_party_is_422_with_its_problems(station: CaseStation, due: str,
                                                applicant: dict[str, Any],
                                                agent: dict[str, Any] | None,
                                                kinds: list[str]) -> None:
    shas = upload(station, jpeg(), jpeg())
    body = birth_bundle({"M008": shas[:1], "M004": shas[1:]}, due, applicant=applicant,
                        agent=agent)
    answer = station.post("counter", "/v1/cases", body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_party"
    assert [p["kind"] for p in answer.json()["error"]["problems"]] == kinds


def test_a_number_read_from_the_card_is_not_held_to_the_typed_check(
        station: CaseStation, due: str) -> None:
    # a foreigner's card (I, 15 characters) carries no GB 11643 check character
    shas = upload(station, jpeg(), jpeg())
    body = birth_bundle({"M008": shas[:1], "M004": shas[1:]}, due,
                        applicant=person("JOHN SMITH", "USA110079060101", from_card=True))
    answer = station.post("counter", "/v1/cases", body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["applicant_masked"]["id_number"] == "USA110*****0101"


def test_roles_and_unknown_links(station: CaseStation, due: str) -> None:
    shas = upload(station, jpeg(), jpeg())
    body = birth_bundle({"M008": shas[:1], "M004": shas[1:]}, due)
    for role in ("kiosk", "display"):
        refused = station.post(role, "/v1/cases", body)
        assert refused.status_code == 403, refused.text
    assert station.post("display", "/v1/cases/preview", body).status_code == 403
    assert station.get("display", "/v1/catalogue").status_code == 403
    assert station.get("kiosk", "/v1/cases").status_code == 403
    assert station.post("counter", "/v1/cases",
                        {**body, "ticket_id": "no-such-ticket"}).status_code == 404
    assert station.post("counter", "/v1/cases", {**body, "window": "99"}).status_code == 404
    # a given acceptance time belongs to a home visit delivered later only
    assert station.post("counter", "/v1/cases",
                        {**body, "accepted_at": "2026-01-01T10:00:00+08:00"}
                        ).status_code == 422


def test_a_home_visit_delivered_later_keeps_its_time(station: CaseStation) -> None:
    clock = station.running.station.site.clock
    earlier = clock.now().replace(microsecond=0) - __import__("datetime").timedelta(hours=3)
    shas = upload(station, jpeg(), jpeg())
    body = {"applicant": person(), "item_codes": ["SMP-SHBZ-005"], "mode": "home_visit",
            "accepted_at": iso(earlier), "window": None,
            "materials": [{"code": "M001", "state": "captured", "pages": shas[:1]},
                          {"code": "M007", "state": "captured", "pages": shas[1:]}]}
    with station.client() as counter:
        case = counter.accept_case(body)
    assert case["accepted_at"] == iso(earlier) and case["mode"] == "home_visit"
    assert case["clerk"] is None and case["status"] == "accepted"
    history = json.loads(station.rows("SELECT history FROM cases WHERE id = ?",
                                      case["id"])[0][0])
    assert history[0]["by"].startswith("counter@")  # no clerk at a window: the screen


def test_reading_a_case_back_is_audited(station: CaseStation, due: str) -> None:
    shas = upload(station, jpeg(), jpeg())
    with station.client() as counter:
        made = counter.accept_case(birth_bundle({"M008": shas[:1], "M004": shas[1:]}, due))
        again = counter.case(made["id"])
        listed = counter.cases()
    assert again == made  # the same answer, for a reprint
    mine = next(c for c in listed["cases"] if c["id"] == made["id"])
    assert mine["applicant_masked"] == made["applicant_masked"]
    assert mine["items"][0] == "出生医学证明首次签发" and mine["clerk"] == CLERK
    views = station.rows("SELECT actor FROM audit_log WHERE action = 'case.viewed'"
                         " AND subject = ?", made["id"])
    assert len(views) == 1 and views[0][0].startswith("counter@")
    assert station.rows("SELECT count(*) FROM audit_log WHERE action = 'case.listed'")[0][0]
    assert station.get("counter", "/v1/cases/nope").status_code == 404
    assert station.get("counter", "/v1/cases", day="2026-02-30").status_code == 422
    assert station.get("counter", "/v1/cases", day="2020-01-01").json()["cases"] == []


@pytest.mark.parametrize("materials", [
    [{"code": "M008", "state": "captured", "pages": ["not-a-hash"]}],
    [{"code": "M008", "state": "lost"}],
    [{"code": "M008", "state": "deferred", "due": "2026-13-40", "commitment_signed": True}],
    [{"code": "M008", "state": "waived", "reason": "because"}],
    [{"code": "M008", "state": "missing"}, {"code": "M008", "state": "missing"}],
    [{"code": "M008", "state": "captured", "pages": ["a" * 64], "page_count": 2}],
    [{"code": "M008", "state": "captured", "pages": ["a" * 64, "a" * 64]}],
])
def test_hostile_case_bodies_are_4xx(station: CaseStation, materials: list[Any]) -> None:
    body = {"applicant": person(), "bundle_code": "SMP-YJS-001", "materials": materials}
    answer = station.post("counter", "/v1/cases", body)
    assert 400 <= answer.status_code < 500, answer.text
    assert " / " in answer.json()["error"]["message"]


def test_no_items_or_an_unknown_bundle_is_refused_plainly(station: CaseStation) -> None:
    for body in ({"applicant": person()},
                 {"applicant": person(), "bundle_code": "SMP-NOPE"},
                 {"applicant": person(), "bundle_code": "SMP-YJS-001",
                  "item_codes": ["SMP-SHBZ-005"]}):
        answer = station.post("counter", "/v1/cases", body)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == \
            "acceptance_refused", answer.text
        preview = station.post("counter", "/v1/cases/preview", body)
        assert preview.status_code == 200
        assert preview.json()["problems"][0]["kind"] == "items"


def test_a_case_stored_without_the_station_still_reads_back(station: CaseStation) -> None:
    from offline_store import cases

    site = station.running.station.site
    made = station.on_writer(lambda: cases.add_case(
        site, site_code="DEMO-0001", local_day=site.clock.now().date(),
        applicant={"name": NAME, "id_number": ID_NUMBER}, item_codes=["SMP-SHBZ-005"],
        catalogue_version="sample-2026.11", materials=[]))
    answer = station.get("counter", f"/v1/cases/{made['id']}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"] == [] and answer.json()["promised_days"] is None
