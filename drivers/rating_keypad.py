"""The cheap rating terminal: a five-key USB keypad that types keys (a keyboard wedge), read
from its Linux input node (drivers/evdev_input.py, grabbed so its keys reach no window).

Such keypads speak no protocol: each button sends a key press, and which key varies by
vendor (digits, keypad digits or F1–F5, left-to-right or right-to-left). So the key map is
configuration. The default (:data:`DEFAULT_KEYMAP`) reads the key's number as the 好差评
level (hardware.md §4)::

    key "5" / "KP5" / "F5"  ->  5 非常满意        key "2" / "KP2" / "F2"  ->  2 不满意
    key "4" / "KP4" / "F4"  ->  4 满意            key "1" / "KP1" / "F1"  ->  1 非常不满意
    key "3" / "KP3" / "F3"  ->  3 基本满意

A keypad whose leftmost button is 非常满意 and sends F1 is configured as
``keys = "F1:5,F2:4,F3:3,F4:2,F5:1"``.

Rules (:class:`KeypadMapper`, pure and clock-injected):

- presses outside a prompt are ignored (the citizen pressing while nobody is being served
  rates nothing), including those still unread when a prompt opens;
- the first accepted press closes the prompt (现场 "一次一评": one rating per service);
- autorepeats (value 2) and releases are ignored; a press within ``debounce_s`` of the
  previous press of a mapped key is ignored, whether that one was accepted or not, so a
  bouncing contact or a double tap never rates twice and the tail of one citizen's double
  tap does not rate the next prompt.

A keypad cannot ask 差评 reasons; outcomes carry none (the kiosk's screen may ask them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from .evdev_input import EV_KEY, KEY_CODES, KEY_PRESS, InputEvent, key_name
from .rating_bianmin import LEVELS, RatingOutcome

DEFAULT_KEYMAP: dict[str, int] = {
    **{str(n): n for n in range(1, 6)},
    **{f"KP{n}": n for n in range(1, 6)},
    **{f"F{n}": n for n in range(1, 6)},
}
"""Key name (drivers.evdev_input.KEY_NAMES) -> level: the key's number is the level."""
DEFAULT_DEBOUNCE_S = 0.3


class KeySource(Protocol):
    """Where key events come from: :class:`drivers.evdev_input.EvdevDevice`, or a fake."""

    name: str

    def read_events(self, timeout_s: float) -> list[InputEvent]: ...

    def close(self) -> None: ...


def parse_keymap(text: str) -> dict[str, int]:
    """``"F1:5,F2:4,F3:3,F4:2,F5:1"`` (``=`` works as well as ``:``) -> key map.

    :raises ValueError: an unknown key name, a level outside 1–5, a key given twice, or a
        map that leaves a level without a key.
    """
    keymap: dict[str, int] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, level = item.replace("=", ":").partition(":")
        key = key.strip().upper()
        if not sep or not level.strip().isdigit():
            raise ValueError(f"key map entry {item!r}: write KEY:LEVEL, e.g. F1:5")
        if key not in KEY_CODES:
            raise ValueError(f"key map entry {item!r}: unknown key {key!r} (use names such as "
                             "1, KP1, F1, A)")
        if key in keymap:
            raise ValueError(f"key map: key {key} is given twice")
        keymap[key] = int(level)
    return check_keymap(keymap)


def check_keymap(keymap: Mapping[str, int]) -> dict[str, int]:
    """The key map with names normalised. :raises ValueError: as :func:`parse_keymap`."""
    out: dict[str, int] = {}
    for key, level in keymap.items():
        name = key.upper()
        if name not in KEY_CODES:
            raise ValueError(f"unknown key {key!r} in the key map")
        if level not in LEVELS:
            raise ValueError(f"key {name}: level must be 1-5, not {level}")
        out[name] = level
    if missing := set(LEVELS) - set(out.values()):
        raise ValueError("the key map gives no key for level "
                         + ", ".join(str(m) for m in sorted(missing)))
    return out


class KeypadMapper:
    """Key events to levels within a prompt window (see the module rules)."""

    def __init__(self, keymap: Mapping[str, int] | None = None, *,
                 debounce_s: float = DEFAULT_DEBOUNCE_S):
        names = check_keymap(keymap if keymap is not None else DEFAULT_KEYMAP)
        self.levels: dict[int, int] = {KEY_CODES[name]: level for name, level in names.items()}
        self.debounce_s = debounce_s
        self._open = False
        self._last_press: float | None = None
        self.ignored = 0
        """Mapped presses ignored (outside a prompt, or within the debounce time)."""

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        self._open = True

    def close(self) -> None:
        self._open = False

    def feed(self, event: InputEvent, now: float) -> int | None:
        """The level this event rates, or None. ``now`` is the monotonic time of arrival."""
        if event.type != EV_KEY or event.value != KEY_PRESS:
            return None
        level = self.levels.get(event.code)
        if level is None:
            return None
        last, self._last_press = self._last_press, now
        if not self._open or (last is not None and now - last < self.debounce_s):
            self.ignored += 1
            return None
        self._open = False
        return level


class KeypadRatingTerminal:
    """A five-key keypad as a rating terminal, over a :class:`KeySource`.

    Not thread-safe: one thread calls :meth:`prompt` or :meth:`idle` at a time (the role
    holds a lock).
    """

    model = "keypad-5key"

    def __init__(self, source: KeySource, keymap: Mapping[str, int] | None = None, *,
                 debounce_s: float = DEFAULT_DEBOUNCE_S,
                 clock: Callable[[], float] = time.monotonic):
        self.source = source
        self.mapper = KeypadMapper(keymap, debounce_s=debounce_s)
        self._clock = clock
        self.unknown_keys: list[str] = []
        """Names of unmapped keys pressed during prompts (to help set a vendor's key map)."""

    def idle(self, timeout_s: float) -> None:
        """Read and drop events outside a prompt (keeps the debounce memory and notices an
        unplugged keypad). :raises TransportError: the keypad went away."""
        for event in self.source.read_events(timeout_s):
            self.mapper.feed(event, self._clock())

    def _drain(self) -> None:
        """Presses made before the prompt opened but not yet read rate nothing: read them
        now, with the prompt still closed."""
        for _ in range(100):  # bounded: a stuck key must not hold the prompt forever
            events = self.source.read_events(0)
            if not events:
                return
            for event in events:
                self.mapper.feed(event, self._clock())

    def prompt(self, case_no: str, timeout_s: float = 30, ask_reasons: bool = False, *,
               cancel_event: threading.Event | None = None) -> RatingOutcome:
        """Wait up to ``timeout_s`` for one press. ``ask_reasons`` is accepted for symmetry
        with :class:`drivers.rating_bianmin.BianminRatingTerminal` and has no effect.

        :raises TransportError: the keypad went away.
        """
        del ask_reasons  # a keypad has no reason keys
        self._drain()
        start = self._clock()
        deadline = start + timeout_s
        self.mapper.open()
        try:
            while True:
                if cancel_event is not None and cancel_event.is_set():
                    return RatingOutcome(None, cancelled=True, case_no=case_no)
                left = deadline - self._clock()
                if left <= 0:
                    return RatingOutcome(None, timed_out=True, case_no=case_no)
                outcome: RatingOutcome | None = None
                for event in self.source.read_events(min(left, 0.05)):
                    # the rest of a read still goes through the mapper: a double tap in
                    # one read must refresh the debounce memory, not vanish
                    now = self._clock()
                    level = self.mapper.feed(event, now)
                    if level is not None and outcome is None:
                        outcome = RatingOutcome(level, case_no=case_no,
                                                seconds=round(now - start, 1))
                    elif (event.type == EV_KEY and event.value == KEY_PRESS
                            and event.code not in self.mapper.levels
                            and len(self.unknown_keys) < 20):
                        self.unknown_keys.append(key_name(event.code))
                if outcome is not None:
                    return outcome
        finally:
            self.mapper.close()

    def close(self) -> None:
        self.source.close()
