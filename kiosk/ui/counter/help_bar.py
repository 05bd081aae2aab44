"""我要帮办 at the counter: a citizen at the kiosk asked for staff. Every counter hears the
station's ``help.requested`` event and shows a bar until one clerk says they are going
(``POST /v1/help/{id}/answer``: the others then hear ``help.answered`` and their bar goes).
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk.ui.qt import QtCore, QtWidgets

from . import look
from .context import CounterContext

log = logging.getLogger(__name__)

CONTEXT = "CounterHelp"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
ASKED = QT_TRANSLATE_NOOP("CounterHelp", "Someone at the self-service kiosk asks for help")
ASKED_MORE = QT_TRANSLATE_NOOP("CounterHelp", "%1 people at the kiosks ask for help")
GOING = QT_TRANSLATE_NOOP("CounterHelp", "I'm going")


class HelpBar(QtWidgets.QFrame):
    """The open calls for help, oldest first; hidden when there are none."""

    def __init__(self, ctx: CounterContext, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.calls: dict[str, dict[str, Any]] = {}
        self.setObjectName("help_bar")
        self.setStyleSheet(f"QFrame#help_bar {{ background: {look.WARN_BG}; }} "
                           f"QLabel {{ color: {look.WARN_TEXT}; font-weight: bold; }}")
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(12, 4, 4, 4)
        self.text = look.label("", None, self)
        self.text.setWordWrap(True)
        row.addWidget(self.text, 1)
        self.going = look.button(look.inline(CONTEXT, GOING), "primary", self)
        self.going.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.going.clicked.connect(self.answer)
        row.addWidget(self.going)
        self.hide()

    def on_event(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        call_id = str(frame.get("id") or "")
        if not call_id:
            return
        if kind == "help.requested":
            self.calls[call_id] = frame
        elif kind == "help.answered":
            self.calls.pop(call_id, None)
        else:
            return
        self._show()

    def _show(self) -> None:
        if not self.calls:
            self.hide()
            return
        n = len(self.calls)
        self.text.setText(look.inline(CONTEXT, ASKED) if n == 1
                          else look.fill(CONTEXT, ASKED_MORE, str(n)))
        self.show()

    def answer(self) -> None:
        if not self.calls:
            return
        call_id = next(iter(self.calls))
        self.calls.pop(call_id)
        self._show()
        window = self.ctx.window
        self.ctx.runner.run(lambda: self.ctx.client.answer_help(call_id, window=window),
                            lambda _: None, lambda exc: log.warning(
                                "counter: answering a call for help failed: %s",
                                type(exc).__name__))
