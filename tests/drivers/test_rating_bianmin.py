"""Bianmin rating terminal protocol v1: byte-exact frames from the protocol document, the
decoder byte by byte and through noise, NAKs, de-duplication of retransmitted ratings, the
timeout paths; the driver against a scripted FakeTransport and against the simulator on a
real pseudo-terminal."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.rating_bianmin import (
    MAX_PAYLOAD,
    SEQ_UNKNOWN,
    Ack,
    BianminRatingTerminal,
    ErrorCode,
    Frame,
    FrameError,
    FrameReader,
    Heartbeat,
    HeartbeatReply,
    MsgType,
    Nak,
    NakCode,
    PayloadError,
    Prompt,
    RatingProtocolError,
    Result,
    ShowStaff,
    TerminalBusy,
    TerminalError,
    TerminalFault,
    TerminalState,
    TimedOut,
    crc16,
    decode_frame,
    decode_message,
    encode_frame,
    encode_message,
    level_words,
    next_seq,
    reason_words,
)
from drivers.sim.rating_terminal import RatingSimConfig, RatingTerminalSim
from drivers.transports import FakeTransport, SerialTransport, TransportError, TransportTimeout

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocols" / "rating-terminal.md"

# --------------------------------------------------------------------------- the codec


def test_crc_is_ccitt_false() -> None:
    assert crc16(b"123456789") == 0x29B1  # the catalogued check value of CRC-16/CCITT-FALSE
    assert crc16(b"") == 0xFFFF


def _bitwise_crc(data: bytes) -> int:
    """The reference implementation of the protocol document, §2.2, transcribed."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


@pytest.mark.parametrize("data", [b"", b"\x01\x01\x20\x00\x00", bytes(range(256)), b"\xff" * 9])
def test_crc_matches_the_documented_bitwise_algorithm(data: bytes) -> None:
    assert crc16(data) == _bitwise_crc(data)


WORKED = [
    (1, Heartbeat(), "02 01 01 20 00 00 4B 2F"),
    (3, Prompt("2024-0001", 30, True),
     "02 01 03 22 00 0D 00 1E 01 09 32 30 32 34 2D 30 30 30 31 B2 70"),
    (1, HeartbeatReply(TerminalState.STAFF, "RT-2.3.1", 1),
     "02 01 01 A0 00 0B 01 01 08 52 54 2D 32 2E 33 2E 31 70 68"),
    (2, ShowStaff("李娜", 3, "3号窗口", "0315", 1001),
     "02 01 02 21 00 1C 06 E6 9D 8E E5 A8 9C 04 30 33 31 35 03 0A 33 E5 8F B7 E7 AA 97 E5 8F A3 "
     "00 00 03 E9 FD 3C"),
    (2, Ack(), "02 01 02 06 00 00 E4 95"),
    (1, Result(2, (1, 5), "2024-0001", 123),
     "02 01 01 A1 00 10 02 00 7B 02 01 05 09 32 30 32 34 2D 30 30 30 31 11 FB"),
    (2, TimedOut("2024-0001"), "02 01 02 A2 00 0A 09 32 30 32 34 2D 30 30 30 31 A4 5F"),
    (3, TerminalError(ErrorCode.KEYS, "key 3 stuck"),
     "02 01 03 A3 00 0D 02 0B 6B 65 79 20 33 20 73 74 75 63 6B 0B 82"),
    (0, Nak(NakCode.BAD_CHECKSUM), "02 01 00 15 00 01 01 CF 42"),
    (4, Nak(NakCode.BUSY), "02 01 04 15 00 01 04 16 E1"),
]


@pytest.mark.parametrize(("seq", "message", "hex_frame"), WORKED)
def test_worked_example_frames_byte_exact(seq: int, message: Any, hex_frame: str) -> None:
    frame = bytes.fromhex(hex_frame)
    assert encode_message(seq, message) == frame
    decoded, used = decode_frame(frame)
    assert used == len(frame) and decoded is not None and decoded.seq == seq
    assert decode_message(decoded) == message


def test_every_frame_in_the_protocol_document_is_valid_and_tested() -> None:
    text = DOC.read_text(encoding="utf-8")
    frames = {m.group(1) for m in re.finditer(r"`(02 01(?: [0-9A-F]{2})+)`", text)}
    assert len(frames) >= 12
    for hex_frame in frames:
        raw = bytes.fromhex(hex_frame)
        frame, used = decode_frame(raw)
        assert frame is not None and used == len(raw), hex_frame
        decode_message(frame)
    tested = {h for _, _, h in WORKED} | {"02 01 01 06 00 00 7F 49", "02 01 04 23 00 00 AE 3A",
                                          "02 01 05 24 00 00 5D 1E", "02 01 03 06 00 00 92 21"}
    assert frames <= tested
    assert "4B 2F" in text and "0x29B1" in text


def _stream_frames(stream: bytes, *, byte_by_byte: bool) -> tuple[list[Frame], int]:
    reader = FrameReader()
    frames: list[Frame] = []
    errors = 0
    chunks = [stream[i : i + 1] for i in range(len(stream))] if byte_by_byte else [stream]
    for chunk in chunks:
        reader.feed(chunk)
        while True:
            try:
                frame = reader.next_frame()
            except FrameError:
                errors += 1
                continue
            if frame is None:
                break
            frames.append(frame)
    return frames, errors


def test_decoder_fed_byte_by_byte_finds_every_frame() -> None:
    parts = [bytes.fromhex(h) for _, _, h in WORKED]
    stream = b"\xff\x00" + parts[0] + b"noise" + b"".join(parts[1:])
    frames, errors = _stream_frames(stream, byte_by_byte=True)
    assert errors == 0
    assert [(f.seq, f.type) for f in frames] == [(s, m.TYPE) for s, m, _ in WORKED]
    whole, _ = _stream_frames(stream, byte_by_byte=False)
    assert whole == frames


def test_noise_that_looks_like_a_header_is_skipped() -> None:
    good = encode_message(9, Heartbeat())
    # STX with a wrong version, STX with an absurd LEN, a lone STX at the very end
    noise = b"\x02\x07\x02\x01\x05\x20\xff\xff"
    frame, used = decode_frame(noise + good)
    assert frame is not None and frame.seq == 9 and used == len(noise) + len(good)
    assert decode_frame(b"abc\x02") == (None, 3)  # keep the STX: it may start a frame
    assert decode_frame(b"abc") == (None, 3)


def test_bad_checksum_drops_only_the_stx_so_a_frame_inside_is_found() -> None:
    inner = encode_message(5, Ack())
    # a false header claiming 4 payload bytes swallows the start of the real frame
    false = bytes([0x02, 0x01, 0x33, 0x21, 0x00, 0x04]) + b"\x00\x00"
    stream = false + inner
    with pytest.raises(FrameError) as caught:
        decode_frame(stream)
    assert caught.value.consumed == 1 and caught.value.seq == 0x33
    frame, used = decode_frame(stream[1:])
    assert frame == Frame(5, MsgType.ACK, b"", crc16(inner[1:-2]))
    assert used == len(stream) - 1


def test_a_stalled_false_header_is_expired_to_release_the_frame_behind_it() -> None:
    reader = FrameReader()
    reader.feed(b"\x02\x01\x10\x21\x01\x00" + encode_message(7, Ack()))  # claims 256 bytes
    assert reader.next_frame() is None and reader.partial
    reader.expire()  # the inter-byte timeout passed
    frame = reader.next_frame()
    assert frame is not None and frame.seq == 7 and frame.type == MsgType.ACK


def test_encode_refuses_what_does_not_fit() -> None:
    with pytest.raises(ValueError):
        encode_frame(256, 0x20)
    with pytest.raises(ValueError):
        encode_frame(1, 0x20, bytes(MAX_PAYLOAD + 1))
    with pytest.raises(ValueError):
        ShowStaff("名" * 21).encode()  # 63 bytes of UTF-8
    with pytest.raises(ValueError):
        Prompt("", 30).encode()
    with pytest.raises(ValueError):
        Prompt("A1", 601).encode()
    with pytest.raises(ValueError):
        Result(6, (), "A1").encode()
    assert len(ShowStaff("名" * 20).encode()) > 60  # 60 bytes fit exactly


@pytest.mark.parametrize(("type_", "payload", "code"), [
    (0x7E, b"", NakCode.UNKNOWN_TYPE),
    (MsgType.PROMPT, b"\x00", NakCode.BAD_LENGTH),
    (MsgType.PROMPT, b"\x00\x00\x01\x02A1", NakCode.BAD_VALUE),  # timeout 0
    (MsgType.PROMPT, b"\x00\x1e\x01\x00", NakCode.BAD_VALUE),  # empty case number
    (MsgType.RESULT, b"\x06\x00\x00\x00\x02A1", NakCode.BAD_VALUE),  # level 6
    (MsgType.RESULT, b"\x02\x00\x00\x01\x00\x02A1", NakCode.BAD_VALUE),  # reason 0
    (MsgType.SHOW_STAFF, b"\x02\xff\xfe\x00\x00\x00\x00\x00\x00\x00", NakCode.BAD_VALUE),
    (MsgType.TIMEOUT, b"\x05AB", NakCode.BAD_LENGTH),
])
def test_payload_errors_carry_the_nak_code(type_: int, payload: bytes, code: NakCode) -> None:
    with pytest.raises(PayloadError) as caught:
        decode_message(Frame(1, type_, payload))
    assert caught.value.code == code


def test_appended_fields_of_a_later_revision_are_ignored() -> None:
    payload = Result(4, (), "C-9", 10).encode() + b"\x01\x02future"
    assert decode_message(Frame(1, MsgType.RESULT, payload)) == Result(4, (), "C-9", 10)


def test_words_and_sequence_numbers() -> None:
    assert level_words(4) == "满意 (4)" and level_words(1) == "非常不满意 (1)"
    assert reason_words(1) == "服务态度差 (1)" and reason_words(0x42) == "未知原因 (0x42)"
    assert next_seq(254) == 255 and next_seq(255) == 1  # 0 is reserved


# --------------------------------------------------------------------------- scripted driver

def _driver(fake: FakeTransport, **kwargs: Any) -> BianminRatingTerminal:
    driver = BianminRatingTerminal(fake, **{"timeout_s": 0.4, **kwargs})
    driver._seq = 0  # so the first command has seq 1 and the script can name it
    return driver


def test_duplicate_result_is_acked_twice_and_counted_once() -> None:
    result = encode_message(1, Result(5, (), "CASE-1", 42))
    fake = FakeTransport([encode_message(1, Ack()) + result + result])
    driver = _driver(fake)
    outcome = driver.prompt("CASE-1", 10)
    assert outcome.level == 5 and outcome.seconds == 4.2 and not outcome.timed_out
    # the duplicate is still in the stream; the next exchange drains it
    fake.replies.append(encode_message(2, HeartbeatReply(TerminalState.STAFF, "X")))
    driver.heartbeat()
    acks = [w for w in fake.written if w == encode_message(1, Ack())]
    assert len(acks) == 2  # both copies acknowledged, so the terminal stops sending
    assert driver.counters.duplicates == 1
    assert driver.take_events() == []  # and the copy was not kept as a second rating


def test_a_result_for_another_case_does_not_answer_this_prompt() -> None:
    stale = encode_message(1, Result(1, (), "OLD-CASE", 5))
    ours = encode_message(2, Result(3, (), "NEW-CASE", 7))
    fake = FakeTransport([encode_message(1, Ack()) + stale + ours])
    outcome = _driver(fake).prompt("NEW-CASE", 10)
    assert outcome.level == 3 and outcome.case_no == "NEW-CASE"


def test_unanswered_command_is_retransmitted_identically_then_times_out() -> None:
    fake = FakeTransport()
    driver = _driver(fake, timeout_s=0.4, retries=3)
    start = time.monotonic()
    with pytest.raises(TransportTimeout, match="did not answer HEARTBEAT"):
        driver.heartbeat()
    assert time.monotonic() - start < 1.5
    assert len(fake.written) == 4 and len(set(fake.written)) == 1  # same seq, same bytes
    assert driver.counters.retransmits == 3


def test_a_terminal_that_stops_mid_frame_times_out_plainly() -> None:
    half = encode_message(1, HeartbeatReply(1, "FW-1.0"))[:9]
    fake = FakeTransport([half, half, half, half])
    driver = _driver(fake, timeout_s=0.8)
    start = time.monotonic()
    with pytest.raises(TransportTimeout, match="评价器没有应答"):
        driver.heartbeat()
    assert time.monotonic() - start < 1.3
    assert driver.counters.noise_bytes > 0  # the stalled partial frames were expired


def test_a_damaged_frame_from_the_terminal_is_naked_with_seq_0() -> None:
    damaged = bytearray(encode_message(1, Result(4, (), "C", 1)))
    damaged[-1] ^= 0xFF
    fake = FakeTransport([encode_message(1, Ack()) + bytes(damaged)
                          + encode_message(1, Result(4, (), "C", 1))])
    outcome = _driver(fake).prompt("C", 5)
    assert outcome.level == 4
    assert encode_message(SEQ_UNKNOWN, Nak(NakCode.BAD_CHECKSUM)) in fake.written


def test_nak_bad_checksum_makes_the_host_retransmit_at_once() -> None:
    fake = FakeTransport([encode_message(SEQ_UNKNOWN, Nak(NakCode.BAD_CHECKSUM)),
                          encode_message(1, HeartbeatReply(1, "FW"))])
    driver = _driver(fake, timeout_s=4.0)
    start = time.monotonic()
    assert driver.heartbeat().firmware == "FW"
    assert time.monotonic() - start < 0.9  # did not wait out the 1 s attempt
    assert fake.written[0] == fake.written[1]


def test_terminal_error_during_a_prompt_is_a_fault() -> None:
    fake = FakeTransport([encode_message(1, Ack())
                          + encode_message(1, TerminalError(ErrorCode.DISPLAY, "lcd"))])
    with pytest.raises(TerminalFault, match="display"):
        _driver(fake).prompt("C", 5)


def test_no_result_and_no_timeout_frame_is_a_host_side_timeout() -> None:
    fake = FakeTransport([encode_message(1, Ack()), encode_message(2, Ack())])
    start = time.monotonic()
    outcome = _driver(fake).prompt("C", 1, grace_s=0.3)
    assert outcome.timed_out and outcome.level is None
    assert 1.2 < time.monotonic() - start < 2.5
    assert decode_frame(fake.written[-1])[0].type == MsgType.CANCEL  # type: ignore[union-attr]


def test_garbage_between_frames_is_survived() -> None:
    fake = FakeTransport([b"\x00\x02\x01\xff" + encode_message(1, Ack()) + b"\x13\x37"
                          + encode_message(1, TimedOut("C")) + b"\x02"])
    outcome = _driver(fake).prompt("C", 5)
    assert outcome.timed_out


# --------------------------------------------------------------------------- against the sim

MakeSim = Callable[..., tuple[RatingTerminalSim, BianminRatingTerminal]]


@pytest.fixture
def make_sim() -> Iterator[MakeSim]:
    opened: list[tuple[RatingTerminalSim, SerialTransport]] = []

    def make(timeout_s: float = 2.0, **options: Any) -> tuple[RatingTerminalSim,
                                                               BianminRatingTerminal]:
        options.setdefault("baudrate", None)  # unpaced unless timing is the point
        options.setdefault("retry_s", 0.2)
        sim = RatingTerminalSim(RatingSimConfig(**options))
        transport = SerialTransport(sim.path, 9600)
        opened.append((sim, transport))
        return sim, BianminRatingTerminal(transport, timeout_s)

    yield make
    for sim, transport in opened:
        transport.close()
        sim.unplug()


def test_full_session_at_9600_baud(make_sim: MakeSim) -> None:
    sim, driver = make_sim(baudrate=9600, auto=2, reasons=(1, 5), delay_s=0.2)
    status = driver.heartbeat()
    assert status.firmware == "SIM-RT 1.0" and status.state_name == "idle"
    driver.show_staff("林𠈌", window_no=3, window_name="3号窗口", staff_no="0315")
    assert sim.staff == ShowStaff("林𠈌", 3, "3号窗口", "0315", 0)
    outcome = driver.prompt("2024-0001", 5, ask_reasons=True)
    assert (outcome.level, outcome.reasons, outcome.level_text) == (2, (1, 5), "不满意")
    assert outcome.is_bad and 0.1 <= (outcome.seconds or 0) < 1.5
    assert sim.prompts == [Prompt("2024-0001", 5, True)]
    assert sim.prompt is None  # one press ends the prompt


def test_reasons_are_only_sent_when_asked_and_for_bad_levels(make_sim: MakeSim) -> None:
    sim, driver = make_sim()
    for ask, level, want in [(False, 1, ()), (True, 4, ()), (True, 1, (6,))]:
        done: list[Any] = []
        thread = threading.Thread(
            target=lambda a=ask, d=done: d.append(driver.prompt("C", 5, a)))
        thread.start()
        _wait(lambda: sim.prompt is not None)
        assert sim.press(level, (6,))
        thread.join(3)
        assert done[0].level == level and done[0].reasons == want


def test_lost_ack_makes_the_terminal_retransmit_and_the_host_counts_once(
        make_sim: MakeSim) -> None:
    sim, driver = make_sim(auto=5, delay_s=0.05, drop_ack=2)
    outcome = driver.prompt("CASE-7", 5)
    assert outcome.level == 5
    _wait(lambda: sim.transmissions == 3, timeout_s=3)  # 1 + 2 retransmissions
    driver.heartbeat()  # reads the retransmissions and ACKs them
    _wait(lambda: sim.state == TerminalState.IDLE)
    assert sim.acks_dropped == 2
    assert driver.counters.duplicates == 2
    assert len(sim.ratings) == 1 and driver.take_events() == []


def test_prompt_timeout_path(make_sim: MakeSim) -> None:
    sim, driver = make_sim()
    start = time.monotonic()
    outcome = driver.prompt("CASE-T", 1)
    assert outcome.timed_out and outcome.level is None and outcome.case_no == "CASE-T"
    assert 0.9 < time.monotonic() - start < 2.5
    assert not sim.press(4)  # after the prompt a press rates nothing


def test_the_terminal_naks_a_damaged_command(make_sim: MakeSim) -> None:
    sim, driver = make_sim()
    damaged = bytearray(encode_message(1, Heartbeat()))
    damaged[-2] ^= 0x01
    driver.transport.write(bytes(damaged))
    reader = FrameReader()
    deadline = time.monotonic() + 2
    frame = None
    while frame is None and time.monotonic() < deadline:
        reader.feed(driver.transport.read(64, 0.1))
        frame = reader.next_frame()
    assert frame is not None
    assert decode_message(frame) == Nak(NakCode.BAD_CHECKSUM) and frame.seq == SEQ_UNKNOWN
    assert sim.received == ["bad_frame"]


def test_a_retransmitted_prompt_is_acked_again_not_restarted(make_sim: MakeSim) -> None:
    sim, driver = make_sim()
    frame = encode_message(9, Prompt("CASE-R", 30))
    driver.transport.write(frame)
    _wait(lambda: sim.received == ["PROMPT"])
    driver.transport.write(frame)
    _wait(lambda: sim.received == ["PROMPT", "duplicate"])
    assert len(sim.prompts) == 1


def test_noise_and_damaged_frames_on_the_line_still_give_one_rating(make_sim: MakeSim) -> None:
    sim, driver = make_sim(timeout_s=2.0, auto=3, delay_s=0.05, garbage=0.5, corrupt=0.4,
                           seed=7)
    for i in range(5):
        outcome = driver.prompt(f"CASE-{i}", 5)
        assert outcome.level == 3, outcome
        driver.heartbeat()
    assert len(sim.ratings) == 5
    assert driver.counters.bad_frames >= 1  # the corruption really happened


def test_busy_terminal_is_cancelled_and_prompted_again(make_sim: MakeSim) -> None:
    sim, driver = make_sim()
    # another program (or a previous run) left a prompt open on the terminal
    driver.transport.write(encode_message(200, Prompt("FIRST", 30)))
    _wait(lambda: sim.prompt is not None)
    outcome = driver.prompt("SECOND", 1)
    assert outcome.timed_out and outcome.case_no == "SECOND"
    assert [p.case_no for p in sim.prompts] == ["FIRST", "SECOND"]
    # (a retransmission on a loaded machine shows up as "duplicate": not what is tested)
    _wait(lambda: [r for r in sim.received if r != "duplicate"]
          == ["PROMPT", "PROMPT", "CANCEL", "PROMPT", "ACK"])


def test_undeliverable_result_makes_prompts_busy(make_sim: MakeSim) -> None:
    sim, driver = make_sim(drop_ack=1000)
    done = threading.Thread(target=lambda: driver.prompt("A", 5))
    done.start()
    _wait(lambda: sim.prompt is not None)
    sim.press(4)
    done.join(3)
    with pytest.raises(TerminalBusy):
        driver.prompt("B", 5)


def test_terminal_fault_on_prompt(make_sim: MakeSim) -> None:
    _, driver = make_sim(fault="keys")
    with pytest.raises(TerminalFault, match="stuck"):
        driver.prompt("C", 5)


def test_a_terminal_that_restarts_during_a_prompt_is_noticed(make_sim: MakeSim) -> None:
    sim, driver = make_sim()
    driver.heartbeat_interval_s = 0.2
    threading.Timer(0.3, sim.restart).start()
    with pytest.raises(RatingProtocolError, match="restarted"):
        driver.prompt("C", 30)


def test_silent_terminal_fails_within_the_timeout(make_sim: MakeSim) -> None:
    sim, driver = make_sim(timeout_s=0.8, silent=True)
    start = time.monotonic()
    with pytest.raises(TransportTimeout):
        driver.heartbeat()
    assert time.monotonic() - start < 1.6
    _wait(lambda: sim.received == ["HEARTBEAT"] * 4)


def test_unplug_while_sending_a_result(make_sim: MakeSim) -> None:
    _, driver = make_sim(auto=4, delay_s=0.05, unplug="result")
    with pytest.raises(TransportError):
        driver.prompt("C", 5)


def test_cancel_event_ends_the_wait(make_sim: MakeSim) -> None:
    sim, driver = make_sim()
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    outcome = driver.prompt("C", 30, cancel_event=cancel)
    assert outcome.cancelled and outcome.level is None
    assert sim.prompt is None and "CANCEL" in sim.received


def test_probe(make_sim: MakeSim) -> None:
    _, driver = make_sim()
    assert BianminRatingTerminal.probe(driver.transport)
    _, quiet = make_sim(silent=True)
    start = time.monotonic()
    assert not BianminRatingTerminal.probe(quiet.transport)
    assert time.monotonic() - start < 1.8


def _wait(predicate: Callable[[], bool], timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)
