"""The speaker port's queue rule: ``say`` never blocks, a phrase being spoken is never cut
off, a newer phrase replaces the one still waiting, ``stop`` drops the waiting one.

The announcer here is a FAKE (FakeAnnouncer): the test decides when each phrase has
finished being spoken, which a real announcer (sound card or simulator, a few hundred ms
per phrase) cannot be made to do on cue. The real announcer behind the port is exercised in
test_build.py over the announcer simulator.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from devices.health import DeviceState, Health
from kiosk.kiosk_devices import SpeakerAdapter


class FakeAnnouncement:
    def __init__(self, caption: str, tokens: tuple[str, ...], ok: bool):
        self.caption = caption
        self.tokens = tokens
        self.ok = ok
        self.done = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


class FakeAnnouncer:
    """Records what it is asked to say; each phrase "plays" until the test finishes it."""

    def __init__(self, *, can_say: bool = True, healthy_after_failure: bool = True):
        self.said: list[FakeAnnouncement] = []
        self.asked = threading.Condition()
        self.can_say = can_say
        self.healthy_after_failure = healthy_after_failure
        self.health_callbacks: list[Any] = []

    def say(self, caption: str, tokens: Any, *, repeats: int | None = None,
            volume: int | None = None, chime: bool = True) -> FakeAnnouncement:
        assert repeats == 1 and chime is False  # a kiosk step: once, no hall chime
        announcement = FakeAnnouncement(caption, tuple(tokens), self.can_say)
        with self.asked:
            self.said.append(announcement)
            self.asked.notify_all()
        return announcement

    def check_now(self) -> Health:
        health = (Health(DeviceState.OK) if self.healthy_after_failure
                  else Health(DeviceState.MISSING, "没有声卡 / no sound card", "检查音箱 / check"))
        for callback in self.health_callbacks:
            callback(health)
        return health

    def health(self) -> Health:
        return Health(DeviceState.OK)

    def on_health_changed(self, callback: Any) -> None:
        self.health_callbacks.append(callback)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[str]:
        with self.asked:
            assert self.asked.wait_for(lambda: len(self.said) >= count, timeout_s)
            return [a.caption for a in self.said]


@pytest.fixture
def fake() -> FakeAnnouncer:
    return FakeAnnouncer()


@pytest.fixture
def speaker(fake: FakeAnnouncer) -> Iterator[SpeakerAdapter]:
    adapter = SpeakerAdapter(fake, initial=Health(DeviceState.OK))  # type: ignore[arg-type]
    yield adapter
    for announcement in fake.said:
        announcement.done.set()
    adapter.close()


def say_at_once(speaker: SpeakerAdapter, text: str) -> None:
    """``speaker.say(text)`` from another thread, which must come back while the fake
    announcer is still "speaking" (say() never waits for the voice)."""
    caller = threading.Thread(target=speaker.say, args=(text,))
    caller.start()
    caller.join(5.0)
    assert not caller.is_alive(), "say() blocked"


def test_a_newer_phrase_replaces_the_waiting_one_not_the_one_being_spoken(
        speaker: SpeakerAdapter, fake: FakeAnnouncer) -> None:
    say_at_once(speaker, "请选择业务")
    assert fake.wait_for(1) == ["请选择业务"]
    say_at_once(speaker, "请刷身份证")  # waits: the first is still being spoken
    say_at_once(speaker, "请取走小票")  # replaces the waiting one
    time.sleep(0.1)
    assert len(fake.said) == 1  # the first one is not cut off, nothing else started
    fake.said[0].done.set()
    assert fake.wait_for(2) == ["请选择业务", "请取走小票"]
    fake.said[1].done.set()
    assert speaker.idle(5.0)
    assert len(fake.said) == 2 and speaker.spoken == 2


def test_stop_drops_the_waiting_phrase_and_lets_the_spoken_one_finish(
        speaker: SpeakerAdapter, fake: FakeAnnouncer) -> None:
    speaker.say("请选择业务")
    fake.wait_for(1)
    speaker.say("请刷身份证")
    speaker.stop()
    fake.said[0].done.set()
    assert speaker.idle(5.0)
    assert [a.caption for a in fake.said] == ["请选择业务"]
    speaker.say("欢迎使用")  # still usable after a stop
    assert fake.wait_for(2)[-1] == "欢迎使用"


def test_only_the_chinese_is_spoken(speaker: SpeakerAdapter, fake: FakeAnnouncer) -> None:
    speaker.say("Please choose a service")  # would be spelled letter by letter: not spoken
    speaker.say("请到3号窗口 / Please go to window 3")
    assert fake.wait_for(1) == ["请到3号窗口"]
    assert fake.said[0].tokens == ("请", "到", "三", "号窗口")  # read as halls read it
    fake.said[0].done.set()
    assert speaker.idle(5.0) and len(fake.said) == 1


def test_a_phrase_that_cannot_be_spoken_is_dropped_and_the_voice_goes_on() -> None:
    fake = FakeAnnouncer(can_say=False)
    speaker = SpeakerAdapter(fake, initial=Health(DeviceState.OK))  # type: ignore[arg-type]
    try:
        speaker.say("请稍候")
        fake.wait_for(1)
        fake.said[0].done.set()  # it "failed": FakeAnnouncement.ok is False
        assert speaker.idle(5.0)
        assert speaker.dropped == 1
        assert speaker.status().ok  # the device is fine: the phrase was at fault
        fake.can_say = True
        speaker.say("欢迎使用")
        assert fake.wait_for(2)[-1] == "欢迎使用"
    finally:
        for announcement in fake.said:
            announcement.done.set()
        speaker.close()


def test_a_voice_that_lost_its_sound_card_says_so_in_its_status() -> None:
    fake = FakeAnnouncer(can_say=False, healthy_after_failure=False)
    speaker = SpeakerAdapter(fake, initial=Health(DeviceState.OK))  # type: ignore[arg-type]
    try:
        speaker.say("请稍候")
        fake.wait_for(1)
        fake.said[0].done.set()
        assert speaker.idle(5.0)
        status = speaker.status()
        assert not status.ok and "声卡" in status.message and status.hint
    finally:
        speaker.close()


def test_close_ends_the_worker(fake: FakeAnnouncer) -> None:
    speaker = SpeakerAdapter(fake)  # type: ignore[arg-type]
    speaker.say("欢迎使用")
    fake.wait_for(1)
    fake.said[0].done.set()
    speaker.close()
    assert speaker._thread is not None and not speaker._thread.is_alive()
    speaker.say("请稍候")  # after close: ignored, never raises
    time.sleep(0.05)
    assert len(fake.said) == 1
