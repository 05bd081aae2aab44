"""The clerk signs in at this window (issue 7, "Clerk login"; docs/clerks.md).

The window is fixed by the command line (``--window``): a counter PC stands at one window.
The clerk types the id and the PIN or password (masked); ``POST /v1/clerks/login`` checks
it at the station (argon2id, lock-out after repeated failures) and opens the window for
the clerk. A wrong secret or a locked account comes back as the station's own plain words
(the same words for an unknown id and a wrong secret, so the screen gives nothing away).
The secret is cleared from the field after every attempt and never logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from kiosk.domain.clerks import ID_PATTERN, SECRET_MAX
from kiosk.ui.qt import QtCore, QtWidgets

from . import look
from .context import CounterContext
from .queue_model import plain_error

log = logging.getLogger(__name__)

CONTEXT = "CounterLogin"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
TITLE = QT_TRANSLATE_NOOP("CounterLogin", "Sign in at the window")
WINDOW_N = QT_TRANSLATE_NOOP("CounterLogin", "Window %1")
CLERK_ID = QT_TRANSLATE_NOOP("CounterLogin", "Clerk id")
SECRET = QT_TRANSLATE_NOOP("CounterLogin", "PIN or password")
SIGN_IN = QT_TRANSLATE_NOOP("CounterLogin", "Sign in")
SIGNING_IN = QT_TRANSLATE_NOOP("CounterLogin", "Signing in…")
NEED_BOTH = QT_TRANSLATE_NOOP("CounterLogin", "Type your clerk id and your PIN or password.")
BAD_ID = QT_TRANSLATE_NOOP("CounterLogin",
                           "A clerk id is letters, digits, dots, dashes or underscores.")
OPENS = QT_TRANSLATE_NOOP("CounterLogin", "Signing in opens the window for you; signing out "
                                          "pauses it.")


class LoginPage(QtWidgets.QWidget):
    """The sign-in form. ``signed_in(answer)``: the station's ``LoginOut``
    (``clerk``, ``name``, ``window``, ``manager``)."""

    signed_in = QtCore.Signal(object)

    def __init__(self, ctx: CounterContext, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._busy = False
        outer = QtWidgets.QVBoxLayout(self)
        outer.addStretch(1)
        row = QtWidgets.QHBoxLayout()
        outer.addLayout(row)
        outer.addStretch(2)
        row.addStretch(1)
        panel = QtWidgets.QFrame(self)
        panel.setProperty("role", "panel")
        panel.setFixedWidth(520)
        row.addWidget(panel)
        row.addStretch(1)
        form = QtWidgets.QVBoxLayout(panel)
        form.setContentsMargins(32, 24, 32, 24)
        form.setSpacing(12)
        zh, en = look.two(CONTEXT, TITLE)
        form.addWidget(look.label(zh, "title", panel))
        if en:
            form.addWidget(look.label(en, "second", panel))
        where_zh, where_en = look.two(CONTEXT, WINDOW_N)
        where = where_zh.replace("%1", ctx.window)
        if ctx.window_name:
            where += f"  {ctx.window_name}"
        if where_en:
            where += f" / {where_en.replace('%1', ctx.window)}"
        self.where = look.label(where, None, panel)
        self.where.setObjectName("login_window")
        form.addWidget(self.where)
        self.clerk_id = QtWidgets.QLineEdit(panel)
        self.clerk_id.setObjectName("clerk_id")
        self.clerk_id.setPlaceholderText(look.inline(CONTEXT, CLERK_ID))
        self.clerk_id.setMaxLength(32)
        self.clerk_id.setMinimumHeight(look.TOUCH_PX)
        form.addWidget(self.clerk_id)
        self.secret = QtWidgets.QLineEdit(panel)
        self.secret.setObjectName("secret")
        self.secret.setPlaceholderText(look.inline(CONTEXT, SECRET))
        self.secret.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.secret.setMaxLength(SECRET_MAX)
        self.secret.setMinimumHeight(look.TOUCH_PX)
        # no input-method composition or autocompletion in a secret
        self.secret.setAttribute(QtCore.Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        form.addWidget(self.secret)
        self.button = look.button(look.inline(CONTEXT, SIGN_IN), "primary", panel)
        self.button.setObjectName("sign_in")
        form.addWidget(self.button)
        self.message = look.label("", "error", panel)
        self.message.setObjectName("login_message")
        self.message.setWordWrap(True)
        form.addWidget(self.message)
        opens = look.label(look.lines(CONTEXT, OPENS), "second", panel)
        opens.setWordWrap(True)
        form.addWidget(opens)
        self.button.clicked.connect(self.submit)
        self.clerk_id.returnPressed.connect(self.secret.setFocus)
        self.secret.returnPressed.connect(self.submit)

    def reset(self, message: str = "") -> None:
        """Back to an empty form (after a sign-out), with ``message`` if any."""
        self.secret.clear()
        self.message.setText(message)
        self._set_busy(False)
        self.clerk_id.setFocus()

    def submit(self) -> None:
        if self._busy:
            return
        clerk = self.clerk_id.text().strip()
        secret = self.secret.text()
        if not clerk or not secret:
            self.message.setText(look.inline(CONTEXT, NEED_BOTH))
            return
        if not re.match(ID_PATTERN, clerk):
            self.message.setText(look.inline(CONTEXT, BAD_ID))
            return
        self.secret.clear()  # the field never keeps it, whatever the answer
        self.message.setText("")
        self._set_busy(True)
        window = self.ctx.window
        self.ctx.runner.run(lambda: self.ctx.client.login(clerk, secret, window),
                            self._signed_in, self._refused)

    def _signed_in(self, answer: Any) -> None:
        self._set_busy(False)
        self.signed_in.emit(answer)

    def _refused(self, exc: BaseException) -> None:
        self._set_busy(False)
        # the status only: the message may name the clerk, the secret is never in it
        log.info("counter: sign-in refused (%s)", getattr(exc, "status", type(exc).__name__))
        self.message.setText(plain_error(exc))
        self.secret.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.button.setEnabled(not busy)
        self.button.setText(look.inline(CONTEXT, SIGNING_IN if busy else SIGN_IN))
