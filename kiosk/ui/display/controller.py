"""The hall board's behaviour, without Qt: events in, the board, the voice and the LED
signs out.

Issue 6, "Hall display": each call is spoken through the Announcer role
(``请A001号到3号窗口办理``; a recall marked 重呼), queued and never cut off (the role does
that), and the caption shows the same words when they are spoken; the window's number goes
to its LED sign. Devices are handed in as objects with the roles' methods: ``kiosk.ui``
may not import ``devices.announcer`` or ``devices.window_sign`` (they import ``drivers``;
DESIGN.md §3 and the import-linter contract), so the command line builds them and this
module names only what it calls (:class:`AnnouncerLike`, :class:`SignLike`).

Threads: the feed, the announcer's worker and the sign worker call in from their own
threads; everything that touches the board goes through ``post`` (the Qt screen passes a
queued signal, tests pass a direct call), so the board is only changed on one thread. Sign
I/O (an ACK may take a second) runs on its own thread, never on the screen's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from devices.health import Health
from kiosk.domain.call_text import PAUSE, spoken_form

from .model import CallAction, CallView, HallBoard, SayAction

log = logging.getLogger(__name__)

RECALL_MARK = "重呼"
"""Said and shown before a recalled number (JackQChen/QueueSystem, research/queue.md §4)."""
SIGN_POLL_S = 30.0
"""How often the devices are asked for their health: a replugged sign gets its text back,
a fixed speaker clears the warning. Unit: s."""

Post = Callable[[Callable[[], None]], None]


class AnnouncementLike(Protocol):
    id: str
    caption: str
    state: str


class AnnouncerLike(Protocol):
    """What the board uses of ``devices.announcer.Announcer``."""

    compose: Any

    def announce(self, ticket: str, window: str) -> AnnouncementLike: ...

    def say(self, caption: str, tokens: Any, *, repeats: int | None = None,
            volume: int | None = None, chime: bool = True) -> AnnouncementLike: ...

    def on_started(self, callback: Callable[[Any], None]) -> None: ...

    def on_finished(self, callback: Callable[[Any], None]) -> None: ...

    def on_health_changed(self, callback: Callable[[Health], None]) -> None: ...

    def health(self) -> Health: ...

    def check_now(self) -> Health: ...


class SignLike(Protocol):
    """What the board uses of ``devices.window_sign.WindowSign``."""

    def show(self, text: str) -> bool: ...

    def health(self) -> Health: ...

    def on_health_changed(self, callback: Callable[[Health], None]) -> None: ...


def window_sign_text(number: str | None, state: str) -> str:
    """What a window's LED bar shows: ``请A003号`` while a ticket is at the window,
    ``暂停服务`` when it is paused or closed, ``欢迎光临`` when open and free. Short and in
    GB2312, so it fits the narrowest bar (12 Hanzi at 192 dots, docs/devices/sign.md) and
    every controller's font."""
    if state in ("paused", "closed"):
        return "暂停服务"
    if number:
        return f"请{number}号"
    return "欢迎光临"


def device_warning(role_zh: str, role_en: str, health: Health) -> str | None:
    """One line for the board about a device that is absent or broken, or None."""
    if health.ok:
        return None
    message = health.message or ("无法使用 / not working")
    return f"{role_zh} / {role_en}: {message}"


class HallController:
    """Feeds the board, speaks calls, drives the signs.

    :param board: the state the screen draws.
    :param announcer: the hall's voice, or None when there is none (captions only).
    :param signs: window number → that window's LED sign.
    :param hall_sign: a sign that shows every call's words (a hall bar), or None.
    :param post: runs a function on the board's thread (default: at once, under a lock).
    :param clock: monotonic seconds (for the newest call standing out).
    :param poll_s: how often device health is asked. Unit: s.
    """

    def __init__(self, board: HallBoard, *, announcer: AnnouncerLike | None = None,
                 signs: Mapping[str, SignLike] | None = None,
                 hall_sign: SignLike | None = None, post: Post | None = None,
                 clock: Callable[[], float] = time.monotonic, poll_s: float = SIGN_POLL_S):
        self.board = board
        self.announcer = announcer
        self.signs = dict(signs or {})
        self.hall_sign = hall_sign
        self._lock = threading.RLock()
        self._post = post or self._direct
        self._clock = clock
        self._pending: dict[str, CallView | None] = {}
        """Announcement id → the call it speaks (None: free text), until it starts."""
        self._sign_worker = _SignWorker(self._sign_health_checks(), poll_s)
        if announcer is not None:
            announcer.on_started(lambda a: self._post(lambda: self._spoken(a)))
            announcer.on_finished(lambda a: self._post(lambda: self._ended(a)))
            announcer.on_health_changed(
                lambda h: self._post(lambda: self._health("announcer", h)))
        for number, sign in self.signs.items():
            sign.on_health_changed(
                lambda h, n=number: self._post(lambda: self._health(f"sign:{n}", h)))
        if hall_sign is not None:
            hall_sign.on_health_changed(lambda h: self._post(lambda: self._health("sign", h)))

    def _direct(self, fn: Callable[[], None]) -> None:
        with self._lock:
            fn()

    # -- lifecycle

    def start(self) -> None:
        """Ask the devices for their health (on the sign thread: a missing espeak-ng or a
        sign that does not answer takes a moment) and start the sign worker."""
        self._sign_worker.start()

    def stop(self) -> None:
        self._sign_worker.stop()

    # -- from the feed (any thread)

    def on_feed_event(self, frame: dict[str, Any]) -> None:
        self._post(lambda: self.handle_event(frame))

    def on_feed_state(self, state: Any, reason: str) -> None:
        value = getattr(state, "value", state)
        self._post(lambda: self.board.set_connection(value, reason))

    # -- on the board's thread

    def handle_event(self, frame: Mapping[str, Any]) -> None:
        """Apply one frame; speak and show what it calls for. A frame that does not fit the
        contract is logged (its type only: no personal data) and leaves the board as it
        was."""
        try:
            actions = self.board.apply(frame, self._clock())
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("hall board: skipped a %r frame that does not fit the contract (%s)",
                        str(frame.get("type"))[:40], exc)
            return
        for action in actions:
            self._speak(action)
        if frame.get("type") == "hello" or any(isinstance(a, CallAction) for a in actions) \
                or frame.get("type") in ("window.changed", "ticket.changed"):
            self._update_signs(actions)

    def _speak(self, action: CallAction | SayAction) -> None:
        if isinstance(action, SayAction):
            self._say_text(action.text)
            return
        call = next((c for c in self.board.calls
                     if (c.number, c.window) == (action.number, action.window)),
                    CallView(action.number, action.window, "", action.recall, action.text))
        fallback = _recall_caption(call.text) if action.recall else call.text
        if self.announcer is None:
            self.board.set_caption(fallback or _plain_call(call), call)
            return
        try:
            if action.recall:
                announcement = self._say_recall(call)
            else:
                announcement = self.announcer.announce(call.number, call.window)
        except Exception as exc:  # a ticket the voice cannot read, a broken composer
            log.warning("hall board: cannot speak the call of %s (%s)", call.window,
                        type(exc).__name__)
            self.board.set_caption(fallback or _plain_call(call), call)
            return
        self._pending[announcement.id] = call

    def _say_recall(self, call: CallView) -> AnnouncementLike:
        assert self.announcer is not None
        compose = self.announcer.compose
        if compose is None:
            raise RuntimeError("the announcer has no composer")
        words = compose(call.number, call.window, 1)
        caption = _recall_caption(words.caption)
        tokens = (RECALL_MARK, PAUSE, *words.tokens)
        return self.announcer.say(caption, tokens)

    def _say_text(self, text: str) -> None:
        if self.announcer is None:
            self.board.set_caption(text)
            return
        try:
            announcement = self.announcer.say(text, spoken_form(text))
        except Exception as exc:
            log.warning("hall board: cannot speak an announcement (%s)", type(exc).__name__)
            self.board.set_caption(text)
            return
        self._pending[announcement.id] = None

    def _spoken(self, announcement: Any) -> None:
        """The voice has begun: the caption shows the same words now."""
        if announcement.id in self._pending:
            self.board.set_caption(announcement.caption, self._pending.pop(announcement.id))

    def _ended(self, announcement: Any) -> None:
        """A call that never played (no sound card, cancelled) is still shown: the caption
        is for those who cannot hear, and now nobody can."""
        if announcement.id in self._pending:
            self.board.set_caption(announcement.caption, self._pending.pop(announcement.id))

    def _health(self, role: str, health: Health) -> None:
        names = {"announcer": ("语音播报", "Voice calls")}
        if role.startswith("sign"):
            _, _, number = role.partition(":")
            zh, en = (f"{number}号窗口屏", f"Window {number} sign") if number else \
                ("大厅条屏", "Hall sign")
        else:
            zh, en = names.get(role, (role, role))
        self.board.set_device_warning(role, device_warning(zh, en, health))

    # -- signs

    def _update_signs(self, actions: list[CallAction | SayAction]) -> None:
        for number, sign in self.signs.items():
            window = self.board.windows.get(number)
            if window is None:
                continue
            self._sign_worker.show(sign, window_sign_text(window.current, window.state))
        calls = [a for a in actions if isinstance(a, CallAction)]
        if self.hall_sign is not None and calls:
            last = calls[-1]
            text = last.text or f"请{last.number}号到{last.window}号窗口办理"
            self._sign_worker.show(self.hall_sign, text)

    def _sign_health_checks(self) -> list[Callable[[], None]]:
        checks: list[Callable[[], None]] = []
        announcer = self.announcer
        if announcer is not None:
            def check_announcer() -> None:
                health = announcer.health()
                if not health.ok:
                    health = announcer.check_now()  # a fixed speaker clears the warning
                self._post(lambda: self._health("announcer", health))
            checks.append(check_announcer)
        for number, sign in self.signs.items():
            checks.append(lambda s=sign, n=number: self._post_health(f"sign:{n}", s.health()))
        if self.hall_sign is not None:
            hall = self.hall_sign
            checks.append(lambda: self._post_health("sign", hall.health()))
        return checks

    def _post_health(self, role: str, health: Health) -> None:
        self._post(lambda: self._health(role, health))


def _recall_caption(caption: str) -> str:
    return f"（{RECALL_MARK}）{caption}" if caption else ""


def _plain_call(call: CallView) -> str:
    return f"请{call.number}号到{call.window}号窗口办理"


class _SignWorker:
    """One thread for the devices' slow I/O: the latest text per sign (older texts not yet
    sent are dropped: a sign only ever needs the newest), and the health checks every
    ``poll_s``."""

    def __init__(self, checks: list[Callable[[], None]], poll_s: float):
        self._checks = checks
        self._poll_s = poll_s
        self._cond = threading.Condition()
        self._wanted: dict[int, tuple[SignLike, str]] = {}
        self._sent: dict[int, str] = {}
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hall-devices", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def show(self, sign: SignLike, text: str) -> None:
        with self._cond:
            if self._sent.get(id(sign)) == text and id(sign) not in self._wanted:
                return
            self._wanted[id(sign)] = (sign, text)
            self._cond.notify_all()

    def _run(self) -> None:
        next_poll = 0.0
        while True:
            with self._cond:
                while not self._wanted and not self._stopping and \
                        time.monotonic() < next_poll:
                    self._cond.wait(max(0.0, next_poll - time.monotonic()))
                if self._stopping:
                    return
                work = list(self._wanted.values())
                self._wanted.clear()
            for sign, text in work:
                try:
                    ok = sign.show(text)
                except Exception:  # the role never raises; a stand-in might
                    log.exception("hall board: the sign failed")
                    ok = False
                with self._cond:
                    if ok:
                        self._sent[id(sign)] = text
                    else:
                        self._sent.pop(id(sign), None)  # health() restores it on replug
            if time.monotonic() >= next_poll:
                for check in self._checks:
                    try:
                        check()
                    except Exception:
                        log.exception("hall board: a device health check failed")
                next_poll = time.monotonic() + self._poll_s
