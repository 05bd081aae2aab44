"""The kiosk screen against a real station on loopback, with stand-in devices
(tests/kiosk/kiosk_ui/fakes.py): the home tiles, taking a ticket, idle, the way out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from kiosk.ui.kiosk.lock import hash_pin
from tests.kiosk.qt_support import pump

from .fakes import FakePrinter, card


def ready(kiosk: Any) -> Any:
    window = kiosk.window
    window.poll()
    assert pump(lambda: kiosk.ctx.station_ok and kiosk.ctx.status.get("categories"), 10)
    return window


def tap(tile: Any) -> None:
    tile.click()
    pump(lambda: False, 0.05)


def texts(widget: Any) -> str:
    from kiosk.ui.kiosk.widgets import Text

    return " ".join(t.text() for t in widget.findChildren(Text) if t.isVisibleTo(widget))


def tiles(page: Any) -> dict[str, Any]:
    from kiosk.ui.kiosk.widgets import Tile

    return {t.title: t for t in page.findChildren(Tile) if t.isVisibleTo(page)}


def test_home_shows_seven_tiles_and_a_missing_printer_greys_only_what_needs_it(
        kiosk: Any, artifacts: Path) -> None:
    window = ready(kiosk)
    home = window.pages["home"]
    assert set(home.tiles) == {"ticket", "appointment", "guide", "progress", "results",
                               "rating", "help"}
    assert all(t.isEnabled() for t in home.tiles.values())
    kiosk.devices.printer.paper = False
    window.poll()
    assert pump(lambda: not home.tiles["ticket"].isEnabled(), 10)
    greyed = {name for name, t in home.tiles.items() if not t.isEnabled()}
    assert greyed == {"ticket", "appointment", "results"}
    assert "缺纸" in home.tiles["ticket"].why or "paper" in home.tiles["ticket"].why
    window.grab().save(str(artifacts / "home_no_paper.png"))
    window.go("ticket")  # a greyed tile pressed as it changes: the home page says why
    assert window.current.name == "home" and window.current.note


def test_a_ticket_with_the_card_of_someone_over_60_goes_ahead_and_prints(
        kiosk: Any, station: SimpleNamespace, artifacts: Path) -> None:
    window = ready(kiosk)
    window.go("ticket")
    page = window.current
    kiosk.devices.card_reader.place(card(birth=dt.date(1950, 3, 1)))
    assert pump(lambda: page.card is not None, 5)
    shown = texts(page)
    assert "王*国" in shown and "王建国" not in shown  # masked on the screen
    window.grab().save(str(artifacts / "ticket_card_read.png"))
    tap(tiles(page)["综合受理"])
    assert pump(lambda: page.done is not None, 10)
    printed = kiosk.devices.printer.tickets[-1]
    assert page.done.printed and printed.number == page.done.ticket["number"]
    assert printed.priority_note  # 60 and over: the green channel
    assert printed.code.startswith("BMT:")
    assert "王" not in repr(printed)  # nothing personal goes on a ticket
    window.grab().save(str(artifacts / "ticket_printed.png"))
    with station.client("manager") as manager:
        waiting = {c["prefix"]: c["waiting"] for c in manager.status()["categories"]}
    assert waiting["A"] >= 1
    assert page.card is None  # the card's facts are dropped once the ticket exists

    # the same card again: the station refuses a second ticket and the kiosk reprints
    window.go("ticket")
    page = window.current
    kiosk.devices.card_reader.place(card(birth=dt.date(1950, 3, 1)))
    assert pump(lambda: page.card is not None, 5)
    tap(tiles(page)["综合受理"])
    assert pump(lambda: page.duplicate is not None, 10)
    tap(tiles(page)["Print it again" if "Print it again" in tiles(page) else "再打一张"])
    assert pump(lambda: page.done is not None, 10)
    assert kiosk.devices.printer.tickets[-1].reprint
    assert kiosk.devices.printer.tickets[-1].number == printed.number


def test_a_ticket_that_does_not_print_is_voided_and_the_citizen_sent_to_staff(
        kiosk: Any, station: SimpleNamespace) -> None:
    window = ready(kiosk)
    window.go("ticket")
    page = window.current
    kiosk.devices.printer.paper = False  # runs out between the poll and the press
    tap(tiles(page)["社保医保"])
    assert pump(lambda: page.done is not None, 10)
    assert not page.done.printed
    number = page.done.ticket["number"]
    with station.client("manager") as manager:
        status = manager.status()
    waiting = {c["prefix"]: c["waiting"] for c in status["categories"]}
    assert waiting["B"] == 0, f"{number} was left in the queue"
    assert "工作人员" in texts(page) or "staff" in texts(page)


def test_idle_counts_down_goes_home_and_forgets_the_citizen(kiosk: Any) -> None:
    window = ready(kiosk)
    window.idle.idle_s, window.idle.countdown_s = 0.3, 0.4
    window.go("ticket")
    window.touched()
    page = window.current
    kiosk.devices.card_reader.place(card())
    assert pump(lambda: page.card is not None, 5)
    window.toggle_language()
    window.toggle_elderly()
    assert pump(lambda: window.countdown.isVisible(), 5)
    assert pump(lambda: window.current.name == "home", 5)
    assert page.card is None
    assert kiosk.devices.speaker.stopped >= 1
    assert kiosk.ctx.lang.code == "zh" and not kiosk.ctx.elderly  # the next citizen's start
    assert "王" not in texts(window)


def test_a_touch_during_the_countdown_keeps_the_citizen_s_place(kiosk: Any) -> None:
    window = ready(kiosk)
    window.idle.idle_s, window.idle.countdown_s = 0.3, 5.0
    window.go("guide")
    window.touched()
    assert pump(lambda: window.countdown.isVisible(), 5)
    window.countdown.on_continue()
    assert not window.countdown.isVisible() and window.current.name == "guide"


def test_locked_the_window_does_not_close_and_only_the_pin_lets_the_technician_out(
        kiosk: Any) -> None:
    window = ready(kiosk)
    quits: list[bool] = []
    window.locked, window.on_quit = True, lambda: quits.append(True)
    window.gate.stored = hash_pin("135790")
    window.close()
    assert window.isVisible()  # Alt+F4 and the like do nothing
    for _ in range(5):
        window.gesture.tap(0.0)  # the hidden corner, five quick taps…
    for _ in range(4):
        assert not window.gesture.tap(100.0)
    assert window.gesture.tap(100.1)  # …make the gesture
    window.go("tech", gate=window.gate, quit=window.quit)
    tech = window.current
    for key in "0000":
        tech._key(key)
    tech._key("OK")
    assert not tech.open and tech.note
    for key in "135790":
        tech._key(key)
    tech._key("OK")
    assert tech.open
    tap(tiles(tech)["Quit the kiosk" if "Quit the kiosk" in tiles(tech) else "退出自助终端"])
    assert quits == [True]


def test_a_printer_that_comes_back_brings_its_tiles_back(kiosk: Any) -> None:
    window = ready(kiosk)
    printer: FakePrinter = kiosk.devices.printer
    printer.paper = False
    window.poll()
    home = window.pages["home"]
    assert pump(lambda: not home.tiles["ticket"].isEnabled(), 10)
    printer.paper = True
    window.poll()
    assert pump(lambda: home.tiles["ticket"].isEnabled(), 10)


def test_the_camera_looks_for_codes_only_on_the_pages_that_take_them(kiosk: Any) -> None:
    from .fakes import FakeScanner

    class Camera(FakeScanner):
        def __init__(self) -> None:
            super().__init__()
            self.running: list[bool] = []

        def start(self) -> None:
            self.running.append(True)

        def stop(self) -> None:
            self.running.append(False)

    camera = Camera()
    kiosk.devices.camera_codes = camera
    window = ready(kiosk)
    window.go("guide")
    window.go("appointment")
    window.go("progress")
    window.go("results")  # a result goes to the card's holder: no codes here
    window.go("home")
    assert camera.running == [True, False]
