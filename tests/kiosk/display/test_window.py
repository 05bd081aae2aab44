"""The hall board on screen (offscreen Qt): what each label says, in Chinese first and
English second; the newest call lit up and then not; stale numbers greyed under a
"reconnecting" band; everything fits the screen with no text under 24 px. Screenshots go
to tests/artifacts/display/."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.ui.display.model import FRESH_S, LIVE, RECONNECTING, HallBoard, WindowView
from kiosk.ui.display.window import (
    FRESH_BG,
    MIN_TEXT_PX,
    NUMBER,
    PANEL,
    STALE,
    HallWindow,
    _FitLabel,
)
from kiosk.ui.qt import QtGui, QtWidgets

from . import events as ev


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def board_after_calls(clock: Clock) -> HallBoard:
    board = HallBoard()
    board.set_connection(LIVE)
    board.apply(ev.hello(0, calls=[ev.call("A002", "2", "2026-11-24T01:59:00Z"),
                                   ev.call("B001", "3", "2026-11-24T01:58:00Z")],
                         windows=[ev.window("1", "A001", status="serving"),
                                  ev.window("2", "A002"), ev.window("3", "B001"),
                                  ev.window("4", state="paused"), ev.window("5"),
                                  ev.window("6"), ev.window("7", state="closed")]),
                clock.now)
    board.apply(ev.called(1, "A003", "1", "2026-11-24T02:01:00Z", waiting={"A": 2}), clock.now)
    board.set_caption("请A003号到1号窗口办理", board.calls[0])
    return board


def shown(board: HallBoard, clock: Clock, size: tuple[int, int] = (1920, 1080)
          ) -> HallWindow:
    import datetime as dt

    window = HallWindow(board, clock=clock, wall_clock=lambda: dt.datetime(2026, 11, 24, 10, 1))
    window.resize(*size)
    window.show()
    settle(window)
    return window


def settle(window: HallWindow) -> None:
    app = QtWidgets.QApplication.instance()
    assert app is not None
    for _ in range(3):
        app.processEvents()
        window.refresh()
    app.processEvents()


def text(window: HallWindow, name: str) -> str:
    label = window.findChild(QtWidgets.QLabel, name)
    assert label is not None, name
    return label.full_text() if isinstance(label, _FitLabel) else label.text()


def share_of(widget: QtWidgets.QWidget, color: str, tolerance: int = 40) -> float:
    """How much of what the widget draws is about ``color``."""
    image = widget.grab().toImage()
    target = QtGui.QColor(color)
    hits = total = 0
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            c = image.pixelColor(x, y)
            total += 1
            if (abs(c.red() - target.red()) + abs(c.green() - target.green())
                    + abs(c.blue() - target.blue())) <= tolerance:
                hits += 1
    return hits / max(total, 1)


@pytest.fixture
def closing(qapp: Any) -> Any:
    made: list[HallWindow] = []
    yield made
    for window in made:
        window.close()
        window.deleteLater()


def test_the_board_says_what_the_station_said(closing: list[HallWindow],
                                               artifacts: Path) -> None:
    clock = Clock()
    board = board_after_calls(clock)
    board.set_device_warning("announcer", "语音播报 / Voice calls: 没有声卡 / no sound card found")
    window = shown(board, clock)
    closing.append(window)
    assert text(window, "site_name") == "演示镇便民服务中心"
    assert (text(window, "calls_title_zh"), text(window, "calls_title_en")) == (
        "正在叫号", "Now calling")  # Chinese through the translation, English beside it
    assert text(window, "newest_number") == "A003"
    assert (text(window, "newest_window"), text(window, "newest_window_en")) == (
        "1号窗口", "Window 1")
    assert [text(window, f"call_{i}") for i in range(1, 6)] == [
        "A002 → 2号窗口", "B001 → 3号窗口", "", "", ""]
    assert text(window, "window_1_number") == "A003"
    assert text(window, "window_3_number") == "B001"
    assert (text(window, "window_4_state"), text(window, "window_4_state_en")) == (
        "暂停服务", "Paused")
    assert (text(window, "window_5_state"), text(window, "window_5_state_en")) == (
        "空闲", "Free")
    assert window.findChild(QtWidgets.QLabel, "window_7_name") is None  # temporary, closed
    assert text(window, "window_2_en") == "综合窗口  Window 2"
    assert (text(window, "category_A_waiting"), text(window, "category_A_wait")) == ("2", "10")
    assert (text(window, "category_B_waiting"), text(window, "category_B_wait")) == ("1", "2")
    assert text(window, "category_C_wait") == "—"  # no estimate yet
    assert text(window, "category_A_waiting_unit") == "人等候\nwaiting"
    assert text(window, "category_B_name_en") == "Social and medical insurance"
    assert text(window, "caption") == "请A003号到1号窗口办理"
    assert text(window, "caption_en") == "Number A003, please go to window 1"
    assert window.marquee.text().startswith("请取号后留意叫号")
    assert "no sound card" in text(window, "device_warning")
    assert window.device_warning.isVisible() and not window.banner.isVisible()
    assert window.grab().save(str(artifacts / "hall_live.png"))


def test_the_newest_call_stands_out_for_eight_seconds(closing: list[HallWindow]) -> None:
    clock = Clock()
    window = shown(board_after_calls(clock), clock)
    closing.append(window)
    assert share_of(window.newest, FRESH_BG) > 0.5
    clock.now += FRESH_S + 0.5
    settle(window)
    assert share_of(window.newest, PANEL, 6) > 0.5  # the panel's colour again
    assert share_of(window.newest, FRESH_BG) < 0.2  # only the number's strokes are yellow
    assert share_of(window.newest_number, NUMBER) > 0.05


def test_stale_numbers_are_greyed_under_a_reconnecting_band(closing: list[HallWindow],
                                                           artifacts: Path) -> None:
    clock = Clock()
    board = board_after_calls(clock)
    window = shown(board, clock)
    closing.append(window)
    tile_number = window.findChild(QtWidgets.QLabel, "window_3_number")
    assert share_of(tile_number, NUMBER) > 0.03
    board.set_connection(RECONNECTING, "站点没有响应（连接被拒绝） / the station is not "
                                       "answering (connection refused)")
    settle(window)
    assert window.banner.isVisible() and not window.header.isVisible()
    assert text(window, "connection_banner") == "正在重新连接…  Reconnecting…"
    assert text(window, "connection_detail").startswith("以下为断线前的信息，不是当前叫号。")
    assert "connection refused" in text(window, "device_warning")  # why: for the staff
    for name in ("window_3_number", "newest_number", "category_A_waiting"):
        label = window.findChild(QtWidgets.QLabel, name)
        assert share_of(label, NUMBER) == 0, name  # nothing in the colour of a current number
        assert share_of(label, STALE) > 0.01, name
    assert share_of(window.newest, FRESH_BG) == 0  # and no call looks new
    assert window.grab().save(str(artifacts / "hall_reconnecting.png"))
    board.set_connection(LIVE)
    settle(window)
    assert not window.banner.isVisible() and share_of(tile_number, NUMBER) > 0.03


def test_before_the_first_snapshot_it_says_it_is_connecting(closing: list[HallWindow],
                                                           artifacts: Path) -> None:
    clock = Clock()
    window = shown(HallBoard(), clock)
    closing.append(window)
    assert text(window, "connection_banner") == "正在连接叫号系统…  Connecting to the station…"
    assert text(window, "newest_number") == " "  # blank: "no calls yet" says it
    assert (text(window, "newest_window"), text(window, "newest_window_en")) == (
        "暂无叫号", "No calls yet")
    assert window.grab().save(str(artifacts / "hall_connecting.png"))


@pytest.mark.parametrize("size", [(1920, 1080), (3840, 2160), (1600, 900), (1366, 768)])
def test_everything_fits_the_screen_and_no_text_is_under_24px(
        closing: list[HallWindow], artifacts: Path, size: tuple[int, int]) -> None:
    clock = Clock()
    board = board_after_calls(clock)
    board.set_device_warning("window_sign", "窗口屏 / Window sign: 找不到窗口屏 / not connected")
    for recall, n in ((False, 4), (False, 5), (True, 5)):  # six calls: every slot filled
        board.apply(ev.called(10 + n + recall, f"A00{n}", "2", f"2026-11-24T02:0{n}:00Z",
                              recall=recall), clock.now)
    board.set_connection(RECONNECTING, "连接站点超时 / connecting to the station timed out")
    window = shown(board, clock, size)
    closing.append(window)
    assert (window.width(), window.height()) == size
    hint = window.minimumSizeHint()
    assert hint.width() <= size[0] and hint.height() <= size[1], hint
    small = []
    for label in window.findChildren(QtWidgets.QLabel):
        if label.isVisibleTo(window):
            label.ensurePolished()
            if label.font().pixelSize() < MIN_TEXT_PX:
                small.append((label.objectName(), label.font().pixelSize()))
            assert label.geometry().bottom() <= label.parentWidget().height(), label.objectName()
    assert small == []
    assert window.grab().save(str(artifacts / f"hall_{size[0]}x{size[1]}_reconnecting.png"))


def test_long_texts_shrink_or_are_cut_but_never_widen_the_board(
        closing: list[HallWindow], qapp: Any, artifacts: Path) -> None:
    clock = Clock()
    board = board_after_calls(clock)
    long_notice = "今日下午社保医保窗口因系统升级暂停办理，请改日前来或到综合窗口咨询。" * 3
    board.notice = long_notice
    announcement = ("各位群众请注意：本中心将于十二点整暂停取号，十三点三十分恢复办理，"
                    "请合理安排时间，谢谢配合。")
    board.set_caption(announcement)
    board.windows["2"] = WindowView(number="2", name="不动产登记与税务综合受理窗口",
                                    state="open", current="A002")
    board.version += 1
    window = shown(board, clock)
    closing.append(window)
    assert (window.width(), window.height()) == (1920, 1080)
    caption = window.findChild(QtWidgets.QLabel, "caption")
    assert isinstance(caption, _FitLabel)
    assert caption.text() == announcement  # whole: set smaller first, down to 32 px
    assert 32 <= caption.font().pixelSize() < 54
    board.set_caption(announcement * 2)  # too long even at 32 px: cut, whole in the tooltip
    settle(window)
    assert caption.text().endswith("…") and caption.toolTip() == announcement * 2
    assert caption.font().pixelSize() == 32
    sub = window.findChild(QtWidgets.QLabel, "window_2_en")
    assert sub.text().endswith("…") and sub.full_text().endswith("Window 2")
    # the notice scrolls: it is far wider than the screen
    offset = window.marquee._offset
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.02)
    assert window.marquee._offset > offset
    assert window.grab().save(str(artifacts / "hall_long_texts.png"))
