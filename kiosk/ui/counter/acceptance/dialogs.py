"""The acceptance page's in-page dialogs: a confirmation bar (discard this case?) and the
submit panel (pages going up, the station deciding, the papers printing, and what to do when
the printer fails or the station refuses).

In the page rather than modal windows: the clerk keeps seeing the case while answering, a
touch screen has no window manager to find a hidden dialog with, and nothing here blocks the
GUI thread (DESIGN.md §7: long work shows progress).
"""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

Qt = QtCore.Qt
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
CTX = "CounterAcceptance"
DETAIL_MAX_PX = 170
"""Tallest the list of problems grows before it scrolls (about five lines)."""

DISCARD_QUESTION = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "Discard this case? What was typed and every page captured are cleared.")
DISCARD = QT_TRANSLATE_NOOP("CounterAcceptance", "Discard")
KEEP = QT_TRANSLATE_NOOP("CounterAcceptance", "Keep working")
UPLOADING = QT_TRANSLATE_NOOP("CounterAcceptance", "Sending pages %1 of %2…")
ACCEPTING = QT_TRANSLATE_NOOP("CounterAcceptance", "The station is accepting the case…")
PRINTING = QT_TRANSLATE_NOOP("CounterAcceptance", "Accepted %1. Printing the receipt…")
PRINT_FAILED = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "Accepted %1: the case is safe, but the paper did not print.")
PRINT_AGAIN = QT_TRANSLATE_NOOP("CounterAcceptance", "Print again")
CONTINUE = QT_TRANSLATE_NOOP("CounterAcceptance", "Continue")
REFUSED = QT_TRANSLATE_NOOP("CounterAcceptance", "Not accepted yet: fix these, then press Accept "
                                          "again")
NOT_SENT = QT_TRANSLATE_NOOP("CounterAcceptance", "The case was not sent")
NOT_SENT_HINT = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "Nothing is lost: check the network and the station, then press Accept "
    "again")


class DetailText(QtWidgets.QTextEdit):
    """Plain text that wraps, as tall as its lines up to ``DETAIL_MAX_PX``, then scrolls: a
    long refusal stays whole without pushing the checklist above out of sight."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # the panel's colour shows through (a palette, not a style sheet: one here would
        # restyle the scroll bar too)
        palette = self.palette()
        palette.setColor(QtGui.QPalette.ColorRole.Base, QtGui.QColor(0, 0, 0, 0))
        self.setPalette(palette)
        self.viewport().setAutoFillBackground(False)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                           QtWidgets.QSizePolicy.Policy.Fixed)

    def set_text(self, text: str) -> None:
        self.setPlainText(text)  # the station's and the devices' words: never markup
        self._fit()

    def text(self) -> str:
        return self.toPlainText()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        document = self.document()
        document.setTextWidth(self.viewport().width())
        height = int(document.size().height()) + 2 * self.frameWidth() + 4
        height = min(max(height, 24), DETAIL_MAX_PX)
        if self.minimumHeight() != height:
            self.setFixedHeight(height)


class ConfirmBar(QtWidgets.QFrame):
    """A question with two buttons, shown in the page."""

    confirmed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("confirm_bar")
        self.setProperty("role", "warn_box")
        self.question = look.label("", None, self)
        self.question.setWordWrap(True)
        self.yes = look.button(look.lines(CTX, DISCARD), "bad", self)
        self.yes.setObjectName("confirm_discard")
        self.no = look.button(look.lines(CTX, KEEP), None, self)
        self.no.setObjectName("confirm_keep")
        self.yes.clicked.connect(self._yes)
        self.no.clicked.connect(self.hide)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.no, 1)
        buttons.addWidget(self.yes, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.question)
        layout.addLayout(buttons)
        self.hide()

    def ask_discard(self) -> None:
        self.question.setText(look.inline(CTX, DISCARD_QUESTION))
        self.show()

    def _yes(self) -> None:
        self.hide()
        self.confirmed.emit()


class SubmitPanel(QtWidgets.QFrame):
    """Progress and outcome of a submit. ``print_again`` and ``carry_on`` after a printer
    problem."""

    print_again = QtCore.Signal()
    carry_on = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("submit_panel")
        self.setProperty("role", "info_box")
        self.message = look.label("", "strong", self)
        self.message.setObjectName("submit_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # the station's own words
        self.detail = DetailText(self)
        self.detail.setObjectName("submit_detail")
        self.progress = QtWidgets.QProgressBar(self)
        self.progress.setMinimumHeight(24)
        self.progress.setTextVisible(False)
        self.again = look.button(look.lines(CTX, PRINT_AGAIN), "primary", self)
        self.again.setObjectName("print_again")
        self.carry = look.button(look.lines(CTX, CONTINUE), None, self)
        self.carry.setObjectName("print_continue")
        self.again.clicked.connect(self.print_again)
        self.carry.clicked.connect(self.carry_on)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.carry, 1)
        buttons.addWidget(self.again, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(6)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)
        self.idle()

    def idle(self) -> None:
        self.hide()

    def _show(self, message: str, detail: str = "", *, progress: tuple[int, int] | None = None,
              buttons: bool = False, role: str = "info_box") -> None:
        look.set_role(self, role)
        self.message.setText(message)
        self.detail.set_text(detail)
        self.detail.setVisible(bool(detail))
        self.progress.setVisible(progress is not None)
        if progress is not None:
            self.progress.setRange(0, max(progress[1], 0))
            self.progress.setValue(progress[0])
        self.again.setVisible(buttons)
        self.carry.setVisible(buttons)
        self.again.setEnabled(True)
        self.show()

    def uploading(self, done: int, total: int) -> None:
        if total <= 0 or done >= total:
            self._show(look.inline(CTX, ACCEPTING), progress=(0, 0))  # busy bar
        else:
            self._show(look.inline(CTX, UPLOADING).replace("%1", str(done + 1))
                       .replace("%2", str(total)), progress=(done, total))

    def printing(self, receipt_no: str) -> None:
        self._show(look.inline(CTX, PRINTING).replace("%1", receipt_no), progress=(0, 0))

    def print_failed(self, receipt_no: str, problems: Sequence[tuple[str, str]]) -> None:
        """``problems``: (message, hint) of each paper that did not print."""
        detail = "\n".join(f"{m}\n→ {h}" if h else m for m, h in problems)
        self._show(look.inline(CTX, PRINT_FAILED).replace("%1", receipt_no), detail,
                   buttons=True, role="warn_box")

    def refused(self, problems: Sequence[str]) -> None:
        self._show(look.inline(CTX, REFUSED), "\n".join(f"• {p}" for p in problems),
                   role="error_box")

    def failed(self, message: str) -> None:
        self._show(look.inline(CTX, NOT_SENT), f"{message}\n→ {look.inline(CTX, NOT_SENT_HINT)}",
                   role="error_box")
