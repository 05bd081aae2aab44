"""Window LED signs (窗口屏, 条屏): serial text controllers driven through a configurable
framing.

Source. There is no public standard for these controllers and no vendor's byte-level
specification is in our research (../shared/research/hardware.md has none; DESIGN.md §4:
"vendor serial text protocols: a configurable framing driver"). What the many small
RS-232/RS-485 text-bar controllers sold for queue systems share is a *shape*: a start
sequence, often a bus address byte, sometimes a length field, the text in GB2312 or GBK
(sometimes behind a command byte and line/effect bytes), a one- or two-byte checksum
(XOR, 8-bit sum or 16-bit sum), an end byte, byte stuffing where the end byte could
otherwise occur inside the frame, and often a one-byte ACK. :class:`SignFraming` names each
of those parts, so a site's controller is described in configuration, not in code.

The presets in :data:`PRESETS` are typical shapes written for this project as examples,
NOT verified against any vendor's controller: take the vendor's manual and set the fields
(docs/devices/sign.md).

Frame layout (every part but the prefix and the payload optional)::

    prefix | address | length | payload | checksum | suffix
            '----------- escaped when an escape rule is set ---'

- ``payload`` is the show (or clear) template filled in: literal bytes, ``{text}``,
  ``{line}`` and ``{effect}``;
- ``length`` counts the payload bytes (``u8``, ``u16be`` or ``u16le``);
- the checksum covers the payload, or address + length + payload
  (``checksum_over="address+payload"``: everything between prefix and checksum); it is
  computed on the bytes before escaping; ``sum16`` is sent in ``checksum_byteorder``;
- with an escape rule every byte of ``escape.escaped`` between prefix and suffix is sent as
  ``escape.byte, b ^ escape.xor`` (``xor=0``: DLE doubling style).

Layers: pure encoders (:func:`encode_text`, :func:`encode_clear`, :func:`encode_frame`),
a pure stream decoder (:func:`decode_frame`, used by the simulator and fuzzed), and
:class:`LedSign`, which is handed a :class:`~drivers.transports.Transport`.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import reduce
from operator import xor
from typing import Any, Literal

from .transports import Transport, TransportTimeout

ENCODINGS = ("gb2312", "gbk")
CHECKSUMS = ("none", "xor", "sum8", "sum16")
CHECKSUM_OVER = ("payload", "address+payload")
LENGTHS = ("none", "u8", "u16be", "u16le")
REPLACEMENT = "□"  # U+25A1, GB2312 A1F5: visible on the bar, unlike "?" lost among digits

# --------------------------------------------------------------------------- templates

_PLACEHOLDER = re.compile(r"\{(text|line|effect)(?::(0[1-3]d))?\}")


@dataclass(frozen=True)
class _Field:
    name: str  # text, line, effect
    spec: str | None  # None: one raw byte (line/effect); "d"/"02d": ASCII decimal


TemplatePart = bytes | _Field


def parse_template(template: str) -> tuple[TemplatePart, ...]:
    """Split a template such as ``"31 {line} {effect} {text}"`` into literal bytes and
    placeholders.

    Literal bytes are hex pairs (spaces allowed) or ASCII in single quotes (``'!#'``).
    ``{line}`` and ``{effect}`` become one raw byte; ``{line:02d}`` (width 1 to 3) that
    many ASCII decimal digits. ``{text}`` is the encoded text.

    :raises ValueError: anything else, in plain words.
    """
    parts: list[TemplatePart] = []
    seen: set[str] = set()
    pos = 0
    literal = bytearray()
    while pos < len(template):
        ch = template[pos]
        if ch == "{":
            match = _PLACEHOLDER.match(template, pos)
            if not match:
                raise ValueError(f"template {template!r}: unknown placeholder at {pos}; use "
                                 "{text}, {line}, {effect}, {line:02d} or {effect:01d}")
            name, spec = match.group(1), match.group(2)
            if name in seen:
                raise ValueError(f"template {template!r}: {{{name}}} appears twice")
            if name == "text" and spec:
                raise ValueError(f"template {template!r}: {{text}} takes no format")
            seen.add(name)
            if literal:
                parts.append(bytes(literal))
                literal.clear()
            parts.append(_Field(name, spec))
            pos = match.end()
        elif ch == "'":
            end = template.find("'", pos + 1)
            if end < 0:
                raise ValueError(f"template {template!r}: unclosed quote at {pos}")
            try:
                literal += template[pos + 1 : end].encode("ascii")
            except UnicodeEncodeError:
                raise ValueError(f"template {template!r}: quoted text must be ASCII; write "
                                 "other bytes in hex") from None
            pos = end + 1
        elif ch.isspace():
            pos += 1
        else:
            pair = template[pos : pos + 2]
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", pair):
                raise ValueError(f"template {template!r}: expected two hex digits at {pos}, "
                                 f"got {pair!r}")
            literal.append(int(pair, 16))
            pos += 2
    if literal:
        parts.append(bytes(literal))
    return tuple(parts)


def _hex(text: str | bytes | None) -> bytes:
    if text is None:
        return b""
    if isinstance(text, bytes):
        return text
    cleaned = re.sub(r"[\s:,-]|0x", "", text, flags=re.IGNORECASE)
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not hex bytes (e.g. \"AA 55\")") from None


# --------------------------------------------------------------------------- framing


@dataclass(frozen=True)
class SignEscape:
    """Byte stuffing: each byte of :attr:`escaped` between prefix and suffix is sent as
    ``byte, b ^ xor``."""

    byte: int
    """The escape byte, e.g. 0x10 (DLE) or 0x7D."""
    escaped: bytes
    """Bytes that never appear raw inside a frame; must hold the escape byte itself, the
    prefix's first byte and the suffix's first byte."""
    xor: int = 0
    """XOR applied to the escaped byte (0x20 in HDLC style; 0: the byte itself follows)."""


@dataclass(frozen=True)
class SignFraming:
    """How one model of LED sign controller frames its text. Every field is plain data, so
    a site can describe its controller in configuration (:meth:`from_options`)."""

    prefix: bytes
    """Start of every frame (at least one byte), e.g. ``b"\\x02"`` (STX)."""
    suffix: bytes = b""
    """End of every frame, e.g. ``b"\\x03"`` (ETX); may be empty when a length field
    delimits the frame."""
    encoding: Literal["gb2312", "gbk"] = "gb2312"
    """The controller font's character set. GBK holds about 21 000 characters, GB2312
    about 6 800 (many rare name characters are missing from it)."""
    checksum: Literal["none", "xor", "sum8", "sum16"] = "none"
    """xor: XOR of the bytes; sum8: their sum mod 256; sum16: sum mod 65536, two bytes."""
    checksum_over: Literal["payload", "address+payload"] = "payload"
    """What the checksum covers: the payload only, or everything between prefix and
    checksum (address byte, length field and payload)."""
    checksum_byteorder: Literal["big", "little"] = "big"
    """Byte order of a sum16 checksum."""
    address: int | None = None
    """Bus address byte (0–255) sent right after the prefix; None: no address byte. On an
    RS-485 bus each sign answers only frames with its own address."""
    length: Literal["none", "u8", "u16be", "u16le"] = "none"
    """Length field after the address: the number of payload bytes."""
    escape: SignEscape | None = None
    """Byte stuffing, or None."""
    max_chars: int = 64
    """Most characters the controller accepts in one frame (a CJK character counts as one);
    longer text is cut and reported."""
    show_template: str = "{text}"
    """The payload that shows text (see :func:`parse_template`)."""
    clear_template: str | None = None
    """The payload that blanks the sign; None: show an empty text."""
    line: int = 0
    """Default value of ``{line}`` (which line of a multi-line sign)."""
    effect: int = 0
    """Default value of ``{effect}`` (controller-specific: immediate, scroll, flash ...)."""
    ack: bytes | None = None
    """What the controller answers to a good frame (e.g. ``b"\\x06"``); None: it answers
    nothing and :meth:`LedSign.show` does not wait."""
    nak: bytes | None = None
    """What it answers to a frame it rejects (e.g. ``b"\\x15"``), or None."""
    replacement: str = REPLACEMENT
    """Shown instead of a character the encoding lacks; must itself be encodable."""
    name: str = "custom"
    """A label for messages: the preset name, or "custom"."""

    def __post_init__(self) -> None:
        problems = _framing_problems(self)
        if problems:
            raise ValueError(f"sign framing {self.name!r}: " + "; ".join(problems))

    @property
    def show_parts(self) -> tuple[TemplatePart, ...]:
        return parse_template(self.show_template)

    @property
    def clear_parts(self) -> tuple[TemplatePart, ...] | None:
        return None if self.clear_template is None else parse_template(self.clear_template)

    @property
    def max_payload_bytes(self) -> int:
        """The largest payload :func:`encode_text` makes: the template's literals, 2 bytes
        a character, the width of a decimal placeholder."""
        total = 0
        for parts in (self.show_parts, self.clear_parts or ()):
            size = sum(len(p) if isinstance(p, bytes) else
                       2 * self.max_chars if p.name == "text" else
                       1 if p.spec is None else _spec_width(p.spec) for p in parts)
            total = max(total, size)
        return total

    @property
    def max_frame_bytes(self) -> int:
        """A bound on a whole frame on the wire; longer runs are line noise to the decoder."""
        inner = ((self.address is not None) + _LENGTH_BYTES[self.length]
                 + self.max_payload_bytes + _CHECKSUM_BYTES[self.checksum])
        if self.escape is not None:
            inner *= 2
        return len(self.prefix) + inner + len(self.suffix)

    @classmethod
    def from_options(cls, options: Mapping[str, Any], base: SignFraming | None = None
                     ) -> SignFraming:
        """A framing from configuration: ``preset`` (a name in :data:`PRESETS`) and any
        field to override. Byte fields (prefix, suffix, ack, nak) are hex strings
        (``"AA 55"``); the escape rule is ``escape_byte``, ``escape_bytes`` (hex) and
        ``escape_xor``; numbers may be decimal or ``0x..`` strings. Unknown keys are errors.
        """
        names = {f.name for f in fields(cls)} - {"escape", "name"}
        known = names | {"preset", "escape_byte", "escape_bytes", "escape_xor"}
        if unknown := set(options) - known:
            raise ValueError(f"unknown sign framing options: {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(known))}")
        framing = base or PRESETS[DEFAULT_PRESET]
        if "preset" in options:
            framing = preset(str(options["preset"]))
        values: dict[str, Any] = {}
        for key, raw in options.items():
            if key in ("preset", "escape_byte", "escape_bytes", "escape_xor"):
                continue
            if key in ("prefix", "suffix"):
                values[key] = _hex(raw)
            elif key in ("ack", "nak"):
                values[key] = _hex(raw) or None
            elif key in ("address",):
                values[key] = None if str(raw).lower() in ("", "none") else _int(key, raw)
            elif key in ("max_chars", "line", "effect"):
                values[key] = _int(key, raw)
            elif key == "clear_template":
                values[key] = str(raw) or None
            else:
                values[key] = str(raw)
        if {"escape_byte", "escape_bytes", "escape_xor"} & set(options):
            old = framing.escape
            byte = options.get("escape_byte", old.byte if old else None)
            if byte is None or str(byte).lower() in ("", "none"):
                values["escape"] = None
            else:
                escaped = (_hex(options["escape_bytes"]) if "escape_bytes" in options
                           else old.escaped if old else b"")
                values["escape"] = SignEscape(
                    _int("escape_byte", byte), escaped,
                    _int("escape_xor", options.get("escape_xor", old.xor if old else 0)))
        values["name"] = framing.name if not values else f"{framing.name}+custom"
        return replace(framing, **values)


_LENGTH_BYTES = {"none": 0, "u8": 1, "u16be": 2, "u16le": 2}
_CHECKSUM_BYTES = {"none": 0, "xor": 1, "sum8": 1, "sum16": 2}


def _spec_width(spec: str) -> int:
    return int(spec[1:-1])  # "02d" -> 2


def _int(key: str, raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"{key} must be a whole number, not {raw!r}")
    if isinstance(raw, int):
        return raw
    try:
        return int(str(raw), 0)
    except ValueError:
        raise ValueError(f"{key} must be a whole number (decimal or 0x..), not {raw!r}") from None


def _framing_problems(f: SignFraming) -> list[str]:
    problems: list[str] = []

    def choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
        if value not in allowed:
            problems.append(f"{name} must be one of {', '.join(allowed)}, not {value!r}")

    choice("encoding", f.encoding, ENCODINGS)
    choice("checksum", f.checksum, CHECKSUMS)
    choice("checksum_over", f.checksum_over, CHECKSUM_OVER)
    choice("checksum_byteorder", f.checksum_byteorder, ("big", "little"))
    choice("length", f.length, LENGTHS)
    if not f.prefix:
        problems.append("prefix must be at least one byte (a frame needs a start)")
    if not f.suffix and f.length == "none":
        problems.append("a frame needs an end: set a suffix or a length field")
    if f.address is not None and not 0 <= f.address <= 255:
        problems.append(f"address must be 0–255, not {f.address}")
    for name in ("line", "effect"):
        if not 0 <= getattr(f, name) <= 255:
            problems.append(f"{name} must be 0–255, not {getattr(f, name)}")
    if not 1 <= f.max_chars <= 4096:
        problems.append(f"max_chars must be 1–4096, not {f.max_chars}")
    for name in ("ack", "nak"):
        if getattr(f, name) == b"":
            problems.append(f"{name} must be None or at least one byte")
    try:
        show = parse_template(f.show_template)
        if not any(isinstance(p, _Field) and p.name == "text" for p in show):
            problems.append("show_template must contain {text}")
        if f.clear_template is not None:
            clear = parse_template(f.clear_template)
            if any(isinstance(p, _Field) and p.name == "text" for p in clear):
                problems.append("clear_template must not contain {text}")
    except ValueError as exc:
        problems.append(str(exc))
    if f.encoding in ENCODINGS:
        try:
            f.replacement.encode(f.encoding)
            if len(f.replacement) != 1:
                problems.append("replacement must be one character")
        except UnicodeEncodeError:
            problems.append(f"replacement {f.replacement!r} is not in {f.encoding}")
    if f.escape is not None:
        e = f.escape
        if not (0 <= e.byte <= 255 and 0 <= e.xor <= 255):
            problems.append("escape byte and xor must be 0–255")
        if not f.suffix:
            problems.append("an escape rule needs a suffix (escaping protects the suffix)")
        needed = {e.byte, f.prefix[:1][0] if f.prefix else e.byte,
                  f.suffix[:1][0] if f.suffix else e.byte}
        if missing := needed - set(e.escaped):
            problems.append("escape bytes must include the escape byte and the first bytes of "
                            "prefix and suffix; missing " + " ".join(f"{b:02X}" for b in
                                                                    sorted(missing)))
        if e.xor and any((b ^ e.xor) in e.escaped for b in e.escaped):
            problems.append("an escaped byte XOR escape_xor must not itself need escaping")
    if not problems:
        try:  # the default line and effect must fit their placeholders
            _fill(parse_template(f.show_template), b"", f.line, f.effect)
            if f.clear_template is not None:
                _fill(parse_template(f.clear_template), b"", f.line, f.effect)
        except ValueError as exc:
            problems.append(str(exc))
    if not problems and f.length == "u8" and f.max_payload_bytes > 0xFF:
        problems.append(f"a u8 length field holds at most 255 payload bytes; lower max_chars "
                        f"(now {f.max_chars})")
    return problems


# --------------------------------------------------------------------------- encoding


@dataclass(frozen=True)
class PreparedText:
    """Text made fit for the sign: what it will show and what had to change."""

    shown: str
    """The text as the sign will show it (replacements in, cut to max_chars)."""
    data: bytes
    """``shown`` in the framing's encoding."""
    replaced: tuple[str, ...] = ()
    """Characters the encoding lacks, each replaced by the replacement mark."""
    truncated: int = 0
    """Characters cut off beyond ``max_chars``."""


def prepare_text(text: str, framing: SignFraming) -> PreparedText:
    """Encode ``text`` for the sign, never failing: a character the encoding lacks (or a
    control character) becomes ``framing.replacement`` and is listed in ``replaced``;
    tabs and line breaks become spaces; text beyond ``max_chars`` is cut."""
    # NFC first: a decomposed "é" would otherwise turn into two marks
    text = unicodedata.normalize("NFC", text)
    chars: list[str] = []
    replaced: list[str] = []
    for ch in text:
        if ch in "\t\r\n":
            chars.append(" ")
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            replaced.append(ch)
            chars.append(framing.replacement)
            continue
        try:
            ch.encode(framing.encoding)
        except UnicodeEncodeError:
            replaced.append(ch)
            chars.append(framing.replacement)
            continue
        chars.append(ch)
    truncated = max(0, len(chars) - framing.max_chars)
    shown = "".join(chars[: framing.max_chars])
    return PreparedText(shown, shown.encode(framing.encoding), tuple(replaced), truncated)


def _fill(parts: tuple[TemplatePart, ...], text: bytes, line: int, effect: int) -> bytes:
    out = bytearray()
    for part in parts:
        if isinstance(part, bytes):
            out += part
        elif part.name == "text":
            out += text
        else:
            value = line if part.name == "line" else effect
            if part.spec is None:
                out.append(value)
            else:
                digits = format(value, part.spec)
                if len(digits) > _spec_width(part.spec):
                    raise ValueError(f"{part.name} {value} does not fit {{{part.name}:"
                                     f"{part.spec}}}")
                out += digits.encode("ascii")
    return bytes(out)


def _checksum(kind: str, data: bytes, byteorder: Literal["big", "little"]) -> bytes:
    if kind == "xor":
        return bytes([reduce(xor, data, 0)])
    if kind == "sum8":
        return bytes([sum(data) & 0xFF])
    if kind == "sum16":
        return (sum(data) & 0xFFFF).to_bytes(2, byteorder)
    return b""


def _length_field(kind: str, n: int) -> bytes:
    if kind == "u8":
        return n.to_bytes(1, "big")
    if kind == "u16be":
        return n.to_bytes(2, "big")
    if kind == "u16le":
        return n.to_bytes(2, "little")
    return b""


def _escape(data: bytes, rule: SignEscape | None) -> bytes:
    if rule is None:
        return data
    out = bytearray()
    for b in data:
        if b in rule.escaped:
            out += bytes([rule.byte, b ^ rule.xor])
        else:
            out.append(b)
    return bytes(out)


def encode_frame(payload: bytes, framing: SignFraming, address: int | None = None) -> bytes:
    """The whole frame around ``payload`` (already filled in from a template).

    :param address: overrides ``framing.address`` (0–255) for this frame.
    """
    address = framing.address if address is None else address
    head = b"" if framing.address is None else bytes([address])
    try:
        head += _length_field(framing.length, len(payload))
    except OverflowError:
        raise ValueError(f"payload of {len(payload)} bytes does not fit a {framing.length} "
                         "length field") from None
    covered = payload if framing.checksum_over == "payload" else head + payload
    check = _checksum(framing.checksum, covered, framing.checksum_byteorder)
    return framing.prefix + _escape(head + payload + check, framing.escape) + framing.suffix


class SignFrame(bytes):
    """A frame ready to send (it *is* the bytes) that also says what the sign will show:
    :attr:`shown`, :attr:`replaced` characters and :attr:`truncated` count."""

    shown: str
    replaced: tuple[str, ...]
    truncated: int

    def __new__(cls, data: bytes, prepared: PreparedText) -> SignFrame:
        self = super().__new__(cls, data)
        self.shown = prepared.shown
        self.replaced = prepared.replaced
        self.truncated = prepared.truncated
        return self


def encode_text(text: str, framing: SignFraming, *, line: int | None = None,
                effect: int | None = None) -> SignFrame:
    """The frame that shows ``text``. Never raises for the text itself: characters the
    encoding lacks become the replacement mark and are reported on the result
    (``frame.replaced``), as is text cut beyond ``max_chars`` (``frame.truncated``)."""
    prepared = prepare_text(text, framing)
    line = framing.line if line is None else line
    effect = framing.effect if effect is None else effect
    if not (0 <= line <= 255 and 0 <= effect <= 255):
        raise ValueError(f"line and effect must be 0–255, not {line} and {effect}")
    payload = _fill(framing.show_parts, prepared.data, line, effect)
    return SignFrame(encode_frame(payload, framing), prepared)


def encode_clear(framing: SignFraming, *, line: int | None = None) -> bytes:
    """The frame that blanks the sign: the clear template, or an empty text."""
    parts = framing.clear_parts
    if parts is None:
        return bytes(encode_text("", framing, line=line))
    return encode_frame(_fill(parts, b"", framing.line if line is None else line,
                              framing.effect), framing)


# --------------------------------------------------------------------------- presets

DEFAULT_PRESET = "stx-etx"

PRESETS: dict[str, SignFraming] = {
    # STX, address, GB2312 text, XOR over address+text, ETX; DLE stuffing; ACK 06 / NAK 15.
    # A typical shape of RS-485 bus text bars, not a vendor-verified protocol.
    "stx-etx": SignFraming(
        prefix=b"\x02", suffix=b"\x03", encoding="gb2312", checksum="xor",
        checksum_over="address+payload", address=0x01,
        escape=SignEscape(0x10, b"\x02\x03\x10", 0x00), max_chars=64,
        ack=b"\x06", nak=b"\x15", name="stx-etx"),
    # AA 55, address, 16-bit big-endian length, command 31 + line + effect + GBK text,
    # 16-bit sum over address+length+payload; clear is command 32. No suffix: the length
    # delimits the frame. Typical shape of "packet" controllers; not vendor-verified.
    "aa55-sum16": SignFraming(
        prefix=b"\xaa\x55", suffix=b"", encoding="gbk", checksum="sum16",
        checksum_over="address+payload", address=0x00, length="u16be", max_chars=120,
        show_template="31 {line} {effect} {text}", clear_template="32 {line}", line=0,
        effect=1, ack=b"\xaa\x55\x06", nak=b"\xaa\x55\x15", name="aa55-sum16"),
    # FE, address, 8-bit length, GBK text, 8-bit sum over the text, FF; no answer at all
    # (many cheap bars are write-only). Typical shape; not vendor-verified.
    "fe-sum8": SignFraming(
        prefix=b"\xfe", suffix=b"\xff", encoding="gbk", checksum="sum8",
        checksum_over="payload", address=0x01, length="u8", max_chars=100, name="fe-sum8"),
}
"""Example framings. They are typical shapes, written for this project; no vendor manual
confirms them. Describe a real controller with :meth:`SignFraming.from_options`."""


def preset(name: str) -> SignFraming:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown sign preset {name!r}; known: "
                         + ", ".join(sorted(PRESETS))) from None


# --------------------------------------------------------------------------- decoding


class FrameError(Exception):
    """Bytes that are not a usable frame (bad checksum, bad escape, a frame cut off by the
    next one, a payload that fits no template). ``consumed``: drop that many bytes."""

    def __init__(self, message: str, consumed: int):
        super().__init__(message)
        self.consumed = consumed


@dataclass(frozen=True)
class SignMessage:
    """One decoded frame: what a controller would do with it."""

    kind: Literal["show", "clear"]
    text: str
    address: int | None
    line: int
    effect: int
    payload: bytes = field(repr=False, default=b"")


def _partial_tail(buf: bytes | bytearray, marker: bytes) -> int:
    for k in range(min(len(marker) - 1, len(buf)), 0, -1):
        if buf.endswith(marker[:k]):
            return k
    return 0


def _template_regex(parts: tuple[TemplatePart, ...]) -> re.Pattern[bytes]:
    pattern = b""
    for part in parts:
        if isinstance(part, bytes):
            pattern += re.escape(part)
        elif part.name == "text":
            pattern += b"(?P<text>.*)"
        elif part.spec is None:
            pattern += b"(?P<" + part.name.encode() + b">.)"
        else:
            digits = b"[0-9]{%d}" % _spec_width(part.spec)
            pattern += b"(?P<" + part.name.encode() + b">" + digits + b")"
    return re.compile(pattern, re.DOTALL)


def parse_payload(payload: bytes, framing: SignFraming, address: int | None = None
                  ) -> SignMessage:
    """What a payload asks the sign to do.

    :raises FrameError: it matches neither template, or the text is not in the encoding
        (``consumed`` is 0: the caller knows the frame's size).
    """
    candidates: list[tuple[Literal["show", "clear"], tuple[TemplatePart, ...]]] = []
    if framing.clear_parts is not None:
        candidates.append(("clear", framing.clear_parts))
    candidates.append(("show", framing.show_parts))
    for kind, parts in candidates:
        match = _template_regex(parts).fullmatch(payload)
        if match is None:
            continue
        values = {}
        for part in parts:
            if isinstance(part, _Field) and part.name != "text":
                raw = match.group(part.name)
                values[part.name] = raw[0] if part.spec is None else int(raw)
        raw_text = match.groupdict().get("text") or b""
        try:
            text = raw_text.decode(framing.encoding)
        except UnicodeDecodeError as exc:
            raise FrameError(f"文字编码错误 / the text is not valid {framing.encoding} "
                             f"({exc.reason} at byte {exc.start})", 0) from None
        if kind == "show" and not text and framing.clear_parts is None:
            kind = "clear"
        return SignMessage(kind, text, address, values.get("line", framing.line),
                           values.get("effect", framing.effect), payload)
    raise FrameError("帧内容不符合模板 / the payload matches no template", 0)


def _parse_body(body: bytes, framing: SignFraming) -> SignMessage:
    """Address, length, payload and checksum of an unescaped body (prefix and suffix off).
    Raises FrameError with consumed=0 (the caller sets it)."""
    pos = 0
    address = None
    if framing.address is not None:
        if len(body) < 1:
            raise FrameError("帧太短 / frame too short", 0)
        address = body[0]
        pos = 1
    size = _LENGTH_BYTES[framing.length]
    check = _CHECKSUM_BYTES[framing.checksum]
    if len(body) < pos + size + check:
        raise FrameError("帧太短 / frame too short", 0)
    if size:
        order: Literal["big", "little"] = "little" if framing.length == "u16le" else "big"
        declared = int.from_bytes(body[pos : pos + size], order)
        if declared != len(body) - pos - size - check:
            raise FrameError(f"长度字段不符 / length field says {declared} bytes, the frame "
                             f"holds {len(body) - pos - size - check}", 0)
    payload = body[pos + size : len(body) - check]
    if check:
        covered = payload if framing.checksum_over == "payload" else body[: len(body) - check]
        want = _checksum(framing.checksum, covered, framing.checksum_byteorder)
        got = body[len(body) - check :]
        if want != got:
            raise FrameError(f"校验和错误 / checksum error ({got.hex().upper()}, expected "
                             f"{want.hex().upper()})", 0)
    return parse_payload(payload, framing, address)


def _with_consumed(exc: FrameError, consumed: int) -> FrameError:
    return FrameError(str(exc), consumed)


def decode_frame(buf: bytes | bytearray, framing: SignFraming) -> tuple[SignMessage | None, int]:
    """Decode the next frame from a byte stream, as a controller would.

    Returns ``(message, consumed)`` for a whole frame (``consumed`` includes garbage before
    it), or ``(None, n)`` when more bytes are needed; the first ``n`` bytes can be dropped.

    :raises FrameError: a bad frame; drop ``exc.consumed`` (> 0) bytes and go on.
    """
    buf = bytes(buf)
    prefix = framing.prefix
    limit = framing.max_frame_bytes
    start = 0
    while True:
        i = buf.find(prefix, start)
        if i < 0:
            return None, len(buf) - _partial_tail(buf, prefix)
        body_at = i + len(prefix)
        if framing.escape is not None:
            result = _scan_escaped(buf, i, body_at, framing)
        elif framing.length != "none":
            result = _scan_length(buf, i, body_at, framing)
        else:
            result = _scan_suffix(buf, i, body_at, framing)
        if result == "resync":
            start = i + 1
            continue
        if result == "wait":
            if len(buf) - i > limit:
                start = i + 1  # far longer than any frame: that prefix was noise
                continue
            return None, i
        return result


_Scan = tuple[SignMessage, int] | Literal["wait", "resync"]


def _scan_escaped(buf: bytes, i: int, j: int, framing: SignFraming) -> _Scan:
    rule = framing.escape
    assert rule is not None
    prefix, suffix = framing.prefix, framing.suffix
    body = bytearray()
    while j < len(buf):
        b = buf[j]
        if buf.startswith(suffix, j):
            end = j + len(suffix)
            try:
                return _parse_body(bytes(body), framing), end
            except FrameError as exc:
                raise _with_consumed(exc, end) from None
        if buf.startswith(prefix, j):
            # the prefix's first byte is always escaped inside a frame, so this is a new
            # frame that started before this one ended: this one was cut off
            raise FrameError("帧被截断 / frame cut off by the next one", j)
        if b in rule.escaped and (suffix.startswith(buf[j:]) or prefix.startswith(buf[j:])):
            return "wait"  # a suffix or prefix is arriving
        if b == rule.byte:
            if j + 1 >= len(buf):
                return "wait"
            value = buf[j + 1] ^ rule.xor
            if value not in rule.escaped:
                raise FrameError(f"无效转义 / bad escape {b:02X} {buf[j + 1]:02X}", j + 2)
            body.append(value)
            j += 2
            continue
        if b in rule.escaped:
            raise FrameError(f"帧内出现未转义字节 / unescaped {b:02X} inside a frame", j + 1)
        body.append(b)
        j += 1
    return "wait"


def _scan_length(buf: bytes, i: int, j: int, framing: SignFraming) -> _Scan:
    head = (framing.address is not None) + _LENGTH_BYTES[framing.length]
    if len(buf) < j + head:
        return "wait"
    order: Literal["big", "little"] = "little" if framing.length == "u16le" else "big"
    declared = int.from_bytes(buf[j + head - _LENGTH_BYTES[framing.length] : j + head], order)
    if declared > framing.max_payload_bytes:
        return "resync"
    end = j + head + declared + _CHECKSUM_BYTES[framing.checksum]
    if len(buf) < end + len(framing.suffix):
        return "wait"
    if not buf.startswith(framing.suffix, end):
        return "resync"  # not a frame after all (or one whose end was lost)
    try:
        return _parse_body(buf[j:end], framing), end + len(framing.suffix)
    except FrameError as exc:
        raise _with_consumed(exc, end + len(framing.suffix)) from None


def _scan_suffix(buf: bytes, i: int, j: int, framing: SignFraming) -> _Scan:
    """No length and no escaping: the frame ends at the first suffix whose checksum fits."""
    suffix = framing.suffix
    first_end: int | None = None
    first_error: FrameError | None = None
    k = buf.find(suffix, j)
    while 0 <= k <= i + framing.max_frame_bytes:
        end = k + len(suffix)
        try:
            return _parse_body(buf[j:k], framing), end
        except FrameError as exc:
            if first_end is None:
                first_end, first_error = end, exc
        k = buf.find(suffix, k + 1)
    if first_end is None:
        return "wait"
    assert first_error is not None
    # Give up on this frame once a new one has started after its first possible end (or
    # the buffer outgrew any frame); until then the real end may still be arriving.
    if buf.find(framing.prefix, first_end) >= 0 or len(buf) - i > framing.max_frame_bytes:
        raise _with_consumed(first_error, first_end)
    return "wait"


# --------------------------------------------------------------------------- driver


class SignError(Exception):
    """The sign answered, but not with an ACK. ``message`` and ``hint`` are "中文 /
    English"."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


HINT_FRAMING = ("检查窗口屏的型号设置（预设、地址、编码、校验）是否与控制卡一致 / "
                "Check that the sign settings (preset, address, encoding, checksum) match the "
                "controller")


@dataclass(frozen=True)
class ShowResult:
    """What :meth:`LedSign.show` sent. ``acked`` is None when the framing has no ACK."""

    shown: str
    replaced: tuple[str, ...] = ()
    truncated: int = 0
    acked: bool | None = None


class LedSign:
    """An LED sign behind a transport, speaking ``framing``.

    :param timeout_s: longest wait for the ACK after a frame, in seconds (not used by
        framings without an ACK).
    """

    def __init__(self, transport: Transport, framing: SignFraming, timeout_s: float = 1.0):
        self.transport = transport
        self.framing = framing
        self.timeout_s = timeout_s

    def show(self, text: str, *, line: int | None = None, effect: int | None = None
             ) -> ShowResult:
        """Show ``text``; with an ACK framing, wait for the ACK.

        :raises TransportTimeout: no answer within ``timeout_s``.
        :raises SignError: a NAK, or an answer that is not an ACK.
        :raises TransportError: the link failed.
        """
        frame = encode_text(text, self.framing, line=line, effect=effect)
        acked = self._send(frame)
        return ShowResult(frame.shown, frame.replaced, frame.truncated, acked)

    def clear(self, *, line: int | None = None) -> ShowResult:
        """Blank the sign (same errors as :meth:`show`)."""
        acked = self._send(encode_clear(self.framing, line=line))
        return ShowResult("", acked=acked)

    def _send(self, frame: bytes) -> bool | None:
        ack, nak = self.framing.ack, self.framing.nak
        if ack is not None:
            # a late ACK of an earlier frame must not be taken for this one's
            while self.transport.read(256, 0):
                pass
        self.transport.write(bytes(frame))
        if ack is None:
            return None
        deadline = time.monotonic() + self.timeout_s
        got = bytearray()
        while True:
            if ack in got:
                return True
            if nak is not None and nak in got:
                raise SignError("窗口屏拒收了这一帧 / the sign rejected the frame (NAK)",
                                HINT_FRAMING)
            left = deadline - time.monotonic()
            if left <= 0:
                break
            got += self.transport.read(64, left)
        if got:
            raise SignError(f"窗口屏应答有误 / the sign answered {len(got)} unexpected bytes "
                            f"({bytes(got[:8]).hex(' ').upper()}), not an ACK",
                            "检查波特率和数据线 / Check the baud rate and the cable; "
                            + HINT_FRAMING)
        raise TransportTimeout(f"{self.transport.name}: the sign did not acknowledge within "
                               f"{self.timeout_s:g} s")
