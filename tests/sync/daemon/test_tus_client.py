"""The daemon's tus 1.0 client against a standard tus server (tuspyserver, which has no
checksum extension) and against the hub (which has it): uploads, resumes after a cut, and
the answers 409, 460, 404/410 and 422. Plus the upload bandwidth cap."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from tuspyserver import create_tus_router

from offline_store import sync_state
from offline_store.clock import FixedClock
from offline_store.site import Site
from sync.daemon.enrolment import signer_of
from sync.daemon.errors import HubUnavailable, Refused
from sync.daemon.settings import SyncSettings
from sync.daemon.transport import Answer, HubClient
from sync.daemon.tus_client import TokenBucket, TusClient, UploadState
from sync.hub.server import RunningHub
from sync.protocol import tus
from tests.support.faultproxy import FaultProxy

from .conftest import HubClock
from .servers import serve_asgi

CHUNK = 64 * 1024


class PlainCall:
    """Requests to a tus server through ``send``, recorded (method, headers, body size) and
    optionally tampered with on the way."""

    def __init__(self, send: Callable[[str, str, dict[str, str], bytes | None], Answer]):
        self.send = send
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.tamper: Callable[..., tuple[dict[str, str], bytes | None]] | None = None

    def __call__(self, method: str, url: str, headers: Mapping[str, str],
                 body: bytes | None) -> Answer:
        sent = dict(headers)
        if self.tamper is not None:
            sent, body = self.tamper(method, sent, body)
        self.requests.append((method, sent, len(body or b"")))
        return self.send(method, url, sent, body)

    def patched_bytes(self) -> int:
        return sum(size for method, _, size in self.requests if method == "PATCH")


def plain(client: httpx.Client) -> PlainCall:
    def send(method: str, url: str, headers: dict[str, str], body: bytes | None) -> Answer:
        try:
            reply = client.request(method, url, headers=headers, content=body)
        except httpx.TransportError as exc:
            raise HubUnavailable(type(exc).__name__) from exc
        return Answer(reply.status_code, reply.headers, reply.content)

    return PlainCall(send)


@pytest.fixture
def tus_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    files = tmp_path / "tus"
    app = FastAPI()
    app.include_router(create_tus_router(prefix="files", files_dir=str(files)))
    with serve_asgi(app) as url:
        yield url, files


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def _metadata(data: bytes) -> dict[str, str]:
    sha = hashlib.sha256(data).hexdigest()
    return {"sha256": sha, "filetype": "image/jpeg", "filename": sha}


def _stored(files: Path, url: str) -> bytes:
    return (files / url.rstrip("/").rsplit("/", 1)[-1]).read_bytes()


def test_uploads_to_a_standard_tus_server_without_checksums(
        tus_server: tuple[str, Path], http: httpx.Client) -> None:
    url, files = tus_server
    data = os.urandom(3 * CHUNK + 123)
    call = plain(http)
    client = TusClient(call, f"{url}/files", chunk_size=CHUNK)
    seen: list[UploadState] = []

    assert client.upload(data, metadata=_metadata(data), state=UploadState(),
                         on_progress=seen.append)

    assert "checksum" not in client.server_info().extensions
    patches = [h for m, h, _ in call.requests if m == "PATCH"]
    assert len(patches) == 4 and not any("Upload-Checksum" in h for h in patches)
    assert all(h["Content-Type"] == tus.OFFSET_CONTENT_TYPE for h in patches)
    assert [s.offset for s in seen] == [0, CHUNK, 2 * CHUNK, 3 * CHUNK, len(data)]
    assert seen[-1].url is not None and _stored(files, seen[-1].url) == data


def test_resumes_after_the_link_is_cut_mid_chunk(
        tus_server: tuple[str, Path], http: httpx.Client) -> None:
    url, files = tus_server
    data = os.urandom(6 * CHUNK)
    host, port = url.removeprefix("http://").split(":")
    with FaultProxy(host, int(port)) as proxy:
        call = plain(http)
        saved: list[UploadState] = []
        proxy.cut_after(2 * CHUNK + CHUNK // 2 + 2000, "up")  # inside the third chunk
        client = TusClient(call, f"{proxy.url}/files", chunk_size=CHUNK)
        with pytest.raises(HubUnavailable):
            client.upload(data, metadata=_metadata(data), state=UploadState(),
                          on_progress=saved.append)
        assert proxy.stats().cuts == 1
        state = saved[-1]  # what the daemon wrote to the blobs row after the last chunk
        assert state.offset == 2 * CHUNK

        # A new process resumes from the saved state: HEAD, then the rest.
        again = TusClient(call, f"{proxy.url}/files", chunk_size=CHUNK)
        assert again.upload(data, metadata=_metadata(data), state=state)
    assert call.patched_bytes() - len(data) <= CHUNK  # at most the chunk in flight again
    assert [m for m, _, _ in call.requests if m == "POST"] == ["POST"]
    assert _stored(files, state.url or "") == data


def test_stops_between_chunks_when_told(tus_server: tuple[str, Path],
                                        http: httpx.Client) -> None:
    url, _ = tus_server
    data = os.urandom(3 * CHUNK)
    call = plain(http)
    client = TusClient(call, f"{url}/files", chunk_size=CHUNK)
    saved: list[UploadState] = []
    done = client.upload(data, metadata=_metadata(data), state=UploadState(),
                         on_progress=saved.append, stop=lambda: len(saved) >= 2)
    assert done is False and saved[-1].offset == CHUNK
    assert client.upload(data, metadata=_metadata(data), state=saved[-1])
    assert call.patched_bytes() == len(data)


# --- against the hub (checksum extension, content-addressed) ------------------------------


@pytest.fixture
def hub_call(enrolled: Site, hub: RunningHub, clock: FixedClock,
             settings: SyncSettings) -> Iterator[tuple[HubClient, PlainCall]]:
    """Signed requests to the real hub, as the daemon sends them."""
    enrolment = sync_state.load_enrolment(enrolled)
    assert enrolment is not None
    hub_client = HubClient(hub.url, settings=settings, clock=clock,
                           signer=signer_of(enrolment))

    def send(method: str, url: str, headers: dict[str, str], body: bytes | None) -> Answer:
        return hub_client.request(method, url, headers=headers, body=body)

    yield hub_client, PlainCall(send)
    hub_client.close()


def _hub_client(hub_call: tuple[HubClient, PlainCall]) -> TusClient:
    hub_client, recorder = hub_call
    return TusClient(recorder, hub_client.url("/v1/blobs"), chunk_size=CHUNK,
                     now=hub_client.hub_now)


def _download(hub_call: tuple[HubClient, PlainCall], sha: str) -> bytes:
    answer = hub_call[0].request("GET", f"/v1/blobs/{sha}", max_bytes=10 * 1024 * 1024)
    assert answer.status == 200
    return answer.content


def test_the_hub_gets_checksummed_chunks_and_a_bad_one_is_sent_again(
        hub_call: tuple[HubClient, PlainCall]) -> None:
    data = os.urandom(2 * CHUNK + 10)
    recorder = hub_call[1]
    damaged = []

    def flip_first_chunk(method: str, headers: dict[str, str], body: bytes | None):
        if method == "PATCH" and not damaged:
            damaged.append(headers["Upload-Offset"])
            body = bytes([body[0] ^ 1]) + body[1:]  # type: ignore[index]
        return headers, body

    recorder.tamper = flip_first_chunk
    client = _hub_client(hub_call)
    assert client.upload(data, metadata=_metadata(data), state=UploadState())

    patches = [h for m, h, _ in recorder.requests if m == "PATCH"]
    assert all(h["Upload-Checksum"].startswith("sha256 ") for h in patches)
    assert [h["Upload-Offset"] for h in patches] == ["0", "0", str(CHUNK), str(2 * CHUNK)]
    assert _download(hub_call, hashlib.sha256(data).hexdigest()) == data


def test_a_wrong_offset_is_corrected_from_head(hub_call: tuple[HubClient, PlainCall]) -> None:
    data = os.urandom(2 * CHUNK)
    recorder = hub_call[1]
    client = _hub_client(hub_call)
    saved: list[UploadState] = []
    assert not client.upload(data, metadata=_metadata(data), state=UploadState(),
                             on_progress=saved.append, stop=lambda: len(saved) >= 2)
    stale = UploadState(saved[-1].url, 0, None)  # a state written before the last chunk
    assert client.upload(data, metadata=_metadata(data), state=stale)
    # HEAD told the truth before any PATCH: no 409 and nothing sent twice.
    assert recorder.patched_bytes() == len(data)
    assert _download(hub_call, hashlib.sha256(data).hexdigest()) == data

    more = os.urandom(2 * CHUNK)
    conflicts = []

    def skew_offset(method: str, headers: dict[str, str], body: bytes | None):
        if method == "PATCH" and not conflicts:
            conflicts.append(headers["Upload-Offset"])
            headers = {**headers, "Upload-Offset": str(CHUNK)}
        return headers, body

    recorder.tamper = skew_offset
    assert client.upload(more, metadata=_metadata(more), state=UploadState())
    assert _download(hub_call, hashlib.sha256(more).hexdigest()) == more


def test_an_expired_upload_is_created_again(hub_call: tuple[HubClient, PlainCall],
                                            hub_clock: HubClock) -> None:
    data = os.urandom(3 * CHUNK)
    client = _hub_client(hub_call)
    saved: list[UploadState] = []
    assert not client.upload(data, metadata=_metadata(data), state=UploadState(),
                             on_progress=saved.append, stop=lambda: len(saved) >= 2)
    assert saved[-1].expires is not None
    hub_clock.skew += 25 * 3600  # past Upload-Expires; the hub answers 410 for it
    hub_call[0].offset_s += 25 * 3600  # the site learnt the hub's time
    assert client.upload(data, metadata=_metadata(data), state=saved[-1],
                         on_progress=saved.append)
    posts = [m for m, _, _ in hub_call[1].requests if m == "POST"]
    assert len(posts) == 2 and saved[-1].offset == len(data)
    assert _download(hub_call, hashlib.sha256(data).hexdigest()) == data


def test_a_blob_whose_hash_does_not_match_is_started_over_then_given_up(
        hub_call: tuple[HubClient, PlainCall]) -> None:
    data = os.urandom(CHUNK + 5)
    wrong = {**_metadata(data), "sha256": hashlib.sha256(b"other").hexdigest()}
    client = _hub_client(hub_call)
    with pytest.raises(Refused, match="lost 3 times"):
        client.upload(data, metadata=wrong, state=UploadState())
    assert [m for m, _, _ in hub_call[1].requests].count("POST") == 3


# --- the bandwidth cap ---------------------------------------------------------------------


def test_the_token_bucket_averages_the_rate_with_an_injected_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(1000.0, 1000.0, now=lambda: now[0], sleep=sleep)
    assert bucket.take(1000) == 0.0  # the burst
    assert bucket.take(500) == pytest.approx(0.5)
    now[0] += 2.0  # idle: the bucket refills, but only up to its burst
    assert bucket.take(1000) == 0.0
    assert bucket.take(3000) == pytest.approx(3.0)
    assert sum(slept) == pytest.approx(3.5)
    with pytest.raises(ValueError):
        TokenBucket(0, 10)
