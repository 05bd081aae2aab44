"""A site as the hub's tests play it: an Ed25519 key enrolled at a real hub, and requests
signed with ``sync.protocol.signing`` and sent with httpx (no mock between them)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from sync.protocol import signing, tus

T0 = 1_795_485_600.0
"""2026-11-24T02:00:00Z (10:00 in Beijing): the hub's clock at the start of every test."""


class JumpClock:
    """The hub's clock: stands still unless a test moves it."""

    def __init__(self, start: float = T0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def jump(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Site:
    url: str
    code: str
    clock: JumpClock
    key: Any = field(default_factory=signing.new_key)
    key_id: str = ""
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def enrol(self, code: str) -> httpx.Response:
        answer = self.http.post(self.url + "/v1/enrol", json={
            "site": self.code, "code": code,
            "public_key": signing.b64(signing.public_bytes(self.key)), "version": "0.1.0"})
        if answer.status_code == 201:
            self.key_id = answer.json()["key_id"]
        return answer

    def signed_headers(self, method: str, path: str, query: str = "",
                       body: bytes | None = None, *, created: float | None = None,
                       nonce: str | None = None) -> dict[str, str]:
        return signing.sign(self.key, keyid=self.key_id, site=self.code, method=method,
                            path=path, query=query, body=body,
                            created=int(self.clock() if created is None else created),
                            nonce=nonce)

    def request(self, method: str, path: str, *, body: bytes | None = None,
                params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                **sign: Any) -> httpx.Response:
        query = urlencode(params or {})
        signed = self.signed_headers(method, path, query, body, **sign)
        url = self.url + path + (f"?{query}" if query else "")
        return self.http.request(method, url, content=body,
                                 headers={**signed, **(headers or {})})

    def post_json(self, path: str, value: Any, **kw: Any) -> httpx.Response:
        return self.request("POST", path, body=json.dumps(value).encode(),
                            headers={"Content-Type": "application/json"}, **kw)

    def push(self, ops: list[dict[str, Any]], batch_id: str | None = None) -> httpx.Response:
        return self.post_json("/v1/ops", {"batch_id": batch_id or secrets.token_hex(8),
                                          "ops": ops})

    def results(self, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = self.push(ops)
        assert answer.status_code == 200, answer.text
        return answer.json()["results"]

    def pull(self, stream: str, **params: Any) -> httpx.Response:
        return self.request("GET", f"/v1/changes/{stream}",
                            params={k: v for k, v in params.items() if v is not None})

    # --- tus, signed -----------------------------------------------------------------------

    def create_blob(self, data: bytes, sha: str | None = None,
                    length: int | None = None) -> httpx.Response:
        meta = tus.encode_metadata({"sha256": sha or hashlib.sha256(data).hexdigest(),
                                    "filetype": "image/jpeg"})
        return self.request("POST", "/v1/blobs", headers={
            "Tus-Resumable": "1.0.0", "Upload-Length": str(len(data) if length is None
                                                           else length),
            "Upload-Metadata": meta})

    def patch_blob(self, location: str, chunk: bytes, offset: int,
                   checksum: str | None = "sha256") -> httpx.Response:
        headers = {"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
                   "Content-Type": tus.OFFSET_CONTENT_TYPE}
        if checksum:
            headers["Upload-Checksum"] = tus.checksum_header(checksum, chunk)
        return self.request("PATCH", urlsplit(location).path, body=chunk, headers=headers)

    def upload(self, data: bytes, chunk: int = 64 * 1024) -> str:
        """Upload ``data`` whole; its sha256."""
        created = self.create_blob(data)
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        for offset in range(0, len(data), chunk):
            answer = self.patch_blob(location, data[offset:offset + chunk], offset)
            assert answer.status_code == 204, answer.text
        return hashlib.sha256(data).hexdigest()


def enrolled(hub: Any, code: str, clock: JumpClock) -> Site:
    site = Site(hub.url, code, clock)
    answer = site.enrol(hub.admin.enrol_code(code)["code"])
    assert answer.status_code == 201, answer.text
    return site


_seq = iter(range(1, 10**9))


def op(entity: str, entity_id: str, name: str, payload: dict[str, Any], *,
       blobs: list[str] | None = None, blobs_lost: list[str] | None = None,
       op_id: str | None = None) -> dict[str, Any]:
    return {"op_id": op_id or secrets.token_hex(12), "seq": next(_seq), "entity": entity,
            "entity_id": entity_id, "op": name, "created_at": "2026-11-24T02:00:00.000Z",
            "clock_synced": True, "payload": {"id": entity_id, **payload},
            "blobs": blobs or [], "blobs_lost": blobs_lost or []}


def case_accepted(case_id: str, pages: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    """A case's ``accepted`` op shaped as offline_store/cases.py enqueues it."""
    payload = {
        "receipt_no": f"S01-20261124-{secrets.randbelow(9999):04d}", "item_codes": ["110001"],
        "bundle_code": None, "catalogue_version": "2026.1",
        "applicant": {"name": "张三", "id_number": "110101199003074477"}, "agent": None,
        "accepted_at": "2026-11-24T02:00:00+00:00", "clock_synced": True,
        "promised_date": "2026-12-15", "ticket_id": None, "status": "accepted",
        "history": [{"kind": "accepted", "at": "2026-11-24T10:00:00+08:00", "by": "w1",
                     "to": "accepted", "note": ""}],
        "window": "1", "clerk": "zhang01", "mode": "counter",
        "materials": [{"code": "M1", "state": "captured", "due_date": None, "detail": None,
                       "pages": pages or []}],
    }
    return op("case", case_id, "accepted", payload, blobs=list(pages or []), **kw)


def case_step(case_id: str, name: str, status: str, **kw: Any) -> dict[str, Any]:
    return op("case", case_id, name, {
        "status": status, "step": {"kind": name, "at": "2026-11-25T10:00:00+08:00",
                                   "by": "w1", "to": status, "note": ""},
        "material": None}, **kw)
