"""Fuzzing the rating terminal decoders with hypothesis: the frame decoder (arbitrary bytes
raise only FrameError, always progress, and never lose a good frame behind noise), the
payload decoder, the evdev event parser, the key translator and the keypad mapper."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.evdev_input import (
    EV_KEY,
    EVENT_SIZE,
    InputEvent,
    KeyTranslator,
    encode_event,
    parse_events,
)
from drivers.rating_bianmin import (
    MAX_FRAME,
    MESSAGES,
    STX,
    VERSION,
    Frame,
    FrameError,
    FrameReader,
    PayloadError,
    Prompt,
    Result,
    ShowStaff,
    decode_frame,
    decode_message,
    encode_frame,
    encode_message,
)
from drivers.rating_keypad import KeypadMapper

from .decoder_drain import drain

_pieces = st.one_of(
    st.binary(max_size=30),
    st.just(bytes([STX])),
    st.just(bytes([STX, VERSION])),
    st.builds(lambda seq, t, n: bytes([STX, VERSION, seq, t]) + n.to_bytes(2, "big"),
              st.integers(0, 255), st.integers(0, 255), st.integers(0, 0xFFFF)),
    st.builds(lambda seq, t, n: bytes([STX, VERSION, seq, t]) + n.to_bytes(2, "big"),
              st.integers(0, 255), st.integers(0, 255), st.integers(0, 40)),
    st.builds(encode_frame, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=40)),
)
streams = st.lists(_pieces, max_size=12).map(b"".join)


def _drain(buf: bytes) -> tuple[list[Frame], int, bytes]:
    def dropped_up_to_stx(data: bytes, consumed: int) -> None:
        assert data[consumed - 1] == STX  # dropped up to and including the STX

    return drain(decode_frame, buf, FrameError, min_frame=8, check_error=dropped_up_to_stx)


@settings(max_examples=400)
@given(streams)
def test_decoder_raises_only_frame_error_and_always_progresses(stream: bytes) -> None:
    frames, _, tail = _drain(stream)
    assert len(tail) < MAX_FRAME
    if tail:
        assert tail[0] == STX
    for frame in frames:
        with contextlib.suppress(PayloadError):
            decode_message(frame)


@settings(max_examples=200)
@given(streams)
def test_byte_by_byte_equals_all_at_once(stream: bytes) -> None:
    whole, errors, _ = _drain(stream)
    reader = FrameReader()
    frames: list[Frame] = []
    bad = 0
    for i in range(len(stream)):
        reader.feed(stream[i : i + 1])
        while True:
            try:
                frame = reader.next_frame()
            except FrameError:
                bad += 1
                continue
            if frame is None:
                break
            frames.append(frame)
    assert frames == whole and bad == errors


@given(st.binary(max_size=40), st.integers(0, 255), st.integers(0, 255),
       st.binary(max_size=60))
def test_a_good_frame_behind_noise_is_found_once_the_noise_expires(
        noise: bytes, seq: int, type_: int, payload: bytes) -> None:
    good = encode_frame(seq, type_, payload)
    reader = FrameReader()
    reader.feed(noise + good)
    found = None
    for _ in range(len(noise) + len(good) + 2):
        try:
            found = reader.next_frame()
        except FrameError:
            continue
        if found is not None and found.seq == seq and found.payload == bytes(payload):
            break
        if found is None:
            reader.expire()  # no more bytes come: the inter-byte timeout passes
    assert found is not None and found.type == type_ and found.payload == bytes(payload)


@settings(max_examples=400)
@given(st.sampled_from(sorted(MESSAGES)), st.binary(max_size=200))
def test_payload_decoder_raises_only_payload_error(type_: int, payload: bytes) -> None:
    with contextlib.suppress(PayloadError):
        message = decode_message(Frame(1, type_, payload))
        # whatever decodes re-encodes to a payload that decodes to the same message
        assert decode_message(Frame(1, type_, message.encode())) == message


_text = st.text(max_size=20)


@given(st.integers(0, 255), _text.filter(lambda t: len(t.encode()) <= 60),
       st.integers(0, 255), _text.filter(lambda t: len(t.encode()) <= 60),
       st.text(max_size=16).filter(lambda t: len(t.encode()) <= 16), st.integers(0, 2**32 - 1))
def test_show_staff_round_trip(seq: int, name: str, window_no: int, window_name: str,
                               staff_no: str, photo_id: int) -> None:
    message = ShowStaff(name, window_no, window_name, staff_no, photo_id)
    frame, _ = decode_frame(encode_message(seq, message))
    assert frame is not None and decode_message(frame) == message


@given(st.integers(1, 5), st.lists(st.integers(1, 255), max_size=16).map(tuple),
       st.text(min_size=1, max_size=20).filter(lambda t: len(t.encode()) <= 64),
       st.integers(0, 0xFFFF), st.integers(1, 600), st.booleans())
def test_result_and_prompt_round_trip(level: int, reasons: tuple[int, ...], case_no: str,
                                      tenths: int, timeout_s: int, ask: bool) -> None:
    for message in (Result(level, reasons, case_no, tenths), Prompt(case_no, timeout_s, ask)):
        frame, _ = decode_frame(encode_message(7, message))
        assert frame is not None and decode_message(frame) == message


# --------------------------------------------------------------------------- evdev, keypad

_events = st.builds(InputEvent, st.integers(0, 2**31 - 1).map(float), st.integers(0, 0xFFFF),
                    st.integers(0, 0xFFFF), st.integers(-(2**31), 2**31 - 1))


@settings(max_examples=300)
@given(st.binary(max_size=EVENT_SIZE * 6 + 7))
def test_event_parser_takes_whole_events_only(data: bytes) -> None:
    events, used = parse_events(data)
    assert used == len(events) * EVENT_SIZE and len(data) - used < EVENT_SIZE
    for event in events:
        assert 0 <= event.type <= 0xFFFF and 0 <= event.code <= 0xFFFF


@given(st.lists(_events, max_size=8), st.integers(0, EVENT_SIZE - 1))
def test_event_round_trip_and_split_reads(events: list[InputEvent], cut: int) -> None:
    raw = b"".join(encode_event(e.type, e.code, e.value, e.time) for e in events)
    parsed, used = parse_events(raw)
    assert used == len(raw) and [(e.type, e.code, e.value, e.time) for e in parsed] == [
        (e.type, e.code, e.value, e.time) for e in events]
    first, used_first = parse_events(raw[: max(0, len(raw) - cut)])
    assert first == parsed[: len(first)] and used_first <= len(raw)


@settings(max_examples=300)
@given(st.lists(st.tuples(st.integers(0, 130), st.integers(0, 2)), max_size=40))
def test_translator_and_mapper_never_fail_and_rate_at_most_once(
        keys: list[tuple[int, int]]) -> None:
    translator = KeyTranslator(repeat=True)
    mapper = KeypadMapper(debounce_s=0.0)
    mapper.open()
    levels = []
    for i, (code, value) in enumerate(keys):
        event = InputEvent(float(i), EV_KEY, code, value)
        char = translator.feed(event)
        assert char is None or len(char) == 1
        level = mapper.feed(event, float(i))
        if level is not None:
            levels.append(level)
    assert len(levels) <= 1  # one prompt, one rating
    assert all(1 <= level <= 5 for level in levels)
