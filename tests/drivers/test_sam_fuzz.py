"""Fuzzing the SAM decoder and text parser with hypothesis: arbitrary bytes raise only the
documented errors, the decoder always makes progress, and frames round-trip."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.sam_ga467 import (
    MAX_LEN,
    PREAMBLE,
    CardTextError,
    FrameError,
    Response,
    decode_command,
    decode_response,
    encode_command,
    encode_response,
    parse_read_reply,
    parse_text,
)

from .decoder_drain import drain

# Streams rich in preamble pieces, so the interesting paths are hit, not just "no preamble".
_pieces = st.one_of(
    st.binary(max_size=40),
    st.just(PREAMBLE),
    st.just(PREAMBLE[:3]),
    st.builds(lambda n: PREAMBLE + n.to_bytes(2, "big"), st.integers(0, 0xFFFF)),
    st.builds(lambda sw3, data: encode_response(0, 0, sw3, data), st.integers(0, 255),
              st.binary(max_size=30)),
)
streams = st.lists(_pieces, max_size=12).map(b"".join)


def _drain(buf: bytes) -> tuple[list[Response], int, bytes]:
    """Decode everything decodable; returns frames, checksum errors and the unconsumed tail."""
    return drain(decode_response, buf, FrameError)


@settings(max_examples=300)
@given(streams)
def test_decoder_raises_only_frame_error_and_always_progresses(stream: bytes) -> None:
    _, _, tail = _drain(stream)
    # what is left can only be the start of a frame, never a whole one
    assert len(tail) < 7 + MAX_LEN
    if tail:
        assert PREAMBLE.startswith(tail[:5])


@given(st.binary(max_size=600))
def test_decoder_on_plain_random_bytes(stream: bytes) -> None:
    _drain(stream)
    with contextlib.suppress(FrameError):
        decode_command(stream)


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255),
       st.binary(max_size=MAX_LEN - 4), st.binary(max_size=20), st.binary(max_size=20))
def test_response_round_trip(sw1: int, sw2: int, sw3: int, data: bytes, before: bytes,
                             after: bytes) -> None:
    frame = encode_response(sw1, sw2, sw3, data)
    stream = before.replace(PREAMBLE[:1], b"") + frame + after
    frames, errors, _ = _drain(stream)
    assert errors == 0
    assert frames[0] == Response(sw1, sw2, sw3, data)


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=MAX_LEN - 3))
def test_command_round_trip(cmd: int, para: int, data: bytes) -> None:
    frame = encode_command(cmd, para, data)
    command, used = decode_command(frame)
    assert command == (cmd, para, data) and used == len(frame)


@settings(max_examples=300)
@given(st.binary(min_size=256, max_size=256),
       st.sampled_from([b"\x00\x00", b" \x00", b"J\x00", b"I\x00", b"Y\x00"]))
def test_parse_text_raises_only_card_text_error(text: bytes, marker: bytes) -> None:
    for candidate in (text, text[:248] + marker + text[250:]):
        try:
            card = parse_text(candidate)
        except CardTextError:
            continue
        card.to_json(show_pii=False)
        card.to_json(show_pii=True)


@given(st.binary(max_size=64))
def test_parse_text_of_any_size(text: bytes) -> None:
    with contextlib.suppress(CardTextError):
        parse_text(text)


@given(st.binary(max_size=1400), st.booleans())
def test_parse_read_reply_raises_only_frame_error(data: bytes, fingerprints: bool) -> None:
    try:
        reply = parse_read_reply(data, fingerprints=fingerprints)
    except FrameError:
        return
    assert len(reply.text) + len(reply.photo_wlt) + len(reply.fingerprints or b"") <= len(data)
