"""The hall display put together: the event feed, the controller, the board on screen.

Threads (house style, research/aesthetics.md): the feed, the announcer and the sign worker
call in from their own threads; :class:`_Bridge` carries each call to the GUI thread as a
queued signal, where the board changes and the screen redraws. Devices arrive built (the
command line builds them from the site configuration: ``kiosk.ui`` may not import the
registry, which imports ``drivers``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kiosk.client.feed import EventFeed
from kiosk.ui.appkit import application as _application
from kiosk.ui.appkit import exec_until_closed
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from .controller import AnnouncerLike, HallController, SignLike
from .model import HallBoard
from .window import HallWindow

log = logging.getLogger(__name__)

SCREENSHOT_SIZE = (1920, 1080)
"""The hall screen the board is designed for; screenshots are taken at this size."""


class _Bridge(QtCore.QObject):
    """Runs functions posted from any thread on the thread that owns it (a queued signal:
    Qt queues an emission whose receiver lives on another thread)."""

    posted = QtCore.Signal(object)

    def __init__(self, after: Callable[[], None]):
        super().__init__()
        self._after = after
        self.posted.connect(self._run)

    def post(self, fn: Callable[[], None]) -> None:
        self.posted.emit(fn)

    @QtCore.Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:  # logged, never shown: the board keeps what it had
            log.exception("hall display: an update failed")
        self._after()


class HallDisplay:
    """The board, fed from the station, speaking and driving signs.

    :param station: the station's base URL.
    :param token: the display's paired token.
    :param announcer: the hall's voice, or None.
    :param signs: window number → its LED sign.
    :param hall_sign: a sign that shows every call, or None.
    :param warnings: role → plain words about a device that could not even be built.
    :param feed_options: passed to :class:`~kiosk.client.feed.EventFeed` (timeouts, backoff).
    """

    def __init__(self, station: str, token: str | None, *,
                 announcer: AnnouncerLike | None = None,
                 signs: Mapping[str, SignLike] | None = None, hall_sign: SignLike | None = None,
                 warnings: Mapping[str, str] | None = None,
                 feed_options: Mapping[str, Any] | None = None):
        self.board = HallBoard()
        for role, text in (warnings or {}).items():
            self.board.set_device_warning(role, text)
        self.window = HallWindow(self.board)
        self.bridge = _Bridge(self.window.refresh)
        self.controller = HallController(self.board, announcer=announcer, signs=signs,
                                         hall_sign=hall_sign, post=self.bridge.post)
        self.feed = EventFeed(station, token, self.controller.on_feed_event,
                              self.controller.on_feed_state, **dict(feed_options or {}))

    def start(self) -> None:
        self.controller.start()
        self.feed.start()

    def stop(self) -> None:
        self.feed.stop()
        self.controller.stop()

    def screenshot(self, path: Path) -> bool:
        """Save the board as PNG (what it shows now, marquee and all)."""
        self.window.refresh()
        path.parent.mkdir(parents=True, exist_ok=True)
        return self.window.grab().save(str(path), "PNG")


def application() -> QtWidgets.QApplication:
    """The hall display's QApplication (:func:`kiosk.ui.appkit.application`)."""
    return _application("bianmin-display")


def run_display(station: str, token: str | None, *, announcer: AnnouncerLike | None = None,
                signs: Mapping[str, SignLike] | None = None, hall_sign: SignLike | None = None,
                warnings: Mapping[str, str] | None = None, windowed: bool = False,
                screenshot: Path | None = None, screenshot_after_s: float = 5.0,
                echo: Callable[[str], None] = print) -> int:
    """Show the board until the window is closed or the process is told to stop; with
    ``screenshot``, render for ``screenshot_after_s``, save the PNG and return.

    :returns: 0, or 1 when a screenshot was asked for and the board never went live.
    """
    app = application()
    display = HallDisplay(station, token, announcer=announcer, signs=signs,
                          hall_sign=hall_sign, warnings=warnings)
    window = display.window
    result = 0

    def take_screenshot() -> None:
        nonlocal result
        assert screenshot is not None
        saved = display.screenshot(screenshot)
        live = display.board.live
        result = 0 if saved and live else 1
        state = "已连接 / live" if live else f"未连接 / not live: {display.board.connection_reason}"
        echo(f"截图 / screenshot: {screenshot} ({state})" if saved
             else f"截图失败 / could not write {screenshot}")
        app.quit()

    if screenshot is not None:
        window.resize(*SCREENSHOT_SIZE)
        window.show()
        QtCore.QTimer.singleShot(int(screenshot_after_s * 1000), take_screenshot)
    elif windowed:
        window.resize(1280, 720)
        window.show()
    else:
        window.setCursor(QtGui.QCursor(QtCore.Qt.CursorShape.BlankCursor))  # nobody points
        window.showFullScreen()
    display.start()
    started = time.monotonic()
    try:
        exec_until_closed(app)
    finally:
        display.stop()
        window.close()
        log.info("hall display: ran %.0f s, until %s", time.monotonic() - started,
                 dt.datetime.now().isoformat(timespec="seconds"))
    return result
