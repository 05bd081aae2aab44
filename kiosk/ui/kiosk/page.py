"""A kiosk page: state, and a body rebuilt from it.

A page never edits its widgets in place: it changes its state and calls :meth:`Page.refresh`,
which throws the old body away and builds a new one. A switch of language or of 大字模式
is then one refresh, and going home (:meth:`Page.forget`) leaves no widget holding a name,
a number or a case.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kiosk.client.http import StationError, StationUnreachable
from kiosk.counter_ports import CardRead
from kiosk.ui.qt import QtCore, QtWidgets

from .context import KioskContext
from .look import Tone
from .widgets import Text, Tile, paint_ground

log = logging.getLogger(__name__)

QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
Center = QtCore.Qt.AlignmentFlag.AlignCenter
DONE_S = 20.0
"""A page whose job is done goes home by itself after this long. Unit: s."""


class Page(QtWidgets.QWidget):
    """One screen of the kiosk. Subclasses set :attr:`name` and write :meth:`build`."""

    name = ""
    takes_codes = False
    """The page reads QR codes: the camera looks for them only while such a page shows."""

    def __init__(self, ctx: KioskContext, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._outer = QtWidgets.QVBoxLayout(self)
        self._outer.setContentsMargins(0, 0, 0, 0)
        self._content: QtWidgets.QWidget | None = None
        self._home_timer = QtCore.QTimer(self)
        self._home_timer.setSingleShot(True)
        self._home_timer.timeout.connect(lambda: self.ctx.go("home")
                                         if self.isVisible() else None)
        self.busy = False
        self.note = ""
        """A line to show under the title: what went wrong, or what happens now."""
        self.note_tone = "warn"
        self.forget()

    # --- the life of a page --------------------------------------------------------------

    def arrive(self, **kwargs: Any) -> None:
        """The page is shown (with what the previous page handed over)."""

    def forget(self) -> None:
        """Drop everything the page holds of a citizen (subclasses add theirs)."""
        self.busy = False
        self.note = ""
        self._home_timer.stop()

    def home_after(self, seconds: float) -> None:
        """Back to the home screen after ``seconds`` (a finished step: the ticket is in the
        citizen's hand, the next one should find the home screen)."""
        self._home_timer.start(int(seconds * 1000))

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        raise NotImplementedError

    def spoken(self) -> str:
        """What elderly mode says when the page is shown."""
        return ""

    def unavailable(self) -> str | None:
        """Why the page cannot be used now (a device missing), or None."""
        return None

    def on_card(self, card: CardRead) -> None:
        """An ID card was read while this page is shown."""

    def on_code(self, text: str) -> None:
        """A code was scanned while this page is shown."""

    def clear(self) -> None:
        """Throw the body away (it is built again when the page is next shown)."""
        if self._content is not None:
            self._outer.removeWidget(self._content)
            self._content.hide()
            self._content.deleteLater()
            self._content = None

    def refresh(self) -> None:
        theme = self.ctx.theme
        content = QtWidgets.QWidget(self)
        paint_ground(content, theme.page)
        layout = QtWidgets.QVBoxLayout(content)
        margin = theme.gap * 2
        layout.setContentsMargins(margin, theme.gap, margin, theme.gap)
        layout.setSpacing(theme.gap)
        self.build(layout)
        self.clear()
        self._outer.addWidget(content)
        content.show()  # at once: Qt would show it only on its next pass through the events
        self._content = content

    # --- what pages are made of ----------------------------------------------------------

    def t(self, source: str, *args: object) -> str:
        return self.ctx.t(source, *args)

    def title(self, layout: QtWidgets.QBoxLayout, text: str) -> Text:
        made = Text(text, self.ctx.theme.title_px, self.ctx.theme.page, bold=True)
        layout.addWidget(made)
        if self.note:
            layout.addWidget(self.banner(self.note, self.note_tone))
        return made

    def text(self, text: str, *, tone: Tone | None = None, px: int | None = None,
             bold: bool = False, center: bool = False) -> Text:
        theme = self.ctx.theme
        return Text(text, px or theme.body_px, tone or theme.page, bold=bold,
                    align=Center if center else QtCore.Qt.AlignmentFlag.AlignLeft)

    def banner(self, text: str, tone_name: str = "warn") -> QtWidgets.QWidget:
        """A coloured panel with words on it (a warning, a result)."""
        theme = self.ctx.theme
        tone: Tone = getattr(theme, tone_name)
        frame = QtWidgets.QWidget()
        paint_ground(frame, tone)
        inner = QtWidgets.QVBoxLayout(frame)
        inner.setContentsMargins(theme.gap, theme.gap // 2, theme.gap, theme.gap // 2)
        inner.addWidget(Text(text, theme.body_px, tone, bold=True))
        return frame

    def panel(self) -> tuple[QtWidgets.QWidget, QtWidgets.QVBoxLayout]:
        theme = self.ctx.theme
        frame = QtWidgets.QWidget()
        paint_ground(frame, theme.panel)
        inner = QtWidgets.QVBoxLayout(frame)
        inner.setContentsMargins(theme.gap, theme.gap // 2, theme.gap, theme.gap // 2)
        inner.setSpacing(theme.gap // 3)
        return frame, inner

    def tile(self, text: str, on_click: Callable[[], None], *, subtitle: str = "",
             tone: str = "plain", big: bool = False) -> Tile:
        theme = self.ctx.theme
        made = Tile(text, theme, subtitle=subtitle, tone=getattr(theme, tone), big=big)
        made.clicked.connect(lambda _=False: self._pressed(on_click))
        return made

    def row(self, *widgets: QtWidgets.QWidget) -> QtWidgets.QHBoxLayout:
        made = QtWidgets.QHBoxLayout()
        made.setSpacing(self.ctx.theme.gap)
        for widget in widgets:
            made.addWidget(widget)
        return made

    def _pressed(self, on_click: Callable[[], None]) -> None:
        if self.busy:  # a second press while the station answers the first does nothing
            return
        on_click()

    # --- talking to the station ----------------------------------------------------------

    def ask(self, work: Callable[[], Any], done: Callable[[Any], None], *,
            waiting: str = "", on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run ``work`` (a station request, a print) off the GUI thread; ``done(result)``
        after it, or the plain words of what went wrong shown on this page (or the failure
        handed to ``on_error``). Never a trace on the screen."""
        self.busy = True
        if waiting:
            self.note, self.note_tone = waiting, "plain"
            self.refresh()

        def finished(result: Any) -> None:
            self.busy = False
            if self.note == waiting:
                self.note = ""
            done(result)

        def failed(exc: BaseException) -> None:
            self.busy = False
            if on_error is not None:
                on_error(exc)
                return
            self.fail(exc)

        self.ctx.runner.run(work, finished, failed)

    def fail(self, exc: BaseException) -> None:
        """Show (and in elderly mode say) what went wrong, in plain words."""
        self.show_note(self.explain(exc)[1])

    def show_note(self, words: str, tone: str = "warn") -> None:
        self.note, self.note_tone = words, tone
        self.refresh()
        self.ctx.speak(words)

    def explain(self, exc: BaseException) -> tuple[str, str]:
        """(code, words) for a failure, in the current language."""
        if isinstance(exc, StationUnreachable):
            return "unreachable", self.t(
                "The service is not answering. Please ask the staff for help.")
        if isinstance(exc, StationError):
            return exc.code, self.ctx.lang.half(exc.message)
        log.error("kiosk: %s failed: %s", self.name, type(exc).__name__)
        return "error", self.t("Something went wrong. Please ask the staff for help.")
