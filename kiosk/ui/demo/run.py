"""The demo's windows on one screen (the hall display, the console and the counter of window
1), or, without a screen, the same scene played by itself and saved as pictures (DESIGN.md
§8: screens are checked by screenshot).

The station runs in the calling process (``bianmin demo`` starts it); this module only
talks to it through its API, like any screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kiosk.client.http import StationClient
from kiosk.ui.counter.app import CounterApp
from kiosk.ui.display.app import SCREENSHOT_SIZE, HallDisplay, application, exec_until_closed
from kiosk.ui.kiosk import look as kiosk_look
from kiosk.ui.kiosk.app import KioskApp
from kiosk.ui.qt import QtCore, QtWidgets

from .panel import DemoPanel

SCRIPT = ("issue A", "issue A", "issue B", "issue C", "issue A",
          "call 1", "call 3", "call 2", "finish 1", "call 1", "recall 3")
"""What the demo does by itself without a screen: a morning's first minutes."""
LIVE_WITHIN_S = 10.0


def run_demo(station: str, *, manager_token: str, display_token: str,
             devices: Mapping[str, Any], screenshots: Path | None,
             counter: Mapping[str, Any] | None = None,
             kiosk: Mapping[str, Any] | None = None,
             echo: Callable[[str], None] = print) -> int:
    """Show the hall display, the console and the counter until they are closed; with
    ``screenshots`` (no screen), play :data:`SCRIPT`, save ``hall.png``, ``console.png`` and
    ``counter.png`` there and return.

    :param devices: ``announcer``, ``signs``, ``hall_sign``, ``warnings`` for the display.
    :param counter: the keyword arguments of :class:`CounterApp` (``token``, ``window``,
        ``devices``, ``id_check``, ``site_name``) and ``clerk`` = (id, secret), or None.
    :param kiosk: the keyword arguments of :class:`KioskApp` (``token``, ``devices``, the
        screen's settings) and ``swipe`` = (place, remove) the card on its reader, or None.
    :returns: 0, or 1 when the display never reached the station.
    """
    app = application()
    client = StationClient(station, manager_token)
    status = client.status()
    display = HallDisplay(station, display_token, **devices)
    citizen = dict(kiosk or {})
    swipe = citizen.pop("swipe", None)
    panel = DemoPanel(client, [(c["prefix"], c["name"]) for c in status["categories"]],
                      [w["number"] for w in status["windows"] if not w["temporary"]],
                      swipe=swipe)
    options = dict(counter or {})
    clerk = options.pop("clerk", None)
    desk = CounterApp(station, options.pop("token"), **options) if counter else None
    terminal = (KioskApp(station, citizen.pop("token"), locked=False, **citizen)
                if kiosk else None)
    display.start()
    if desk is not None:
        desk.start()
    if terminal is not None:
        terminal.start()
    try:
        if screenshots is None:
            display.window.resize(1280, 720)
            display.window.show()
            panel.move(display.window.x() + 1290, display.window.y())
            panel.show()
            if desk is not None:
                desk.window.resize(1366, 768)
                desk.window.show()
            if terminal is not None:  # a portrait panel, shown at half size on a desktop
                terminal.window.resize(kiosk_look.SCREEN[0] // 2 + 200,
                                       kiosk_look.SCREEN[1] // 2 + 100)
                terminal.window.show()
            exec_until_closed(app)
            return 0
        return _play(app, display, panel, screenshots, echo, desk, clerk, terminal)
    finally:
        display.stop()
        if desk is not None:
            desk.stop()
        if terminal is not None:
            terminal.stop()
            terminal.window.quitting = True
            terminal.window.close()
        client.close()


def _play(app: QtWidgets.QApplication, display: HallDisplay, panel: DemoPanel,
          folder: Path, echo: Callable[[str], None], desk: CounterApp | None = None,
          clerk: tuple[str, str] | None = None, terminal: KioskApp | None = None) -> int:
    display.window.resize(*SCREENSHOT_SIZE)
    display.window.show()
    panel.show()
    deadline = time.monotonic() + LIVE_WITHIN_S
    while not display.board.live and time.monotonic() < deadline:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)
    if desk is not None:
        desk.window.resize(1366, 768)
        desk.window.show()
        if clerk is not None:  # the demo's clerk signs in at window 1, as a clerk would
            desk.window.login.clerk_id.setText(clerk[0])
            desk.window.login.secret.setText(clerk[1])
            desk.window.login.button.click()
            _pump(app, 1.0)
    for step in SCRIPT:
        panel.buttons[step].click()
        _pump(app, 0.15)
    _pump(app, 1.0)  # the last events reach the board
    folder.mkdir(parents=True, exist_ok=True)
    hall, console = folder / "hall.png", folder / "console.png"
    display.screenshot(hall)
    panel.grab().save(str(console), "PNG")
    shots = [hall, console]
    if desk is not None:
        shots.append(folder / "counter.png")
        desk.screenshot(shots[-1])
    if terminal is not None:
        terminal.window.resize(*kiosk_look.SCREEN)
        terminal.window.show()
        terminal.window.poll()
        _pump(app, 1.0)
        shots.append(folder / "kiosk.png")
        terminal.screenshot(shots[-1])
    echo(f"截图 / screenshots: {', '.join(map(str, shots))}")
    return 0 if display.board.live else 1


def _pump(app: QtWidgets.QApplication, seconds: float) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.01)
