"""The five-key keypad: the pure evdev reader fed real ``input_event`` structs through a
FIFO, the US key table, the key map (default and vendor maps), the prompt window and the
debounce."""

from __future__ import annotations

import logging
import os
import struct
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.evdev_input import (
    EV_KEY,
    EV_SYN,
    EVENT_SIZE,
    EVIOCGRAB,
    KEY_CODES,
    EvdevDevice,
    InputEvent,
    KeyTranslator,
    encode_event,
    eviocgname,
    key_name,
    parse_events,
)
from drivers.rating_keypad import (
    DEFAULT_KEYMAP,
    KeypadMapper,
    KeypadRatingTerminal,
    parse_keymap,
)
from drivers.transports import TransportError

KEY_1, KEY_5, KEY_F1, KEY_F4, KEY_KP3, KEY_A = 2, 6, 59, 62, 81, 30


def press(code: int, t: float = 0.0) -> list[bytes]:
    """What the kernel writes for one key press and release, with SYN reports."""
    return [encode_event(EV_KEY, code, 1, t), encode_event(EV_SYN, 0, 0, t),
            encode_event(EV_KEY, code, 0, t + 0.05), encode_event(EV_SYN, 0, 0, t + 0.05)]


class Fifo:
    """A named pipe standing in for /dev/input/eventN: the test writes kernel structs."""

    def __init__(self, path: Path):
        self.path = path
        os.mkfifo(path)
        self._fd: int | None = None

    def write(self, *chunks: bytes) -> None:
        if self._fd is None:  # opening the write end blocks until the reader has opened
            self._fd = os.open(self.path, os.O_WRONLY)
        os.write(self._fd, b"".join(chunks))

    def write_later(self, delay_s: float, *chunks: bytes) -> threading.Thread:
        thread = threading.Thread(target=lambda: (time.sleep(delay_s), self.write(*chunks)))
        thread.start()
        return thread

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Fifo]:
    pipe = Fifo(tmp_path / "event5")
    yield pipe
    pipe.close()


# --------------------------------------------------------------------------- kernel facts


def test_kernel_constants() -> None:
    assert EVIOCGRAB == 0x40044590  # _IOW('E', 0x90, int)
    assert eviocgname(256) == 0x81004506  # _IOC(_IOC_READ, 'E', 0x06, 256)
    if sys.maxsize > 2**32:
        assert EVENT_SIZE == 24  # struct input_event on 64-bit Linux
    raw = struct.pack("@llHHi", 1700000000, 250000, EV_KEY, KEY_F1, 1)
    assert parse_events(raw) == ([InputEvent(1700000000.25, EV_KEY, KEY_F1, 1)], EVENT_SIZE)


def test_key_names() -> None:
    assert [key_name(c) for c in (2, 6, 11, 59, 63, 79, 83, 28, 30)] == [
        "1", "5", "0", "F1", "F5", "KP1", "KEY_83", "ENTER", "A"]
    assert KEY_CODES["F5"] == 63 and KEY_CODES["KP5"] == 76 and KEY_CODES["5"] == 6


def test_us_layout_with_shift_and_caps_lock() -> None:
    translator = KeyTranslator()
    shift, caps = 42, 58
    sequence = [(shift, 1), (30, 1), (30, 0), (shift, 0), (48, 1), (2, 1), (shift, 1), (2, 1),
                (2, 2), (shift, 0), (caps, 1), (caps, 0), (46, 1), (12, 1), (57, 1), (28, 1),
                (79, 1)]
    text = "".join(translator.feed(InputEvent(0.0, EV_KEY, c, v)) or "" for c, v in sequence)
    assert text == "Ab1!C- \n1"  # autorepeat (value 2) ignored by default
    assert KeyTranslator(repeat=True).feed(InputEvent(0.0, EV_KEY, 2, 2)) == "1"


# --------------------------------------------------------------------------- the reader


def test_reads_real_event_structs_from_a_fifo_and_skips_the_grab(
        fifo: Fifo, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="drivers.evdev_input"):
        device = EvdevDevice(str(fifo.path))
    try:
        assert not device.is_char_device and not device.grabbed
        assert "not a character device" in caplog.text
        assert device.device_name() is None
        payload = b"".join(press(KEY_F4, 5.5))
        fifo.write(payload[:30])  # split mid-struct, as a read may be
        first = device.read_events(1.0)
        assert first == [InputEvent(5.5, EV_KEY, KEY_F4, 1)]
        fifo.write(payload[30:])
        rest: list[InputEvent] = []
        deadline = time.monotonic() + 2
        while len(rest) < 3 and time.monotonic() < deadline:
            rest += device.read_events(0.2)
        assert [(e.type, e.code, e.value) for e in rest] == [
            (EV_SYN, 0, 0), (EV_KEY, KEY_F4, 0), (EV_SYN, 0, 0)]
        start = time.monotonic()
        assert device.read_events(0.2) == []  # nothing more: returns at the timeout
        assert 0.15 < time.monotonic() - start < 1.0
    finally:
        device.close()
    with pytest.raises(TransportError, match="closed"):
        device.read_events(0.1)
    device.close()  # idempotent


def test_a_missing_node_is_a_plain_transport_error(tmp_path: Path) -> None:
    with pytest.raises(TransportError, match="no such input device"):
        EvdevDevice(str(tmp_path / "event9"))


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_grabbing_a_character_device_that_is_not_an_input_device_fails_plainly() -> None:
    with pytest.raises(TransportError, match="cannot grab"):
        EvdevDevice("/dev/null")
    device = EvdevDevice("/dev/null", grab=False)
    try:
        assert device.is_char_device and device.device_name() is None
    finally:
        device.close()


# --------------------------------------------------------------------------- key map


def test_default_keymap_reads_the_key_number_as_the_level() -> None:
    assert DEFAULT_KEYMAP["5"] == 5 and DEFAULT_KEYMAP["F5"] == 5 and DEFAULT_KEYMAP["KP5"] == 5
    assert DEFAULT_KEYMAP["1"] == 1 and DEFAULT_KEYMAP["F1"] == 1
    mapper = KeypadMapper(debounce_s=0.0)
    got = []
    for i, code in enumerate((KEY_5, KEY_F1, KEY_KP3, KEY_1)):
        mapper.open()
        got.append(mapper.feed(InputEvent(0.0, EV_KEY, code, 1), float(i)))
    assert got == [5, 1, 3, 1]


def test_vendor_keymap() -> None:
    keymap = parse_keymap("F1:5, f2=4,F3:3,F4:2,F5:1")
    assert keymap == {"F1": 5, "F2": 4, "F3": 3, "F4": 2, "F5": 1}
    mapper = KeypadMapper(keymap)
    mapper.open()
    assert mapper.feed(InputEvent(0.0, EV_KEY, KEY_F1, 1), 0.0) == 5
    mapper.open()
    assert mapper.feed(InputEvent(0.0, EV_KEY, KEY_1, 1), 1.0) is None  # not in this map


@pytest.mark.parametrize(("text", "words"), [
    ("F1:5,F2:4,F3:3,F4:2", "no key for level 1"),
    ("F1:6,F2:4,F3:3,F4:2,F5:1", "level must be 1-5"),
    ("F1:5,F1:4", "given twice"),
    ("HYPER:5", "unknown key"),
    ("F1", "KEY:LEVEL"),
])
def test_bad_keymaps_are_plain_errors(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_keymap(text)


def test_presses_outside_a_prompt_repeats_and_bounces_are_ignored() -> None:
    mapper = KeypadMapper(debounce_s=0.3)
    key = lambda code, value=1: InputEvent(0.0, EV_KEY, code, value)  # noqa: E731
    assert mapper.feed(key(KEY_5), 0.0) is None  # no prompt open
    mapper.open()
    assert mapper.feed(key(KEY_5), 0.1) is None  # 0.1 s after the last press: a bounce
    assert mapper.feed(key(KEY_5, 2), 0.5) is None  # autorepeat
    assert mapper.feed(key(KEY_5, 0), 0.6) is None  # release
    assert mapper.feed(key(KEY_A), 0.7) is None  # not a rating key
    assert mapper.feed(key(KEY_F4), 0.8) == 4  # 0.7 s after the last press: accepted
    assert not mapper.is_open  # one prompt, one rating
    assert mapper.feed(key(KEY_1), 1.5) is None
    mapper.open()  # the next citizen's prompt opens right away
    assert mapper.feed(key(KEY_1), 1.6) is None  # the tail of a double tap does not rate
    assert mapper.feed(key(KEY_1), 2.0) == 1
    assert mapper.ignored == 4


# --------------------------------------------------------------------------- the terminal


def test_prompt_over_a_fifo(fifo: Fifo) -> None:
    terminal = KeypadRatingTerminal(EvdevDevice(str(fifo.path)))
    try:
        writer = fifo.write_later(0.3, *press(KEY_A), *press(KEY_F4))
        outcome = terminal.prompt("CASE-1", 3)
        writer.join()
        assert outcome.level == 4 and outcome.level_text == "满意" and outcome.reasons == ()
        assert 0.2 < (outcome.seconds or 0) < 2.0 and outcome.channel == "terminal"
        assert terminal.unknown_keys == ["A"]
        # a press between prompts, still unread when the next prompt opens, rates nothing
        fifo.write(*press(KEY_5, 10.0))
        start = time.monotonic()
        outcome = terminal.prompt("CASE-2", 1)
        assert outcome.timed_out and outcome.level is None and outcome.case_no == "CASE-2"
        assert 0.9 < time.monotonic() - start < 2.0
    finally:
        terminal.close()


def test_double_tap_in_one_read_rates_once_and_blocks_the_next_prompt(fifo: Fifo) -> None:
    now = [0.0]
    terminal = KeypadRatingTerminal(EvdevDevice(str(fifo.path)), clock=lambda: now[0])
    try:
        writer = fifo.write_later(0.3, *press(KEY_5), *press(KEY_5))
        outcome = terminal.prompt("A", 5)
        writer.join()
        assert outcome.level == 5
        cancel = threading.Event()
        cancel.set()
        assert terminal.prompt("B", 5, cancel_event=cancel).cancelled
        assert terminal.mapper.ignored == 1
    finally:
        terminal.close()
