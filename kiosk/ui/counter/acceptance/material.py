"""One material, chosen on the checklist: capture it, or mark it 免提交 or 容缺 where its
checklist line allows (the catalogue decides, never the clerk: kiosk/domain/cases.py).

免提交 by shared data needs nothing more; by e-licence it needs the licence's code, from the
code scanner or typed. 容缺 needs a due date (at most the station's ``rongque_latest``, the
default), the 告知承诺书 printed and signed.
"""

from __future__ import annotations

import datetime as dt
import html

from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtWidgets

from .capture import CapturePanel
from .checklist import facts_line
from .draft import CAPTURE, DEFER, WAIVE, MaterialDraft

Qt = QtCore.Qt
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
CTX = "CounterAcceptance"

CHOOSE_MATERIAL = QT_TRANSLATE_NOOP("CounterAcceptance", "Choose a material on the list")
DO_CAPTURE = QT_TRANSLATE_NOOP("CounterAcceptance", "Capture")
DO_WAIVE = QT_TRANSLATE_NOOP("CounterAcceptance", "Waive")
DO_DEFER = QT_TRANSLATE_NOOP("CounterAcceptance", "Bring later")
WAIVE_SHARED = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "Not needed from the applicant: the window gets it from shared data.")
WAIVE_LICENCE = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "Not needed on paper: scan the e-licence code with the code scanner, or "
    "type it.")
LICENCE_CODE = QT_TRANSLATE_NOOP("CounterAcceptance", "E-licence code")
DUE = QT_TRANSLATE_NOOP("CounterAcceptance", "Bring by")
DUE_LATEST = QT_TRANSLATE_NOOP("CounterAcceptance", "latest %1 (working days only)")
PRINT_COMMITMENT = QT_TRANSLATE_NOOP("CounterAcceptance", "Print the commitment")
SIGNED = QT_TRANSLATE_NOOP("CounterAcceptance", "Commitment signed")
DEFER_EXPLAINED = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "Accepted without it: the applicant signs the commitment (告知承诺书) to "
    "bring it by the date.")


class WaivePanel(QtWidgets.QWidget):
    changed = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.material: MaterialDraft | None = None
        self.explained = look.label("", None, self)
        self.explained.setWordWrap(True)
        zh, en = look.two(CTX, LICENCE_CODE)
        self.code_label = look.label(f"{zh} {en}".strip(), None, self)
        self.code = QtWidgets.QLineEdit(self)
        self.code.setObjectName("licence_code")
        self.code.textEdited.connect(self._typed)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.explained)
        layout.addWidget(self.code_label)
        layout.addWidget(self.code)
        layout.addStretch(1)

    def bind(self, material: MaterialDraft | None) -> None:
        self.material = material
        licence = material is not None and material.mian_tijiao == "e_licence"
        self.explained.setText(look.inline(CTX, WAIVE_LICENCE if licence else WAIVE_SHARED))
        self.code_label.setVisible(licence)
        self.code.setVisible(licence)
        self.code.setText(material.licence_code if material is not None else "")

    def set_code(self, code: str) -> None:
        """A code from the scanner."""
        self.code.setText(code)
        self._typed(code)

    def _typed(self, text: str) -> None:
        if self.material is not None:
            self.material.licence_code = text
            self.changed.emit()


class DeferPanel(QtWidgets.QWidget):
    changed = QtCore.Signal()
    print_commitment = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.material: MaterialDraft | None = None
        self.explained = look.label(look.inline(CTX, DEFER_EXPLAINED), None, self)
        self.explained.setWordWrap(True)
        zh, en = look.two(CTX, DUE)
        self.due_label = look.label(f"{zh} {en}".strip(), None, self)
        self.due = QtWidgets.QDateEdit(self)
        self.due.setObjectName("due_date")
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        self.due.setMinimumHeight(look.TOUCH_PX)
        self.due.dateChanged.connect(self._due_changed)
        self.latest = look.label("", "second", self)
        self.latest.setWordWrap(True)  # the material panel must not widen the page
        self.print_button = look.button(look.lines(CTX, PRINT_COMMITMENT), None, self)
        self.print_button.setObjectName("print_commitment")
        self.print_button.clicked.connect(self.print_commitment)
        self.printed = look.label("", "second", self)
        self.printed.setObjectName("commitment_printed")
        self.printed.setWordWrap(True)
        self.printed.setTextFormat(Qt.TextFormat.PlainText)  # the printer's own words
        # a whole button to press, not a small box to hit: the clerk may be on a touch screen
        self.signed = look.button(look.inline(CTX, SIGNED), "segment", self)
        self.signed.setObjectName("commitment_signed")
        self.signed.setCheckable(True)
        self.signed.toggled.connect(self._signed)
        date_row = QtWidgets.QHBoxLayout()
        date_row.addWidget(self.due_label)
        date_row.addWidget(self.due, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.explained)
        layout.addLayout(date_row)
        layout.addWidget(self.latest)
        layout.addWidget(self.print_button)
        layout.addWidget(self.printed)
        layout.addWidget(self.signed)
        layout.addStretch(1)

    def bind(self, material: MaterialDraft | None, accepted_on: dt.date | None,
             latest: dt.date | None) -> None:
        self.material = None  # no echo of the set-up into the draft
        self.set_bounds(accepted_on, latest)
        if material is not None and material.due is not None:
            self.due.setDate(material.due)
        self.signed.setChecked(bool(material and material.commitment_signed))
        self._signed(self.signed.isChecked())
        self.show_printed("")
        self.material = material

    def set_bounds(self, accepted_on: dt.date | None, latest: dt.date | None) -> None:
        """The dates the station allows: after the acceptance day, by ``latest``."""
        material, self.material = self.material, None
        if accepted_on is not None:
            self.due.setMinimumDate(accepted_on + dt.timedelta(days=1))
        if latest is not None:
            self.due.setMaximumDate(latest)
            self.latest.setText(look.inline(CTX, DUE_LATEST).replace("%1", latest.isoformat()))
        self.material = material

    def show_printed(self, text: str, role: str = "second") -> None:
        self.printed.setText(text)
        look.set_role(self.printed, role)
        self.printed.setVisible(bool(text))

    def _due_changed(self, date: QtCore.QDate) -> None:
        if self.material is not None:
            self.material.due = date.toPython()
            self.changed.emit()

    def _signed(self, on: bool) -> None:
        self.signed.setText(("☑ " if on else "☐ ") + look.inline(CTX, SIGNED))
        if self.material is not None:
            self.material.commitment_signed = on
            self.changed.emit()


class MaterialPanel(QtWidgets.QFrame):
    """The chosen material: its name and facts, the three ways (capture, waive, later) with
    only the allowed ones enabled, and the panel of the way chosen."""

    changed = QtCore.Signal(str)
    """The material's choice, pages, code, date or signature changed (its code)."""
    print_commitment = QtCore.Signal(str)

    def __init__(self, capture: CapturePanel, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.material: MaterialDraft | None = None
        self.accepted_on: dt.date | None = None
        self.latest: dt.date | None = None
        self._shown_way = CAPTURE
        self.title = look.label(look.inline(CTX, CHOOSE_MATERIAL), "title", self)
        self.title.setObjectName("material_title")
        self.title.setTextFormat(Qt.TextFormat.RichText)  # names are escaped
        self.title.setWordWrap(True)
        self.facts = look.label("", "second", self)
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.ways = {}
        group = QtWidgets.QButtonGroup(self)
        group.setExclusive(True)
        ways = QtWidgets.QHBoxLayout()
        ways.setSpacing(0)
        for way, source in ((CAPTURE, DO_CAPTURE), (WAIVE, DO_WAIVE), (DEFER, DO_DEFER)):
            button = look.button(look.lines(CTX, source), "segment", self)
            button.setObjectName(f"way_{way}")
            button.setCheckable(True)
            button.clicked.connect(lambda _=False, w=way: self._way_chosen(w))
            group.addButton(button)
            ways.addWidget(button, 1)
            self.ways[way] = button
        self.capture = capture
        capture.setParent(self)
        capture.pages_changed.connect(self.changed)
        self.waive = WaivePanel(self)
        self.waive.changed.connect(self._changed)
        self.defer = DeferPanel(self)
        self.defer.changed.connect(self._changed)
        self.defer.print_commitment.connect(self._print_commitment)
        self.stack = QtWidgets.QStackedWidget(self)
        self.stack.addWidget(capture)
        self.stack.addWidget(self.waive)
        self.stack.addWidget(self.defer)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        layout.addLayout(ways)
        layout.addWidget(self.stack, 1)
        self.bind(None)

    def bind(self, material: MaterialDraft | None, accepted_on: dt.date | None = None,
             latest: dt.date | None = None) -> None:
        """Show ``material`` (None: the hint to choose one)."""
        self.material = material
        self.accepted_on, self.latest = accepted_on, latest
        self._show_header()
        self._show_way()

    def refresh(self, accepted_on: dt.date | None, latest: dt.date | None) -> None:
        """The same material after a new preview: its facts and allowed ways again, without
        restarting the camera (a choice no longer allowed has fallen back to capture)."""
        self.accepted_on, self.latest = accepted_on, latest
        self._show_header()
        material = self.material
        if material is not None and material.choice != self._shown_way:
            self._show_way()
        elif material is not None and material.choice == DEFER:
            self.defer.set_bounds(accepted_on, latest)

    def _show_header(self) -> None:
        material = self.material
        if material is None:
            self.title.setText(look.inline(CTX, CHOOSE_MATERIAL))
            self.facts.setText("")
        else:
            en = html.escape(material.name_en)
            self.title.setText(f"{html.escape(material.name)}  <span style='color:{look.SECOND};"
                               f" font-size:{look.SMALL_PX}px; font-weight:normal'>{en}</span>")
            note = f" · {material.note}" if material.note else ""
            self.facts.setText(facts_line(material) + note)
        for way, button in self.ways.items():
            allowed = material is not None and (
                way == CAPTURE or (way == WAIVE and material.may_waive)
                or (way == DEFER and material.may_defer))
            button.setEnabled(allowed)
            button.setChecked(material is not None and material.choice == way)

    def hasHeightForWidth(self) -> bool:
        return False  # as the page's other columns (view.Column): its own minimum height

    def set_licence_code(self, code: str) -> bool:
        """A scanned code for the material shown, when it wants one; True when taken."""
        if self.material is not None and self.material.needs_licence_code:
            self.waive.set_code(code)
            return True
        return False

    def _way_chosen(self, way: str) -> None:
        if self.material is None:
            return
        self.material.choose(way, default_due=self.latest)
        self._show_header()
        self._show_way()
        self.changed.emit(self.material.code)

    def _show_way(self) -> None:
        material = self.material
        way = material.choice if material is not None else CAPTURE
        self._shown_way = way
        if way == WAIVE:
            self.capture.bind(None)
            self.waive.bind(material)
            self.stack.setCurrentWidget(self.waive)
        elif way == DEFER:
            self.capture.bind(None)
            self.defer.bind(material, self.accepted_on, self.latest)
            self.stack.setCurrentWidget(self.defer)
        else:
            self.stack.setCurrentWidget(self.capture)
            self.capture.bind(material)

    def _changed(self) -> None:
        if self.material is not None:
            self.changed.emit(self.material.code)

    def _print_commitment(self) -> None:
        if self.material is not None:
            self.print_commitment.emit(self.material.code)
