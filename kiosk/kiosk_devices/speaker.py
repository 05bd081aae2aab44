"""The kiosk's voice behind :class:`kiosk.kiosk_ports.SpeakerPort`: the announcer role
(``devices.announcer.Announcer``: clips or espeak-ng into a sound card, a WAV folder or the
simulator) speaking the steps of 大字模式 (elderly mode).

One worker thread hands the announcer one phrase at a time and waits until it has been
spoken, so the announcer's own queue never holds more than that phrase. Waiting here is a
single slot: a newer :meth:`SpeakerAdapter.say` replaces the phrase still waiting, never
the one being spoken (the announcer never cuts a phrase off, devices/announcer.py), so a
citizen who taps on quickly hears the step on the screen, not a backlog of earlier ones.

Text becomes spoken tokens with ``kiosk.domain.call_text.spoken_form`` (numbers and ticket
numbers read as halls read them). The announcer speaks Mandarin only: of a bilingual text
in the house form "中文 / English" only the Chinese half is spoken, and a text without any
Chinese character is not spoken at all (English letters would be spelled out one by one). A word
without a clip is spoken by espeak-ng live when the role is configured with it
(``espeak_fallback``, on by default; drivers/announcer_clips.py); when the phrase still
cannot be spoken it is dropped with a log line that names no word of it (a phrase may
carry a citizen's details), and the role is checked again so the status says whether the
device, rather than that phrase, is at fault. Phrases are spoken once, without the hall
chime.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from devices.health import Health
from kiosk.counter_devices.status import status_of
from kiosk.domain.call_text import CallTextError, SpeechStyle, spoken_form
from kiosk.kiosk_ports import DeviceStatus

log = logging.getLogger(__name__)

SPEAK_TIMEOUT_S = 60.0
"""Longest wait for one phrase to be spoken before the next is handed over. Unit: s."""


class Voice(Protocol):
    """What the adapter needs of ``devices.announcer.Announcer``."""

    def say(self, caption: str, tokens: Any, *, repeats: int | None = None,
            volume: int | None = None, chime: bool = True) -> Any: ...

    def check_now(self) -> Health: ...

    def health(self) -> Health: ...

    def on_health_changed(self, callback: Any) -> None: ...


def mandarin(text: str) -> str:
    """The part of ``text`` to speak: the Chinese half of "中文 / English"."""
    return text.split(" / ", 1)[0].strip()


def has_chinese(text: str) -> bool:
    """True when ``text`` holds at least one CJK ideograph (what the announcer can say)."""
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


class SpeakerAdapter:
    """:class:`~kiosk.kiosk_ports.SpeakerPort` over an announcer.

    :param announcer: the role object (or anything with :class:`Voice`'s shape).
    :param initial: the announcer's health as checked at start; later changes come from
        the announcer itself.
    :param style: how numbers are read (the site's ``one_as_yao`` setting).
    """

    def __init__(self, announcer: Voice, *, role: str = "announcer",
                 initial: Health | None = None, style: SpeechStyle | None = None,
                 timeout_s: float = SPEAK_TIMEOUT_S):
        self.announcer = announcer
        self.role = role
        self.style = style or SpeechStyle()
        self.timeout_s = timeout_s
        self._cond = threading.Condition()
        self._waiting: str | None = None
        self._speaking = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._known = status_of(role, initial) if initial is not None else None
        self.spoken = 0
        """Phrases handed to the announcer so far (tests and the tour count them)."""
        self.dropped = 0
        """Phrases dropped because they could not be spoken."""
        announcer.on_health_changed(self._health_changed)

    def say(self, text: str) -> None:
        text = mandarin(text)
        if not has_chinese(text):
            log.info("kiosk speaker: a phrase without Chinese was not spoken")
            return
        with self._cond:
            if self._closed:
                return
            self._waiting = text  # replaces a phrase still waiting, never the one spoken
            self._cond.notify_all()
            start = self._thread is None
            if start:
                self._thread = threading.Thread(target=self._run, name="kiosk-speaker",
                                                daemon=True)
        if start:
            assert self._thread is not None
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._waiting = None

    def status(self) -> DeviceStatus:
        with self._cond:
            known = self._known
        return known if known is not None else status_of(self.role, self.announcer.health())

    def idle(self, timeout_s: float) -> bool:
        """Wait until nothing is waiting or being spoken; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._waiting is None and not self._speaking,
                                       timeout_s)

    def close(self) -> None:
        """Drop what is waiting and end the worker once the phrase being spoken is done."""
        with self._cond:
            self._closed = True
            self._waiting = None
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.timeout_s)

    # -- worker

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._waiting is not None or self._closed)
                if self._closed:
                    return
                text, self._waiting = self._waiting, None
                self._speaking = True
            try:
                self._speak(text)  # type: ignore[arg-type]
            except Exception:  # never let the worker die
                log.exception("kiosk speaker failed")
            finally:
                with self._cond:
                    self._speaking = False
                    self._cond.notify_all()

    def _speak(self, text: str) -> None:
        try:
            tokens = spoken_form(text, self.style)
        except CallTextError:
            tokens = ()
        if not tokens:
            self._drop("it has no words to speak")
            return
        announcement = self.announcer.say(text, tokens, repeats=1, chime=False)
        self.spoken += 1
        if not announcement.wait(self.timeout_s):
            log.warning("kiosk speaker: a phrase took longer than %.0f s", self.timeout_s)
            return
        if announcement.ok:
            return
        # The phrase failed. Ask the role again: if it is fine, the phrase was at fault (a
        # word neither the clips nor espeak-ng could say) and the status stays good.
        health = self.announcer.check_now()
        self._drop("it could not be spoken" if health.ok else "the announcer is not working")

    def _drop(self, why: str) -> None:
        self.dropped += 1
        log.info("kiosk speaker: a phrase was dropped: %s", why)

    def _health_changed(self, health: Health) -> None:
        with self._cond:
            self._known = status_of(self.role, health)
