"""After acceptance: a 容缺 material brought later (补交) with its pages, the case finished
(办结) or withdrawn (撤回), each step in the case's history, the outbox and the audit log,
and refused where the domain says no."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.client.http import StationError

from .case_station import CaseStation, birth_bundle, case_station, jpeg, sha


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("steps") / "site") as made:
        yield made


def accepted(station: CaseStation) -> dict[str, Any]:
    """A 新生儿出生 case with the photo (M007) deferred."""
    pages = {"M008": jpeg(), "M004": jpeg()}
    with station.client() as client:
        due = str(client.preview_case({"bundle_code": "SMP-YJS-001"})["rongque_latest"])
        for data in pages.values():
            client.upload_page(data)
        return client.accept_case(birth_bundle({k: [sha(v)] for k, v in pages.items()}, due))


def test_the_photo_brought_later_completes_the_case_and_it_is_finished(
        station: CaseStation) -> None:
    case = accepted(station)
    assert case["status"] == "accepted_rongque"
    photo = jpeg()
    with station.client() as client:
        with pytest.raises(StationError) as early:
            client.case_step(case["id"], "finish", window="1")
        assert early.value.status == 409 and early.value.code == "invalid_transition"
        with pytest.raises(StationError) as not_uploaded:
            client.case_step(case["id"], "supply", window="1", material={
                "code": "M007", "state": "captured", "pages": [sha(photo)]})
        assert not_uploaded.value.code == "missing_uploads"
        client.upload_page(photo)
        supplied = client.case_step(case["id"], "supply", window="1", material={
            "code": "M007", "state": "captured", "pages": [sha(photo)]})
        done = client.case_step(case["id"], "finish", window="1", note="已出证")
    assert supplied["status"] == "materials_complete"
    assert supplied["step"]["kind"] == "materials_completed" and supplied["step"]["by"] == \
        "zhang01"
    assert done["status"] == "done"
    assert [s["kind"] for s in done["history"]] == ["accepted_rongque", "materials_completed",
                                                     "done"]
    rows = station.rows("SELECT status, history FROM cases WHERE id = ?", case["id"])
    assert rows[0][0] == "done" and len(json.loads(rows[0][1])) == 3
    assert station.rows("SELECT state FROM case_materials WHERE case_id = ? AND "
                        "material_code = 'M007'", case["id"]) == [("captured",)]
    assert station.rows("SELECT count(*) FROM case_pages WHERE case_id = ? AND "
                        "material_code = 'M007'", case["id"]) == [(1,)]
    ops = [r[0] for r in station.rows(
        "SELECT op FROM outbox WHERE entity_id = ? ORDER BY rowid", case["id"])]
    assert ops == ["accepted", "materials_completed", "done"]
    actions = {r[0] for r in station.rows("SELECT action FROM audit_log WHERE subject = ?",
                                          case["id"])}
    assert {"case.accepted", "case.materials_completed", "case.done"} <= actions
    raw = b"".join(p.read_bytes() for p in (station.data_dir / "blobs").rglob("*")
                   if p.is_file())
    assert photo[4:40] not in raw  # the page brought later is sealed too


def test_refusals_say_why(station: CaseStation) -> None:
    case = accepted(station)
    with station.client() as client:
        with pytest.raises(StationError) as not_deferred:
            client.case_step(case["id"], "supply", material={
                "code": "M001", "state": "waived", "reason": "e_licence",
                "licence_code": "EL-2"})
        assert not_deferred.value.code == "invalid_transition"
        with pytest.raises(StationError) as no_note:
            client.case_step(case["id"], "withdraw")
        assert "撤回原因" in no_note.value.message
        withdrawn = client.case_step(case["id"], "withdraw", note="申请人不再办理")
        assert withdrawn["status"] == "withdrawn"
        with pytest.raises(StationError) as closed:
            client.case_step(case["id"], "finish")
        assert closed.value.code == "invalid_transition"
        with pytest.raises(StationError) as unknown:
            client.case_step("no-such-case", "finish")
        assert unknown.value.status == 404
    with station.client("kiosk") as kiosk, pytest.raises(StationError) as kiosk_may_not:
        kiosk.case_step(case["id"], "finish")
    assert kiosk_may_not.value.status == 403
