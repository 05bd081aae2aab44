"""The pure protocol parts both sides share: signatures, tus headers, the hub's clock."""

from __future__ import annotations

import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.protocol import clock, signing, tus

KEY = signing.new_key()
PUBLIC = signing.load_public(signing.public_bytes(KEY))


def _signed(body: bytes | None = b'{"a":1}', *, created: int = 1_800_000_000,
            path: str = "/v1/ops", query: str = "", method: str = "POST",
            ) -> dict[str, str]:
    headers = signing.sign(KEY, keyid="k1", site="S01", method=method, path=path, query=query,
                           body=body, created=created)
    return {k.lower(): v for k, v in headers.items()}


def _verify(headers: dict[str, str], body: bytes | None = b'{"a":1}', *, path: str = "/v1/ops",
            query: str = "", method: str = "POST", now: float = 1_800_000_000,
            public: object = PUBLIC) -> None:
    params, raw = signing.parse(headers, body is not None)
    signing.verify(public, method=method, path=path, query=query, headers=headers, body=body,
                   params=params, raw=raw, now=now)


def test_a_signed_request_verifies_and_names_its_key_and_time() -> None:
    headers = _signed()
    _verify(headers)
    params, _ = signing.parse(headers, True)
    assert params.keyid == "k1" and params.created == 1_800_000_000
    assert headers["bianmin-site"] == "S01"
    assert headers["content-digest"] == signing.content_digest(b'{"a":1}')


def test_the_signature_base_follows_rfc_9421_section_2_5() -> None:
    params = signing.Params(signing.COVERED_WITH_BODY, 1_800_000_000, "n" * 22, "k1")
    base = signing.signature_base(
        "post", "/v1/ops", "limit=5",
        {"content-digest": "sha-256=:X:", "bianmin-site": " S01 "}, params)
    assert base.decode().splitlines() == [
        '"@method": POST',
        '"@path": /v1/ops',
        '"@query": ?limit=5',
        '"content-digest": sha-256=:X:',
        '"bianmin-site": S01',
        '"@signature-params": ("@method" "@path" "@query" "content-digest" "bianmin-site")'
        ';created=1800000000;nonce="nnnnnnnnnnnnnnnnnnnnnn";keyid="k1";alg="ed25519"',
    ]


@pytest.mark.parametrize("change", [
    {"body": b'{"a":2}'},
    {"path": "/v1/heartbeat"},
    {"query": "x=1"},
    {"method": "PUT"},
])
def test_changing_anything_covered_breaks_the_signature(change: dict[str, object]) -> None:
    with pytest.raises(signing.SignatureError) as err:
        _verify(_signed(), **change)  # type: ignore[arg-type]
    assert err.value.code == "bad_signature"


def test_a_different_site_header_or_key_is_refused() -> None:
    headers = _signed()
    headers["bianmin-site"] = "S02"
    with pytest.raises(signing.SignatureError, match="verify"):
        _verify(headers)
    other = signing.load_public(signing.public_bytes(signing.new_key()))
    with pytest.raises(signing.SignatureError) as err:
        _verify(_signed(), public=other)
    assert err.value.code == "bad_signature"


@pytest.mark.parametrize("skew", [-301, 301])
def test_a_request_more_than_five_minutes_off_the_hub_clock_is_stale(skew: int) -> None:
    with pytest.raises(signing.SignatureError) as err:
        _verify(_signed(created=1_800_000_000 + skew))
    assert err.value.code == "stale"
    _verify(_signed(created=1_800_000_000 + (300 if skew > 0 else -300)))


def test_a_request_without_a_body_covers_no_digest() -> None:
    headers = _signed(None, method="GET", path="/v1/changes/catalogue", query="cursor=4")
    assert "content-digest" not in headers
    _verify(headers, None, method="GET", path="/v1/changes/catalogue", query="cursor=4")
    with pytest.raises(signing.SignatureError) as err:  # a body-less profile on a body
        signing.parse(headers, True)
    assert err.value.code == "unsigned"


@pytest.mark.parametrize("mangle", [
    lambda h: h.pop("signature"),
    lambda h: h.pop("signature-input"),
    lambda h: h.update({"signature-input": h["signature-input"].replace("ed25519", "rsa-pss")}),
    lambda h: h.update({"signature-input": h["signature-input"].replace('"@query" ', "")}),
    lambda h: h.update({"signature": "bm=:not base64!:"}),
    lambda h: h.update({"signature-input": h["signature-input"] + ";extra=1"}),
])
def test_anything_but_this_profile_is_unsigned(mangle: object) -> None:
    headers = _signed()
    mangle(headers)  # type: ignore[operator]
    with pytest.raises(signing.SignatureError) as err:
        _verify(headers)
    assert err.value.code == "unsigned"


def test_a_line_break_smuggled_into_a_covered_header_is_refused() -> None:
    params = signing.Params(signing.COVERED, 1, "n" * 22, "k1")
    with pytest.raises(signing.SignatureError):
        signing.signature_base("GET", "/", "", {"bianmin-site": "S01\n\"@path\": /x"}, params)


def test_a_public_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        signing.load_public(b"\x00" * 31)


@given(st.dictionaries(st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True),
                       st.text(max_size=40), max_size=6))
def test_tus_metadata_round_trips(values: dict[str, str]) -> None:
    assert tus.decode_metadata(tus.encode_metadata(values)) == values


@pytest.mark.parametrize("header", ["sha256 !!", "bad:key YQ==", "a YQ==,a Yg==", "ok /w=="])
def test_bad_tus_metadata_is_a_plain_error(header: str) -> None:
    with pytest.raises(tus.TusError):  # not base64, a bad key, a repeated key, not UTF-8
        tus.decode_metadata(header)


def test_a_tus_metadata_key_may_have_no_value() -> None:
    assert tus.decode_metadata("is_confidential,sha256 YQ==") == {"is_confidential": "",
                                                                  "sha256": "a"}


@pytest.mark.parametrize("algorithm", tus.CHECKSUM_ALGORITHMS)
def test_tus_checksums_match_their_chunk_only(algorithm: str) -> None:
    header = tus.checksum_header(algorithm, b"chunk")
    assert tus.check_checksum(header, b"chunk")
    assert not tus.check_checksum(header, b"chunk!")


def test_an_unsupported_checksum_algorithm_or_offset_is_a_tus_error() -> None:
    with pytest.raises(tus.TusError, match="not supported"):
        tus.check_checksum("crc32 AAAA", b"")
    for bad in (None, "-1", "1.5", "abc", "9" * 16):
        with pytest.raises(tus.TusError):
            tus.parse_offset(bad)
    assert tus.parse_offset(" 42 ") == 42


def test_the_hub_offset_is_taken_at_the_request_midpoint() -> None:
    hub = 1_800_000_000.0
    date = email.utils.formatdate(hub, usegmt=True)
    # our clock is 100 s behind: sent at hub-100-1, back at hub-100+1
    offset = clock.offset_from(date, hub - 101, hub - 99)
    assert offset == pytest.approx(100.5)
    assert clock.offset_from(None, 0, 1) is None
    assert clock.offset_from("yesterday", 0, 1) is None
    assert clock.offset_from("Tue, 24 Nov 2026 02:00:00", 0, 1) is None  # no zone
