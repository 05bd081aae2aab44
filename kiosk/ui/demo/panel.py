"""The demo's console: a small window that issues tickets and works the windows through the
station's API, so that someone trying ``make demo`` can watch the hall display react.

It is a stand-in for the kiosk and the counter app (issues 7 and 9), not a product screen:
one button per category, one row of buttons per window. The station's refusals ("nobody is
waiting", "window 3 still has A004") are shown in its status line in plain words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from kiosk.client.http import StationError
from kiosk.ui.i18n import both
from kiosk.ui.qt import QtCore, QtWidgets

log = logging.getLogger(__name__)
CONTEXT = "DemoPanel"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP

TITLE = QT_TRANSLATE_NOOP("DemoPanel", "Demo console")
TAKE = QT_TRANSLATE_NOOP("DemoPanel", "Take a ticket")
WINDOWS = QT_TRANSLATE_NOOP("DemoPanel", "Windows")
WINDOW_N = QT_TRANSLATE_NOOP("DemoPanel", "Window %1")
CALL = QT_TRANSLATE_NOOP("DemoPanel", "Call next")
RECALL = QT_TRANSLATE_NOOP("DemoPanel", "Recall")
FINISH = QT_TRANSLATE_NOOP("DemoPanel", "Finish")
NO_SHOW = QT_TRANSLATE_NOOP("DemoPanel", "No-show")
ISSUED = QT_TRANSLATE_NOOP("DemoPanel", "Ticket %1: %2 ahead")
CALLED = QT_TRANSLATE_NOOP("DemoPanel", "%1 called to window %2")
DONE = QT_TRANSLATE_NOOP("DemoPanel", "Done: %1")
SWIPE = QT_TRANSLATE_NOOP("DemoPanel", "Swipe the ID card at the kiosk")
SWIPED = QT_TRANSLATE_NOOP("DemoPanel", "The card lies on the kiosk's reader for 2 s")
SWIPE_MS = 2000


class StationLike(Protocol):
    """What the console needs of ``kiosk.client.http.StationClient``."""

    def issue(self, category: str, *, confirm: bool = ...) -> dict[str, Any]: ...

    def call(self, window: str, number: str | None = ...) -> dict[str, Any]: ...

    def recall(self, window: str) -> dict[str, Any]: ...

    def finish(self, window: str) -> dict[str, Any]: ...

    def no_show(self, window: str) -> dict[str, Any]: ...


def _t(source: str, *args: str) -> str:
    zh, en = both(QtCore.QCoreApplication.translate(CONTEXT, source), source)
    for n, value in enumerate(args, 1):
        zh, en = zh.replace(f"%{n}", value), en.replace(f"%{n}", value)
    return f"{zh} / {en}" if en else zh


class DemoPanel(QtWidgets.QWidget):
    """:param categories: ``(prefix, name)`` of each category, as the station lists them.
    :param windows: the window numbers to offer (the demo leaves out temporary ones)."""

    def __init__(self, station: StationLike, categories: Sequence[tuple[str, str]],
                 windows: Sequence[str], parent: QtWidgets.QWidget | None = None, *,
                 swipe: tuple[Callable[[], None], Callable[[], None]] | None = None):
        """:param swipe: (place, remove) the card on the kiosk's simulated reader."""
        super().__init__(parent)
        self.station = station
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        self.setWindowTitle(_t(TITLE))
        self.setStyleSheet("QWidget { font-size: 24px; } QPushButton { min-height: 56px;"
                           " padding: 4px 14px; }")
        layout = QtWidgets.QVBoxLayout(self)

        take = QtWidgets.QGroupBox(_t(TAKE))
        take_row = QtWidgets.QGridLayout(take)
        for i, (prefix, name) in enumerate(categories):
            button = self._button(f"{prefix} {name}", f"issue {prefix}",
                                  lambda p=prefix: self._issue(p))
            take_row.addWidget(button, i // 2, i % 2)
        layout.addWidget(take)

        work = QtWidgets.QGroupBox(_t(WINDOWS))
        grid = QtWidgets.QGridLayout(work)
        for row, number in enumerate(windows):
            grid.addWidget(QtWidgets.QLabel(_t(WINDOW_N, number)), row, 0)
            actions: list[tuple[str, str, Callable[[], None]]] = [
                (CALL, "call", lambda w=number: self._call(w)),
                (RECALL, "recall", lambda w=number: self._do(self.station.recall, w)),
                (FINISH, "finish", lambda w=number: self._do(self.station.finish, w)),
                (NO_SHOW, "no-show", lambda w=number: self._do(self.station.no_show, w)),
            ]
            for col, (words, name, action) in enumerate(actions, 1):
                zh, _ = both(QtCore.QCoreApplication.translate(CONTEXT, words), words)
                grid.addWidget(self._button(zh, f"{name} {number}", action), row, col)
        layout.addWidget(work)
        if swipe is not None:
            place, remove = swipe

            def swiped() -> str:
                place()
                QtCore.QTimer.singleShot(SWIPE_MS, remove)
                return _t(SWIPED)

            layout.addWidget(self._button(_t(SWIPE), "swipe", lambda: self._guarded(swiped)))

        self.status = QtWidgets.QLabel(" ")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(70)
        layout.addWidget(self.status)

    def _button(self, text: str, name: str, action: Callable[[], None]) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(text)
        # clicked passes "checked" along; it must not land in the action's defaults
        button.clicked.connect(lambda *_: action())
        self.buttons[name] = button
        return button

    def _guarded(self, work: Callable[[], str]) -> None:
        try:
            self.status.setText(work())
        except StationError as exc:  # the station's own plain words, never a traceback
            self.status.setText(exc.message)
        except Exception:
            log.exception("demo console: a request failed")
            self.status.setText("出错了，请看日志 / Something failed; see the log")

    def _issue(self, prefix: str) -> None:
        def work() -> str:
            ticket = self.station.issue(prefix, confirm=True)
            return _t(ISSUED, ticket["number"], str(ticket["ahead"]))
        self._guarded(work)

    def _call(self, window: str) -> None:
        def work() -> str:
            ticket = self.station.call(window)
            return _t(CALLED, ticket["number"], window)
        self._guarded(work)

    def _do(self, step: Callable[[str], dict[str, Any]], window: str) -> None:
        self._guarded(lambda: _t(DONE, step(window)["number"]))
