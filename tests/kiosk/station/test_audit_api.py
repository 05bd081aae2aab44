"""The screens' audit entries (POST /v1/audit): who, what, when, from which screen and window,
with the clerk signed in there, and never the personal data itself."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from .case_station import CLERK, CaseStation, case_station


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("audit") / "site") as made:
        yield made


def entries(station: CaseStation, action: str) -> list[tuple[str, str, dict]]:
    return [(actor, subject, json.loads(detail)) for actor, subject, detail in station.rows(
        "SELECT actor, subject, detail FROM audit_log WHERE action = ? ORDER BY seq", action)]


def test_a_screen_records_a_card_read_once_per_key(station: CaseStation) -> None:
    with station.client() as counter:
        assert counter.audit("id_card.read", "-", "counter.acceptance", window="1",
                             key="read-1") == {"ok": True}
        counter.audit("id_card.read", "-", "counter.acceptance", window="1", key="read-1")
    found = entries(station, "id_card.read")
    assert len(found) == 1
    actor, subject, detail = found[0]
    assert actor.startswith("counter@") and subject == "-"
    assert detail == {"screen": "counter.acceptance", "window": "1", "clerk": CLERK}


def test_a_print_names_the_case_and_no_window_is_fine(station: CaseStation) -> None:
    with station.client("manager") as manager:
        manager.audit("case.reprinted", "01a20de2-e3c6-70be-a880-d10e9c0fbdf4", "manager.view")
    (actor, subject, detail), = entries(station, "case.reprinted")
    assert actor.startswith("manager@") and subject.startswith("01a20de2")
    assert detail == {"screen": "manager.view", "window": None, "clerk": None}


@pytest.mark.parametrize(("body", "status"), [
    ({"subject": "11010519491231002X"}, 422),      # an ID number is personal data
    ({"subject": "110105491231002"}, 422),         # the old 15-digit number too
    ({"subject": "13800138000"}, 422),             # a mobile number
    ({"subject": "张三"}, 422),                      # a name
    ({"action": "Case.Printed"}, 422),
    ({"action": "printed"}, 422),
    ({"action": "case." + "x" * 64}, 422),
    ({"screen": "Counter Screen"}, 422),
    ({"window": "99"}, 404),
    ({"detail": {"name": "张三"}}, 422),            # no room for anything else
])
def test_personal_data_and_malformed_entries_are_refused(station: CaseStation, body: dict,
                                                         status: int) -> None:
    good = {"action": "applicant.viewed", "subject": "-", "screen": "counter.acceptance",
            "window": "1"}
    before = len(entries(station, good["action"]))
    answer = station.post("counter", "/v1/audit", {**good, **body})
    assert answer.status_code == status, answer.text
    assert " / " in answer.json()["error"]["message"]
    assert len(entries(station, good["action"])) == before


def test_roles(station: CaseStation) -> None:
    body = {"action": "case.printed", "subject": "-", "screen": "kiosk.home"}
    assert station.post("kiosk", "/v1/audit", body).status_code == 403
    assert station.post("display", "/v1/audit", body).status_code == 403

