"""Rating terminals (评价器) speaking our own serial protocol, "Bianmin rating terminal
protocol v1" (docs/protocols/rating-terminal.md, the normative text; section numbers below
refer to it).

There is no public byte protocol for 评价器 (../shared/research/hardware.md §4: none found in
code, pages or issues), so we define one and ask vendors to implement it. The five levels
are those of the national 政务服务"好差评" system (国办发〔2019〕51号; hardware.md §4,
queue.md §4): 非常满意 5, 满意 4, 基本满意 3, 不满意 2, 非常不满意 1, one rating per
service (现场"一次一评").

Frame (§2), 9600 8N1 by default::

    STX 02 | VER 01 | SEQ | TYPE | LEN_H LEN_L | PAYLOAD (LEN bytes, at most 512) | CRC_H CRC_L

CRC is CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF, not reflected, no final
XOR; check value 0x29B1 for ``b"123456789"``) over VER up to the last payload byte.

Layers: the pure codec (:func:`encode_frame`, :func:`decode_frame`, :class:`FrameReader`,
the message dataclasses with ``encode``/``decode`` and :func:`decode_message`), and
:class:`BianminRatingTerminal`, the host side, which is handed a
:class:`~drivers.transports.Transport` and never opens one.
"""

from __future__ import annotations

import binascii
import enum
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from .transports import Transport, TransportTimeout

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- levels, reasons

LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
"""好差评 level -> its national name (hardware.md §4)."""
LEVELS_EN: dict[int, str] = {5: "very satisfied", 4: "satisfied", 3: "fairly satisfied",
                             2: "dissatisfied", 1: "very dissatisfied"}
BAD_LEVELS = frozenset({1, 2})
"""差评: the levels for which reasons are asked and a rectification follows."""

REASON_TABLE_VERSION = 1
"""The version of :data:`REASONS` (§6); a terminal reports the version it displays."""
REASON_OTHER = 0xFF
REASONS: dict[int, str] = {
    0x01: "服务态度差",
    0x02: "办事效率低",
    0x03: "多次跑腿",
    0x04: "材料重复提交",
    0x05: "未一次性告知",
    0x06: "收费不规范",
    REASON_OTHER: "其他",
}
"""差评 reason code -> option text, table version 1 (§6). The national options are versioned
and may not be edited locally (queue.md §4); this table carries the options named in our
research, to be checked against GB/T 39734-2020 Annex A before a pilot [unverified]."""
REASONS_EN: dict[int, str] = {
    0x01: "poor attitude", 0x02: "slow service", 0x03: "had to come several times",
    0x04: "documents asked for again", 0x05: "not told everything at once",
    0x06: "irregular fees", REASON_OTHER: "other",
}


def level_words(level: int) -> str:
    """``满意 (4)``; ``未知 (7)`` for a level outside 1–5."""
    return f"{LEVELS.get(level, '未知')} ({level})"


def reason_words(code: int) -> str:
    """``服务态度差 (1)``; ``未知原因 (0x42)`` for a code not in the table."""
    text = REASONS.get(code)
    return f"{text} ({code})" if text else f"未知原因 (0x{code:02X})"


@dataclass(frozen=True)
class RatingOutcome:
    """What came of one rating prompt.

    Exactly one of: ``level`` set (rated), ``timed_out``, ``cancelled``, or ``error`` set
    (the terminal could not be used; ``hint`` says what to check). ``channel`` is where the
    rating was given (always "terminal" here; the kiosk records QR or screen ratings with
    the same type). ``seconds`` is the time from prompt to press as the terminal measured
    it, when known.
    """

    level: int | None
    reasons: tuple[int, ...] = ()
    timed_out: bool = False
    channel: str = "terminal"
    case_no: str = ""
    seconds: float | None = None
    cancelled: bool = False
    error: str = ""
    hint: str = ""

    @property
    def rated(self) -> bool:
        return self.level is not None

    @property
    def level_text(self) -> str | None:
        return None if self.level is None else LEVELS.get(self.level)

    @property
    def is_bad(self) -> bool:
        """A 差评 (不满意 or 非常不满意)."""
        return self.level in BAD_LEVELS


# --------------------------------------------------------------------------- frame codec

STX = 0x02
VERSION = 0x01
HEADER_BYTES = 6  # STX VER SEQ TYPE LEN_H LEN_L
CRC_BYTES = 2
MAX_PAYLOAD = 512
"""Longer LEN values are line noise (§2.3); the longest real payload is about 200 bytes."""
MAX_FRAME = HEADER_BYTES + MAX_PAYLOAD + CRC_BYTES
INTER_BYTE_TIMEOUT_S = 0.2
"""A partial frame that gets no further byte for this long is dropped from its STX (§2.4)."""
SEQ_UNKNOWN = 0
"""The seq of a NAK for a frame whose own seq cannot be trusted (bad checksum)."""


class MsgType(enum.IntEnum):
    ACK = 0x06
    NAK = 0x15
    HEARTBEAT = 0x20
    SHOW_STAFF = 0x21
    PROMPT = 0x22
    CANCEL = 0x23
    RESET = 0x24
    HEARTBEAT_REPLY = 0xA0
    RESULT = 0xA1
    TIMEOUT = 0xA2
    ERROR = 0xA3


REPLY_TYPES = frozenset({MsgType.ACK, MsgType.NAK, MsgType.HEARTBEAT_REPLY})
"""Frames that answer another frame: never answered themselves, carry the answered seq."""
HOST_TYPES = frozenset({MsgType.HEARTBEAT, MsgType.SHOW_STAFF, MsgType.PROMPT, MsgType.CANCEL,
                        MsgType.RESET})
TERMINAL_TYPES = frozenset({MsgType.RESULT, MsgType.TIMEOUT, MsgType.ERROR})


def type_name(value: int) -> str:
    try:
        return MsgType(value).name
    except ValueError:
        return f"type 0x{value:02X}"


class NakCode(enum.IntEnum):
    BAD_CHECKSUM = 0x01
    UNKNOWN_TYPE = 0x02
    BAD_LENGTH = 0x03
    BUSY = 0x04
    BAD_VALUE = 0x05


NAK_WORDS: dict[int, str] = {
    NakCode.BAD_CHECKSUM: "校验错误 / bad checksum",
    NakCode.UNKNOWN_TYPE: "不支持的命令 / unknown message type",
    NakCode.BAD_LENGTH: "长度错误 / bad length",
    NakCode.BUSY: "评价器忙 / the terminal is busy",
    NakCode.BAD_VALUE: "取值错误 / a value is out of range",
}


class TerminalState(enum.IntEnum):
    IDLE = 0  # nothing shown (welcome screen)
    STAFF = 1  # the staff card is shown
    PROMPTING = 2  # the five levels are shown
    REASONS = 3  # the 差评 reasons are shown
    SENDING = 4  # a RESULT/TIMEOUT waits for the host's ACK


class ErrorCode(enum.IntEnum):
    DISPLAY = 0x01
    KEYS = 0x02
    STORAGE = 0x03
    PHOTO_MISSING = 0x04
    POWER = 0x05
    OTHER = 0xFF


ERROR_WORDS: dict[int, str] = {
    ErrorCode.DISPLAY: "评价器显示屏故障 / the terminal's display failed",
    ErrorCode.KEYS: "评价器按键故障（按键卡住） / a key of the terminal is stuck or broken",
    ErrorCode.STORAGE: "评价器存储故障 / the terminal's storage failed",
    ErrorCode.PHOTO_MISSING: "评价器上没有这张工作人员照片 / the terminal has no such staff photo",
    ErrorCode.POWER: "评价器电源不足 / the terminal's power is low",
    ErrorCode.OTHER: "评价器报告故障 / the terminal reports a fault",
}


def crc16(data: bytes | bytearray | memoryview) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, MSB first, no final XOR (§2.2).
    ``binascii.crc_hqx`` is exactly this CRC when seeded with 0xFFFF."""
    return binascii.crc_hqx(bytes(data), 0xFFFF)


class FrameError(Exception):
    """Bytes that are not a usable frame (bad checksum). ``consumed`` is how many bytes of
    the buffer to drop: everything up to and including the bad frame's STX, so a real frame
    hidden behind a false STX is still found (§2.4)."""

    def __init__(self, message: str, consumed: int = 1, seq: int | None = None,
                 type_: int | None = None):
        super().__init__(message)
        self.consumed = consumed
        self.seq = seq
        self.type = type_


@dataclass(frozen=True)
class Frame:
    seq: int
    type: int
    payload: bytes = b""
    crc: int = 0

    @property
    def key(self) -> tuple[int, int]:
        """What a retransmission repeats exactly: (seq, crc) (§4.2)."""
        return self.seq, self.crc


def encode_frame(seq: int, type_: int, payload: bytes = b"") -> bytes:
    """One frame. :raises ValueError: seq or type outside 0–255, payload over 512 bytes."""
    if not 0 <= seq <= 0xFF or not 0 <= type_ <= 0xFF:
        raise ValueError(f"seq and type are bytes (0-255), got {seq} and {type_}")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = bytes([VERSION, seq, type_]) + len(payload).to_bytes(2, "big") + bytes(payload)
    return bytes([STX]) + body + crc16(body).to_bytes(2, "big")


def decode_frame(buf: bytes | bytearray) -> tuple[Frame | None, int]:
    """Decode the next frame from a byte stream.

    Returns ``(frame, consumed)`` when a whole frame is in ``buf`` (``consumed`` includes
    any garbage before it), or ``(None, n)`` when more bytes are needed, where the first
    ``n`` bytes can be dropped (they can never start a frame). An STX not followed by
    version 01, or followed by a LEN over 512, is noise and is skipped.

    :raises FrameError: a frame whose CRC is wrong; drop ``exc.consumed`` bytes (up to and
        including its STX) and decode again.
    """
    size = len(buf)
    start = 0
    while True:
        i = buf.find(STX, start)
        if i < 0:
            return None, size
        if size > i + 1 and buf[i + 1] != VERSION:
            start = i + 1
            continue
        if size < i + HEADER_BYTES:
            return None, i
        length = int.from_bytes(buf[i + 4 : i + 6], "big")
        if length > MAX_PAYLOAD:
            start = i + 1
            continue
        end = i + HEADER_BYTES + length + CRC_BYTES
        if size < end:
            return None, i
        got = int.from_bytes(buf[end - 2 : end], "big")
        want = crc16(buf[i + 1 : end - 2])
        if got != want:
            raise FrameError(
                f"校验错误 / frame checksum error ({type_name(buf[i + 3])}, seq {buf[i + 2]}, "
                f"LEN {length}, CRC {got:04X}, expected {want:04X})",
                consumed=i + 1, seq=buf[i + 2], type_=buf[i + 3])
        return Frame(buf[i + 2], buf[i + 3], bytes(buf[i + HEADER_BYTES : end - 2]), got), end


class FrameReader:
    """Incremental decoding with resynchronisation: :meth:`feed` bytes as they arrive, take
    frames with :meth:`next_frame`, and call :meth:`expire` when a partial frame has had no
    byte for :data:`INTER_BYTE_TIMEOUT_S` (a false STX in noise would otherwise hold back
    the real frame behind it until LEN more bytes came)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.dropped = 0
        """Bytes discarded as noise so far (resynchronisation)."""

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def next_frame(self) -> Frame | None:
        """The next whole frame, or None when more bytes are needed.

        :raises FrameError: a bad frame (already dropped from the buffer)."""
        try:
            frame, used = decode_frame(self.buffer)
        except FrameError as exc:
            del self.buffer[: exc.consumed]
            self.dropped += exc.consumed
            raise
        if frame is None:
            self.dropped += used
        del self.buffer[:used]
        return frame

    @property
    def partial(self) -> bool:
        """True while the start of a frame waits for more bytes."""
        return bool(self.buffer)

    def expire(self) -> None:
        """Give up the partial frame at the start of the buffer: drop its STX and rescan."""
        if self.buffer:
            del self.buffer[:1]
            self.dropped += 1


# --------------------------------------------------------------------------- messages


class PayloadError(ValueError):
    """A frame whose payload does not fit its type; ``code`` is the NAK code to answer."""

    def __init__(self, message: str, code: NakCode = NakCode.BAD_LENGTH):
        super().__init__(message)
        self.code = code


MAX_NAME = 60
MAX_STAFF_NO = 16
MAX_WINDOW_NAME = 60
MAX_CASE_NO = 64
MAX_FIRMWARE = 32
MAX_ERROR_TEXT = 120
MAX_REASONS = 16
MAX_PROMPT_S = 600


class _Cursor:
    """Reads fields off a payload; running short is BAD_LENGTH, bad UTF-8 BAD_VALUE."""

    def __init__(self, payload: bytes, what: str):
        self.data = payload
        self.pos = 0
        self.what = what

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise PayloadError(f"{self.what}: payload of {len(self.data)} bytes is too short")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def text(self, limit: int, name: str) -> str:
        size = self.u8()
        if size > limit:
            raise PayloadError(f"{self.what}: {name} of {size} bytes exceeds {limit}",
                               NakCode.BAD_VALUE)
        raw = self.take(size)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PayloadError(f"{self.what}: {name} is not UTF-8", NakCode.BAD_VALUE) from exc


def _text(value: str, limit: int, name: str) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) > limit:
        raise ValueError(f"{name} is {len(raw)} bytes in UTF-8; at most {limit} fit")
    return bytes([len(raw)]) + raw


class Message:
    TYPE: ClassVar[MsgType]

    def encode(self) -> bytes:
        """The payload."""
        return b""

    @classmethod
    def decode(cls, payload: bytes) -> Message:
        return cls()


@dataclass(frozen=True)
class Ack(Message):
    TYPE: ClassVar[MsgType] = MsgType.ACK


@dataclass(frozen=True)
class Nak(Message):
    TYPE: ClassVar[MsgType] = MsgType.NAK
    code: int = NakCode.BAD_CHECKSUM

    def encode(self) -> bytes:
        return bytes([self.code])

    @classmethod
    def decode(cls, payload: bytes) -> Nak:
        return cls(_Cursor(payload, "NAK").u8())


@dataclass(frozen=True)
class Heartbeat(Message):
    TYPE: ClassVar[MsgType] = MsgType.HEARTBEAT


@dataclass(frozen=True)
class Cancel(Message):
    TYPE: ClassVar[MsgType] = MsgType.CANCEL


@dataclass(frozen=True)
class Reset(Message):
    TYPE: ClassVar[MsgType] = MsgType.RESET


@dataclass(frozen=True)
class ShowStaff(Message):
    """The staff card: name, 工号, window number (0: none) and name, photo id (0: none)."""

    TYPE: ClassVar[MsgType] = MsgType.SHOW_STAFF
    name: str
    window_no: int = 0
    window_name: str = ""
    staff_no: str = ""
    photo_id: int = 0

    def encode(self) -> bytes:
        if not 0 <= self.window_no <= 0xFF:
            raise ValueError(f"window number is 0-255, not {self.window_no}")
        if not 0 <= self.photo_id <= 0xFFFFFFFF:
            raise ValueError(f"photo id is 0-4294967295, not {self.photo_id}")
        return (_text(self.name, MAX_NAME, "staff name")
                + _text(self.staff_no, MAX_STAFF_NO, "staff number")
                + bytes([self.window_no])
                + _text(self.window_name, MAX_WINDOW_NAME, "window name")
                + self.photo_id.to_bytes(4, "big"))

    @classmethod
    def decode(cls, payload: bytes) -> ShowStaff:
        c = _Cursor(payload, "SHOW_STAFF")
        name = c.text(MAX_NAME, "name")
        staff_no = c.text(MAX_STAFF_NO, "staff number")
        window_no = c.u8()
        window_name = c.text(MAX_WINDOW_NAME, "window name")
        return cls(name, window_no, window_name, staff_no, c.u32())


@dataclass(frozen=True)
class Prompt(Message):
    """Ask for a rating of case ``case_no`` (办件编号, or the ticket number when there is no
    case) for up to ``timeout_s`` seconds; ``ask_reasons``: show the 差评 reasons after a
    level of 2 or 1."""

    TYPE: ClassVar[MsgType] = MsgType.PROMPT
    case_no: str
    timeout_s: int = 30
    ask_reasons: bool = True

    def encode(self) -> bytes:
        if not 1 <= self.timeout_s <= MAX_PROMPT_S:
            raise ValueError(f"prompt timeout is 1-{MAX_PROMPT_S} s, not {self.timeout_s}")
        if not self.case_no:
            raise ValueError("a prompt needs a case number")
        return (self.timeout_s.to_bytes(2, "big") + bytes([1 if self.ask_reasons else 0])
                + _text(self.case_no, MAX_CASE_NO, "case number"))

    @classmethod
    def decode(cls, payload: bytes) -> Prompt:
        c = _Cursor(payload, "PROMPT")
        timeout_s = c.u16()
        flags = c.u8()
        case_no = c.text(MAX_CASE_NO, "case number")
        if not 1 <= timeout_s <= MAX_PROMPT_S or not case_no:
            raise PayloadError(f"PROMPT: timeout {timeout_s} s or empty case number",
                               NakCode.BAD_VALUE)
        return cls(case_no, timeout_s, bool(flags & 0x01))


@dataclass(frozen=True)
class HeartbeatReply(Message):
    TYPE: ClassVar[MsgType] = MsgType.HEARTBEAT_REPLY
    state: int = TerminalState.IDLE
    firmware: str = ""
    reason_table: int = REASON_TABLE_VERSION

    def encode(self) -> bytes:
        return (bytes([self.state, self.reason_table])
                + _text(self.firmware, MAX_FIRMWARE, "firmware"))

    @classmethod
    def decode(cls, payload: bytes) -> HeartbeatReply:
        c = _Cursor(payload, "HEARTBEAT_REPLY")
        state, table = c.u8(), c.u8()
        return cls(state, c.text(MAX_FIRMWARE, "firmware"), table)


@dataclass(frozen=True)
class Result(Message):
    """A rating: level 1–5, the 差评 reason codes chosen, the prompt's case number echoed,
    and the time from prompt to press in tenths of a second."""

    TYPE: ClassVar[MsgType] = MsgType.RESULT
    level: int
    reasons: tuple[int, ...] = ()
    case_no: str = ""
    tenths: int = 0

    def encode(self) -> bytes:
        if self.level not in LEVELS:
            raise ValueError(f"level is 1-5, not {self.level}")
        if len(self.reasons) > MAX_REASONS or any(not 0 < r <= 0xFF for r in self.reasons):
            raise ValueError(f"at most {MAX_REASONS} reason codes of 1-255")
        return (bytes([self.level]) + min(self.tenths, 0xFFFF).to_bytes(2, "big")
                + bytes([len(self.reasons), *self.reasons])
                + _text(self.case_no, MAX_CASE_NO, "case number"))

    @classmethod
    def decode(cls, payload: bytes) -> Result:
        c = _Cursor(payload, "RESULT")
        level = c.u8()
        tenths = c.u16()
        count = c.u8()
        if level not in LEVELS or count > MAX_REASONS:
            raise PayloadError(f"RESULT: level {level} or {count} reasons", NakCode.BAD_VALUE)
        reasons = tuple(c.take(count))
        if 0 in reasons:
            raise PayloadError("RESULT: reason code 0", NakCode.BAD_VALUE)
        return cls(level, reasons, c.text(MAX_CASE_NO, "case number"), tenths)


@dataclass(frozen=True)
class TimedOut(Message):
    """No level was pressed within the prompt's time."""

    TYPE: ClassVar[MsgType] = MsgType.TIMEOUT
    case_no: str = ""

    def encode(self) -> bytes:
        return _text(self.case_no, MAX_CASE_NO, "case number")

    @classmethod
    def decode(cls, payload: bytes) -> TimedOut:
        return cls(_Cursor(payload, "TIMEOUT").text(MAX_CASE_NO, "case number"))


@dataclass(frozen=True)
class TerminalError(Message):
    TYPE: ClassVar[MsgType] = MsgType.ERROR
    code: int = ErrorCode.OTHER
    text: str = ""

    def encode(self) -> bytes:
        return bytes([self.code]) + _text(self.text, MAX_ERROR_TEXT, "error text")

    @classmethod
    def decode(cls, payload: bytes) -> TerminalError:
        c = _Cursor(payload, "ERROR")
        code = c.u8()
        return cls(code, c.text(MAX_ERROR_TEXT, "error text"))

    @property
    def words(self) -> str:
        return ERROR_WORDS.get(self.code, ERROR_WORDS[ErrorCode.OTHER])


MESSAGES: dict[int, type[Message]] = {m.TYPE: m for m in (
    Ack, Nak, Heartbeat, ShowStaff, Prompt, Cancel, Reset, HeartbeatReply, Result, TimedOut,
    TerminalError)}


def encode_message(seq: int, message: Message) -> bytes:
    return encode_frame(seq, message.TYPE, message.encode())


def decode_message(frame: Frame) -> Message:
    """The message a frame carries. Bytes after the last known field are ignored (§2.5).

    :raises PayloadError: unknown type (code UNKNOWN_TYPE), short payload (BAD_LENGTH), or a
        value out of range (BAD_VALUE).
    """
    kind = MESSAGES.get(frame.type)
    if kind is None:
        raise PayloadError(f"unknown message type 0x{frame.type:02X}", NakCode.UNKNOWN_TYPE)
    return kind.decode(frame.payload)


def next_seq(seq: int) -> int:
    """1, 2, … 255, 1: seq 0 is reserved for NAKs of unreadable frames."""
    return seq % 255 + 1


# --------------------------------------------------------------------------- driver


class RatingProtocolError(Exception):
    """The terminal refused a command (NAK) or answered something that makes no sense."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class TerminalBusy(RatingProtocolError):
    """NAK BUSY: a rating is still being delivered, or another prompt is open."""


class TerminalFault(Exception):
    """The terminal reported a fault (an ERROR frame)."""

    def __init__(self, error: TerminalError):
        detail = f" ({error.text})" if error.text else ""
        super().__init__(f"{error.words}{detail}")
        self.error = error


@dataclass(frozen=True)
class TerminalStatus:
    """The answer to a heartbeat."""

    firmware: str
    state: int
    reason_table: int

    @property
    def state_name(self) -> str:
        try:
            return TerminalState(self.state).name.lower()
        except ValueError:
            return f"state {self.state}"


@dataclass
class _Counters:
    sent: int = 0
    retransmits: int = 0
    duplicates: int = 0
    bad_frames: int = 0
    stray: int = 0
    noise_bytes: int = 0


class BianminRatingTerminal:
    """The host side of the protocol on a transport it is handed (9600 8N1 by default).

    Every command is retransmitted (same seq) when no reply comes within ``timeout_s /
    (retries + 1)``; after ``retries`` retransmissions :class:`TransportTimeout` says the
    terminal does not answer. Frames the terminal originates (RESULT, TIMEOUT, ERROR) are
    acknowledged at once, and a retransmission of one already accepted (same seq and CRC:
    its ACK got lost) is acknowledged again and dropped, so a rating counts once (§4).

    :param timeout_s: longest one exchange may take, retransmissions included. Unit: s.
    :param retries: retransmissions of an unanswered command.
    :param heartbeat_interval_s: while waiting for a rating, a heartbeat this often finds a
        terminal that died or restarted. Unit: s.
    """

    model = "bianmin-rating-v1"
    baudrate = 9600

    def __init__(self, transport: Transport, timeout_s: float = 2.0, *, retries: int = 3,
                 heartbeat_interval_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.transport = transport
        self.timeout_s = timeout_s
        self.retries = max(0, retries)
        self.heartbeat_interval_s = heartbeat_interval_s
        self._clock = clock
        self._reader = FrameReader()
        # A fresh random start makes a restarted host's first frames unlikely to look like
        # retransmissions of the previous session's to the terminal (§4.2).
        self._seq = random.randint(1, 255)  # noqa: S311 - not a secret
        self._last_event_key: tuple[int, int] | None = None
        self._replies: deque[tuple[Frame, Message]] = deque()
        self._events: deque[Message] = deque()
        self._last_byte_at = 0.0
        self.counters = _Counters()
        self.last_status: TerminalStatus | None = None

    # -- receiving

    def _nak(self, seq: int, code: NakCode) -> None:
        self.transport.write(encode_message(seq, Nak(code)))

    def _handle(self, frame: Frame) -> None:
        try:
            message = decode_message(frame)
        except PayloadError as exc:
            log.warning("rating terminal sent a bad %s frame: %s", type_name(frame.type), exc)
            if frame.type not in REPLY_TYPES:
                self._nak(frame.seq, exc.code)
            return
        if frame.type in REPLY_TYPES:
            self._replies.append((frame, message))
            return
        if frame.type not in TERMINAL_TYPES:  # a host command coming back: echo or loop
            self._nak(frame.seq, NakCode.UNKNOWN_TYPE)
            return
        self.transport.write(encode_message(frame.seq, Ack()))
        if frame.key == self._last_event_key:
            self.counters.duplicates += 1
            log.info("dropped a retransmitted %s (seq %d)", type_name(frame.type), frame.seq)
            return
        self._last_event_key = frame.key
        self._events.append(message)

    def _pump(self, until: float, stop: Callable[[], bool]) -> None:
        """Read and handle frames until ``stop()`` or the deadline."""
        while not stop():
            now = self._clock()
            left = until - now
            if left <= 0:
                return
            if self._reader.partial and now - self._last_byte_at >= INTER_BYTE_TIMEOUT_S:
                self._reader.expire()
            self._drain_frames()
            if stop():
                return
            chunk = self.transport.read(256, min(left, 0.05))
            if chunk:
                self._last_byte_at = self._clock()
                self._reader.feed(chunk)
                self._drain_frames()

    def _drain_frames(self) -> None:
        before = self._reader.dropped
        while True:
            try:
                frame = self._reader.next_frame()
            except FrameError as exc:
                self.counters.bad_frames += 1
                log.warning("rating terminal: %s", exc)
                self._nak(SEQ_UNKNOWN, NakCode.BAD_CHECKSUM)
                continue
            if frame is None:
                break
            self._handle(frame)
        self.counters.noise_bytes += self._reader.dropped - before

    # -- requests

    def _request(self, message: Message) -> Message:
        """Send a host command and return its reply (ACK or HEARTBEAT_REPLY)."""
        self._seq = next_seq(self._seq)
        seq = self._seq
        frame = encode_message(seq, message)
        attempts = self.retries + 1
        per_attempt = self.timeout_s / attempts
        name = type_name(message.TYPE)
        for attempt in range(attempts):
            if attempt:
                self.counters.retransmits += 1
            self.transport.write(frame)
            self.counters.sent += 1
            deadline = self._clock() + per_attempt
            while True:
                self._pump(deadline, lambda: bool(self._replies))
                if not self._replies:
                    break  # this attempt timed out: retransmit
                reply_frame, reply = self._replies.popleft()
                if isinstance(reply, Nak) and reply_frame.seq == SEQ_UNKNOWN:
                    if reply.code == NakCode.BAD_CHECKSUM:
                        break  # our frame arrived damaged: retransmit now
                    continue
                if reply_frame.seq != seq:
                    continue  # a late answer to an earlier attempt or command
                if isinstance(reply, Nak):
                    words = NAK_WORDS.get(reply.code, f"NAK 0x{reply.code:02X}")
                    error = TerminalBusy if reply.code == NakCode.BUSY else RatingProtocolError
                    raise error(f"评价器拒绝了 {name} / the rating terminal refused {name}: "
                                f"{words}", reply.code)
                return reply
        raise TransportTimeout(
            f"评价器没有应答 / the rating terminal on {self.transport.name} did not answer "
            f"{name} within {self.timeout_s:g} s ({attempts} attempts)")

    def _expect_ack(self, message: Message) -> None:
        reply = self._request(message)
        if not isinstance(reply, Ack):
            raise RatingProtocolError(f"评价器应答有误 / the terminal answered "
                                      f"{type_name(reply.TYPE)} to {type_name(message.TYPE)}")

    # -- commands

    def heartbeat(self) -> TerminalStatus:
        """Ask the terminal how it is: firmware version and state."""
        reply = self._request(Heartbeat())
        if not isinstance(reply, HeartbeatReply):
            raise RatingProtocolError(f"评价器应答有误 / the terminal answered "
                                      f"{type_name(reply.TYPE)} to HEARTBEAT")
        self.last_status = TerminalStatus(reply.firmware, reply.state, reply.reason_table)
        return self.last_status

    def show_staff(self, name: str, *, window_no: int = 0, window_name: str = "",
                   staff_no: str = "", photo_id: int = 0) -> None:
        """Show the staff card (name, 工号, window, photo stored on the terminal)."""
        self._expect_ack(ShowStaff(name, window_no, window_name, staff_no, photo_id))

    def cancel(self) -> None:
        """Close an open prompt without a rating (no RESULT or TIMEOUT follows)."""
        self._expect_ack(Cancel())

    def reset(self) -> None:
        """Back to the welcome screen; the terminal forgets any undelivered rating."""
        self._expect_ack(Reset())
        self._last_event_key = None

    def take_events(self) -> list[Message]:
        """RESULT/TIMEOUT/ERROR messages received outside a prompt (late ones)."""
        events = list(self._events)
        self._events.clear()
        return events

    def prompt(self, case_no: str, timeout_s: float = 30, ask_reasons: bool = True, *,
               cancel_event: threading.Event | None = None,
               grace_s: float = 5.0) -> RatingOutcome:
        """Ask for a rating of ``case_no`` and wait for it.

        Returns a rated outcome, ``timed_out`` (the terminal's TIMEOUT, or none of the
        terminal's answers within ``timeout_s + grace_s``), or ``cancelled`` when
        ``cancel_event`` was set. A NAK BUSY is answered by CANCEL and one more PROMPT.

        :raises TransportError: the link failed or the terminal stopped answering.
        :raises TerminalFault: the terminal sent an ERROR.
        :raises RatingProtocolError: the terminal refused the prompt.
        """
        seconds = max(1, min(MAX_PROMPT_S, round(timeout_s)))
        message = Prompt(case_no, seconds, ask_reasons)
        message.encode()  # a bad case number is the caller's error, before any byte is sent
        stray_before = self.take_events()
        for event in stray_before:
            self._stray(event)
        try:
            self._expect_ack(message)
        except TerminalBusy:
            self._pump(self._clock() + 0.3, lambda: False)  # let an undelivered result land
            for event in self.take_events():
                self._stray(event)
            self.cancel()
            self._expect_ack(message)
        start = self._clock()
        deadline = start + seconds + grace_s
        next_beat = start + self.heartbeat_interval_s

        def done() -> bool:
            return bool(self._events) or bool(cancel_event and cancel_event.is_set())

        while True:
            while self._events:
                event = self._events.popleft()
                if isinstance(event, TerminalError):
                    raise TerminalFault(event)
                if getattr(event, "case_no", None) != case_no:
                    self._stray(event)
                    continue
                if isinstance(event, Result):
                    return RatingOutcome(event.level, event.reasons, case_no=case_no,
                                         seconds=event.tenths / 10)
                return RatingOutcome(None, timed_out=True, case_no=case_no)
            if cancel_event is not None and cancel_event.is_set():
                self.cancel()
                # a press that raced the cancel still counts (一次一评: it was given)
                self._pump(self._clock() + 0.1, lambda: bool(self._events))
                for event in list(self._events):
                    if isinstance(event, Result) and event.case_no == case_no:
                        self._events.remove(event)
                        return RatingOutcome(event.level, event.reasons, case_no=case_no,
                                             seconds=event.tenths / 10)
                return RatingOutcome(None, cancelled=True, case_no=case_no)
            now = self._clock()
            if now >= deadline:
                log.warning("rating terminal sent neither RESULT nor TIMEOUT in time")
                self.cancel()
                return RatingOutcome(None, timed_out=True, case_no=case_no)
            if now >= next_beat:
                status = self.heartbeat()
                next_beat = self._clock() + self.heartbeat_interval_s
                if status.state in (TerminalState.IDLE, TerminalState.STAFF) and not self._events:
                    raise RatingProtocolError(
                        "评价器已重启或丢失了评价请求 / the rating terminal restarted or lost "
                        "the prompt")
                continue
            self._pump(min(deadline, next_beat), done)

    def _stray(self, event: Message) -> None:
        self.counters.stray += 1
        log.warning("rating terminal: ignored a %s that is not for the open prompt",
                    type_name(event.TYPE))

    @classmethod
    def probe(cls, transport: Transport, *, timeout_s: float = 1.0) -> bool:
        """Discovery handshake: does a terminal answer HEARTBEAT within 1 s? A dead link
        still raises :class:`~drivers.transports.TransportError`."""
        try:
            cls(transport, timeout_s=timeout_s).heartbeat()
            return True
        except (TransportTimeout, RatingProtocolError):
            return False

