"""Second-generation ID card readers: the SAM frame protocol of GA 467 《居民身份证验证安全控制
模块接口技术规范》, over a UART at 115200 8N1 (or a USB-serial bridge carrying it).

Byte-level sources, as collected in ../shared/research/hardware.md §1 (each fact there is
marked with how many independent sources confirm it):

- frame format, command table, SW3 codes: https://softs.im/身份证阅读器通信协议 and
  https://blog.csdn.net/zhangbijun1230/article/details/85242964; reply layout of 30 01 and
  the parsing offset 14: http://eastcoms.com/service/downdrive/533.html and
  ``hevz/hev-idcard-reader`` ``src/hev-dbus-object-idcard-reader.c``; 30 10 (fingerprints):
  https://yzsam.com/html/CNvfzM.html;
- 256-byte text layouts: resident and 'J' (``IDENTITY_Textinfo_PACKET``, ``tagIDCardInfor``),
  'I' (https://www.afzhan.com/st170652/news_212938.html, ``t_idforeigner``), 'Y'
  (``t_idforeigner2023``, one source); nation codes GB/T 3304, sex codes GB/T 2261.1.

Frame (§1.2)::

    request : AA AA AA 96 69 | LEN_H LEN_L | CMD PARA | DATA… | CHK
    response: AA AA AA 96 69 | LEN_H LEN_L | SW1 SW2 SW3 | DATA… | CHK

LEN counts the bytes after the length field including CHK; CHK is the XOR of LEN_H up to
the last data byte. SW1/SW2 relay the card's APDU status, SW3 is the SAM's own status.

Layers: pure codec (:func:`encode_command`, :func:`decode_response`), pure text parsing
(:func:`parse_text`, :func:`parse_read_reply`), and :class:`SamReader`, which is handed a
:class:`~drivers.transports.Transport` and never opens one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import struct
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import reduce
from importlib import resources
from operator import xor
from typing import Any, NamedTuple

from . import gb11643
from .transports import Transport, TransportError, TransportTimeout, read_exact

# --------------------------------------------------------------------------- code tables


def _load_table(filename: str, section: str) -> dict[str, str]:
    raw = resources.files("drivers.data").joinpath(filename).read_bytes()
    return dict(tomllib.loads(raw.decode("utf-8"))[section])


NATIONS: dict[str, str] = _load_table("gb3304_nations.toml", "nations")
"""GB/T 3304 nation code (two digits) -> name as printed on the card (汉, 蒙古, …)."""
SEXES: dict[str, str] = _load_table("gb2261_sex.toml", "sex")
"""GB/T 2261.1 sex code (one digit) -> name (男, 女, …)."""

# --------------------------------------------------------------------------- frame codec

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_BYTES = 7  # preamble + LEN_H LEN_L
MAX_LEN = 0x1000  # larger LEN values are line noise (the largest real reply has 0x090A)
MIN_RESPONSE_LEN = 4  # SW1 SW2 SW3 CHK
MIN_COMMAND_LEN = 3  # CMD PARA CHK


class Command(NamedTuple):
    """A command code, its parameter and optional data: ``encode_command(*FIND_CARD)``."""

    cmd: int
    para: int
    data: bytes = b""


# hardware.md §1.2
RESET = Command(0x10, 0xFF)
SAM_STATUS = Command(0x11, 0xFF)
SAM_ID = Command(0x12, 0xFF)
FIND_CARD = Command(0x20, 0x01)
SELECT_CARD = Command(0x20, 0x02)
READ_TEXT_PHOTO = Command(0x30, 0x01)
READ_APPENDED_ADDRESS = Command(0x30, 0x03)
READ_WITH_FINGERPRINTS = Command(0x30, 0x10)
SET_BAUD = {
    115200: Command(0x60, 0x00),
    57600: Command(0x60, 0x01),
    38400: Command(0x60, 0x02),
    19200: Command(0x60, 0x03),
    9600: Command(0x60, 0x04),
}
SET_MAX_RF_FRAME = Command(0x61, 0xFF, b"\x50")

COMMAND_NAMES: dict[tuple[int, int], str] = {
    (0x10, 0xFF): "reset SAM (10 FF)",
    (0x11, 0xFF): "SAM status (11 FF)",
    (0x12, 0xFF): "read SAM id (12 FF)",
    (0x20, 0x01): "find card (20 01)",
    (0x20, 0x02): "select card (20 02)",
    (0x30, 0x01): "read text and photo (30 01)",
    (0x30, 0x03): "read appended address (30 03)",
    (0x30, 0x10): "read text, photo and fingerprints (30 10)",
    (0x61, 0xFF): "set max RF frame size (61 FF)",
    **{(0x60, c.para): f"set baud rate {baud} (60 {c.para:02X})" for baud, c in SET_BAUD.items()},
}


def command_name(command: Command) -> str:
    return COMMAND_NAMES.get((command.cmd, command.para),
                             f"command {command.cmd:02X} {command.para:02X}")


class FrameError(Exception):
    """Bytes that are not a usable frame: bad checksum, or a reply whose own lengths do not
    add up. ``consumed`` is how many bytes of the buffer the bad frame took (drop them)."""

    def __init__(self, message: str, consumed: int = 0):
        super().__init__(message)
        self.consumed = consumed


@dataclass(frozen=True)
class Response:
    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""


def _checksum(body: bytes | bytearray | memoryview) -> int:
    return reduce(xor, body, 0)


def _frame(payload: bytes) -> bytes:
    length = len(payload) + 1
    if length > 0xFFFF:
        raise ValueError(f"payload of {len(payload)} bytes does not fit a frame")
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([_checksum(body)])


def encode_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """The request frame for ``cmd``/``para`` (each 0–255) with optional ``data``."""
    return _frame(bytes([cmd, para]) + bytes(data))


def encode_response(sw1: int, sw2: int, sw3: int, data: bytes = b"") -> bytes:
    """The response frame a reader sends (used by the simulator and the tests)."""
    return _frame(bytes([sw1, sw2, sw3]) + bytes(data))


def _partial_preamble_suffix(buf: bytes | bytearray) -> int:
    """Length of the longest tail of ``buf`` that could be the start of a preamble."""
    for k in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
        if buf.endswith(PREAMBLE[:k]):
            return k
    return 0


def _next_frame(buf: bytes | bytearray, min_len: int) -> tuple[bytes | None, int]:
    """The payload (bytes between LEN and CHK) of the first good frame, and the bytes
    consumed up to its end; or (None, leading bytes that can never start a frame)."""
    size = len(buf)
    start = 0
    while True:
        i = buf.find(PREAMBLE, start)
        if i < 0:
            return None, size - _partial_preamble_suffix(buf)
        if size < i + HEADER_BYTES:
            return None, i
        length = int.from_bytes(buf[i + 5 : i + 7], "big")
        if length < min_len or length > MAX_LEN:
            start = i + 1  # noise that happens to look like a preamble: resynchronise
            continue
        end = i + HEADER_BYTES + length
        if size < end:
            return None, i
        if _checksum(buf[i + 5 : end - 1]) != buf[end - 1]:
            raise FrameError(
                f"校验和错误 / frame checksum error (LEN {length}, "
                f"CHK {buf[end - 1]:02X}, expected {_checksum(buf[i + 5 : end - 1]):02X})",
                consumed=end,
            )
        return bytes(buf[i + HEADER_BYTES : end - 1]), end


def decode_response(buf: bytes | bytearray) -> tuple[Response | None, int]:
    """Decode the next response frame from a byte stream.

    Returns ``(response, consumed)`` when a whole frame is in ``buf`` (``consumed``
    includes any garbage before it), or ``(None, n)`` when more bytes are needed, where the
    first ``n`` bytes can be dropped (garbage before a preamble). Lengths below 4 or above
    0x1000 are taken as noise and that preamble is skipped.

    :raises FrameError: the frame's checksum is wrong; drop ``exc.consumed`` bytes.
    """
    payload, consumed = _next_frame(buf, MIN_RESPONSE_LEN)
    if payload is None:
        return None, consumed
    return Response(payload[0], payload[1], payload[2], payload[3:]), consumed


def decode_command(buf: bytes | bytearray) -> tuple[Command | None, int]:
    """Decode the next request frame (what a reader receives); as :func:`decode_response`."""
    payload, consumed = _next_frame(buf, MIN_COMMAND_LEN)
    if payload is None:
        return None, consumed
    return Command(payload[0], payload[1], payload[2:]), consumed


# --------------------------------------------------------------------------- SW3 statuses

SW3_OK = 0x90
SW3_FOUND = 0x9F
SW3_CHECKSUM = 0x10
SW3_NO_CARD = 0x80
SW3_SELECT_FAILED = 0x81
SW3_NO_CONTENT = 0x91
NO_CARD_STATUSES = frozenset({SW3_NO_CARD, SW3_SELECT_FAILED})
"""Normal outcomes of find/select when no card lies on the reader: not errors there."""

_PLACE_AGAIN = ("把证件平放在感应区，读完前不要移动 / "
                "Lay the card flat on the reader and keep it still until it has been read")
_LINE = ("检查数据线，远离干扰源；仍出现请检查波特率 / "
         "Check the cable and keep it away from interference; if it persists, check the baud rate")
_CHECK_BY_HAND = ("证件可能损坏或不是真证件，请人工核验 / "
                  "The card may be damaged or not genuine; check it by hand")
_VENDOR = ("重启阅读器；仍失败请联系阅读器厂家 / "
           "Power the reader off and on; if it still fails, contact the reader's vendor")


@dataclass(frozen=True)
class Sw3Status:
    """What an SW3 code means (``message``) and what to check (``hint``), "中文 / English"."""

    message: str
    hint: str = ""


SW3_TABLE: dict[int, Sw3Status] = {
    0x90: Sw3Status("操作成功 / success"),
    0x9F: Sw3Status("找到证件 / card found"),
    0x10: Sw3Status("阅读器收到的命令校验和错误 / the reader got a command with a bad checksum",
                    _LINE),
    0x11: Sw3Status("阅读器收到的命令长度错误 / the reader got a command of the wrong length",
                    _LINE),
    0x21: Sw3Status("阅读器不接受此命令 / the reader does not accept this command",
                    "检查阅读器型号是否支持 / Check that the reader model supports it"),
    # 0x23: [unverified] in hardware.md §1.2
    0x23: Sw3Status("越权操作 / operation not permitted",
                    "检查阅读器型号和授权 / Check the reader model and its authorisation"),
    0x24: Sw3Status("阅读器报告无法识别的错误 / the reader reports an unrecognised error",
                    "重新放置证件；仍失败请重启阅读器 / "
                    "Place the card again; if it still fails, power the reader off and on"),
    0x31: Sw3Status("证件认证阅读器失败 / the card did not authenticate the reader", _VENDOR),
    0x32: Sw3Status("阅读器认证证件失败 / the reader did not authenticate the card",
                    _CHECK_BY_HAND),
    0x33: Sw3Status("证件信息验证错误 / the card's data failed verification", _CHECK_BY_HAND),
    0x40: Sw3Status("不是阅读器能读的证件 / not a card type the reader can read",
                    "请放置居民身份证、居住证或外国人永久居留身份证，不要放银行卡、公交卡 / "
                    "Place a resident ID card, residence permit or foreigner permanent "
                    "residence card, not a bank or transit card"),
    0x41: Sw3Status("读证件失败 / reading the card failed", _PLACE_AGAIN),
    0x47: Sw3Status("取随机数失败 / the card did not give a random number", _PLACE_AGAIN),
    0x60: Sw3Status("安全模块（SAM）自检失败 / the reader's security module (SAM) failed its "
                    "self-test", _VENDOR),
    0x66: Sw3Status("安全模块（SAM）未授权 / the reader's security module (SAM) is not "
                    "authorised",
                    "联系阅读器厂家办理授权 / Contact the reader's vendor to authorise the SAM"),
    0x80: Sw3Status("没有找到证件 / no card on the reader",
                    "请把证件放在阅读器感应区 / Place the card on the reader"),
    0x81: Sw3Status("选卡失败 / the card could not be selected", _PLACE_AGAIN),
    # 0x91: [unverified] in hardware.md §1.2
    0x91: Sw3Status("证件没有此项内容（如没有指纹） / the card has no such item (e.g. no "
                    "fingerprints)",
                    "不读指纹再试 / Read the card without fingerprints"),
}


def sw3_status(sw3: int) -> Sw3Status:
    """The table entry for ``sw3``, or a plain "unknown status" entry."""
    return SW3_TABLE.get(sw3) or Sw3Status(
        f"阅读器返回未知状态 {sw3:02X} / the reader returned unknown status {sw3:02X}",
        "记下状态码并联系阅读器厂家 / Note the status code and contact the reader's vendor",
    )


class SamStatusError(Exception):
    """The reader answered with an SW3 status that is an error for that command."""

    def __init__(self, sw3: int, command: str = ""):
        status = sw3_status(sw3)
        self.sw3 = sw3
        self.command = command
        self.message = status.message
        self.hint = status.hint
        where = f", {command}" if command else ""
        super().__init__(f"{status.message} (SW3 {sw3:02X}{where})")


# --------------------------------------------------------------------------- card text

TEXT_BYTES = 256
PHOTO_BYTES = 1024
FINGERPRINT_BYTES_PER_FINGER = 512
BMP_BYTES = 38862  # the decoded photo: 102×126, 24-bit
LONG_TERM = "长期"  # "valid to" of a long-term card [unverified: hardware.md §1.3]
CARD_TYPES = ("resident", "hmt_permit", "foreign_2017", "foreign_2023")
_MARKERS = {"": "resident", "J": "hmt_permit", "I": "foreign_2017", "Y": "foreign_2023"}
MARKER_OFFSET = 248


class CardTextError(ValueError):
    """The 256-byte card text cannot be parsed (wrong size, unknown type marker, a date field
    that is not a date). The only exception :func:`parse_text` raises."""


def mask_id_number(number: str) -> str:
    """Keep the first 6 and last 4 characters: ``110105********002X``."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_address(address: str) -> str:
    """Keep the first 6 characters (province, city), then ``****``."""
    return address[:6] + "****"


def _mask_pass_number(number: str) -> str:
    if len(number) <= 4:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


@dataclass(frozen=True, repr=False)
class IdCard:
    """One card's text as read. Fields that a card type lacks are None; fields it has but
    left blank are ``""``. ``check_digit_ok`` is None where the number has no GB 11643
    check character ('I' cards). ``repr()`` masks personal data, so logging a card is safe.
    """

    card_type: str  # one of CARD_TYPES
    name: str  # Chinese name (may be "" on foreigner cards)
    sex: str  # GB/T 2261.1 name: 男, 女, 未知的性别, 未说明的性别, or 未知(c)
    nation: str | None  # GB/T 3304 name; resident cards only
    birth_date: dt.date
    address: str | None  # resident and 'J' cards
    id_number: str  # 18 characters; the 15-character permit number on 'I' cards
    authority: str | None  # issuing authority; resident and 'J' cards
    valid_from: dt.date
    valid_to: dt.date | str  # a date or "长期"
    check_digit_ok: bool | None
    english_name: str | None = None  # 'I', 'Y'
    nationality: str | None = None  # 'I', 'Y': GB/T 2659 three-letter code
    pass_number: str | None = None  # 'J': 港澳台居民来往内地通行证 number
    issue_count: str | None = None  # 'J'
    card_version: str | None = None  # 'I'
    authority_code: str | None = None  # 'I'
    renewal_count: str | None = None  # 'Y'
    old_permit_link: str | None = None  # 'Y'
    sex_code: str = ""
    nation_code: str | None = None
    raw_text: bytes = field(default=b"", compare=False)
    photo_wlt: bytes = field(default=b"", compare=False)

    def __repr__(self) -> str:
        return f"IdCard(card_type={self.card_type!r}, id_number={mask_id_number(self.id_number)!r})"

    def to_json(self, show_pii: bool = False) -> dict[str, Any]:
        """A JSON-ready dict. Without ``show_pii`` the id number keeps its first 6 and last 4
        characters, the address its first 6, and a permit's pass number its ends."""

        def day(value: dt.date | str) -> str:
            return value.isoformat() if isinstance(value, dt.date) else value

        out: dict[str, Any] = {
            "card_type": self.card_type,
            "name": self.name,
            "sex": self.sex,
            "nation": self.nation,
            "birth_date": day(self.birth_date),
            "address": self.address,
            "id_number": self.id_number if show_pii else mask_id_number(self.id_number),
            "authority": self.authority,
            "valid_from": day(self.valid_from),
            "valid_to": day(self.valid_to),
            "check_digit_ok": self.check_digit_ok,
        }
        if self.address is not None and not show_pii:
            out["address"] = mask_address(self.address)
        if self.card_type == "hmt_permit":
            pass_number = self.pass_number or ""
            out["pass_number"] = pass_number if show_pii else _mask_pass_number(pass_number)
            out["issue_count"] = self.issue_count
        elif self.card_type == "foreign_2017":
            out.update(english_name=self.english_name, nationality=self.nationality,
                       card_version=self.card_version, authority_code=self.authority_code)
        elif self.card_type == "foreign_2023":
            out.update(english_name=self.english_name, nationality=self.nationality,
                       renewal_count=self.renewal_count, old_permit_link=self.old_permit_link)
        return out


def _field(text: bytes, offset: int, size: int) -> str:
    """A UCS-2LE field without its trailing spaces and NULs (inner spaces stay)."""
    return text[offset : offset + size].decode("utf-16-le", errors="replace").rstrip(" \x00")


def _date(value: str, label: str) -> dt.date:
    if len(value) == 8 and value.isascii() and value.isdigit():
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    raise CardTextError(f"证件{label}不是日期 / the card's {label!r} field is not a date: "
                        f"{value!r}")


def _valid_to(value: str) -> dt.date | str:
    return LONG_TERM if value == LONG_TERM else _date(value, "valid_to")


def _sex(code: str) -> str:
    return SEXES.get(code, f"未知({code})")


def card_type_of(text: bytes) -> str:
    """The card type the marker at offset 248 names.

    :raises CardTextError: wrong size or unknown marker.
    """
    if len(text) != TEXT_BYTES:
        raise CardTextError(f"证件文字应为 {TEXT_BYTES} 字节 / card text must be {TEXT_BYTES} "
                            f"bytes, got {len(text)}")
    marker = _field(text, MARKER_OFFSET, 2).strip(" \x00")
    try:
        return _MARKERS[marker]
    except KeyError:
        raise CardTextError(f"不认识的证件类型标记 / unknown card type marker {marker!r} at "
                            f"offset {MARKER_OFFSET}") from None


def parse_text(text: bytes, photo_wlt: bytes = b"") -> IdCard:
    """Parse the 256-byte UCS-2LE card text (hardware.md §1.3), dispatching on the type
    marker at offset 248: blank/NUL resident, 'J' HK/Macau/Taiwan residence permit,
    'I' 2017 foreigner permanent residence card, 'Y' 2023 foreigner card.

    A wrong check character is reported in ``check_digit_ok``, never corrected.

    :raises CardTextError: (a ValueError) the text cannot be parsed.
    """
    card_type = card_type_of(text)
    text = bytes(text)
    common = {"raw_text": text, "photo_wlt": bytes(photo_wlt), "card_type": card_type}
    if card_type in ("resident", "hmt_permit"):
        sex_code = _field(text, 30, 2)
        id_number = _field(text, 122, 36)
        nation_code = _field(text, 32, 4) if card_type == "resident" else None
        extra: dict[str, Any] = {}
        if card_type == "hmt_permit":
            extra = {"pass_number": _field(text, 220, 18), "issue_count": _field(text, 238, 4)}
        return IdCard(
            name=_field(text, 0, 30),
            sex=_sex(sex_code),
            nation=None if nation_code is None else NATIONS.get(nation_code,
                                                                f"未知({nation_code})"),
            birth_date=_date(_field(text, 36, 16), "birth_date"),
            address=_field(text, 52, 70),
            id_number=id_number,
            authority=_field(text, 158, 30),
            valid_from=_date(_field(text, 188, 16), "valid_from"),
            valid_to=_valid_to(_field(text, 204, 16)),
            check_digit_ok=gb11643.checksum_ok(id_number),
            sex_code=sex_code,
            nation_code=nation_code,
            **extra,
            **common,
        )
    if card_type == "foreign_2017":
        sex_code = _field(text, 120, 2)
        return IdCard(
            english_name=_field(text, 0, 120),
            sex=_sex(sex_code),
            id_number=_field(text, 122, 30),
            nationality=_field(text, 152, 6),
            name=_field(text, 158, 30),
            valid_from=_date(_field(text, 188, 16), "valid_from"),
            valid_to=_valid_to(_field(text, 204, 16)),
            birth_date=_date(_field(text, 220, 16), "birth_date"),
            card_version=_field(text, 236, 4),
            authority_code=_field(text, 240, 8),
            nation=None,
            address=None,
            authority=None,
            check_digit_ok=None,  # the 15-character permit number has no GB 11643 check
            sex_code=sex_code,
            **common,
        )
    # foreign_2023: the English name is split over 52(70) and 220(22); join before stripping
    # so a space at the split survives.
    sex_code = _field(text, 30, 2)
    id_number = _field(text, 122, 36)
    english = (text[52:122] + text[220:242]).decode("utf-16-le", errors="replace")
    return IdCard(
        name=_field(text, 0, 30),
        sex=_sex(sex_code),
        renewal_count=_field(text, 32, 4),
        birth_date=_date(_field(text, 36, 16), "birth_date"),
        english_name=english.rstrip(" \x00"),
        id_number=id_number,
        valid_from=_date(_field(text, 188, 16), "valid_from"),
        valid_to=_valid_to(_field(text, 204, 16)),
        nationality=_field(text, 242, 6),
        old_permit_link=_field(text, 250, 6),
        nation=None,
        address=None,
        authority=None,
        check_digit_ok=gb11643.checksum_ok(id_number),
        sex_code=sex_code,
        **common,
    )


@dataclass(frozen=True)
class ReadReply:
    """The data of a 30 01 / 30 10 reply, split by its own length fields."""

    text: bytes
    photo_wlt: bytes
    fingerprints: bytes | None = None  # 30 10 only: 0, 512 or 1024 bytes


def parse_read_reply(data: bytes, *, fingerprints: bool = False) -> ReadReply:
    """Split the data after SW3 of a read reply: text length, photo length (and, for 30 10,
    fingerprint length), each 2 bytes big-endian, then the parts in that order.

    :raises FrameError: the lengths do not add up to the data actually present.
    """
    header = 6 if fingerprints else 4
    if len(data) < header:
        raise FrameError(f"读卡应答太短 / the read reply has {len(data)} bytes of data, "
                         f"fewer than its {header}-byte length header")
    lengths = struct.unpack_from(">HHH" if fingerprints else ">HH", data)
    text_len, photo_len = lengths[0], lengths[1]
    finger_len = lengths[2] if fingerprints else 0
    expected = header + text_len + photo_len + finger_len
    if expected != len(data):
        raise FrameError(f"读卡应答长度不符 / the read reply's length fields add up to "
                         f"{expected} bytes but it carries {len(data)}")
    text = data[header : header + text_len]
    photo = data[header + text_len : header + text_len + photo_len]
    finger = data[header + text_len + photo_len :] if fingerprints else None
    return ReadReply(bytes(text), bytes(photo), None if finger is None else bytes(finger))


def format_sam_id(data: bytes) -> str:
    """The 16-byte SAM id as vendor tools print it: two little-endian 16-bit numbers, then
    three little-endian 32-bit numbers, ``"%02d.%02d-%08d-%010d-%010d"``, e.g.
    ``05.01-20101218-0012345678-1234567890``. (Some vendor tools print only the first four
    parts; we print all 16 bytes so no part of the id is lost.)

    :raises FrameError: fewer than 16 bytes.
    """
    if len(data) < 16:
        raise FrameError(f"SAM 编号应为 16 字节 / the SAM id reply has {len(data)} bytes, not 16")
    a, b, c, d, e = struct.unpack_from("<HHIII", data)
    return f"{a:02d}.{b:02d}-{c:08d}-{d:010d}-{e:010d}"


# --------------------------------------------------------------------------- driver


@dataclass(frozen=True)
class CardRead:
    """A completed read: the parsed card (with its raw text and WLT photo) and, when asked
    for, the fingerprint data (b"" when the card holds none)."""

    card: IdCard
    fingerprints: bytes | None = None


def _bytes_needed(buf: bytes | bytearray) -> int:
    """How many more bytes the frame at the start of ``buf`` needs (at least 1)."""
    if len(buf) < HEADER_BYTES:
        return HEADER_BYTES - len(buf)
    return max(1, HEADER_BYTES + int.from_bytes(buf[5:7], "big") - len(buf))


class SamReader:
    """A GA 467 SAM reader on a transport it is handed (serial 115200 8N1 by default).

    Every exchange drains stale bytes, writes the command, reads the 7-byte header and then
    LEN bytes, resynchronising on garbage, within ``timeout_s`` (default 5 s, the command
    timeout of hev-idcard-reader). Errors: :class:`~drivers.transports.TransportTimeout`
    (no answer), :class:`~drivers.transports.TransportError` (link gone), :class:`FrameError`
    (bad frame), :class:`SamStatusError` (the reader reported an error), :class:`CardTextError`
    (the text cannot be parsed).
    """

    model = "sam-ga467"
    baudrate = 115200

    def __init__(self, transport: Transport, *, timeout_s: float = 5.0):
        self.transport = transport
        self.timeout_s = timeout_s
        self.last_response: Response | None = None

    # -- plumbing

    @contextlib.contextmanager
    def _link(self) -> Iterator[None]:
        """Hold transports to their contract: a failing link is a TransportError. (pyserial
        lets ``termios.error`` out of ``flush()`` on a vanished pty/USB port.)"""
        try:
            yield
        except (TransportError, FrameError):
            raise
        except Exception as exc:
            raise TransportError(f"{self.transport.name}: the link failed ({exc}); is the "
                                 "cable still plugged in?") from exc

    def _drain(self, max_s: float = 0.2) -> int:
        """Drop bytes already waiting (a late reply to an earlier command, noise)."""
        dropped = 0
        deadline = time.monotonic() + max_s
        while time.monotonic() < deadline:
            chunk = self.transport.read(4096, 0)
            if not chunk:
                break
            dropped += len(chunk)
        return dropped

    def exchange(self, command: Command, *, timeout_s: float | None = None) -> Response:
        """Send ``command`` and return the reader's response frame, whatever its SW3."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        with self._link():
            self._drain()
            self.transport.write(encode_command(*command))
        deadline = time.monotonic() + timeout
        buf = bytearray()
        while True:
            try:
                response, used = decode_response(buf)
            except FrameError as exc:
                raise FrameError(f"{self.transport.name}: {command_name(command)}: {exc}",
                                 exc.consumed) from exc
            if response is not None:
                self.last_response = response
                return response
            del buf[:used]
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise TransportTimeout("deadline passed")
                with self._link():
                    buf += read_exact(self.transport, _bytes_needed(buf), left)
            except TransportTimeout as exc:
                got = f"; {len(buf)} bytes of a reply arrived" if buf else ""
                raise TransportTimeout(
                    f"身份证阅读器没有应答 / the ID card reader on {self.transport.name} did not "
                    f"answer {command_name(command)} within {timeout:g} s{got}") from exc

    def _expect(self, command: Command, ok: frozenset[int], timeout_s: float | None,
                no_card_is_false: bool = False) -> Response | None:
        response = self.exchange(command, timeout_s=timeout_s)
        if response.sw3 in ok:
            return response
        if no_card_is_false and response.sw3 in NO_CARD_STATUSES:
            return None
        raise SamStatusError(response.sw3, command_name(command))

    # -- commands

    def reset(self, *, timeout_s: float | None = None) -> None:
        """Reset the SAM (10 FF)."""
        self._expect(RESET, frozenset({SW3_OK}), timeout_s)

    def sam_status(self, *, timeout_s: float | None = None) -> bool:
        """True when the SAM reports itself well (11 FF answered with SW3 90). Any other
        status gives False; ``last_response.sw3`` says which (see :func:`sw3_status`)."""
        return self.exchange(SAM_STATUS, timeout_s=timeout_s).sw3 == SW3_OK

    def sam_id(self, *, timeout_s: float | None = None) -> str:
        """The SAM's id (12 FF) in the vendors' format, see :func:`format_sam_id`."""
        response = self._expect(SAM_ID, frozenset({SW3_OK}), timeout_s)
        assert response is not None
        return format_sam_id(response.data)

    def find_card(self, *, timeout_s: float | None = None) -> bool:
        """Find a card (20 01): True when one is in the field (SW3 9F; 90 is accepted as
        well), False on "no card" (80, 81); other statuses raise :class:`SamStatusError`."""
        return self._expect(FIND_CARD, frozenset({SW3_FOUND, SW3_OK}), timeout_s,
                            no_card_is_false=True) is not None

    def select_card(self, *, timeout_s: float | None = None) -> bool:
        """Select the found card (20 02): True on SW3 90, False on "no card" (80, 81)."""
        return self._expect(SELECT_CARD, frozenset({SW3_OK}), timeout_s,
                            no_card_is_false=True) is not None

    def read_card(self, fingerprints: bool = False, *,
                  timeout_s: float | None = None) -> CardRead:
        """Read text and photo (30 01), or with fingerprints (30 10). :meth:`find_card` and
        :meth:`select_card` must have succeeded just before (see :meth:`read_card_flow`)."""
        command = READ_WITH_FINGERPRINTS if fingerprints else READ_TEXT_PHOTO
        response = self._expect(command, frozenset({SW3_OK}), timeout_s)
        assert response is not None
        reply = parse_read_reply(response.data, fingerprints=fingerprints)
        return CardRead(parse_text(reply.text, reply.photo_wlt), reply.fingerprints)

    def read_card_flow(self, fingerprints: bool = False, *,
                       timeout_s: float | None = None) -> CardRead | None:
        """Find, select and read; None when no card lies on the reader."""
        if not self.find_card(timeout_s=timeout_s):
            return None
        if not self.select_card(timeout_s=timeout_s):
            return None
        return self.read_card(fingerprints, timeout_s=timeout_s)

    @classmethod
    def probe(cls, transport: Transport, *, timeout_s: float = 1.0) -> bool:
        """Discovery handshake: does a SAM reader answer 11 FF with SW3 90 within 1 s?
        A dead link still raises :class:`~drivers.transports.TransportError`."""
        try:
            return cls(transport, timeout_s=timeout_s).sam_status()
        except (TransportTimeout, FrameError):
            return False
