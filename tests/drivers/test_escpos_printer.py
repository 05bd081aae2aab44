"""ESC/POS encoding and status parsing, byte-exact (house style step 1), plus the driver's
conversation over a scripted FakeTransport."""

from __future__ import annotations

import re

import pytest
from PIL import Image as PILImage

from drivers.escpos_printer import (
    ESC_INIT,
    FS_KANJI_ON,
    LF,
    EscPosPrinter,
    EscPosProfile,
    Job,
    PrinterStatus,
    display_width,
    encode,
    encode_job,
    parse_status,
    status_request,
    test_page,
    text_bytes,
    wrap,
)
from drivers.transports import FakeTransport

P80 = EscPosProfile.for_paper(80)
P58 = EscPosProfile.for_paper(58)
GBK = EscPosProfile.for_paper(80, encoding="gbk")
STYLE_NORMAL_LEFT = b"\x1d!\x00" + b"\x1bE\x00" + b"\x1ba\x00"  # GS ! 0, ESC E 0, ESC a 0
RASTER = b"\x1dv0"  # GS v 0
QR_NATIVE = b"\x1d(k"  # GS ( k


def _raster_blocks(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, width in bytes, height) of every GS v 0 image in a stream."""
    found = []
    for match in re.finditer(re.escape(RASTER), data):
        at = match.start()
        width = data[at + 4] + 256 * data[at + 5]
        height = data[at + 6] + 256 * data[at + 7]
        found.append((at, width, height))
    return found


def _without_rasters(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    for at, width, height in _raster_blocks(data):
        out += data[pos:at]
        pos = at + 8 + width * height
    return bytes(out + data[pos:])


# -- text and Chinese mode -------------------------------------------------------------------


def test_chinese_text_is_sent_raw_after_fs_ampersand() -> None:
    data = encode_job(Job().text("张三 申请"), P80)
    assert data == ESC_INIT + FS_KANJI_ON + STYLE_NORMAL_LEFT + "张三 申请".encode("gb18030") + LF
    assert data.index(FS_KANJI_ON) < data.index("张".encode("gb18030"))


def test_punctuation_only_line_is_sent_as_chinese_not_through_a_code_page() -> None:
    data = encode_job(Job().text("，。：“”"), P80)
    assert data.endswith(b"\xa3\xac\xa1\xa3\xa3\xba\xa1\xb0\xa1\xb1\n")
    assert b"?" not in data


def test_common_name_has_the_same_bytes_in_gbk_and_gb18030() -> None:
    name = "欧阳娜娜"
    assert encode_job(Job().text(name), P80) == encode_job(Job().text(name), GBK)
    assert name.encode("gbk") + LF in encode_job(Job().text(name), GBK)


def test_name_outside_gbk_is_an_image_whatever_the_encoding() -> None:
    # 䶮 is FE9F in GB18030 (two bytes, not in GBK); 㛃 (Extension A) is four bytes. Printers
    # sold as GB18030 often carry a GBK font, so both print as an image on every profile.
    for profile in (P80, GBK):
        data = encode_job(Job().text("王䶮 刘㛃"), profile)
        assert len(_raster_blocks(data)) == 1
        text_part = _without_rasters(data)
        assert b"\xfe\x9f" not in text_part and b"\x82\x30\xb7\x31" not in text_part
        assert b"\xcd\xf5" not in text_part  # the whole line is the image


def test_yen_sign_becomes_fullwidth_yen_for_both_encodings() -> None:
    for profile in (P80, GBK):
        data = encode_job(Job().text("¥12.50"), profile)
        assert data.endswith(b"\xa3\xa412.50\n")
        assert b"\x81\x30\x84\x36" not in data  # GB18030's four bytes for U+00A5
        assert _raster_blocks(data) == []


def test_control_characters_in_text_cannot_inject_commands() -> None:
    data = encode_job(Job().text("a\x1bd\x05b\x1dV\x00c\tz"), P80)
    assert data == ESC_INIT + FS_KANJI_ON + STYLE_NORMAL_LEFT + b"adbVc    z\n"


def test_size_bold_and_alignment_use_gs_exclamation_esc_e_and_esc_a() -> None:
    data = encode_job(Job().text("A001", size=2, bold=True, align="center"), P80)
    assert data == ESC_INIT + FS_KANJI_ON + b"\x1d!\x11\x1bE\x01\x1ba\x01A001\n"


def test_text_rule_and_feed() -> None:
    data = encode_job(Job().rule().feed(3), P58)
    assert data == ESC_INIT + FS_KANJI_ON + STYLE_NORMAL_LEFT + b"-" * 32 + LF + b"\x1bd\x03"


# -- wrapping ----------------------------------------------------------------------------------

NOTICE = "申请人 Zhang San（张三）申请城乡居民基本养老保险待遇，请于10个工作日内到窗口领取结果。"


def test_wrapping_at_32_columns_counts_chinese_as_two() -> None:
    assert wrap(NOTICE, 32) == [
        "申请人 Zhang San（张三）申请城乡",
        "居民基本养老保险待遇，请于10个工",
        "作日内到窗口领取结果。",
    ]


def test_wrapping_at_48_columns() -> None:
    assert wrap(NOTICE, 48) == [
        "申请人 Zhang San（张三）申请城乡居民基本养老保险",
        "待遇，请于10个工作日内到窗口领取结果。",
    ]


def test_a_chinese_character_never_straddles_the_edge() -> None:
    assert wrap("a" + "中" * 24, 48) == ["a" + "中" * 23, "中"]
    assert wrap("中" * 24, 48) == ["中" * 24]
    assert wrap("x" * 49, 48) == ["x" * 48, "x"]


def test_closing_punctuation_does_not_start_a_line() -> None:
    assert wrap("中" * 15 + "。", 30) == ["中" * 14, "中。"]


def test_latin_words_break_at_spaces() -> None:
    assert wrap("Please bring your household register", 16) == [
        "Please bring", "your household", "register"]


@pytest.mark.parametrize("profile", [P58, P80], ids=["58mm", "80mm"])
def test_every_encoded_line_fits_the_paper(profile: EscPosProfile) -> None:
    data = encode_job(Job().text(NOTICE * 3).text(NOTICE, size=2), profile)
    body = data.split(b"\x1d!\x11")
    for part, size in ((body[0], 1), (body[1], 2)):
        for line in re.split(rb"\n", part):
            text = line.split(b"\x1ba\x00")[-1].decode("gb18030", "ignore")
            text = re.sub(r"[\x00-\x1f]", "", text)
            assert display_width(text) <= profile.chars_per_line // size


def test_size_two_halves_the_columns() -> None:
    data = encode_job(Job().text("中" * 13, size=2), P58)
    assert data.endswith(("中" * 8).encode("gbk") + LF + ("中" * 5).encode("gbk") + LF)


# -- which characters become images ------------------------------------------------------------


@pytest.mark.parametrize(("ch", "gb18030", "gbk"), [
    ("A", b"A", b"A"),
    ("张", b"\xd5\xc5", b"\xd5\xc5"),
    ("￥", b"\xa3\xa4", b"\xa3\xa4"),
    ("䶮", None, None),                       # GB18030 two-byte code outside GBK
    ("㛃", None, None),                       # Extension A: four bytes, GB18030 only
    ("\u4db6", None, None),                   # Extension A addition of Unicode 13
    ("𠈌", None, None),                       # Extension B
    ("😀", None, None),
    ("€", None, None),                        # outside GBK's two-byte repertoire
    ("é", b"\xa8\xa6", b"\xa8\xa6"),           # pinyin letters are in GBK
    ("ß", None, None),                        # four bytes in GB18030
    ("•", None, None),
    ("\ue000", None, None),                   # user-defined area / private use
    ("\x1b", None, None),
])
def test_text_bytes_rule(ch: str, gb18030: bytes | None, gbk: bytes | None) -> None:
    assert text_bytes(ch, "gb18030") == gb18030
    assert text_bytes(ch, "gbk") == gbk


def test_rare_character_line_becomes_one_raster_image_at_paper_width() -> None:
    for profile, rows in ((GBK, 30), (P58, 30)):
        result = encode(Job().text("姓名：王䶮 李𠈌"), profile)
        blocks = _raster_blocks(result.data)
        assert [(w, h) for _, w, h in blocks] == [(profile.dots_per_line // 8, rows)]
        assert result.warnings == ()
        rest = _without_rasters(result.data)
        assert "王".encode("gbk") not in rest  # the whole line went into the image
        assert "𠈌".encode("gb18030") not in result.data


def test_rare_character_image_has_ink() -> None:
    data = encode_job(Job().text("𠈌"), GBK)
    (at, width, height), = _raster_blocks(data)
    bitmap = data[at + 8: at + 8 + width * height]
    assert 20 < sum(bin(b).count("1") for b in bitmap) < width * height * 8 // 4
    # the character sits in the first 24 dots of each row (left aligned, one full cell)
    assert all(row[3:] == bytes(width - 3) for row in
               (bitmap[i * width:(i + 1) * width] for i in range(height)))


def test_without_image_fallback_rare_characters_print_as_geta_and_warn() -> None:
    profile = EscPosProfile.for_paper(80, encoding="gbk", image_fallback=False)
    result = encode(Job().text("王䶮"), profile)
    assert result.data.endswith("王〓".encode("gbk") + LF)
    assert _raster_blocks(result.data) == []
    assert len(result.warnings) == 1 and "U+4DAE" in result.warnings[0]


def test_double_size_fallback_line_is_twice_as_high() -> None:
    data = encode_job(Job().text("𠈌", size=2, align="center"), P80)
    assert [(w, h) for _, w, h in _raster_blocks(data)] == [(72, 54)]


# -- QR codes, images and the cut ---------------------------------------------------------------


def test_native_qr_uses_gs_paren_k_and_no_image() -> None:
    profile = EscPosProfile.for_paper(80, qr_native=True)
    data = encode_job(Job().qr("https://example.cn/q?id=1", size_mm=20), profile)
    assert RASTER not in data
    assert data == (ESC_INIT + FS_KANJI_ON + b"\x1d!\x00\x1bE\x00\x1ba\x01" + b"\x1bJ\x18"
                    + b"\x1d(k\x04\x001A2\x00"           # model 2
                    + b"\x1d(k\x03\x001C\x06"            # module 6 dots: 25 modules ≈ 20 mm
                    + b"\x1d(k\x03\x001E1"               # error correction M
                    + b"\x1d(k\x1c\x001P0https://example.cn/q?id=1"  # store
                    + b"\x1d(k\x03\x001Q0"               # print
                    + b"\x1bJ\x18")


def test_raster_qr_is_an_image_as_wide_as_the_paper() -> None:
    data = encode_job(Job().qr("https://example.cn/q?id=1", size_mm=20), P58)
    assert QR_NATIVE not in data
    # 25 modules + 2·4 quiet zone, 6 dots each, on a 384-dot strip
    assert [(w, h) for _, w, h in _raster_blocks(data)] == [(48, 33 * 6)]


def test_qr_never_wider_than_the_paper() -> None:
    data = encode_job(Job().qr("x" * 300, size_mm=200), P58)
    blocks = _raster_blocks(data)  # sent in slices of at most 256 rows
    assert {width for _, width, _ in blocks} == {48}
    assert sum(height for _, _, height in blocks) <= 384


def test_picture_is_scaled_to_the_paper() -> None:
    logo = PILImage.new("L", (1000, 100), 0)
    (_, width, height), = _raster_blocks(encode_job(Job().image(logo), P58))
    assert (width, height) == (48, 38)


def test_cut_only_with_a_cutter() -> None:
    with_cutter = encode_job(Job().text("A001").cut(), P80)
    assert with_cutter.endswith(b"\x1bd\x06\x1dV\x00")  # feed past the blade, full cut
    without = encode_job(Job().text("A001").cut(), EscPosProfile.for_paper(80, cutter=False))
    assert b"\x1dV" not in without and without.endswith(b"\x1bd\x04")


def test_test_page_has_everything() -> None:
    for profile in (P80, P58, GBK, EscPosProfile.for_paper(58, qr_native=True, cutter=False)):
        result = encode(test_page("青山镇便民服务中心", profile), profile)
        assert result.warnings == ()
        data = result.data
        assert "便民服务测试页".encode("gbk") in data and b"Bianmin test page" in data
        assert "青山镇便民服务中心".encode("gbk") in data
        assert profile.encoding.upper().encode() in data
        assert any(h == 30 for _, _, h in _raster_blocks(data))  # the rare name line
        assert (QR_NATIVE in data) == profile.qr_native
        assert (b"\x1dV\x00" in data) == profile.cutter


# -- status ---------------------------------------------------------------------------------------


def test_status_requests() -> None:
    assert [status_request(n) for n in (1, 2, 3, 4)] == [
        b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04"]
    with pytest.raises(ValueError):
        status_request(5)


@pytest.mark.parametrize(("n", "byte", "expected"), [
    (1, 0x12, {"online": True, "drawer_pin3_high": False}),
    (1, 0x16, {"online": True, "drawer_pin3_high": True}),
    (1, 0x1A, {"online": False}),
    (1, 0x3A, {"online": False, "waiting_online_recovery": True}),
    (1, 0x52, {"online": True, "feed_button_pressed": True}),
    (2, 0x12, {"cover_open": False, "paper_out": False, "error": False}),
    (2, 0x16, {"cover_open": True, "paper_out": False}),
    (2, 0x1A, {"feeding_by_button": True, "cover_open": False}),
    (2, 0x32, {"paper_out": True, "cover_open": False, "error": False}),
    (2, 0x52, {"error": True}),
    (3, 0x12, {"error": False, "cutter_error": False}),
    (3, 0x16, {"error": True, "recoverable_error": True}),
    (3, 0x1A, {"error": True, "cutter_error": True}),
    (3, 0x32, {"error": True, "unrecoverable_error": True}),
    (3, 0x52, {"error": True, "auto_recoverable_error": True}),
    (4, 0x12, {"paper_near_end": False, "paper_out": False}),
    (4, 0x1E, {"paper_near_end": True, "paper_out": False}),
    (4, 0x16, {"paper_near_end": True}),              # one bit of the pair is enough
    (4, 0x72, {"paper_near_end": False, "paper_out": True}),
    (4, 0x7E, {"paper_near_end": True, "paper_out": True}),
])
def test_parse_status_bit_tables(n: int, byte: int, expected: dict[str, bool]) -> None:
    parsed = parse_status(n, byte)
    assert parsed["valid"] is True
    assert {key: parsed[key] for key in expected} == expected


@pytest.mark.parametrize(("n", "byte"), [(1, 0x00), (1, 0xFF), (2, 0x92), (4, 0x13), (5, 0x12),
                                         (0, 0x12), (1, 256), (1, -1)])
def test_parse_status_rejects_bytes_that_are_no_status(n: int, byte: int) -> None:
    assert parse_status(n, byte) == {"valid": False}


def test_printer_status_merges_the_four_answers() -> None:
    status = PrinterStatus.from_answers({1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E})
    assert (status.online, status.paper_out, status.paper_near_end, status.cover_open,
            status.ready) == (False, True, True, False, False)
    assert PrinterStatus.from_answers({1: 0x12, 2: 0x12, 3: 0x12, 4: 0x12}).ready


# -- the driver over a scripted transport ---------------------------------------------------------

GOOD = [b"\x12", b"\x12", b"\x12", b"\x12"]
PAPER_OUT = [b"\x1a", b"\x32", b"\x12", b"\x7e"]


def test_paper_out_fails_before_anything_is_sent() -> None:
    link = FakeTransport(PAPER_OUT)
    result = EscPosPrinter(link, P80, timeout_s=0.2).print_job(Job().text("A001").cut())
    assert not result.ok
    assert "缺纸" in result.message and "out of paper" in result.message
    assert "纸卷" in result.hint and "paper roll" in result.hint
    assert link.written == [status_request(n) for n in (1, 2, 3, 4)]


def test_good_status_then_job_then_status() -> None:
    link = FakeTransport(GOOD)
    printer = EscPosPrinter(link, P80, timeout_s=0.2)
    job = Job().text("A001")
    # After the job, FakeTransport gives each later write the next reply: queue them now.
    link.replies.extend([b"", *GOOD])
    result = printer.print_job(job)
    assert result.ok and result.message == "已打印 / Printed"
    assert link.written[:4] == [status_request(n) for n in (1, 2, 3, 4)]
    assert link.written[4] == encode_job(job, P80)
    assert link.written[5:] == [status_request(n) for n in (1, 2, 3, 4)]


def test_printer_that_never_answers_is_ok_with_status_unknown() -> None:
    link = FakeTransport()
    result = EscPosPrinter(link, P80, timeout_s=0.1).print_job(Job().text("A001"))
    assert result.ok and result.status is None
    assert any("status unknown" in w.lower() for w in result.warnings)
    assert link.written == [status_request(1), encode_job(Job().text("A001"), P80)]


def test_transport_failure_is_a_failed_result() -> None:
    link = FakeTransport(GOOD)
    link.close()
    result = EscPosPrinter(link, P80, timeout_s=0.1).print_job(Job().text("A001"))
    assert not result.ok and result.link_lost and "connection" in result.message
