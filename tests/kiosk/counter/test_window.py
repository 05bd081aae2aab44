"""The counter window against the real station on loopback: sign-in, the queue panel and its
F-keys, the rating after a finished ticket, the banner for refusals, sign-out.

The acceptance page is the stand-in (:class:`NoAcceptance`: same signals and methods), so
these tests are about the shell; the devices are the fakes of ``fakes.py``. Saves
``login.png``, ``queue_called.png`` and ``rating_by_hand.png`` under tests/artifacts/counter/.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from kiosk.counter_ports import CounterDevices, DeviceStatus, RatingAnswer
from kiosk.ui.counter import look
from kiosk.ui.counter.app import CounterApp
from kiosk.ui.counter.queue_model import Action
from kiosk.ui.counter.queue_panel import COMPACT_WIDTH, PANEL_WIDTH
from kiosk.ui.counter.window import NoAcceptance, TransferDialog
from kiosk.ui.qt import QtCore, QtWidgets

from .conftest import pump
from .fakes import FakePrinter, FakeRating

FEED = {"backoff_base_s": 0.1, "backoff_cap_s": 0.5}
PIN = "493817"
CARD_MISSING = DeviceStatus("id_card_reader", False, "读卡器未连接 / the ID reader is not "
                            "connected", "插好读卡器的 USB 线 / plug in the reader's USB cable")


def make_counter(station: SimpleNamespace, window: str, *, role: str = "counter",
                 rating: FakeRating | None = None, mode: str = "counter") -> CounterApp:
    devices = CounterDevices(rating=rating, printer=FakePrinter(),
                             problems={"id_card_reader": CARD_MISSING})
    made = CounterApp(station.url, station.tokens[role], window=window, mode=mode,
                      devices=devices, site_name="演示镇便民服务中心",
                      window_name={"3": "社保医保"}.get(window, "综合窗口"), feed_options=FEED,
                      acceptance=NoAcceptance)
    made.window.resize(*look.SCREEN)
    made.window.show()
    made.start()
    return made


def sign_in(counter: CounterApp, clerk: str = "zhang01", secret: str = PIN) -> None:
    login = counter.window.login
    login.clerk_id.setText(clerk)
    login.secret.setText(secret)
    login.button.click()


def press(counter: CounterApp, action: Action) -> None:
    """The F-key, as the clerk presses it."""
    from PySide6.QtTest import QTest

    key = getattr(QtCore.Qt.Key, f"Key_{action.key}")
    QTest.keyClick(counter.window, key)


def window_of(station: SimpleNamespace, number: str) -> dict[str, Any]:
    with station.client("manager") as manager:
        return next(w for w in manager.status()["windows"] if w["number"] == number)


def enabled(counter: CounterApp) -> set[str]:
    return {a.key for a, b in counter.window.panel.buttons.items() if b.isEnabled()}


def test_sign_in_refused_then_accepted_then_signed_out(
        station: SimpleNamespace, qapp: Any, artifacts: Path, closing: list[Any]) -> None:
    rating = FakeRating()
    counter = make_counter(station, "2", rating=rating)
    closing.append(counter)
    window = counter.window
    assert pump(lambda: window.model.live)
    assert window.page == "login" and not window.nav.isVisible()
    assert enabled(counter) == set()  # nothing to do before sign-in
    assert pump(lambda: window.strip.chips["receipt_printer"].ok is True)
    assert window.strip.chips["id_card_reader"].ok is False
    assert window.strip.chips["document_camera"].ok is None  # not configured
    assert (window.width(), window.height()) == look.SCREEN
    assert window.grab().save(str(artifacts / "login.png"))

    sign_in(counter, secret="000000")
    assert pump(lambda: window.login.message.text() != "")
    assert window.login.message.text() == "工号或密码不对 / wrong clerk id or secret"
    assert window.login.secret.text() == "" and window.page == "login"

    sign_in(counter)
    assert pump(lambda: window.page == "acceptance")
    assert counter.ctx.clerk is not None and counter.ctx.clerk.name == "张芳"
    assert "张芳" in window.strip.clerk.text()
    assert not window.nav_buttons["manager"].isVisibleTo(window)  # not a manager
    assert window_of(station, "2")["state"] == "open"
    assert pump(lambda: rating.staff == [("张芳", "2", "综合窗口")])

    window.sign_out_button.click()
    assert window.page == "login" and counter.ctx.clerk is None  # locked at once
    assert pump(lambda: window_of(station, "2")["state"] == "paused")
    assert "张芳" not in window.strip.clerk.text()


def test_a_device_chip_says_what_is_wrong_and_what_to_do(
        station: SimpleNamespace, qapp: Any, closing: list[Any]) -> None:
    counter = make_counter(station, "5", rating=FakeRating(ok=False))
    closing.append(counter)
    window = counter.window
    assert pump(lambda: window.strip.chips["rating_terminal"].ok is False)
    window.strip.chips["id_card_reader"].click()
    assert window.banner.isVisible()
    assert "插好读卡器的 USB 线" in window.banner.text.text()
    window.strip.chips["rating_terminal"].click()
    assert "检查评价器的线" in window.banner.text.text()


def test_the_queue_from_call_to_finish_with_a_rating(
        station: SimpleNamespace, qapp: Any, artifacts: Path, closing: list[Any]) -> None:
    rating = FakeRating(answers=[RatingAnswer(2)])
    counter = make_counter(station, "3", rating=rating)
    closing.append(counter)
    window, model = counter.window, counter.window.model
    assert pump(lambda: model.live)
    sign_in(counter)
    assert pump(lambda: window.page == "acceptance")
    with station.client("kiosk") as kiosk:
        for category in "BAA":
            kiosk.issue(category, confirm=True)
    assert pump(lambda: model.waiting_here >= 3)
    assert enabled(counter) == {"F1", "F8", "F9"}

    press(counter, Action.CALL)
    assert pump(lambda: window.panel.ticket.text() == "B001")  # B weighs 2 at window 3
    assert model.current is not None and model.current["id"]
    assert enabled(counter) == {"F2", "F3", "F4", "F5", "F6", "F7", "F8"}
    press(counter, Action.RECALL)
    assert pump(lambda: (model.current or {}).get("calls") == 2)
    assert pump(lambda: not model.busy)
    assert (window.width(), window.height()) == look.SCREEN
    assert window.grab().save(str(artifacts / "queue_called.png"))

    press(counter, Action.START)  # opens the acceptance page with this ticket
    acceptance = window.acceptance
    assert isinstance(acceptance, NoAcceptance)
    assert pump(lambda: acceptance.begun)
    assert acceptance.ticket is not None and acceptance.ticket["number"] == "B001"
    assert acceptance.ticket["status"] == "serving" and model.accepting
    assert enabled(counter) == {"F5", "F6", "F8"}  # no finishing under an open case
    assert window.panel.width() == COMPACT_WIDTH  # the page gets the room
    assert window.panel.buttons[Action.PARK].text() in ("F6  挂起", "F6  Park")
    acceptance.cancelled.emit()
    assert enabled(counter) == {"F4", "F5", "F6", "F7", "F8"}
    assert window.panel.width() == PANEL_WIDTH

    press(counter, Action.FINISH)  # the pad asks; the citizen presses 不满意
    assert pump(lambda: "rectification due" in window.strip.note.text())
    assert rating.asked == ["B001"]
    assert window.banner.is_error and "rectification due" in window.banner.text.text()
    with station.client("manager") as manager:
        tasks = manager.rectifications()
    tasks = tasks["tasks"] if isinstance(tasks, dict) else tasks
    assert [t["level"] for t in tasks if t["window"] == "3"] == [2]
    assert tasks[0]["deadline"] in window.strip.note.text()
    assert model.current is None and not window.rating_bar.isVisible()

    # park, call the next, no-show, take the parked one up again, send it on
    press(counter, Action.CALL)
    assert pump(lambda: window.panel.ticket.text() == "A001")
    press(counter, Action.PARK)
    assert pump(lambda: "A001" in window.panel.parked_buttons)
    assert window.panel.parked_buttons["A001"].isEnabled()
    press(counter, Action.CALL)
    assert pump(lambda: window.panel.ticket.text() == "A002")
    assert not window.panel.parked_buttons["A001"].isEnabled()  # the window is busy
    press(counter, Action.NO_SHOW)
    assert pump(lambda: model.current is None and not model.busy)
    window.panel.parked_buttons["A001"].click()
    assert pump(lambda: model.current_status == "serving")
    assert pump(lambda: "A001" not in window.panel.parked_buttons)
    press(counter, Action.TRANSFER)
    dialog = window.findChild(TransferDialog)
    assert dialog is not None and dialog.isVisible() and not dialog.ok.isEnabled()
    dialog.findChild(QtWidgets.QPushButton, "transfer_category_C").click()
    dialog.note.setText("需要民政窗口办理")
    dialog.ok.click()
    assert pump(lambda: model.current is None and not model.busy)
    with station.client("kiosk") as kiosk:
        moved = next(c for c in kiosk.status()["categories"] if c["prefix"] == "C")
    assert moved["waiting"] >= 1

    press(counter, Action.PAUSE_OPEN)
    assert pump(lambda: model.window_state == "paused")
    assert window_of(station, "3")["state"] == "paused"
    assert "F1" in enabled(counter) or model.waiting_here == 0
    assert window.panel.buttons[Action.PAUSE_OPEN].text().startswith("F8")


def test_no_pad_the_clerk_enters_the_rating(
        station: SimpleNamespace, qapp: Any, artifacts: Path, closing: list[Any]) -> None:
    counter = make_counter(station, "1")
    closing.append(counter)
    window, model = counter.window, counter.window.model
    assert pump(lambda: model.live)
    sign_in(counter)
    assert pump(lambda: window.page == "acceptance")
    with station.client("kiosk") as kiosk:
        kiosk.issue("D", confirm=True)
    assert pump(lambda: model.waiting_here >= 1)
    press(counter, Action.CALL)
    assert pump(lambda: model.current_status == "called")
    number = str(model.current["number"]) if model.current else ""
    press(counter, Action.FINISH)
    assert pump(lambda: window.rating_bar.isVisible())
    assert "No rating pad" in window.strip.note.text() or "没有评价器" in window.strip.note.text()
    assert number in window.rating_bar.title.text()
    assert all(b.height() >= look.TOUCH_PX for b in window.rating_bar.levels.values())
    assert (window.width(), window.height()) == look.SCREEN
    assert window.grab().save(str(artifacts / "rating_by_hand.png"))
    window.rating_bar.levels[5].click()
    assert pump(lambda: not window.rating_bar.isVisible())
    assert "Very satisfied" in window.strip.note.text() or "非常满意" in window.strip.note.text()


def test_the_stations_refusal_shows_in_the_banner(
        station: SimpleNamespace, qapp: Any, closing: list[Any]) -> None:
    """A counter's token may list the rectification tasks but not take their steps (the
    manager's token does): the banner says why in the station's words, the rest of the
    screen keeps working."""
    with station.client("kiosk") as kiosk, station.client("counter") as api:
        visit = kiosk.issue("A", confirm=True)
        task = api.rate({"level": 2, "ticket_id": visit["id"]})["rectification"]
    counter = make_counter(station, "6")
    closing.append(counter)
    window = counter.window
    sign_in(counter, "wang", "Wang-zhanzhang-2026")
    assert pump(lambda: window.page == "acceptance")
    assert window.nav_buttons["manager"].isVisible()
    window.nav_buttons["manager"].click()
    view = window.manager
    assert pump(lambda: any(r["id"] == task["id"] for r in view.tasks.rows))
    view.tasks.table.selectRow([r["id"] for r in view.tasks.rows].index(task["id"]))
    view.note.setText("核实中")
    view.tasks.buttons["verify"].click()
    assert pump(lambda: "may not rectify" in window.banner.text.text())
    assert window.banner.is_error and "Traceback" not in window.banner.text.text()
    assert enabled(counter) >= {"F8", "F9"}


def test_an_unreachable_station_is_said_in_plain_words(qapp: Any, closing: list[Any]) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    station = SimpleNamespace(url=f"http://127.0.0.1:{port}", tokens={"counter": "x"})
    counter = make_counter(station, "2")
    closing.append(counter)
    window = counter.window
    assert pump(lambda: window.strip.reachable is False)
    sign_in(counter)
    assert pump(lambda: window.login.message.text() != "")
    assert "cannot reach the station" in window.login.message.text()
    assert window.page == "login"
