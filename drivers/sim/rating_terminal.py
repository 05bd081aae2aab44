"""A simulated rating terminal speaking "Bianmin rating terminal protocol v1"
(docs/protocols/rating-terminal.md) on a pseudo-terminal
(:class:`~drivers.sim.pty_link.PtyLink`, paced at 9600 baud), so
:class:`drivers.rating_bianmin.BianminRatingTerminal` runs its real serial code against it.

It keeps what it was told to show (:attr:`RatingTerminalSim.staff`, :attr:`~RatingTerminalSim.
prompt`, :attr:`~RatingTerminalSim.prompts`) for assertions, and a test or the demo "presses"
a level with :meth:`RatingTerminalSim.press`. It is a real peer: it numbers and retransmits
its own RESULT/TIMEOUT/ERROR frames until acknowledged, answers retransmitted commands again
without acting twice, and NAKs what it cannot use, as §3–§5 of the protocol say.

Behaviour is configuration (:class:`RatingSimConfig`, also from ``sim://rating?...`` URL
options via :meth:`RatingSimConfig.from_url_options`): press a level automatically after a
delay, garbage before frames, damaged checksums, lost ACKs (the host must count the
retransmitted RESULT once), a fault report, never answering, and unplugging.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..rating_bianmin import (
    LEVELS,
    REASON_TABLE_VERSION,
    REASONS,
    REPLY_TYPES,
    SEQ_UNKNOWN,
    Ack,
    Cancel,
    ErrorCode,
    Frame,
    FrameError,
    FrameReader,
    Heartbeat,
    HeartbeatReply,
    Message,
    MsgType,
    Nak,
    NakCode,
    PayloadError,
    Prompt,
    Reset,
    Result,
    ShowStaff,
    TerminalError,
    TerminalState,
    TimedOut,
    decode_message,
    encode_message,
    next_seq,
)
from .pty_link import PtyLink

_UNPLUG_AT = ("heartbeat", "show_staff", "prompt", "result")
_FAULTS = {e.name.lower(): e for e in ErrorCode}
_URL_NAMES = {"delay": "delay_s", "retry": "retry_s", "baud": "baudrate"}


@dataclass
class RatingSimConfig:
    """How the simulated terminal behaves. URL options: ``auto``, ``reasons``, ``delay``,
    ``garbage``, ``garbage_max``, ``corrupt``, ``drop_ack``, ``silent``, ``fault``,
    ``unplug``, ``baud``, ``firmware``, ``retry``, ``retries``, ``seed`` (the field names
    below, with ``delay`` for ``delay_s``, ``retry`` for ``retry_s`` and ``baud`` for
    ``baudrate``)."""

    auto: int | None = None
    """Level (1–5) pressed by itself ``delay_s`` after each prompt; None: wait for press()."""
    reasons: tuple[int, ...] = ()
    """Reason codes the automatic press chooses (sent when the prompt asks reasons and the
    level is 1 or 2)."""
    delay_s: float = 0.5
    """Seconds from a prompt to the automatic press."""
    garbage: float = 0.0
    """Probability (0–1) that 1..garbage_max random bytes precede a frame the terminal
    sends."""
    garbage_max: int = 8
    """Most garbage bytes before one frame."""
    corrupt: float = 0.0
    """Probability (0–1) that a RESULT/TIMEOUT transmission goes out with a damaged CRC."""
    drop_ack: int = 0
    """ACKs of the terminal's own frames to ignore, as if lost on the line: each one makes
    the terminal retransmit (the host must count the rating once)."""
    silent: bool = False
    """Never answer anything (a dead terminal, a wrong port)."""
    fault: str | None = None
    """Answer a PROMPT with an ERROR frame of this kind (display, keys, storage,
    photo_missing, power, other) instead of prompting."""
    unplug: str | None = None
    """Pull the cable when this happens: heartbeat, show_staff or prompt (on receiving it,
    before answering), or result (half-way through sending a RESULT)."""
    baudrate: int | None = 9600
    """Pacing of the bytes the terminal sends, in bit/s (10 bits a byte); None or 0: as fast
    as possible."""
    firmware: str = "SIM-RT 1.0"
    """Firmware version the heartbeat reports."""
    retry_s: float = 0.5
    """Seconds the terminal waits for an ACK before retransmitting (§4.3)."""
    retries: int = 3
    """Retransmissions before the terminal waits for the host's next heartbeat (§4.3)."""
    seed: int | None = None
    """Random seed for garbage and corruption, so a failing run can be repeated."""

    def __post_init__(self) -> None:
        if self.auto is not None and self.auto not in LEVELS:
            raise ValueError(f"auto is a level from 1 to 5, not {self.auto}")
        for name in ("garbage", "corrupt"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability from 0 to 1, not "
                                 f"{getattr(self, name)}")
        if self.drop_ack < 0 or self.retries < 0 or self.garbage_max < 1:
            raise ValueError("drop_ack and retries are 0 or more, garbage_max 1 or more")
        if self.delay_s < 0 or self.retry_s <= 0:
            raise ValueError("delay is 0 s or more, retry more than 0 s")
        self.reasons = tuple(self.reasons)
        if any(not 0 < r <= 0xFF for r in self.reasons):
            raise ValueError(f"reason codes are 1-255 (known: "
                             f"{', '.join(str(c) for c in REASONS)}), not {self.reasons}")
        if self.fault is not None and self.fault not in _FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; use one of "
                             + ", ".join(_FAULTS))
        if self.unplug is not None and self.unplug not in _UNPLUG_AT:
            raise ValueError(f"unplug is one of {', '.join(_UNPLUG_AT)}, not {self.unplug!r}")

    @classmethod
    def from_url_options(cls, options: Mapping[str, str]) -> RatingSimConfig:
        """Build from ``sim://rating?auto=4&delay=0.5&garbage=0.1&drop_ack=1`` options.
        Unknown options and bad values are errors (a plain ValueError)."""
        to_field = _URL_NAMES
        names = {f.name for f in fields(cls)} - set(to_field.values()) | set(to_field)
        if unknown := set(options) - names:
            raise ValueError(f"unknown rating simulator options: "
                             f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(names))}")
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            name = to_field.get(key, key)
            try:
                if name in ("auto", "seed"):
                    kwargs[name] = int(value) if value else None
                elif name == "baudrate":
                    kwargs[name] = int(value) or None
                elif name in ("delay_s", "garbage", "corrupt", "retry_s"):
                    kwargs[name] = float(value)
                elif name in ("garbage_max", "drop_ack", "retries"):
                    kwargs[name] = int(value)
                elif name == "silent":
                    kwargs[name] = value.lower() in ("1", "true", "yes", "on", "")
                elif name == "reasons":
                    kwargs[name] = tuple(int(v, 0) for v in value.split(",") if v)
                elif name in ("fault", "unplug"):
                    kwargs[name] = value or None
                else:
                    kwargs[name] = value
            except ValueError as exc:
                raise ValueError(f"rating simulator option {key}={value!r}: {exc}") from exc
        return cls(**kwargs)


@dataclass
class _Outgoing:
    """A frame the terminal originated, waiting for its ACK."""

    seq: int
    message: Message
    retries_left: int
    next_at: float


class RatingTerminalSim:
    """A rating terminal on a fresh pseudo-terminal; open :attr:`path` with the serial
    driver at 9600 baud."""

    def __init__(self, config: RatingSimConfig | None = None):
        self.config = config or RatingSimConfig()
        self._lock = threading.RLock()
        self._rng = random.Random(self.config.seed)  # noqa: S311 - line noise, not secrets
        self._reader = FrameReader()
        self._seq = 0
        self._state = TerminalState.IDLE
        self._prompt_started = 0.0
        self._prompt_deadline = 0.0
        self._auto_at: float | None = None
        self._outgoing: _Outgoing | None = None
        self._last_key: tuple[int, int] | None = None
        self._last_reply: bytes | None = None
        self._acks_to_drop = self.config.drop_ack
        self.staff: ShowStaff | None = None
        """The staff card shown (None after RESET or before any SHOW_STAFF)."""
        self.prompt: Prompt | None = None
        """The prompt open now, else None."""
        self.prompts: list[Prompt] = []
        """Every prompt accepted, in order."""
        self.received: list[str] = []
        """Type names of the frames received (``bad_frame`` for a bad checksum,
        ``duplicate`` for a retransmitted command answered again)."""
        self.ratings: list[Result] = []
        """Ratings given (once each, however often they were retransmitted)."""
        self.transmissions = 0
        """RESULT/TIMEOUT/ERROR frames written, retransmissions included."""
        self.acks_dropped = 0
        self.unplugged = False
        self._stop = threading.Event()
        self._ready = threading.Event()  # bytes can arrive before self.link is assigned
        self.link = PtyLink(self._on_bytes, baudrate=self.config.baudrate or None)
        self._ready.set()
        self._timer = threading.Thread(target=self._tick, name="rating sim", daemon=True)
        self._timer.start()

    @property
    def path(self) -> str:
        return self.link.path

    @property
    def state(self) -> TerminalState:
        return self._state

    # -- runtime controls

    def press(self, level: int, reasons: tuple[int, ...] | list[int] = ()) -> bool:
        """A citizen presses ``level`` (and, on a 差评 with reasons asked, picks ``reasons``).
        False when no prompt is open: the press rates nothing."""
        if level not in LEVELS:
            raise ValueError(f"level is 1-5, not {level}")
        with self._lock:
            prompt = self.prompt
            if prompt is None or self.unplugged:
                return False
            chosen = tuple(reasons) if prompt.ask_reasons and level <= 2 else ()
            tenths = round((time.monotonic() - self._prompt_started) * 10)
            result = Result(level, chosen, prompt.case_no, tenths)
            self.ratings.append(result)
            self._end_prompt()
            self._originate(result)
            return True

    def restart(self) -> None:
        """A power cut on the terminal's side only (the USB-serial link stays): it forgets
        the staff card, the open prompt, an undelivered result and its sequence memory."""
        with self._lock:
            self.staff = None
            self._outgoing = None
            self._last_key = self._last_reply = None
            self._seq = 0
            self._end_prompt()
            self._state = TerminalState.IDLE

    def unplug(self) -> None:
        """Pull the cable: the driver's next read or write fails."""
        self.unplugged = True
        self._stop.set()
        self.link.unplug()

    close = unplug

    # -- sending

    def _send(self, frame: bytes) -> None:
        config = self.config
        if config.garbage and self._rng.random() < config.garbage:
            frame = self._rng.randbytes(self._rng.randint(1, config.garbage_max)) + frame
        self.link.send(frame)

    def _reply(self, seq: int, message: Message, key: tuple[int, int] | None) -> None:
        frame = encode_message(seq, message)
        if key is not None:
            self._last_key, self._last_reply = key, frame
        self._send(frame)

    def _originate(self, message: Message) -> None:
        self._seq = next_seq(self._seq)
        self._outgoing = _Outgoing(self._seq, message, self.config.retries, 0.0)
        self._state = TerminalState.SENDING
        self._transmit()

    def _transmit(self) -> None:
        out = self._outgoing
        assert out is not None
        frame = encode_message(out.seq, out.message)
        if self.config.corrupt and self._rng.random() < self.config.corrupt:
            frame = frame[:-1] + bytes([frame[-1] ^ 0x5A])
        self.transmissions += 1
        out.next_at = time.monotonic() + self.config.retry_s
        if self.config.unplug == "result" and isinstance(out.message, Result):
            self.link.send(frame[: len(frame) // 2])
            self.unplug()
            return
        self._send(frame)

    def _end_prompt(self) -> None:
        self.prompt = None
        self._auto_at = None
        self._state = TerminalState.STAFF if self.staff else TerminalState.IDLE

    def _settled(self) -> None:
        self._outgoing = None
        if self.prompt is None:
            self._state = TerminalState.STAFF if self.staff else TerminalState.IDLE

    # -- timers: automatic press, prompt timeout, retransmission

    def _tick(self) -> None:
        while not self._stop.wait(0.01):
            with self._lock:
                if self.unplugged or self.config.silent:
                    continue
                now = time.monotonic()
                if self.prompt is not None and self._auto_at is not None and now >= self._auto_at:
                    self._auto_at = None
                    assert self.config.auto is not None
                    self.press(self.config.auto, self.config.reasons)
                elif self.prompt is not None and now >= self._prompt_deadline:
                    case_no = self.prompt.case_no
                    self._end_prompt()
                    self._originate(TimedOut(case_no))
                out = self._outgoing
                if out is not None and out.retries_left > 0 and now >= out.next_at:
                    out.retries_left -= 1
                    self._transmit()

    # -- receiving

    def _on_bytes(self, data: bytes) -> None:
        self._ready.wait()
        with self._lock:
            self._reader.feed(data)
            while True:
                try:
                    frame = self._reader.next_frame()
                except FrameError:
                    self.received.append("bad_frame")
                    if not self.config.silent:
                        self._reply(SEQ_UNKNOWN, Nak(NakCode.BAD_CHECKSUM), None)
                    continue
                if frame is None:
                    return
                self._handle(frame)
                if self.unplugged:
                    return

    def _handle(self, frame: Frame) -> None:
        name = _type_name(frame.type)
        if self.config.silent:
            self.received.append(name)
            return
        if frame.type in REPLY_TYPES:
            self.received.append(name)
            self._on_reply(frame)
            return
        if frame.key == self._last_key and self._last_reply is not None:
            self.received.append("duplicate")
            self._send(self._last_reply)  # its answer got lost: answer again, act once
            return
        self.received.append(name)
        if self.config.unplug == name.lower():
            self.unplug()
            return
        try:
            message = decode_message(frame)
        except PayloadError as exc:
            self._reply(frame.seq, Nak(exc.code), frame.key)
            return
        if frame.type not in (MsgType.HEARTBEAT, MsgType.SHOW_STAFF, MsgType.PROMPT,
                              MsgType.CANCEL, MsgType.RESET):
            self._reply(frame.seq, Nak(NakCode.UNKNOWN_TYPE), frame.key)
            return
        self._reply(frame.seq, self._act(message), frame.key)
        if isinstance(message, Heartbeat) and self._outgoing and not self._outgoing.retries_left:
            self._transmit()  # retries used up: the host's heartbeat says it is back (§4.3)
        if isinstance(message, Prompt) and self.config.fault:
            self._end_prompt()
            code = _FAULTS[self.config.fault]
            self._originate(TerminalError(code, f"simulated {self.config.fault} fault"))

    def _act(self, message: Message) -> Message:
        if isinstance(message, Heartbeat):
            return HeartbeatReply(self._state, self.config.firmware, REASON_TABLE_VERSION)
        if isinstance(message, ShowStaff):
            self.staff = message
            if self._state == TerminalState.IDLE:
                self._state = TerminalState.STAFF
            return Ack()
        if isinstance(message, Prompt):
            if self.prompt is not None or self._outgoing is not None:
                return Nak(NakCode.BUSY)
            self.prompt = message
            self.prompts.append(message)
            self._prompt_started = time.monotonic()
            self._prompt_deadline = self._prompt_started + message.timeout_s
            self._auto_at = (self._prompt_started + self.config.delay_s
                             if self.config.auto is not None else None)
            self._state = TerminalState.PROMPTING
            return Ack()
        if isinstance(message, Cancel):
            if self.prompt is not None:
                self._end_prompt()
            return Ack()
        assert isinstance(message, Reset)
        self.staff = None
        self._outgoing = None
        self._end_prompt()
        self._state = TerminalState.IDLE
        return Ack()

    def _on_reply(self, frame: Frame) -> None:
        out = self._outgoing
        if frame.type == MsgType.ACK:
            if out is None or frame.seq != out.seq:
                return
            if self._acks_to_drop > 0:
                self._acks_to_drop -= 1
                self.acks_dropped += 1
                return
            self._settled()
        elif frame.type == MsgType.NAK and out is not None:
            try:
                nak = decode_message(frame)
            except PayloadError:
                return
            if isinstance(nak, Nak) and nak.code == NakCode.BAD_CHECKSUM:
                self._transmit()  # the host got our frame damaged: send it again now


def _type_name(value: int) -> str:
    try:
        return MsgType(value).name
    except ValueError:
        return f"type_{value:02x}"
