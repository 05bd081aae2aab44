"""The strip across the top of the counter window, always visible: whether the station
answers (and, for a counter working offline, how much waits to be delivered to it), each
device's state, who is signed in at which window, the mode, and the county sync backlog
(issue 7, "Always visible"; the sync issue fills the last one in).

A device chip is green when its :class:`~kiosk.counter_ports.DeviceStatus` is ok, red with
the device's own words when not, grey when the role is not configured; pressing it asks the
window to show the message and what to do (``hint_requested``). A second line under the
strip carries a passing note (a rating not given, a terminal that timed out) and hides when
there is none.
"""

from __future__ import annotations

from kiosk.counter_ports import ROLES, DeviceStatus
from kiosk.ui.qt import QtCore, QtWidgets

from . import look

CONTEXT = "StatusStrip"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
ROLE_NAMES = {
    "id_card_reader": QT_TRANSLATE_NOOP("StatusStrip", "ID reader"),
    "document_camera": QT_TRANSLATE_NOOP("StatusStrip", "Camera"),
    "receipt_printer": QT_TRANSLATE_NOOP("StatusStrip", "Printer"),
    "rating_terminal": QT_TRANSLATE_NOOP("StatusStrip", "Rating pad"),
    "code_scanner": QT_TRANSLATE_NOOP("StatusStrip", "Code scanner"),
}
STATION_ONLINE = QT_TRANSLATE_NOOP("StatusStrip", "Station online")
STATION_OFFLINE = QT_TRANSLATE_NOOP("StatusStrip", "Station offline")
STATION_CONNECTING = QT_TRANSLATE_NOOP("StatusStrip", "Connecting…")
NOBODY = QT_TRANSLATE_NOOP("StatusStrip", "Not signed in")
WINDOW_N = QT_TRANSLATE_NOOP("StatusStrip", "Window %1")
SYNC_NONE = QT_TRANSLATE_NOOP("StatusStrip", "County sync: —")
WAITING_N = QT_TRANSLATE_NOOP("StatusStrip", "%1 waiting to be delivered")
MODES = {
    "counter": QT_TRANSLATE_NOOP("StatusStrip", "Counter"),
    "agent": QT_TRANSLATE_NOOP("StatusStrip", "Village agent"),
    "home_visit": QT_TRANSLATE_NOOP("StatusStrip", "Home visit"),
}
NO_HINT = QT_TRANSLATE_NOOP("StatusStrip", "Working normally.")
NOT_CONFIGURED_HINT = QT_TRANSLATE_NOOP(
    "StatusStrip", "This role is not set up on this PC: the screen offers the manual way.")

OK_DOT = "●"


class _Cell(QtWidgets.QFrame):
    """Two lines: the Chinese over the English (or one line with no translation)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.setSpacing(0)
        self.first = look.label("", None, self)
        self.second = look.label("", "second", self)
        layout.addWidget(self.first)
        layout.addWidget(self.second)

    def set_text(self, first: str, second: str = "", color: str | None = None) -> None:
        self.first.setText(first)
        self.second.setText(second)
        self.second.setVisible(bool(second))
        self.first.setStyleSheet(f"color: {color}; font-weight: bold;" if color else "")

    def text(self) -> str:
        return f"{self.first.text()} {self.second.text()}".strip()


class DeviceChip(QtWidgets.QPushButton):
    """One device: its name, a green or red mark; pressed, it asks for its hint."""

    def __init__(self, role: str, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.role = role
        self.status: DeviceStatus | None = None
        self.setMinimumHeight(look.TOUCH_PX)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # F-keys stay with the window
        self.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.show_status(None)

    def show_status(self, status: DeviceStatus | None) -> None:
        self.status = status
        zh, en = look.two(CONTEXT, ROLE_NAMES[self.role])
        if status is None:
            mark, color, bg = "–", look.SECOND, look.DISABLED_BG
        elif status.ok:
            mark, color, bg = OK_DOT, look.GOOD, look.PANEL
        else:
            mark, color, bg = "✕", "white", look.BAD
        text = f"{mark} {zh}" + (f"\n{en}" if en else "")
        self.setText(text)
        fg = color if status is None or status.ok else "white"
        self.setStyleSheet(
            f"QPushButton {{ background: {bg}; color: {fg}; border: 1px solid "
            f"{look.LINE if status is None or status.ok else look.BAD}; border-radius: 8px; "
            f"font-size: {look.SMALL_PX}px; padding: 2px 8px; text-align: left; }}")
        self.setToolTip(self.hint())

    @property
    def ok(self) -> bool | None:
        return None if self.status is None else self.status.ok

    def hint(self) -> str:
        """The words the clerk reads on pressing the chip."""
        name = look.inline(CONTEXT, ROLE_NAMES[self.role])
        if self.status is None:
            return f"{name}: {look.inline(CONTEXT, NOT_CONFIGURED_HINT)}"
        if self.status.ok:
            return f"{name}: {self.status.message or look.inline(CONTEXT, NO_HINT)}"
        parts = [p for p in (self.status.message, self.status.hint) if p]
        return f"{name}: " + " — ".join(parts)


class StatusStrip(QtWidgets.QFrame):
    """The strip. ``hint_requested(text)``: a chip was pressed."""

    hint_requested = QtCore.Signal(str)

    def __init__(self, window: str, window_name: str = "", mode: str = "counter",
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("strip")
        self.setStyleSheet(f"QFrame#strip {{ background: {look.PANEL}; "
                           f"border-bottom: 1px solid {look.LINE}; }}")
        self.window = window
        self.window_name = window_name
        self.mode = mode
        self.reachable: bool | None = None
        self.reason = ""
        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(8, 4, 8, 4)
        outer.setSpacing(2)
        row = QtWidgets.QHBoxLayout()
        row.setSpacing(6)
        outer.addLayout(row)
        self.station = _Cell(self)
        row.addWidget(self.station)
        self.waiting = _Cell(self)
        self.waiting.setObjectName("strip_waiting")
        self.waiting_count = 0
        self.waiting.hide()
        row.addWidget(self.waiting)
        self.chips: dict[str, DeviceChip] = {}
        for role in ROLES:
            chip = DeviceChip(role, self)
            chip.clicked.connect(lambda _=False, c=chip: self.hint_requested.emit(c.hint()))
            self.chips[role] = chip
            row.addWidget(chip)
        row.addStretch(1)
        self.clerk = _Cell(self)
        self.mode_cell = _Cell(self)
        self.sync = _Cell(self)
        for cell in (self.clerk, self.mode_cell, self.sync):
            row.addWidget(cell)
        self.note = look.label("", None, self)
        self.note.setObjectName("strip_note")
        self.note.setStyleSheet(f"background: {look.WARN_BG}; color: {look.WARN_TEXT}; "
                                f"padding: 2px 8px; border-radius: 4px;")
        self.note.hide()
        outer.addWidget(self.note)
        self.set_station(None)
        self.set_clerk(None)
        self._show_mode()
        zh, en = look.two(CONTEXT, SYNC_NONE)
        self.sync.set_text(zh, en)

    # -- what it shows

    def set_station(self, reachable: bool | None, reason: str = "") -> None:
        """True: the station answers; False: it does not (``reason`` in plain words); None:
        not known yet."""
        self.reachable, self.reason = reachable, reason
        source = {True: STATION_ONLINE, False: STATION_OFFLINE,
                  None: STATION_CONNECTING}[reachable]
        zh, en = look.two(CONTEXT, source)
        color = {True: look.GOOD, False: look.BAD, None: look.SECOND}[reachable]
        self.station.set_text(f"{OK_DOT} {zh}", en, color)
        self.station.setToolTip(reason)

    def set_waiting(self, count: int) -> None:
        """Work kept on this PC for the station (a counter working offline); 0 hides it."""
        self.waiting_count = count
        zh, en = look.two(CONTEXT, WAITING_N)
        self.waiting.set_text(zh.replace("%1", str(count)), en.replace("%1", str(count)),
                              look.WARN_TEXT)
        self.waiting.setVisible(count > 0)

    def set_device(self, status: DeviceStatus) -> None:
        chip = self.chips.get(status.role)
        if chip is not None:
            chip.show_status(status)

    def set_clerk(self, name: str | None) -> None:
        zh, en = look.two(CONTEXT, WINDOW_N)
        where = zh.replace("%1", self.window)
        where_en = en.replace("%1", self.window)
        if self.window_name:
            where = f"{where} {self.window_name}"
        if name:
            self.clerk.set_text(f"{name} · {where}", where_en)
        else:
            nobody_zh, nobody_en = look.two(CONTEXT, NOBODY)
            self.clerk.set_text(f"{nobody_zh} · {where}",
                                " · ".join(p for p in (nobody_en, where_en) if p))

    def _show_mode(self) -> None:
        zh, en = look.two(CONTEXT, MODES.get(self.mode, MODES["counter"]))
        self.mode_cell.set_text(zh, en)

    def set_sync(self, first: str, second: str = "") -> None:
        """The county sync backlog and last sync time (the sync issue's words)."""
        self.sync.set_text(first, second)

    def set_note(self, text: str) -> None:
        """A passing note under the strip; "" hides it."""
        self.note.setText(text)
        self.note.setVisible(bool(text))
