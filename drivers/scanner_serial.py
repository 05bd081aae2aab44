"""Code scanners in serial mode (USB-CDC "virtual COM port", or RS-232): one code per line.

Most handheld and desk scanners can be switched from keyboard-wedge to USB-CDC / virtual
COM mode by scanning a setup code from their manual (../shared/research/hardware.md §6,
approach 2: https://idctop.com/article/40124.html, http://www.scwdgb.com/arc-jingyan/8691.html).
They then send each code followed by the configured suffix, CR by default on most models,
CR LF or LF on others, or nothing. The baud rate matters only for RS-232 models (9600 8N1
is the usual factory setting); a CDC port ignores it.

:class:`LineReader` is the pure part (fed ``(timestamp, bytes)``, told the time for
timeouts; fuzzed): it splits lines, bounds their length, drops a partial line after a
silence (unless the scanner sends no terminator, where the silence *is* the end), and
rejects garbage (bytes that decode in none of the encodings, or control characters other
than the GS/RS/EOT separators of GS1 and ISO/IEC 15434 codes). :class:`SerialScanner`
is handed a :class:`~drivers.transports.Transport` and returns :class:`Scan` s.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from .scan_decoder import Scan
from .transports import Transport

LineEnd = Literal["cr", "lf", "crlf", "any", "none"]
LINE_ENDS: dict[str, bytes] = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "any": b"",
                               "none": b""}
ALLOWED_CONTROLS = frozenset("\x1d\x1e\x04\t")
"""GS and RS (GS1 FNC1 and ISO/IEC 15434 separators), EOT (15434 trailer) and Tab."""
DEFAULT_BAUD = 9600


@dataclass
class LineStats:
    """What was not a code, counted (for ``bianmin doctor scan`` hints)."""

    scans: int = 0
    partial: int = 0
    """Lines cut off: bytes without a line end, then silence."""
    too_long: int = 0
    garbage: int = 0
    """Lines that are not text (undecodable, or control characters)."""
    empty: int = 0


@dataclass
class LineReader:
    """Bytes to scans, one per line."""

    terminator: LineEnd = "cr"
    """What ends a line: CR, LF, CR LF, any of them, or none (a silence of
    ``line_timeout_s`` ends the code)."""
    max_length: int = 4096
    """Longest code in characters; a longer line is dropped whole."""
    line_timeout_s: float = 0.2
    """Silence after which bytes without a line end are dropped (or, with terminator
    "none", form the code), in seconds. A scanner sends a code in one burst."""
    encodings: Sequence[str] = ("utf-8", "gb18030")
    """Tried in order; Chinese scanners send QR codes with Chinese text as UTF-8 or as
    GBK/GB18030 depending on a setting."""
    source: str = ""
    stats: LineStats = field(default_factory=LineStats)

    def __post_init__(self) -> None:
        if self.terminator not in LINE_ENDS:
            raise ValueError(f"terminator must be one of {', '.join(LINE_ENDS)}, "
                             f"not {self.terminator!r}")
        if not 1 <= self.max_length <= 65536:
            raise ValueError(f"max_length must be 1–65536, not {self.max_length}")
        if not 0 < self.line_timeout_s <= 10:
            raise ValueError(f"line_timeout_s must be above 0 and at most 10 s, "
                             f"not {self.line_timeout_s}")
        for name in self.encodings:
            "".encode(name)  # LookupError for an unknown codec, at configuration time
        self._buf = bytearray()
        self._started = 0.0
        self._last = 0.0
        self._overflow = False  # dropping an over-long line until its end

    def feed(self, timestamp: float, data: bytes) -> list[Scan]:
        """Bytes that arrived at ``timestamp``; returns the scans they completed."""
        scans = self.expire(timestamp)
        if not data:
            return scans
        if not self._buf and not self._overflow:
            self._started = timestamp
        self._last = timestamp
        self._buf += data
        while True:
            cut = self._line_end()
            if cut is None:
                break
            line_end, resume = cut
            line = bytes(self._buf[:line_end])
            del self._buf[:resume]
            if self._overflow:
                self._overflow = False
            else:
                scan = self._make(line, timestamp)
                if scan is not None:
                    scans.append(scan)
            self._started = timestamp
        limit = self.max_length * 4 + 4  # 4 bytes a character at most (UTF-8, GB18030)
        if len(self._buf) > limit:
            if not self._overflow:
                self.stats.too_long += 1
            self._overflow = True
            del self._buf[:-4]  # keep a tail in case a CR LF straddles the cut
        return scans

    def expire(self, now: float) -> list[Scan]:
        """Apply the silence rule at ``now`` (call it when a read timed out)."""
        if not (self._buf or self._overflow) or now - self._last < self.line_timeout_s:
            return []
        line, self._buf = bytes(self._buf), bytearray()
        if self._overflow:
            self._overflow = False
            return []
        if self.terminator == "none":
            scan = self._make(line, self._last)
            return [scan] if scan is not None else []
        if line.strip(b"\r\n"):
            self.stats.partial += 1
        return []

    @property
    def pending(self) -> bool:
        return bool(self._buf) or self._overflow

    def _line_end(self) -> tuple[int, int] | None:
        """(end of the line, where the next begins) for the first complete line."""
        buf = self._buf
        if self.terminator == "none":
            return None
        if self.terminator == "any":
            positions = [p for p in (buf.find(b"\r"), buf.find(b"\n")) if p >= 0]
            if not positions:
                return None
            p = min(positions)
            return p, p + 1  # CR LF: the LF then ends an empty line, which is skipped
        end = LINE_ENDS[self.terminator]
        p = buf.find(end)
        return None if p < 0 else (p, p + len(end))

    def _make(self, line: bytes, ended_at: float) -> Scan | None:
        line = line.strip(b"\r\n")  # a CR LF scanner read with cr or lf still works
        if not line:
            self.stats.empty += 1
            return None
        text = self._decode(line)
        if text is None:
            self.stats.garbage += 1
            return None
        if len(text) > self.max_length:
            self.stats.too_long += 1
            return None
        self.stats.scans += 1
        return Scan(text, self._started, ended_at, self.source)

    def _decode(self, line: bytes) -> str | None:
        for encoding in self.encodings:
            try:
                text = line.decode(encoding)
            except UnicodeDecodeError:
                continue
            if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")
                   and ch not in ALLOWED_CONTROLS for ch in text):
                continue
            return text
        return None


class SerialScanner:
    """A serial-mode scanner behind a transport.

    :param reader: the line rules (a fresh default :class:`LineReader` if None); its
        ``source`` is set to ``serial:<transport name>`` when empty.
    """

    def __init__(self, transport: Transport, reader: LineReader | None = None):
        self.transport = transport
        self.reader = reader or LineReader()
        if not self.reader.source:
            self.reader.source = f"serial:{transport.name}"
        self._ready: list[Scan] = []

    def read_scan(self, timeout_s: float) -> Scan | None:
        """The next scan within ``timeout_s``, or None.

        :raises TransportError: the link failed (unplugged).
        """
        deadline = time.monotonic() + timeout_s
        while not self._ready:
            left = deadline - time.monotonic()
            if left <= 0:
                self._ready += self.reader.expire(time.monotonic())
                break
            # wake up for the silence rule when a partial line is waiting
            wait = min(left, self.reader.line_timeout_s / 2) if self.reader.pending else left
            data = self.transport.read(4096, wait)
            now = time.monotonic()
            self._ready += self.reader.feed(now, data) if data else self.reader.expire(now)
        return self._ready.pop(0) if self._ready else None

    def close(self) -> None:
        self.transport.close()
