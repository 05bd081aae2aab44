"""The board's behaviour with real devices, no Qt: calls spoken through the Announcer into
the simulated speaker, in order and never cut off, captioned with the words spoken; the
window's number on its simulated LED sign; an absent or broken device leaves the board
working with a plain warning."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devices.announcer import Announcer, AudioOutputError, MemorySink, build_announcer
from devices.window_sign import WindowSign
from drivers.led_sign import preset
from drivers.sim.announcer import AnnouncerSim, AnnouncerSimConfig
from drivers.sim.led_sign import LedSignSim, LedSignSimConfig
from drivers.transports import SerialTransport, Transport, TransportError
from kiosk.domain.call_text import composer
from kiosk.ui.display.controller import HallController, window_sign_text
from kiosk.ui.display.model import LIVE, HallBoard

from . import events as ev
from .conftest import ARTIFACTS

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (packaging/debian-packages)")


def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


@pytest.fixture
def closing() -> Iterator[list[Any]]:
    things: list[Any] = []
    yield things
    for thing in reversed(things):
        (getattr(thing, "stop", None) or thing.close)()


def announcer_into(sink: Any, closing: list[Any]) -> Announcer:
    announcer = build_announcer("clips", sink, {"repeats": 1}, compose=composer())
    closing.append(announcer)
    return announcer


def sign_on(sim: LedSignSim | None, closing: list[Any]) -> WindowSign:
    def open_transport() -> Transport:
        if sim is None or sim.unplugged:
            raise TransportError("/dev/ttyUSB9: no such port; is the device plugged in?")
        return SerialTransport(sim.path)

    sign = WindowSign(open_transport, preset("stx-etx"), timeout_s=0.3)
    closing.append(sign)
    return sign


def simulated_sign(closing: list[Any], **options: Any) -> LedSignSim:
    sim = LedSignSim(LedSignSimConfig(preset="stx-etx", baudrate=None, **options))
    closing.append(sim)
    return sim


def live_controller(closing: list[Any], **devices: Any) -> HallController:
    board = HallBoard()
    board.set_connection(LIVE)
    controller = HallController(board, poll_s=0.2, **devices)
    controller.start()
    closing.append(controller)
    controller.handle_event(ev.hello(0, windows=[ev.window(n) for n in ("1", "2", "3")]))
    return controller


def test_a_call_is_spoken_and_captioned_with_the_same_words(closing: list[Any]) -> None:
    sim = AnnouncerSim(AnnouncerSimConfig(pace=0.05))
    controller = live_controller(closing, announcer=announcer_into(sim, closing))
    controller.handle_event(ev.called(1, "A003", "1", "2026-11-24T02:01:00Z"))
    assert wait_for(lambda: len(sim.played) == 1)
    assert sim.played[0].caption == "请A003号到1号窗口办理"
    assert controller.board.caption == "请A003号到1号窗口办理"
    assert controller.board.caption_call is not None
    assert controller.board.caption_call.number == "A003"


def test_calls_in_a_burst_are_all_spoken_in_order_none_cut_off(closing: list[Any]) -> None:
    sim = AnnouncerSim(AnnouncerSimConfig(pace=0.1))  # each call takes a while to play
    controller = live_controller(closing, announcer=announcer_into(sim, closing))
    for i, window in enumerate(("1", "2", "3"), start=1):
        controller.handle_event(ev.called(i, f"A00{i}", window, f"2026-11-24T02:0{i}:00Z"))
    # the caption follows the voice, not the board: while the first call plays it is the
    # first call's words, though the board already shows the third as the newest
    assert wait_for(lambda: len(sim.played) >= 1, 10)
    assert controller.board.calls[0].number == "A003"
    assert wait_for(lambda: len(sim.played) == 3, 20)
    assert [p.caption for p in sim.played] == [
        "请A001号到1号窗口办理", "请A002号到2号窗口办理", "请A003号到3号窗口办理"]
    for before, after in zip(sim.played, sim.played[1:], strict=False):
        assert after.started >= before.finished  # one after the other, whole
    assert controller.board.caption == "请A003号到3号窗口办理"


@needs_espeak
def test_a_recall_is_marked_in_voice_and_caption(closing: list[Any]) -> None:
    sink = MemorySink()
    controller = live_controller(closing, announcer=announcer_into(sink, closing))
    controller.handle_event(ev.called(1, "A003", "2", "2026-11-24T02:01:00Z", recall=True))
    assert wait_for(lambda: len(sink.played) == 1)
    assert sink.played[0].caption == "（重呼）请A003号到2号窗口办理"
    assert controller.board.caption == "（重呼）请A003号到2号窗口办理"
    assert controller.board.caption_recall


@needs_espeak
def test_an_announcement_is_spoken_and_captioned(closing: list[Any]) -> None:
    sink = MemorySink()
    controller = live_controller(closing, announcer=announcer_into(sink, closing))
    controller.handle_event({"type": "announcement", "seq": 1, "text": "午休时间暂停取号"})
    assert wait_for(lambda: len(sink.played) == 1)
    assert sink.played[0].caption == "午休时间暂停取号"
    assert controller.board.caption == "午休时间暂停取号"
    assert controller.board.caption_call is None


def test_without_an_announcer_the_caption_shows_the_stations_words(
        closing: list[Any]) -> None:
    controller = live_controller(closing)
    controller.handle_event(ev.called(1, "B007", "3", "2026-11-24T02:01:00Z"))
    assert controller.board.caption == "请B007号到3号窗口办理"
    assert controller.board.device_warnings == {}  # none configured is not a fault


def test_no_sound_card_warns_plainly_and_the_caption_still_shows(closing: list[Any]) -> None:
    sim = AnnouncerSim(AnnouncerSimConfig(device="absent"))
    controller = live_controller(closing, announcer=announcer_into(sim, closing))
    controller.handle_event(ev.called(1, "A001", "1", "2026-11-24T02:01:00Z"))
    assert wait_for(lambda: "announcer" in controller.board.device_warnings)
    warning = controller.board.device_warnings["announcer"]
    assert warning.startswith("语音播报 / Voice calls: ") and "Traceback" not in warning
    assert wait_for(lambda: controller.board.caption == "请A001号到1号窗口办理")
    assert controller.board.calls[0].number == "A001"  # the board goes on


def test_a_fixed_speaker_clears_the_warning(closing: list[Any]) -> None:
    class FlakySink(MemorySink):
        broken = True

        def check(self) -> None:
            if self.broken:
                raise AudioOutputError("没有声卡 / no sound card found")

        def begin(self, *args: Any) -> None:
            self.check()
            super().begin(*args)

    sink = FlakySink()
    controller = live_controller(closing, announcer=announcer_into(sink, closing))
    assert wait_for(lambda: "announcer" in controller.board.device_warnings)
    assert "no sound card" in controller.board.device_warnings["announcer"]
    sink.broken = False  # the technician plugs the speaker in
    assert wait_for(lambda: "announcer" not in controller.board.device_warnings)


def test_the_windows_number_goes_to_its_led_sign(closing: list[Any]) -> None:
    sim = simulated_sign(closing)
    controller = live_controller(closing, signs={"3": sign_on(sim, closing)})
    assert wait_for(lambda: sim.text == "欢迎光临")  # the hello: window 3 is open and free
    controller.handle_event(ev.called(1, "A001", "1", "2026-11-24T02:01:00Z"))
    controller.handle_event(ev.called(2, "B002", "3", "2026-11-24T02:02:00Z"))
    assert wait_for(lambda: sim.text == "请B002号")
    paused = ev.window("3", state="paused")
    controller.handle_event({"type": "window.changed", "seq": 3, "window": paused,
                             "categories": []})
    assert wait_for(lambda: sim.text == "暂停服务")
    shown = [m.text for m in sim.messages]
    assert "请A001号" not in shown  # window 1's call is not window 3's business
    sim.save_png(ARTIFACTS / "window_3_sign_paused.png")  # what the LEDs show


def test_a_hall_sign_shows_every_call(closing: list[Any]) -> None:
    sim = simulated_sign(closing, width=384)
    controller = live_controller(closing, hall_sign=sign_on(sim, closing))
    controller.handle_event(ev.called(1, "A001", "2", "2026-11-24T02:01:00Z"))
    assert wait_for(lambda: sim.text == "请A001号到2号窗口办理")


def test_an_unplugged_sign_warns_and_gets_its_text_back_when_plugged_in(
        closing: list[Any]) -> None:
    holder: dict[str, LedSignSim | None] = {"sim": None}

    def open_transport() -> Transport:
        sim = holder["sim"]
        if sim is None:
            raise TransportError("/dev/ttyUSB9: no such port; is the device plugged in?")
        return SerialTransport(sim.path)

    sign = WindowSign(open_transport, preset("stx-etx"), timeout_s=0.3)
    closing.append(sign)
    controller = live_controller(closing, signs={"2": sign})
    controller.handle_event(ev.called(1, "A005", "2", "2026-11-24T02:01:00Z"))
    assert wait_for(lambda: "sign:2" in controller.board.device_warnings)
    warning = controller.board.device_warnings["sign:2"]
    assert warning.startswith("2号窗口屏 / Window 2 sign: ") and "找不到窗口屏" in warning
    assert controller.board.windows["2"].current == "A005"  # the board goes on
    holder["sim"] = simulated_sign(closing)  # plugged in; the health poll reopens it
    assert wait_for(lambda: holder["sim"] is not None and holder["sim"].text == "请A005号")
    assert wait_for(lambda: "sign:2" not in controller.board.device_warnings)


def test_a_malformed_frame_is_skipped_without_personal_data_in_the_log(
        closing: list[Any], caplog: pytest.LogCaptureFixture) -> None:
    controller = live_controller(closing)
    before = controller.board.version
    controller.handle_event({"type": "ticket.called", "seq": 1,
                             "call": {"number": "110101195001011234"}})
    assert controller.board.version == before
    assert "does not fit the contract" in caplog.text
    assert "110101195001011234" not in caplog.text


@pytest.mark.parametrize(("number", "state", "text"), [
    ("A003", "open", "请A003号"), (None, "open", "欢迎光临"), ("A003", "paused", "暂停服务"),
    (None, "closed", "暂停服务"),
])
def test_window_sign_text_fits_a_gb2312_bar(number: str | None, state: str, text: str) -> None:
    assert window_sign_text(number, state) == text
    text.encode("gb2312")  # every controller's font has these characters

