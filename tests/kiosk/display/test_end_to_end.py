"""The hall display against the real station, in this process: tickets issued and called
through the HTTP client show on the board, are spoken and reach the window's LED sign; the
station stops and the board says it is reconnecting, greyed; a station started again on
the same data and port brings the board back, with the right numbers, by itself.

Saves ``hall_after_calls.png`` and ``hall_station_gone.png``, and the frames the station
sent as ``recorded_frames.json`` (the copy in this folder, used by test_model.py, was made
from it)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.announcer import MemorySink, build_announcer
from devices.window_sign import WindowSign
from drivers.led_sign import preset
from drivers.sim.led_sign import LedSignSim, LedSignSimConfig
from drivers.transports import SerialTransport
from kiosk.client.feed import EventFeed
from kiosk.client.http import StationClient
from kiosk.config import SiteConfig
from kiosk.domain.call_text import composer
from kiosk.station import auth
from kiosk.station.server import RunningStation, start_background
from kiosk.ui.display.app import HallDisplay
from kiosk.ui.display.model import HallBoard
from kiosk.ui.qt import QtWidgets

FEED = {"backoff_base_s": 0.1, "backoff_cap_s": 0.5}


def pump(predicate: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    """Run Qt's events until ``predicate`` holds (the board changes on the GUI thread)."""
    app = QtWidgets.QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def label(display: HallDisplay, name: str) -> str:
    found = display.window.findChild(QtWidgets.QLabel, name)
    assert found is not None, name
    return found.full_text() if hasattr(found, "full_text") else found.text()


def board_matches(board: HallBoard, status: dict[str, Any]) -> bool:
    """The board shows what the station's own status says."""
    waiting = {c["prefix"]: (c["waiting"], c["estimated_wait_s"]) for c in status["categories"]}
    current = {w["number"]: (w["current"] or {}).get("number") for w in status["windows"]}
    calls = [(c["number"], c["window"], c["at"]) for c in status["recent_calls"]]
    return (board.live
            and {p: (c.waiting, c.estimated_wait_s) for p, c in board.categories.items()}
            == waiting
            and {n: w.current for n, w in board.windows.items()} == current
            and [c.key for c in board.calls] == calls)


class Hall:
    """A station, its tokens and the clients that stand for the kiosk and the counters."""

    def __init__(self, data: Path, port: int = 0):
        self.data = data
        self.running = start_background(data, SiteConfig(), port=port)
        self.port = int(self.running.url.rsplit(":", 1)[1])
        self.tokens = {role: self.pair(role) for role in ("display", "kiosk", "counter",
                                                          "manager")}

    def pair(self, role: str) -> str:
        station = self.running.station
        return station.writer.submit(auth.pair, station.site, role).result().token

    def client(self, role: str) -> StationClient:
        return StationClient(self.running.url, self.tokens[role])

    def restart(self) -> RunningStation:
        self.running = start_background(self.data, SiteConfig(), port=self.port)
        return self.running

    def stop(self) -> None:
        self.running.stop()  # stopping twice is harmless


@pytest.fixture
def closing() -> Iterator[list[Any]]:
    things: list[Any] = []
    yield things
    for thing in reversed(things):
        (getattr(thing, "stop", None) or thing.close)()


def test_the_board_follows_the_station_through_a_restart(
        tmp_path: Path, qapp: Any, artifacts: Path, closing: list[Any]) -> None:
    hall = Hall(tmp_path / "site")
    closing.append(hall)
    sink = MemorySink()
    announcer = build_announcer("clips", sink, {"repeats": 1}, compose=composer())
    closing.append(announcer)
    sim = LedSignSim(LedSignSimConfig(preset="stx-etx", baudrate=None))
    closing.append(sim)
    sign = WindowSign(lambda: SerialTransport(sim.path), preset("stx-etx"), timeout_s=0.5)
    closing.append(sign)
    frames: list[dict[str, Any]] = []
    recorder = EventFeed(hall.running.url, hall.tokens["display"], frames.append,
                         lambda state, reason: None, **FEED)
    closing.append(recorder)
    recorder.start()

    display = HallDisplay(hall.running.url, hall.tokens["display"], announcer=announcer,
                          signs={"1": sign}, feed_options=FEED)
    closing.append(display)
    display.window.resize(1920, 1080)
    display.window.show()
    display.start()
    board = display.board
    assert pump(lambda: board.live)
    assert label(display, "newest_window") == "暂无叫号"

    kiosk, counter, manager = hall.client("kiosk"), hall.client("counter"), hall.client("manager")
    for c in (kiosk, counter, manager):
        closing.append(c)
    for category in "AAABB":
        kiosk.issue(category, confirm=True)
    assert counter.call("1")["number"] == "A001"
    assert counter.call("3")["number"] == "B001"
    assert counter.call("2")["number"] == "A002"
    counter.recall("1")
    manager.announce("请A001号持身份证到1号窗口")

    assert pump(lambda: board_matches(board, manager.status()))
    assert pump(lambda: label(display, "newest_number") == "A001")
    assert label(display, "newest_window_en") == "重呼 Recall  ·  Window 1"
    assert [label(display, f"call_{i}") for i in (1, 2, 3)] == [
        "A002 → 2号窗口", "B001 → 3号窗口", "A001 → 1号窗口"]
    assert label(display, "window_3_number") == "B001"
    assert label(display, "category_A_waiting") == "1"
    assert label(display, "category_B_waiting") == "1"
    assert (display.window.width(), display.window.height()) == (1920, 1080)
    assert display.window.grab().save(str(artifacts / "hall_after_calls.png"))

    # every call spoken, in order, and the caption shows the words last spoken
    assert announcer.drain(60)
    assert [p.caption for p in sink.played] == [
        "请A001号到1号窗口办理", "请B001号到3号窗口办理", "请A002号到2号窗口办理",
        "（重呼）请A001号到1号窗口办理", "请A001号持身份证到1号窗口"]
    assert pump(lambda: label(display, "caption") == "请A001号持身份证到1号窗口")
    assert sim.wait_for_frames(2) and pump(lambda: sim.text == "请A001号")

    # the station goes away: the board says so and shows nothing as current
    before = manager.status()
    hall.running.stop()
    assert pump(lambda: not board.live, 10)
    assert pump(lambda: display.window.banner.isVisible())
    assert label(display, "connection_banner") == "正在重新连接…  Reconnecting…"
    assert board.stale and label(display, "window_3_number") == "B001"  # kept, greyed
    assert display.window.grab().save(str(artifacts / "hall_station_gone.png"))
    time.sleep(1.0)  # a few reconnect attempts fail meanwhile

    # it comes back on the same data and port: the board resyncs by itself
    hall.restart()
    assert pump(lambda: board.live, 20)
    assert display.feed.connections == 2
    assert board_matches(board, manager.status())
    # the windows and the queues are what they were before the break
    assert {n: w.current for n, w in board.windows.items()} == {
        w["number"]: (w["current"] or {}).get("number") for w in before["windows"]}
    assert {p: c.waiting for p, c in board.categories.items()} == {
        c["prefix"]: c["waiting"] for c in before["categories"]}
    assert not display.window.banner.isVisible()
    assert pump(lambda: recorder.connections == 2)
    counter.start("2")
    counter.finish("2")
    assert counter.call("2")["number"] == "A003"
    assert pump(lambda: label(display, "newest_number") == "A003")
    assert label(display, "window_2_number") == "A003"
    assert board_matches(board, manager.status())
    assert pump(lambda: frames[-1]["type"] == "ticket.called")
    recording = {"frames": frames, "status": manager.status()}
    (artifacts / "recorded_frames.json").write_text(
        json.dumps(recording, ensure_ascii=False, indent=1), "utf-8")
