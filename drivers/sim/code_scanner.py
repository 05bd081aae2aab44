"""Simulated code scanners, as real peers of our readers.

- :class:`SerialScannerSim`: a scanner in USB-CDC / serial mode on a pseudo-terminal
  (:class:`~drivers.sim.pty_link.PtyLink`): :meth:`~SerialScannerSim.scan` sends the code
  with its prefix, suffix and line end, paced at the baud rate, so
  :class:`drivers.scanner_serial.SerialScanner` runs its real serial code.
- :class:`WedgeScannerSim`: a keyboard-wedge scanner. It writes real ``struct input_event``
  records (press, release, Shift, SYN_REPORT, with real timestamps, paced in real time) into
  a FIFO, which :class:`drivers.evdev_input.EvdevDevice` opens like ``/dev/input/eventN``,
  so the real reader and :class:`drivers.scan_decoder.ScanDecoder` run. Its US-layout
  table is its own copy (written from linux/input-event-codes.h), deliberately not the
  reader's.

Behaviour is configuration (:class:`CodeScannerSimConfig`, also from
``sim://scanner?mode=wedge&codes=A001,B002&every_s=1`` options via
:meth:`CodeScannerSimConfig.from_url_options`): line end, prefix and suffix, key pacing,
garbage, cut-off lines, codes scanned by themselves, and unplugging.
"""

from __future__ import annotations

import contextlib
import os
import random
import stat
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from .pty_link import PtyLink

MODES = ("serial", "wedge")
TERMINATORS = ("cr", "lf", "crlf", "enter", "tab", "none")

# linux/input-event-codes.h (US layout): character -> (key code, with Shift)
_ROWS = (
    (2, "1234567890-=", "!@#$%^&*()_+"),
    (16, "qwertyuiop[]", "QWERTYUIOP{}"),
    (30, "asdfghjkl;'`", 'ASDFGHJKL:"~'),
    (43, "\\zxcvbnm,./", "|ZXCVBNM<>?"),
)
US_KEYS: dict[str, tuple[int, bool]] = {" ": (57, False), "\t": (15, False), "\n": (28, False)}
for _first, _plain, _shifted in _ROWS:
    for _i, (_p, _s) in enumerate(zip(_plain, _shifted, strict=True)):
        US_KEYS[_p] = (_first + _i, False)
        US_KEYS[_s] = (_first + _i, True)
KEY_LEFTSHIFT = 42
KEY_F5 = 63
EV_SYN, EV_KEY, SYN_REPORT = 0, 1, 0


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass
class CodeScannerSimConfig:
    """How the simulated scanner behaves. URL options use the same names (``baud`` for
    ``baudrate``, ``codes`` as a comma-separated list)."""

    mode: str = "serial"
    """serial (USB-CDC / RS-232 lines) or wedge (keyboard events into a FIFO)."""
    terminator: str = "cr"
    """What follows each code: cr, lf, crlf (serial), enter, tab (wedge; cr/lf/crlf also
    mean Enter there), or none."""
    prefix: str = ""
    """Text sent before each code (as programmed into a real scanner)."""
    suffix: str = ""
    """Text sent after each code, before the terminator."""
    baudrate: int | None = 9600
    """Serial pacing in bit/s; None or 0: as fast as possible."""
    key_interval_ms: float = 4.0
    """Wedge: time between key presses (real scanners: 1–10 ms; people: 80 ms and more)."""
    garbage: float = 0.0
    """Probability (0–1) that junk precedes a code: random bytes then a line end (serial),
    or an F5 key press (wedge)."""
    cut: float = 0.0
    """Serial: probability (0–1) that a code is cut off half way (a cable glitch)."""
    codes: tuple[str, ...] = ()
    """Codes the scanner scans by itself, in turn, after ``delay_s`` and then every
    ``every_s`` (for ``bianmin demo`` and ``bianmin doctor scan``)."""
    delay_s: float = 0.3
    """Seconds before the first automatic scan."""
    every_s: float = 0.0
    """Seconds between automatic scans; 0: each code once."""
    unplug_after: int | None = None
    """Pull the cable after this many scans; None: never."""
    fifo: str | None = None
    """Wedge: the FIFO path to create; None: a fresh one in a temporary folder."""
    seed: int | None = None
    """Random seed for garbage and cuts, so a failing run can be repeated."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be serial or wedge, not {self.mode!r}")
        if self.terminator not in TERMINATORS:
            raise ValueError(f"terminator must be one of {', '.join(TERMINATORS)}, "
                             f"not {self.terminator!r}")
        for name in ("garbage", "cut"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability from 0 to 1, "
                                 f"not {getattr(self, name)}")
        if self.key_interval_ms < 0:
            raise ValueError("key_interval_ms must not be negative")
        self.codes = tuple(self.codes)
        if self.mode == "wedge":
            for code in (*self.codes, self.prefix, self.suffix):
                if missing := sorted({ch for ch in code if ch not in US_KEYS}):
                    raise ValueError(f"a keyboard-wedge scanner cannot type {missing!r} "
                                     "(US layout keys only)")

    @classmethod
    def from_url_options(cls, options: Mapping[str, str]) -> CodeScannerSimConfig:
        """From ``sim://scanner?mode=serial&codes=A001,B002`` options; unknown options are
        errors."""
        names = {f.name for f in fields(cls)} - {"baudrate"} | {"baud"}
        if unknown := set(options) - names:
            raise ValueError(f"unknown scanner simulator options: {', '.join(sorted(unknown))}"
                             f"; known: {', '.join(sorted(names))}")
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            try:
                if key == "baud":
                    kwargs["baudrate"] = int(value) or None
                elif key in ("key_interval_ms", "garbage", "cut", "delay_s", "every_s"):
                    kwargs[key] = float(value)
                elif key in ("unplug_after", "seed"):
                    kwargs[key] = int(value) if value else None
                elif key == "codes":
                    kwargs[key] = tuple(c for c in value.split(",") if c)
                elif key == "fifo":
                    kwargs[key] = value or None
                else:
                    kwargs[key] = value
            except ValueError:
                raise ValueError(f"scanner simulator option {key}: not a number: "
                                 f"{value!r}") from None
        return cls(**kwargs)


class _AutoScan:
    """Scans the configured codes from a thread."""

    def __init__(self, sim: SerialScannerSim | WedgeScannerSim):
        self._sim = sim
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scanner-sim", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        config = self._sim.config
        if self._stop.wait(config.delay_s):
            return
        while True:
            for code in config.codes:
                if self._stop.is_set() or self._sim.unplugged:
                    return
                self._sim.scan(code)
                if config.every_s and self._stop.wait(config.every_s):
                    return
            if not config.every_s:
                return

    def stop(self) -> None:
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(2.0)


class _SimBase:
    config: CodeScannerSimConfig
    unplugged: bool

    def __init__(self, config: CodeScannerSimConfig):
        self.config = config
        self._rng = random.Random(config.seed)  # noqa: S311 - line noise, not secrets
        self._lock = threading.Lock()
        self.scans = 0
        """Codes scanned so far."""
        self.unplugged = False
        self._auto: _AutoScan | None = None

    def _start_auto(self) -> None:
        if self.config.codes:
            self._auto = _AutoScan(self)  # type: ignore[arg-type]

    def _count(self) -> None:
        self.scans += 1
        limit = self.config.unplug_after
        if limit is not None and self.scans >= limit:
            self.unplug()

    def unplug(self) -> None:
        raise NotImplementedError

    def _stop_auto(self) -> None:
        if self._auto is not None:
            self._auto.stop()


class SerialScannerSim(_SimBase):
    """A serial-mode scanner on a fresh pseudo-terminal; open :attr:`path` with
    :class:`~drivers.transports.SerialTransport`."""

    def __init__(self, config: CodeScannerSimConfig | None = None):
        super().__init__(config or CodeScannerSimConfig())
        self.link = PtyLink(lambda data: None, baudrate=self.config.baudrate or None)
        self._start_auto()

    @property
    def path(self) -> str:
        return self.link.path

    def line_end(self) -> bytes:
        return {"cr": b"\r", "enter": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t",
                "none": b""}[self.config.terminator]

    def scan(self, text: str, encoding: str = "utf-8") -> None:
        """Send one code as the scanner would (prefix, code, suffix, line end)."""
        if self.unplugged:
            return
        config = self.config
        data = (config.prefix + text + config.suffix).encode(encoding) + self.line_end()
        with self._lock:
            if config.garbage and self._rng.random() < config.garbage:
                junk = self._rng.randbytes(self._rng.randint(1, 12))
                self.link.send(junk + self.line_end())
            if config.cut and self._rng.random() < config.cut:
                self.link.send(data[: max(1, len(data) // 2)])
                time.sleep(0.5)  # silence: the rest never comes
                return
            self.link.send(data)
        self._count()

    def send_raw(self, data: bytes) -> None:
        """Any bytes (tests of garbage and partial lines)."""
        self.link.send(data)

    def unplug(self) -> None:
        self.unplugged = True
        self._stop_auto()
        self.link.unplug()

    close = unplug


class WedgeScannerSim(_SimBase):
    """A keyboard-wedge scanner writing input events into a FIFO at :attr:`path`; open it
    with :class:`drivers.evdev_input.EvdevDevice` (``grab`` is skipped for a FIFO)."""

    def __init__(self, config: CodeScannerSimConfig | None = None):
        super().__init__(config or CodeScannerSimConfig(mode="wedge"))
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        if self.config.fifo:
            self.path = self.config.fifo
        else:
            self._dir = tempfile.TemporaryDirectory(prefix="bianmin-wedge-")
            self.path = str(Path(self._dir.name) / "event-kbd")
        self._fd: int | None = None
        self.plug()
        self._start_auto()

    def plug(self) -> None:
        """Create the FIFO (again, after :meth:`unplug`): the device node appears."""
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISFIFO(os.stat(self.path).st_mode):
                os.unlink(self.path)
        os.mkfifo(self.path, 0o600)
        # Read-write, so the write end never blocks waiting for a reader and events wait
        # in the pipe until the reader opens it (this end never reads).
        self._fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)
        self.unplugged = False

    def _key_events(self, code: int, value: int, now: float) -> bytes:
        from struct import pack

        sec = int(now)
        usec = int((now - sec) * 1_000_000)
        return (pack("@llHHi", sec, usec, EV_KEY, code, value)
                + pack("@llHHi", sec, usec, EV_SYN, SYN_REPORT, 0))

    def _write(self, data: bytes) -> None:
        fd = self._fd
        if fd is None:
            return
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(fd, data)

    def _type_key(self, code: int, shift: bool) -> None:
        now = time.time()  # evdev timestamps are wall-clock (CLOCK_REALTIME) by default
        data = b""
        if shift:
            data += self._key_events(KEY_LEFTSHIFT, 1, now)
        data += self._key_events(code, 1, now) + self._key_events(code, 0, now)
        if shift:
            data += self._key_events(KEY_LEFTSHIFT, 0, now)
        self._write(data)

    def terminator_key(self) -> str:
        return {"cr": "\n", "lf": "\n", "crlf": "\n", "enter": "\n", "tab": "\t",
                "none": ""}[self.config.terminator]

    def scan(self, text: str, key_interval_ms: float | None = None) -> None:
        """Type one code as the scanner would: prefix, code, suffix and terminator key, one
        key every ``key_interval_ms`` (default: the configured pacing)."""
        if self.unplugged:
            return
        config = self.config
        interval = (config.key_interval_ms if key_interval_ms is None else key_interval_ms)
        keys = config.prefix + text + config.suffix + self.terminator_key()
        if missing := sorted({ch for ch in keys if ch not in US_KEYS}):
            raise ValueError(f"a keyboard-wedge scanner cannot type {missing!r}")
        with self._lock:
            if config.garbage and self._rng.random() < config.garbage:
                self._type_key(KEY_F5, False)
                time.sleep(interval / 1000)
            for i, ch in enumerate(keys):
                if i:
                    time.sleep(interval / 1000)
                code, shift = US_KEYS[ch]
                self._type_key(code, shift)
        self._count()

    def type_slowly(self, text: str, key_interval_ms: float = 150.0) -> None:
        """A person typing ``text`` and Enter on the same device: not a scan."""
        self.scan(text, key_interval_ms)

    def send_raw(self, data: bytes) -> None:
        """Any bytes into the device node (garbage tests)."""
        self._write(data)

    def unplug(self) -> None:
        """The device node disappears (the reader's open descriptor then reads nothing)."""
        self.unplugged = True
        self._stop_auto()
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def close(self) -> None:
        self.unplug()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


CodeScannerSim = SerialScannerSim | WedgeScannerSim


def start_scanner_sim(config: CodeScannerSimConfig) -> SerialScannerSim | WedgeScannerSim:
    """The simulator for ``config.mode``; both serve at ``.path``."""
    return WedgeScannerSim(config) if config.mode == "wedge" else SerialScannerSim(config)
