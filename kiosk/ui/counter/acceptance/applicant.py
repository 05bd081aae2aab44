"""Who applies: the applicant (申请人), and the agent (代办人) with the relationship when
someone applies on another's behalf.

A card on the reader fills the fields (``from_card``); without a reader, or with a card it
cannot read, the clerk types them, and the ID number is checked as it is typed (GB 11643-1999
§7, the ISO 7064 MOD 11-2 check digit, through ``ctx.id_check``). The name and the number
are shown masked (王*明, 110105********002X) except while the clerk edits the field: the
full values are not needed on a screen the next person in line can see.
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.domain.masking import mask_id_number, mask_name
from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from .draft import Person, relationship_names

Qt = QtCore.Qt
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
CTX = "CounterAcceptance"

APPLICANT = QT_TRANSLATE_NOOP("CounterAcceptance", "Applicant")
AGENT = QT_TRANSLATE_NOOP("CounterAcceptance", "Agent")
NAME = QT_TRANSLATE_NOOP("CounterAcceptance", "Name")
ID_NUMBER = QT_TRANSLATE_NOOP("CounterAcceptance", "ID number")
PHONE = QT_TRANSLATE_NOOP("CounterAcceptance", "Phone")
RELATIONSHIP = QT_TRANSLATE_NOOP("CounterAcceptance", "Relationship")
CHOOSE_RELATIONSHIP = QT_TRANSLATE_NOOP("CounterAcceptance", "Choose…")
FROM_CARD = QT_TRANSLATE_NOOP("CounterAcceptance", "from the ID card")
BY_AGENT = QT_TRANSLATE_NOOP("CounterAcceptance", "Applying for someone else (agent)")
NEXT_CARD = QT_TRANSLATE_NOOP("CounterAcceptance", "Next card is the")
PLACE_CARD = QT_TRANSLATE_NOOP("CounterAcceptance", "Place the ID card on the reader, or type the "
                                             "details in")
NO_READER = QT_TRANSLATE_NOOP("CounterAcceptance", "No ID card reader: type the details in")
READER_PROBLEM = QT_TRANSLATE_NOOP("CounterAcceptance", "The card cannot be read now: type the "
                                                 "details in")
CARD_READ = QT_TRANSLATE_NOOP("CounterAcceptance", "ID card read")
CARD_CHECK_FAILED = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "The card's number fails its check digit: compare it with the card")
DIGITS = QT_TRANSLATE_NOOP("CounterAcceptance", "%1 of 18 characters")
CHECK_OK = QT_TRANSLATE_NOOP("CounterAcceptance", "Number checked")
CHECK_BAD = QT_TRANSLATE_NOOP("CounterAcceptance", "Check digit wrong: look at the number again")

NUMBER_CHARS = QtCore.QRegularExpression("[0-9Xx]{0,18}")


class MaskedField(QtWidgets.QLineEdit):
    """A line edit that shows its value masked unless it has the focus (then the full value,
    to edit). ``edited(value)`` as the clerk types; ``revealed`` when a value is shown in
    full."""

    edited = QtCore.Signal(str)
    revealed = QtCore.Signal()

    def __init__(self, mask: Callable[[str], str], parent: QtWidgets.QWidget | None = None,
                 *, upper: bool = False):
        super().__init__(parent)
        self._mask = mask
        self._upper = upper
        self._value = ""
        self.textEdited.connect(self._typed)

    def value(self) -> str:
        return self._value

    def set_value(self, value: str) -> None:
        self._value = value
        self.setText(value if self.hasFocus() else self._mask(value))

    def _typed(self, text: str) -> None:
        if self._upper and text != text.upper():
            # GB 11643 writes the check character X in capitals; the clerk need not
            at = self.cursorPosition()
            text = text.upper()
            self.setText(text)
            self.setCursorPosition(at)
        self._value = text
        self.edited.emit(text)

    def focusInEvent(self, event: QtGui.QFocusEvent) -> None:
        super().focusInEvent(event)
        if self.text() != self._value:
            self.setText(self._value)
            if self._value:
                self.revealed.emit()

    def focusOutEvent(self, event: QtGui.QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.setText(self._mask(self._value))


def _caption(source: str, parent: QtWidgets.QWidget) -> QtWidgets.QLabel:
    zh, en = look.two(CTX, source)
    made = look.label(f"{zh}<br><span style='color:{look.SECOND}; font-size:{look.SMALL_PX}px'>"
                      f"{en}</span>" if en else zh, None, parent)
    made.setTextFormat(Qt.TextFormat.RichText)
    return made


class PersonForm(QtWidgets.QWidget):
    """Name, ID number (checked as typed), phone; the relationship for an agent. Edits go
    straight into the bound :class:`~.draft.Person`."""

    changed = QtCore.Signal()
    revealed = QtCore.Signal()

    def __init__(self, id_check: Callable[[str], bool], *, agent: bool = False,
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.person: Person | None = None
        self._id_check = id_check
        prefix = "agent" if agent else "applicant"
        self.name = MaskedField(mask_name, self)
        self.name.setObjectName(f"{prefix}_name")
        self.number = MaskedField(mask_id_number, self, upper=True)
        self.number.setObjectName(f"{prefix}_id_number")
        self.number.setValidator(QtGui.QRegularExpressionValidator(NUMBER_CHARS, self.number))
        self.phone = QtWidgets.QLineEdit(self)
        self.phone.setObjectName(f"{prefix}_phone")
        self.phone.setValidator(QtGui.QRegularExpressionValidator(
            QtCore.QRegularExpression("[0-9+ -]{0,20}"), self.phone))
        self.check = look.label("", "second", self)
        self.check.setObjectName(f"{prefix}_check")
        self.relationship: QtWidgets.QComboBox | None = None
        grid = QtWidgets.QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        grid.addWidget(_caption(NAME, self), 0, 0)
        grid.addWidget(self.name, 0, 1)
        grid.addWidget(_caption(ID_NUMBER, self), 1, 0)
        grid.addWidget(self.number, 1, 1)
        grid.addWidget(self.check, 2, 1)
        row = 3
        if agent:
            self.relationship = QtWidgets.QComboBox(self)
            self.relationship.setObjectName("agent_relationship")
            self.relationship.setMinimumHeight(look.TOUCH_PX)  # pressed, not typed in
            self.relationship.addItem(look.inline(CTX, CHOOSE_RELATIONSHIP), "")
            for code, words in relationship_names():
                self.relationship.addItem(words, code)
            self.relationship.currentIndexChanged.connect(self._relationship_chosen)
            grid.addWidget(_caption(RELATIONSHIP, self), row, 0)
            grid.addWidget(self.relationship, row, 1)
            row += 1
        grid.addWidget(_caption(PHONE, self), row, 0)
        grid.addWidget(self.phone, row, 1)
        grid.setColumnStretch(1, 1)
        self.name.edited.connect(self._name_typed)
        self.number.edited.connect(self._number_typed)
        self.phone.textEdited.connect(self._phone_typed)
        self.name.revealed.connect(self._revealed)
        self.number.revealed.connect(self._revealed)

    def bind(self, person: Person | None) -> None:
        self.person = person
        self.show_person()

    def show_person(self) -> None:
        person = self.person or Person()
        self.name.set_value(person.name)
        self.number.set_value(person.id_number)
        self.phone.setText(person.phone)
        if self.relationship is not None:
            index = self.relationship.findData(person.relationship)
            self.relationship.blockSignals(True)
            self.relationship.setCurrentIndex(max(0, index))
            self.relationship.blockSignals(False)
        self._show_check(person.id_number)

    def _name_typed(self, text: str) -> None:
        if self.person is not None:
            self.person.name = text
            self._typed()

    def _number_typed(self, text: str) -> None:
        if self.person is not None:
            self.person.id_number = text.upper()
            self._show_check(self.person.id_number)
            self._typed()

    def _phone_typed(self, text: str) -> None:
        if self.person is not None:
            self.person.phone = text
            self.changed.emit()

    def _typed(self) -> None:
        """A typed name or number is no longer the card's."""
        assert self.person is not None
        if self.person.from_card:
            self.person.from_card = False
            self._show_check(self.person.id_number)
        self.changed.emit()

    def _relationship_chosen(self, index: int) -> None:
        if self.person is not None and self.relationship is not None:
            self.person.relationship = str(self.relationship.itemData(index) or "")
            self.changed.emit()

    def _revealed(self) -> None:
        if self.person is not None and self.person.from_card:
            self.revealed.emit()

    def _show_check(self, number: str) -> None:
        """GB 11643: 18 characters, the last a check digit (0-9 or X)."""
        number = number.strip().upper()
        if number and self.person is not None and self.person.from_card:
            # the reader read the chip: its number is the card's, whatever the check says
            text, role = "✓ " + look.inline(CTX, FROM_CARD), "good"
        elif not number:
            text, role = "", "second"
        elif len(number) < 18:
            text, role = look.inline(CTX, DIGITS).replace("%1", str(len(number))), "second"
        elif self._id_check(number):
            text, role = "✓ " + look.inline(CTX, CHECK_OK), "good"
        else:
            text, role = "✗ " + look.inline(CTX, CHECK_BAD), "error"
        self.check.setText(text)
        look.set_role(self.check, role)
        self.check.setVisible(bool(text))


class ApplicantPanel(QtWidgets.QWidget):
    """The applicant's form, the agent switch and form, and the card reader's word."""

    changed = QtCore.Signal()
    revealed = QtCore.Signal()
    agent_toggled = QtCore.Signal(bool)

    def __init__(self, id_check: Callable[[str], bool],
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.reader_line = look.label("", "info", self)
        self.reader_line.setObjectName("reader_line")
        self.reader_line.setWordWrap(True)
        self.reader_line.setTextFormat(Qt.TextFormat.PlainText)  # the device's own words
        zh, en = look.two(CTX, APPLICANT)
        self.title = look.label(f"{zh}  <span style='color:{look.SECOND}; font-size:"
                                f"{look.SMALL_PX}px; font-weight:normal'>{en}</span>",
                                "title", self)
        self.applicant = PersonForm(id_check, parent=self)
        self.by_agent = look.button(look.lines(CTX, BY_AGENT), None, self)
        self.by_agent.setObjectName("by_agent")
        self.by_agent.setCheckable(True)
        self.by_agent.toggled.connect(self._agent_switched)
        self.agent_box = QtWidgets.QWidget(self)
        self.agent = PersonForm(id_check, agent=True, parent=self.agent_box)
        zh, en = look.two(CTX, NEXT_CARD)
        self.next_card_label = look.label(zh, None, self.agent_box)
        self.next_card_label.setToolTip(en)
        self.card_for_applicant = look.button(look.two(CTX, APPLICANT)[0], "segment",
                                              self.agent_box)
        self.card_for_agent = look.button(look.two(CTX, AGENT)[0], "segment", self.agent_box)
        self.card_for_applicant.setObjectName("card_for_applicant")
        self.card_for_agent.setObjectName("card_for_agent")
        group = QtWidgets.QButtonGroup(self)
        for button in (self.card_for_applicant, self.card_for_agent):
            button.setCheckable(True)
            group.addButton(button)
        self.card_for_applicant.setChecked(True)
        segment = QtWidgets.QHBoxLayout()
        segment.addWidget(self.next_card_label)
        segment.addWidget(self.card_for_applicant, 1)
        segment.addWidget(self.card_for_agent, 1)
        zh, en = look.two(CTX, AGENT)
        agent_title = look.label(f"{zh}  <span style='color:{look.SECOND}; font-size:"
                                 f"{look.SMALL_PX}px; font-weight:normal'>{en}</span>",
                                 "title", self.agent_box)
        box = QtWidgets.QVBoxLayout(self.agent_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(6)
        box.addLayout(segment)
        box.addWidget(agent_title)
        box.addWidget(self.agent)
        self.agent_box.hide()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.reader_line)
        layout.addWidget(self.applicant)
        layout.addWidget(self.by_agent)
        layout.addWidget(self.agent_box)
        for form in (self.applicant, self.agent):
            form.changed.connect(self.changed)
            form.revealed.connect(self.revealed)

    @property
    def card_is_for_agent(self) -> bool:
        return self.agent_box.isVisibleTo(self) and self.card_for_agent.isChecked()

    def set_reader_line(self, text: str, role: str = "info") -> None:
        self.reader_line.setText(text)
        look.set_role(self.reader_line, role)

    def bind(self, applicant: Person, agent: Person | None) -> None:
        self.applicant.bind(applicant)
        self.by_agent.blockSignals(True)
        self.by_agent.setChecked(agent is not None)
        self.by_agent.blockSignals(False)
        self.agent_box.setVisible(agent is not None)
        self.agent.bind(agent)
        if agent is None:
            self.card_for_applicant.setChecked(True)

    def _agent_switched(self, on: bool) -> None:
        self.agent_box.setVisible(on)
        if not on:
            self.card_for_applicant.setChecked(True)
        self.agent_toggled.emit(on)
