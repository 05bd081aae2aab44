"""The wizard's window: the steps across the top, the page of the moment, Back and Next
at the bottom (large, for a touch screen). Next asks the page whether it is ready (the
site's answers are checked as the configuration schema checks them); the pages can be
visited in any order with Back, and nothing is written before the last page's button."""

from __future__ import annotations

from kiosk.setup_wizard.ports import Answers, SetupPort
from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtGui, QtWidgets
from kiosk.ui.runner import Runner

from .common import stylesheet
from .devices_page import DevicesPage
from .pages import CountyPage, NetworkPage, Page, SitePage, SummaryPage

QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
CONTEXT = "SetupWizard"
TITLE = QT_TRANSLATE_NOOP("SetupWizard", "Bianmin setup")
STEPS = (
    QT_TRANSLATE_NOOP("SetupWizard", "Site"),
    QT_TRANSLATE_NOOP("SetupWizard", "County"),
    QT_TRANSLATE_NOOP("SetupWizard", "Devices"),
    QT_TRANSLATE_NOOP("SetupWizard", "Network"),
    QT_TRANSLATE_NOOP("SetupWizard", "Finish"),
)
BACK = QT_TRANSLATE_NOOP("SetupWizard", "Back")
NEXT = QT_TRANSLATE_NOOP("SetupWizard", "Next")
CLOSE = QT_TRANSLATE_NOOP("SetupWizard", "Close")
QUIT = QT_TRANSLATE_NOOP("SetupWizard", "Quit")
UNSAVED = QT_TRANSLATE_NOOP("SetupWizard", "The configuration has not been written. Quit "
                                           "anyway?")
QUIT_ANYWAY = QT_TRANSLATE_NOOP("SetupWizard", "Quit without writing")
STAY = QT_TRANSLATE_NOOP("SetupWizard", "Stay")


def arrowed(source: str, form: str) -> str:
    """"上一步 / Back" with an arrow once, on the side it points to (``form``: "◀ %1")."""
    return form.replace("%1", look.inline(CONTEXT, source))


class SetupWindow(QtWidgets.QWidget):
    """The wizard over ``model``.

    :param runner: where blocking calls run (default: a runner of its own).
    :param ask_before_quit: ask before closing when nothing was written (off for the
        screenshot tour and tests: nobody is there to answer).
    """

    def __init__(self, model: SetupPort, runner: Runner | None = None, *,
                 ask_before_quit: bool = True):
        super().__init__()
        self.setObjectName("setup")
        self.setStyleSheet(stylesheet())
        self.setWindowTitle(look.inline(CONTEXT, TITLE))
        self.model = model
        self.runner = runner or Runner(self, workers=4, name="setup")
        self.ask_before_quit = ask_before_quit
        self.written = False
        """The configuration was written (the command's exit status)."""
        self._closed = False
        start = model.answers()

        outer = QtWidgets.QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        top = QtWidgets.QFrame(self)
        top.setProperty("role", "panel")
        header = QtWidgets.QHBoxLayout(top)
        header.setContentsMargins(24, 4, 24, 0)
        zh, en = look.two(CONTEXT, TITLE)
        header.addWidget(look.label(zh, "title", top), 0, QtCore.Qt.AlignmentFlag.AlignVCenter)
        if en:
            header.addWidget(look.label(en, "second", top), 0,
                             QtCore.Qt.AlignmentFlag.AlignVCenter)
        header.addStretch(1)
        self.steps: list[QtWidgets.QLabel] = []
        for number, source in enumerate(STEPS, 1):
            zh, en = look.two(CONTEXT, source)
            step = look.label(f"{number} {zh} {en}".rstrip(), "step", top)
            step.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            header.addWidget(step)
            self.steps.append(step)
        outer.addWidget(top)

        self.stack = QtWidgets.QStackedWidget(self)
        self.stack.setObjectName("pages")
        outer.addWidget(self.stack, 1)
        self.site = SitePage(self, start)
        self.county = CountyPage(self, start)
        self.devices = DevicesPage(self, start)
        self.network = NetworkPage(self)
        self.summary = SummaryPage(self)
        self.pages: list[Page] = [self.site, self.county, self.devices, self.network,
                                  self.summary]
        for page in self.pages:
            self.stack.addWidget(page)

        bottom = QtWidgets.QFrame(self)
        bottom.setProperty("role", "panel")
        nav = QtWidgets.QHBoxLayout(bottom)
        nav.setContentsMargins(24, 8, 24, 8)
        self.quit_button = look.button(look.inline(CONTEXT, QUIT), None, bottom)
        self.quit_button.setObjectName("quit")
        self.quit_button.setMinimumWidth(160)
        self.quit_button.clicked.connect(self.close)
        nav.addWidget(self.quit_button)
        nav.addStretch(1)
        self.back_button = look.button(arrowed(BACK, "◀ %1"), None, bottom)
        self.back_button.setObjectName("back")
        self.back_button.setMinimumWidth(200)
        self.back_button.clicked.connect(self.back)
        nav.addWidget(self.back_button)
        self.next_button = look.button(arrowed(NEXT, "%1 ▶"), "primary", bottom)
        self.next_button.setObjectName("next")
        self.next_button.setMinimumWidth(200)
        self.next_button.clicked.connect(self.next)
        nav.addWidget(self.next_button)
        outer.addWidget(bottom)
        self.index = -1
        self.go_to(0)

    def answers(self) -> Answers:
        """Every page's answers as they stand."""
        return Answers(site=self.site.collect(), devices=self.devices.collect(),
                       hub_url=self.county.hub_url(), pc=self.site.collect_pc())

    def go_to(self, index: int) -> None:
        if index == self.index or not 0 <= index < len(self.pages):
            return
        if self.index >= 0:
            self.pages[self.index].leave()
        self.index = index
        self.stack.setCurrentIndex(index)
        for n, step in enumerate(self.steps):
            look.set_role(step, "step_now" if n == index else
                          "step_done" if n < index else "step")
        self.back_button.setEnabled(index > 0)
        last = index == len(self.pages) - 1
        self.next_button.setText(look.inline(CONTEXT, CLOSE) if last else arrowed(NEXT, "%1 ▶"))
        self.pages[index].enter()

    def next(self) -> None:
        if self.index == len(self.pages) - 1:
            self.close()
        elif self.pages[self.index].ready():
            self.go_to(self.index + 1)

    def back(self) -> None:
        self.go_to(self.index - 1)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self._closed and self.ask_before_quit and not self.written and not self._quit():
            event.ignore()
            return
        self.shut_down()
        event.accept()

    def _quit(self) -> bool:
        box = QtWidgets.QMessageBox(self)
        box.setIcon(QtWidgets.QMessageBox.Icon.Question)
        box.setWindowTitle(look.inline(CONTEXT, TITLE))
        box.setText(look.lines(CONTEXT, UNSAVED))
        leave = box.addButton(look.inline(CONTEXT, QUIT_ANYWAY),
                              QtWidgets.QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(look.inline(CONTEXT, STAY), QtWidgets.QMessageBox.ButtonRole.RejectRole)
        box.exec()
        return box.clickedButton() is leave

    def shut_down(self) -> None:
        """Stop the camera preview and the runner (tests running finish on their own
        threads and close their devices)."""
        if self._closed:
            return
        self._closed = True
        if self.index >= 0:
            self.pages[self.index].leave()
        self.devices.close_page()
        self.runner.close(wait=False)
