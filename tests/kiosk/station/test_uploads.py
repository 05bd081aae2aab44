"""Pages staged at the station before their case: PUT by hash, HEAD to ask, sealed on disk
under a key that dies with the process, and every hostile upload answered with a plain 4xx."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.client.http import StationError
from kiosk.station.uploads import MAX_BYTES, Staging, UploadRefused

from .case_station import CaseStation, case_station, jpeg, sha

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2000)
PDF = b"%PDF-1.7\n" + os.urandom(2000)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("uploads") / "site") as made:
        yield made


def put(station: CaseStation, path_sha: str, data: bytes, media: str = "image/jpeg",
        role: str = "counter") -> httpx.Response:
    return httpx.put(f"{station.url}/v1/uploads/{path_sha}", content=data, timeout=30,
                     headers={**station.headers(role), "Content-Type": media})


def head(station: CaseStation, path_sha: str, role: str = "counter") -> int:
    return httpx.head(f"{station.url}/v1/uploads/{path_sha}", timeout=10,
                      headers=station.headers(role)).status_code


def test_a_page_is_staged_once_and_sealed(station: CaseStation) -> None:
    page = jpeg(20_000)
    assert head(station, sha(page)) == 404
    first = put(station, sha(page), page)
    assert first.status_code == 201 and first.json() == {"sha256": sha(page), "size": len(page)}
    assert put(station, sha(page), page).status_code == 200  # staged already
    assert head(station, sha(page)) == 200
    staged = list((station.data_dir / "staging").iterdir())
    assert [p.name for p in staged] == [f"{sha(page)}.jpeg"]
    on_disk = staged[0].read_bytes()
    assert page[50:150] not in on_disk and len(on_disk) > len(page)
    for data, media in ((PNG, "image/png"), (PDF, "application/pdf; charset=binary")):
        assert put(station, sha(data), data, media).status_code == 201


def test_the_client_skips_a_page_the_station_holds(station: CaseStation) -> None:
    page = jpeg()
    with station.client() as client:
        assert client.upload_page(page) == sha(page)
        mtime = (station.data_dir / "staging" / f"{sha(page)}.jpeg").stat().st_mtime_ns
        time.sleep(0.01)
        assert client.upload_page(page) == sha(page)
    assert (station.data_dir / "staging" / f"{sha(page)}.jpeg").stat().st_mtime_ns == mtime
    with station.client("display") as display, pytest.raises(StationError) as refused:
        display.upload_page(jpeg())
    assert refused.value.status == 403 and refused.value.code == "forbidden"


@pytest.mark.parametrize(("path_sha", "data", "media", "status", "code"), [
    pytest.param(sha(b"other"), jpeg(), "image/jpeg", 422, "hash_mismatch", id="wrong-hash"),
    pytest.param(None, b"GIF89a" + os.urandom(100), "image/jpeg", 422, "media_mismatch",
                 id="not-a-jpeg"),
    pytest.param(None, jpeg(), "image/gif", 415, "unsupported_media_type", id="gif"),
    pytest.param(None, jpeg(), "", 415, "unsupported_media_type", id="untyped"),
    pytest.param("A" * 64, jpeg(), "image/jpeg", 422, "invalid", id="upper-case-hash"),
    pytest.param("abc", jpeg(), "image/jpeg", 422, "invalid", id="short-hash"),
    pytest.param(None, b"", "image/jpeg", 422, "media_mismatch", id="empty"),
])
def test_hostile_uploads_are_plain_4xx(station: CaseStation, path_sha: str | None,
                                       data: bytes, media: str, status: int,
                                       code: str) -> None:
    answer = put(station, path_sha or sha(data), data, media)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and " / " in error["message"]


def test_an_oversize_page_is_413_and_nothing_is_staged(station: CaseStation) -> None:
    big = b"\xff\xd8\xff" + os.urandom(MAX_BYTES)
    answer = put(station, sha(big), big)
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"]["code"] == "too_large"
    assert head(station, sha(big)) == 404

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        yield b"\xff\xd8\xff"
        for _ in range(9):
            yield bytes(MAX_BYTES // 8)

    streamed = httpx.put(f"{station.url}/v1/uploads/{'0' * 64}", content=chunks(),
                         timeout=30, headers={**station.headers("counter"),
                                              "Content-Type": "image/jpeg"})
    assert streamed.status_code == 413
    assert httpx.get(station.url + "/v1/health", timeout=5).status_code == 200


def test_roles_for_uploads(station: CaseStation) -> None:
    page = jpeg()
    assert put(station, sha(page), page, role="kiosk").status_code == 403
    assert head(station, sha(page), role="display") == 403
    assert httpx.head(f"{station.url}/v1/uploads/{sha(page)}", timeout=5).status_code == 401


# --- the staging folder itself -----------------------------------------------------------------


def test_a_new_process_cannot_open_what_an_earlier_one_staged(tmp_path: Path) -> None:
    page = jpeg()
    first = Staging(tmp_path)
    assert first.put(sha(page), page, "image/jpeg") is True
    assert first.load(sha(page)) == page and first.media_type(sha(page)) == "image/jpeg"
    # a second station on the same folder: the file is swept at its start
    second = Staging(tmp_path)
    assert not second.has(sha(page)) and list(tmp_path.iterdir()) == []
    # a file it somehow finds but cannot open counts as not staged, and goes
    first.put(sha(page), page, "image/jpeg")
    with pytest.raises(LookupError):
        second.load(sha(page))
    assert not first.has(sha(page))


def test_old_pages_are_swept_and_kept_ones_discarded(tmp_path: Path) -> None:
    staging = Staging(tmp_path, keep_s=3600)
    old, new = jpeg(), jpeg()
    staging.put(sha(old), old, "image/jpeg")
    staging.put(sha(new), new, "image/jpeg")
    aged = time.time() - 7200
    os.utime(tmp_path / f"{sha(old)}.jpeg", (aged, aged))
    assert staging.sweep() == 1
    assert not staging.has(sha(old)) and staging.has(sha(new))
    staging.discard([sha(new), sha(old)])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UploadRefused) as refused:
        staging.put(sha(new), new + b"x", "image/jpeg")
    assert refused.value.code == "hash_mismatch"
