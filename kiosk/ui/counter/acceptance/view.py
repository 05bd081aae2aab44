"""The acceptance page (一窗受理, issue 7 "CounterAcceptance" and "Submit"): who applies, what for,
the checklist with each material captured, waived or deferred, then submit and print.

Three columns at the counter's 1366×768: the applicant and the items on the left, the
checklist with the fees, the promised date and the buttons in the middle, the chosen
material (the camera's preview and the page strip, or its 免提交 / 容缺 details) on the right.

The page never waits: station requests and printing run on ``ctx.runner`` and come back on
the GUI thread; device callbacks (a card placed, a frame, a page, a code scanned) come from
the devices' threads through ``ctx.runner.post``. The checklist is the station's: after each
change the draft is previewed (``POST /v1/cases/preview``, debounced) and the answer replaces
the list. The full name and number exist only in the :class:`~.draft.Draft`, in memory;
:meth:`AcceptanceView.reset` forgets them with the pages.
"""

from __future__ import annotations

import dataclasses
import logging
import weakref
from collections.abc import Callable
from typing import Any

from kiosk.client.http import StationError
from kiosk.counter_ports import CardRead, DeviceStatus, Printed
from kiosk.ui.counter import look
from kiosk.ui.counter.context import CounterContext
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from . import flow
from .applicant import (
    CARD_CHECK_FAILED,
    CARD_READ,
    NO_READER,
    PLACE_CARD,
    READER_PROBLEM,
    ApplicantPanel,
)
from .capture import CapturePanel
from .checklist import CHOOSE_FIRST, READY, ChecklistView
from .dialogs import ConfirmBar, SubmitPanel
from .draft import DEFER, Draft
from .items import ItemPicker
from .material import MaterialPanel
from .receipt import commitment_facts, facts_from_case

log = logging.getLogger(__name__)
Qt = QtCore.Qt
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
CTX = "CounterAcceptance"
SCREEN = "counter.acceptance"
"""The screen's name in the audit log."""
NOTICE_MS = 6000
"""How long a passing word stays at the top of the page (twice as long for a warning)."""
PREVIEW_DELAY_MS = 300
"""Quiet time after the last change before the draft is previewed (typing a name is one
preview, not one per character)."""

TITLE = QT_TRANSLATE_NOOP("CounterAcceptance", "Acceptance")
WALK_IN = QT_TRANSLATE_NOOP("CounterAcceptance", "Walk-in")
TICKET = QT_TRANSLATE_NOOP("CounterAcceptance", "Ticket %1")
ACCEPT = QT_TRANSLATE_NOOP("CounterAcceptance", "Accept")
CANCEL = QT_TRANSLATE_NOOP("CounterAcceptance", "Cancel")
PROBLEMS_N = QT_TRANSLATE_NOOP("CounterAcceptance", "%1 to fix")
CHECK_FAILED = QT_TRANSLATE_NOOP("CounterAcceptance", "The checklist could not be checked")
CODE_UNUSED = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "A code was scanned, but the material shown does not need one: choose the "
    "e-licence material and its Waive first")
CODE_TAKEN = QT_TRANSLATE_NOOP("CounterAcceptance", "E-licence code scanned")
COMMITMENT_PRINTED = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "Printed: let the applicant sign it, then tick Commitment signed")
APPLICANT_FIRST = QT_TRANSLATE_NOOP(
    "CounterAcceptance", "Enter the applicant first: the commitment carries their name")
OFFLINE_NOTE = "离线受理，回站后上传 / accepted offline, to be delivered"
"""Printed with the site's name on a receipt made with no station (the station gets the
case when the counter is back in reach; the number on the paper is already its own)."""
MODE_WORDS = {
    "agent": QT_TRANSLATE_NOOP("CounterAcceptance", "Agent service (帮办代办)"),
    "home_visit": QT_TRANSLATE_NOOP("CounterAcceptance", "Home visit (上门服务)"),
}

STYLE = "\n".join([
    "QLabel[role=\"strong\"] { font-weight: bold; }",
    f"QLabel[role=\"good\"] {{ color: {look.GOOD}; font-size: {look.SMALL_PX}px; }}",
    f"QLabel[role=\"info\"] {{ background: {look.INFO_BG}; border-radius: 6px; "
    "padding: 6px 10px; }",
    f"QLabel[role=\"warn\"] {{ background: {look.WARN_BG}; color: {look.WARN_TEXT}; "
    "border-radius: 6px; padding: 6px 10px; }",
    f"QLabel[role=\"bad\"] {{ background: {look.BAD}; color: white; border-radius: 6px; "
    "padding: 4px 8px; }",
    f"QLabel#badge[role=\"good\"] {{ background: {look.GOOD}; color: white; "
    "border-radius: 6px; padding: 4px 8px; font-size: 16px; }",
    "QLabel#badge[role=\"info\"] { padding: 4px 8px; font-size: 16px; }",
    "QLabel#badge[role=\"warn\"] { padding: 4px 8px; font-size: 16px; }",
    f"QLabel#badge[role=\"second\"] {{ border: 1px solid {look.LINE}; border-radius: 6px; "
    "padding: 4px 8px; }",
    "QLabel#badge[role=\"bad\"] { padding: 4px 8px; font-size: 16px; }",
    f"QLabel#strip_empty {{ border: 2px dashed {look.LINE}; border-radius: 8px; }}",
    f"QLabel#notice {{ font-size: {look.SMALL_PX}px; }}",
    "QScrollArea, QWidget#who_and_what_inner { background: transparent; }",
    f"QFrame[role=\"info_box\"] {{ background: {look.INFO_BG}; border-radius: 8px; }}",
    f"QFrame[role=\"warn_box\"] {{ background: {look.WARN_BG}; border-radius: 8px; }}",
    "QFrame[role=\"error_box\"] { background: #fde8e8; border-radius: 8px; }",
    f"QFrame[role=\"chosen\"] {{ background: {look.INFO_BG}; border-radius: 6px; }}",
    "QPushButton[role=\"segment\"] { border-radius: 0; }",
    f"QPushButton[role=\"segment\"]:checked {{ background: {look.PRIMARY}; color: white; "
    f"border-color: {look.PRIMARY}; font-weight: bold; }}",
    f"QPushButton[role=\"segment\"]:disabled {{ background: {look.DISABLED_BG}; "
    f"color: {look.DISABLED_TEXT}; }}",
    f"QListWidget {{ background: {look.PANEL}; border: 1px solid {look.LINE}; "
    "border-radius: 6px; }",
    f"QListWidget#checklist::item, QListWidget#item_results::item {{ border-bottom: 1px solid "
    f"{look.LINE}; }}",
    f"QListWidget::item:selected {{ background: {look.INFO_BG}; color: {look.TEXT}; }}",
    f"QListWidget#checklist::item:selected {{ background: {look.INFO_BG}; "
    f"border-left: 5px solid {look.PRIMARY}; }}",
    f"QDateEdit {{ min-height: {look.TOUCH_PX - 12}px; font-size: {look.TEXT_PX}px; }}",
    f"QComboBox#agent_relationship {{ min-height: {look.TOUCH_PX - 12}px; }}",
])


class Column(QtWidgets.QFrame):
    """A column of the page. Its wrapped labels do not ask for height by width: that would
    let a narrow moment of the layout make the whole page taller than the screen; the
    column keeps its own minimum and the labels wrap within it."""

    def __init__(self, parent: QtWidgets.QWidget, name: str):
        super().__init__(parent)
        self.setObjectName(name)
        self.setProperty("role", "panel")

    def hasHeightForWidth(self) -> bool:
        return False


def _panel(parent: QtWidgets.QWidget, name: str) -> QtWidgets.QFrame:
    return Column(parent, name)


class AcceptanceView(QtWidgets.QWidget):
    """The acceptance page. ``begin(ticket)`` starts a case (a called ticket, or None for a
    walk-in); ``finished(answer)`` after the case is accepted and its papers printed (or the
    clerk carried on past a printer problem); ``cancelled`` when the clerk discards it. Both
    come after :meth:`reset`: the page is empty again."""

    finished = QtCore.Signal(object)
    cancelled = QtCore.Signal()

    def __init__(self, ctx: CounterContext, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("acceptance")
        self.setStyleSheet(STYLE)
        self.ctx = ctx
        self.draft = Draft(window=ctx.window, mode=ctx.mode)
        self._busy = False
        self._preview_seq = 0
        self._answer: dict[str, Any] | None = None
        self._facts = None
        self._failed_papers: tuple[str, ...] = ()
        self._catalogue_loading = False
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._preview)
        self._quiet = QtCore.QTimer(self)
        self._quiet.setSingleShot(True)
        self._quiet.setInterval(NOTICE_MS)
        self._quiet.timeout.connect(lambda: self._say(""))
        self._build()
        self._connect_devices()
        self.reset()

    # --- building --------------------------------------------------------------------------------

    def _build(self) -> None:
        ctx = self.ctx
        zh, en = look.two(CTX, TITLE)
        self.title = look.label(f"{zh}  <span style='color:{look.SECOND}; font-size:"
                                f"{look.SMALL_PX}px; font-weight:normal'>{en}</span>",
                                "title", self)
        self.ticket = look.label("", "strong", self)
        self.ticket.setObjectName("ticket_label")
        self.notice = look.label("", "info", self)
        self.notice.setObjectName("notice")
        # one line that takes the width there is: a wrapped label in a row of the page's
        # header would make the page taller than the screen
        self.notice.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                  QtWidgets.QSizePolicy.Policy.Preferred)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.hide()
        head = QtWidgets.QHBoxLayout()
        head.setSpacing(16)
        head.addWidget(self.title)
        head.addWidget(self.ticket)
        head.addWidget(self.notice, 1)
        head.addStretch(0)  # the ticket stays by the title while there is no notice

        # left: who and what (it scrolls when the agent's form makes it taller than the screen)
        left = _panel(self, "who_and_what")
        scroll = QtWidgets.QScrollArea(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QtWidgets.QWidget(scroll)
        inner.setObjectName("who_and_what_inner")
        inner.setAutoFillBackground(False)
        scroll.setWidget(inner)
        scroll.viewport().setAutoFillBackground(False)
        self.applicant = ApplicantPanel(ctx.id_check, inner)
        self.items = ItemPicker(inner)
        self.items.bind(self.draft)
        inner_layout = QtWidgets.QVBoxLayout(inner)
        inner_layout.setContentsMargins(12, 10, 12, 12)
        inner_layout.setSpacing(10)
        inner_layout.addWidget(self.applicant)
        inner_layout.addWidget(self.items, 1)
        left_layout = QtWidgets.QVBoxLayout(left)
        left_layout.setContentsMargins(1, 1, 1, 1)
        left_layout.addWidget(scroll)

        # middle: the checklist and the buttons
        middle = _panel(self, "checklist_panel")
        self.checklist = ChecklistView(middle)
        self.confirm = ConfirmBar(middle)
        self.submit_panel = SubmitPanel(middle)
        self.cancel_button = look.button(look.lines(CTX, CANCEL), None, middle)
        self.cancel_button.setObjectName("cancel_case")
        self.accept_button = look.button(look.lines(CTX, ACCEPT), "primary", middle)
        self.accept_button.setObjectName("accept_case")
        self.accept_button.setMinimumHeight(look.TOUCH_PX + 8)
        self.cancel_button.setMinimumHeight(look.TOUCH_PX + 8)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.cancel_button, 1)
        buttons.addWidget(self.accept_button, 2)
        middle_layout = QtWidgets.QVBoxLayout(middle)
        middle_layout.setContentsMargins(12, 10, 12, 12)
        middle_layout.setSpacing(8)
        middle_layout.addWidget(self.checklist, 1)
        middle_layout.addWidget(self.confirm)
        middle_layout.addWidget(self.submit_panel)
        middle_layout.addLayout(buttons)

        # right: the material chosen
        problem = ctx.devices.problems.get("document_camera")
        self.capture = CapturePanel(ctx.devices.scanner, ctx.runner.post, problem)
        self.material = MaterialPanel(self.capture, self)
        self.material.setObjectName("material_panel")
        self.material.setProperty("role", "panel")

        body = QtWidgets.QHBoxLayout()
        body.setSpacing(10)
        body.addWidget(left, 30)
        body.addWidget(middle, 32)
        body.addWidget(self.material, 38)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 10)
        layout.setSpacing(8)
        layout.addLayout(head)
        layout.addLayout(body, 1)

        self.applicant.changed.connect(self._schedule_preview)
        self.applicant.revealed.connect(self._revealed)
        self.applicant.agent_toggled.connect(self._agent_toggled)
        self.items.changed.connect(self._items_changed)
        self.items.retry.connect(self._load_catalogue)
        self.checklist.selected.connect(self._material_selected)
        self.material.changed.connect(self._material_changed)
        self.material.print_commitment.connect(self._print_commitment)
        self.cancel_button.clicked.connect(self._cancel_pressed)
        self.confirm.confirmed.connect(self._cancel)
        self.accept_button.clicked.connect(self.submit)
        self.submit_panel.print_again.connect(self._print_again)
        self.submit_panel.carry_on.connect(self._finish)

    def _connect_devices(self) -> None:
        devices, post = self.ctx.devices, self.ctx.runner.post
        me = weakref.ref(self)

        def later(name: str) -> Callable[[Any], None]:
            # the ports keep their callbacks for good: a weak reference lets the page go
            def call(arg: Any) -> None:
                def on_gui() -> None:
                    view = me()
                    if view is not None:
                        getattr(view, name)(arg)
                post(on_gui)
            return call

        if devices.card_reader is not None:
            devices.card_reader.on_card(later("_card_read"))
            devices.card_reader.on_status(later("_reader_status"))
        if devices.code_scanner is not None:
            devices.code_scanner.on_code(later("_code_scanned"))

    # --- the page's life --------------------------------------------------------------------------

    def begin(self, ticket: dict[str, Any] | None) -> None:
        """Start a case: for the called ``ticket`` (its ``id`` and ``number``), or a walk-in
        (None)."""
        self.reset()
        if ticket:
            self.draft.ticket_id = str(ticket.get("id") or "") or None
            self.draft.ticket_number = str(ticket.get("number") or "")
        self._show_ticket()
        # the reader and the code scanner serve the whole window; their start() is
        # idempotent and returns at once (the devices poll on threads of their own)
        for port in (self.ctx.devices.card_reader, self.ctx.devices.code_scanner):
            if port is not None:
                port.start()
        if not self.items.loaded:
            self._load_catalogue()
        self.items.search.setFocus()

    def reset(self) -> None:
        """Forget the case: the people, the choice, every page and picture, the answers."""
        self._timer.stop()
        self._preview_seq += 1  # an answer on its way is for a case that is gone
        self.capture.forget()
        self.draft.clear()
        self.draft.window, self.draft.mode = self.ctx.window, self.ctx.mode
        self._answer, self._facts, self._failed_papers = None, None, ()
        self._set_busy(False)
        self.applicant.bind(self.draft.applicant, self.draft.agent)
        self.items.reset()
        self.checklist.show_draft(self.draft)
        self.checklist.set_checking(False)
        self.material.bind(None)
        self.confirm.hide()
        self.submit_panel.idle()
        self._say("")
        self._show_reader_line()
        self._show_ticket()

    # --- the catalogue and the preview ------------------------------------------------------------

    def _load_catalogue(self) -> None:
        if self._catalogue_loading:
            return
        self._catalogue_loading = True
        self.items.set_loading()
        client, offline = self.ctx.client, self.ctx.offline
        # offline-capable modes keep the catalogue they got and fall back on it
        fetch = client.catalogue if offline is None else lambda: offline.catalogue(client)
        self.ctx.runner.run(fetch, self._catalogue_loaded, self._catalogue_failed)

    def _catalogue_loaded(self, answer: dict[str, Any]) -> None:
        self._catalogue_loading = False
        self.items.set_catalogue(answer)

    def _catalogue_failed(self, exc: BaseException) -> None:
        self._catalogue_loading = False
        self.items.set_failed(_words(exc))

    def _items_changed(self) -> None:
        if not self.draft.chosen:
            self._timer.stop()
            self._preview_seq += 1
            self.draft.clear_checklist()
            self.checklist.show_draft(self.draft)
            self.checklist.set_checking(False)
            return
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        if self.draft.chosen:
            self.checklist.set_checking(True)
            self._timer.start()
        self._update_accept()

    def _preview(self) -> None:
        if not self.draft.chosen:
            return
        self._preview_seq += 1
        seq, body = self._preview_seq, self.draft.body(preview=True)
        client, offline = self.ctx.client, self.ctx.offline
        # with no station, an offline-capable counter previews with the domain's rules
        ask = (lambda: client.preview_case(body)) if offline is None else \
            (lambda: offline.preview(client, body))
        self.ctx.runner.run(ask,
                            lambda answer: self._previewed(seq, answer),
                            lambda exc: self._preview_failed(seq, exc))

    def _previewed(self, seq: int, answer: dict[str, Any]) -> None:
        if seq != self._preview_seq:
            return  # a newer change is on its way
        self.draft.apply_preview(answer)
        self.checklist.show_draft(self.draft)
        problems = len(answer.get("problems") or [])
        self.checklist.state.setText(look.inline(CTX, READY) if answer.get("ok") else
                                     look.two(CTX, PROBLEMS_N)[0].replace("%1", str(problems)))
        self._refresh_material()
        self._update_accept()

    def _preview_failed(self, seq: int, exc: BaseException) -> None:
        if seq != self._preview_seq:
            return
        self.checklist.set_checking(False)
        self._say(f"{look.inline(CTX, CHECK_FAILED)}: {_words(exc)}", "warn")

    # --- the applicant ----------------------------------------------------------------------------

    def _card_read(self, card: CardRead) -> None:
        if self._busy or not self.isVisible():
            return  # a card on the reader while no case is open is not this page's
        for_agent = self.applicant.card_is_for_agent and self.draft.agent is not None
        person = self.draft.agent if for_agent else self.draft.applicant
        assert person is not None
        person.name, person.id_number, person.from_card = card.name, card.id_number, True
        self.applicant.bind(self.draft.applicant, self.draft.agent)
        if card.check_digit_ok is False:
            self.applicant.set_reader_line(look.inline(CTX, CARD_CHECK_FAILED), "warn")
        else:
            self.applicant.set_reader_line("✓ " + look.inline(CTX, CARD_READ), "info")
        self.ctx.audit("id_card.read", self._subject(), SCREEN)
        self._schedule_preview()

    def _reader_status(self, status: DeviceStatus) -> None:
        if status.ok:
            self._show_reader_line()
        else:
            hint = f"\n{status.hint}" if status.hint else ""
            self.applicant.set_reader_line(
                f"{status.message}{hint}\n{look.inline(CTX, READER_PROBLEM)}", "warn")

    def _show_reader_line(self) -> None:
        devices = self.ctx.devices
        if devices.card_reader is None:
            problem = devices.problems.get("id_card_reader")
            why = f"\n{problem.message}" if problem and problem.message else ""
            self.applicant.set_reader_line(look.inline(CTX, NO_READER) + why, "warn")
        else:
            self.applicant.set_reader_line(look.inline(CTX, PLACE_CARD), "info")

    def _revealed(self) -> None:
        """A number read from a card shown in full (the clerk edits it): a view of personal
        data, for the audit log."""
        self.ctx.audit("applicant.viewed", self._subject(), SCREEN)

    def _agent_toggled(self, on: bool) -> None:
        self.draft.set_agent(on)
        self.applicant.agent.bind(self.draft.agent)
        self._schedule_preview()

    # --- materials --------------------------------------------------------------------------------

    def _material_selected(self, code: str) -> None:
        if not code:
            self.material.bind(None)
            return
        self.material.bind(self.draft.material(code), self.draft.accepted_on,
                           self.draft.rongque_latest)

    def _refresh_material(self) -> None:
        code = self.checklist.current()
        if code is None:
            self.material.bind(None)
        elif self.material.material is not self.draft.material(code):
            self._material_selected(code)
        else:
            self.material.refresh(self.draft.accepted_on, self.draft.rongque_latest)

    def _material_changed(self, code: str) -> None:
        self.checklist.refresh_row(self.draft, code)
        self._schedule_preview()

    def _code_scanned(self, code: str) -> None:
        if self._busy or not self.isVisible():
            return
        if self.material.set_licence_code(code):
            self._say(look.inline(CTX, CODE_TAKEN))
        else:
            self._say(look.inline(CTX, CODE_UNUSED), "warn")

    def _print_commitment(self, code: str) -> None:
        draft = self.draft
        if not draft.applicant.name.strip():
            self.material.defer.show_printed(look.inline(CTX, APPLICANT_FIRST), "error")
            return
        deferred = [m for m in draft.materials() if m.choice == DEFER]
        facts = commitment_facts(
            self.ctx.site_name, applicant_name=draft.applicant.name,
            applicant_id_number=draft.applicant.id_number, items=self.items.item_names(),
            deferred=[(m.name, m.due, m.note) for m in deferred], window=self.ctx.window,
            clerk=self.ctx.clerk.name if self.ctx.clerk else "",
            agent_name=draft.agent.name if draft.agent else None)
        printer = self.ctx.devices.printer
        self.material.defer.print_button.setEnabled(False)

        def done(printed: Printed) -> None:
            self.material.defer.print_button.setEnabled(True)
            if printed.ok:
                for m in deferred:
                    m.commitment_printed = True
                self.material.defer.show_printed(look.inline(CTX, COMMITMENT_PRINTED), "good")
            else:
                hint = f"\n→ {printed.hint}" if printed.hint else ""
                self.material.defer.show_printed(f"{printed.message}{hint}", "error")

        self.ctx.runner.run(
            lambda: printer.print_commitment(facts) if printer is not None else flow.NO_PRINTER,
            done, lambda exc: done(Printed(False, _words(exc))))

    # --- submit and print -------------------------------------------------------------------------

    def submit(self) -> None:
        """Accept the case: check the people here, upload the pages, ask the station, print."""
        if self._busy:
            return
        problems = [] if self.draft.chosen else [look.inline(CTX, CHOOSE_FIRST)]
        problems += self.draft.party_problems(self.ctx.id_check)
        if problems:
            self.submit_panel.refused(problems)
            return
        body = self.draft.body()
        key = self.draft.accept_key(body)
        pages = self.draft.pages()
        self._timer.stop()
        self._preview_seq += 1  # the case is what it is now: a late preview changes nothing
        self.checklist.set_checking(False)
        self.capture.stop()
        self._set_busy(True)
        self.confirm.hide()
        self.submit_panel.uploading(0, len(pages))
        post, client = self.ctx.runner.post, self.ctx.client

        def progress(done: int, total: int) -> None:
            post(lambda: self.submit_panel.uploading(done, total))

        offline = self.ctx.offline
        if offline is None:
            self.ctx.runner.run(lambda: flow.submit(client, body, pages, key, progress),
                                self._accepted, self._submit_failed)
            return
        clerk = self.ctx.clerk
        clerk_id, clerk_name = (clerk.id, clerk.name) if clerk else (None, None)
        query_url = self.ctx.query_url
        # with no station: accepted here, numbered by the counter, kept for delivery
        self.ctx.runner.run(lambda: offline.submit(client, body, pages, key, progress,
                                                   clerk=clerk_id, clerk_name=clerk_name,
                                                   query_url=query_url),
                            self._accepted, self._submit_failed)

    def _accepted(self, answer: dict[str, Any]) -> None:
        self._answer = answer
        # the receipt masks whatever it is given: the station's masked values print the same
        facts = facts_from_case(answer, self.ctx.site_name)
        self._facts = dataclasses.replace(facts, note=OFFLINE_NOTE) if answer.get("offline") \
            else facts
        self._print(None)

    def _print(self, only: tuple[str, ...] | None) -> None:
        assert self._answer is not None and self._facts is not None
        self.submit_panel.printing(str(self._answer.get("receipt_no", "")))
        printer, facts = self.ctx.devices.printer, self._facts
        self.ctx.runner.run(lambda: flow.print_papers(printer, facts, only), self._printed,
                            lambda exc: self._printed([flow.PrintOutcome(
                                "receipt", Printed(False, _words(exc)))]))

    def _printed(self, outcomes: list[flow.PrintOutcome]) -> None:
        if self._answer is None:
            return
        if any(o.printed.ok for o in outcomes):
            # a case accepted offline has no id yet: its receipt number names it
            subject = self._answer.get("id") or self._answer.get("receipt_no") or "-"
            self.ctx.audit("case.printed", str(subject), SCREEN)
        failed = [o for o in outcomes if not o.printed.ok]
        if not failed:
            self._finish()
            return
        self._failed_papers = tuple(o.what for o in failed)
        self.submit_panel.print_failed(str(self._answer.get("receipt_no", "")),
                                       [(o.printed.message, o.printed.hint) for o in failed])

    def _print_again(self) -> None:
        if self._answer is not None:
            self._print(self._failed_papers or None)

    def _finish(self) -> None:
        answer = self._answer
        if answer is None:
            return
        self.reset()
        self.finished.emit(answer)

    def _submit_failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, StationError) and exc.code in ("acceptance_refused",
                                                          "invalid_party"):
            problems = exc.body.get("problems") or []
            self.draft.apply_problems(problems)
            self.checklist.show_draft(self.draft)
            self._refresh_material()
            self.submit_panel.refused([str(p.get("message", "")) for p in problems]
                                      or [exc.message])
            return
        log.warning("counter: the case was not accepted: %s",
                    exc.code if isinstance(exc, StationError) else type(exc).__name__)
        self.submit_panel.failed(_words(exc))

    # --- cancel -----------------------------------------------------------------------------------

    def _cancel_pressed(self) -> None:
        if self._busy:
            return
        draft = self.draft
        if draft.applicant.is_empty() and not draft.chosen and not draft.pages():
            self._cancel()
        else:
            self.confirm.ask_discard()

    def _cancel(self) -> None:
        self.reset()
        self.cancelled.emit()

    # --- small things -----------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for widget in (self.applicant, self.items, self.material, self.cancel_button):
            widget.setEnabled(not busy)
        self._update_accept()

    def _update_accept(self) -> None:
        self.accept_button.setEnabled(not self._busy and self.draft.chosen)

    def _show_ticket(self) -> None:
        number = self.draft.ticket_number
        text = look.two(CTX, TICKET)[0].replace("%1", number) if number else \
            look.two(CTX, WALK_IN)[0]
        mode = MODE_WORDS.get(self.ctx.mode)
        if mode:
            text += f" · {look.two(CTX, mode)[0]}"
        self.ticket.setText(text)

    def _say(self, text: str, role: str = "info") -> None:
        """A word at the top of the page, gone after a while (a warning stays longer)."""
        self.notice.setText(text)
        self.notice.setToolTip(text)
        look.set_role(self.notice, role)
        self.notice.setVisible(bool(text))
        if text:
            self._quiet.start(NOTICE_MS * (2 if role == "warn" else 1))

    def _subject(self) -> str:
        return self.draft.ticket_id or "-"

    def hideEvent(self, event: QtGui.QHideEvent) -> None:
        super().hideEvent(event)
        self.capture.stop()


def _words(exc: BaseException) -> str:
    """What the clerk reads about a failure: the station's own words, never a trace."""
    if isinstance(exc, StationError):
        return exc.message
    return f"{type(exc).__name__}"
