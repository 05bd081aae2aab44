"""The station over real HTTP and WebSocket on loopback: tokens and roles, idempotent
retries, plain refusals, the event stream, the committed OpenAPI document, and the
``bianmin queue`` commands against it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from kiosk.cli import cli
from kiosk.client.http import StationClient, StationError
from kiosk.config import SiteConfig
from kiosk.station import auth
from kiosk.station.server import start_background
from kiosk.station.spec import openapi_document

SPEC = Path(__file__).resolve().parents[3] / "docs" / "api" / "station.openapi.json"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    station = start_background(tmp_path_factory.mktemp("station"), SiteConfig())

    def pair(role: str) -> auth.Pairing:
        return station.station.writer.submit(auth.pair, station.station.site, role).result()

    tokens = {role: pair(role).token for role in auth.ROLES}
    yield SimpleNamespace(url=station.url, station=station, tokens=tokens, pair=pair)
    station.stop()


def client(running: SimpleNamespace, role: str) -> StationClient:
    return StationClient(running.url, running.tokens[role])


def raw(running: SimpleNamespace, method: str, path: str, role: str | None = "manager",
        key: str | None = "k", **kwargs: Any) -> httpx.Response:
    headers = dict(kwargs.pop("headers", {}))
    if role:
        headers["Authorization"] = f"Bearer {running.tokens[role]}"
    if key:
        headers["Idempotency-Key"] = key
    return httpx.request(method, running.url + path, headers=headers, timeout=5, **kwargs)


def plain_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    message = error["message"]
    assert " / " in message and any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    return error


def test_health_needs_no_token_and_status_needs_one(running: SimpleNamespace) -> None:
    assert httpx.get(running.url + "/v1/health").json()["ok"] is True
    plain_error(httpx.get(running.url + "/v1/status"), 401)
    wrong = httpx.get(running.url + "/v1/status", headers={"Authorization": "Bearer nope"})
    assert plain_error(wrong, 401)["code"] == "unauthorized"


@pytest.mark.parametrize(("role", "method", "path", "body"), [
    ("display", "POST", "/v1/tickets", {"category": "A"}),
    ("kiosk", "POST", "/v1/windows/1/call", None),
    ("counter", "GET", "/v1/kpi", None),
    ("counter", "POST", "/v1/announcements", {"text": "午休"}),
])
def test_each_role_does_only_its_own_work(running: SimpleNamespace, role: str, method: str,
                                          path: str, body: Any) -> None:
    response = raw(running, method, path, role=role, json=body)
    assert plain_error(response, 403)["code"] == "forbidden"


def test_a_post_without_idempotency_key_is_refused(running: SimpleNamespace) -> None:
    response = raw(running, "POST", "/v1/tickets", key=None, json={"category": "A"})
    assert plain_error(response, 400)["code"] == "idempotency_key_missing"


@pytest.mark.parametrize(("path", "content"), [
    ("/v1/tickets", b"{not json"),
    ("/v1/tickets", json.dumps({"category": "AA"}).encode()),
    ("/v1/tickets", json.dumps({"category": "A", "extra": 1}).encode()),
    ("/v1/tickets", json.dumps({"category": "A", "reasons": ["vip"]}).encode()),
    ("/v1/tickets", json.dumps({"category": "A", "id_card": {"id_number": "123"}}).encode()),
    ("/v1/tickets", json.dumps({"category": "A", "appointment": {
        "start": "2026-11-24T10:00:00", "end": "2026-11-24T10:30:00"}}).encode()),
    ("/v1/tickets", json.dumps({"category": "A", "appointment": {
        "start": "2026-11-24T10:30:00+08:00", "end": "2026-11-24T10:00:00+08:00"}}).encode()),
    ("/v1/windows/abc/call", b"{}"),
    ("/v1/windows/1/transfer", json.dumps({"category": "B", "window": "2"}).encode()),
    ("/v1/pair", json.dumps({"code": "12"}).encode()),
])
def test_malformed_requests_get_a_plain_422(running: SimpleNamespace, path: str,
                                            content: bytes) -> None:
    response = raw(running, "POST", path, content=content,
                   headers={"Content-Type": "application/json"})
    assert plain_error(response, 422)["code"] == "invalid"


def test_unknown_things_are_plain_404s(running: SimpleNamespace) -> None:
    assert plain_error(raw(running, "GET", "/v1/nothing"), 404)["code"] == "not_found"
    response = raw(running, "POST", "/v1/windows/99/call", key="w99")
    assert plain_error(response, 404)["code"] == "no_such_window"
    response = raw(running, "POST", "/v1/tickets", key="cat-z", json={"category": "Z"})
    assert plain_error(response, 404)["code"] == "no_such_category"


def test_a_retry_with_the_same_key_gets_the_same_ticket(running: SimpleNamespace) -> None:
    body = {"category": "C", "confirm": True}
    first = raw(running, "POST", "/v1/tickets", role="kiosk", key="retry-1", json=body)
    second = raw(running, "POST", "/v1/tickets", role="kiosk", key="retry-1", json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    other = raw(running, "POST", "/v1/tickets", role="kiosk", key="retry-1",
                json={"category": "D"})
    assert plain_error(other, 422)["code"] == "idempotency_key_reused"
    # another screen's key space is its own
    manager = raw(running, "POST", "/v1/tickets", role="manager", key="retry-1", json=body)
    assert manager.json()["number"] != first.json()["number"]


def test_pairing_code_works_once(running: SimpleNamespace) -> None:
    made = running.pair("display")
    with StationClient(running.url, None) as anonymous:
        granted = anonymous.pair(made.code)
        assert granted == {"token": made.token, "role": "display"}
        with pytest.raises(StationError) as again:
            anonymous.pair(made.code)
    assert again.value.status == 404
    with StationClient(running.url, granted["token"]) as display:
        assert display.status()["site"]["name"]


def test_the_event_stream_starts_with_a_snapshot_and_carries_calls(
        running: SimpleNamespace) -> None:
    headers = {"Authorization": f"Bearer {running.tokens['display']}"}
    ws_url = running.url.replace("http://", "ws://") + "/v1/events"
    with connect(ws_url, additional_headers=headers, open_timeout=5) as socket, \
            client(running, "counter") as counter, client(running, "kiosk") as kiosk:
        hello = json.loads(socket.recv(timeout=5))
        assert hello["type"] == "hello" and {"categories", "windows", "recent_calls"} <= set(
            hello["status"])
        reserved = kiosk.issue("D")
        kiosk.confirm(reserved["id"])
        counter.call("5", reserved["number"])
        seen = [json.loads(socket.recv(timeout=5)) for _ in range(2)]
    issued, called = seen
    assert issued["type"] == "ticket.issued" and issued["ticket"]["number"] == reserved["number"]
    assert called["type"] == "ticket.called"
    assert called["call"]["text"] == f"请{reserved['number']}号到5号窗口办理"
    assert hello["seq"] < issued["seq"] < called["seq"]
    counter_now = next(w for w in called["windows"] if w["number"] == "5")
    assert counter_now["current"]["number"] == reserved["number"]
    with client(running, "counter") as counter:
        counter.finish("5")


def test_the_event_stream_refuses_an_unpaired_screen(running: SimpleNamespace) -> None:
    ws_url = running.url.replace("http://", "ws://") + "/v1/events?token=nope"
    with pytest.raises(ConnectionClosed) as closed, connect(ws_url, open_timeout=5) as socket:
        socket.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


def test_the_committed_openapi_document_is_the_served_one(running: SimpleNamespace) -> None:
    committed = json.loads(SPEC.read_text("utf-8"))
    served = httpx.get(running.url + "/openapi.json").json()
    assert committed == served == json.loads(json.dumps(openapi_document()))


# --- bianmin queue against the live station ------------------------------------------------


def bianmin(running: SimpleNamespace, *args: str, role: str = "manager") -> Any:
    env = {"BIANMIN_STATION": running.url, "BIANMIN_TOKEN": running.tokens[role]}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_queue_commands_keep_their_json_contract(running: SimpleNamespace) -> None:
    issued = bianmin(running, "queue", "issue", "--category", "B", "--json")
    assert issued.exit_code == 0, issued.output
    number = json.loads(issued.output)["number"]
    assert number.startswith("B")
    called = json.loads(bianmin(running, "queue", "call", "--window", "3", "--json").output)
    assert called["number"] == number and called["window"] == "3"
    assert bianmin(running, "queue", "recall", "--window", "3").exit_code == 0
    moved = bianmin(running, "queue", "transfer", "--window", "3", "--to", "A", "--json")
    assert json.loads(moved.output)["category"] == "A"
    status = json.loads(bianmin(running, "queue", "status", "--json").output)
    assert {"prefix", "waiting", "estimated_wait_s"} <= set(status["categories"][0])
    assert status["recent_calls"][0]["number"] == number
    assert {"windows", "recent_calls"} <= set(status)
    kpi = json.loads(bianmin(running, "queue", "kpi", "--json").output)
    assert {"by_category", "by_window", "by_clerk", "uneven_load"} <= set(kpi)


def test_queue_commands_exit_1_on_no_and_2_on_failure(running: SimpleNamespace,
                                                      tmp_path: Path) -> None:
    idle = bianmin(running, "queue", "finish", "--window", "6")
    assert idle.exit_code == 1 and "站点服务拒绝" in idle.output
    forbidden = bianmin(running, "queue", "kpi", role="display")
    assert forbidden.exit_code == 2 and "错误 / Error" in forbidden.output
    gone = CliRunner().invoke(cli, ["queue", "status", "--station", "http://127.0.0.1:9",
                                    "--token", "x"], catch_exceptions=False)
    assert gone.exit_code == 2 and "连不上站点服务" in gone.output
    tokenless = CliRunner().invoke(cli, ["queue", "status"], env={"BIANMIN_TOKEN": ""},
                                   catch_exceptions=False)
    assert tokenless.exit_code == 2 and "缺少令牌" in tokenless.output


def test_station_pair_prints_code_and_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["station", "pair", "--data-dir", str(tmp_path / "d"),
                                      "--role", "counter", "--json"], catch_exceptions=False)
    assert result.exit_code == 2  # no store yet: pairing needs the station's site
    from kiosk.site_context import create_site

    site, _ = create_site(tmp_path / "d", SiteConfig())
    site.close()
    result = CliRunner().invoke(cli, ["station", "pair", "--data-dir", str(tmp_path / "d"),
                                      "--role", "counter", "--json"], catch_exceptions=False)
    made = json.loads(result.output)
    assert set(made) == {"code", "token", "role", "expires_at"}
    assert len(made["code"]) == 8 and made["code"].isdigit() and made["role"] == "counter"


def test_a_revoked_token_no_longer_opens_the_running_station(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """bianmin station tokens lists the screens' tokens by id (never the token); bianmin
    station revoke ID stops one: the running station believes a role for ROLE_CACHE_S at
    most (shortened here), so the lost kiosk is refused without a restart."""
    from kiosk.station import runtime

    monkeypatch.setattr(runtime, "ROLE_CACHE_S", 0.2)
    data = tmp_path / "d"
    started = start_background(data, SiteConfig())
    try:
        lost, kept = (started.station.writer.submit(auth.pair, started.station.site, role)
                      .result() for role in ("kiosk", "display"))

        def run(*args: str) -> Any:
            return CliRunner().invoke(cli, ["station", *args, "--data-dir", str(data)],
                                      catch_exceptions=False)

        with StationClient(started.url, lost.token) as kiosk:
            assert kiosk.status()["categories"]  # the cache now holds its role
            listed = json.loads(run("tokens", "--json").output)["tokens"]
            assert [t["role"] for t in listed] == ["kiosk", "display"]
            assert all(t["revoked_at"] is None and len(t["id"]) == 12 for t in listed)
            assert lost.token not in run("tokens").output  # only the hash's head is shown
            assert run("revoke", "zz").exit_code == 2  # not an id
            unknown = next(f"{c}{'0' * 11}" for c in "0123456789abcdef"
                           if not any(t["id"].startswith(c) for t in listed))
            missing = run("revoke", unknown)
            assert missing.exit_code == 1 and "no valid token has this id" in missing.output
            done = run("revoke", listed[0]["id"][:6], "--json")
            assert done.exit_code == 0 and json.loads(done.output) == {"revoked": listed[0]["id"]}
            again = run("revoke", listed[0]["id"])
            assert again.exit_code == 1 and "no valid token has this id" in again.output
            time.sleep(0.3)
            with pytest.raises(StationError) as refused:
                kiosk.status()
            assert refused.value.status == 401
        with StationClient(started.url, kept.token) as display:
            assert display.status()["categories"]  # the others still work
        states = json.loads(run("tokens", "--json").output)["tokens"]
        assert states[0]["revoked_at"] is not None and states[1]["revoked_at"] is None
    finally:
        started.stop()
