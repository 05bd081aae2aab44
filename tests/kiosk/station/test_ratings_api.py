"""好差评 through the station: one rating per visit, a 差评 opens its rectification with a
deadline in working days, the manager's steps, and roles."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from kiosk.config import SiteConfig, parse_config
from kiosk.domain.workdays import WorkdayCalendar
from kiosk.station import auth
from kiosk.station.server import start_background


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    config = parse_config("[ratings]\nrectify_days = 5\n", "test")
    assert isinstance(config, SiteConfig)
    station = start_background(tmp_path_factory.mktemp("ratings"), config)
    tokens = {role: station.station.writer.submit(auth.pair, station.station.site, role)
              .result().token for role in ("kiosk", "counter", "manager")}
    yield SimpleNamespace(url=station.url, tokens=tokens, station=station)
    station.stop()


def post(running: SimpleNamespace, role: str, path: str, body: Any) -> httpx.Response:
    return httpx.post(running.url + path, json=body, timeout=10, headers={
        "Authorization": f"Bearer {running.tokens[role]}", "Idempotency-Key": uuid.uuid4().hex})


def ticket(running: SimpleNamespace) -> str:
    made = post(running, "kiosk", "/v1/tickets", {"category": "A", "confirm": True})
    assert made.status_code == 201
    return str(made.json()["id"])


def test_a_good_rating_is_kept_once_per_visit(running: SimpleNamespace) -> None:
    visit = ticket(running)
    first = post(running, "counter", "/v1/ratings",
                 {"level": 5, "ticket_id": visit, "window": "1",
                  "dimensions": {"attitude": 5}})
    assert first.status_code == 201, first.text
    assert first.json()["rectification"] is None
    again = post(running, "counter", "/v1/ratings", {"level": 1, "ticket_id": visit})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_rated"


def test_a_bad_rating_opens_a_task_the_manager_takes_to_its_end(
        running: SimpleNamespace) -> None:
    visit = ticket(running)
    rated = post(running, "kiosk", "/v1/ratings", {
        "level": 1, "ticket_id": visit, "channel": "kiosk", "reasons": ["long_wait"],
        "rater": {"name": "张三", "phone": "13800000000"}, "text": "等了两个小时"})
    assert rated.status_code == 201, rated.text
    task = rated.json()["rectification"]
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    # [ratings] rectify_days = 5: five working days from the rated day
    assert task["stage"] == "verify"
    assert task["deadline"] == WorkdayCalendar().add_working_days(today, 5).isoformat()
    listed = httpx.get(running.url + "/v1/rectifications", timeout=10, headers={
        "Authorization": f"Bearer {running.tokens['manager']}"}).json()["tasks"]
    assert any(t["id"] == task["id"] and t["named"] for t in listed)
    steps = [("verify", "情况属实"), ("rectify", "增开窗口"), ("feed_back", "已电话告知")]
    for step, note in steps:
        moved = post(running, "manager", f"/v1/rectifications/{task['id']}/{step}",
                     {"note": note, "by": "站长"})
        assert moved.status_code == 200, moved.text
    # 实名: it may not end before the call back (回访)
    assert moved.json()["stage"] == "revisit" and moved.json()["status"] == "open"
    skipped = post(running, "manager", f"/v1/rectifications/{task['id']}/rectify",
                   {"note": "再次整改", "by": "站长"})
    assert skipped.status_code == 409
    done = post(running, "manager", f"/v1/rectifications/{task['id']}/revisit",
                {"note": "群众满意", "by": "站长"})
    assert (done.json()["stage"], done.json()["status"]) == ("done", "closed")


@pytest.mark.parametrize(("role", "path", "body", "status"), [
    ("counter", "/v1/rectifications/x/verify", {"note": "n", "by": "b"}, 403),
    ("manager", "/v1/rectifications/nope/verify", {"note": "n", "by": "b"}, 404),
    ("counter", "/v1/ratings", {"level": 6, "ticket_id": "t"}, 422),
    ("counter", "/v1/ratings", {"level": 4}, 422),  # bound to no visit
    ("counter", "/v1/ratings", {"level": 4, "ticket_id": "no-such-ticket"}, 404),
    ("counter", "/v1/ratings", {"level": 4, "reasons": ["slow"], "ticket_id": "t"}, 422),
])
def test_refusals_are_plain(running: SimpleNamespace, role: str, path: str, body: Any,
                            status: int) -> None:
    if body.get("ticket_id") == "t":
        body = {**body, "ticket_id": ticket(running)}
    answer = post(running, role, path, body)
    assert answer.status_code == status, answer.text
    assert " / " in answer.json()["error"]["message"]
