"""The wizard's process: the QApplication with the Chinese translation, the window shown
maximised (the technician's PC), or the screenshot tour.

The tour (``bianmin setup --screenshot DIR``) plays every page off screen with a simulated
device in each role, and saves one PNG per page at 1366×768 (the village PC's usual
screen): the site (a sample site when none is configured), the county, the devices after
every role's test with the camera's preview showing the page outlined, the network check,
and the summary with the file that would be written. It writes no configuration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from kiosk.setup_wizard.ports import SetupPort, SiteAnswers
from kiosk.ui.appkit import application as _application
from kiosk.ui.appkit import exec_until_closed
from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtWidgets

from .window import SetupWindow

log = logging.getLogger(__name__)

SCREEN = look.SCREEN
SHOTS = ("01-site.png", "02-county.png", "03-devices.png", "04-network.png", "05-summary.png")
"""The tour's PNGs, one per page in page order."""
SAMPLE_SITE = SiteAnswers(code="XC-0101", name="西村便民服务站", kind="village",
                          township="东镇", village="西村")
"""The site the tour shows when the configuration names none."""
WAIT_S = 60.0
"""Longest the tour waits for one page to settle (all device tests, a picture). Unit: s."""
SETTLE_MS = 300
"""Time for a page to lay itself out before its picture. Unit: ms."""

Wait = Callable[[], bool]


def application() -> QtWidgets.QApplication:
    """The wizard's QApplication (:func:`kiosk.ui.appkit.application`)."""
    return _application("bianmin-setup")


def run_setup(model: SetupPort, *, screenshot_dir: Path | None = None,
              echo: Callable[[str], None] = print) -> int:
    """Show the wizard until it is closed; with ``screenshot_dir``, play the tour instead.

    :returns: 0 when the configuration was written (the tour: every PNG saved), else 1.
    """
    app = application()
    window = SetupWindow(model, ask_before_quit=screenshot_dir is None)
    if screenshot_dir is None:
        window.showMaximized()
        try:
            exec_until_closed(app)
        finally:
            window.shut_down()
        return 0 if window.written else 1
    tour = ScreenshotTour(window, screenshot_dir, echo)
    window.resize(*SCREEN)
    window.show()
    QtCore.QTimer.singleShot(0, tour.start)
    try:
        exec_until_closed(app)
    finally:
        window.shut_down()
        window.close()
    return 0 if len(tour.saved) == len(SHOTS) else 1


class ScreenshotTour:
    """Plays the pages and saves their pictures (module docstring); quits the application
    when done. ``saved`` lists the PNGs written."""

    def __init__(self, window: SetupWindow, folder: Path, echo: Callable[[str], None],
                 wait_s: float = WAIT_S, on_done: Callable[[], None] | None = None):
        self.window = window
        self.folder = folder
        self.echo = echo
        self.wait_s = wait_s
        self.saved: list[Path] = []
        self.on_done = on_done or (lambda: QtWidgets.QApplication.instance().quit())
        self._script: Iterator[Wait] | None = None
        self._until: Wait | None = None
        self._deadline = 0.0
        self._timer = QtCore.QTimer(window)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._step)

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._script = self.script()
        self._advance()
        self._timer.start()

    def script(self) -> Iterator[Wait]:
        w = self.window
        if not w.site.code.text().strip():
            w.site.fill_in(SAMPLE_SITE)
        w.go_to(0)
        yield self._pause()
        self._save(0)
        w.go_to(1)
        yield self._pause()
        self._save(1)
        for role, choice in w.model.simulators().items():
            w.devices.choose(role, choice)
        w.go_to(2)
        yield lambda: not w.devices.searching
        w.devices.test_all()
        yield lambda: not w.devices.testing
        w.devices.select("document_camera")
        w.devices.start_preview()
        yield lambda: w.devices.preview_found > 0 or not w.devices.preview_wanted
        self._save(2)
        w.go_to(3)
        yield lambda: w.network.checks > 0
        self._save(3)
        w.go_to(4)
        yield self._pause()
        self._save(4)

    def _pause(self) -> Wait:
        until = time.monotonic() + SETTLE_MS / 1000
        return lambda: time.monotonic() >= until

    def _step(self) -> None:
        if self._until is None:
            return
        if not self._until():
            if time.monotonic() < self._deadline:
                return
            self.echo(f"注意 / Note: page {self.window.index + 1} did not settle within "
                      f"{self.wait_s:g} s; taking its picture as it is")
        self._advance()

    def _advance(self) -> None:
        assert self._script is not None
        try:
            self._until = next(self._script)
            self._deadline = time.monotonic() + self.wait_s
        except StopIteration:
            self._until = None
            self._timer.stop()
            self.on_done()

    def _save(self, index: int) -> None:
        path = self.folder / SHOTS[index]
        QtWidgets.QApplication.processEvents()
        if self.window.grab().save(str(path), "PNG"):
            self.saved.append(path)
            self.echo(f"截图 / screenshot: {path}")
        else:
            self.echo(f"截图失败 / could not write {path}")
