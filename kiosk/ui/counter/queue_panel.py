"""The queue panel on the left of the counter window: the ticket at the window, large; the
queue buttons with their F-keys; who waits for this window; the tickets parked here.

It draws a :class:`~kiosk.ui.counter.queue_model.QueueModel` and says what was pressed
(``action_triggered``, ``resume_requested``); the window does the work. A button is enabled
only when the model allows its action, so a clerk never meets a refusal the screen could
have foreseen.
"""

from __future__ import annotations

from kiosk.ui.qt import QtCore, QtWidgets

from . import look
from .queue_model import Action, QueueModel

CONTEXT = "QueuePanel"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
LABELS = {
    Action.CALL: QT_TRANSLATE_NOOP("QueuePanel", "Call next"),
    Action.RECALL: QT_TRANSLATE_NOOP("QueuePanel", "Recall"),
    Action.NO_SHOW: QT_TRANSLATE_NOOP("QueuePanel", "No-show"),
    Action.START: QT_TRANSLATE_NOOP("QueuePanel", "Start"),
    Action.TRANSFER: QT_TRANSLATE_NOOP("QueuePanel", "Transfer"),
    Action.PARK: QT_TRANSLATE_NOOP("QueuePanel", "Park"),
    Action.FINISH: QT_TRANSLATE_NOOP("QueuePanel", "Finish"),
    Action.WALK_IN: QT_TRANSLATE_NOOP("QueuePanel", "Walk-in"),
}
PAUSE = QT_TRANSLATE_NOOP("QueuePanel", "Pause window")
OPEN = QT_TRANSLATE_NOOP("QueuePanel", "Open window")
NOW = QT_TRANSLATE_NOOP("QueuePanel", "At the window")
FREE = QT_TRANSLATE_NOOP("QueuePanel", "Free")
STATUS = {
    "called": QT_TRANSLATE_NOOP("QueuePanel", "Called"),
    "serving": QT_TRANSLATE_NOOP("QueuePanel", "Being served"),
}
CALLS = QT_TRANSLATE_NOOP("QueuePanel", "called %1 times")
WINDOW_STATE = {
    "open": QT_TRANSLATE_NOOP("QueuePanel", "Window open"),
    "paused": QT_TRANSLATE_NOOP("QueuePanel", "Window paused"),
    "closed": QT_TRANSLATE_NOOP("QueuePanel", "Window closed"),
}
WAITING = QT_TRANSLATE_NOOP("QueuePanel", "Waiting for this window")
SENT_HERE = QT_TRANSLATE_NOOP("QueuePanel", "Sent to this window")
PARKED = QT_TRANSLATE_NOOP("QueuePanel", "Parked here")
RESUME = QT_TRANSLATE_NOOP("QueuePanel", "Resume %1")
NONE_PARKED = QT_TRANSLATE_NOOP("QueuePanel", "None")
STALE = QT_TRANSLATE_NOOP("QueuePanel", "(last known)")
NO_QUEUE = QT_TRANSLATE_NOOP("QueuePanel", "No queue in this mode: use Walk-in.")

PANEL_WIDTH = 430
COMPACT_WIDTH = 210
"""While a case is open the panel narrows to one column of keys, so that the acceptance page
has 1156 of the 1366 px (the F-keys work all the same)."""
COMPACT_TICKET_PX = 44


class QueuePanel(QtWidgets.QFrame):
    action_triggered = QtCore.Signal(object)
    """An :class:`Action` whose button was pressed."""
    resume_requested = QtCore.Signal(str)
    """The number of a parked ticket to take up again."""

    def __init__(self, model: QueueModel, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.setObjectName("queue_panel")
        self.setFixedWidth(PANEL_WIDTH)
        self.setStyleSheet(f"QFrame#queue_panel {{ background: {look.PANEL}; "
                           f"border-right: 1px solid {look.LINE}; }}")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(6)

        head = QtWidgets.QHBoxLayout()
        self.now_title = look.label(look.inline(CONTEXT, NOW), "second", self)
        head.addWidget(self.now_title)
        head.addStretch(1)
        self.window_state = look.label("", "second", self)
        self.window_state.setObjectName("window_state")
        head.addWidget(self.window_state)
        layout.addLayout(head)
        self.ticket = look.label("—", "ticket", self)
        self.ticket.setObjectName("current_ticket")
        self.ticket.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.ticket)
        self.ticket_status = look.label("", None, self)
        self.ticket_status.setObjectName("ticket_status")
        self.ticket_status.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.ticket_status)

        self.grid = QtWidgets.QGridLayout()
        self.grid.setSpacing(6)
        self.buttons: dict[Action, QtWidgets.QPushButton] = {}
        for action in Action:
            made = look.button("", "primary" if action is Action.CALL else None, self)
            made.setObjectName(f"action_{action.name.lower()}")
            made.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # F-keys work anywhere
            made.setMinimumHeight(look.TOUCH_PX + 4)
            made.clicked.connect(lambda _=False, a=action: self.action_triggered.emit(a))
            self.buttons[action] = made
        layout.addLayout(self.grid)
        self.compact: bool | None = None

        # who waits and what is parked scroll, so that many categories never push the
        # buttons off a 768-line screen
        lower = QtWidgets.QScrollArea(self)
        lower.setObjectName("queue_lower")
        lower.setWidgetResizable(True)
        lower.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        lower.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lower.setStyleSheet("QScrollArea, QScrollArea > QWidget > QWidget "
                            "{ background: transparent; }")
        inner = QtWidgets.QWidget(lower)
        lower.setWidget(inner)
        below = QtWidgets.QVBoxLayout(inner)
        below.setContentsMargins(0, 0, 0, 0)
        below.setSpacing(4)
        self.waiting_title = look.label(look.inline(CONTEXT, WAITING), "second", inner)
        below.addWidget(self.waiting_title)
        self.waiting_box = QtWidgets.QWidget(inner)
        self.waiting_box.setObjectName("waiting")
        self.waiting_grid = QtWidgets.QGridLayout(self.waiting_box)
        self.waiting_grid.setContentsMargins(0, 0, 0, 0)
        self.waiting_grid.setHorizontalSpacing(12)
        self.waiting_grid.setVerticalSpacing(2)
        below.addWidget(self.waiting_box)
        self.waiting = look.label("", None, inner)
        self.waiting.setObjectName("waiting_note")
        self.waiting.setWordWrap(True)
        self.waiting.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        below.addWidget(self.waiting)
        below.addWidget(look.label(look.inline(CONTEXT, PARKED), "second", inner))
        self.parked_box = QtWidgets.QWidget(inner)
        self.parked_layout = QtWidgets.QGridLayout(self.parked_box)
        self.parked_layout.setContentsMargins(0, 0, 0, 0)
        self.parked_layout.setSpacing(6)
        below.addWidget(self.parked_box)
        self.parked_buttons: dict[str, QtWidgets.QPushButton] = {}
        self.none_parked = look.label(look.inline(CONTEXT, NONE_PARKED), "second",
                                      self.parked_box)
        self.parked_layout.addWidget(self.none_parked, 0, 0)
        below.addStretch(1)
        layout.addWidget(lower, 1)
        self.lower = lower
        self.counts: dict[str, QtWidgets.QLabel] = {}
        self.refresh()

    def refresh(self) -> None:
        """Draw the model as it is now."""
        m = self.model
        # a home visit has no queue: the page gets the room (one column of keys)
        self._arrange(m.accepting or m.mode == "home_visit")
        enabled = m.enabled()
        for action, made in self.buttons.items():
            source = LABELS.get(action) or (OPEN if m.pause_means_open else PAUSE)
            zh, en = look.two(CONTEXT, source)
            second = f"\n{en}" if en and not self.compact else ""
            made.setText(f"{action.key}  {zh}{second}")
            made.setToolTip(look.inline(CONTEXT, source))
            made.setEnabled(enabled[action])
            if action is not Action.WALK_IN:
                made.setVisible(m.has_queue)
        self._draw_current()
        self._draw_waiting()
        self._draw_parked()

    def _arrange(self, compact: bool) -> None:
        """Two columns of keys with both languages, or (while a case is open) one narrow
        column, Chinese only, the ticket smaller and the queue lists out of the way."""
        if compact == self.compact:
            return
        self.compact = compact
        for made in self.buttons.values():
            self.grid.removeWidget(made)
        for index, action in enumerate(Action):
            made = self.buttons[action]
            if compact:
                self.grid.addWidget(made, index, 0)
            elif action is Action.WALK_IN:
                self.grid.addWidget(made, index // 2, 0, 1, 2)
            else:
                self.grid.addWidget(made, index // 2, index % 2)
            made.setMinimumHeight(look.TOUCH_PX if compact else look.TOUCH_PX + 4)
        self.ticket.setStyleSheet(f"font-size: {COMPACT_TICKET_PX}px;" if compact else "")
        for part in (self.now_title, self.window_state, self.lower):
            part.setVisible(not compact)
        self.setFixedWidth(COMPACT_WIDTH if compact else PANEL_WIDTH)

    def _draw_current(self) -> None:
        m = self.model
        state = WINDOW_STATE.get(m.window_state or "")
        self.window_state.setText(look.inline(CONTEXT, state) if state else "")
        if m.current is None:
            self.ticket.setText("—")
            self.ticket_status.setText(look.inline(CONTEXT, FREE))
            return
        self.ticket.setText(str(m.current.get("number", "?")))
        status = STATUS.get(str(m.current.get("status")))
        words = look.inline(CONTEXT, status) if status else str(m.current.get("status"))
        calls = m.current.get("calls")
        if m.current.get("status") == "called" and isinstance(calls, int) and calls > 1:
            words = look.fill(CONTEXT, CALLS, str(calls))  # says "called"
        self.ticket_status.setText(words)

    def _draw_waiting(self) -> None:
        """Two categories to a row: ``A 综合受理  3``; then the tickets sent here."""
        m = self.model
        shown = [c for c in m.categories if c.prefix in m.served] if m.has_queue else []
        if [c.prefix for c in shown] != list(self.counts):
            for made in self.counts.values():
                self.waiting_grid.removeWidget(made)
                made.deleteLater()
            self.counts = {}
            for i, category in enumerate(shown):
                made = look.label("", None, self.waiting_box)
                made.setObjectName(f"waiting_{category.prefix}")
                self.waiting_grid.addWidget(made, i // 2, i % 2)
                self.counts[category.prefix] = made
        for category in shown:
            self.counts[category.prefix].setText(
                f"{category.prefix} {category.name}  {category.waiting}")
        notes = []
        if not m.has_queue:
            notes.append(look.inline(CONTEXT, NO_QUEUE))
        if m.pinned:
            notes.append(f"{look.inline(CONTEXT, SENT_HERE)}: {' '.join(m.pinned)}")
        if not m.live and m.categories:
            notes.append(look.inline(CONTEXT, STALE))
        self.waiting.setText("\n".join(notes))
        self.waiting.setVisible(bool(notes))

    def _draw_parked(self) -> None:
        """One button per parked ticket, three to a row, oldest first."""
        m = self.model
        for number in list(self.parked_buttons):
            if number not in m.parked:
                made = self.parked_buttons.pop(number)
                self.parked_layout.removeWidget(made)
                made.deleteLater()
        zh, en = look.two(CONTEXT, RESUME)
        for index, number in enumerate(m.parked):
            made = self.parked_buttons.get(number)
            if made is None:
                made = look.button("", None, self.parked_box)
                made.setObjectName(f"resume_{number}")
                made.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
                made.clicked.connect(lambda _=False, n=number: self.resume_requested.emit(n))
                self.parked_buttons[number] = made
            self.parked_layout.addWidget(made, index // 3, index % 3)
            made.setText(zh.replace("%1", number)
                         + (f"\n{en.replace('%1', number)}" if en else ""))
            made.setEnabled(m.may_resume())
        self.none_parked.setVisible(not m.parked)
