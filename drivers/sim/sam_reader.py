"""A simulated GA 467 SAM ID card reader: answers the same frames as a real one on a
pseudo-terminal (:class:`~drivers.sim.pty_link.PtyLink`), so :class:`drivers.sam_ga467.SamReader`
runs its real serial code against it.

Cards are described in TOML (``drivers/sim/cards/*.toml``); :func:`load_card` BUILDS the
256-byte UCS-2LE text from the fields, using its own copy of the layouts of
../shared/research/hardware.md §1.3 (deliberately not the parser's), plus a 1024-byte fake
WLT blob that no decoder will accept.

Behaviour is configuration (:class:`SamSimConfig`, also from ``sim://idcard?...`` options via
:meth:`SamSimConfig.from_url_options`): the card placed at start, link pacing, whether find
succeeds again after a completed read, injected SW3 errors per command, garbage before
replies, stalls, fingerprints, and unplugging in the middle of a reply. At run time:
:meth:`SamReaderSim.place`, :meth:`~SamReaderSim.remove`, :meth:`~SamReaderSim.unplug`,
:meth:`~SamReaderSim.set_error`, :meth:`~SamReaderSim.set_stall`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import struct
import threading
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ..sam_ga467 import Command, FrameError, decode_command, encode_response
from .pty_link import PtyLink

# --------------------------------------------------------------------------- card builder

TEXT_BYTES = 256
WLT_BYTES = 1024
LONG_TERM = "长期"


class CardSpecError(ValueError):
    """A card description that cannot be built (unknown key, missing field, too long)."""


# (field, byte offset, byte size) per card type, written from hardware.md §1.3.
_LAYOUTS: dict[str, tuple[str, list[tuple[str, int, int]]]] = {
    "resident": ("", [
        ("name", 0, 30), ("sex", 30, 2), ("nation", 32, 4), ("birth", 36, 16),
        ("address", 52, 70), ("id_number", 122, 36), ("authority", 158, 30),
        ("valid_from", 188, 16), ("valid_to", 204, 16),
    ]),
    "hmt_permit": ("J", [
        ("name", 0, 30), ("sex", 30, 2), ("birth", 36, 16), ("address", 52, 70),
        ("id_number", 122, 36), ("authority", 158, 30), ("valid_from", 188, 16),
        ("valid_to", 204, 16), ("pass_number", 220, 18), ("issue_count", 238, 4),
    ]),
    "foreign_2017": ("I", [
        ("english_name", 0, 120), ("sex", 120, 2), ("id_number", 122, 30),
        ("nationality", 152, 6), ("name", 158, 30), ("valid_from", 188, 16),
        ("valid_to", 204, 16), ("birth", 220, 16), ("card_version", 236, 4),
        ("authority_code", 240, 8),
    ]),
    "foreign_2023": ("Y", [
        ("name", 0, 30), ("sex", 30, 2), ("renewal_count", 32, 4), ("birth", 36, 16),
        ("english_name", 52, 70), ("id_number", 122, 36), ("valid_from", 188, 16),
        ("valid_to", 204, 16), ("english_name_2", 220, 22), ("nationality", 242, 6),
        ("old_permit_link", 250, 6),
    ]),
}
_MARKER_AT = 248
_REQUIRED = {"type", "name", "sex", "birth", "id_number", "valid_from", "valid_to"}
_OPTIONAL = {"nation", "address", "authority", "pass_number", "issue_count", "english_name",
             "nationality", "card_version", "authority_code", "renewal_count",
             "old_permit_link", "description"}


def _text_value(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    return str(value)


def _put(text: bytearray, name: str, value: str, offset: int, size: int) -> None:
    encoded = value.encode("utf-16-le")  # non-BMP characters become surrogate pairs
    if len(encoded) > size:
        raise CardSpecError(f"{name} {value!r} needs {len(encoded)} bytes; the field has {size}")
    text[offset : offset + size] = encoded + " ".encode("utf-16-le") * ((size - len(encoded)) // 2)


def build_text(spec: Mapping[str, Any]) -> bytes:
    """The 256-byte card text for a card description (the keys of the sample cards)."""
    keys = set(spec)
    if unknown := keys - _REQUIRED - _OPTIONAL:
        raise CardSpecError(f"unknown card keys: {', '.join(sorted(unknown))}")
    if missing := _REQUIRED - keys:
        raise CardSpecError(f"missing card keys: {', '.join(sorted(missing))}")
    card_type = spec["type"]
    if card_type not in _LAYOUTS:
        raise CardSpecError(f"type must be one of {', '.join(_LAYOUTS)}, not {card_type!r}")
    marker, layout = _LAYOUTS[card_type]
    values = {k: _text_value(v) for k, v in spec.items()}
    if card_type == "foreign_2023":  # the English name continues at 220 after 35 characters
        english = values.get("english_name", "")
        values["english_name"], values["english_name_2"] = english[:35], english[35:]
    text = bytearray(" ".encode("utf-16-le") * (TEXT_BYTES // 2))
    for name, offset, size in layout:
        _put(text, name, values.get(name, ""), offset, size)
    if marker:
        _put(text, "marker", marker, _MARKER_AT, 2)
    return bytes(text)


def fake_wlt(seed: str) -> bytes:
    """1024 bytes that stand in for a WLT photo (deterministic per card, not a real image)."""
    out = bytearray(b"SIM-WLT\x00")
    counter = 0
    while len(out) < WLT_BYTES:
        out += hashlib.sha256(f"{seed}/{counter}".encode()).digest()
        counter += 1
    return bytes(out[:WLT_BYTES])


CARDS_PACKAGE = "drivers.sim"
CARDS_DIR = "cards"


def sample_cards() -> list[str]:
    """Names of the shipped sample cards."""
    folder = resources.files(CARDS_PACKAGE).joinpath(CARDS_DIR)
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                  if p.name.endswith(".toml"))


def card_spec(card: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A card description from a mapping, a TOML file path, or a sample card's name."""
    if isinstance(card, Mapping):
        return dict(card)
    text = str(card)
    if isinstance(card, Path) or "/" in text or text.endswith(".toml"):
        raw = Path(card).read_bytes()
    else:
        entry = resources.files(CARDS_PACKAGE).joinpath(CARDS_DIR, f"{text}.toml")
        if not entry.is_file():
            raise CardSpecError(f"no sample card {text!r}; there are: "
                                + ", ".join(sample_cards()))
        raw = entry.read_bytes()
    return tomllib.loads(raw.decode("utf-8"))


def load_card(card: str | Path | Mapping[str, Any]) -> tuple[bytes, bytes]:
    """``(text, photo)``: the 256-byte text built from the fields and a 1024-byte fake WLT."""
    spec = card_spec(card)
    return build_text(spec), fake_wlt(str(spec.get("id_number", "")))


def sam_id_bytes(text: str) -> bytes:
    """The 16 bytes behind a SAM id printed as ``05.01-20101218-0012345678-1234567890``."""
    head, rest = text.split(".", 1)
    parts = [int(head), *(int(p) for p in rest.split("-"))]
    return struct.pack("<HHIII", *parts)


# --------------------------------------------------------------------------- configuration

COMMANDS: dict[tuple[int, int], str] = {
    (0x10, 0xFF): "reset",
    (0x11, 0xFF): "sam_status",
    (0x12, 0xFF): "sam_id",
    (0x20, 0x01): "find",
    (0x20, 0x02): "select",
    (0x30, 0x01): "read",
    (0x30, 0x03): "read_address",
    (0x30, 0x10): "read_fingerprints",
    (0x61, 0xFF): "max_rf_frame",
    **{(0x60, p): "set_baud" for p in range(5)},
}
COMMAND_NAMES = frozenset(COMMANDS.values())


@dataclass
class SamSimConfig:
    """How the simulated reader behaves. URL options use the same names (``baud`` for
    ``baudrate``; ``errors=read:41,find:60``; ``stall=read,select`` or ``stall=all``)."""

    card: str | None = None
    """Sample card name or card TOML path lying on the reader at start; None: no card."""
    baudrate: int | None = 115200
    """Pacing of the reply bytes in bit/s (10 bits a byte); None or 0: as fast as possible."""
    find_after_read: str = "present"
    """After a completed read, find answers "present" (9F) or "absent" (80) until the card
    is removed and placed again; real readers do either."""
    garbage: float = 0.0
    """Probability (0–1) that 1..garbage_max random bytes precede a reply."""
    garbage_max: int = 16
    """Most garbage bytes before one reply."""
    stall: frozenset[str] = frozenset()
    """Commands (names as in COMMANDS, or "all") that get no answer at all."""
    errors: dict[str, int] = field(default_factory=dict)
    """Command name -> SW3 status to answer instead of the normal reply."""
    fingerprints: int = 0
    """Fingers (0, 1, 2) of fake fingerprint data on the card, 512 bytes each (30 10)."""
    read_delay_s: float = 0.0
    """Seconds the reader spends on a card read before answering (real readers: ~0.3–1)."""
    unplug_during: str | None = None
    """Command during whose reply the cable is pulled: half the reply, then unplugged."""
    sam_id: str = "05.01-20101218-0012345678-1234567890"
    """The SAM id 12 FF answers, in the printed format."""
    seed: int | None = None
    """Random seed for garbage, so a failing run can be repeated."""

    def __post_init__(self) -> None:
        if self.find_after_read not in ("present", "absent"):
            raise ValueError(f"find_after_read must be present or absent, "
                             f"not {self.find_after_read!r}")
        if not 0.0 <= self.garbage <= 1.0:
            raise ValueError(f"garbage is a probability from 0 to 1, not {self.garbage}")
        self.stall = frozenset(self.stall)
        named = [*self.stall, *self.errors]
        if self.unplug_during is not None:
            named.append(self.unplug_during)
        for name in named:
            if name not in COMMAND_NAMES and name != "all":
                raise ValueError(f"unknown command {name!r}; use one of "
                                 + ", ".join(sorted(COMMAND_NAMES)))
        if self.fingerprints not in (0, 1, 2):
            raise ValueError(f"fingerprints is 0, 1 or 2 fingers, not {self.fingerprints}")

    @classmethod
    def from_url_options(cls, options: Mapping[str, str]) -> SamSimConfig:
        """Build from ``sim://idcard?card=resident_elderly&garbage=0.1`` options. Unknown
        options are errors."""
        names = {f.name for f in fields(cls)} - {"baudrate"} | {"baud"}
        if unknown := set(options) - names:
            raise ValueError(f"unknown idcard simulator options: {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(names))}")
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            if key == "baud":
                kwargs["baudrate"] = int(value) or None
            elif key in ("garbage", "read_delay_s"):
                kwargs[key] = float(value)
            elif key in ("garbage_max", "fingerprints"):
                kwargs[key] = int(value)
            elif key == "seed":
                kwargs[key] = int(value) if value else None
            elif key == "stall":
                kwargs[key] = frozenset(v for v in value.split(",") if v)
            elif key == "errors":
                pairs = (item.split(":") for item in value.split(",") if item)
                kwargs[key] = {name: int(code, 16) for name, code in pairs}
            else:
                kwargs[key] = (value or None) if key in ("card", "unplug_during") else value
        return cls(**kwargs)


# --------------------------------------------------------------------------- the reader

SW3_OK, SW3_FOUND, SW3_NO_CARD, SW3_SELECT_FAILED = 0x90, 0x9F, 0x80, 0x81
SW3_CHECKSUM, SW3_COMMAND, SW3_READ_FAILED, SW3_NO_CONTENT = 0x10, 0x21, 0x41, 0x91


class SamReaderSim:
    """A SAM reader on a fresh pseudo-terminal; open :attr:`path` with the serial driver."""

    def __init__(self, config: SamSimConfig | None = None):
        config = config or SamSimConfig()
        # our own copy: set_error/set_stall must not change the caller's object
        self.config = replace(config, errors=dict(config.errors))
        self._lock = threading.RLock()
        self._rng = random.Random(self.config.seed)  # noqa: S311 - line noise, not secrets
        self._rx = bytearray()
        self._card: tuple[bytes, bytes] | None = None
        self._state = "idle"  # idle -> found -> selected -> read
        self.received: list[str] = []
        """Names of the commands received, in order (bad frames as "bad_frame")."""
        self.reads = 0
        """Completed card reads."""
        self.garbage_bytes = 0
        """Garbage bytes sent before replies so far."""
        self.unplugged = False
        if self.config.card:
            self.place(self.config.card)
        self._ready = threading.Event()  # bytes can arrive before self.link is assigned
        self.link = PtyLink(self._on_bytes, baudrate=self.config.baudrate or None)
        self._ready.set()

    @property
    def path(self) -> str:
        return self.link.path

    # -- runtime controls

    def place(self, card: str | Path | Mapping[str, Any]) -> None:
        """Lay a card on the reader (sample name, TOML path or fields)."""
        loaded = load_card(card)
        with self._lock:
            self._card = loaded
            self._state = "idle"

    def remove(self) -> None:
        with self._lock:
            self._card = None
            self._state = "idle"

    def set_error(self, command: str, sw3: int | None) -> None:
        """Answer ``command`` with ``sw3`` from now on (None: normal answers again)."""
        with self._lock:
            if sw3 is None:
                self.config.errors.pop(command, None)
            else:
                self.config.errors[command] = sw3

    def set_stall(self, command: str, stalled: bool = True) -> None:
        with self._lock:
            current = set(self.config.stall)
            (current.add if stalled else current.discard)(command)
            self.config.stall = frozenset(current)

    def unplug(self) -> None:
        """Pull the cable: the driver's next read or write fails."""
        self.unplugged = True
        self.link.unplug()

    close = unplug

    # -- serving

    def _on_bytes(self, data: bytes) -> None:
        self._ready.wait()
        self._rx += data
        while True:
            try:
                command, used = decode_command(self._rx)
            except FrameError as exc:
                del self._rx[: exc.consumed]
                self.received.append("bad_frame")
                self._send(encode_response(0, 0, SW3_CHECKSUM), "bad_frame")
                continue
            del self._rx[:used]
            if command is None:
                return
            self._handle(command)

    def _send(self, reply: bytes, name: str) -> None:
        config = self.config
        if config.garbage and self._rng.random() < config.garbage:
            noise = self._rng.randbytes(self._rng.randint(1, max(1, config.garbage_max)))
            self.garbage_bytes += len(noise)
            reply = noise + reply
        if config.unplug_during == name:
            self.link.send(reply[: len(reply) // 2])
            self.unplug()
            return
        self.link.send(reply)

    def _handle(self, command: Command) -> None:
        name = COMMANDS.get((command.cmd, command.para), "unknown")
        with self._lock:
            self.received.append(name)
            if name in self.config.stall or "all" in self.config.stall:
                return
            if name in self.config.errors:
                reply = encode_response(0, 0, self.config.errors[name])
            else:
                reply = self._answer(name)
        if name.startswith("read") and self.config.read_delay_s:
            time.sleep(self.config.read_delay_s)
        self._send(reply, name)

    def _answer(self, name: str) -> bytes:
        card, state = self._card, self._state
        if name in ("reset", "sam_status", "set_baud", "max_rf_frame"):
            return encode_response(0, 0, SW3_OK)
        if name == "sam_id":
            return encode_response(0, 0, SW3_OK, sam_id_bytes(self.config.sam_id))
        if name == "find":
            if card is None or (state == "read" and self.config.find_after_read == "absent"):
                return encode_response(0, 0, SW3_NO_CARD)
            self._state = "found"
            return encode_response(0, 0, SW3_FOUND, bytes(4))
        if name == "select":
            if card is None or state != "found":
                return encode_response(0, 0, SW3_SELECT_FAILED)
            self._state = "selected"
            return encode_response(0, 0, SW3_OK, bytes(8))
        if name in ("read", "read_fingerprints"):
            if card is None or state != "selected":
                return encode_response(0, 0, SW3_READ_FAILED)
            text, photo = card
            self._state = "read"
            self.reads += 1
            if name == "read":
                data = struct.pack(">HH", len(text), len(photo)) + text + photo
            else:
                prints = fake_wlt(f"finger/{text.hex()}")[:512] * self.config.fingerprints
                data = (struct.pack(">HHH", len(text), len(photo), len(prints))
                        + text + photo + prints)
            return encode_response(0, 0, SW3_OK, data)
        if name == "read_address":
            return encode_response(0, 0, SW3_NO_CONTENT)  # no appended address on our cards
        return encode_response(0, 0, SW3_COMMAND)
