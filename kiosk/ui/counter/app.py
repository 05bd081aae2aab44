"""The counter screen put together: the station client, the runner, the event feed and the
window (``bianmin counter``; docs/counter.md).

Threads: station requests and device calls run on the runner's pool, the event feed on its
own thread; both come back to the GUI thread through ``Runner.post`` (a queued signal), where
the window changes. Devices arrive built (the command line builds them from the site
configuration: ``kiosk.ui`` may not import the roles, which import ``drivers``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kiosk.client.feed import EventFeed
from kiosk.client.http import StationClient
from kiosk.counter_ports import CounterDevices
from kiosk.ui.appkit import application as _application
from kiosk.ui.appkit import exec_until_closed
from kiosk.ui.qt import QtCore, QtWidgets
from kiosk.ui.runner import Runner

from . import look
from .context import CounterContext
from .offline import OFFLINE_MODES, OfflineWork
from .window import CounterWindow

log = logging.getLogger(__name__)

SCREENSHOT_SIZE = look.SCREEN


class CounterApp:
    """One window's counter screen, fed from the station.

    :param station: the station's base URL.
    :param token: the counter's paired token (role ``counter``, or ``manager``).
    :param window: the window this PC serves ("3").
    :param mode: counter, agent or home_visit.
    :param devices: the window's devices (ports), built by the command line.
    :param id_check: the GB 11643 check (``drivers.gb11643.is_valid``), handed in.
    :param feed_options: passed to :class:`~kiosk.client.feed.EventFeed`.
    :param poll_devices: ask the devices for their state every few seconds.
    :param acceptance: makes the acceptance page (default: the acceptance package's).
    :param site_code: the site's code (offline receipt numbers; the station's ``hello``
        corrects it).
    :param spool_dir: where work done with no station waits, sealed (modes home_visit and
        agent only; None: those modes need the station too).
    :param catalogue_cache: where the last catalogue is kept for working offline (default
        ``catalogue.json`` in ``spool_dir``).
    """

    def __init__(self, station: str, token: str | None, *, window: str, mode: str = "counter",
                 devices: CounterDevices | None = None,
                 id_check: Callable[[str], bool] | None = None, site_name: str = "",
                 window_name: str = "", query_url: str = "",
                 feed_options: Mapping[str, Any] | None = None, poll_devices: bool = True,
                 acceptance: Callable[[CounterContext, QtWidgets.QWidget],
                                      QtWidgets.QWidget] | None = None,
                 site_code: str = "", spool_dir: Path | None = None,
                 catalogue_cache: Path | None = None):
        self.runner = Runner()
        self.client = StationClient(station, token)
        self.ctx = CounterContext(client=self.client, runner=self.runner,
                                  devices=devices or CounterDevices(), window=window,
                                  site_name=site_name, window_name=window_name,
                                  query_url=query_url, mode=mode, site_code=site_code)
        if id_check is not None:
            self.ctx.id_check = id_check
        if mode in OFFLINE_MODES and spool_dir is not None and token:
            self.ctx.offline = OfflineWork(
                spool_dir, token, catalogue_cache or spool_dir / "catalogue.json",
                site_code=site_code, window=window, id_check=self.ctx.id_check)
        self.window = CounterWindow(self.ctx, poll_devices=poll_devices, acceptance=acceptance)
        post = self.runner.post
        self.feed = EventFeed(
            station, token,
            lambda frame: post(lambda: self.window.on_feed_event(frame)),
            lambda state, reason: post(lambda: self.window.on_feed_state(state, reason)),
            **dict(feed_options or {}))

    def start(self) -> None:
        self.feed.start()

    def stop(self) -> None:
        """Stop following the station and the devices' polling; a rating prompt in progress
        is cancelled so that its worker ends."""
        self.feed.stop()
        self.window.stop()
        if self.ctx.devices.rating is not None and self.window.rating.asking is not None:
            try:
                self.ctx.devices.rating.cancel()
            except Exception:  # closing must go on
                log.exception("counter: cancelling the rating prompt failed")
        self.runner.close(wait=False)
        self.client.close()

    def screenshot(self, path: Path) -> bool:
        """Save the window as PNG (what it shows now)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return self.window.grab().save(str(path), "PNG")


def application() -> QtWidgets.QApplication:
    """The counter's QApplication (:func:`kiosk.ui.appkit.application`)."""
    return _application("bianmin-counter")


def run_counter(station: str, token: str | None, *, window: str, mode: str = "counter",
                devices: CounterDevices | None = None,
                id_check: Callable[[str], bool] | None = None, site_name: str = "",
                window_name: str = "", query_url: str = "", screenshot: Path | None = None,
                screenshot_after_s: float = 5.0, echo: Callable[[str], None] = print,
                site_code: str = "", spool_dir: Path | None = None,
                catalogue_cache: Path | None = None) -> int:
    """Show the counter until the window is closed or the process is told to stop; with
    ``screenshot``, render for ``screenshot_after_s``, save the PNG and return.

    :returns: 0, or 1 when a screenshot was asked for and the station never answered.
    """
    app = application()
    counter = CounterApp(station, token, window=window, mode=mode, devices=devices,
                         id_check=id_check, site_name=site_name, window_name=window_name,
                         query_url=query_url, site_code=site_code, spool_dir=spool_dir,
                         catalogue_cache=catalogue_cache)
    shown = counter.window
    result = 0

    def take_screenshot() -> None:
        nonlocal result
        assert screenshot is not None
        saved = counter.screenshot(screenshot)
        live = counter.window.model.live
        result = 0 if saved and live else 1
        state = "已连接 / live" if live else \
            f"未连接 / not live: {counter.window.strip.reason or counter.feed.reason}"
        echo(f"截图 / screenshot: {screenshot} ({state})" if saved
             else f"截图失败 / could not write {screenshot}")
        app.quit()

    if screenshot is not None:
        shown.resize(*SCREENSHOT_SIZE)
        shown.show()
        QtCore.QTimer.singleShot(int(screenshot_after_s * 1000), take_screenshot)
    else:
        shown.showMaximized()  # the clerk's desktop: other programs stay reachable
    counter.start()
    started = time.monotonic()
    try:
        exec_until_closed(app)
    finally:
        counter.stop()
        shown.close()
        log.info("counter: ran %.0f s", time.monotonic() - started)
    return result
