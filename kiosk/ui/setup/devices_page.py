"""Page 3: which device plays which role, each with its live test.

On the left the eight roles, each marked (– not used, ○ chosen, ✔ its test passed, ✘ it
failed); on the right the chosen role: its driver, its port (what discovery found on this
PC, the current one, a simulator for a trial, or a URL typed by hand), the test button and
what the test said. The document camera has a live preview besides: the newest picture
with the page the imaging detection finds outlined, a few times a second.

A test belongs to the driver and port it ran with: changing either clears the mark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.setup_wizard.ports import ROLES, Answers, DeviceChoice, Outcome, PortChoice, Problem
from kiosk.ui.counter import look
from kiosk.ui.counter.acceptance.capture import PreviewView, preview_image
from kiosk.ui.qt import QtCore, QtWidgets

from .common import OutcomeView, failure, wrapped
from .pages import Page

if TYPE_CHECKING:
    from .window import SetupWindow

QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
CONTEXT = "SetupDevices"

ROLE_NAMES = {
    "id_card_reader": QT_TRANSLATE_NOOP("SetupDevices", "ID card reader"),
    "ticket_printer": QT_TRANSLATE_NOOP("SetupDevices", "Ticket printer"),
    "receipt_printer": QT_TRANSLATE_NOOP("SetupDevices", "Receipt printer"),
    "document_camera": QT_TRANSLATE_NOOP("SetupDevices", "Document camera"),
    "rating_terminal": QT_TRANSLATE_NOOP("SetupDevices", "Rating terminal"),
    "window_sign": QT_TRANSLATE_NOOP("SetupDevices", "Window LED sign"),
    "code_scanner": QT_TRANSLATE_NOOP("SetupDevices", "Code scanner"),
    "announcer": QT_TRANSLATE_NOOP("SetupDevices", "Announcer (speaker)"),
}
TEST_LABELS = {
    "id_card_reader": QT_TRANSLATE_NOOP("SetupDevices", "Read a card"),
    "ticket_printer": QT_TRANSLATE_NOOP("SetupDevices", "Print the test page"),
    "receipt_printer": QT_TRANSLATE_NOOP("SetupDevices", "Print the test page"),
    "document_camera": QT_TRANSLATE_NOOP("SetupDevices", "Take a picture"),
    "rating_terminal": QT_TRANSLATE_NOOP("SetupDevices", "Press a rating key"),
    "window_sign": QT_TRANSLATE_NOOP("SetupDevices", "Show text on the sign"),
    "code_scanner": QT_TRANSLATE_NOOP("SetupDevices", "Scan a code"),
    "announcer": QT_TRANSLATE_NOOP("SetupDevices", "Make an announcement"),
}
WAITING = {
    "id_card_reader": QT_TRANSLATE_NOOP("SetupDevices", "Lay an ID card on the reader now…"),
    "rating_terminal": QT_TRANSLATE_NOOP("SetupDevices", "Press a key on the rating terminal "
                                                         "now…"),
    "code_scanner": QT_TRANSLATE_NOOP("SetupDevices", "Scan any code now…"),
}
TESTING = QT_TRANSLATE_NOOP("SetupDevices", "Testing…")
KIND_WORDS = {
    "current": QT_TRANSLATE_NOOP("SetupDevices", "In the current configuration"),
    "detected": QT_TRANSLATE_NOOP("SetupDevices", "Found on this PC"),
    "usual": QT_TRANSLATE_NOOP("SetupDevices", "The usual choice"),
    "simulator": QT_TRANSLATE_NOOP("SetupDevices", "Simulator: a trial without the device"),
}
ABOUT = QT_TRANSLATE_NOOP("SetupDevices", "Choose and test each device this PC has; leave the "
                                          "others \"not used\".")
DRIVER = QT_TRANSLATE_NOOP("SetupDevices", "Driver")
PORT = QT_TRANSLATE_NOOP("SetupDevices", "Port")
NOT_USED = QT_TRANSLATE_NOOP("SetupDevices", "Not used")
NOT_USED_NOTE = QT_TRANSLATE_NOOP("SetupDevices", "This PC has no such device. Choose a "
                                                  "driver to use one.")
TYPED = QT_TRANSLATE_NOOP("SetupDevices", "Typed by hand, e.g. serial:///dev/ttyUSB0?baud=9600, "
                                          "usb://1A86:7523, tcp://192.168.1.50:9100, "
                                          "file:///dev/usb/lp0")
SEARCH = QT_TRANSLATE_NOOP("SetupDevices", "Search for devices again")
SEARCHING = QT_TRANSLATE_NOOP("SetupDevices", "Looking for devices on this PC…")
FOUND_N = QT_TRANSLATE_NOOP("SetupDevices", "%1 port(s) found on this PC")
PREVIEW_ON = QT_TRANSLATE_NOOP("SetupDevices", "Show the preview")
PREVIEW_OFF = QT_TRANSLATE_NOOP("SetupDevices", "Stop the preview")
PREVIEW_STARTING = QT_TRANSLATE_NOOP("SetupDevices", "Starting the camera…")
PROBLEMS = QT_TRANSLATE_NOOP("SetupDevices", "Correct the device marked ✘ first:")

PREVIEW_MS = 250
"""Pause between two preview pictures: about three a second is enough to lay a page.
Unit: ms."""
PREVIEW_WAIT_S = 2.0
"""Longest wait for one preview picture. Unit: s."""
MARKS = {"unused": "–", "chosen": "○", "ok": "✔", "failed": "✘"}


class DevicesPage(Page):
    context = CONTEXT
    fill = True
    title = QT_TRANSLATE_NOOP("SetupDevices", "3. Devices")

    def __init__(self, window: SetupWindow, start: Answers):
        super().__init__(window)
        self.choices: dict[str, DeviceChoice | None] = {
            role: start.devices.get(role) for role in ROLES}
        self.results: dict[str, tuple[DeviceChoice, Outcome]] = {}
        self.ports: dict[str, list[PortChoice]] = {}
        self.testing: set[str] = set()
        self.searching = False
        self.role = ROLES[0]
        self.preview_port: Any = None
        self.preview_wanted = False
        self.preview_frames = 0
        self.preview_found = 0
        """Pictures shown by the preview, and those with a page outlined (the screenshot
        tour waits for one)."""
        self._alive = True

        self.form.addWidget(wrapped(self.text(ABOUT), "second", self.panel))
        self.problem_note = wrapped("", "error", self.panel)
        self.problem_note.setObjectName("device_problems")
        self.problem_note.hide()
        self.form.addWidget(self.problem_note)
        body = QtWidgets.QHBoxLayout()
        body.setSpacing(20)
        self.form.addLayout(body, 1)

        column = QtWidgets.QVBoxLayout()
        column.setSpacing(6)
        body.addLayout(column, 0)
        self.role_buttons: dict[str, QtWidgets.QPushButton] = {}
        group = QtWidgets.QButtonGroup(self)
        group.setExclusive(True)
        for role in ROLES:
            button = look.button("", "device", self.panel)
            button.setObjectName(f"role_{role}")
            button.setCheckable(True)
            button.setMinimumWidth(340)
            button.clicked.connect(lambda _=False, r=role: self.select(r))
            group.addButton(button)
            column.addWidget(button)
            self.role_buttons[role] = button
        self.search_note = wrapped("", "second", self.panel)
        self.search_note.setObjectName("search_note")
        column.addWidget(self.search_note)
        column.addStretch(1)

        detail = QtWidgets.QVBoxLayout()
        detail.setSpacing(8)
        body.addLayout(detail, 1)
        self.role_title = look.label("", "title", self.panel)
        detail.addWidget(self.role_title)
        grid = QtWidgets.QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setColumnStretch(1, 1)
        detail.addLayout(grid)
        grid.addWidget(look.label(look.lines(CONTEXT, DRIVER), None, self.panel), 0, 0)
        self.driver = QtWidgets.QComboBox(self.panel)
        self.driver.setObjectName("driver")
        self.driver.setMinimumHeight(look.TOUCH_PX)
        grid.addWidget(self.driver, 0, 1)
        grid.addWidget(look.label(look.lines(CONTEXT, PORT), None, self.panel), 1, 0)
        self.port = QtWidgets.QComboBox(self.panel)
        self.port.setObjectName("port")
        self.port.setEditable(True)
        self.port.setInsertPolicy(QtWidgets.QComboBox.InsertPolicy.NoInsert)
        self.port.setMinimumHeight(look.TOUCH_PX)
        self.port.setMinimumContentsLength(24)
        grid.addWidget(self.port, 1, 1)
        self.port_note = wrapped("", "second", self.panel)
        self.port_note.setObjectName("port_note")
        grid.addWidget(self.port_note, 2, 1)
        self.search_button = look.button(self.text(SEARCH), None, self.panel)
        self.search_button.setObjectName("search")
        self.search_button.clicked.connect(self.search)
        grid.addWidget(self.search_button, 3, 1, QtCore.Qt.AlignmentFlag.AlignLeft)
        row = QtWidgets.QHBoxLayout()
        self.test_button = look.button("", "primary", self.panel)
        self.test_button.setObjectName("test")
        self.test_button.clicked.connect(lambda: self.test(self.role))
        row.addWidget(self.test_button)
        self.preview_button = look.button(self.text(PREVIEW_ON), None, self.panel)
        self.preview_button.setObjectName("preview")
        self.preview_button.clicked.connect(self.toggle_preview)
        row.addWidget(self.preview_button)
        row.addStretch(1)
        detail.addLayout(row)
        self.result = OutcomeView(self.panel)
        self.result.setObjectName("test_result")
        detail.addWidget(self.result)
        detail.addStretch(1)
        self.preview = PreviewView(self.panel)
        self.preview.setObjectName("camera_preview")
        self.preview.setMinimumSize(400, 300)
        self.preview.set_idle(False)
        body.addWidget(self.preview, 1)

        self.driver.currentIndexChanged.connect(self._driver_changed)
        self.port.currentTextChanged.connect(self._port_changed)
        for role in ROLES:
            self._mark(role)
        self.select(self.role)

    # -- the answers ----------------------------------------------------------------------

    def collect(self) -> dict[str, DeviceChoice]:
        return {role: choice for role, choice in self.choices.items() if choice is not None}

    def role_name(self, role: str) -> str:
        return self.text(ROLE_NAMES.get(role, role))

    def state(self, role: str) -> str:
        choice = self.choices.get(role)
        if choice is None:
            return "unused"
        done = self.results.get(role)
        if done is None or done[0] != choice:
            return "chosen"
        return "ok" if done[1].ok else "failed"

    def tested_ok(self) -> set[str]:
        return {role for role in ROLES if self.state(role) == "ok"}

    def choose(self, role: str, choice: DeviceChoice | None) -> None:
        """Set a role's device (the screenshot tour's simulators)."""
        self.choices[role] = choice
        self._mark(role)
        if role == self.role:
            self.select(role)

    # -- the page -------------------------------------------------------------------------

    def enter(self) -> None:
        if not self.ports and not self.searching:
            self.search()

    def leave(self) -> None:
        self.stop_preview()

    def close_page(self) -> None:
        self._alive = False
        self.stop_preview()

    def ready(self) -> bool:
        problems = [p for p in self.window_.model.validate(self.window_.answers())
                    if p.key.startswith("devices.")]
        self.show_problems(problems)
        return not problems

    def show_problems(self, problems: list[Problem]) -> None:
        if not problems:
            self.problem_note.hide()
            return
        self.problem_note.setText(self.text(PROBLEMS) + "\n" + "\n".join(
            f"{self.role_name(p.key.split('.')[1])}: {p.message}" for p in problems))
        self.problem_note.show()
        for problem in problems:
            role = problem.key.split(".")[1]
            if role in self.choices:
                self.results.pop(role, None)
                self._mark(role, failed=True)
        self.select(problems[0].key.split(".")[1])

    # -- discovery ------------------------------------------------------------------------

    def search(self) -> None:
        if self.searching:
            return
        self.searching = True
        self.search_button.setEnabled(False)
        self.search_note.setText(self.text(SEARCHING))
        self.window_.runner.run(self.window_.model.find_ports, self._found, self._not_found)

    def _found(self, ports: dict[str, list[PortChoice]]) -> None:
        self.searching = False
        self.search_button.setEnabled(True)
        self.ports = ports
        found = {choice.url for choices in ports.values() for choice in choices
                 if choice.kind == "detected"}
        self.search_note.setText(look.fill(CONTEXT, FOUND_N, str(len(found))))
        self.select(self.role)

    def _not_found(self, exc: BaseException) -> None:
        self.searching = False
        self.search_button.setEnabled(True)
        self.search_note.setText(failure(exc).words)

    # -- one role -------------------------------------------------------------------------

    def select(self, role: str) -> None:
        if role != self.role:
            self.stop_preview()
        self.role = role
        self.role_buttons[role].setChecked(True)
        self.role_title.setText(self.role_name(role))
        choice = self.choices.get(role)
        self.driver.blockSignals(True)
        self.driver.clear()
        self.driver.addItem(self.text(NOT_USED), None)
        for driver in self.window_.model.drivers(role):
            self.driver.addItem(driver, driver)
        if choice is not None and self.driver.findData(choice.driver) < 0:
            self.driver.addItem(choice.driver, choice.driver)
        self.driver.setCurrentIndex(max(0, self.driver.findData(
            choice.driver if choice is not None else None)))
        self.driver.blockSignals(False)
        self._fill_ports()
        self.test_button.setText(self.text(TEST_LABELS.get(role, "")))
        camera = role == "document_camera"
        self.preview_button.setVisible(camera)
        self.preview.setVisible(camera)
        self._show_result()
        self._enable()

    def _fill_ports(self) -> None:
        role, choice = self.role, self.choices.get(self.role)
        self.port.blockSignals(True)
        self.port.clear()
        if choice is not None:
            for offered in self._offered(role, choice.driver):
                self.port.addItem(offered.url, offered)
            self.port.setEditText(choice.port)
        self.port.setEnabled(choice is not None)
        self.port.blockSignals(False)
        self._port_note()

    def _offered(self, role: str, driver: str) -> list[PortChoice]:
        return [p for p in self.ports.get(role, []) if driver in p.drivers or p.kind == "current"]

    def _port_note(self) -> None:
        choice = self.choices.get(self.role)
        if choice is None:
            self.port_note.setText(self.text(NOT_USED_NOTE))
            return
        offered = next((p for p in self._offered(self.role, choice.driver)
                        if p.url == choice.port), None)
        if offered is None:
            self.port_note.setText(self.text(TYPED))
            return
        words = self.text(KIND_WORDS.get(offered.kind, offered.kind))
        self.port_note.setText(f"{words}: {offered.detail}" if offered.detail else words)

    def _driver_changed(self) -> None:
        driver = self.driver.currentData()
        if driver is None:
            self.choices[self.role] = None
        else:
            old = self.choices.get(self.role)
            offered = [p.url for p in self._offered(self.role, driver)]
            port = old.port if old is not None and old.port in offered else (
                offered[0] if offered else "")
            self.choices[self.role] = DeviceChoice(driver, port)
        self.stop_preview()
        self._fill_ports()
        self._changed()

    def _port_changed(self, text: str) -> None:
        choice = self.choices.get(self.role)
        if choice is None or text.strip() == choice.port:
            return
        self.choices[self.role] = DeviceChoice(choice.driver, text.strip())
        self.stop_preview()
        self._port_note()
        self._changed()

    def _changed(self) -> None:
        self.problem_note.hide()
        self._mark(self.role)
        self._show_result()
        self._enable()

    def _show_result(self) -> None:
        role = self.role
        if role in self.testing:
            self.result.show_busy(self.text(WAITING.get(role, TESTING)))
            return
        done = self.results.get(role)
        if done is not None and done[0] == self.choices.get(role):
            self.result.show_outcome(done[1])
        else:
            self.result.clear()

    def _enable(self) -> None:
        chosen = self.choices.get(self.role) is not None
        self.test_button.setEnabled(chosen and self.role not in self.testing)
        self.preview_button.setEnabled(chosen)
        self.preview_button.setText(self.text(PREVIEW_OFF if self.preview_wanted
                                              else PREVIEW_ON))

    def _mark(self, role: str, failed: bool = False) -> None:
        state = "failed" if failed else self.state(role)
        zh, en = look.two(CONTEXT, ROLE_NAMES.get(role, role))
        button = self.role_buttons[role]
        button.setText(f"{MARKS[state]}  {zh}" + (f"  {en}" if en else ""))
        button.setProperty("state", state)
        style = button.style()
        style.unpolish(button)
        style.polish(button)

    # -- tests ----------------------------------------------------------------------------

    def test(self, role: str) -> None:
        choice = self.choices.get(role)
        if choice is None or role in self.testing:
            return
        self.testing.add(role)
        if role == self.role:
            self._show_result()
            self._enable()
        answers = self.window_.answers()
        self.window_.runner.run(
            lambda: self.window_.model.test_device(answers, role),
            lambda outcome: self._tested(role, choice, outcome),
            lambda exc: self._tested(role, choice, failure(exc)))

    def test_all(self) -> None:
        """Test every chosen role (the screenshot tour)."""
        for role in ROLES:
            if self.choices.get(role) is not None:
                self.test(role)

    def _tested(self, role: str, choice: DeviceChoice, outcome: Outcome) -> None:
        if not self._alive:
            return
        self.testing.discard(role)
        self.results[role] = (choice, outcome)
        self._mark(role)
        if role == self.role:
            self._show_result()
            self._enable()

    # -- the camera's preview -------------------------------------------------------------

    def toggle_preview(self) -> None:
        if self.preview_wanted:
            self.stop_preview()
        else:
            self.start_preview()

    def start_preview(self) -> None:
        if self.preview_wanted or self.choices.get("document_camera") is None:
            return
        self.preview_wanted = True
        self._enable()
        self.preview.set_note(self.text(PREVIEW_STARTING))
        answers = self.window_.answers()
        self.window_.runner.run(lambda: self.window_.model.open_preview(answers),
                                self._preview_opened,
                                lambda exc: self._preview_failed(failure(exc)))

    def _preview_opened(self, port: Any) -> None:
        if isinstance(port, Outcome):
            self._preview_failed(port)
            return
        if not self.preview_wanted or not self._alive:
            self.window_.runner.run(port.close)
            return
        self.preview_port = port
        self._next_frame()

    def _preview_failed(self, outcome: Outcome) -> None:
        self.preview_wanted = False
        self._enable()
        self.preview.set_note(outcome.words, outcome.hint)

    def _next_frame(self) -> None:
        port = self.preview_port
        if port is None or not self._alive:
            return
        self.window_.runner.run(lambda: port.frame(PREVIEW_WAIT_S),
                                lambda shown: self._framed(port, shown),
                                lambda exc: self._framed(port, failure(exc)))

    def _framed(self, port: Any, shown: Any) -> None:
        if port is not self.preview_port or not self._alive:
            return
        if isinstance(shown, Outcome):
            self.preview.set_note(shown.words, shown.hint)
        else:
            self.preview.set_note("")
            self.preview.set_frame(preview_image(shown.rgb), shown.quad, shown.state, shown.hint)
            self.preview_frames += 1
            self.preview_found += shown.quad is not None
        QtCore.QTimer.singleShot(PREVIEW_MS, self._next_frame)

    def stop_preview(self) -> None:
        port, self.preview_port = self.preview_port, None
        was = self.preview_wanted
        self.preview_wanted = False
        if port is not None:
            self.window_.runner.run(port.close)
        if was:
            self.preview.clear()
            self._enable()
