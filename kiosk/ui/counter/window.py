"""The counter window: the status strip on top, the queue panel on the left, and in the
middle the page of the moment (sign-in, acceptance, today's cases, the manager's view),
with a banner for what went wrong and the rating bar under it.

Issue 7, "The counter screen". Every station request and device call runs on the runner
(``ctx.runner.run``) and comes back on the GUI thread; the screen never waits. The station's
refusals and a station that does not answer show their plain words in the banner, which
does not block anything (a clerk with a citizen in front of them keeps working). F1-F9 work
from anywhere in the window (clerks who never leave the keyboard).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from kiosk.client.http import StationUnreachable
from kiosk.counter_ports import ROLES, DeviceStatus
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from . import look
from .context import Clerk, CounterContext
from .help_bar import HelpBar
from .history_view import HistoryView
from .login import LoginPage
from .manager_view import ManagerView
from .queue_model import Action, QueueModel, plain_error
from .queue_panel import QueuePanel
from .rating_flow import RatingBar, RatingFlow, rated_note
from .status_strip import StatusStrip

log = logging.getLogger(__name__)

CONTEXT = "CounterWindow"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
TITLE = QT_TRANSLATE_NOOP("CounterWindow", "Bianmin counter — window %1")
NAV_ACCEPT = QT_TRANSLATE_NOOP("CounterWindow", "Acceptance")
NAV_HISTORY = QT_TRANSLATE_NOOP("CounterWindow", "Today's cases")
NAV_MANAGER = QT_TRANSLATE_NOOP("CounterWindow", "Manager")
SIGN_OUT = QT_TRANSLATE_NOOP("CounterWindow", "Sign out")
SIGNED_OUT = QT_TRANSLATE_NOOP("CounterWindow", "Signed out: the window is paused.")
NO_ACCEPTANCE = QT_TRANSLATE_NOOP("CounterWindow", "The acceptance page is not available in "
                                                   "this build.")
ACCEPTED = QT_TRANSLATE_NOOP("CounterWindow", "Case accepted: receipt %1")
ACCEPTED_OFFLINE = QT_TRANSLATE_NOOP("CounterWindow", "Accepted offline: receipt %1; it goes "
                                                      "to the station when it is back")
DELIVERED = QT_TRANSLATE_NOOP("CounterWindow", "Delivered to the station: %1 kept offline")
DELIVERY_REFUSED = QT_TRANSLATE_NOOP("CounterWindow", "The station refused work kept offline "
                                                      "(%1): %2")
TRANSFER_TITLE = QT_TRANSLATE_NOOP("CounterWindow", "Transfer the ticket")
TO_CATEGORY = QT_TRANSLATE_NOOP("CounterWindow", "To a category")
TO_WINDOW = QT_TRANSLATE_NOOP("CounterWindow", "Or to a window")
WINDOW_N = QT_TRANSLATE_NOOP("CounterWindow", "Window %1")
TRANSFER_NOTE = QT_TRANSLATE_NOOP("CounterWindow", "Note for the next clerk (no personal data)")
TRANSFER = QT_TRANSLATE_NOOP("CounterWindow", "Transfer")
CANCEL = QT_TRANSLATE_NOOP("CounterWindow", "Cancel")
CLOSE = QT_TRANSLATE_NOOP("CounterWindow", "Close")

PAGES = ("login", "acceptance", "history", "manager")
DEVICE_POLL_MS = 5000
"""How often the devices are asked for their state (a replugged reader turns green)."""
BANNER_MS = 20000
"""How long a banner stays unless closed; a newer one replaces it."""
DELIVER_MS = 30000
"""While work kept offline waits, how often the station is tried (besides the event feed
coming back)."""
PORTS = {"id_card_reader": "card_reader", "document_camera": "scanner",
         "receipt_printer": "printer", "rating_terminal": "rating",
         "code_scanner": "code_scanner"}
"""Status-strip role → attribute of :class:`~kiosk.counter_ports.CounterDevices`."""


class Banner(QtWidgets.QFrame):
    """A line of plain words above the page; never modal, closed by hand or by time."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 4, 4)
        self.text = look.label("", None, self)
        self.text.setObjectName("banner_text")
        self.text.setWordWrap(True)
        self.text.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        layout.addWidget(self.text, 1)
        close = look.button(look.inline(CONTEXT, CLOSE), None, self)
        close.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        close.clicked.connect(self.hide)
        layout.addWidget(close)
        self.is_error = False
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def say(self, text: str, error: bool = True) -> None:
        self.is_error = error
        bg, fg = (look.WARN_BG, look.WARN_TEXT) if error else (look.INFO_BG, look.TEXT)
        self.setStyleSheet(f"QFrame#banner {{ background: {bg}; border-bottom: 1px solid "
                           f"{look.LINE}; }} QLabel#banner_text {{ color: {fg}; }}")
        self.text.setText(text)
        self.show()
        self._timer.start(BANNER_MS)


class NoAcceptance(QtWidgets.QWidget):
    """Stands in for the acceptance page while ``acceptance.view`` is absent: same signals
    and methods, and a line saying so."""

    finished = QtCore.Signal(object)
    cancelled = QtCore.Signal()

    def __init__(self, ctx: CounterContext, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.ticket: dict[str, Any] | None = None
        self.begun = False
        layout = QtWidgets.QVBoxLayout(self)
        self.words = look.label(look.inline(CONTEXT, NO_ACCEPTANCE), "second", self)
        self.words.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.words)

    def begin(self, ticket: dict[str, Any] | None) -> None:
        self.ticket, self.begun = ticket, True

    def reset(self) -> None:
        self.ticket, self.begun = None, False


def _scrolled(page: QtWidgets.QWidget, parent: QtWidgets.QWidget) -> QtWidgets.QScrollArea:
    """``page`` in a frameless scroll area: a page taller than the room left (a banner or the
    rating bar takes some of it) scrolls rather than push the window past a 1366×768
    screen, and one page's height never makes another scroll."""
    area = QtWidgets.QScrollArea(parent)
    area.setObjectName(f"page_{type(page).__name__}")
    area.setProperty("role", "page")
    area.setWidgetResizable(True)
    area.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(page)
    return area


def acceptance_view(ctx: CounterContext, parent: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """The acceptance page (``kiosk.ui.counter.acceptance.view.AcceptanceView``), or the
    stand-in while it is absent."""
    try:
        from .acceptance.view import AcceptanceView
    except ImportError as exc:
        log.warning("counter: no acceptance page (%s)", exc)
        return NoAcceptance(ctx, parent)
    made: QtWidgets.QWidget = AcceptanceView(ctx, parent)
    return made


class TransferDialog(QtWidgets.QDialog):
    """Where the ticket goes: a category or a window, and a note. Opened with ``open()``
    (window-modal, no nested event loop); ``chosen(category, window, note)`` on accept."""

    chosen = QtCore.Signal(object, object, str)

    def __init__(self, model: QueueModel, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("transfer_dialog")
        self.setWindowTitle(look.inline(CONTEXT, TRANSFER_TITLE))
        self.setMinimumWidth(560)
        layout = QtWidgets.QVBoxLayout(self)
        self.group = QtWidgets.QButtonGroup(self)
        self.group.setExclusive(True)
        self.targets: dict[int, tuple[str | None, str | None]] = {}
        layout.addWidget(look.label(look.inline(CONTEXT, TO_CATEGORY), "second", self))
        grid = QtWidgets.QGridLayout()
        layout.addLayout(grid)
        for i, category in enumerate(model.categories):
            self._target(grid, i, f"{category.prefix} {category.name}", (category.prefix, None),
                         f"transfer_category_{category.prefix}")
        layout.addWidget(look.label(look.inline(CONTEXT, TO_WINDOW), "second", self))
        grid = QtWidgets.QGridLayout()
        layout.addLayout(grid)
        zh, _en = look.two(CONTEXT, WINDOW_N)
        others = [w for w in model.windows if w != model.window]
        for i, number in enumerate(others):
            self._target(grid, i, zh.replace("%1", number), (None, number),
                         f"transfer_window_{number}")
        self.note = QtWidgets.QLineEdit(self)
        self.note.setObjectName("transfer_note")
        self.note.setMaxLength(200)
        self.note.setMinimumHeight(look.TOUCH_PX)
        self.note.setPlaceholderText(look.inline(CONTEXT, TRANSFER_NOTE))
        layout.addWidget(self.note)
        row = QtWidgets.QHBoxLayout()
        cancel = look.button(look.inline(CONTEXT, CANCEL), None, self)
        cancel.clicked.connect(self.reject)
        self.ok = look.button(look.inline(CONTEXT, TRANSFER), "primary", self)
        self.ok.setObjectName("transfer_ok")
        self.ok.setEnabled(False)
        self.ok.clicked.connect(self._accept)
        row.addWidget(cancel)
        row.addStretch(1)
        row.addWidget(self.ok)
        layout.addLayout(row)
        self.group.idClicked.connect(lambda _id: self.ok.setEnabled(True))

    def _target(self, grid: QtWidgets.QGridLayout, i: int, text: str,
                target: tuple[str | None, str | None], name: str) -> None:
        made = look.button(text, None, self)
        made.setObjectName(name)
        made.setCheckable(True)
        made.setStyleSheet(f"QPushButton:checked {{ background: {look.PRIMARY}; "
                           "color: white; }")
        ident = len(self.targets)
        self.group.addButton(made, ident)
        self.targets[ident] = target
        grid.addWidget(made, i // 4, i % 4)

    def _accept(self) -> None:
        category, window = self.targets[self.group.checkedId()]
        self.chosen.emit(category, window, self.note.text().strip())
        self.accept()


class CounterWindow(QtWidgets.QWidget):
    """The whole counter screen for one window.

    :param ctx: the client, the runner, the devices and the window (``kiosk.ui.counter``).
    :param poll_devices: ask the devices for their state every few seconds (tests turn it
        off to count calls).
    :param acceptance: makes the acceptance page (default :func:`acceptance_view`).
    """

    def __init__(self, ctx: CounterContext, parent: QtWidgets.QWidget | None = None,
                 poll_devices: bool = True,
                 acceptance: Callable[[CounterContext, QtWidgets.QWidget],
                                      QtWidgets.QWidget] | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("counter")
        self.setStyleSheet(look.stylesheet())
        self.setWindowTitle(look.fill(CONTEXT, TITLE, ctx.window))
        self.model = QueueModel(ctx.window, ctx.mode, window_name=ctx.window_name)

        outer = QtWidgets.QVBoxLayout(self)
        # the window keeps the size it is given (the screen's): word-wrapped text asks for
        # more width when height is short, and the default constraint then widened the
        # window past a 1366×768 screen (1848 px after a rating); the pages scroll instead
        outer.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.strip = StatusStrip(ctx.window, ctx.window_name, ctx.mode, self)
        outer.addWidget(self.strip)
        body = QtWidgets.QHBoxLayout()
        body.setSpacing(0)
        outer.addLayout(body, 1)
        self.panel = QueuePanel(self.model, self)
        body.addWidget(self.panel)
        centre = QtWidgets.QVBoxLayout()
        centre.setSpacing(0)
        body.addLayout(centre, 1)

        self.nav = QtWidgets.QFrame(self)
        self.nav.setObjectName("nav")
        self.nav.setStyleSheet(f"QFrame#nav {{ background: {look.PANEL}; "
                               f"border-bottom: 1px solid {look.LINE}; }}")
        nav = QtWidgets.QHBoxLayout(self.nav)
        nav.setContentsMargins(8, 0, 8, 0)
        self.nav_group = QtWidgets.QButtonGroup(self)
        self.nav_buttons: dict[str, QtWidgets.QPushButton] = {}
        for page, source in (("acceptance", NAV_ACCEPT), ("history", NAV_HISTORY),
                             ("manager", NAV_MANAGER)):
            made = look.button(look.inline(CONTEXT, source), "nav", self.nav)
            made.setObjectName(f"nav_{page}")
            made.setCheckable(True)
            made.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            made.clicked.connect(lambda _=False, p=page: self.show_page(p))
            self.nav_group.addButton(made)
            self.nav_buttons[page] = made
            nav.addWidget(made)
        nav.addStretch(1)
        self.sign_out_button = look.button(look.inline(CONTEXT, SIGN_OUT), None, self.nav)
        self.sign_out_button.setObjectName("sign_out")
        self.sign_out_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.sign_out_button.clicked.connect(self.sign_out)
        nav.addWidget(self.sign_out_button)
        centre.addWidget(self.nav)
        self.banner = Banner(self)
        centre.addWidget(self.banner)
        self.help_bar = HelpBar(ctx, self)
        centre.addWidget(self.help_bar)

        self.stack = QtWidgets.QStackedWidget(self)
        self.stack.setObjectName("pages")
        centre.addWidget(self.stack, 1)
        self.login = LoginPage(ctx, self.stack)
        self.acceptance = (acceptance or acceptance_view)(ctx, self.stack)
        self.history = HistoryView(ctx, self.stack)
        self.manager = ManagerView(ctx, self.stack)
        for page in (self.login, self.acceptance, self.history, self.manager):
            self.stack.addWidget(_scrolled(page, self.stack))
        self.rating = RatingFlow(ctx, self)
        self.rating_bar = RatingBar(self.rating, self)
        centre.addWidget(self.rating_bar)

        self.login.signed_in.connect(self.on_login_signed_in)
        self.panel.action_triggered.connect(self.do)
        self.panel.resume_requested.connect(self.resume)
        self.strip.hint_requested.connect(lambda text: self.banner.say(text, error=False))
        self.history.message.connect(self.banner.say)
        self.manager.message.connect(self.banner.say)
        self.rating.noted.connect(self.strip.set_note)
        self.rating.pad_status.connect(self.strip.set_device)
        self.rating.rated.connect(self._on_rating_rated)
        finished = getattr(self.acceptance, "finished", None)
        cancelled = getattr(self.acceptance, "cancelled", None)
        if finished is not None:
            finished.connect(self.on_acceptance_finished)
        if cancelled is not None:
            cancelled.connect(self.on_acceptance_cancelled)
        self.shortcuts = []
        for action in Action:
            shortcut = QtGui.QShortcut(QtGui.QKeySequence(action.key), self)
            shortcut.setContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(lambda a=action: self.do(a))
            self.shortcuts.append(shortcut)

        for problem in ctx.devices.problems.values():
            self.strip.set_device(problem)
        self._device_timer = QtCore.QTimer(self)
        self._device_timer.setInterval(DEVICE_POLL_MS)
        self._device_timer.timeout.connect(self.poll_devices)
        self._polling = False
        if poll_devices:
            self._device_timer.start()
            self.poll_devices()
        self._delivering = False
        self._deliver_timer = QtCore.QTimer(self)
        self._deliver_timer.setInterval(DELIVER_MS)
        self._deliver_timer.timeout.connect(self.deliver)
        if ctx.offline is not None:
            post = ctx.runner.post
            ctx.offline.changed = lambda: post(self._show_waiting)
            self._show_waiting()
        self._signed_out()
        self.login.reset()

    # -- the station's events (already on the GUI thread)

    def on_feed_event(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "hello":
            self._site_code(frame)
        if str(frame.get("type", "")).startswith("help."):
            self.help_bar.on_event(frame)
            return
        try:
            self.model.apply(frame)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("counter: skipped a %r frame that does not fit the contract (%s)",
                        str(frame.get("type"))[:40], type(exc).__name__)
            return
        self.panel.refresh()

    def on_feed_state(self, state: Any, reason: str) -> None:
        value = getattr(state, "value", state)
        self.model.live = value == "live"
        if value == "live":
            self.strip.set_station(True)
        elif value == "connecting":
            self.strip.set_station(None, reason)
        else:
            self.strip.set_station(False, reason)
        offline = self.ctx.offline
        if offline is not None and value != "connecting":
            # the feed lost the station: the next requests go local at once (no timeouts)
            offline.station_down = value != "live"
            if value == "live":
                self.deliver()
        self.panel.refresh()

    def _site_code(self, frame: dict[str, Any]) -> None:
        """The station's own site code (it accepts offline receipt numbers only with it)."""
        status = frame.get("status")
        site = status.get("site") if isinstance(status, dict) else None
        code = site.get("code") if isinstance(site, dict) else None
        if isinstance(code, str) and code:
            self.ctx.site_code = code
            if self.ctx.offline is not None:
                self.ctx.offline.site_code = code

    # -- work kept offline (home_visit, agent)

    def deliver(self) -> None:
        """Send the work kept offline, on the runner; the strip's count goes down, and a job
        the station refused is named in the banner with the station's words."""
        offline = self.ctx.offline
        if offline is None or self._delivering:
            return
        if offline.waiting == 0:
            self._show_waiting()
            return
        self._delivering = True
        client = self.ctx.client

        def done(delivery: Any) -> None:
            self._delivering = False
            self._delivered(delivery)

        def failed(exc: BaseException) -> None:
            self._delivering = False
            log.warning("counter: delivering the offline work failed (%s)", type(exc).__name__)
            self.banner.say(plain_error(exc), error=True)
            self._show_waiting()

        self.ctx.runner.run(lambda: offline.deliver(client), done, failed)

    def _delivered(self, delivery: Any) -> None:
        if delivery.unreachable:
            self.strip.set_station(False, self.strip.reason)
        elif (delivery.delivered or delivery.refused) and self.strip.reachable is False:
            self.strip.set_station(True)  # it answered: it is there
        if delivery.refused:
            job, words = delivery.refused[0]
            what = str(job.body.get("receipt_no") or job.kind)
            self.banner.say(look.fill(CONTEXT, DELIVERY_REFUSED, what, words), error=True)
        elif delivery.delivered:
            cases = [str(j.body.get("receipt_no")) for j in delivery.delivered
                     if j.kind == "case"]
            what = ", ".join(cases) if cases else str(len(delivery.delivered))
            self.banner.say(look.fill(CONTEXT, DELIVERED, what), error=False)
        self._show_waiting()

    def _show_waiting(self) -> None:
        offline = self.ctx.offline
        if offline is None:
            return
        try:
            waiting = offline.waiting
        except OSError:  # the folder went away: the count is unknown, nothing is lost here
            waiting = 0
        self.strip.set_waiting(waiting)
        if waiting and not self._deliver_timer.isActive():
            self._deliver_timer.start()
        elif not waiting:
            self._deliver_timer.stop()

    # -- pages

    def show_page(self, page: str) -> None:
        self.stack.setCurrentIndex(PAGES.index(page))
        if page in self.nav_buttons:
            self.nav_buttons[page].setChecked(True)
        if page == "history":
            self.history.refresh()
        elif page == "manager":
            self.manager.refresh()

    @property
    def page(self) -> str:
        return PAGES[self.stack.currentIndex()]

    # -- signing in and out

    def on_login_signed_in(self, answer: dict[str, Any]) -> None:
        self.ctx.clerk = Clerk(str(answer["clerk"]), str(answer["name"]))
        self.ctx.extra["manager"] = bool(answer.get("manager"))
        self.model.signed_in = True
        self.strip.set_clerk(self.ctx.clerk.name)
        self.nav.setVisible(True)
        self.nav_buttons["manager"].setVisible(self.ctx.extra["manager"])
        self.rating.after_login()
        self.show_page("acceptance")
        self.panel.refresh()

    def sign_out(self) -> None:
        """The screen locks at once; the station pauses the window (if it answers)."""
        window = self.ctx.window
        self._reset_acceptance()
        self.rating.forget()
        self._signed_out()
        self.login.reset(look.inline(CONTEXT, SIGNED_OUT))
        self.ctx.runner.run(lambda: self.ctx.client.logout(window), self._window_answer,
                            self.show_error)

    def _signed_out(self) -> None:
        self.ctx.clerk = None
        self.ctx.extra.pop("manager", None)
        self.model.signed_in = False
        self.model.busy = False
        self.strip.set_clerk(None)
        self.nav.setVisible(False)
        self.stack.setCurrentIndex(PAGES.index("login"))
        self.panel.refresh()

    # -- the queue

    def do(self, action: Action) -> None:
        """An F-key or a queue button: only what the model allows now."""
        if not self.model.allowed(action):
            return
        client, window = self.ctx.client, self.ctx.window
        if action is Action.CALL:
            self._queue(lambda: client.call(window), self._ticket_answer)
        elif action is Action.RECALL:
            self._queue(lambda: client.recall(window), self._ticket_answer)
        elif action is Action.NO_SHOW:
            self._queue(lambda: client.no_show(window), self._ticket_answer)
        elif action is Action.START:
            if self.model.current_status == "called":
                self._queue(lambda: client.start(window), self._started)
            else:
                self._begin(self.model.current)
        elif action is Action.TRANSFER:
            self._ask_transfer()
        elif action is Action.PARK:
            self._queue(lambda: client.park(window), self._parked)
        elif action is Action.FINISH:
            self._queue(lambda: client.finish(window), self._finished)
        elif action is Action.PAUSE_OPEN:
            state = "open" if self.model.pause_means_open else "paused"
            clerk = self.ctx.clerk.id if self.ctx.clerk else None
            self._queue(lambda: client.window_state(window, state, clerk), self._window_answer)
        elif action is Action.WALK_IN:
            self._begin(None)

    def resume(self, number: str) -> None:
        if not self.model.may_resume():
            return
        client, window = self.ctx.client, self.ctx.window
        self._queue(lambda: client.resume(window, number), self._ticket_answer)

    def _queue(self, fn: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.model.busy = True
        self.panel.refresh()

        def answered(answer: Any) -> None:
            self.model.busy = False
            if self.strip.reachable is False:  # it answered: it is there
                self.strip.set_station(True)
            done(answer)
            self.panel.refresh()

        def refused(exc: BaseException) -> None:
            self.model.busy = False
            self.show_error(exc)
            self.panel.refresh()

        self.ctx.runner.run(fn, answered, refused)

    def _ticket_answer(self, ticket: dict[str, Any]) -> None:
        self.model.apply_ticket(ticket)

    def _window_answer(self, window: Any) -> None:
        if isinstance(window, dict) and "state" in window:
            self.model.apply_window(window)
            self.panel.refresh()

    def _started(self, ticket: dict[str, Any]) -> None:
        self.model.apply_ticket(ticket)
        self._begin(self.model.current)

    def _parked(self, ticket: dict[str, Any]) -> None:
        self.model.apply_ticket(ticket)
        self._reset_acceptance()  # the citizen fetches a paper; the page starts afresh

    def _finished(self, ticket: dict[str, Any]) -> None:
        self.model.apply_ticket(ticket)
        self._reset_acceptance()
        if not self.rating.rated_already(ticket):
            self.rating.ask(ticket, None)

    def _ask_transfer(self) -> None:
        dialog = TransferDialog(self.model, self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.chosen.connect(self._transfer)
        # the F-keys are the window's shortcuts: it must be the active window again
        dialog.finished.connect(lambda _result: self.activateWindow())
        dialog.open()

    def _transfer(self, category: str | None, to_window: str | None, note: str) -> None:
        client, window = self.ctx.client, self.ctx.window
        kwargs: dict[str, Any] = {"category": category, "to_window": to_window}
        if note and "note" in inspect.signature(client.transfer).parameters:
            kwargs["note"] = note  # kept only by a station that takes a transfer's note

        def sent(ticket: dict[str, Any]) -> None:
            self.model.apply_ticket(ticket)
            self._reset_acceptance()

        self._queue(lambda: client.transfer(window, **kwargs), sent)

    # -- the acceptance page

    def _begin(self, ticket: dict[str, Any] | None) -> None:
        begin = getattr(self.acceptance, "begin", None)
        if begin is None:
            return
        begin(dict(ticket) if ticket is not None else None)
        self.model.accepting = True
        self.show_page("acceptance")
        self.panel.refresh()

    def _reset_acceptance(self) -> None:
        reset = getattr(self.acceptance, "reset", None)
        if reset is not None and self.model.accepting:
            reset()
        self.model.accepting = False

    def on_acceptance_finished(self, case: Any) -> None:
        self.model.accepting = False
        case = case if isinstance(case, dict) else {}
        if case.get("receipt_no"):
            words = ACCEPTED_OFFLINE if case.get("offline") else ACCEPTED
            self.banner.say(look.fill(CONTEXT, words, str(case["receipt_no"])), error=False)
        self.rating.ask(self.model.current, case)
        self.panel.refresh()

    def on_acceptance_cancelled(self) -> None:
        self.model.accepting = False
        self.panel.refresh()

    def _on_rating_rated(self, result: Any) -> None:
        if isinstance(result, dict) and result.get("rectification"):
            self.banner.say(rated_note(result), error=True)  # the deadline, in sight

    # -- devices

    def poll_devices(self) -> None:
        """Ask every device for its state, off the GUI thread; the strip shows the answers."""
        if self._polling:
            return
        self._polling = True
        devices = self.ctx.devices

        def ask() -> list[DeviceStatus | None]:
            found: list[DeviceStatus | None] = []
            for role in ROLES:
                port = getattr(devices, PORTS[role])
                if port is None:
                    found.append(devices.problems.get(role))
                    continue
                try:
                    found.append(port.status())
                except Exception as exc:  # a port must not raise; if one does, say so
                    found.append(DeviceStatus(role, False, type(exc).__name__))
            return found

        def show(found: list[DeviceStatus | None]) -> None:
            self._polling = False
            for role, status in zip(ROLES, found, strict=True):
                if status is None:
                    self.strip.chips[role].show_status(None)
                else:
                    self.strip.set_device(DeviceStatus(role, status.ok, status.message,
                                                       status.hint))

        def failed(exc: BaseException) -> None:
            self._polling = False
            log.warning("counter: asking the devices failed (%s)", type(exc).__name__)

        self.ctx.runner.run(ask, show, failed)

    def stop(self) -> None:
        self._device_timer.stop()
        self._deliver_timer.stop()

    # -- errors

    def show_error(self, exc: BaseException) -> None:
        """The station's words in the banner; an unreachable station also on the strip."""
        if isinstance(exc, StationUnreachable):
            self.strip.set_station(False, plain_error(exc))
        self.banner.say(plain_error(exc), error=True)
