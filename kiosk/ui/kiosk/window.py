"""The kiosk's window: a header (site, time, 大字模式, 中文/English), the pages, a footer
(home, help), the idle countdown and the technician's way out.

The window is the only listener of the devices: a card read or a code scanned goes to the
page on show, which alone knows what it means there. It follows the station (waiting counts)
and the devices (a printer out of paper greys the tiles that need it) by asking every few
seconds on the runner, never on the GUI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kiosk.counter_ports import CardRead, DeviceStatus
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from . import lock
from .appointment import AppointmentPage, HelpPage
from .citizen import ProgressPage, RatingPage, ResultsPage
from .context import PORTS, KioskContext
from .guide import GuidePage
from .home import HomePage
from .page import QT_TRANSLATE_NOOP, Page
from .tech import TechPage
from .ticket import TicketPage
from .widgets import Text, Tile, paint_ground

log = logging.getLogger(__name__)

POLL_MS = 5000
TICK_MS = 250
STILL_THERE = QT_TRANSLATE_NOOP("Kiosk", "Are you still there? Back to the start in %1 s.")


class Countdown(QtWidgets.QWidget):
    """Covers the page while the idle countdown runs; a touch anywhere keeps the citizen's
    place."""

    def __init__(self, parent: QtWidgets.QWidget, on_continue: Callable[[], None]):
        super().__init__(parent)
        self.on_continue = on_continue
        self.words: Text | None = None
        self.hide()

    def show_left(self, ctx: KioskContext, seconds: float) -> None:
        theme = ctx.theme
        if self.layout() is None:
            QtWidgets.QVBoxLayout(self)
        layout = self.layout()
        while layout.count():
            item = layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        paint_ground(self, theme.warn)
        layout.setContentsMargins(theme.gap * 3, theme.gap * 3, theme.gap * 3, theme.gap * 3)
        layout.addStretch(1)
        self.words = Text(ctx.t(STILL_THERE, max(1, round(seconds))), theme.title_px, theme.warn,
                          bold=True, align=QtCore.Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.words)
        keep = Tile(ctx.t("Continue"), theme, tone=theme.primary, big=True)
        keep.clicked.connect(lambda _=False: self.on_continue())
        layout.addWidget(keep)
        layout.addStretch(1)
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()


class KioskWindow(QtWidgets.QWidget):
    """:param unlock_pin_hash: the technician's PIN (:func:`lock.hash_pin`); empty: no way
        out from the screen.
    :param locked: full screen with no way out but the PIN (False for the demo's desktop).
    :param on_quit: called when the technician quits (the app closes the window).
    """

    def __init__(self, ctx: KioskContext, *, idle_s: float = 60.0, countdown_s: float = 10.0,
                 unlock_pin_hash: str = "", locked: bool = True,
                 on_quit: Callable[[], None] | None = None, poll: bool = True):
        super().__init__()
        self.ctx = ctx
        self.locked = locked
        self.quitting = False
        self.on_quit = on_quit or self.close
        self.idle = lock.Idle(idle_s, countdown_s, time.monotonic())
        self.gesture = lock.Gesture()
        self.gate = lock.PinGate(unlock_pin_hash)
        self.defaults = (ctx.elderly, ctx.lang.code)
        self.camera_on = False
        self.setObjectName("kiosk")
        self.setWindowTitle("便民自助终端 / Bianmin kiosk")
        paint_ground(self, ctx.theme.page)
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.header = QtWidgets.QWidget()
        self.footer = QtWidgets.QWidget()
        self.stack = QtWidgets.QStackedWidget()
        outer.addWidget(self.header)
        outer.addWidget(self.stack, 1)
        outer.addWidget(self.footer)
        self.pages: dict[str, Page] = {}
        for page_type in (TicketPage, AppointmentPage, GuidePage, ProgressPage, ResultsPage,
                          RatingPage, HelpPage, TechPage):
            page = page_type(ctx)
            self.pages[page.name] = page
        self.pages["home"] = HomePage(ctx, self.pages)
        for page in self.pages.values():
            self.stack.addWidget(page)
        self.current = self.pages["home"]
        self.countdown = Countdown(self, self._still_here)
        ctx.go = self.go
        ctx.speak_out = self._say
        self.elderly_tile: Tile | None = None
        self.language_tile: Tile | None = None
        self.clock: Text | None = None
        self._build_chrome()
        self.go("home")
        self.ticker = QtCore.QTimer(self)
        self.ticker.timeout.connect(self._tick)
        self.ticker.start(TICK_MS)
        self.poller = QtCore.QTimer(self)
        self.poller.timeout.connect(self.poll)
        if poll:
            self.poller.start(POLL_MS)
            QtCore.QTimer.singleShot(0, self.poll)
        QtWidgets.QApplication.instance().installEventFilter(self)

    # --- moving between pages -------------------------------------------------------------

    def go(self, name: str, **kwargs: Any) -> None:
        page = self.pages[name]
        if name != "home" and name != "tech":
            why = page.unavailable()
            if why:  # a tile greyed a moment ago is pressed as it changes
                self.current.show_note(why)
                return
        if name == "help":
            kwargs.setdefault("from_page", self.current.name)
        if name == "home":
            self.forget()
        else:
            page.forget()
        self.current = page
        page.refresh()
        self.stack.setCurrentWidget(page)
        page.arrive(**kwargs)
        self.footer.setVisible(name not in ("home", "tech"))
        self._camera(page.takes_codes)
        self.ctx.speak(page.spoken())

    def _camera(self, wanted: bool) -> None:
        """The camera looks for codes only on a page that takes them (it costs a core's
        share while it decodes; the code scanner, if any, listens all the time)."""
        camera = self.ctx.devices.camera_codes
        if camera is None or wanted == self.camera_on:
            return
        self.camera_on = wanted
        try:
            camera.start() if wanted else camera.stop()
        except Exception:  # a camera that will not start is a camera missing, not a crash
            log.exception("kiosk: switching the camera failed")

    def forget(self) -> None:
        """Every trace of the citizen gone from the screens: each page drops its state and
        its widgets; a queued phrase is not spoken."""
        for page in self.pages.values():
            page.forget()
            if page is not self.current:
                page.clear()
        if self.ctx.devices.speaker is not None:
            self.ctx.devices.speaker.stop()

    # --- header and footer ----------------------------------------------------------------

    def _build_chrome(self) -> None:
        """(Re)make the header and the footer in the current language and mode."""
        ctx, theme = self.ctx, self.ctx.theme
        outer = self.layout()
        old_header, old_footer = self.header, self.footer
        self.header, self.footer = QtWidgets.QWidget(), QtWidgets.QWidget()
        outer.replaceWidget(old_header, self.header)
        outer.replaceWidget(old_footer, self.footer)
        for old in (old_header, old_footer):
            old.hide()
            old.deleteLater()
        paint_ground(self.header, theme.header)
        row = QtWidgets.QHBoxLayout(self.header)
        row.setContentsMargins(theme.gap, theme.gap // 2, theme.gap, theme.gap // 2)
        site = Text(ctx.site_name or ctx.t("Service centre"), theme.title_px, theme.header,
                    bold=True)
        site.mousePressEvent = self._corner_tapped  # type: ignore[method-assign]
        row.addWidget(site, 1)
        self.clock = Text(f"{ctx.now():%H:%M}", theme.title_px, theme.header, bold=True)
        row.addWidget(self.clock)
        self.elderly_tile = Tile(ctx.t("Normal text") if ctx.elderly else ctx.t("Large text"),
                                 theme, tone=theme.plain)
        self.elderly_tile.clicked.connect(lambda _=False: self.toggle_elderly())
        self.language_tile = Tile("English" if ctx.lang.chinese else "中文", theme,
                                  tone=theme.plain)
        self.language_tile.clicked.connect(lambda _=False: self.toggle_language())
        for tile in (self.elderly_tile, self.language_tile):
            tile.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed,
                               QtWidgets.QSizePolicy.Policy.Fixed)
            row.addWidget(tile)
        paint_ground(self.footer, theme.page)
        bottom = QtWidgets.QHBoxLayout(self.footer)
        bottom.setContentsMargins(theme.gap * 2, theme.gap // 2, theme.gap * 2, theme.gap)
        bottom.setSpacing(theme.gap)
        home = Tile(ctx.t("Home"), theme, tone=theme.plain)
        home.clicked.connect(lambda _=False: self.go("home"))
        helper = Tile(ctx.t("I need help"), theme, tone=theme.good)
        helper.clicked.connect(lambda _=False: self.go("help"))
        bottom.addWidget(home)
        bottom.addWidget(helper)
        self.home_tile, self.help_tile = home, helper
        self.header.show()
        self.footer.setVisible(self.current.name not in ("home", "tech"))

    def toggle_elderly(self) -> None:
        self.ctx.elderly = not self.ctx.elderly
        self.restyle()
        self.ctx.speak(self.ctx.t("Large text is on. Every step is also spoken."))

    def toggle_language(self) -> None:
        self.ctx.lang.toggle()
        self.restyle()

    def restyle(self) -> None:
        paint_ground(self, self.ctx.theme.page)
        self._build_chrome()
        self.current.refresh()
        if self.countdown.isVisible():
            self.countdown.show_left(self.ctx, self.idle.state(time.monotonic())[1])

    # --- the technician's way out ----------------------------------------------------------

    def _corner_tapped(self, event: QtGui.QMouseEvent) -> None:
        if event.position().x() < self.ctx.theme.touch_px * 2 and \
                self.gesture.tap(time.monotonic()):
            self.go("tech", gate=self.gate, quit=self.quit)

    def quit(self) -> None:
        self.quitting = True
        self.on_quit()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if self.locked and not self.quitting:
            event.ignore()  # Alt+F4 and the like: only the technician's PIN lets go
            return
        QtWidgets.QApplication.instance().removeEventFilter(self)
        super().closeEvent(event)

    # --- idle -------------------------------------------------------------------------------

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() in (QtCore.QEvent.Type.MouseButtonPress,
                            QtCore.QEvent.Type.TouchBegin, QtCore.QEvent.Type.KeyPress):
            self.touched()
        return False

    def touched(self) -> None:
        self.idle.touch(time.monotonic())
        if self.countdown.isVisible():
            self.countdown.hide()

    def _still_here(self) -> None:
        self.touched()

    def _tick(self) -> None:
        if self.clock is not None:
            self.clock.setText(f"{self.ctx.now():%H:%M}")
        state, left = self.idle.state(time.monotonic())
        at_rest = self.current.name == "home" and not self.current.busy
        if state == "active" or at_rest:
            if self.countdown.isVisible():
                self.countdown.hide()
            return
        if state == "countdown":
            shown = self.countdown.words.text() if self.countdown.words else ""
            words = self.ctx.t(STILL_THERE, max(1, round(left)))
            if not self.countdown.isVisible() or shown != words:
                first = not self.countdown.isVisible()
                self.countdown.show_left(self.ctx, left)
                if first:
                    self.ctx.speak(self.ctx.t("Are you still there? Touch the screen to "
                                              "go on."))
            return
        self.countdown.hide()
        self.idle.touch(time.monotonic())
        # the next citizen starts as the kiosk was set up, not as the last one left it
        restyle = (self.ctx.elderly, self.ctx.lang.code) != self.defaults
        self.ctx.elderly, self.ctx.lang.code = self.defaults
        self.go("home")
        if restyle:
            self.restyle()

    # --- following the station and the devices -------------------------------------------------

    def poll(self) -> None:
        ctx = self.ctx

        def ask() -> tuple[dict[str, Any] | None, dict[str, DeviceStatus]]:
            states: dict[str, DeviceStatus] = {}
            for role, attribute in PORTS.items():
                port = getattr(ctx.devices, attribute)
                if port is not None:
                    try:
                        states[role] = port.status()
                    except Exception:  # a driver bug must not stop the kiosk
                        log.exception("kiosk: asking the %s for its state failed", role)
            try:
                return ctx.client.status(), states
            except Exception as exc:  # the station away: the kiosk says so, keeps going
                log.warning("kiosk: station status: %s", type(exc).__name__)
                return None, states

        ctx.runner.run(ask, self._polled)

    def _polled(self, answer: tuple[dict[str, Any] | None, dict[str, DeviceStatus]]) -> None:
        status, states = answer
        changed = states != self.ctx.device_states or (status is None) == self.ctx.station_ok
        self.ctx.device_states = states
        if status is not None:
            counts = [c.get("waiting") for c in status.get("categories", [])]
            old = [c.get("waiting") for c in self.ctx.status.get("categories", [])]
            changed = changed or counts != old
            self.ctx.status = status
        self.ctx.station_ok = status is not None
        if changed and self.current.name in ("home", "ticket") and not self.current.busy:
            if self.current.name == "ticket" and getattr(self.current, "done", None):
                return
            self.current.refresh()

    def card_read(self, card: CardRead) -> None:
        self.touched()
        self.current.on_card(card)

    def code_read(self, text: str) -> None:
        self.touched()
        self.current.on_code(text)

    def _say(self, text: str) -> None:
        if self.ctx.devices.speaker is not None:
            self.ctx.devices.speaker.say(text)

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.countdown.isVisible():
            self.countdown.setGeometry(self.rect())
