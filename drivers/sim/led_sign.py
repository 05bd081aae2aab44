"""A simulated window LED sign (窗口屏): a controller on a pseudo-terminal
(:class:`~drivers.sim.pty_link.PtyLink`) that parses frames with the same configurable
framing as the driver (:mod:`drivers.led_sign`), keeps the text it was last told to show,
and renders it like an LED bar: red dots on black, one dot per LED, 16 or 32 dots high,
the characters drawn with the Noto Sans CJK font in fixed cells (a Hanzi cell is as wide as
it is high, a Latin cell half that), as the GB2312 dot-matrix fonts of real controllers do.

Like a real controller it drops a partial frame after ``frame_timeout_s`` of silence,
ignores frames addressed to another sign on the bus, answers NAK (when the framing has
one) to a frame it cannot use, and ACK to a good one.

Behaviour is configuration (:class:`LedSignSimConfig`, also from
``sim://sign?preset=stx-etx&width=192&height=16&no_ack=1`` options via
:meth:`LedSignSimConfig.from_url_options`; every :meth:`drivers.led_sign.SignFraming.from_options`
key is accepted too, to mimic a custom controller): no answer at all, garbage instead of
the ACK, unplugging after some frames. At run time: :meth:`LedSignSim.unplug`,
:meth:`~LedSignSim.render`, :meth:`~LedSignSim.save_png`, :meth:`~LedSignSim.wait_for_frames`.
"""

from __future__ import annotations

import functools
import random
import threading
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from ..led_sign import FrameError, SignFraming, SignMessage, decode_frame
from .pty_link import PtyLink

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
HEIGHTS = (16, 32)
LIT = (255, 48, 24)
UNLIT = (48, 6, 4)  # an unlit LED is still visible on a real bar: dark red
BACKGROUND = (0, 0, 0)


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass
class LedSignSimConfig:
    """How the simulated sign behaves. URL options use the same names."""

    preset: str = "stx-etx"
    """The framing preset the controller speaks (drivers.led_sign.PRESETS)."""
    framing_options: dict[str, str] = field(default_factory=dict)
    """Framing fields overriding the preset (drivers.led_sign.SignFraming.from_options)."""
    own_address: int | None = None
    """The sign's own bus address; None: the framing's address. Frames for another address
    are ignored, as on an RS-485 bus."""
    width: int = 192
    """Width of the bar in dots (LEDs); 192 dots show 12 Hanzi at 16 dots high."""
    height: int = 16
    """Height of the bar in dots: 16 or 32."""
    baudrate: int | None = 9600
    """Pacing of the answers in bit/s; None or 0: as fast as possible."""
    no_ack: bool = False
    """Never answer (a sign with a broken transmit line, or the wrong address)."""
    garbage: float = 0.0
    """Probability (0–1) that random bytes are answered instead of the ACK."""
    unplug_after: int | None = None
    """Pull the cable after answering this many frames; None: never."""
    frame_timeout_s: float = 0.5
    """Silence after which a partial frame is dropped, in seconds."""
    seed: int | None = None
    """Random seed for garbage, so a failing run can be repeated."""

    def __post_init__(self) -> None:
        if self.height not in HEIGHTS:
            raise ValueError(f"height must be 16 or 32 dots, not {self.height}")
        if not 16 <= self.width <= 4096:
            raise ValueError(f"width must be 16–4096 dots, not {self.width}")
        if not 0.0 <= self.garbage <= 1.0:
            raise ValueError(f"garbage is a probability from 0 to 1, not {self.garbage}")
        self.framing()  # a bad preset or framing option fails here, at configuration time

    def framing(self) -> SignFraming:
        return SignFraming.from_options({"preset": self.preset, **self.framing_options})

    @classmethod
    def from_url_options(cls, options: Mapping[str, str]) -> LedSignSimConfig:
        """Build from ``sim://sign?preset=aa55-sum16&width=256&no_ack=1`` options (``baud``
        for ``baudrate``, ``address`` for ``own_address``; framing fields such as
        ``checksum=xor`` or ``prefix=AA55`` go to the framing). Unknown options are
        errors."""
        own = {f.name for f in fields(cls)} - {"framing_options", "baudrate", "own_address"}
        own |= {"baud", "address"}
        framing_keys = {f.name for f in fields(SignFraming)} - {"escape", "name", "address"}
        framing_keys |= {"escape_byte", "escape_bytes", "escape_xor"}
        if unknown := set(options) - own - framing_keys:
            raise ValueError(f"unknown sign simulator options: {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(own | framing_keys))}")
        kwargs: dict[str, Any] = {}
        framing: dict[str, str] = {}
        for key, value in options.items():
            try:
                if key == "baud":
                    kwargs["baudrate"] = int(value) or None
                elif key == "address":
                    kwargs["own_address"] = int(value, 0) if value else None
                elif key in ("width", "height"):
                    kwargs[key] = int(value)
                elif key in ("unplug_after", "seed"):
                    kwargs[key] = int(value) if value else None
                elif key in ("garbage", "frame_timeout_s"):
                    kwargs[key] = float(value)
                elif key == "no_ack":
                    kwargs[key] = _truthy(value)
                elif key == "preset":
                    kwargs[key] = value
                else:
                    framing[key] = value
            except ValueError:
                raise ValueError(f"sign simulator option {key}: not a number: {value!r}") from None
        return cls(framing_options=framing, **kwargs)


# --------------------------------------------------------------------------- rendering


@functools.lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        if Path(path).is_file():
            for index in range(10):
                try:
                    font = ImageFont.truetype(path, size, index=index)
                except OSError:
                    break
                if (font.getname()[0] or "") == "Noto Sans CJK SC":
                    return font
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _full_width(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("F", "W", "A") and ord(ch) > 0x7F


@functools.lru_cache(maxsize=4096)
def _glyph(ch: str, height: int) -> Image.Image:
    """One character in its cell as lit (255) / unlit (0) dots."""
    full = _full_width(ch)
    width = height if full else height // 2
    cell = Image.new("L", (width, height), 0)
    if ch.strip():
        # Ideographs drawn at the full cell height fill it edge to edge, as controller fonts
        # do; Latin a little smaller so descenders stay inside the cell.
        font = _font(height if full else height - height // 8)
        draw = ImageDraw.Draw(cell)
        try:
            left, top, right, bottom = draw.textbbox((0, 0), ch, font=font)
            if full:
                x = (width - (right - left)) / 2 - left
                y = (height - (bottom - top)) / 2 - top
                draw.text((x, y), ch, font=font, fill=255)
            else:
                x = (width - font.getlength(ch)) / 2
                draw.text((x, round(height * 0.8)), ch, font=font, fill=255, anchor="ls")
        except (ValueError, OSError):  # a character the font cannot lay out
            pass
    # LEDs are on or off. A dot lights from 35 % coverage: higher loses the short strokes of
    # 办 and 理 at 16 dots, lower merges the strokes of 窗 (compared by eye at 70/90/115).
    return cell.point(lambda v: 255 if v >= 90 else 0)


def text_dots(text: str, height: int) -> Image.Image:
    """``text`` as a strip of dots ``height`` high (mode "L", 255 = lit)."""
    glyphs = [_glyph(ch, height) for ch in text]
    strip = Image.new("L", (max(1, sum(g.width for g in glyphs)), height), 0)
    x = 0
    for glyph in glyphs:
        strip.paste(glyph, (x, 0))
        x += glyph.width
    return strip


def render_bar(text: str, width: int, height: int, pitch: int | None = None) -> Image.Image:
    """An RGB picture of an LED bar ``width`` × ``height`` dots showing ``text`` centred.
    Text wider than the bar (a real one scrolls it) widens the picture to the whole text."""
    pitch = pitch or (6 if height <= 16 else 4)
    dots = text_dots(text, height) if text else Image.new("L", (1, height), 0)
    columns = max(width, dots.width)
    bar = Image.new("L", (columns, height), 0)
    bar.paste(dots, ((columns - dots.width) // 2 if dots.width < columns else 0, 0))
    margin = pitch
    image = Image.new("RGB", (columns * pitch + 2 * margin, height * pitch + 2 * margin),
                      BACKGROUND)
    draw = ImageDraw.Draw(image)
    radius = pitch * 0.42
    pixels = bar.load()
    assert pixels is not None
    for y in range(height):
        cy = margin + y * pitch + pitch / 2
        for x in range(columns):
            cx = margin + x * pitch + pitch / 2
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius),
                         fill=LIT if pixels[x, y] else UNLIT)
    return image


# --------------------------------------------------------------------------- the sign


class LedSignSim:
    """A sign controller on a fresh pseudo-terminal; open :attr:`path` with the driver."""

    def __init__(self, config: LedSignSimConfig | None = None):
        self.config = config or LedSignSimConfig()
        self.framing = self.config.framing()
        self.own_address = (self.config.own_address if self.config.own_address is not None
                            else self.framing.address)
        self._rng = random.Random(self.config.seed)  # noqa: S311 - line noise, not secrets
        self._cond = threading.Condition()
        self._rx = bytearray()
        self._last_byte_at = 0.0
        self.text: str | None = None
        """The text the sign shows now ("" after a clear; None before any frame)."""
        self.messages: list[SignMessage] = []
        """Every frame the sign accepted, in order."""
        self.bad_frames = 0
        """Frames rejected (checksum, escape, template, encoding)."""
        self.other_address = 0
        """Frames ignored because they were for another address."""
        self.dropped_partial = 0
        """Partial frames dropped after a silence."""
        self.answered = 0
        self.unplugged = False
        self._ready = threading.Event()  # bytes can arrive before self.link is assigned
        self.link = PtyLink(self._on_bytes, baudrate=self.config.baudrate or None)
        self._ready.set()

    @property
    def path(self) -> str:
        return self.link.path

    def unplug(self) -> None:
        """Pull the cable: the driver's next write or read fails."""
        self.unplugged = True
        self.link.unplug()

    close = unplug

    def wait_for_frames(self, count: int, timeout_s: float = 3.0) -> bool:
        """Wait until ``count`` frames were accepted (or rejected) in all."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while len(self.messages) + self.bad_frames < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def render(self, pitch: int | None = None) -> Image.Image:
        """What the sign shows now, as a picture of its LEDs."""
        return render_bar(self.text or "", self.config.width, self.config.height, pitch)

    def save_png(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.render().save(path)
        return path

    # -- serving

    def _on_bytes(self, data: bytes) -> None:
        self._ready.wait()
        now = time.monotonic()
        if self._rx and now - self._last_byte_at > self.config.frame_timeout_s:
            self._rx.clear()  # the controller's inter-byte timeout: a frame was cut off
            self.dropped_partial += 1
        self._last_byte_at = now
        self._rx += data
        while True:
            try:
                message, used = decode_frame(self._rx, self.framing)
            except FrameError as exc:
                del self._rx[: exc.consumed]
                with self._cond:
                    self.bad_frames += 1
                    self._cond.notify_all()
                self._answer(self.framing.nak)
                continue
            del self._rx[:used]
            if message is None:
                return
            self._accept(message)

    def _accept(self, message: SignMessage) -> None:
        if (self.own_address is not None and message.address is not None
                and message.address != self.own_address):
            self.other_address += 1
            return
        with self._cond:
            self.messages.append(message)
            self.text = message.text if message.kind == "show" else ""
            self._cond.notify_all()
        self._answer(self.framing.ack)

    def _answer(self, reply: bytes | None) -> None:
        if reply is None or self.config.no_ack or self.unplugged:
            return
        if self.config.garbage and self._rng.random() < self.config.garbage:
            noise = bytes(b for b in self._rng.randbytes(self._rng.randint(1, 8))
                          if b not in reply)
            reply = noise or b"\x00"
        self.link.send(reply)
        self.answered += 1
        limit = self.config.unplug_after
        if limit is not None and self.answered >= limit:
            self.unplug()
