"""好差评 at the window: after a case is accepted or a ticket finished, the rating pad asks
the citizen, the answer goes to the station, a 差评 shows its rectification deadline.

Rules (国办发〔2019〕51号 现场服务"一次一评", kiosk/domain/ratings.py): one rating per visit,
bound to its ticket and/or case; the station refuses a second one (409 ``already_rated``),
and this flow does not even ask twice. The pad's prompt (``RatingPort.ask``) blocks until the
citizen presses, it times out or it is cancelled, so it runs on the runner; nothing waits for
it. No pad, a pad that timed out or failed: a note on the strip, and the clerk may enter the
citizen's choice by hand on five big buttons (:class:`RatingBar`), for a citizen without a
pad or who tells the clerk. A rating entered by hand goes with channel ``terminal`` too: it
is the window's on-site rating (the station knows no other on-site channel).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.counter_ports import DeviceStatus, RatingAnswer
from kiosk.ui.qt import QtCore, QtWidgets

from . import look
from .context import CounterContext
from .queue_model import plain_error

log = logging.getLogger(__name__)

CONTEXT = "RatingFlow"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
LEVEL_WORDS = {
    5: QT_TRANSLATE_NOOP("RatingFlow", "Very satisfied"),
    4: QT_TRANSLATE_NOOP("RatingFlow", "Satisfied"),
    3: QT_TRANSLATE_NOOP("RatingFlow", "Fair"),
    2: QT_TRANSLATE_NOOP("RatingFlow", "Dissatisfied"),
    1: QT_TRANSLATE_NOOP("RatingFlow", "Very dissatisfied"),
}
RATE_THIS = QT_TRANSLATE_NOOP("RatingFlow", "Rating for %1")
ON_PAD = QT_TRANSLATE_NOOP("RatingFlow", "waiting for the rating pad; or press the citizen's "
                                         "choice")
BY_HAND = QT_TRANSLATE_NOOP("RatingFlow", "press the citizen's choice")
SKIP = QT_TRANSLATE_NOOP("RatingFlow", "Skip")
NO_PAD = QT_TRANSLATE_NOOP("RatingFlow", "No rating pad: enter the citizen's rating by hand.")
TIMED_OUT = QT_TRANSLATE_NOOP("RatingFlow", "No rating at the pad (timed out): enter it by "
                                            "hand if the citizen tells you.")
CANCELLED = QT_TRANSLATE_NOOP("RatingFlow", "The rating at the pad was cancelled.")
PAD_FAILED = QT_TRANSLATE_NOOP("RatingFlow", "Rating pad problem:")
RATED = QT_TRANSLATE_NOOP("RatingFlow", "Rating recorded: %1")
BAD_RATED = QT_TRANSLATE_NOOP("RatingFlow", "Bad rating recorded: rectification due %1")
NOT_SENT = QT_TRANSLATE_NOOP("RatingFlow", "The rating was not recorded:")
NO_VISIT = QT_TRANSLATE_NOOP("RatingFlow", "This visit has no ticket or case to rate.")
KEPT = QT_TRANSLATE_NOOP("RatingFlow", "Rating kept on this PC: %1; it goes to the station "
                                       "when it is back")

PAD_TIMEOUT_S = 30.0
"""How long the pad waits for the citizen. Unit: s."""


@dataclass(frozen=True)
class Visit:
    """What a rating is bound to: the ticket and/or the case, and what the pad shows."""

    ticket_id: str | None
    case_id: str | None
    ref: str
    case_job: str | None = None
    """A case accepted offline: the spool job whose answer will give the case id."""

    def keys(self) -> set[str]:
        return {k for k in (f"ticket:{self.ticket_id}" if self.ticket_id else "",
                            f"case:{self.case_id}" if self.case_id else "",
                            f"job:{self.case_job}" if self.case_job else "") if k}


def visit_of(ticket: Mapping[str, Any] | None, case: Mapping[str, Any] | None) -> Visit | None:
    """The visit of a finished ticket and/or an accepted case; None when neither has an id
    (a ticket known only by its number cannot be rated: the station binds by id). A case
    accepted offline is known by its spool job until it is delivered."""
    ticket_id = str(ticket["id"]) if ticket and ticket.get("id") else None
    case_id = str(case["id"]) if case and case.get("id") else None
    case_job = str(case["spool_job"]) if case and case.get("spool_job") else None
    if ticket_id is None and case_id is None and case_job is None:
        return None
    ref = str((case or {}).get("receipt_no") or (ticket or {}).get("number") or "")
    return Visit(ticket_id, case_id, ref, case_job)


def rating_body(level: int, visit: Visit, window: str | None) -> dict[str, Any]:
    """The ``POST /v1/ratings`` body (kiosk/station/app.py ``RatingRequest``)."""
    return {"level": level, "channel": "terminal", "case_id": visit.case_id,
            "ticket_id": visit.ticket_id, "window": window, "reasons": []}


def answer_note(answer: RatingAnswer) -> str:
    """The strip's note for a prompt that ended without a level."""
    if answer.timed_out:
        return look.inline(CONTEXT, TIMED_OUT)
    if answer.cancelled:
        return look.inline(CONTEXT, CANCELLED)
    detail = " — ".join(p for p in (answer.error, answer.hint) if p)
    return f"{look.inline(CONTEXT, PAD_FAILED)} {detail}".strip()


def rated_note(result: Mapping[str, Any]) -> str:
    """The strip's note for a rating the station kept: its level, or a 差评's deadline; a
    rating kept on the counter for the station (offline) says so."""
    if result.get("spooled"):
        level = LEVEL_WORDS.get(int(result.get("level", 0)))
        return look.fill(CONTEXT, KEPT, look.two(CONTEXT, level) if level else "?")
    task = result.get("rectification")
    if task:
        return look.fill(CONTEXT, BAD_RATED, str(task.get("deadline", "")))
    level = LEVEL_WORDS.get(int(result.get("level", 0)))
    return look.fill(CONTEXT, RATED, look.two(CONTEXT, level) if level else "?")


class RatingFlow(QtCore.QObject):
    """The rating of the visit just served.

    Signals: ``noted(text)`` a note for the strip; ``changed()`` the visit awaiting a rating
    or the pad's state changed; ``rated(result)`` the station kept a rating (its answer).
    """

    noted = QtCore.Signal(str)
    changed = QtCore.Signal()
    rated = QtCore.Signal(object)
    pad_status = QtCore.Signal(object)

    def __init__(self, ctx: CounterContext, parent: QtCore.QObject | None = None,
                 timeout_s: float = PAD_TIMEOUT_S):
        super().__init__(parent)
        self.ctx = ctx
        self.timeout_s = timeout_s
        self.pending: Visit | None = None
        """The visit that may still be rated (by the pad or by hand)."""
        self.asking: Visit | None = None
        """The visit the pad is asking about now."""
        self.sending = False
        self._done: set[str] = set()

    def after_login(self) -> None:
        """Show the clerk's name and window on the pad (once per sign-in)."""
        port, clerk = self.ctx.devices.rating, self.ctx.clerk
        if port is None or clerk is None:
            return
        name, window, window_name = clerk.name, self.ctx.window, self.ctx.window_name
        self.ctx.runner.run(lambda: port.show_staff(name, window, window_name),
                            self._staff_shown, self._pad_failed)

    def _staff_shown(self, status: Any) -> None:
        if isinstance(status, DeviceStatus):
            self.pad_status.emit(status)
            if not status.ok:
                self.noted.emit(" — ".join(p for p in (status.message, status.hint) if p))

    def _pad_failed(self, exc: BaseException) -> None:
        log.warning("counter: the rating pad failed (%s)", type(exc).__name__)
        self.noted.emit(f"{look.inline(CONTEXT, PAD_FAILED)} {type(exc).__name__}")

    def rated_already(self, ticket: Mapping[str, Any] | None,
                      case: Mapping[str, Any] | None = None) -> bool:
        visit = visit_of(ticket, case)
        return visit is not None and bool(visit.keys() & self._done)

    def ask(self, ticket: Mapping[str, Any] | None, case: Mapping[str, Any] | None) -> None:
        """Ask for the rating of this visit (once: a visit rated already is not asked)."""
        visit = visit_of(ticket, case)
        if visit is None:
            self.noted.emit(look.inline(CONTEXT, NO_VISIT))
            return
        if visit.keys() & self._done:
            return
        if self.pending is not None and self.pending.keys() & visit.keys():
            return  # the same visit is being rated already (its case and its ticket)
        self._stop_pad()
        self.pending = visit
        port = self.ctx.devices.rating
        if port is None:
            self.noted.emit(look.inline(CONTEXT, NO_PAD))
        else:
            self.asking = visit
            timeout = self.timeout_s
            self.ctx.runner.run(lambda: port.ask(visit.ref, timeout),
                                lambda answer: self._answered(visit, answer),
                                lambda exc: self._ask_failed(visit, exc))
        self.changed.emit()

    def _answered(self, visit: Visit, answer: Any) -> None:
        if self.asking == visit:
            self.asking = None
        if self.pending != visit:  # rated by hand meanwhile, or skipped
            self.changed.emit()
            return
        if isinstance(answer, RatingAnswer) and answer.level is not None:
            self.submit(answer.level)
            return
        if isinstance(answer, RatingAnswer):
            self.noted.emit(answer_note(answer))
        self.changed.emit()

    def _ask_failed(self, visit: Visit, exc: BaseException) -> None:
        if self.asking == visit:
            self.asking = None
        self._pad_failed(exc)
        self.changed.emit()

    def submit(self, level: int) -> None:
        """Send ``level`` for the pending visit (from the pad or the clerk's button)."""
        visit = self.pending
        if visit is None or self.sending:
            return
        if self.asking is not None:
            self._stop_pad()
        self.sending = True
        body = rating_body(level, visit, self.ctx.window)
        client, offline = self.ctx.client, self.ctx.offline
        # offline-capable: a rating with no station (or of a case kept offline) is kept too
        send = (lambda: client.rate(body)) if offline is None else \
            (lambda: offline.rate(client, body, visit.case_job))
        self.ctx.runner.run(send,
                            lambda result: self._kept(visit, result),
                            lambda exc: self._not_kept(visit, exc))
        self.changed.emit()

    def _kept(self, visit: Visit, result: Any) -> None:
        self.sending = False
        self._done |= visit.keys()
        if self.pending == visit:
            self.pending = None
        self.noted.emit(rated_note(result))
        self.rated.emit(result)
        self.changed.emit()

    def _not_kept(self, visit: Visit, exc: BaseException) -> None:
        self.sending = False
        if getattr(exc, "code", "") == "already_rated":  # 一次一评: the station has it
            self._done |= visit.keys()
            if self.pending == visit:
                self.pending = None
            self.noted.emit(plain_error(exc))
        else:  # kept pending: the clerk may press again
            self.noted.emit(f"{look.inline(CONTEXT, NOT_SENT)} {plain_error(exc)}")
        self.changed.emit()

    def skip(self) -> None:
        """No rating for this visit (the citizen declined)."""
        self._stop_pad()
        self.pending = None
        self.changed.emit()

    def forget(self) -> None:
        """Sign-out: nothing pending, the pad stopped."""
        self.skip()
        self._done.clear()

    def _stop_pad(self) -> None:
        port = self.ctx.devices.rating
        if self.asking is not None and port is not None:
            self.ctx.runner.run(port.cancel)
        self.asking = None


class RatingBar(QtWidgets.QFrame):
    """Five big buttons for the citizen's choice, shown while a visit awaits its rating."""

    def __init__(self, flow: RatingFlow, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.flow = flow
        self.setObjectName("rating_bar")
        self.setStyleSheet(f"QFrame#rating_bar {{ background: {look.INFO_BG}; "
                           f"border-top: 1px solid {look.LINE}; }}")
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(4)
        self.title = look.label("", None, self)
        self.title.setObjectName("rating_title")
        layout.addWidget(self.title)
        row = QtWidgets.QHBoxLayout()
        row.setSpacing(6)
        layout.addLayout(row)
        self.levels: dict[int, QtWidgets.QPushButton] = {}
        for level in (5, 4, 3, 2, 1):
            made = look.button(look.lines(CONTEXT, LEVEL_WORDS[level]),
                               "level", self)  # all alike: the screen must not nudge
            made.setObjectName(f"rate_{level}")
            made.setMinimumHeight(look.TOUCH_PX + 8)
            made.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
            made.clicked.connect(lambda _=False, v=level: self.flow.submit(v))
            self.levels[level] = made
            row.addWidget(made, 1)
        self.skip = look.button(look.lines(CONTEXT, SKIP), None, self)
        self.skip.setObjectName("rate_skip")
        self.skip.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.skip.clicked.connect(self.flow.skip)
        row.addWidget(self.skip)
        flow.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        visit = self.flow.pending
        self.setVisible(visit is not None)
        if visit is None:
            return
        what = look.fill(CONTEXT, RATE_THIS, visit.ref or "—")
        how = look.inline(CONTEXT, ON_PAD if self.flow.asking else BY_HAND)
        self.title.setText(f"{what} — {how}")
        for made in (*self.levels.values(), self.skip):
            made.setEnabled(not self.flow.sending)
