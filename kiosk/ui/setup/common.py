"""What the wizard's pages share: the look (the counter's: an office PC used by touch and
from arm's length), a page's heading, a labelled field, and the view of an outcome."""

from __future__ import annotations

from kiosk.setup_wizard.ports import Outcome
from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtWidgets

QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
CONTEXT = "SetupWizard"
WHAT_TO_DO = QT_TRANSLATE_NOOP("SetupWizard", "What to do")
WORKING = QT_TRANSLATE_NOOP("SetupWizard", "Working…")
FAILED = QT_TRANSLATE_NOOP("SetupWizard", "Something went wrong (%1); try again, or run "
                                          "bianmin doctor")

GOOD_MARK, BAD_MARK, NONE_MARK = "✔", "✘", "–"

EXTRA_STYLE = "\n".join([
    f"QLabel[role=\"good\"] {{ color: {look.GOOD}; font-weight: bold; }}",
    f"QLabel[role=\"bad\"] {{ color: {look.BAD}; font-weight: bold; }}",
    f"QLabel[role=\"muted\"] {{ color: {look.SECOND}; }}",
    f"QLabel[role=\"note\"] {{ background: {look.INFO_BG}; border-radius: 6px; padding: 8px; }}",
    f"QLabel[role=\"warn\"] {{ background: {look.WARN_BG}; color: {look.WARN_TEXT}; "
    "border-radius: 6px; padding: 8px; }",
    f"QLabel[role=\"step\"] {{ color: {look.SECOND}; padding: 6px 10px; "
    f"border-bottom: 4px solid transparent; font-size: {look.SMALL_PX}px; }}",
    f"QLabel[role=\"step_now\"] {{ color: {look.PRIMARY_DOWN}; padding: 6px 10px; "
    f"border-bottom: 4px solid {look.PRIMARY}; font-weight: bold; "
    f"font-size: {look.SMALL_PX}px; }}",
    f"QLabel[role=\"step_done\"] {{ color: {look.GOOD}; padding: 6px 10px; "
    f"border-bottom: 4px solid transparent; font-size: {look.SMALL_PX}px; }}",
    "QPlainTextEdit#config_text { font-family: \"Noto Sans Mono CJK SC\", monospace; "
    f"font-size: {look.SMALL_PX}px; }}",
    # min-height is the content's: with the padding and the border the button is TOUCH_PX
    f"QPushButton[role=\"device\"] {{ text-align: left; padding: 4px 12px; "
    f"min-height: {look.TOUCH_PX - 10}px; }}",
    f"QPushButton[role=\"device\"]:checked {{ background: {look.INFO_BG}; "
    f"border: 2px solid {look.PRIMARY}; }}",
    f"QPushButton[role=\"device\"][state=\"ok\"] {{ color: {look.GOOD}; }}",
    f"QPushButton[role=\"device\"][state=\"failed\"] {{ color: {look.BAD}; }}",
    f"QPushButton[role=\"device\"][state=\"unused\"] {{ color: {look.SECOND}; }}",
])


def failure(exc: BaseException) -> Outcome:
    """A job that raised, in plain words (its kind only: never a trace, never its data)."""
    return Outcome(False, look.fill(CONTEXT, FAILED, type(exc).__name__))


def stylesheet() -> str:
    return look.stylesheet() + "\n" + EXTRA_STYLE


def heading(layout: QtWidgets.QBoxLayout, context: str, source: str,
            parent: QtWidgets.QWidget) -> None:
    """A page's title: the Chinese large, the English small beside it (one line: the
    steps across the top already say where the technician is)."""
    zh, en = look.two(context, source)
    row = QtWidgets.QHBoxLayout()
    row.setSpacing(12)
    row.addWidget(look.label(zh, "title", parent), 0, QtCore.Qt.AlignmentFlag.AlignBottom)
    if en:
        row.addWidget(look.label(en, "second", parent), 0, QtCore.Qt.AlignmentFlag.AlignBottom)
    row.addStretch(1)
    layout.addLayout(row)


def wrapped(text: str, role: str | None, parent: QtWidgets.QWidget) -> QtWidgets.QLabel:
    made = look.label(text, role, parent)
    made.setWordWrap(True)
    made.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    return made


class OutcomeView(QtWidgets.QWidget):
    """How a test or a check went: a mark, the words, and what to do; or a busy line."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        row = QtWidgets.QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.mark = look.label("", "muted", self)
        self.mark.setFixedWidth(28)
        self.mark.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.mark, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        column = QtWidgets.QVBoxLayout()
        row.addLayout(column, 1)
        self.words = wrapped("", None, self)
        self.hint = wrapped("", "second", self)
        column.addWidget(self.words)
        column.addWidget(self.hint)
        self.hint.hide()
        self.outcome: Outcome | None = None

    def show_outcome(self, outcome: Outcome, checked: bool = True) -> None:
        self.outcome = outcome
        if not checked:
            self._mark(NONE_MARK, "muted")
        else:
            self._mark(GOOD_MARK if outcome.ok else BAD_MARK, "good" if outcome.ok else "bad")
        self.words.setText(outcome.words)
        if outcome.hint and not outcome.ok:
            # the hint is the model's own "中文 / English"
            self.hint.setText(f"{look.inline(CONTEXT, WHAT_TO_DO)}: {outcome.hint}")
            self.hint.show()
        else:
            self.hint.hide()

    def show_busy(self, text: str = "") -> None:
        self.outcome = None
        self._mark("…", "muted")
        self.words.setText(text or look.inline(CONTEXT, WORKING))
        self.hint.hide()

    def show_failure(self, exc: BaseException) -> None:
        self.show_outcome(failure(exc))

    def clear(self) -> None:
        self.outcome = None
        self.mark.setText("")
        self.words.setText("")
        self.hint.hide()

    def _mark(self, text: str, role: str) -> None:
        self.mark.setText(text)
        look.set_role(self.mark, role)
