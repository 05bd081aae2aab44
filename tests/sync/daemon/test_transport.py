"""The daemon's HTTP client against a hostile or broken hub (a real server on loopback that
misbehaves on purpose; the real hub cannot be made to): endless answers, slow answers, 5xx,
429/503 with Retry-After, answers of the wrong shape, and a clock far from ours."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from offline_store.clock import FixedClock
from sync.daemon.errors import AuthRefused, HubUnavailable, Refused
from sync.daemon.settings import SyncSettings
from sync.daemon.transport import HubClient, Signer, retry_after
from sync.protocol import signing
from sync.protocol.messages import OpsAnswer, Reconciliation

from .servers import serve_asgi

HUB_AHEAD_S = 1000.0
SETTINGS = SyncSettings(connect_timeout_s=1, read_timeout_s=0.5)


def _error(status: int, code: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": "张三 110105194912310021"}},
                        status, headers=headers)


def hostile_app(seen: dict[str, list[Any]]) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/endless")
    async def endless() -> StreamingResponse:
        async def forever() -> Any:
            while True:
                yield b"x" * 65536
                await asyncio.sleep(0)
        return StreamingResponse(forever(), media_type="application/json")

    @app.get("/v1/slow")
    async def slow() -> Response:
        await asyncio.sleep(3)
        return Response(b"{}")

    @app.get("/v1/status/{status}")
    async def status(status: int, retry: str | None = None) -> JSONResponse:
        headers = {"Retry-After": retry} if retry else {}
        return _error(status, "busy" if status != 401 else "bad_signature", **headers)

    @app.get("/v1/shape")
    async def shape() -> JSONResponse:
        return JSONResponse({"ops": "张三", "hash": "110105194912310021"})

    @app.post("/v1/ops")
    async def ops(request: Request) -> Response:
        params, _ = signing.parse({k.lower(): v for k, v in request.headers.items()}, True)
        hub_now = time.time() + HUB_AHEAD_S
        seen["created"].append(params.created - hub_now)
        date = email.utils.formatdate(hub_now, usegmt=True)
        if abs(params.created - hub_now) > signing.MAX_SKEW_S:
            return _error(401, "stale", Date=date)
        return JSONResponse({"results": [], "hub_time": "x"}, headers={"Date": date})

    return app


@pytest.fixture
def hostile() -> Iterator[tuple[str, dict[str, list[Any]]]]:
    seen: dict[str, list[Any]] = {"created": []}
    with serve_asgi(hostile_app(seen)) as url:
        yield url, seen


def _client(url: str) -> HubClient:
    clock = FixedClock(dt.datetime.now(dt.UTC))
    signer = Signer("S01", "S01-k", signing.new_key())
    return HubClient(url, settings=SETTINGS, clock=clock, signer=signer)


def test_an_endless_answer_is_a_plain_error(hostile: tuple[str, Any]) -> None:
    client = _client(hostile[0])
    started = time.monotonic()
    with pytest.raises(Refused, match="larger than 1048576 bytes") as caught:
        client.request("GET", "/v1/endless")
    assert time.monotonic() - started < 10  # it stopped reading, it did not wait for the end
    assert "县级平台" in str(caught.value)


def test_a_slow_hub_is_a_timeout_not_a_hang(hostile: tuple[str, Any]) -> None:
    with pytest.raises(HubUnavailable, match="timed out"):
        _client(hostile[0]).request("GET", "/v1/slow")


def test_no_hub_at_all_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HubUnavailable, match="ConnectError"):
        _client(f"http://127.0.0.1:{port}").request("GET", "/v1/anything")


@pytest.mark.parametrize(("status", "retry", "kind", "wait"), [
    (503, "120", HubUnavailable, 120.0),
    (429, "99999", HubUnavailable, 900.0),  # capped at 15 minutes
    (500, None, HubUnavailable, None),
    (401, None, AuthRefused, None),
    (422, None, Refused, None),
])
def test_refusals_are_classified(hostile: tuple[str, Any], status: int, retry: str | None,
                                 kind: type[Exception], wait: float | None) -> None:
    client = _client(hostile[0])
    query = {"retry": retry} if retry else None
    with pytest.raises(kind) as caught:
        client.call("GET", f"/v1/status/{status}", Reconciliation, query=query)
    assert caught.value.retry_after == wait  # type: ignore[attr-defined]
    # The hub's message is never repeated: it could carry anything.
    assert "张三" not in str(caught.value) and "110105" not in str(caught.value)
    assert f"HTTP {status}" in str(caught.value)


def test_an_answer_of_the_wrong_shape_is_refused_without_its_values(
        hostile: tuple[str, Any]) -> None:
    with pytest.raises(Refused) as caught:
        _client(hostile[0]).call("GET", "/v1/shape", Reconciliation)
    text = str(caught.value)
    assert "not what the protocol says" in text and "(at ops)" in text
    assert "张三" not in text and "110105" not in text


def test_a_stale_signature_corrects_the_offset_and_is_sent_again_once(
        hostile: tuple[str, Any]) -> None:
    url, seen = hostile
    client = _client(url)
    answer = client.call("POST", "/v1/ops", OpsAnswer, json_body={"batch_id": "b", "ops": []})
    assert answer.results == []
    first, second = seen["created"]
    assert first < -900  # signed with our clock, 1000 s behind the hub
    assert abs(second) <= 2  # signed again with hub time learnt from Date
    assert client.offset_s == pytest.approx(HUB_AHEAD_S, abs=2)
    client.call("POST", "/v1/ops", OpsAnswer, json_body={"batch_id": "b", "ops": []})
    assert len(seen["created"]) == 3  # the offset is kept: no second stale


def test_retry_after_reads_seconds_and_dates() -> None:
    now = 1_800_000_000.0
    assert retry_after("30", now, 900) == 30
    assert retry_after(email.utils.formatdate(now + 60, usegmt=True), now, 900) == 60
    assert retry_after(email.utils.formatdate(now - 60, usegmt=True), now, 900) == 0
    assert retry_after("soon", now, 900) is None and retry_after(None, now, 900) is None
    assert json.dumps(SETTINGS.chunk_bytes) == "1048576"
