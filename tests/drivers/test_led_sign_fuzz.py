"""Fuzzing the sign's frame decoder (the simulator's parser) with hypothesis: any bytes
raise only FrameError, the decoder always makes progress, frames survive garbage around
them, any text encodes, and the simulator itself digests any stream."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.led_sign import (
    PRESETS,
    FrameError,
    SignEscape,
    SignFraming,
    SignMessage,
    decode_frame,
    encode_clear,
    encode_text,
)
from drivers.sim.led_sign import LedSignSim, LedSignSimConfig

from .decoder_drain import drain

FRAMINGS = [
    *PRESETS.values(),
    # no escaping and no length: the end is the first suffix whose checksum fits
    SignFraming(prefix=b"\x02", suffix=b"\x03", checksum="xor", address=1),
    SignFraming(prefix=b"\x02", suffix=b"\x03", checksum="none"),
    # HDLC-style escaping, little-endian sum16, ASCII decimal fields
    SignFraming(prefix=b"\x7e", suffix=b"\x7e", checksum="sum16", checksum_byteorder="little",
                escape=SignEscape(0x7D, b"\x7d\x7e", 0x20), address=3, encoding="gbk",
                show_template="'!' {line:02d} {effect} {text}", clear_template="'C'"),
    # DLE STX ... DLE ETX with DLE doubling: two-byte prefix and suffix, both escaped
    SignFraming(prefix=b"\x10\x02", suffix=b"\x10\x03", checksum="xor", address=0x10,
                escape=SignEscape(0x10, b"\x10"), ack=b"\x10\x06"),
    SignFraming(prefix=b"\xa5\xa5", suffix=b"\x5a", length="u16le", checksum="sum8",
                checksum_over="address+payload", address=0, max_chars=20),
]
IDS = [f.name if f.name != "custom" else f"custom{i}" for i, f in enumerate(FRAMINGS)]

texts = st.text(alphabet=st.one_of(st.characters(), st.sampled_from("请号到窗口暂停服务A0123")),
                max_size=30)


def _pieces(framing: SignFraming) -> st.SearchStrategy[bytes]:
    """Streams rich in the framing's own bytes, so resynchronisation paths are hit."""
    return st.one_of(
        st.binary(max_size=24),
        st.just(framing.prefix),
        st.just(framing.suffix),
        st.just(framing.prefix[:1]),
        st.builds(lambda t: bytes(encode_text(t, framing)), texts),
        st.builds(lambda t, n: bytes(encode_text(t, framing))[:n], texts, st.integers(0, 20)),
        st.just(encode_clear(framing)),
    )


def _drain(buf: bytes, framing: SignFraming) -> tuple[list[SignMessage], int, bytes]:
    return drain(lambda data: decode_frame(data, framing), buf, FrameError)


@pytest.mark.parametrize("framing", FRAMINGS, ids=IDS)
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_decoder_raises_only_frame_error_and_always_progresses(framing: SignFraming,
                                                               data: st.DataObject) -> None:
    stream = b"".join(data.draw(st.lists(_pieces(framing), max_size=10)))
    _, _, tail = _drain(stream, framing)
    # what is left is at most one frame's worth, starting at a possible prefix
    assert len(tail) <= framing.max_frame_bytes + len(framing.prefix)
    if tail:
        assert tail.startswith(framing.prefix) or framing.prefix.startswith(tail)


@pytest.mark.parametrize("framing", FRAMINGS, ids=IDS)
@given(text=texts, before=st.binary(max_size=20), line=st.integers(0, 99),
       effect=st.integers(0, 9))
def test_frames_round_trip_after_garbage(framing: SignFraming, text: str, before: bytes,
                                         line: int, effect: int) -> None:
    frame = encode_text(text, framing, line=line, effect=effect)  # never raises
    assert len(frame.shown) <= framing.max_chars
    assert len(frame) <= framing.max_frame_bytes
    # garbage without the prefix's first byte cannot start a frame of its own
    noise = before.replace(framing.prefix[:1], b"")
    messages, errors, _ = _drain(noise + frame + noise, framing)
    assert errors == 0
    assert messages and messages[0].text == frame.shown
    if frame.shown and "{line" in framing.show_template:
        assert (messages[0].line, messages[0].effect) == (line, effect)


@given(st.binary(max_size=400))
def test_decoder_on_plain_random_bytes(stream: bytes) -> None:
    for framing in FRAMINGS:
        _drain(stream, framing)


@pytest.fixture(scope="module")
def quiet_sims() -> Iterator[dict[str, LedSignSim]]:
    # no_ack: nobody reads the pty here, so the simulator must not write into it
    sims = {name: LedSignSim(LedSignSimConfig(preset=name, no_ack=True, baudrate=None))
            for name in PRESETS}
    yield sims
    for sim in sims.values():
        sim.close()


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(PRESETS)), data=st.data())
def test_the_simulator_digests_any_stream(quiet_sims: dict[str, LedSignSim], name: str,
                                          data: st.DataObject) -> None:
    sim = quiet_sims[name]
    chunks = data.draw(st.lists(_pieces(sim.framing), max_size=8))
    sim._rx.clear()
    for chunk in chunks:
        sim._on_bytes(chunk)  # the link thread's entry point; must never raise
    good = bytes(encode_text("A001", sim.framing))
    sim._rx.clear()
    sim._on_bytes(good)
    assert sim.text == "A001"


@pytest.mark.parametrize("framing", FRAMINGS, ids=IDS)
@settings(max_examples=60)
@given(text=texts)
def test_a_frame_arriving_byte_by_byte_is_waited_for(framing: SignFraming, text: str) -> None:
    """A controller gets its frame in pieces; no piece may look like an error."""
    frame = bytes(encode_text(text, framing))
    buf = b""
    messages = []
    for byte in frame:
        buf += bytes([byte])
        message, used = decode_frame(buf, framing)  # a FrameError here fails the test
        buf = buf[used:]
        if message is not None:
            messages.append(message)
    assert [m.text for m in messages] == [encode_text(text, framing).shown] and not buf
