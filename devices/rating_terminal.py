"""The rating terminal role (评价器): show the clerk's card, ask the citizen for a 好差评 rating
of the case just finished, report health.

Two kinds (docs/devices/rating.md):

- ``"bianmin"``: a terminal speaking our serial protocol
  (drivers.rating_bianmin, docs/protocols/rating-terminal.md), opened through
  ``open_transport`` (serial, USB-serial, TCP, or the simulator's pseudo-terminal);
- ``"keypad"``: a five-key keyboard-wedge keypad (drivers.rating_keypad), opened through
  ``open_keys``, which returns a key source such as
  ``lambda: EvdevDevice("/dev/input/by-id/usb-...-event-kbd")``.

The role owns the link. :meth:`RatingTerminal.start` runs a watch thread: it opens the
device, heartbeats a protocol terminal every ``heartbeat_interval_s`` (or reads and drops a
keypad's stray presses) while no rating is being asked, and after a failure closes the link
and reopens it every ``reopen_interval_s``, showing the last staff card again on the fresh
terminal, so replugging is all it takes. Nothing escapes that thread. :meth:`ask` and
:meth:`show_staff` run in the caller's thread, work without :meth:`start` as well (the link
is then opened on demand) and never raise for a device problem: the outcome says what went
wrong, in plain words.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from drivers.evdev_input import EvdevDevice
from drivers.rating_bianmin import (
    BianminRatingTerminal,
    RatingOutcome,
    RatingProtocolError,
    ShowStaff,
    TerminalFault,
    TerminalStatus,
)
from drivers.rating_keypad import (
    DEFAULT_DEBOUNCE_S,
    KeypadRatingTerminal,
    KeySource,
    check_keymap,
)
from drivers.transports import Transport, TransportError, TransportTimeout

from .health import HINT_CABLE, HINT_PERMISSION, OK, DeviceState, Health, HealthReport, not_opened

log = logging.getLogger(__name__)

__all__ = ["KINDS", "RatingOutcome", "RatingTerminal", "keypad_opener"]

KINDS = ("bianmin", "keypad")
HealthCallback = Callable[[Health], None]

NOT_CONNECTED = "评价器未连接 / The rating terminal is not connected"
HINT_NO_ANSWER = ("检查评价器的数据线、电源和波特率（默认 9600） / "
                  "Check the terminal's cable, its power and the baud rate (default 9600)")
HINT_FAULT = ("重启评价器；仍有故障请联系厂家 / "
              "Power the terminal off and on; if the fault stays, contact its vendor")
HINT_KEYPAD = ("检查评价键盘的 USB 线，并确认服务用户在 input 组 / "
               "Check the keypad's USB cable and that the service user is in the input group")


def keypad_opener(path: str, *, grab: bool = True) -> Callable[[], KeySource]:
    """``open_keys`` for a keypad at an input node (``/dev/input/by-id/...-event-kbd`` is
    stable across replugs; ``/dev/input/eventN`` numbers can change)."""
    return lambda: EvdevDevice(path, grab=grab)


def _missing(exc: Exception, kind: str) -> Health:
    text = str(exc)
    if isinstance(exc, TransportTimeout):
        return Health(DeviceState.MISSING, text, HINT_NO_ANSWER)  # already says it plainly
    if "permission" in text.lower():
        hint = HINT_PERMISSION
    else:
        hint = HINT_KEYPAD if kind == "keypad" else HINT_CABLE
    return Health(DeviceState.MISSING, f"{NOT_CONNECTED} ({text})", hint)


class RatingTerminal:
    """A rating terminal of either kind.

    :param open_transport: opens the link of a ``"bianmin"`` terminal (called again after
        a failure); raises :class:`~drivers.transports.TransportError` when it cannot.
    :param kind: ``"bianmin"`` (our serial protocol) or ``"keypad"``.
    :param open_keys: opens the key source of a ``"keypad"`` (an
        :class:`~drivers.evdev_input.EvdevDevice`).
    :param keymap: keypad key name -> level (drivers.rating_keypad.DEFAULT_KEYMAP if None).
    :param debounce_s: keypad presses closer than this count once. Unit: s.
    :param timeout_s: longest one exchange with a protocol terminal may take, retries
        included. Unit: s.
    :param heartbeat_interval_s: how often the watch thread checks the terminal. Unit: s.
    :param reopen_interval_s: how often a lost terminal is reopened. Unit: s.
    :param clock: monotonic seconds (injected for tests).
    """

    def __init__(
        self,
        open_transport: Callable[[], Transport] | None = None,
        *,
        kind: str = "bianmin",
        open_keys: Callable[[], KeySource] | None = None,
        keymap: Mapping[str, int] | None = None,
        debounce_s: float = DEFAULT_DEBOUNCE_S,
        timeout_s: float = 2.0,
        heartbeat_interval_s: float = 5.0,
        reopen_interval_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if kind not in KINDS:
            raise ValueError(f"kind is one of {', '.join(KINDS)}, not {kind!r}")
        if kind == "bianmin" and open_transport is None:
            raise ValueError("a bianmin rating terminal needs open_transport")
        if kind == "keypad" and open_keys is None:
            raise ValueError("a keypad rating terminal needs open_keys")
        self.kind = kind
        self._open_transport = open_transport
        self._open_keys = open_keys
        if keymap is not None:  # a bad key map is a configuration error: say so now
            keymap = check_keymap(keymap)
        self.keymap = keymap
        self.debounce_s = debounce_s
        self.timeout_s = timeout_s
        self.heartbeat_interval_s = heartbeat_interval_s
        self.reopen_interval_s = reopen_interval_s
        self._clock = clock
        self._lock = threading.Lock()  # one user of the link at a time
        self._cond = threading.Condition()
        self._report = HealthReport(not_opened("评价器", "rating terminal"), "rating terminal")
        self._driver: BianminRatingTerminal | KeypadRatingTerminal | None = None
        self._link: Any = None
        self._staff: ShowStaff | None = None
        self._cancel = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.status: TerminalStatus | None = None
        """The last heartbeat answer of a protocol terminal (firmware, state)."""

    # -- subscriptions and state

    def on_health_changed(self, callback: HealthCallback) -> None:
        self._report.subscribe(callback)

    def health(self) -> Health:
        return self._report.get()

    @property
    def firmware(self) -> str | None:
        return self.status.firmware if self.status else None

    # -- lifecycle

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rating-terminal", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching, end an open prompt, close the link."""
        self._stop.set()
        self._cancel.set()
        thread = self._thread
        if thread is not None:
            thread.join(self.timeout_s + self.heartbeat_interval_s + 1.0)
        self._thread = None
        with self._lock:
            self._close()

    close = stop

    # -- the link

    def _ensure_open(self) -> BianminRatingTerminal | KeypadRatingTerminal:
        """The driver, opening the link first when needed (call with ``_lock`` held).

        :raises TransportError: it cannot be opened or does not answer.
        """
        if self._driver is not None:
            return self._driver
        if self.kind == "keypad":
            assert self._open_keys is not None
            source = self._open_keys()
            self._link = source
            self._driver = KeypadRatingTerminal(source, self.keymap, debounce_s=self.debounce_s,
                                                clock=self._clock)
            self._set_health(OK)
            return self._driver
        assert self._open_transport is not None
        transport = self._open_transport()
        driver = BianminRatingTerminal(transport, self.timeout_s, clock=self._clock)
        try:
            self.status = driver.heartbeat()
            if self._staff is not None:  # a replugged terminal starts blank
                staff = self._staff
                driver.show_staff(staff.name, window_no=staff.window_no,
                                  window_name=staff.window_name, staff_no=staff.staff_no,
                                  photo_id=staff.photo_id)
        except BaseException:
            with contextlib.suppress(Exception):
                transport.close()
            raise
        self._link, self._driver = transport, driver
        self._set_health(OK)
        return driver

    def _close(self) -> None:
        link, self._link, self._driver = self._link, None, None
        if link is not None:
            with contextlib.suppress(Exception):
                link.close()

    def _lost(self, exc: Exception) -> Health:
        self._close()
        health = _missing(exc, self.kind)
        self._set_health(health)
        return health

    def _guard(self, exc: Exception) -> Health:
        """Health for a failure of an operation (call with ``_lock`` held)."""
        if isinstance(exc, TransportError):
            return self._lost(exc)
        if isinstance(exc, TerminalFault):
            health = Health(DeviceState.ERROR, str(exc), HINT_FAULT)
        elif isinstance(exc, RatingProtocolError):
            health = Health(DeviceState.ERROR, f"评价器应答有误 / the rating terminal answered "
                            f"badly ({exc})", HINT_NO_ANSWER)
        else:
            log.exception("rating terminal failed")
            health = Health(DeviceState.ERROR, f"评价器程序出错 / rating terminal software "
                            f"error: {type(exc).__name__}", HINT_FAULT)
        self._set_health(health)
        return health

    # -- operations

    def check(self) -> Health:
        """Open the terminal if needed and ask it now (heartbeat); the health it gives."""
        with self._lock:
            try:
                driver = self._ensure_open()
                if isinstance(driver, BianminRatingTerminal):
                    self.status = driver.heartbeat()
                else:
                    driver.idle(0)  # a pulled keypad fails its next read
                self._set_health(OK)
            except Exception as exc:
                return self._guard(exc)
        return self.health()

    def show_staff(self, name: str, *, window_no: int = 0, window_name: str = "",
                   staff_no: str = "", photo_id: int = 0) -> Health:
        """Show the clerk's card (a keypad shows nothing: the card is only remembered). It is
        shown again after the terminal is replugged. Returns the health after trying.

        :raises ValueError: a field does not fit the protocol (e.g. a name over 60 bytes).
        """
        staff = ShowStaff(name, window_no, window_name, staff_no, photo_id)
        staff.encode()  # check sizes before anything is remembered or sent
        with self._lock:
            self._staff = staff
            if self.kind == "keypad":
                return self.health()
            try:
                driver = self._ensure_open()
                assert isinstance(driver, BianminRatingTerminal)
                driver.show_staff(name, window_no=window_no, window_name=window_name,
                                  staff_no=staff_no, photo_id=photo_id)
            except Exception as exc:
                return self._guard(exc)
        return self.health()

    def ask(self, case_no: str, timeout_s: float = 30, *,
            ask_reasons: bool = True) -> RatingOutcome:
        """Ask for a rating of ``case_no`` (办件编号, or the ticket number) and wait up to
        ``timeout_s`` for it; :meth:`cancel` from another thread ends the wait. One prompt,
        one rating (一次一评): a rating retransmitted by the terminal counts once.

        Never raises for a device problem: the outcome's ``error`` and ``hint`` say what
        went wrong. :raises ValueError: an empty or over-long case number.
        """
        if not case_no or len(case_no.encode("utf-8")) > 64:
            raise ValueError("a case number is 1 to 64 bytes of UTF-8")
        self._cancel.clear()
        with self._lock:
            try:
                driver = self._ensure_open()
                return driver.prompt(case_no, timeout_s, ask_reasons,
                                     cancel_event=self._cancel)
            except Exception as exc:
                health = self._guard(exc)
                return RatingOutcome(None, case_no=case_no, error=health.message,
                                     hint=health.hint)

    def cancel(self) -> None:
        """End the rating :meth:`ask` is waiting for (no rating is recorded)."""
        self._cancel.set()

    # -- watch thread

    def _run(self) -> None:
        self._next_open = self._next_beat = self._clock()
        while not self._stop.is_set():
            if not self._lock.acquire(timeout=0.1):
                continue  # an ask or show_staff has the link
            try:
                wait = self._watch()
            except Exception as exc:  # never let the thread die
                self._guard(exc)
                if self._driver is None:
                    self._next_open = self._clock() + self.reopen_interval_s
                self._next_beat = self._clock() + self.heartbeat_interval_s
                wait = 0.05
            finally:
                self._lock.release()
            self._stop.wait(wait)

    def _watch(self) -> float:
        """One step of the watch thread (``_lock`` held); the seconds to pause after it."""
        driver = self._driver
        if driver is None:
            if self._clock() >= self._next_open:
                self._next_open = self._clock() + self.reopen_interval_s
                self._ensure_open()
                self._next_beat = self._clock() + self.heartbeat_interval_s
            return 0.05
        if isinstance(driver, KeypadRatingTerminal):
            driver.idle(0.1)  # drops stray presses; raises when the keypad is pulled
            return 0.01  # a pause after releasing the lock lets a waiting ask() take it
        if self._clock() >= self._next_beat:
            self._next_beat = self._clock() + self.heartbeat_interval_s
            self.status = driver.heartbeat()
            for event in driver.take_events():
                log.warning("late %s from the rating terminal dropped", type(event).__name__)
            self._set_health(OK)
        return 0.05

    def _set_health(self, health: Health) -> None:
        self._report.set(health)
