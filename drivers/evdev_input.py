"""Linux input devices (``/dev/input/eventN``) read in pure Python: keyboard-wedge keypads
and barcode scanners.

Why not the ``evdev`` package: it ships no wheels and needs a C compiler on the target
(../shared/research/hardware.md §6 names it; our appliances have no compiler). The kernel
interface is small and stable, so we read it with ``os`` and ``struct``:

- ``struct input_event`` (linux/input.h): ``struct timeval time; __u16 type; __u16 code;
  __s32 value;`` which is 24 bytes on 64-bit Linux (two 8-byte longs) and 16 bytes on
  32-bit ARM with a 32-bit ``time_t``. :data:`EVENT_FORMAT` uses the platform's native
  ``long``, which is what the kernel writes for the running ABI.
- event types and key codes: linux/input-event-codes.h (``EV_KEY`` = 1, ``KEY_1`` = 2 …
  ``KEY_0`` = 11, ``KEY_F1`` = 59, ``KEY_KP1`` = 79, …); key ``value`` 1 is a press, 0 a
  release and 2 an autorepeat.
- ``EVIOCGRAB`` = ``_IOW('E', 0x90, int)`` (linux/input.h): with argument 1 the reader gets
  the device's events exclusively, so a keypad's digits never land in whatever window has
  the focus (the Odoo IoT pattern, hardware.md §5); 0 releases it. ``EVIOCGNAME(len)`` =
  ``_IOC(_IOC_READ, 'E', 0x06, len)`` gives the device's name.

The grab and the name need a character device; for anything else (a FIFO in the tests, a
recorded file) they are skipped with a log note. Reading needs the ``input`` group or a
udev rule (docs/devices/rating.md).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import select
import stat
import struct
import time
from dataclasses import dataclass

from .transports import TransportError

log = logging.getLogger(__name__)

EVENT_FORMAT = "@llHHi"
"""Native ``struct input_event``: tv_sec, tv_usec, type, code, value."""
EVENT = struct.Struct(EVENT_FORMAT)
EVENT_SIZE = EVENT.size  # 24 on 64-bit Linux

EV_SYN = 0x00
EV_KEY = 0x01
EV_MSC = 0x04
KEY_RELEASE, KEY_PRESS, KEY_REPEAT = 0, 1, 2


def _ioc(direction: int, kind: str, number: int, size: int) -> int:
    """The ``_IOC`` macro of asm-generic/ioctl.h: dir(2) size(14) type(8) nr(8)."""
    return (direction << 30) | (size << 16) | (ord(kind) << 8) | number


_IOC_WRITE, _IOC_READ = 1, 2
EVIOCGRAB = _ioc(_IOC_WRITE, "E", 0x90, struct.calcsize("i"))  # 0x40044590


def eviocgname(length: int = 256) -> int:
    return _ioc(_IOC_READ, "E", 0x06, length)


@dataclass(frozen=True)
class InputEvent:
    """One ``input_event``: ``time`` in seconds (the kernel's timestamp), type, code, value."""

    time: float
    type: int
    code: int
    value: int

    @property
    def is_key_press(self) -> bool:
        return self.type == EV_KEY and self.value == KEY_PRESS


def encode_event(type_: int, code: int, value: int, timestamp: float = 0.0) -> bytes:
    """The bytes the kernel would write for an event (for tests and recordings)."""
    sec = int(timestamp)
    usec = min(999_999, round((timestamp - sec) * 1_000_000))
    return EVENT.pack(sec, usec, type_, code, value)


def parse_events(buf: bytes | bytearray) -> tuple[list[InputEvent], int]:
    """Whole events at the start of ``buf`` and the bytes they took (a multiple of
    :data:`EVENT_SIZE`; a partial event at the end waits for the rest). Any bytes are
    accepted: there is no framing to violate, only sizes."""
    count = len(buf) // EVENT_SIZE
    events = []
    for sec, usec, type_, code, value in EVENT.iter_unpack(bytes(buf[: count * EVENT_SIZE])):
        events.append(InputEvent(sec + usec / 1_000_000, type_, code, value))
    return events, count * EVENT_SIZE


# --------------------------------------------------------------------------- key tables

# linux/input-event-codes.h, US layout: code -> (unshifted, shifted).
_US_KEYS: dict[int, tuple[str, str]] = {
    2: ("1", "!"), 3: ("2", "@"), 4: ("3", "#"), 5: ("4", "$"), 6: ("5", "%"), 7: ("6", "^"),
    8: ("7", "&"), 9: ("8", "*"), 10: ("9", "("), 11: ("0", ")"), 12: ("-", "_"),
    13: ("=", "+"), 15: ("\t", "\t"), 16: ("q", "Q"), 17: ("w", "W"), 18: ("e", "E"),
    19: ("r", "R"), 20: ("t", "T"), 21: ("y", "Y"), 22: ("u", "U"), 23: ("i", "I"),
    24: ("o", "O"), 25: ("p", "P"), 26: ("[", "{"), 27: ("]", "}"), 28: ("\n", "\n"),
    30: ("a", "A"), 31: ("s", "S"), 32: ("d", "D"), 33: ("f", "F"), 34: ("g", "G"),
    35: ("h", "H"), 36: ("j", "J"), 37: ("k", "K"), 38: ("l", "L"), 39: (";", ":"),
    40: ("'", '"'), 41: ("`", "~"), 43: ("\\", "|"), 44: ("z", "Z"), 45: ("x", "X"),
    46: ("c", "C"), 47: ("v", "V"), 48: ("b", "B"), 49: ("n", "N"), 50: ("m", "M"),
    51: (",", "<"), 52: (".", ">"), 53: ("/", "?"), 55: ("*", "*"), 57: (" ", " "),
    # keypad: NumLock on, as keypads and scanners send it
    71: ("7", "7"), 72: ("8", "8"), 73: ("9", "9"), 74: ("-", "-"), 75: ("4", "4"),
    76: ("5", "5"), 77: ("6", "6"), 78: ("+", "+"), 79: ("1", "1"), 80: ("2", "2"),
    81: ("3", "3"), 82: ("0", "0"), 83: (".", "."), 96: ("\n", "\n"), 98: ("/", "/"),
}
KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_CAPSLOCK = 42, 54, 58
KEY_ENTER, KEY_KPENTER = 28, 96
SHIFT_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})

KEY_NAMES: dict[int, str] = {
    **{code: str((code - 1) % 10) for code in range(2, 12)},  # "1".."9", "0"
    **{59 + i: f"F{i + 1}" for i in range(10)},  # F1..F10
    87: "F11", 88: "F12",
    79: "KP1", 80: "KP2", 81: "KP3", 75: "KP4", 76: "KP5", 77: "KP6", 71: "KP7", 72: "KP8",
    73: "KP9", 82: "KP0",
    KEY_ENTER: "ENTER", KEY_KPENTER: "KPENTER", 57: "SPACE", 1: "ESC", 14: "BACKSPACE",
    **{code: pair[0].upper() for code, pair in _US_KEYS.items()
       if pair[0].isalpha() and len(pair[0]) == 1},
}
"""Key code -> the name used in key maps ("1", "F1", "KP1", "A", "ENTER")."""
KEY_CODES: dict[str, int] = {name: code for code, name in KEY_NAMES.items()}


def key_name(code: int) -> str:
    """``"F1"`` for 59; ``"KEY_200"`` for a code without a name here."""
    return KEY_NAMES.get(code, f"KEY_{code}")


class KeyTranslator:
    """Key events to characters on a US layout, tracking Shift and Caps Lock (what a
    keyboard-wedge scanner types). Feed every event; presses (and, with ``repeat=True``,
    autorepeats) of printable keys give a character, Enter gives ``"\\n"``."""

    def __init__(self, *, repeat: bool = False):
        self.repeat = repeat
        self._shift: set[int] = set()
        self._caps = False

    def feed(self, event: InputEvent) -> str | None:
        if event.type != EV_KEY:
            return None
        if event.code in SHIFT_KEYS:
            (self._shift.add if event.value else self._shift.discard)(event.code)
            return None
        if event.value == KEY_RELEASE or (event.value == KEY_REPEAT and not self.repeat):
            return None
        if event.code == KEY_CAPSLOCK:
            if event.value == KEY_PRESS:
                self._caps = not self._caps
            return None
        pair = _US_KEYS.get(event.code)
        if pair is None:
            return None
        plain, shifted = pair
        upper = bool(self._shift)
        if plain.isalpha():
            upper ^= self._caps
        return shifted if upper else plain


# --------------------------------------------------------------------------- device


class EvdevDevice:
    """An input event node, opened non-blocking and (for a character device) grabbed.

    :param path: ``/dev/input/eventN`` or a stable ``/dev/input/by-id/...-event-kbd`` link.
    :param grab: take the device's events exclusively (EVIOCGRAB).
    :raises TransportError: the node cannot be opened (missing, no permission) or grabbed
        (another program holds the grab).
    """

    def __init__(self, path: str, *, grab: bool = True):
        self.name = str(path)
        self.path = str(path)
        try:
            self._fd: int | None = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except PermissionError as exc:
            raise TransportError(f"{path}: permission denied; add the service user to the "
                                 "input (or bianmin) group, or check the udev rule") from exc
        except FileNotFoundError as exc:
            raise TransportError(f"{path}: no such input device; is the keypad or scanner plugged "
                                 "in?") from exc
        except OSError as exc:
            raise TransportError(f"{path}: {exc.strerror}") from exc
        self.is_char_device = stat.S_ISCHR(os.fstat(self._fd).st_mode)
        self.grabbed = False
        self._buf = bytearray()
        if grab:
            self._grab()

    def _grab(self) -> None:
        if not self.is_char_device:
            log.info("%s is not a character device: not grabbing it", self.path)
            return
        try:
            fcntl.ioctl(self._fd, EVIOCGRAB, 1)
        except OSError as exc:
            self.close()
            if exc.errno == errno.EBUSY:
                raise TransportError(f"{self.path}: another program holds this input device "
                                     "(grabbed)") from exc
            raise TransportError(f"{self.path}: cannot grab the input device "
                                 f"({exc.strerror})") from exc
        self.grabbed = True

    def device_name(self) -> str | None:
        """The kernel's name of the device (EVIOCGNAME), or None for a non-device node."""
        if not self.is_char_device or self._fd is None:
            return None
        buf = bytearray(256)
        try:
            fcntl.ioctl(self._fd, eviocgname(len(buf)), buf)
        except OSError:
            return None
        return bytes(buf).split(b"\x00", 1)[0].decode("utf-8", errors="replace")

    def read_events(self, timeout_s: float) -> list[InputEvent]:
        """The events that arrive within ``timeout_s`` (returns as soon as any arrive; an
        empty list when none did).

        :raises TransportError: the device went away (unplugged: ENODEV).
        """
        if self._fd is None:
            raise TransportError(f"{self.path}: closed")
        deadline = time.monotonic() + max(0.0, timeout_s)
        while True:
            left = deadline - time.monotonic()
            try:
                ready, _, _ = select.select([self._fd], [], [], max(0.0, left))
                chunk = os.read(self._fd, EVENT_SIZE * 64) if ready else b""
            except BlockingIOError:
                chunk = b""
            except OSError as exc:
                raise TransportError(f"{self.path}: the input device went away "
                                     f"({exc.strerror}); is the keypad or scanner still plugged "
                                     "in?") from exc
            if ready and not chunk:
                if self.is_char_device:
                    raise TransportError(f"{self.path}: the input device went away")
                # a FIFO without a writer reads as EOF at once: wait instead of spinning
                time.sleep(min(max(0.0, left), 0.01))
            if chunk:
                self._buf += chunk
                events, used = parse_events(self._buf)
                del self._buf[:used]
                if events:
                    return events
            if left <= 0:
                return []

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if self.grabbed:
            with contextlib.suppress(OSError):
                fcntl.ioctl(fd, EVIOCGRAB, 0)
            self.grabbed = False
        with contextlib.suppress(OSError):
            os.close(fd)
