"""The LED sign driver: byte-exact frames for every checksum kind (worked by hand below),
encoding that never fails, the ACK rules, and the driver against the simulated sign over a
real pseudo-terminal, which also renders what the sign shows (PNGs under
tests/artifacts/sign/)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from drivers.led_sign import (
    PRESETS,
    REPLACEMENT,
    FrameError,
    LedSign,
    SignError,
    SignEscape,
    SignFraming,
    decode_frame,
    encode_clear,
    encode_text,
    parse_template,
    preset,
)
from drivers.sim.led_sign import LedSignSim, LedSignSimConfig, render_bar, text_dots
from drivers.transports import FakeTransport, SerialTransport, TransportError, TransportTimeout

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "sign"

# Worked example. "暂停" in GB2312 is D4 DD CD A3.
#   XOR : D4^DD = 09; 09^CD = C4; C4^A3 = 67          -> 67
#   sum : D4+DD+CD+A3 = 212+221+205+163 = 801 = 0x321 -> sum8 21, sum16 03 21
#   with address 01 in the XOR: 67^01 = 66
PLAIN = dict(prefix=b"\x02", suffix=b"\x03", encoding="gb2312")


@pytest.mark.parametrize(("checksum", "extra", "frame"), [
    ("none", {}, "02 D4DD CDA3 03"),
    ("xor", {}, "02 D4DD CDA3 67 03"),
    ("sum8", {}, "02 D4DD CDA3 21 03"),
    ("sum16", {}, "02 D4DD CDA3 0321 03"),
    ("sum16", {"checksum_byteorder": "little"}, "02 D4DD CDA3 2103 03"),
    ("xor", {"address": 1, "checksum_over": "address+payload"}, "02 01 D4DD CDA3 66 03"),
    ("xor", {"address": 1, "checksum_over": "payload"}, "02 01 D4DD CDA3 67 03"),
    # sum over address 01 + length 04 + text: 1 + 4 + 801 = 806 = 0x326
    ("sum8", {"address": 1, "length": "u8", "checksum_over": "address+payload"},
     "02 01 04 D4DD CDA3 26 03"),
    ("sum16", {"address": 1, "length": "u16le", "checksum_over": "address+payload"},
     "02 01 0400 D4DD CDA3 0326 03"),
])
def test_worked_example_for_every_checksum_kind(checksum: str, extra: dict, frame: str) -> None:
    framing = SignFraming(**PLAIN, checksum=checksum, **extra)  # type: ignore[arg-type]
    encoded = encode_text("暂停", framing)
    assert encoded.hex(" ").upper().replace(" ", "") == frame.replace(" ", "")
    message, used = decode_frame(b"\x00\xff" + encoded + b"\x02", framing)
    assert message is not None and message.text == "暂停" and used == 2 + len(encoded)


@pytest.mark.parametrize(("name", "text", "frame"), [
    # STX, address 01, text, XOR over address+text, ETX
    ("stx-etx", "暂停", "02 01 D4DD CDA3 66 03"),
    # 41^43 = 02, ^01 = 03: the checksum is ETX and must be escaped (DLE 03)
    ("stx-etx", "AC", "02 01 41 43 10 03 03"),
    # AA 55, address 00, length 0007, command 31, line 00, effect 01, text, sum16 over
    # 00 00 07 31 00 01 + text = 7 + 49 + 1 + 801 = 858 = 0x035A
    ("aa55-sum16", "暂停", "AA55 00 0007 31 00 01 D4DD CDA3 035A"),
    # FE, address 01, length 04, text, sum8 over the text (0x21), FF
    ("fe-sum8", "暂停", "FE 01 04 D4DD CDA3 21 FF"),
])
def test_preset_frames_byte_exact(name: str, text: str, frame: str) -> None:
    assert bytes(encode_text(text, preset(name))) == bytes.fromhex(frame)


def test_clear_frames() -> None:
    assert encode_clear(preset("stx-etx")) == bytes.fromhex("02 01 01 03")  # empty text
    # command 32, line 00; sum16 over 00 0002 32 00 = 2 + 50 = 0x34
    assert encode_clear(preset("aa55-sum16")) == bytes.fromhex("AA55 00 0002 32 00 0034")
    message, _ = decode_frame(encode_clear(preset("aa55-sum16")), preset("aa55-sum16"))
    assert message is not None and message.kind == "clear"


def test_templates_with_ascii_literals_and_decimal_fields() -> None:
    framing = SignFraming(prefix=b"\x02", suffix=b"\x0d",
                          show_template="'!#' {line:02d} '%' {effect:01d} {text}", line=3,
                          effect=1)
    assert bytes(encode_text("A1", framing)) == b"\x02!#03%1A1\x0d"
    message, _ = decode_frame(b"\x02!#12%7A1\x0d", framing)
    assert message is not None and (message.line, message.effect, message.text) == (12, 7, "A1")
    with pytest.raises(ValueError, match="does not fit"):
        encode_text("x", framing, line=100)
    assert parse_template("31 {line} 'ab'") == (b"\x31", parse_template("{line}")[0], b"ab")
    for bad in ("3", "{name}", "{text:02d}", "'é'", "{line}{line}", "'open"):
        with pytest.raises(ValueError):
            parse_template(bad)


def test_encoding_never_fails_and_reports_what_it_replaced() -> None:
    framing = preset("stx-etx")  # GB2312
    frame = encode_text("请张䶮\x07到3号窗口😀\ud800", framing)
    assert frame.shown == f"请张{REPLACEMENT}{REPLACEMENT}到3号窗口{REPLACEMENT}{REPLACEMENT}"
    assert frame.replaced == ("䶮", "\x07", "😀", "\ud800")
    message, _ = decode_frame(frame, framing)
    assert message is not None and message.text == frame.shown
    # GBK has 堃, GB2312 does not
    assert encode_text("王堃", framing).replaced == ("堃",)
    assert encode_text("王堃", preset("fe-sum8")).replaced == ()
    # line breaks become spaces, not marks; decomposed accents are composed first
    assert encode_text("A\nB\tC", framing).shown == "A B C"
    assert encode_text("e\u0301", preset("fe-sum8")).replaced == ()


def test_text_beyond_max_chars_is_cut_and_counted() -> None:
    framing = SignFraming(prefix=b"\x02", suffix=b"\x03", max_chars=4)
    frame = encode_text("请A001号", framing)
    assert frame.shown == "请A00" and frame.truncated == 2


@pytest.mark.parametrize(("fields", "words"), [
    ({"prefix": b""}, "prefix"),
    ({"suffix": b""}, "needs an end"),
    ({"checksum": "crc"}, "checksum must be"),
    ({"encoding": "utf-8"}, "encoding must be"),
    ({"address": 300}, "address"),
    ({"escape": SignEscape(0x10, b"\x10\x02")}, "missing 03"),
    ({"escape": SignEscape(0x7D, b"\x7d\x02\x03", 0x20)}, None),
    ({"show_template": "31"}, "must contain {text}"),
    ({"clear_template": "{text}"}, "must not contain"),
    ({"length": "u8", "max_chars": 200}, "u8 length"),
    ({"replacement": "䶮"}, "replacement"),
    ({"ack": b""}, "ack"),
])
def test_framings_that_cannot_work_are_refused_plainly(fields: dict, words: str | None) -> None:
    base = {"prefix": b"\x02", "suffix": b"\x03", **fields}
    if words is None:
        SignFraming(**base)
        return
    with pytest.raises(ValueError, match=words):
        SignFraming(**base)


def test_framing_from_options() -> None:
    framing = SignFraming.from_options({"preset": "aa55-sum16", "address": "0x05",
                                        "checksum": "xor", "ack": "06", "max_chars": 10})
    assert framing.address == 5 and framing.checksum == "xor" and framing.ack == b"\x06"
    assert framing.prefix == b"\xaa\x55" and framing.name == "aa55-sum16+custom"
    custom = SignFraming.from_options({"prefix": "7E", "suffix": "7E", "escape_byte": "0x7D",
                                       "escape_bytes": "7D 7E", "escape_xor": 32})
    assert custom.escape == SignEscape(0x7D, b"\x7d\x7e", 0x20)
    # the rest comes from the default preset (stx-etx): address 01, XOR over address+text.
    # "~}" is 7E 7D; XOR 01^7E^7D = 02; 7E and 7D are escaped as 7D 5E and 7D 5D
    frame = encode_text("~}", custom)
    assert bytes(frame) == bytes.fromhex("7E 01 7D5E 7D5D 02 7E")
    message, _ = decode_frame(frame, custom)
    assert message is not None and message.text == "~}"
    with pytest.raises(ValueError, match="unknown sign framing options: colour"):
        SignFraming.from_options({"colour": "red"})
    with pytest.raises(ValueError, match="unknown sign preset"):
        SignFraming.from_options({"preset": "acme"})
    with pytest.raises(ValueError, match="not hex"):
        SignFraming.from_options({"prefix": "STX"})


def test_decoder_reports_bad_frames_and_resynchronises() -> None:
    framing = preset("stx-etx")
    good = encode_text("A001", framing)
    bad_sum = bytearray(good)
    bad_sum[-2] ^= 0xFF
    with pytest.raises(FrameError, match="checksum") as info:
        decode_frame(bytes(bad_sum) + good, framing)
    assert info.value.consumed == len(good)
    # a frame cut off by the next one's STX
    with pytest.raises(FrameError, match="cut off") as info:
        decode_frame(good[:4] + good, framing)
    assert info.value.consumed == 4
    message, used = decode_frame((good[:4] + good)[4:], framing)
    assert message is not None and used == len(good)
    # half a frame: wait for the rest, dropping nothing
    assert decode_frame(good[:5], framing) == (None, 0)
    # garbage without a prefix is dropped
    assert decode_frame(b"\xff\xfe\x41", framing) == (None, 3)


# --------------------------------------------------------------------------- the driver


def test_show_waits_for_the_ack_and_drains_a_stale_one() -> None:
    framing = preset("stx-etx")
    transport = FakeTransport([b"\x06"])
    transport.feed(b"\x06\x06")  # late ACKs of earlier frames
    sign = LedSign(transport, framing, timeout_s=0.5)
    result = sign.show("A001")
    assert result.acked is True and result.shown == "A001"
    assert transport.written == [bytes(encode_text("A001", framing))]


@pytest.mark.parametrize(("reply", "error", "words"), [
    (b"\x15", SignError, "NAK"),
    (b"\x31\x32", SignError, "unexpected bytes"),
    (b"", TransportTimeout, "did not acknowledge"),
])
def test_show_fails_plainly_within_its_timeout(reply: bytes, error: type, words: str) -> None:
    sign = LedSign(FakeTransport([reply]), preset("stx-etx"), timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(error, match=words):
        sign.show("A001")
    assert time.monotonic() - started < 0.6


def test_a_sign_without_ack_is_not_waited_for() -> None:
    transport = FakeTransport()
    started = time.monotonic()
    result = LedSign(transport, preset("fe-sum8"), timeout_s=5).show("A001")
    assert result.acked is None and time.monotonic() - started < 0.1
    assert LedSign(transport, preset("fe-sum8")).clear().acked is None


# --------------------------------------------------------------------------- over a pty


@pytest.fixture
def sims() -> Iterator[list[LedSignSim]]:
    made: list[LedSignSim] = []
    yield made
    for sim in made:
        sim.close()


def _connect(sims: list[LedSignSim], **options: object
             ) -> tuple[LedSignSim, LedSign, SerialTransport]:
    sim = LedSignSim(LedSignSimConfig(**options))  # type: ignore[arg-type]
    sims.append(sim)
    transport = SerialTransport(sim.path, 9600)
    return sim, LedSign(transport, sim.framing, timeout_s=0.5), transport


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_shows_and_clears_over_a_pty(sims: list[LedSignSim], name: str) -> None:
    sim, sign, transport = _connect(sims, preset=name)
    try:
        result = sign.show("请A001号到3号窗口")
        assert sim.wait_for_frames(1)
        assert sim.text == "请A001号到3号窗口"
        assert result.acked is (True if sim.framing.ack is not None else None)
        sign.clear()
        assert sim.wait_for_frames(2) and sim.text == ""
        assert sim.bad_frames == 0
    finally:
        transport.close()


def test_sim_takes_framing_options_and_rejects_unknown_ones(sims: list[LedSignSim]) -> None:
    config = LedSignSimConfig.from_url_options({"preset": "stx-etx", "checksum": "sum8",
                                                "width": "128", "no_ack": "0"})
    assert config.framing().checksum == "sum8" and config.width == 128
    with pytest.raises(ValueError, match="unknown sign simulator options: volume"):
        LedSignSimConfig.from_url_options({"volume": "3"})
    with pytest.raises(ValueError, match="height"):
        LedSignSimConfig.from_url_options({"height": "24"})
    with pytest.raises(ValueError, match="unknown sign preset"):
        LedSignSimConfig.from_url_options({"preset": "acme"})
    # the driver with a different checksum: the sign answers NAK
    sim, _, transport = _connect(sims, preset="stx-etx", framing_options={"checksum": "sum8"})
    try:
        with pytest.raises(SignError, match="NAK"):
            LedSign(transport, preset("stx-etx"), timeout_s=0.5).show("A001")
        assert sim.bad_frames == 1 and sim.text is None
    finally:
        transport.close()


def test_a_sign_with_another_address_does_not_answer(sims: list[LedSignSim]) -> None:
    sim, sign, transport = _connect(sims, preset="stx-etx", own_address=7)
    try:
        with pytest.raises(TransportTimeout):
            sign.show("A001")
        assert sim.other_address == 1 and sim.text is None
    finally:
        transport.close()


def test_garbage_instead_of_ack_and_unplug(sims: list[LedSignSim]) -> None:
    sim, sign, transport = _connect(sims, preset="stx-etx", garbage=1.0, seed=3)
    try:
        with pytest.raises(SignError, match="unexpected bytes"):
            sign.show("A001")
        assert sim.text == "A001"  # it did show it; only its answer was garbled
    finally:
        transport.close()
    sim, sign, transport = _connect(sims, preset="stx-etx", unplug_after=1)
    try:
        sign.show("A001")
        with pytest.raises(TransportError):
            sign.show("A002")
    finally:
        transport.close()


def test_partial_frame_is_dropped_after_silence(sims: list[LedSignSim]) -> None:
    sim, sign, transport = _connect(sims, preset="fe-sum8", frame_timeout_s=0.1)
    try:
        frame = bytes(encode_text("A001", sim.framing))
        transport.write(frame[:3])
        time.sleep(0.25)
        sign.show("B002")
        assert sim.wait_for_frames(1)
        assert sim.text == "B002" and sim.dropped_partial == 1
    finally:
        transport.close()


# --------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(("text", "height", "name"), [
    ("请A001号到3号窗口", 16, "call_16.png"),
    ("暂停服务", 16, "paused_16.png"),
    ("暂停服务", 32, "paused_32.png"),
    ("请B012号到12号窗口办理", 32, "call_long_32.png"),
])
def test_sim_renders_the_text_as_led_dots(sims: list[LedSignSim], text: str, height: int,
                                          name: str) -> None:
    sim, sign, transport = _connect(sims, preset="stx-etx", height=height, width=192)
    try:
        sign.show(text)
        assert sim.wait_for_frames(1)
        path = sim.save_png(ARTIFACTS / name)
    finally:
        transport.close()
    image = Image.open(path).convert("RGB")
    pitch = 6 if height == 16 else 4
    assert image.height == (height + 2) * pitch
    assert image.width >= (192 + 2) * pitch
    dots = text_dots(text, height)
    lit = sum(1 for v in dots.tobytes() if v)
    # each character lights a plausible share of its cell: not blank, not a solid block
    cells = sum(height * height if ord(ch) > 0x7F else height * height // 2 for ch in text)
    assert 0.08 < lit / cells < 0.5
    # every character cell has some lit dots (no glyph vanished in thresholding)
    x = 0
    for ch in text:
        width = height if ord(ch) > 0x7F else height // 2
        assert dots.crop((x, 0, x + width, height)).getbbox() is not None, ch
        x += width
    # lit LEDs are red in the picture
    assert (255, 48, 24) in {image.getpixel((px, py)) for px in range(0, image.width, 2)
                             for py in range(0, image.height, 2)}


def test_different_texts_render_differently_and_a_blank_sign_is_dark() -> None:
    a = text_dots("A001", 16)
    b = text_dots("A002", 16)
    assert a.tobytes() != b.tobytes()
    blank = render_bar("", 64, 16)
    assert (255, 48, 24) not in {color for _, color in blank.getcolors() or []}
