r"""A simulated ESC/POS receipt printer that interprets the bytes and draws the paper.

It is a real peer: the driver's own serial, TCP or file code talks to it. It draws each job
to a 1-bit image as wide as the paper (384 dots on 58 mm, 576 on 80 mm), white paper and
black dots, characters in the printer's 24-dot cells (12×24 half-width, 24×24 full-width)
with the Noto Sans Mono CJK font, and keeps the decoded text lines for assertions.

Interpreted (Epson ESC/POS Command Reference, TM-series):

- ``ESC @`` initialize; ``FS &`` / ``FS .`` Chinese (Kanji) mode on/off. In Chinese mode a
  byte 0x81-0xFE starts a character in the configured encoding (``gb18030``: two bytes, or
  four when the second byte is 0x30-0x39; ``gbk``: two bytes); bytes that do not decode
  print as ``〓`` and count in ``decode_errors``. Outside Chinese mode bytes 0x80-0xFF are
  code page 437 characters, which is what a driver that forgot ``FS &`` gets. The mode
  after ``ESC @`` is off unless ``chinese_default`` is set (Chinese-market printers often
  power on in Chinese mode; the strict default catches a driver that relies on it).
- ``LF`` print and feed; ``CR`` ignored; ``HT`` to the next 8-column tab stop;
  ``ESC a`` justification; ``GS !`` character size; ``ESC !`` print mode (bold, double
  height and width); ``ESC E`` / ``ESC G`` bold; ``ESC 2`` / ``ESC 3`` line spacing;
  ``ESC d`` feed lines; ``ESC J`` feed dots.
- ``GS v 0`` raster bit image; ``GS ( k`` QR code (model, module size, error correction,
  store, print: drawn with the ``qrcode`` package as the printer would, no quiet zone);
  ``GS V`` cut, which ends the job. A job also ends at an ``ESC @`` that follows printed
  content (printers without a cutter) and when the stream ends (:meth:`EscPosSim.finish`,
  a closed TCP connection, the end of a file).
- ``DLE EOT n`` (n = 1-4) answered at once from the settable state; ``DLE ENQ``, ``DLE DC4``
  taken and ignored.

Everything else is skipped by its length and counted in ``unknown_commands``, never a crash.
Bytes taken after the command's letters:

==============================================  =========================================
``ESC`` ``@ 2 < L S i m``                        none
``ESC`` ``SP ! - 3 = ? E G J M R T U V``         1 byte
``ESC`` ``a d e r t { %``                        1 byte
``ESC c`` (``c 3 n``, ``c 4 n``, ``c 5 n``)        2 bytes
``ESC $``, ``ESC \``, ``ESC B``                  2 bytes
``ESC p``                                        3 bytes
``ESC W``                                        8 bytes
``ESC D``                                        up to and with NUL (at most 33 bytes)
``ESC * m nL nH``                                then n (m = 0, 1) or 3n (m = 32, 33) bytes
``GS`` ``! B H I T a b f h j r w / |``           1 byte
``GS`` ``L W $ \ P``                            2 bytes
``GS V m [n]``                                   1, or 2 when m = 65, 66, 97, 98, 103, 104
``GS v 0 m xL xH yL yH``                         then x·y bytes
``GS ( fn pL pH``, ``FS ( fn pL pH``             then pL + 256·pH bytes
``GS 8 L p1 p2 p3 p4``                           then p1 + 2⁸·p2 + 2¹⁶·p3 + 2²⁴·p4 bytes
``GS k m``                                       up to NUL (m ≤ 6) or 1 + n bytes (m ≥ 7)
``GS * x y``                                     then x·y·8 bytes
``FS & .`` / ``FS ! - C W`` / ``FS S``           none / 1 byte / 2 bytes
``FS 2 c1 c2``                                   then 72 bytes
``DLE EOT n`` / ``DLE ENQ n`` / ``DLE DC4``       1 (2 for n = 7, 8) / 1 / 3 bytes
any other ``ESC x``, ``GS x``, ``FS x``            none (the two bytes are skipped)
any other control byte, a lone ``DLE``           the byte itself
==============================================  =========================================

A command announcing more than ``MAX_BLOCK`` bytes (1 MiB) is treated as garbage: its first
byte is skipped and counted.

Faults come from the config (``sim://printer?paper_out=1&width=58``): ``paper_out``,
``cover_open`` and ``offline`` make the printer drop everything but the status queries
(counted in ``dropped_bytes``); ``answers_status=0`` is a printer that never answers
``DLE EOT``; ``unplug_after=N`` pulls the cable after N bytes; ``paper_out_after=N`` runs
out of paper after N bytes.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont, ImageOps

from .pty_link import PtyLink

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
MAX_BLOCK = 1 << 20
MAX_JOB_DOTS = 16000
"""Longest job drawn (2 m of paper); the rest of a longer job is interpreted, not drawn."""

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
MISSING = "〓"


def _truthy(value: object) -> bool:
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{value!r} is not true or false (use 1 or 0)")


@dataclass
class EscPosSimConfig:
    """How the simulated printer is built and what is wrong with it."""

    width: int = 80
    """Paper width, 58 or 80. Unit: mm."""
    encoding: str = "gb18030"
    """The Chinese font's encoding: gb18030 or gbk."""
    chinese_default: bool = False
    """Chinese mode is on after ``ESC @`` without ``FS &``."""
    paper_out: bool = False
    cover_open: bool = False
    paper_near_end: bool = False
    offline: bool = False
    cutter_error: bool = False
    answers_status: bool = True
    """False: a printer that never answers ``DLE EOT`` (many cheap USB printers)."""
    unplug_after: int | None = None
    """Pull the cable after this many bytes have arrived. Unit: bytes."""
    paper_out_after: int | None = None
    """The roll runs out after this many bytes have arrived (mid-job). Unit: bytes."""
    baudrate: int = 115200
    """Pace of the answers on a pseudo-terminal. Unit: Bd."""

    def __post_init__(self) -> None:
        if self.width not in (58, 80):
            raise ValueError(f"width must be 58 or 80, not {self.width}")
        if self.encoding not in ("gb18030", "gbk"):
            raise ValueError(f"encoding must be gb18030 or gbk, not {self.encoding!r}")

    @property
    def dots(self) -> int:
        return 384 if self.width == 58 else 576

    @classmethod
    def from_url_options(cls, options: Mapping[str, object]) -> EscPosSimConfig:
        """From a ``sim://printer?paper_out=1&width=58`` query; unknown keys are errors."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, object] = {}
        for key, raw in options.items():
            if key not in known:
                raise ValueError(f"unknown printer simulator option {key!r}; known: "
                                 + ", ".join(sorted(known)))
            kind = known[key].type
            if kind == "bool":
                values[key] = _truthy(raw)
            elif kind in ("int", "int | None"):
                try:
                    values[key] = int(str(raw))
                except ValueError:
                    raise ValueError(f"{key} must be a whole number, not {raw!r}") from None
            else:
                values[key] = str(raw)
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class RenderedJob:
    """One job as it came out of the printer."""

    image: Image.Image
    text: list[str]
    """The printed text lines, decoded (image lines are not text)."""
    cut: bool
    qr_codes: list[bytes] = field(default_factory=list)
    raster_images: int = 0
    decode_errors: int = 0
    placements: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)
    """Where each raster image (``"raster"``) and native QR code (``"qr"``) landed on the
    paper: (left, top, right, bottom) in dots."""

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.image.save(path)
        return path


@functools.lru_cache(maxsize=2)
def _font(size: int = 24) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_PATHS:
        if Path(path).is_file():
            for index in range(10):
                try:
                    font = ImageFont.truetype(path, size, index=index)
                except OSError:
                    break
                if "Mono CJK SC" in (font.getname()[0] or ""):
                    return font
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


@functools.lru_cache(maxsize=4096)
def _glyph(ch: str, full: bool, bold: bool) -> Image.Image:
    """A character in its 24-dot cell as 1-bit dots (0 = ink)."""
    width = 24 if full else 12
    cell = Image.new("L", (width, 24), 255)
    if ch.strip():
        draw = ImageDraw.Draw(cell)
        # Latin letters a little smaller and higher than the ideographs' 0.88 em baseline,
        # so ascenders and descenders both stay inside the 24-dot cell, as in printer fonts.
        font, baseline = (_font(), 21) if full else (_font(22), 19)
        try:
            advance = font.getlength(ch)
            x = (width - advance) / 2
            draw.text((x, baseline), ch, font=font, fill=0, anchor="ls")
            if bold:
                draw.text((x + 1, baseline), ch, font=font, fill=0, anchor="ls")
        except (ValueError, OSError):  # a character the font cannot lay out
            pass
    return cell.point(lambda v: 0 if v < 160 else 255).convert("1")


@dataclass
class _Char:
    ch: str
    full: bool
    width_mul: int
    height_mul: int
    bold: bool

    @property
    def dots(self) -> int:
        return (24 if self.full else 12) * self.width_mul


class EscPosSim:
    """The simulated printer. Feed it bytes (:meth:`feed`) directly, or serve it on a
    pseudo-terminal (:meth:`serve_pty`), a TCP port (:meth:`serve_tcp`) or a file
    (:meth:`render_file`). Finished jobs collect in :attr:`jobs`."""

    def __init__(self, config: EscPosSimConfig | None = None):
        self.config = config or EscPosSimConfig()
        self.dots = self.config.dots
        self.paper_out = self.config.paper_out
        self.cover_open = self.config.cover_open
        self.paper_near_end = self.config.paper_near_end
        self.offline = self.config.offline
        self.cutter_error = self.config.cutter_error
        self.answers_status = self.config.answers_status
        self.jobs: list[RenderedJob] = []
        self.unknown_commands = 0
        self.decode_errors = 0
        self.dropped_bytes = 0
        self.status_queries = 0
        self.bytes_received = 0
        self._buffer = bytearray()
        self._lock = threading.RLock()
        self._job_done = threading.Condition(self._lock)
        self._unplug: Callable[[], None] | None = None
        self._ran_out = False
        self._reset()
        self._new_job()

    # -- state -----------------------------------------------------------------------------

    def _reset(self) -> None:
        """``ESC @``: modes back to their defaults (the paper so far stays)."""
        self.chinese = self.config.chinese_default
        self.align = 0
        self.width_mul = 1
        self.height_mul = 1
        self.bold = False
        self.line_spacing = 30
        self.qr_module = 3
        self.qr_ec = qrcode.constants.ERROR_CORRECT_L
        self.qr_data = b""

    def _new_job(self) -> None:
        self._strips: list[Image.Image | int] = []  # images, or blank feeds in dots
        self._length = 0
        self._line: list[_Char] = []
        self._text: list[str] = []
        self._qr: list[bytes] = []
        self._placements: list[tuple[str, tuple[int, int, int, int]]] = []
        self._rasters = 0
        self._job_decode_errors = 0
        self._content = False

    @property
    def can_print(self) -> bool:
        return not (self.paper_out or self.cover_open or self.offline)

    def status_byte(self, n: int) -> int:
        """The answer to ``DLE EOT n`` (bit tables: drivers.escpos_printer.parse_status)."""
        byte = 0x12
        stopped = self.paper_out or self.cover_open or self.offline or self.cutter_error
        if n == 1 and stopped:
            byte |= 0x08
        elif n == 2:
            byte |= (0x04 if self.cover_open else 0) | (0x20 if self.paper_out else 0)
            byte |= 0x40 if self.cutter_error else 0
        elif n == 3:
            byte |= 0x08 if self.cutter_error else 0
        elif n == 4:
            byte |= (0x0C if self.paper_near_end or self.paper_out else 0)
            byte |= 0x60 if self.paper_out else 0
        return byte

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> bytes:
        """Interpret ``data`` (any bytes, split anywhere) and return the printer's answers."""
        with self._lock:
            limit = self.config.paper_out_after
            if limit is not None and not self._ran_out:
                cut = limit - self.bytes_received
                if cut <= len(data):
                    first = self._take(data[:max(0, cut)])
                    self._ran_out = self.paper_out = True
                    return first + self._take(data[max(0, cut):])
            return self._take(data)

    def _take(self, data: bytes) -> bytes:
        self.bytes_received += len(data)
        self._buffer += data
        replies = bytearray()
        while self._buffer:
            used = self._step(replies)
            if used == 0:
                break  # an incomplete command: wait for more bytes
            del self._buffer[:used]
        limit = self.config.unplug_after
        if limit is not None and self.bytes_received >= limit and self._unplug:
            self._unplug()
        return bytes(replies)

    def finish(self) -> RenderedJob | None:
        """The stream ended (file end, connection closed): an incomplete command is dropped
        and counted, and a job with content is finished without a cut."""
        with self._lock:
            if self._buffer:
                self.unknown_commands += 1
                self._buffer.clear()
            return self._end_job(cut=False) if self._content or self._line else None


    def wait_for_jobs(self, count: int, timeout_s: float = 5.0) -> bool:
        """Wait until at least ``count`` jobs have finished."""
        deadline = time.monotonic() + timeout_s
        with self._job_done:
            while len(self.jobs) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._job_done.wait(left)
            return True

    # -- the interpreter -------------------------------------------------------------------

    def _need(self, n: int) -> bool:
        return len(self._buffer) >= n

    def _step(self, replies: bytearray) -> int:
        """Interpret the command at the start of the buffer; the bytes used, 0 if it is
        incomplete."""
        buf = self._buffer
        b = buf[0]
        if b == DLE:
            return self._dle(replies)
        if not self.can_print:
            used = self._length_of_command()
            if used:
                self.dropped_bytes += used
            return used
        if b == 0x0A:
            self._print_line()
            return 1
        if b in (0x0D, 0x00):
            return 1
        if b == 0x09:
            for _ in range(8 - len(self._line) % 8):
                self._add_char(" ", full=False)
            return 1
        if b == 0x0C:
            self._print_line()
            return 1
        if b in (ESC, GS, FS):
            return self._parse_command(act=True)
        if b < 0x20 or b == 0x7F:
            self.unknown_commands += 1
            return 1
        return self._char()

    def _length_of_command(self) -> int:
        """Bytes the item at the start of the buffer takes, without acting on it (paper out:
        print data is dropped, but status queries in it must still be found)."""
        b = self._buffer[0]
        if b in (ESC, GS, FS):
            saved = self.unknown_commands
            used = self._parse_command(act=False)
            self.unknown_commands = saved
            return used
        if b >= 0x81 and self.chinese:
            return self._char_length()
        return 1

    def _parse_command(self, act: bool) -> int:
        buf = self._buffer
        if not self._need(2):
            return 0
        lead, op = buf[0], buf[1]
        if lead == ESC:
            return self._esc_command(op, act)
        if lead == GS:
            return self._gs_command(op, act)
        return self._fs_command(op, act)

    def _esc_command(self, op: int, act: bool) -> int:
        buf = self._buffer
        cmd = chr(op)
        if cmd in "@LSim2<":
            if act and cmd == "@":
                if self._content or self._line:
                    self._end_job(cut=False)  # a new job starts on the same paper
                self._reset()
            elif act and cmd == "2":
                self.line_spacing = 30
            return 2
        if cmd in " !-3=?EGJMRTUVacdert{%":
            if not self._need(3):
                return 0
            n = buf[2]
            if cmd == "c":  # ESC c 3 n, ESC c 4 n, ESC c 5 n
                return 4 if self._need(4) else 0
            if act:
                self._esc_one(cmd, n)
            return 3
        if cmd in "$\\B":
            return 4 if self._need(4) else 0
        if cmd == "p":
            return 5 if self._need(5) else 0
        if cmd == "W":
            return 10 if self._need(10) else 0
        if cmd == "D":  # tab positions, NUL-terminated, at most 32
            end = buf.find(b"\x00", 2, 2 + 33)
            if end < 0:
                return 0 if len(buf) < 2 + 33 else 2 + 33
            return end + 1
        if cmd == "*":
            if not self._need(5):
                return 0
            m, count = buf[2], buf[3] + 256 * buf[4]
            size = count * (3 if m in (32, 33) else 1)
            if size > MAX_BLOCK:
                self.unknown_commands += 1
                return 1
            if not self._need(5 + size):
                return 0
            if act:
                self.unknown_commands += 1  # column bit images are not drawn
                self._content = True
            return 5 + size
        if act:
            self.unknown_commands += 1
        return 2

    def _esc_one(self, cmd: str, n: int) -> None:
        if cmd == "a":
            self.align = {0: 0, 1: 1, 2: 2, 48: 0, 49: 1, 50: 2}.get(n, self.align)
        elif cmd in "EG":
            self.bold = bool(n & 1)
        elif cmd == "!":
            self.bold = bool(n & 0x08)
            self.height_mul = 2 if n & 0x10 else 1
            self.width_mul = 2 if n & 0x20 else 1
        elif cmd == "3":
            self.line_spacing = n
        elif cmd == "d":
            self._print_pending()
            self._feed_dots(n * self.line_spacing)
        elif cmd == "J":
            self._print_pending()
            self._feed_dots(n)

    def _gs_command(self, op: int, act: bool) -> int:
        buf = self._buffer
        cmd = chr(op)
        if cmd in "!BHITabfhjrw/|":
            if not self._need(3):
                return 0
            if act and cmd == "!":
                n = buf[2]
                self.width_mul = (n >> 4 & 0x07) + 1
                self.height_mul = (n & 0x07) + 1
            return 3  # GS r (status in sequence) is not answered
        if cmd in "LW$\\P":
            return 4 if self._need(4) else 0
        if cmd == "V":
            if not self._need(3):
                return 0
            m = buf[2]
            used = 4 if m in (65, 66, 97, 98, 103, 104) else 3
            if not self._need(used):
                return 0
            if act:
                self._cut()
            return used
        if cmd == "v":
            return self._raster(act)
        if cmd in "(":
            if not self._need(5):
                return 0
            size = buf[3] + 256 * buf[4]
            if not self._need(5 + size):
                return 0
            if act:
                self._gs_paren(buf[2], bytes(buf[5:5 + size]))
            return 5 + size
        if cmd == "8":
            if not self._need(7):
                return 0
            size = buf[3] + (buf[4] << 8) + (buf[5] << 16) + (buf[6] << 24)
            if size > MAX_BLOCK:
                self.unknown_commands += 1
                return 1
            if not self._need(7 + size):
                return 0
            if act:
                self.unknown_commands += 1
            return 7 + size
        if cmd == "k":
            if not self._need(3):
                return 0
            m = buf[2]
            if m <= 6:
                end = buf.find(b"\x00", 3, 3 + 256)
                if end < 0:
                    return 0 if len(buf) < 3 + 256 else 3
                used = end + 1
            else:
                if not self._need(4):
                    return 0
                used = 4 + buf[3]
                if not self._need(used):
                    return 0
            if act:
                self.unknown_commands += 1  # barcodes are not drawn
            return used
        if cmd == "*":
            if not self._need(4):
                return 0
            size = buf[2] * buf[3] * 8
            if not self._need(4 + size):
                return 0
            if act:
                self.unknown_commands += 1
            return 4 + size
        if act:
            self.unknown_commands += 1
        return 2

    def _fs_command(self, op: int, act: bool) -> int:
        buf = self._buffer
        cmd = chr(op)
        if cmd == "&":
            if act:
                self.chinese = True
            return 2
        if cmd == ".":
            if act:
                self.chinese = False
            return 2
        if cmd in "!-CW":
            return 3 if self._need(3) else 0
        if cmd == "S":
            return 4 if self._need(4) else 0
        if cmd == "2":
            return 76 if self._need(76) else 0
        if cmd == "(":
            if not self._need(5):
                return 0
            size = buf[3] + 256 * buf[4]
            return 5 + size if self._need(5 + size) else 0
        if act:
            self.unknown_commands += 1
        return 2

    def _dle(self, replies: bytearray) -> int:
        buf = self._buffer
        if not self._need(2):
            return 0
        op = buf[1]
        if op == 0x04:  # EOT n
            if not self._need(3):
                return 0
            n = buf[2]
            if n in (7, 8):  # DLE EOT 7 a / 8 a: ink and peeler status, not simulated
                return 4 if self._need(4) else 0
            if n in (1, 2, 3, 4):
                self.status_queries += 1
                if self.answers_status:
                    replies.append(self.status_byte(n))
            else:
                self.unknown_commands += 1
            return 3
        if op == 0x05:  # ENQ n
            return 3 if self._need(3) else 0
        if op == 0x14:  # DC4 fn a b
            return 5 if self._need(5) else 0
        self.unknown_commands += 1
        return 1

    # -- printing --------------------------------------------------------------------------

    def _char_length(self) -> int:
        """Bytes of the (Chinese-mode) character at the start of the buffer, 0 if incomplete."""
        buf = self._buffer
        if not self._need(2):
            return 0
        second = buf[1]
        if self.config.encoding == "gb18030" and 0x30 <= second <= 0x39:
            return 4 if self._need(4) else 0
        if second < 0x30 or second == 0x7F:
            return 1  # a lone lead byte before a control code or space
        return 2

    def _char(self) -> int:
        buf = self._buffer
        b = buf[0]
        if b < 0x80:
            self._add_char(chr(b), full=False)
            return 1
        if not self.chinese or b == 0x80 or b == 0xFF:
            if self.chinese:
                self._bad_char()
            else:
                self._add_char(bytes((b,)).decode("cp437"), full=False)
            return 1
        used = self._char_length()
        if used == 0:
            return 0
        try:
            ch = bytes(buf[:used]).decode(self.config.encoding)
            if len(ch) != 1:
                raise UnicodeDecodeError(self.config.encoding, b"", 0, 1, "not one character")
        except UnicodeDecodeError:
            self._bad_char()
        else:
            self._add_char(ch, full=True)
        return used

    def _bad_char(self) -> None:
        self.decode_errors += 1
        self._job_decode_errors += 1
        self._add_char(MISSING, full=True)

    def _add_char(self, ch: str, *, full: bool) -> None:
        char = _Char(ch, full, self.width_mul, self.height_mul, self.bold)
        if sum(c.dots for c in self._line) + char.dots > self.dots:
            self._print_line()  # the printer wraps a full line
        self._line.append(char)
        self._content = True

    def _print_pending(self) -> None:
        if self._line:
            self._print_line()

    def _print_line(self) -> None:
        line, self._line = self._line, []
        self._text.append("".join(c.ch for c in line).rstrip())
        self._content = True
        tallest = max([24 * c.height_mul for c in line] or [24])
        height = max(self.line_spacing, tallest + max(0, self.line_spacing - 24))
        if self._length + height > MAX_JOB_DOTS:
            return
        strip = Image.new("1", (self.dots, height), 1)
        width = sum(c.dots for c in line)
        x = {0: 0, 1: (self.dots - width) // 2, 2: self.dots - width}[self.align]
        base = tallest  # characters stand on a common baseline
        for c in line:
            glyph = _glyph(c.ch, c.full, c.bold)
            if c.width_mul != 1 or c.height_mul != 1:
                glyph = glyph.resize((glyph.width * c.width_mul, 24 * c.height_mul),
                                     Image.Resampling.NEAREST)
            strip.paste(glyph, (x, base - glyph.height))
            x += c.dots
        self._add_strip(strip)

    def _add_strip(self, strip: Image.Image) -> None:
        if self._length + strip.height > MAX_JOB_DOTS:
            return
        self._strips.append(strip)
        self._length += strip.height

    def _feed_dots(self, dots: int) -> None:
        dots = min(dots, MAX_JOB_DOTS - self._length)
        if dots > 0:
            self._strips.append(dots)
            self._length += dots
        self._content = True

    def _raster(self, act: bool) -> int:
        buf = self._buffer
        if not self._need(8):
            return 0
        if buf[2] not in (0x30, 0x00):
            if act:
                self.unknown_commands += 1
            return 2
        width_bytes = buf[4] + 256 * buf[5]
        height = buf[6] + 256 * buf[7]
        size = width_bytes * height
        if size > MAX_BLOCK:
            self.unknown_commands += 1
            return 1
        if not self._need(8 + size):
            return 0
        if act and size:
            self._print_pending()
            mode = buf[3] & 0x03
            data = bytes(buf[8:8 + size])
            image = Image.frombytes("1", (width_bytes * 8, height), data)
            image = ImageOps.invert(image.convert("L")).convert("1")  # 1 bits are dots
            if mode & 1:  # double width
                image = image.resize((image.width * 2, image.height), Image.Resampling.NEAREST)
            if mode & 2:  # double height
                image = image.resize((image.width, image.height * 2), Image.Resampling.NEAREST)
            self._place(image, "raster")
            self._rasters += 1
        return 8 + size

    def _place(self, image: Image.Image, kind: str) -> None:
        """An image on a paper-wide strip, justified, clipped at the right edge."""
        strip = Image.new("1", (self.dots, image.height), 1)
        free = max(0, self.dots - image.width)
        x = {0: 0, 1: free // 2, 2: free}[self.align]
        width = min(image.width, self.dots)
        strip.paste(image.crop((0, 0, width, image.height)), (x, 0))
        if self._length + strip.height <= MAX_JOB_DOTS:
            self._placements.append((kind, (x, self._length, x + width,
                                            self._length + image.height)))
        self._add_strip(strip)
        self._content = True

    def _gs_paren(self, fn: int, body: bytes) -> None:
        if fn != ord("k") or len(body) < 2 or body[0] != 49:  # cn 49: QR code
            self.unknown_commands += 1
            return
        code, args = body[1], body[2:]
        if code == 67 and args:  # module size
            self.qr_module = min(16, max(1, args[0]))
        elif code == 69 and args:  # error correction 48-51: L M Q H
            self.qr_ec = {48: qrcode.constants.ERROR_CORRECT_L,
                          49: qrcode.constants.ERROR_CORRECT_M,
                          50: qrcode.constants.ERROR_CORRECT_Q,
                          51: qrcode.constants.ERROR_CORRECT_H}.get(args[0], self.qr_ec)
        elif code == 80 and args:  # store: m=48 then the data
            self.qr_data = bytes(args[1:])
        elif code == 81:  # print
            self._print_qr()
        elif code != 65:  # 65: model; 82: transmit size (not answered)
            self.unknown_commands += 1

    def _print_qr(self) -> None:
        if not self.qr_data:
            return
        self._print_pending()
        try:
            code = qrcode.QRCode(error_correction=self.qr_ec, box_size=self.qr_module,
                                 border=0)
            code.add_data(self.qr_data)
            code.make(fit=True)
            image = code.make_image().get_image().convert("1")
        except Exception:  # data the symbol cannot hold: the printer prints nothing
            self.unknown_commands += 1
            return
        self._place(image, "qr")
        self._qr.append(self.qr_data)

    def _cut(self) -> None:
        self._print_pending()
        self._end_job(cut=True)

    def _end_job(self, *, cut: bool) -> RenderedJob:
        self._print_pending()
        height = max(1, self._length)
        image = Image.new("1", (self.dots, height), 1)
        y = 0
        for strip in self._strips:
            if isinstance(strip, int):
                y += strip
            else:
                image.paste(strip, (0, y))
                y += strip.height
        job = RenderedJob(image, self._text, cut, self._qr, self._rasters,
                          self._job_decode_errors, self._placements)
        self.jobs.append(job)
        self._new_job()
        self._job_done.notify_all()
        return job

    # -- serving ---------------------------------------------------------------------------

    def serve_pty(self) -> PtyLink:
        """Serve on a pseudo-terminal; open ``link.path`` as a serial port."""
        holder: list[PtyLink] = []

        def on_bytes(data: bytes) -> None:
            reply = self.feed(data)
            if reply and holder:
                holder[0].send(reply)

        link = PtyLink(on_bytes, baudrate=self.config.baudrate)
        holder.append(link)
        self._unplug = link.unplug
        return link

    def serve_tcp(self, port: int = 0, host: str = "127.0.0.1") -> SimTcpServer:
        """Serve on a TCP port (9100 on a real network printer; 0 picks a free one)."""
        server = SimTcpServer(self, host, port)
        self._unplug = server.drop_connections
        return server

    def render_file(self, path: str | Path) -> list[RenderedJob]:
        """Interpret the bytes written to a ``file://`` device; the jobs found in them."""
        before = len(self.jobs)
        data = Path(path).read_bytes()
        for start in range(0, len(data), 65536):
            self.feed(data[start:start + 65536])
        self.finish()
        return self.jobs[before:]


class SimTcpServer:
    """The simulator behind a TCP port, one connection at a time like a real printer."""

    def __init__(self, sim: EscPosSim, host: str, port: int):
        self.sim = sim
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(0.1)
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name=f"escpos sim :{self.port}",
                                        daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._conns.append(conn)
            self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        with contextlib.closing(conn):
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                reply = self.sim.feed(data)
                if reply:
                    try:
                        conn.sendall(reply)
                    except OSError:
                        break
        with contextlib.suppress(ValueError):
            self._conns.remove(conn)
        self.sim.finish()

    def drop_connections(self) -> None:
        """Reset the open connection, as a printer switched off would."""
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._stop.set()
        self.drop_connections()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._thread.join(timeout=2)
