"""Keyboard-wedge code scanners: key bursts to scans, without I/O and without Qt.

A keyboard-wedge (USB HID) scanner types its code as key presses, usually followed by Enter.
On Linux we read its input device exclusively (drivers.evdev_input: EVIOCGRAB), so a scan
never lands in a text field and no input method swallows it (../shared/research/hardware.md
§6, approach 1, the Odoo IoT pattern of §5). This module then tells a scan from typing by
timing (§6, approach 4): a scanner sends its characters a few milliseconds apart, a person
at best ~80 ms apart. Characters whose gaps are all under ``gap_s`` (default 50 ms, the
upper end of §6's 30–50 ms suggestion) and that end with the terminator (Enter by default),
with a configured suffix, or with a silence of ``end_gap_s``, form one scan; anything
slower is typing and is dropped.

Characters come from :class:`drivers.evdev_input.KeyTranslator` (US layout, Shift, Caps
Lock): configure the scanner for plain key codes and a US keyboard layout; Alt+numpad
emulation cannot work on Linux (§6 "Pitfalls"). A key that types nothing (F-keys, arrows,
Ctrl, Alt) breaks the burst.

:class:`ScanDecoder` is pure: it is fed ``(timestamp, InputEvent)`` tuples and told the time
for the silence rule (:meth:`ScanDecoder.expire`). The timestamps may be the kernel's event
times or arrival times, as long as one clock is used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from .evdev_input import EV_KEY, KEY_CAPSLOCK, KEY_PRESS, SHIFT_KEYS, InputEvent, KeyTranslator


@dataclass(frozen=True)
class Scan:
    """One scanned code. ``started_at``/``ended_at`` are on the clock the reader used
    (seconds); ``source`` names the device (``wedge:/dev/input/event5``,
    ``serial:/dev/ttyACM0``). The text may be personal data: never log it."""

    text: str
    started_at: float
    ended_at: float
    source: str = ""

    @property
    def ms(self) -> int:
        """How long the scan took to arrive, in milliseconds."""
        return round((self.ended_at - self.started_at) * 1000)

    def __repr__(self) -> str:  # the text may be an ID number or a health code: keep it out
        return f"Scan(len={len(self.text)}, ms={self.ms}, source={self.source!r})"


Terminator = Literal["enter", "tab", "none"]
TERMINATORS: dict[str, str] = {"enter": "\n", "tab": "\t", "none": ""}


@dataclass
class DecoderStats:
    """Why bursts were not scans (for ``bianmin doctor scan`` hints)."""

    scans: int = 0
    typing: int = 0
    """Bursts dropped because a gap was longer than ``gap_s``."""
    unterminated: int = 0
    """Fast bursts that fell silent without the terminator (scanner sends no Enter?)."""
    too_short: int = 0
    too_long: int = 0
    other_keys: int = 0
    """Bursts broken by a key that types nothing (F-keys, Ctrl, Alt ...)."""
    no_prefix: int = 0


@dataclass
class ScanDecoder:
    """Turns key events into :class:`Scan` s.

    Feed every event of the device (presses, releases, SYN) with :meth:`feed`; call
    :meth:`expire` when nothing arrived for a while (needed only with ``end_gap_s``).
    """

    gap_s: float = 0.05
    """Longest gap between two key presses of one scan, in seconds."""
    terminator: Terminator = "enter"
    """The key that ends a scan: Enter (or keypad Enter), Tab, or none (suffix or
    ``end_gap_s`` end it)."""
    end_gap_s: float | None = None
    """A silence this long after a fast burst ends the scan (scanners set to send no
    terminator), in seconds; None: only the terminator or suffix end a scan. Must be at
    least ``gap_s``."""
    min_length: int = 3
    """Fewer characters (after stripping) are not a scan: a person can press a digit and
    Enter within 50 ms by chance."""
    max_length: int = 4096
    """More characters are not a scan (a key stuck down)."""
    prefix: str = ""
    """Text the scanner is programmed to send first; stripped."""
    require_prefix: bool = False
    """Only bursts starting with ``prefix`` are scans."""
    suffix: str = ""
    """Text the scanner is programmed to send last; stripped. With ``terminator="none"``
    it ends the scan as soon as it arrives."""
    source: str = ""
    """Put into every Scan's ``source``."""
    stats: DecoderStats = field(default_factory=DecoderStats)

    def __post_init__(self) -> None:
        if self.terminator not in TERMINATORS:
            raise ValueError(f"terminator must be enter, tab or none, not {self.terminator!r}")
        if not 0 < self.gap_s <= 1.0:
            raise ValueError(f"gap_s must be above 0 and at most 1 s, not {self.gap_s}")
        if self.end_gap_s is not None and self.end_gap_s < self.gap_s:
            raise ValueError(f"end_gap_s ({self.end_gap_s}) must be at least gap_s "
                             f"({self.gap_s})")
        if self.terminator == "none" and not self.suffix and self.end_gap_s is None:
            raise ValueError("with terminator none, set a suffix or end_gap_s, or scans "
                             "never end")
        if self.require_prefix and not self.prefix:
            raise ValueError("require_prefix needs a prefix")
        if not 1 <= self.min_length <= self.max_length:
            raise ValueError("min_length must be at least 1 and at most max_length")
        self._keys = KeyTranslator()
        self._chars: list[str] = []
        self._started = 0.0
        self._last = 0.0

    # -- feeding

    def feed(self, timestamp: float, event: InputEvent) -> Scan | None:
        """One event; returns a Scan when this event completed one."""
        scan = None
        if (self._chars and self.end_gap_s is not None
                and timestamp - self._last >= self.end_gap_s):
            scan = self.expire(timestamp)  # the silence ended the previous burst
        ch = self._keys.feed(event)
        if event.type != EV_KEY or event.value != KEY_PRESS:
            return scan
        if ch is None:
            if event.code not in SHIFT_KEYS and event.code != KEY_CAPSLOCK and self._chars:
                self.stats.other_keys += 1
                self._chars.clear()
            return scan
        return self._char(timestamp, ch) or scan

    def feed_all(self, events: Iterable[tuple[float, InputEvent]]) -> list[Scan]:
        """Every scan the events complete, in order."""
        scans = []
        for timestamp, event in events:
            scan = self.feed(timestamp, event)
            if scan is not None:
                scans.append(scan)
        return scans

    def expire(self, now: float) -> Scan | None:
        """Apply the silence rule at ``now``: with ``end_gap_s``, a fast burst that has been
        quiet that long is a scan. Otherwise a burst quiet for longer than ``gap_s`` can no
        longer become one and is dropped."""
        if not self._chars or now - self._last < self.gap_s:
            return None
        if self.end_gap_s is not None:
            if now - self._last < self.end_gap_s:
                return None
            return self._finish(self._last)
        # a burst long enough to be a code that stopped without its terminator, or a key or
        # two of typing
        if len(self._chars) >= self.min_length:
            self.stats.unterminated += 1
        else:
            self.stats.typing += 1
        self._chars.clear()
        return None

    def reset(self) -> None:
        """Forget a burst in progress and the Shift state (after a reconnect)."""
        self._chars.clear()
        self._keys = KeyTranslator()

    @property
    def pending(self) -> bool:
        """A burst is in progress."""
        return bool(self._chars)

    # -- internals

    def _char(self, timestamp: float, ch: str) -> Scan | None:
        end = TERMINATORS[self.terminator]
        if self._chars and timestamp - self._last > self.gap_s:
            self.stats.typing += 1  # too slow for a scanner: a person typed this
            self._chars.clear()
        if end and ch == end:
            if not self._chars:
                return None
            self._last = timestamp
            return self._finish(timestamp)
        if ch in "\n\t" and ch != end:  # a control key that is not ours breaks the burst
            if self._chars:
                self.stats.other_keys += 1
                self._chars.clear()
            return None
        if not self._chars:
            self._started = timestamp
        self._chars.append(ch)
        self._last = timestamp
        if len(self._chars) > self.max_length + len(self.prefix) + len(self.suffix):
            self.stats.too_long += 1
            self._chars.clear()
            return None
        if (self.terminator == "none" and self.suffix and len(self._chars) > len(self.suffix)
                and "".join(self._chars[-len(self.suffix):]) == self.suffix):
            return self._finish(timestamp)
        return None

    def _finish(self, ended_at: float) -> Scan | None:
        text = "".join(self._chars)
        self._chars.clear()
        if self.prefix and text.startswith(self.prefix):
            text = text[len(self.prefix):]
        elif self.require_prefix:
            self.stats.no_prefix += 1
            return None
        if self.suffix and text.endswith(self.suffix):
            text = text[: -len(self.suffix)]
        if len(text) < self.min_length:
            self.stats.too_short += 1
            return None
        if len(text) > self.max_length:
            self.stats.too_long += 1
            return None
        self.stats.scans += 1
        return Scan(text, self._started, ended_at, self.source)
