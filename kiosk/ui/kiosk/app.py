"""The citizen kiosk put together (``bianmin kiosk``; docs/kiosk.md): the station client,
the runner, the devices and the window.

Threads: station requests and printing run on the runner's pool; device callbacks (a card
read, a code scanned) arrive on the devices' threads and are carried to the GUI thread by
``Runner.post``. Devices arrive built: the command line builds them from the site
configuration (``kiosk.ui`` may not import the roles, which import ``drivers``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.client.http import StationClient
from kiosk.kiosk_ports import KioskDevices
from kiosk.ui.appkit import application as _application
from kiosk.ui.appkit import exec_until_closed
from kiosk.ui.qt import QtCore, QtWidgets
from kiosk.ui.runner import Runner

from . import look
from .context import KioskContext
from .language import Language
from .window import KioskWindow

log = logging.getLogger(__name__)

FIRST_LOOK_MS = 1000


class KioskApp:
    """One kiosk screen, fed from the station.

    :param station: the station's base URL.
    :param token: the kiosk's paired token (role ``kiosk``).
    :param devices: the kiosk's devices (ports), built by the command line.
    :param locked: full screen with no way out but the PIN (False: an ordinary window).
    """

    def __init__(self, station: str, token: str | None, *, devices: KioskDevices | None = None,
                 site_name: str = "", timezone: str = "Asia/Shanghai", idle_s: float = 60.0,
                 countdown_s: float = 10.0, unlock_pin_hash: str = "", locked: bool = True,
                 language: str = "zh", elderly: bool = False, poll: bool = True,
                 on_quit: Callable[[], None] | None = None):
        self.runner = Runner(name="kiosk")
        self.client = StationClient(station, token)
        self.devices = devices or KioskDevices()
        self.ctx = KioskContext(client=self.client, runner=self.runner, devices=self.devices,
                                lang=Language(language), site_name=site_name,
                                tz=ZoneInfo(timezone), elderly=elderly)
        self.window = KioskWindow(self.ctx, idle_s=idle_s, countdown_s=countdown_s,
                                  unlock_pin_hash=unlock_pin_hash, locked=locked,
                                  on_quit=on_quit, poll=poll)
        post = self.runner.post
        if self.devices.card_reader is not None:
            self.devices.card_reader.on_card(lambda card: post(lambda: self.window.card_read(card)))
        for scanner in (self.devices.code_scanner, self.devices.camera_codes):
            if scanner is not None:
                scanner.on_code(lambda text: post(lambda: self.window.code_read(text)))

    def start(self) -> None:
        for port in (self.devices.card_reader, self.devices.code_scanner):
            if port is not None:
                try:
                    port.start()
                except Exception:  # a device that will not start is shown as missing
                    log.exception("kiosk: starting a device failed")
        # the reader says "not opened yet" until its first poll: ask again once it has had
        # the time, rather than grey its tiles for a whole polling period
        QtCore.QTimer.singleShot(FIRST_LOOK_MS, self.window.poll)

    def stop(self) -> None:
        self.window.camera_on = True  # whatever the page: the camera stops with the kiosk
        for port in (self.devices.card_reader, self.devices.code_scanner,
                     self.devices.camera_codes):
            if port is not None:
                try:
                    port.stop()
                except Exception:
                    log.exception("kiosk: stopping a device failed")
        if self.devices.speaker is not None:
            self.devices.speaker.stop()
        self.window.ticker.stop()
        self.window.poller.stop()
        self.runner.close(wait=False)
        self.client.close()

    def screenshot(self, path: Path) -> bool:
        path.parent.mkdir(parents=True, exist_ok=True)
        return self.window.grab().save(str(path), "PNG")


def application() -> QtWidgets.QApplication:
    return _application("bianmin-kiosk")


def run_kiosk(station: str, token: str | None, *, devices: KioskDevices | None = None,
              site_name: str = "", timezone: str = "Asia/Shanghai", idle_s: float = 60.0,
              countdown_s: float = 10.0, unlock_pin_hash: str = "", locked: bool = True,
              language: str = "zh", elderly: bool = False, screenshot: Path | None = None,
              screenshot_after_s: float = 3.0, echo: Callable[[str], None] = print) -> int:
    """Show the kiosk until the technician quits or the process is told to stop; with
    ``screenshot``, render for ``screenshot_after_s``, save the PNG and return.

    :returns: 0, or 1 when a screenshot was asked for and the station never answered.
    """
    app = application()
    result = 0
    kiosk = KioskApp(station, token, devices=devices, site_name=site_name, timezone=timezone,
                     idle_s=idle_s, countdown_s=countdown_s, unlock_pin_hash=unlock_pin_hash,
                     locked=locked and screenshot is None, language=language, elderly=elderly,
                     on_quit=app.quit)
    shown = kiosk.window

    def take_screenshot() -> None:
        nonlocal result
        assert screenshot is not None
        saved = kiosk.screenshot(screenshot)
        result = 0 if saved and kiosk.ctx.station_ok else 1
        state = "已连接 / live" if kiosk.ctx.station_ok else "未连接 / station not answering"
        echo(f"截图 / screenshot: {screenshot} ({state})" if saved
             else f"截图失败 / could not write {screenshot}")
        app.quit()

    if screenshot is not None:
        shown.resize(*look.SCREEN)
        shown.show()
        QtCore.QTimer.singleShot(int(screenshot_after_s * 1000), take_screenshot)
    elif locked:
        shown.setWindowFlags(QtCore.Qt.WindowType.FramelessWindowHint
                             | QtCore.Qt.WindowType.WindowStaysOnTopHint)
        shown.showFullScreen()
    else:
        shown.resize(*look.SCREEN)
        shown.show()
    kiosk.start()
    started = time.monotonic()
    try:
        exec_until_closed(app)
    finally:
        kiosk.stop()
        shown.quitting = True
        shown.close()
        log.info("kiosk: ran %.0f s", time.monotonic() - started)
    return result
