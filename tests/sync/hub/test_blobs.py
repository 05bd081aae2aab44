"""``/v1/blobs``: the hub's tus 1.0 server (core, creation, checksum, expiration), content
addressed, with every status the protocol names; a standard tus client (tuspy) uploads to it
with a bearer token and resumes after a cut."""

from __future__ import annotations

import hashlib
import io
import os
import socket
from urllib.parse import urlsplit

from tusclient import client as tus_client

from sync.hub.server import RunningHub
from sync.protocol import signing, tus

from .support import JumpClock, Site, enrolled

PAGE = os.urandom(200_000)
SHA = hashlib.sha256(PAGE).hexdigest()


def test_options_say_what_the_hub_speaks(site: Site) -> None:
    answer = site.http.options(site.url + "/v1/blobs")
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0"
    assert answer.headers["Tus-Resumable"] == "1.0.0"
    assert answer.headers["Tus-Extension"] == "creation,checksum,expiration"
    assert answer.headers["Tus-Checksum-Algorithm"] == "sha1,sha256,md5"
    assert int(answer.headers["Tus-Max-Size"]) == 256 * 1024 * 1024


def test_an_upload_is_created_at_its_hash_resumed_and_made_final(site: Site) -> None:
    created = site.create_blob(PAGE)
    assert created.status_code == 201
    assert created.headers["Location"] == f"/v1/blobs/{SHA}"
    assert created.headers["Tus-Resumable"] == "1.0.0"
    assert created.headers["Upload-Expires"] == "Wed, 25 Nov 2026 02:00:00 GMT"
    location = created.headers["Location"]
    answer = site.patch_blob(location, PAGE[:50_000], 0)
    assert answer.status_code == 204 and answer.headers["Upload-Offset"] == "50000"
    # created again (the daemon lost the answer): the same upload, where it stands
    again = site.create_blob(PAGE)
    assert again.status_code == 201 and again.headers["Location"] == location
    head = site.request("HEAD", location)
    assert head.status_code == 200
    assert (head.headers["Upload-Offset"], head.headers["Upload-Length"]) == ("50000", "200000")
    assert head.headers["Cache-Control"] == "no-store"
    answer = site.patch_blob(location, PAGE[50_000:], 50_000, checksum="md5")
    assert answer.status_code == 204 and answer.headers["Upload-Offset"] == "200000"
    assert "Upload-Expires" not in answer.headers
    got = site.request("GET", location)
    assert got.status_code == 200 and got.content == PAGE
    assert got.headers["Content-Type"] == "image/jpeg"
    assert got.headers["Repr-Digest"] == f"sha-256=:{signing.b64(bytes.fromhex(SHA))}:"
    # a final blob created again is still where it was: HEAD says it is whole
    assert site.create_blob(PAGE).status_code == 201
    assert site.request("HEAD", location).headers["Upload-Offset"] == "200000"


def test_wrong_offsets_checksums_and_types_are_refused_and_lose_nothing(site: Site) -> None:
    location = site.create_blob(PAGE).headers["Location"]
    site.patch_blob(location, PAGE[:1000], 0)
    wrong = site.patch_blob(location, PAGE[500:1500], 500)
    assert wrong.status_code == 409 and wrong.json()["error"]["code"] == "offset_mismatch"
    assert wrong.headers["Upload-Offset"] == "1000"
    corrupt = site.patch_blob(location, PAGE[1000:2000], 1000, checksum=None)
    assert corrupt.status_code == 204  # no checksum: taken as sent
    damaged = site.request("PATCH", location, body=PAGE[2000:3000], headers={
        "Tus-Resumable": "1.0.0", "Upload-Offset": "2000",
        "Content-Type": tus.OFFSET_CONTENT_TYPE,
        "Upload-Checksum": tus.checksum_header("sha1", b"other bytes")})
    assert damaged.status_code == 460
    assert damaged.json()["error"]["code"] == "checksum_mismatch"
    assert site.request("HEAD", location).headers["Upload-Offset"] == "2000"
    plain = site.request("PATCH", location, body=PAGE[2000:3000], headers={
        "Upload-Offset": "2000", "Content-Type": "application/octet-stream"})
    assert plain.status_code == 415
    unknown_algorithm = site.request("PATCH", location, body=PAGE[2000:3000], headers={
        "Upload-Offset": "2000", "Content-Type": tus.OFFSET_CONTENT_TYPE,
        "Upload-Checksum": "crc32 AAAA"})
    assert unknown_algorithm.status_code == 400
    past_the_end = site.patch_blob(location, b"x" * 300_000, 2000)
    assert past_the_end.status_code == 400
    old_tus = site.request("HEAD", location, headers={"Tus-Resumable": "0.2.2"})
    assert old_tus.status_code == 412 and old_tus.headers["Tus-Version"] == "1.0.0"
    assert site.request("HEAD", location).headers["Upload-Offset"] == "2000"


def test_a_blob_that_does_not_match_its_hash_is_discarded(site: Site) -> None:
    liar = hashlib.sha256(b"what it claims to be").hexdigest()
    created = site.create_blob(PAGE[:1000], sha=liar)
    answer = site.patch_blob(created.headers["Location"], PAGE[:1000], 0)
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "hash_mismatch"
    assert site.request("HEAD", created.headers["Location"]).status_code == 404
    # and an op naming it still waits for it
    assert site.create_blob(PAGE[:1000], sha=liar).status_code == 201


def test_an_unfinished_upload_expires_a_day_after_its_last_chunk(
        site: Site, hub_clock: JumpClock, hub: RunningHub) -> None:
    location = site.create_blob(PAGE).headers["Location"]
    hub_clock.jump(20 * 3600)
    first = site.patch_blob(location, PAGE[:1000], 0)
    assert first.headers["Upload-Expires"] == "Wed, 25 Nov 2026 22:00:00 GMT"  # renewed
    hub_clock.jump(24 * 3600 + 1)
    assert site.request("HEAD", location).status_code == 410
    gone = site.patch_blob(location, PAGE[1000:2000], 1000)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "expired"
    with hub.hub.db.read() as conn:
        chunks = conn.exec_driver_sql("SELECT count(*) FROM blob_chunks").scalar_one()
    assert chunks == 0  # its chunks were freed
    assert site.create_blob(PAGE).status_code == 201
    assert site.request("HEAD", location).headers["Upload-Offset"] == "0"
    site.upload(PAGE)
    assert site.request("GET", location).content == PAGE


def test_creation_needs_a_hash_and_a_length_within_the_limit(site: Site) -> None:
    def create(**headers: str) -> int:
        return site.request("POST", "/v1/blobs", headers={"Tus-Resumable": "1.0.0",
                                                          **headers}).status_code

    meta = tus.encode_metadata({"sha256": SHA})
    assert create(**{"Upload-Length": "10"}) == 400
    assert create(**{"Upload-Length": "-1", "Upload-Metadata": meta}) == 400
    assert create(**{"Upload-Metadata": meta}) == 400
    assert create(**{"Upload-Length": "10", "Upload-Metadata": "sha256 !!!"}) == 400
    assert create(**{"Upload-Length": "10",
                     "Upload-Metadata": tus.encode_metadata({"sha256": "ABC"})}) == 400
    assert create(**{"Upload-Length": str(2**40), "Upload-Metadata": meta}) == 413
    assert create(**{"Upload-Defer-Length": "1", "Upload-Metadata": meta}) == 400
    empty = hashlib.sha256(b"").hexdigest()
    assert create(**{"Upload-Length": "0",
                     "Upload-Metadata": tus.encode_metadata({"sha256": empty})}) == 201
    assert site.request("GET", f"/v1/blobs/{empty}").content == b""


def test_a_chunk_larger_than_the_limit_is_413(site: Site) -> None:
    big = os.urandom(4 * 1024 * 1024 + 1)
    location = site.create_blob(big).headers["Location"]
    answer = site.patch_blob(location, big, 0, checksum=None)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"


def test_a_site_reads_only_its_own_blobs(site: Site, hub: RunningHub,
                                         hub_clock: JumpClock) -> None:
    sha = site.upload(PAGE[:5000])
    other = enrolled(hub, "S02", hub_clock)
    assert other.request("GET", f"/v1/blobs/{sha}").status_code == 404
    assert other.request("HEAD", f"/v1/blobs/{sha}").status_code == 404
    unfinished = site.create_blob(PAGE[:9000]).headers["Location"]
    assert site.request("GET", unfinished).status_code == 404
    assert site.request("GET", "/v1/blobs/not-a-hash").status_code == 422


def test_tuspy_uploads_with_a_bearer_token_and_resumes_after_a_cut(site: Site) -> None:
    token = site.request("POST", "/v1/tokens").json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    blobs_url = site.url + "/v1/blobs"
    client = tus_client.TusClient(blobs_url, headers=bearer)
    metadata = {"sha256": SHA, "filetype": "image/jpeg", "filename": "p1.jpg"}
    uploader = client.uploader(file_stream=io.BytesIO(PAGE), chunk_size=64 * 1024,
                               metadata=metadata, upload_checksum=True)
    uploader.upload(stop_at=64 * 1024)  # one chunk, then the daemon stops
    assert uploader.url == f"{blobs_url}/{SHA}"

    # the link is cut in the middle of the next chunk: the hub keeps what it had
    path = urlsplit(uploader.url).path
    with socket.create_connection(("127.0.0.1", urlsplit(site.url).port), timeout=5) as sock:
        sock.sendall((f"PATCH {path} HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {token}\r\n"
                      f"Tus-Resumable: 1.0.0\r\nUpload-Offset: {64 * 1024}\r\n"
                      f"Content-Type: {tus.OFFSET_CONTENT_TYPE}\r\n"
                      f"Content-Length: {64 * 1024}\r\n\r\n").encode() + PAGE[65536:90000])
    head = site.http.head(uploader.url, headers={**bearer, "Tus-Resumable": "1.0.0"})
    assert head.headers["Upload-Offset"] == str(64 * 1024)

    # a new process resumes from the hub's offset (tuspy asks HEAD when given the URL)
    resumed = tus_client.TusClient(blobs_url, headers=bearer).uploader(
        file_stream=io.BytesIO(PAGE), url=uploader.url, chunk_size=64 * 1024,
        upload_checksum=True)
    assert resumed.offset == 64 * 1024
    resumed.upload()
    got = site.http.get(uploader.url, headers=bearer)
    assert got.status_code == 200 and got.content == PAGE
    assert got.headers["Content-Type"] == "image/jpeg"


def test_blob_routes_refuse_other_authorisations(site: Site) -> None:
    for header in ("Bearer", "Basic dXNlcjpwYXNz"):
        answer = site.http.head(f"{site.url}/v1/blobs/{SHA}", headers={"Authorization": header})
        assert answer.status_code == 401, header

