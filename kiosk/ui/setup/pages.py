"""The wizard's pages other than the devices: the site's identity, the county hub and its
enrolment, the network check, and the summary that writes the configuration.

A page knows its window (:class:`kiosk.ui.setup.window.SetupWindow`) for the model, the
runner and the answers of the other pages; ``enter()`` runs when it is shown, ``ready()``
when the technician presses Next (False keeps them on the page, with the reason shown).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.setup_wizard.ports import (
    ROLES,
    Answers,
    NetworkLine,
    Outcome,
    PcAnswers,
    Problem,
    SiteAnswers,
)
from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtWidgets

from .common import OutcomeView, failure, heading, wrapped

if TYPE_CHECKING:
    from .window import SetupWindow

QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP


class Page(QtWidgets.QScrollArea):
    """A page: its content in a scroll area (a small screen, large text), a panel inside."""

    title = ""
    context = "SetupWizard"
    fill = False
    """The panel takes the page's whole height (a page with a picture or a long text)."""

    def __init__(self, window: SetupWindow):
        super().__init__(window)
        self.window_ = window
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.setProperty("role", "page")
        body = QtWidgets.QWidget(self)
        self.setWidget(body)
        outer = QtWidgets.QVBoxLayout(body)
        outer.setContentsMargins(12, 8, 12, 8)
        self.panel = QtWidgets.QFrame(body)
        self.panel.setProperty("role", "panel")
        outer.addWidget(self.panel, 1 if self.fill else 0)
        if not self.fill:
            outer.addStretch(1)
        self.form = QtWidgets.QVBoxLayout(self.panel)
        self.form.setContentsMargins(20, 10, 20, 10)
        self.form.setSpacing(6)
        heading(self.form, self.context, self.title, self.panel)

    def end_form(self) -> None:
        """The form is complete: room left over goes under it, not between its lines (a
        wrapped label's height is only estimated before the page has its width)."""
        if not self.fill:
            self.form.addStretch(1)

    def text(self, source: str) -> str:
        """"中文 / English" of one of this page's strings."""
        return look.inline(self.context, source)

    def enter(self) -> None:
        """The page is shown."""

    def leave(self) -> None:
        """The page is left (for another page, or the window closes)."""

    def ready(self) -> bool:
        """May the technician go on to the next page?"""
        return True


def field(page: Page, grid: QtWidgets.QGridLayout, row: int, source: str, widget: QtWidgets.QWidget,
          note: str = "") -> QtWidgets.QLabel:
    """A labelled field on ``grid`` at ``row`` (label, widget, then a note and an error line
    under the widget); returns the error label."""
    zh, en = look.two(page.context, source)
    name = look.label(zh if not en else f"{zh}\n{en}", None, page.panel)
    name.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
    grid.addWidget(name, row, 0)
    column = QtWidgets.QVBoxLayout()
    column.setSpacing(2)
    widget.setMinimumHeight(look.TOUCH_PX)
    column.addWidget(widget)
    if note:
        column.addWidget(wrapped(page.text(note), "second", page.panel))
    error = wrapped("", "error", page.panel)
    error.hide()
    column.addWidget(error)
    grid.addLayout(column, row, 1)
    return error


# -- 1. the site ---------------------------------------------------------------------------------


class SitePage(Page):
    context = "SetupSite"
    title = QT_TRANSLATE_NOOP("SetupSite", "1. This site")
    FROM_FILE = QT_TRANSLATE_NOOP("SetupSite", "Starting from the configuration in %1; what you "
                                               "change here is written back to it.")
    NEW_FILE = QT_TRANSLATE_NOOP("SetupSite", "There is no configuration yet; it will be "
                                              "written to %1.")
    BAD_FILE = QT_TRANSLATE_NOOP("SetupSite", "The configuration in %1 could not be used, so "
                                              "the wizard starts from the defaults; writing "
                                              "replaces the file and keeps the old one as a "
                                              "backup. The problems:")
    CODE = QT_TRANSLATE_NOOP("SetupSite", "Site code")
    CODE_NOTE = QT_TRANSLATE_NOOP("SetupSite", "As the county assigned it, e.g. XC-0101: "
                                               "letters, digits, - and _.")
    NAME = QT_TRANSLATE_NOOP("SetupSite", "Site name")
    NAME_NOTE = QT_TRANSLATE_NOOP("SetupSite", "Printed on tickets and receipts, e.g. "
                                               "西村便民服务站.")
    KIND = QT_TRANSLATE_NOOP("SetupSite", "Kind of site")
    VILLAGE_KIND = QT_TRANSLATE_NOOP("SetupSite", "Village service point")
    TOWNSHIP_KIND = QT_TRANSLATE_NOOP("SetupSite", "Township service centre")
    TOWNSHIP = QT_TRANSLATE_NOOP("SetupSite", "Township")
    VILLAGE = QT_TRANSLATE_NOOP("SetupSite", "Village or community")
    VILLAGE_NOTE = QT_TRANSLATE_NOOP("SetupSite", "Leave it empty for a township centre.")
    TIMEZONE = QT_TRANSLATE_NOOP("SetupSite", "Time zone")
    PC = QT_TRANSLATE_NOOP("SetupSite", "This PC")
    PC_NOTE = QT_TRANSLATE_NOOP("SetupSite", "What this PC shows, and where the site's station "
                                             "runs. A village point runs everything on one PC.")
    SCREEN = QT_TRANSLATE_NOOP("SetupSite", "This PC shows")
    NO_SCREEN = QT_TRANSLATE_NOOP("SetupSite", "No screen of its own (the station's PC)")
    KIOSK_SCREEN = QT_TRANSLATE_NOOP("SetupSite", "The citizens' self-service kiosk")
    DISPLAY_SCREEN = QT_TRANSLATE_NOOP("SetupSite", "The hall display")
    COUNTER_SCREEN = QT_TRANSLATE_NOOP("SetupSite", "The counter screen (a clerk, or the "
                                                    "village agent)")
    WINDOW = QT_TRANSLATE_NOOP("SetupSite", "Window number")
    WINDOW_NOTE = QT_TRANSLATE_NOOP("SetupSite", "As the station numbers the windows, e.g. 1.")
    COUNTER_MODE = QT_TRANSLATE_NOOP("SetupSite", "Way of working")
    MODE_COUNTER = QT_TRANSLATE_NOOP("SetupSite", "A window of the centre")
    MODE_AGENT = QT_TRANSLATE_NOOP("SetupSite", "Agent service at a village point (works "
                                                "offline)")
    MODE_HOME = QT_TRANSLATE_NOOP("SetupSite", "Home visits (works offline)")
    DESKTOP_USER = QT_TRANSLATE_NOOP("SetupSite", "Desktop account")
    DESKTOP_USER_NOTE = QT_TRANSLATE_NOOP("SetupSite", "The account the clerk logs in to the "
                                                       "desktop with: it is given the devices "
                                                       "and the counter's token (from the "
                                                       "next login).")
    STATION = QT_TRANSLATE_NOOP("SetupSite", "Station")
    STATION_HERE = QT_TRANSLATE_NOOP("SetupSite", "Runs on this PC")
    STATION_ELSEWHERE = QT_TRANSLATE_NOOP("SetupSite", "Runs on another PC of this site")
    STATION_URL = QT_TRANSLATE_NOOP("SetupSite", "Station's address")
    STATION_URL_NOTE = QT_TRANSLATE_NOOP("SetupSite", "e.g. http://192.168.1.10:8470")
    PAIR_CODE = QT_TRANSLATE_NOOP("SetupSite", "Pairing code")
    PAIR_CODE_NOTE = QT_TRANSLATE_NOOP("SetupSite", "On the station's PC run bianmin station "
                                                    "pair --role kiosk (or display): the 8 "
                                                    "digits work once, for 10 minutes. Leave it "
                                                    "empty to keep this screen's token.")
    KIOSK_PIN = QT_TRANSLATE_NOOP("SetupSite", "Technician's PIN")
    KIOSK_PIN_NOTE = QT_TRANSLATE_NOOP("SetupSite", "4 to 12 digits. On the kiosk, five taps on "
                                                    "the site name, then this PIN, open the "
                                                    "technician's page and the way out. Leave it "
                                                    "empty to keep the current one.")

    def __init__(self, window: SetupWindow, start: Answers):
        super().__init__(window)
        model = window.model
        path = str(model.config_path)
        if model.load_problem:
            self.form.addWidget(wrapped(look.fill(self.context, self.BAD_FILE, path), "warn",
                                        self.panel))
            self.form.addWidget(wrapped(model.load_problem, "error", self.panel))
        else:
            note = self.FROM_FILE if model.config_path.exists() else self.NEW_FILE
            self.form.addWidget(wrapped(look.fill(self.context, note, path), "note", self.panel))
        grid = QtWidgets.QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(8)
        grid.setColumnStretch(1, 1)
        self.form.addLayout(grid)
        site = start.site
        self.code = self._line("site_code", site.code, 32)
        self.name = self._line("site_name", site.name, 60)
        self.kind = QtWidgets.QComboBox(self.panel)
        self.kind.setObjectName("site_kind")
        self.kind.addItem(self.text(self.VILLAGE_KIND), "village")
        self.kind.addItem(self.text(self.TOWNSHIP_KIND), "township")
        self.kind.setCurrentIndex(max(0, self.kind.findData(site.kind)))
        self.township = self._line("site_township", site.township, 60)
        self.village = self._line("site_village", site.village, 60)
        self.timezone = QtWidgets.QComboBox(self.panel)
        self.timezone.setObjectName("site_timezone")
        zones = model.timezones()
        if site.timezone not in zones:
            zones.insert(0, site.timezone)
        self.timezone.addItems(zones)
        self.timezone.setCurrentText(site.timezone)
        self.errors = {
            "code": field(self, grid, 0, self.CODE, self.code, self.CODE_NOTE),
            "name": field(self, grid, 1, self.NAME, self.name, self.NAME_NOTE),
            "kind": field(self, grid, 2, self.KIND, self.kind),
            "township": field(self, grid, 3, self.TOWNSHIP, self.township),
            "village": field(self, grid, 4, self.VILLAGE, self.village, self.VILLAGE_NOTE),
            "timezone": field(self, grid, 5, self.TIMEZONE, self.timezone),
        }
        self._pc_fields(grid, 6, start.pc)
        self.end_form()

    def _pc_fields(self, grid: QtWidgets.QGridLayout, row: int, pc: PcAnswers) -> None:
        """本机 on ``grid`` from ``row``: what this PC shows and where its station is
        (kiosk/setup_wizard/services.py)."""
        zh, en = look.two(self.context, self.PC)
        title = look.label(f"{zh}  {en}" if en else zh, "title", self.panel)
        title.setObjectName("pc_heading")
        grid.addWidget(title, row, 0, 1, 2)
        grid.addWidget(wrapped(self.text(self.PC_NOTE), "second", self.panel), row + 1, 0, 1, 2)
        self.screen = self._choices("pc_screen", [(self.NO_SCREEN, "none"),
                                                  (self.KIOSK_SCREEN, "kiosk"),
                                                  (self.DISPLAY_SCREEN, "display"),
                                                  (self.COUNTER_SCREEN, "counter")], pc.screen)
        self.station_where = self._choices("pc_station", [(self.STATION_HERE, "here"),
                                                          (self.STATION_ELSEWHERE, "elsewhere")],
                                           "elsewhere" if pc.station_url else "here")
        self.errors["pc.screen"] = field(self, grid, row + 2, self.SCREEN, self.screen)
        field(self, grid, row + 3, self.STATION, self.station_where)
        self.station_url = self._line("pc_station_url", pc.station_url, 200)
        self.station_url.setPlaceholderText("http://192.168.1.10:8470")
        self.pair_code = self._line("pc_pair_code", "", 8)
        self.pair_code.setInputMethodHints(QtCore.Qt.InputMethodHint.ImhDigitsOnly)
        self.errors["pc.station_url"] = field(self, grid, row + 4, self.STATION_URL,
                                              self.station_url, self.STATION_URL_NOTE)
        self.errors["pc.pair_code"] = field(self, grid, row + 5, self.PAIR_CODE, self.pair_code,
                                            self.PAIR_CODE_NOTE)
        self.kiosk_pin = self._line("pc_kiosk_pin", "", 12)
        self.kiosk_pin.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.kiosk_pin.setInputMethodHints(QtCore.Qt.InputMethodHint.ImhDigitsOnly)
        self.errors["pc.kiosk_pin"] = field(self, grid, row + 6, self.KIOSK_PIN,
                                            self.kiosk_pin, self.KIOSK_PIN_NOTE)
        self.pin_row = [grid.itemAtPosition(row + 6, column) for column in (0, 1)]
        self.window_number = self._line("pc_window", pc.window, 3)
        self.window_number.setInputMethodHints(QtCore.Qt.InputMethodHint.ImhDigitsOnly)
        self.counter_mode = self._choices("pc_counter_mode", [
            (self.MODE_COUNTER, "counter"), (self.MODE_AGENT, "agent"),
            (self.MODE_HOME, "home_visit")], pc.counter_mode)
        self.desktop_user = self._line("pc_desktop_user", pc.desktop_user, 32)
        self.errors["pc.window"] = field(self, grid, row + 7, self.WINDOW, self.window_number,
                                         self.WINDOW_NOTE)
        self.errors["pc.counter_mode"] = field(self, grid, row + 8, self.COUNTER_MODE,
                                               self.counter_mode)
        self.errors["pc.desktop_user"] = field(self, grid, row + 9, self.DESKTOP_USER,
                                               self.desktop_user, self.DESKTOP_USER_NOTE)
        self.counter_rows = [grid.itemAtPosition(r, column) for r in range(row + 7, row + 10)
                             for column in (0, 1)]
        self.url_row = [grid.itemAtPosition(row + 4, column) for column in (0, 1)]
        self.code_row = [grid.itemAtPosition(row + 5, column) for column in (0, 1)]
        self.screen.currentIndexChanged.connect(self._show_remote)
        self.station_where.currentIndexChanged.connect(self._show_remote)
        self._show_remote()

    def _choices(self, name: str, items: list[tuple[str, str]], current: str
                 ) -> QtWidgets.QComboBox:
        box = QtWidgets.QComboBox(self.panel)
        box.setObjectName(name)
        for source, data in items:
            box.addItem(self.text(source), data)
        box.setCurrentIndex(max(0, box.findData(current)))
        return box

    def _show_remote(self) -> None:
        """The station's address only when it is elsewhere; the pairing code only when this
        PC also shows a screen (a screen needs a token, a counter PC's clerk pairs later)."""
        elsewhere = self.station_where.currentData() == "elsewhere"
        needs_code = elsewhere and self.screen.currentData() != "none"
        for item in self.url_row:
            _set_visible(item, elsewhere)
        for item in self.code_row:
            _set_visible(item, needs_code)
        for item in self.pin_row:
            _set_visible(item, self.screen.currentData() == "kiosk")
        for item in self.counter_rows:
            _set_visible(item, self.screen.currentData() == "counter")

    def collect_pc(self) -> PcAnswers:
        elsewhere = self.station_where.currentData() == "elsewhere"
        return PcAnswers(screen=str(self.screen.currentData()),
                         station_url=self.station_url.text().strip() if elsewhere else "",
                         pair_code=self.pair_code.text().strip()
                         if elsewhere and self.screen.currentData() != "none" else "",
                         kiosk_pin=self.kiosk_pin.text().strip()
                         if self.screen.currentData() == "kiosk" else "",
                         window=self.window_number.text().strip(),
                         counter_mode=str(self.counter_mode.currentData()),
                         desktop_user=self.desktop_user.text().strip())

    def _line(self, name: str, value: str, length: int) -> QtWidgets.QLineEdit:
        edit = QtWidgets.QLineEdit(value, self.panel)
        edit.setObjectName(name)
        edit.setMaxLength(length)
        return edit

    def collect(self) -> SiteAnswers:
        return SiteAnswers(code=self.code.text().strip(), name=self.name.text().strip(),
                           kind=str(self.kind.currentData()),
                           township=self.township.text().strip(),
                           village=self.village.text().strip(),
                           timezone=self.timezone.currentText().strip())

    def fill_in(self, site: SiteAnswers) -> None:
        """Put ``site`` into the fields (the screenshot tour's sample site)."""
        self.code.setText(site.code)
        self.name.setText(site.name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(site.kind)))
        self.township.setText(site.township)
        self.village.setText(site.village)
        self.timezone.setCurrentText(site.timezone)

    def show_problems(self, problems: list[Problem]) -> bool:
        """Each ``site.*`` and ``pc.*`` problem under its field; True when there were none."""
        for error in self.errors.values():
            error.hide()
        mine = [p for p in problems if p.key.startswith(("site.", "pc."))]
        for problem in mine:
            error = self.errors.get(problem.key.removeprefix("site."))
            if error is not None:
                error.setText(problem.message)
                error.show()
        return not mine

    def ready(self) -> bool:
        return self.show_problems(self.window_.model.validate(self.window_.answers()))


def _set_visible(item: QtWidgets.QLayoutItem | None, visible: bool) -> None:
    """Show or hide what a grid cell holds: a widget, or a column of them."""
    if item is None:
        return
    widget = item.widget()
    if widget is not None:
        widget.setVisible(visible)
        return
    layout = item.layout()
    if layout is not None:
        for index in range(layout.count()):
            inner = layout.itemAt(index).widget()
            if inner is not None and not (visible and inner.property("role") == "error"):
                inner.setVisible(visible)


# -- 2. the county ---------------------------------------------------------------------------------


class CountyPage(Page):
    context = "SetupCounty"
    title = QT_TRANSLATE_NOOP("SetupCounty", "2. The county hub")
    ABOUT = QT_TRANSLATE_NOOP("SetupCounty", "The site sends its records to the county hub. "
                                             "Enrolling makes this site's key and registers it "
                                             "with the one-time code the county gave you.")
    ENROLLED = QT_TRANSLATE_NOOP("SetupCounty", "This site is enrolled as %1 with %2. Enrolling "
                                                "again (a replaced PC) replaces its key.")
    NOT_ENROLLED = QT_TRANSLATE_NOOP("SetupCounty", "This site is not enrolled yet.")
    HUB = QT_TRANSLATE_NOOP("SetupCounty", "Hub address")
    HUB_NOTE = QT_TRANSLATE_NOOP("SetupCounty", "From the county, e.g. "
                                                "https://hub.example.gov.cn")
    CODE = QT_TRANSLATE_NOOP("SetupCounty", "Enrolment code")
    CODE_NOTE = QT_TRANSLATE_NOOP("SetupCounty", "Used once; the county makes it with bianmin "
                                                 "hub enrol-code.")
    ENROL = QT_TRANSLATE_NOOP("SetupCounty", "Enrol now")
    ENROLLING = QT_TRANSLATE_NOOP("SetupCounty", "Enrolling with the county hub…")
    LATER = QT_TRANSLATE_NOOP("SetupCounty", "No code yet? Go on: enrol later with bianmin sync "
                                             "enrol --hub URL --code CODE, or run this wizard "
                                             "again.")

    def __init__(self, window: SetupWindow, start: Answers):
        super().__init__(window)
        self.form.addWidget(wrapped(self.text(self.ABOUT), "second", self.panel))
        self.state = wrapped(self.text(self.NOT_ENROLLED), "note", self.panel)
        self.state.setObjectName("enrol_state")
        self.form.addWidget(self.state)
        grid = QtWidgets.QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setColumnStretch(1, 1)
        self.form.addLayout(grid)
        self.hub = QtWidgets.QLineEdit(start.hub_url, self.panel)
        self.hub.setObjectName("hub_url")
        self.hub.setPlaceholderText("https://hub.example.gov.cn")
        self.code = QtWidgets.QLineEdit(self.panel)
        self.code.setObjectName("enrol_code")
        self.code.setMaxLength(32)
        field(self, grid, 0, self.HUB, self.hub, self.HUB_NOTE)
        field(self, grid, 1, self.CODE, self.code, self.CODE_NOTE)
        row = QtWidgets.QHBoxLayout()
        self.enrol_button = look.button(self.text(self.ENROL), "primary", self.panel)
        self.enrol_button.setObjectName("enrol")
        self.enrol_button.clicked.connect(self.enrol)
        row.addWidget(self.enrol_button)
        row.addStretch(1)
        self.form.addLayout(row)
        self.result = OutcomeView(self.panel)
        self.result.setObjectName("enrol_result")
        self.form.addWidget(self.result)
        self.form.addWidget(wrapped(self.text(self.LATER), "second", self.panel))
        self.end_form()
        self.busy = False
        self._looked = False

    def hub_url(self) -> str:
        return self.hub.text().strip()

    def enter(self) -> None:
        if not self._looked:
            self._looked = True
            self.window_.runner.run(self.window_.model.enrolment, self._show_enrolment)

    def _show_enrolment(self, found: tuple[str, str] | None) -> None:
        if found is None:
            self.state.setText(self.text(self.NOT_ENROLLED))
            return
        self.state.setText(look.fill(self.context, self.ENROLLED, found[0], found[1]))
        if not self.hub.text().strip():
            self.hub.setText(found[1])

    def enrol(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.enrol_button.setEnabled(False)
        self.result.show_busy(self.text(self.ENROLLING))
        answers, code = self.window_.answers(), self.code.text().strip()
        self.window_.runner.run(lambda: self.window_.model.enrol(answers, code),
                                self._enrolled, self._failed)

    def _enrolled(self, outcome: Outcome) -> None:
        self.busy = False
        self.enrol_button.setEnabled(True)
        self.result.show_outcome(outcome)
        if outcome.ok:
            self.code.clear()  # used: it cannot be used again
            self._looked = False
            self.enter()

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.enrol_button.setEnabled(True)
        self.result.show_failure(exc)


# -- 4. the network --------------------------------------------------------------------------------


class NetworkPage(Page):
    context = "SetupNetwork"
    title = QT_TRANSLATE_NOOP("SetupNetwork", "4. Network check")
    ABOUT = QT_TRANSLATE_NOOP("SetupNetwork", "Whether the screens can reach the station on "
                                              "this PC, and this PC the county hub.")
    STATION = QT_TRANSLATE_NOOP("SetupNetwork", "Station port")
    DNS = QT_TRANSLATE_NOOP("SetupNetwork", "Name lookup (DNS)")
    HUB = QT_TRANSLATE_NOOP("SetupNetwork", "County hub")
    AGAIN = QT_TRANSLATE_NOOP("SetupNetwork", "Check again")
    CHECKING = QT_TRANSLATE_NOOP("SetupNetwork", "Checking…")

    def __init__(self, window: SetupWindow):
        super().__init__(window)
        names = {"station": self.STATION, "dns": self.DNS, "hub": self.HUB}
        self.form.addWidget(wrapped(self.text(self.ABOUT), "second", self.panel))
        grid = QtWidgets.QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(14)
        grid.setColumnStretch(1, 1)
        self.form.addLayout(grid)
        self.lines: dict[str, OutcomeView] = {}
        for row, (what, source) in enumerate(names.items()):
            zh, en = look.two(self.context, source)
            name = look.label(zh if not en else f"{zh}\n{en}", None, self.panel)
            name.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
            grid.addWidget(name, row, 0)
            view = OutcomeView(self.panel)
            view.setObjectName(f"net_{what}")
            grid.addWidget(view, row, 1)
            self.lines[what] = view
        row_ = QtWidgets.QHBoxLayout()
        self.again = look.button(self.text(self.AGAIN), None, self.panel)
        self.again.setObjectName("check_again")
        self.again.clicked.connect(self.check)
        row_.addWidget(self.again)
        row_.addStretch(1)
        self.form.addLayout(row_)
        self.end_form()
        self.busy = False
        self.checks = 0
        """Checks finished (the screenshot tour waits for one)."""

    def enter(self) -> None:
        self.check()

    def check(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.again.setEnabled(False)
        for view in self.lines.values():
            view.show_busy(self.text(self.CHECKING))
        answers = self.window_.answers()
        self.window_.runner.run(lambda: self.window_.model.check_network(answers),
                                self._checked, self._failed)

    def _checked(self, found: list[NetworkLine]) -> None:
        self.busy = False
        self.again.setEnabled(True)
        self.checks += 1
        for line in found:
            view = self.lines.get(line.what)
            if view is not None:
                view.show_outcome(line.outcome, line.checked)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.again.setEnabled(True)
        self.checks += 1
        for view in self.lines.values():
            view.show_failure(exc)


# -- 5. the summary --------------------------------------------------------------------------------


class SummaryPage(Page):
    context = "SetupSummary"
    fill = True
    title = QT_TRANSLATE_NOOP("SetupSummary", "5. Write the configuration")
    SITE = QT_TRANSLATE_NOOP("SetupSummary", "Site: %1 %2")
    DEVICES = QT_TRANSLATE_NOOP("SetupSummary", "Devices: %1 chosen, %2 tested ok")
    UNTESTED = QT_TRANSLATE_NOOP("SetupSummary", "Not tested or not ok: %1")
    NO_DEVICES = QT_TRANSLATE_NOOP("SetupSummary", "No device is chosen: this PC runs without "
                                                   "devices.")
    ENROLLED = QT_TRANSLATE_NOOP("SetupSummary", "County hub: enrolled with %1")
    NOT_ENROLLED = QT_TRANSLATE_NOOP("SetupSummary", "County hub: not enrolled yet (bianmin "
                                                     "sync enrol)")
    FILE = QT_TRANSLATE_NOOP("SetupSummary", "The file %1 will hold (only what differs from "
                                             "the defaults):")
    PROBLEMS = QT_TRANSLATE_NOOP("SetupSummary", "The configuration cannot be written yet:")
    WRITE = QT_TRANSLATE_NOOP("SetupSummary", "Write the configuration")
    WRITING = QT_TRANSLATE_NOOP("SetupSummary", "Writing…")
    PC_LINE = QT_TRANSLATE_NOOP("SetupSummary", "This PC: %1; station: %2")
    HERE = QT_TRANSLATE_NOOP("SetupSummary", "on this PC")
    PIN_NEW = QT_TRANSLATE_NOOP("SetupSummary", "Technician's PIN: the new one is written "
                                                "(as its hash)")
    PIN_KEPT = QT_TRANSLATE_NOOP("SetupSummary", "Technician's PIN: the current one is kept")
    PIN_NONE = QT_TRANSLATE_NOOP("SetupSummary", "Technician's PIN: none, so the kiosk can be "
                                                 "left only by stopping it (systemctl)")
    APPLYING = QT_TRANSLATE_NOOP("SetupSummary", "Switching this PC's services on…")
    NEXT_STEPS = QT_TRANSLATE_NOOP("SetupSummary", "Run bianmin setup again at any time to "
                                                   "change it; bianmin doctor list shows how "
                                                   "the devices are.")

    def __init__(self, window: SetupWindow):
        super().__init__(window)
        self.facts = wrapped("", None, self.panel)
        self.facts.setObjectName("summary_facts")
        self.form.addWidget(self.facts)
        self.file_note = wrapped("", "second", self.panel)
        self.form.addWidget(self.file_note)
        self.text_view = QtWidgets.QPlainTextEdit(self.panel)
        self.text_view.setObjectName("config_text")
        self.text_view.setReadOnly(True)
        self.text_view.setMinimumHeight(160)
        self.form.addWidget(self.text_view, 1)
        row = QtWidgets.QHBoxLayout()
        self.write_button = look.button(self.text(self.WRITE), "primary", self.panel)
        self.write_button.setObjectName("write")
        self.write_button.clicked.connect(self.write)
        row.addWidget(self.write_button)
        row.addStretch(1)
        self.form.addLayout(row)
        self.result = OutcomeView(self.panel)
        self.result.setObjectName("write_result")
        self.form.addWidget(self.result)
        self.steps = QtWidgets.QVBoxLayout()
        self.steps.setSpacing(4)
        self.form.addLayout(self.steps)
        self.step_views: list[OutcomeView] = []
        """One view per step of switching this PC's services on (after the write)."""
        self.next_steps = wrapped(self.text(self.NEXT_STEPS), "note", self.panel)
        self.next_steps.hide()
        self.form.addWidget(self.next_steps)
        self.busy = False

    def enter(self) -> None:
        window = self.window_
        answers = window.answers()
        problems = window.model.validate(answers)
        site = answers.site
        lines = [look.fill(self.context, self.SITE, site.code, site.name)]
        chosen = [role for role in ROLES if role in answers.devices]
        if chosen:
            tested = window.devices.tested_ok()
            lines.append(look.fill(self.context, self.DEVICES, str(len(chosen)),
                                   str(sum(role in tested for role in chosen))))
            left = [window.devices.role_name(role) for role in chosen if role not in tested]
            if left:
                lines.append(look.fill(self.context, self.UNTESTED, "、".join(left)))
        else:
            lines.append(self.text(self.NO_DEVICES))
        screens = {"none": SitePage.NO_SCREEN, "kiosk": SitePage.KIOSK_SCREEN,
                   "display": SitePage.DISPLAY_SCREEN, "counter": SitePage.COUNTER_SCREEN}
        pc = answers.pc
        lines.append(look.fill(self.context, self.PC_LINE,
                               look.two(SitePage.context, screens.get(pc.screen, pc.screen)),
                               pc.station_url or look.two(self.context, self.HERE)))
        if pc.screen == "kiosk":
            lines.append(self.text(self.PIN_NEW if pc.kiosk_pin else
                                   self.PIN_KEPT if window.model.pin_set() else self.PIN_NONE))
        enrolled = window.model.enrolment() if not window.county.busy else None
        lines.append(look.fill(self.context, self.ENROLLED, enrolled[1]) if enrolled
                     else self.text(self.NOT_ENROLLED))
        self.facts.setText("\n".join(lines))
        if problems:
            self.file_note.setText(self.text(self.PROBLEMS))
            self.text_view.setPlainText("\n".join(f"{p.key}: {p.message}" for p in problems))
            self.write_button.setEnabled(False)
        else:
            self.file_note.setText(look.fill(self.context, self.FILE,
                                             str(window.model.config_path)))
            self.text_view.setPlainText(window.model.config_text(answers))
            self.write_button.setEnabled(not self.busy)

    def write(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.write_button.setEnabled(False)
        self.result.show_busy(self.text(self.WRITING))
        answers = self.window_.answers()
        self.window_.runner.run(lambda: self.window_.model.write(answers), self._written,
                                self._failed)

    def _written(self, outcome: Outcome) -> None:
        self.result.show_outcome(outcome)
        self._show_steps([])
        if not outcome.ok:
            self.busy = False
            self.write_button.setEnabled(True)
            return
        self.window_.written = True
        # then this PC's part: the screen's token, the units switched on and off
        answers = self.window_.answers()
        busy = OutcomeView(self.panel)
        busy.show_busy(self.text(self.APPLYING))
        self.steps.addWidget(busy)
        self.step_views = [busy]
        self.window_.runner.run(lambda: self.window_.model.apply(answers), self._applied,
                                self._apply_failed)

    def _applied(self, outcomes: list[Outcome]) -> None:
        self.busy = False
        self.write_button.setEnabled(True)
        self._show_steps(outcomes)
        self.next_steps.show()

    def _apply_failed(self, exc: BaseException) -> None:
        self.busy = False
        self.write_button.setEnabled(True)
        self._show_steps([failure(exc)])

    def _show_steps(self, outcomes: list[Outcome]) -> None:
        for view in self.step_views:
            self.steps.removeWidget(view)
            view.deleteLater()
        self.step_views = []
        for outcome in outcomes:
            view = OutcomeView(self.panel)
            view.show_outcome(outcome)
            self.steps.addWidget(view)
            self.step_views.append(view)
        self.next_steps.hide()

    @property
    def applied(self) -> list[Outcome]:
        """The steps' outcomes shown (empty while they run)."""
        return [v.outcome for v in self.step_views if v.outcome is not None]

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.write_button.setEnabled(True)
        self.result.show_failure(exc)
