"""Whatever a broken daemon or a stranger sends, the hub answers 4xx with a plain JSON
error and its Date, never a 500, and stores nothing of it."""

from __future__ import annotations

import gzip
import json
import socket
import zlib
from urllib.parse import urlsplit

from sync.hub.server import RunningHub

from .support import Site, case_accepted, op

JSON = {"Content-Type": "application/json"}


def _refusal(answer: object, status: int, code: str | None = None) -> None:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    error = answer.json()["error"]  # type: ignore[attr-defined]
    assert " / " in error["message"] and "Traceback" not in error["message"]
    assert "date" in answer.headers  # type: ignore[attr-defined]
    if code is not None:
        assert error["code"] == code


NOT_A_BATCH = [
    (b"{not json", 400),
    (b"\xff\xfe\x00", 400),
    (b"[" * 100_000, 400),
    (b'{"batch_id": "b", "ops": [{"seq": ' + b"9" * 5000 + b"}]}", 400),
    (b'{"batch_id": "b", "ops": [{"seq": NaN}]}', 400),
    (b'{"batch_id": "b", "ops": []}', 422),
    (b'{"batch_id": "b", "ops": "all of them"}', 422),
    (b'{"batch_id": 5, "ops": [{}]}', 422),
    (json.dumps({"batch_id": "b", "ops": [case_accepted(f"c{i}") for i in range(101)]}).encode(),
     422),
    (json.dumps({"batch_id": "b\x00", "ops": [case_accepted("c1")]}).encode(), 422),
    (b'{"batch_id": "b", "ops": [], "extra": 1}', 422),
]


def test_bodies_that_are_not_a_batch_are_refused(site: Site, hub: RunningHub) -> None:
    for body, status in NOT_A_BATCH:
        _refusal(site.request("POST", "/v1/ops", body=body, headers=JSON), status)
    assert hub.admin.stats()["ops"] == 0


def test_values_the_database_cannot_hold_reject_the_op_not_the_batch(site: Site) -> None:
    nul = case_accepted("c1")
    nul["payload"]["applicant"]["name"] = "张\x00三"
    huge_seq = op("audit", "d1", "summary", {"day": "2026-11-23", "counts": {}})
    huge_seq["seq"] = 2**70
    huge_level = op("rating", "r1", "rated", {"level": 2**40, "channel": "t",
                                              "rated_at": "2026-11-24T01:00:00Z"})
    results = site.results([nul, huge_seq, huge_level, case_accepted("c2")])
    assert [r["status"] for r in results] == ["rejected"] * 3 + ["applied"]
    assert {r["code"] for r in results[:3]} == {"invalid_payload"}


def test_bodies_too_large_or_badly_encoded_are_refused(site: Site) -> None:
    big = b'{"batch_id": "b", "ops": [' + b" " * (4 * 1024 * 1024) + b"]}"
    _refusal(site.request("POST", "/v1/ops", body=big, headers=JSON), 413, "too_large")

    def chunked() -> object:
        yield b"{" + b" " * (3 * 1024 * 1024)
        yield b" " * (2 * 1024 * 1024)

    # no Content-Length (chunked): refused as it grows, before the signature is checked
    _refusal(site.http.post(site.url + "/v1/ops", content=chunked(), headers=JSON), 413)

    bomb = gzip.compress(b'{"batch_id": "' + b"a" * (20 * 1024 * 1024) + b'"}')
    assert len(bomb) < 100_000
    gz = {**JSON, "Content-Encoding": "gzip"}
    _refusal(site.request("POST", "/v1/ops", body=bomb, headers=gz), 413, "too_large")
    _refusal(site.request("POST", "/v1/ops", body=b"not gzip at all", headers=gz), 400)
    _refusal(site.request("POST", "/v1/ops", body=gzip.compress(b"{}")[:-6], headers=gz), 400)
    _refusal(site.request("POST", "/v1/ops", body=zlib.compress(b"{}"), headers={
        **JSON, "Content-Encoding": "br"}), 415)
    _refusal(site.request("POST", "/v1/ops", body=b"{}", headers={
        "Content-Type": "text/plain"}), 415)
    _refusal(site.request("POST", "/v1/heartbeat", body=b'{"version": "' + b"9" * 300_000
                          + b'", "status": {}}', headers=JSON), 413)
    _refusal(site.http.post(site.url + "/v1/enrol", content=b"x" * 20_000, headers=JSON), 413)


def test_malformed_requests_elsewhere_are_4xx(site: Site, hub: RunningHub) -> None:
    _refusal(site.http.post(site.url + "/v1/enrol", content=b"{", headers=JSON), 400)
    _refusal(site.http.post(site.url + "/v1/enrol", json={"site": "S01"}), 422)
    _refusal(site.http.post(site.url + "/v1/enrol", json={
        "site": "../../etc", "code": "ABCDEFGHJK", "public_key": "A" * 44}), 422)
    _refusal(site.http.post(site.url + "/v1/enrol", json=[1, 2]), 422)
    _refusal(site.http.put(site.url + "/v1/ops"), 405, "method_not_allowed")
    _refusal(site.request("GET", "/v1/reconcile", params={"from_seq": "x"}), 422)
    _refusal(site.request("GET", "/v1/reconcile", params={"from_seq": -1}), 422)
    _refusal(site.request("GET", "/v1/changes/catalogue", body=b"{}"), 413)
    _refusal(site.post_json("/v1/heartbeat", {"version": 1, "status": {}}), 422)
    location = site.create_blob(b"abc").headers["Location"]
    _refusal(site.request("PATCH", location, body=b"a", headers={
        "Content-Type": "application/offset+octet-stream", "Upload-Offset": "zero"}), 400)
    _refusal(site.request("PATCH", location, body=b"a", headers={
        "Content-Type": "application/offset+octet-stream"}), 400)
    _refusal(site.request("PATCH", location, body=b"a", headers={
        "Content-Type": "application/offset+octet-stream", "Upload-Offset": "1" * 40}), 400)
    _refusal(site.request("POST", "/v1/blobs", headers={
        "Upload-Length": "3", "Upload-Metadata": ("sha256 " + "é" * 10).encode()}), 400)


def test_a_raw_request_with_bad_header_bytes_gets_a_plain_answer(hub: RunningHub) -> None:
    port = urlsplit(hub.url).port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /v1/tokens HTTP/1.1\r\nHost: hub\r\nBianmin-Site: \xe4\xb8\xad\r\n"
                     b"Signature-Input: \xff\xfe\r\nSignature: bm=:AA==:\r\n"
                     b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401")
    assert json.loads(body)["error"]["code"] == "unsigned"
