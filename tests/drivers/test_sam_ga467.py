"""GA 467 SAM protocol: frames byte for byte against ../shared/research/hardware.md §1.2, the
incremental decoder, card text parsing (from the simulator's builder AND from text blocks
assembled here straight from the offsets of §1.3), and a scripted conversation."""

from __future__ import annotations

import datetime as dt
import struct

import pytest

from drivers import sam_ga467 as sam
from drivers.sam_ga467 import (
    CardTextError,
    FrameError,
    Response,
    SamReader,
    SamStatusError,
    decode_command,
    decode_response,
    encode_command,
    encode_response,
    format_sam_id,
    parse_read_reply,
    parse_text,
)
from drivers.sim.sam_reader import load_card
from drivers.transports import FakeTransport, TransportTimeout

# --------------------------------------------------------------------------- frames


@pytest.mark.parametrize(("command", "frame"), [
    (sam.RESET, "AAAAAA9669000310FFEC"),
    (sam.SAM_STATUS, "AAAAAA9669000311FFED"),
    (sam.SAM_ID, "AAAAAA9669000312FFEE"),
    (sam.FIND_CARD, "AAAAAA96690003200122"),
    (sam.SELECT_CARD, "AAAAAA96690003200221"),
    (sam.READ_TEXT_PHOTO, "AAAAAA96690003300132"),
    (sam.READ_APPENDED_ADDRESS, "AAAAAA96690003300330"),
    (sam.READ_WITH_FINGERPRINTS, "AAAAAA96690003301023"),
    (sam.SET_BAUD[115200], "AAAAAA96690003600063"),
    (sam.SET_MAX_RF_FRAME, "AAAAAA9669000461FF50CA"),
])
def test_command_frames_match_the_published_bytes(command: sam.Command, frame: str) -> None:
    assert encode_command(*command) == bytes.fromhex(frame)
    decoded, used = decode_command(bytes.fromhex(frame))
    assert decoded == command and used == len(frame) // 2


def test_baud_codes() -> None:
    assert {baud: c.para for baud, c in sam.SET_BAUD.items()} == {
        115200: 0, 57600: 1, 38400: 2, 19200: 3, 9600: 4}
    assert all(c.cmd == 0x60 for c in sam.SET_BAUD.values())


@pytest.mark.parametrize(("sw3", "data", "frame"), [
    (0x90, b"", "AAAAAA9669000400009094"),  # reset reply
    (0x9F, bytes(4), "AAAAAA9669000800009F0000000097"),  # find: card found
    (0x90, bytes(8), "AAAAAA9669000C000090" + "00" * 8 + "9C"),  # select
])
def test_response_frames_match_the_published_bytes(sw3: int, data: bytes, frame: str) -> None:
    raw = bytes.fromhex(frame)
    assert encode_response(0, 0, sw3, data) == raw
    assert decode_response(raw) == (Response(0, 0, sw3, data), len(raw))


def test_read_reply_layout() -> None:
    text, photo = load_card("resident_elderly")
    frame = encode_response(0, 0, 0x90, b"\x01\x00\x04\x00" + text + photo)
    assert len(frame) == 1295
    assert frame[:14] == bytes.fromhex("AAAAAA96690508000090" "01000400")
    assert frame[14:270] == text and frame[270:1294] == photo


@pytest.mark.parametrize(("finger_bytes", "total"), [(1024, 2321), (512, 1809), (0, 1297)])
def test_fingerprint_reply_layout(finger_bytes: int, total: int) -> None:
    text, photo = load_card("resident_elderly")
    prints = bytes(range(256)) * (finger_bytes // 256)
    data = struct.pack(">HHH", 256, 1024, finger_bytes) + text + photo + prints
    frame = encode_response(0, 0, 0x90, data)
    assert len(frame) == total
    if finger_bytes == 1024:
        assert frame[:10] == bytes.fromhex("AAAAAA9669090A000090")
    assert frame[16:272] == text and frame[272:1296] == photo
    reply = parse_read_reply(decode_response(frame)[0].data, fingerprints=True)
    assert (reply.text, reply.photo_wlt, reply.fingerprints) == (text, photo, prints)


# --------------------------------------------------------------------------- decoder


def test_decoder_fed_byte_by_byte_completes_only_at_the_last_byte() -> None:
    frame = encode_response(0, 0, 0x9F, bytes(4))
    buf = bytearray()
    for i, byte in enumerate(frame):
        buf.append(byte)
        response, used = decode_response(buf)
        if i < len(frame) - 1:
            assert response is None
            assert used == 0  # everything so far may be the start of the frame
        else:
            assert response == Response(0, 0, 0x9F, bytes(4)) and used == len(frame)


def test_resync_after_garbage() -> None:
    one = encode_response(0, 0, 0x9F, bytes(4))
    two = encode_response(0, 0, 0x90)
    stream = b"\x00\x13\xaa\xaa\x96" + one + b"\xaa\x69\x01" + two + b"\xaa\xaa"
    response, used = decode_response(stream)
    assert response is not None and response.sw3 == 0x9F
    assert used == 5 + len(one)
    stream = stream[used:]
    response, used = decode_response(stream)
    assert response is not None and response.sw3 == 0x90
    rest = stream[used:]
    assert rest == b"\xaa\xaa"
    assert decode_response(rest) == (None, 0)  # a possible preamble start is kept


def test_garbage_without_a_preamble_is_dropped_but_a_partial_preamble_kept() -> None:
    assert decode_response(b"\x01\x02\x03") == (None, 3)
    assert decode_response(b"\x01\x02\xaa\xaa\xaa\x96") == (None, 2)
    assert decode_response(b"\x01" + sam.PREAMBLE + b"\x00") == (None, 1)


def test_bad_checksum_is_an_error_not_data() -> None:
    good = encode_response(0, 0, 0x90, b"\x01\x02")
    bad = good[:-1] + bytes([good[-1] ^ 0xFF])
    with pytest.raises(FrameError, match="checksum") as caught:
        decode_response(b"\x00" + bad + good)
    assert caught.value.consumed == 1 + len(bad)
    after = (b"\x00" + bad + good)[caught.value.consumed:]
    assert decode_response(after) == (Response(0, 0, 0x90, b"\x01\x02"), len(good))


@pytest.mark.parametrize("length", [b"\xff\xff", b"\x10\x01", b"\x00\x03", b"\x00\x00"])
def test_absurd_length_skips_that_preamble(length: bytes) -> None:
    good = encode_response(0, 0, 0x90)
    response, used = decode_response(sam.PREAMBLE + length + good)
    assert response == Response(0, 0, 0x90) and used == 7 + len(good)
    assert decode_response(sam.PREAMBLE + length) == (None, 7)


def test_largest_plausible_length_waits_for_more() -> None:
    header = sam.PREAMBLE + b"\x10\x00"
    assert decode_response(header + bytes(100)) == (None, 0)


# --------------------------------------------------------------------------- card text

_SPACE = " ".encode("utf-16-le")


def _blank(fill: bytes = _SPACE) -> bytearray:
    return bytearray(fill * 128)


def _put(text: bytearray, offset: int, value: str) -> None:
    raw = value.encode("utf-16-le")
    text[offset : offset + len(raw)] = raw


def test_hand_assembled_resident_text_with_nul_padding_and_marker() -> None:
    text = _blank(b"\x00\x00")  # NUL padding and a NUL marker at 248
    _put(text, 0, "张三")
    _put(text, 30, "1")
    _put(text, 32, "46")
    _put(text, 36, "19491231")
    _put(text, 52, "北京市东城区 景山前街4号")  # an inner space is kept
    _put(text, 122, "11010519491231002X")
    _put(text, 158, "北京市公安局东城分局")
    _put(text, 188, "20200101")
    _put(text, 204, "长期")
    card = parse_text(bytes(text), b"\x01" * 1024)
    assert card.card_type == "resident"
    assert (card.name, card.sex, card.nation, card.nation_code) == ("张三", "男", "德昂", "46")
    assert card.birth_date == dt.date(1949, 12, 31)
    assert card.address == "北京市东城区 景山前街4号"
    assert card.id_number == "11010519491231002X" and card.check_digit_ok is True
    assert card.authority == "北京市公安局东城分局"
    assert card.valid_from == dt.date(2020, 1, 1) and card.valid_to == "长期"
    assert card.raw_text == bytes(text) and card.photo_wlt == b"\x01" * 1024
    assert card.english_name is None and card.pass_number is None


def test_hand_assembled_hmt_permit() -> None:
    text = _blank()
    _put(text, 0, "陈大文")
    _put(text, 30, "2")
    _put(text, 36, "19940823")
    _put(text, 52, "广东省深圳市")
    _put(text, 122, "810000199408230013")
    _put(text, 158, "深圳市公安局")
    _put(text, 188, "20230601")
    _put(text, 204, "20280601")
    _put(text, 220, "H12345678")
    _put(text, 238, "02")
    _put(text, 248, "J")
    card = parse_text(bytes(text))
    assert card.card_type == "hmt_permit"
    assert (card.pass_number, card.issue_count, card.nation) == ("H12345678", "02", None)
    assert card.valid_to == dt.date(2028, 6, 1) and card.check_digit_ok is True


def test_hand_assembled_foreigner_2017() -> None:
    text = _blank()
    _put(text, 0, "MUELLER, ANNA  MARIA" + "\x00" * 3)  # double inner space, NUL tail
    _put(text, 120, "2")
    _put(text, 122, "DEU110087051201")
    _put(text, 152, "DEU")
    _put(text, 158, "安娜")
    _put(text, 188, "20180501")
    _put(text, 204, "20280501")
    _put(text, 220, "19870512")
    _put(text, 236, "01")
    _put(text, 240, "1500")
    _put(text, 248, "I")
    card = parse_text(bytes(text))
    assert card.card_type == "foreign_2017"
    assert card.english_name == "MUELLER, ANNA  MARIA"
    assert (card.name, card.sex, card.nationality) == ("安娜", "女", "DEU")
    assert card.id_number == "DEU110087051201" and card.check_digit_ok is None
    assert card.birth_date == dt.date(1987, 5, 12)
    assert (card.card_version, card.authority_code) == ("01", "1500")
    assert card.address is None and card.authority is None


def test_hand_assembled_foreigner_2023_with_a_space_at_the_name_split() -> None:
    text = _blank()
    first = "ABCDEFGHIJ KLMNOPQRSTUVWXYZ ABCDEF "  # 35 characters, the last a space
    assert len(first) == 35
    _put(text, 0, "玛丽亚")
    _put(text, 30, "2")
    _put(text, 32, "01")
    _put(text, 36, "19880215")
    _put(text, 52, first)
    _put(text, 122, "931484198802150022")
    _put(text, 188, "20231201")
    _put(text, 204, "20331201")
    _put(text, 220, "GHIJ")
    _put(text, 242, "MEX")
    _put(text, 248, "Y")
    _put(text, 250, "1")
    card = parse_text(bytes(text))
    assert card.card_type == "foreign_2023"
    assert card.english_name == first + "GHIJ"
    assert (card.renewal_count, card.nationality, card.old_permit_link) == ("01", "MEX", "1")
    assert card.check_digit_ok is True and card.authority is None


EXPECTED = {
    "resident_elderly": ("resident", "王秀英", "女", "汉", dt.date(1949, 12, 31), "长期", True),
    "resident_longterm": ("resident", "马建国", "男", "回", dt.date(1973, 6, 15), "长期", True),
    "resident_young": ("resident", "岩温", "男", "傣", dt.date(2001, 8, 9),
                       dt.date(2029, 9, 1), True),
    "resident_bad_check": ("resident", "赵明", "男", "汉", dt.date(1988, 3, 12),
                           dt.date(2036, 4, 1), False),
    "resident_rare_bmp": ("resident", "刘\u4dae", "男", "汉", dt.date(1990, 1, 1),
                          dt.date(2038, 7, 10), True),
    "resident_rare_supplementary": ("resident", "林\U0002020c", "女", "汉", dt.date(1985, 7, 7),
                                    dt.date(2035, 11, 20), True),
    "hmt_permit": ("hmt_permit", "陈大文", "男", None, dt.date(1994, 8, 23),
                   dt.date(2028, 6, 1), True),
    "foreign_2017": ("foreign_2017", "安娜", "女", None, dt.date(1987, 5, 12),
                     dt.date(2028, 5, 1), None),
    "foreign_2023": ("foreign_2023", "玛丽亚", "女", None, dt.date(1988, 2, 15),
                     dt.date(2033, 12, 1), True),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_cards_built_by_the_simulator_parse(name: str) -> None:
    text, photo = load_card(name)
    card = parse_text(text, photo)
    assert (card.card_type, card.name, card.sex, card.nation, card.birth_date, card.valid_to,
            card.check_digit_ok) == EXPECTED[name]
    assert card.raw_text == text and len(card.photo_wlt) == 1024


def test_rare_characters_are_encoded_as_utf16() -> None:
    text, _ = load_card("resident_rare_bmp")
    assert text[2:4] == b"\xae\x4d"  # U+4DAE: one unit
    text, _ = load_card("resident_rare_supplementary")
    assert text[2:6] == b"\x40\xd8\x0c\xde"  # U+2020C: surrogate pair D840 DE0C


def test_longest_address_fills_its_field() -> None:
    card = parse_text(load_card("resident_longterm")[0])
    assert card.address is not None and len(card.address) == 35


def test_foreigner_2023_long_english_name_spans_both_fields() -> None:
    card = parse_text(load_card("foreign_2023")[0])
    assert card.english_name == "FERNANDEZ DE LA CRUZ SANTOS, MARIA GUADALUPE"


def test_bad_check_digit_is_reported_not_corrected() -> None:
    card = parse_text(load_card("resident_bad_check")[0])
    assert card.id_number == "330106198803127716"
    assert card.check_digit_ok is False
    assert card.to_json(show_pii=True)["check_digit_ok"] is False


def test_only_trailing_spaces_and_nuls_are_stripped() -> None:
    text = bytearray(load_card("resident_young")[0])
    text[52:122] = _SPACE * 35
    _put(text, 52, "  云南 昆明\u3000" + " \x00 \x00")
    assert parse_text(bytes(text)).address == "  云南 昆明\u3000"


def test_unknown_nation_and_sex_codes_are_kept_visible() -> None:
    text = bytearray(load_card("resident_young")[0])
    _put(text, 30, "7")
    _put(text, 32, "77")
    card = parse_text(bytes(text))
    assert (card.sex, card.nation) == ("未知(7)", "未知(77)")


@pytest.mark.parametrize(("offset", "value", "match"), [
    (248, "Z", "marker"),
    (36, "19491301", "birth_date"),
    (188, "2020010 ", "valid_from"),
    (204, "永久有效", "valid_to"),
])
def test_unparseable_text_raises_card_text_error(offset: int, value: str, match: str) -> None:
    text = bytearray(load_card("resident_elderly")[0])
    _put(text, offset, value)
    with pytest.raises(CardTextError, match=match):
        parse_text(bytes(text))


def test_wrong_text_size() -> None:
    with pytest.raises(CardTextError, match="256"):
        parse_text(bytes(254))
    assert issubclass(CardTextError, ValueError)


# --------------------------------------------------------------------------- JSON


def test_json_is_masked_without_show_pii() -> None:
    card = parse_text(load_card("resident_elderly")[0])
    masked = card.to_json(show_pii=False)
    assert masked == {
        "card_type": "resident",
        "name": "王秀英",
        "sex": "女",
        "nation": "汉",
        "birth_date": "1949-12-31",
        "address": "北京市朝阳区****",
        "id_number": "110105********002X",
        "authority": "北京市公安局朝阳分局",
        "valid_from": "2010-03-15",
        "valid_to": "长期",
        "check_digit_ok": True,
    }
    full = card.to_json(show_pii=True)
    assert full["id_number"] == "11010519491231002X"
    assert full["address"] == "北京市朝阳区建国路88号院3号楼2单元501室"
    assert "11010519491231002X" not in repr(card) and "王秀英" not in repr(card)


BASE_KEYS = {"card_type", "name", "sex", "nation", "birth_date", "address", "id_number",
             "authority", "valid_from", "valid_to", "check_digit_ok"}


@pytest.mark.parametrize(("name", "extra"), [
    ("resident_young", set()),
    ("hmt_permit", {"pass_number", "issue_count"}),
    ("foreign_2017", {"english_name", "nationality", "card_version", "authority_code"}),
    ("foreign_2023", {"english_name", "nationality", "renewal_count", "old_permit_link"}),
])
def test_json_keys_per_card_type(name: str, extra: set[str]) -> None:
    card = parse_text(load_card(name)[0])
    assert set(card.to_json(show_pii=True)) == BASE_KEYS | extra
    assert set(card.to_json(show_pii=False)) == BASE_KEYS | extra


def test_permit_numbers_are_masked_too() -> None:
    card = parse_text(load_card("hmt_permit")[0])
    masked = card.to_json(show_pii=False)
    assert masked["id_number"] == "810000********0013"
    assert masked["pass_number"] == "H1*****78"
    assert card.to_json(show_pii=True)["pass_number"] == "H12345678"
    foreign = parse_text(load_card("foreign_2017")[0]).to_json(show_pii=False)
    assert foreign["id_number"] == "DEU110*****1201"


# --------------------------------------------------------------------------- read reply


def test_read_reply_with_a_lying_length_is_a_frame_error() -> None:
    text, photo = load_card("resident_elderly")
    honest = struct.pack(">HH", 256, 1024) + text + photo
    assert parse_read_reply(honest).text == text
    with pytest.raises(FrameError, match="length"):
        parse_read_reply(struct.pack(">HH", 256, 4000) + text + photo)
    with pytest.raises(FrameError, match="length"):
        parse_read_reply(honest[:-1])
    with pytest.raises(FrameError):
        parse_read_reply(b"\x01")
    with pytest.raises(FrameError):
        parse_read_reply(honest, fingerprints=True)


# --------------------------------------------------------------------------- SW3


HARDWARE_MD_CODES = [0x90, 0x9F, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41,
                     0x47, 0x60, 0x66, 0x80, 0x81, 0x91]


@pytest.mark.parametrize("code", HARDWARE_MD_CODES)
def test_every_sw3_code_has_a_bilingual_message(code: int) -> None:
    status = sam.SW3_TABLE[code]
    chinese, english = status.message.split(" / ")
    assert chinese and english.isascii()
    if code not in (0x90, 0x9F):
        assert " / " in status.hint
        error = SamStatusError(code, "find card (20 01)")
        assert error.message == status.message and status.message in str(error)
        assert f"{code:02X}" in str(error)


def test_unknown_sw3_is_still_plain() -> None:
    error = SamStatusError(0x55)
    assert "55" in error.message and " / " in error.message


def test_sam_id_format() -> None:
    raw = struct.pack("<HHIII", 5, 1, 20101218, 12345678, 1234567890)
    assert format_sam_id(raw) == "05.01-20101218-0012345678-1234567890"
    with pytest.raises(FrameError):
        format_sam_id(raw[:15])


# --------------------------------------------------------------------------- conversation


def _ok(sw3: int = 0x90, data: bytes = b"") -> bytes:
    return encode_response(0, 0, sw3, data)


def test_scripted_read_flow_with_stale_bytes_and_garbage() -> None:
    text, photo = load_card("hmt_permit")
    read_reply = _ok(0x90, struct.pack(">HH", 256, 1024) + text + photo)
    fake = FakeTransport([b"\x13\x37" + _ok(0x9F, bytes(4)), _ok(0x90, bytes(8)),
                          b"\xaa\xaa\x00" + read_reply])
    fake.feed(b"noise" + _ok(0x80))  # a late "no card" reply: drained before the command
    reader = SamReader(fake, timeout_s=1.0)
    result = reader.read_card_flow()
    assert result is not None and result.card.pass_number == "H12345678"
    assert fake.written == [encode_command(*sam.FIND_CARD), encode_command(*sam.SELECT_CARD),
                            encode_command(*sam.READ_TEXT_PHOTO)]


def test_no_card_is_false_not_an_error() -> None:
    reader = SamReader(FakeTransport([_ok(0x80), _ok(0x81), _ok(0x80)]), timeout_s=1.0)
    assert reader.find_card() is False
    assert reader.select_card() is False
    assert reader.read_card_flow() is None


def test_error_status_raises_with_the_plain_message() -> None:
    reader = SamReader(FakeTransport([_ok(0x9F, bytes(4)), _ok(0x90, bytes(8)), _ok(0x41)]),
                       timeout_s=1.0)
    with pytest.raises(SamStatusError) as caught:
        reader.read_card_flow()
    assert caught.value.sw3 == 0x41
    assert caught.value.message == "读证件失败 / reading the card failed"


def test_no_answer_is_a_timeout() -> None:
    reader = SamReader(FakeTransport([]), timeout_s=0.2)
    with pytest.raises(TransportTimeout, match="find card"):
        reader.find_card()


def test_probe() -> None:
    assert SamReader.probe(FakeTransport([_ok(0x90)]))
    assert not SamReader.probe(FakeTransport([_ok(0x60)]))
    assert not SamReader.probe(FakeTransport([b"\x00garbage"]), timeout_s=0.2)
    bad = bytearray(_ok(0x90))
    bad[-1] ^= 1
    assert not SamReader.probe(FakeTransport([bytes(bad)]))
