"""办不成事 through the station: recorded with who asked sealed, escalated window → centre →
county on the working-day calendar, closed with its outcome, listed overdue first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain.workdays import WorkdayCalendar

from .case_station import CLERK, ID_NUMBER, CaseStation, case_station


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("unresolved") / "site") as made:
        yield made


def report(station: CaseStation, **more: Any) -> dict[str, Any]:
    body = {"requester": {"name": "王大爷", "id_number": ID_NUMBER, "phone": "13900000000"},
            "what": "跨省转移养老保险关系", "why": "转出地系统未开通线上办理",
            "item_code": "SMP-SHBZ-001", "window": "1", **more}
    with station.client() as counter:
        return counter.report_unresolved(body)


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_a_request_goes_up_the_levels_and_closes(station: CaseStation) -> None:
    made = report(station)
    assert made["stage"] == "open" and made["escalation"] == "window"
    assert made["clerk"] == CLERK and made["overdue"] is False
    assert made["deadline"] == WorkdayCalendar().add_working_days(today(), 5).isoformat()
    assert made["requester_masked"] == {"name": "王*爷", "id_number": "110105********002X"}
    with station.client() as counter:
        listed = counter.unresolved()["requests"]
        assert [r["id"] for r in listed if r["id"] == made["id"]] == [made["id"]]
        for level in ("centre", "county"):
            moved = counter.unresolved_step(made["id"], "escalate",
                                            {"note": "需上级协调", "by": "张小明"})
            assert moved["escalation"] == level and moved["stage"] == "open"
        top = station.post("counter", f"/v1/unresolved/{made['id']}/escalate",
                           {"note": "再上报", "by": "张小明"})
        assert top.status_code == 409 and top.json()["error"]["code"] == "invalid_transition"
        no_outcome = station.post("counter", f"/v1/unresolved/{made['id']}/close",
                                  {"note": "已办成", "by": "张小明"})
        assert no_outcome.status_code == 422
        closed = counter.unresolved_step(made["id"], "close",
                                         {"note": "县人社局协调办成", "by": "站长",
                                          "outcome": "solved"})
        assert (closed["stage"], closed["outcome"]) == ("closed", "solved")
        assert [e["kind"] for e in closed["history"]] == ["escalated", "escalated",
                                                           "closed_solved"]
        assert made["id"] not in {r["id"] for r in counter.unresolved()["requests"]}
        assert made["id"] in {r["id"] for r in counter.unresolved(closed=True)["requests"]}
    actions = [a for (a,) in station.rows("SELECT action FROM audit_log WHERE subject = ?"
                                          " ORDER BY seq", made["id"])]
    assert actions == ["unresolved.opened", "unresolved.escalated", "unresolved.escalated",
                       "unresolved.closed_solved"]
    # who asked is sealed: neither the name nor the number is in the row
    row = station.rows("SELECT requester, what FROM unresolved_requests WHERE id = ?",
                       made["id"])[0]
    assert "王大爷".encode() not in row[0] and ID_NUMBER.encode() not in row[0]
    assert row[1] == "跨省转移养老保险关系"


def test_overdue_requests_come_first(station: CaseStation) -> None:
    later = report(station, what="办理残疾人证换领", why="鉴定医院名额已满")
    late = report(station, what="办理高龄津贴", why="户籍不在本镇")

    def make_late() -> None:
        with station.running.station.site.store.write() as conn:
            conn.execute("UPDATE unresolved_requests SET deadline = ? WHERE id = ?",
                         ((today() - dt.timedelta(days=3)).isoformat(), late["id"]))

    station.on_writer(make_late)
    with station.client("manager") as manager:
        listed = manager.unresolved()["requests"]
    ids = [r["id"] for r in listed]
    assert ids.index(late["id"]) == 0 and later["id"] in ids
    assert listed[0]["overdue"] is True


@pytest.mark.parametrize(("role", "path", "body", "status"), [
    ("counter", "/v1/unresolved", {"requester": {"name": "王大爷"}, "what": "查询",
                                   "why": "身份证 11010519491231002X 无法核验"}, 422),
    ("counter", "/v1/unresolved", {"requester": {"name": "王大爷"}, "what": "回电 13900000000",
                                   "why": "没有原因"}, 422),
    ("counter", "/v1/unresolved", {"requester": {"name": ""}, "what": "a", "why": "b"}, 422),
    ("counter", "/v1/unresolved", {"requester": {"name": "某"}, "what": " ", "why": "b"}, 422),
    ("counter", "/v1/unresolved", {"requester": {"name": "某"}, "what": "a", "why": "b",
                                   "window": "99"}, 404),
    ("kiosk", "/v1/unresolved", {"requester": {"name": "某"}, "what": "a", "why": "b"}, 403),
    ("counter", "/v1/unresolved/nope/close", {"note": "n", "by": "b", "outcome": "solved"},
     404),
    ("counter", "/v1/unresolved/nope/reopen", {"note": "n", "by": "b"}, 422),
])
def test_refusals_are_plain(station: CaseStation, role: str, path: str, body: Any,
                            status: int) -> None:
    answer = station.post(role, path, body)
    assert answer.status_code == status, answer.text
    assert " / " in answer.json()["error"]["message"]
    assert station.get("display", "/v1/unresolved").status_code == 403
    # the counter's manager view lists rectification tasks too (a step stays the manager's)
    assert station.get("counter", "/v1/rectifications").status_code == 200
    assert station.get("kiosk", "/v1/rectifications").status_code == 403
