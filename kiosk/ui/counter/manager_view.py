"""The manager's view at the counter: rectification tasks of 差评 and "办不成事" requests with
their deadlines, overdue ones first, each with the steps it may take next; and a form to
record a new "办不成事" request.

Steps follow the domain: a rectification task (kiosk/domain/ratings.py) is 核实 (verify, or
appeal: 申诉), then 申诉复核 (upheld or dismissed), 整改, 反馈, 回访; an unresolved request
(kiosk/domain/unresolved.py) is escalated (window → centre → county) or closed with its
outcome (solved, explained, referred). Every step carries a note and who took it (the
signed-in clerk); the station checks the order and answers in plain words when a step does
not apply. What was asked and why it could not be done are kept readable for the county's
figures, so the form says not to write personal data in them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from . import look
from .context import CounterContext
from .queue_model import plain_error

log = logging.getLogger(__name__)

CONTEXT = "ManagerView"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
TASKS = QT_TRANSLATE_NOOP("ManagerView", "Rectification of bad ratings")
REQUESTS = QT_TRANSLATE_NOOP("ManagerView", "Matters that could not be done")
REFRESH = QT_TRANSLATE_NOOP("ManagerView", "Refresh")
RECORD = QT_TRANSLATE_NOOP("ManagerView", "Record a request")
BACK = QT_TRANSLATE_NOOP("ManagerView", "Back to the lists")
NOTE = QT_TRANSLATE_NOOP("ManagerView", "Note for the step (what was done or found)")
NEED_NOTE = QT_TRANSLATE_NOOP("ManagerView", "Write a note for the step first.")
CHOOSE = QT_TRANSLATE_NOOP("ManagerView", "Choose a row in the list first.")
CHOOSE_STEP = QT_TRANSLATE_NOOP("ManagerView", "Choose a row to see the steps it may take.")
DONE = QT_TRANSLATE_NOOP("ManagerView", "Step recorded.")
OVERDUE = QT_TRANSLATE_NOOP("ManagerView", "Overdue")
DUE = QT_TRANSLATE_NOOP("ManagerView", "Due")
TASK_COLUMNS = (
    QT_TRANSLATE_NOOP("ManagerView", "Deadline"),
    QT_TRANSLATE_NOOP("ManagerView", "Stage"),
    QT_TRANSLATE_NOOP("ManagerView", "Rating"),
    QT_TRANSLATE_NOOP("ManagerView", "Window"),
    QT_TRANSLATE_NOOP("ManagerView", "Clerk"),
)
REQUEST_COLUMNS = (
    QT_TRANSLATE_NOOP("ManagerView", "Deadline"),
    QT_TRANSLATE_NOOP("ManagerView", "Handled by"),
    QT_TRANSLATE_NOOP("ManagerView", "What"),
    QT_TRANSLATE_NOOP("ManagerView", "Why not"),
    QT_TRANSLATE_NOOP("ManagerView", "Window"),
)
STAGES = {
    "verify": QT_TRANSLATE_NOOP("ManagerView", "Verify"),
    "appeal_review": QT_TRANSLATE_NOOP("ManagerView", "Appeal review"),
    "rectify": QT_TRANSLATE_NOOP("ManagerView", "Rectify"),
    "feedback": QT_TRANSLATE_NOOP("ManagerView", "Feedback"),
    "revisit": QT_TRANSLATE_NOOP("ManagerView", "Revisit"),
    "done": QT_TRANSLATE_NOOP("ManagerView", "Ended"),
}
LEVELS = {
    1: QT_TRANSLATE_NOOP("ManagerView", "Very dissatisfied"),
    2: QT_TRANSLATE_NOOP("ManagerView", "Dissatisfied"),
}
HANDLERS = {
    "window": QT_TRANSLATE_NOOP("ManagerView", "Window"),
    "centre": QT_TRANSLATE_NOOP("ManagerView", "Service centre"),
    "county": QT_TRANSLATE_NOOP("ManagerView", "County"),
}
TASK_STEP_WORDS = {
    "verify": QT_TRANSLATE_NOOP("ManagerView", "Verified: founded"),
    "appeal": QT_TRANSLATE_NOOP("ManagerView", "Appeal"),
    "upheld": QT_TRANSLATE_NOOP("ManagerView", "Appeal upheld"),
    "dismissed": QT_TRANSLATE_NOOP("ManagerView", "Appeal dismissed"),
    "rectify": QT_TRANSLATE_NOOP("ManagerView", "Rectified"),
    "feed_back": QT_TRANSLATE_NOOP("ManagerView", "Feedback given"),
    "revisit": QT_TRANSLATE_NOOP("ManagerView", "Revisit made"),
}
REQUEST_STEP_WORDS = {
    "escalate": QT_TRANSLATE_NOOP("ManagerView", "Escalate"),
    "solved": QT_TRANSLATE_NOOP("ManagerView", "Solved"),
    "explained": QT_TRANSLATE_NOOP("ManagerView", "Explained"),
    "referred": QT_TRANSLATE_NOOP("ManagerView", "Referred"),
}
FORM_TITLE = QT_TRANSLATE_NOOP("ManagerView", "Record a matter that could not be done")
WHO = QT_TRANSLATE_NOOP("ManagerView", "Who asked: a name or a description (kept sealed)")
WHAT = QT_TRANSLATE_NOOP("ManagerView", "What the citizen wanted done")
WHY = QT_TRANSLATE_NOOP("ManagerView", "Why it could not be done")
ITEM = QT_TRANSLATE_NOOP("ManagerView", "Item code (if any)")
NO_PERSONAL = QT_TRANSLATE_NOOP("ManagerView", "Do not write names, ID numbers or addresses "
                                               "in what and why: they are kept readable.")
SAVE = QT_TRANSLATE_NOOP("ManagerView", "Save the request")
NEED_WHAT_WHY = QT_TRANSLATE_NOOP("ManagerView", "Say who asked, what was wanted and why it "
                                                 "could not be done.")
SAVED = QT_TRANSLATE_NOOP("ManagerView", "Request recorded, due %1.")

# (button key, step in the URL, extra body) by the stage a task or request waits at
TASK_STEPS: dict[str, tuple[tuple[str, str, dict[str, Any]], ...]] = {
    "verify": (("verify", "verify", {}), ("appeal", "appeal", {})),
    "appeal_review": (("upheld", "review_appeal", {"upheld": True}),
                      ("dismissed", "review_appeal", {"upheld": False})),
    "rectify": (("rectify", "rectify", {}),),
    "feedback": (("feed_back", "feed_back", {}),),
    "revisit": (("revisit", "revisit", {}),),
}
REQUEST_STEPS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("escalate", "escalate", {}),
    ("solved", "close", {"outcome": "solved"}),
    ("explained", "close", {"outcome": "explained"}),
    ("referred", "close", {"outcome": "referred"}),
)


def rows(answer: Any, key: str) -> list[dict[str, Any]]:
    """The list in a station answer (``{"tasks": [...]}``) or the list itself."""
    found = answer.get(key, []) if isinstance(answer, Mapping) else answer
    return [r for r in (found or []) if isinstance(r, Mapping)]


def is_overdue(row: Mapping[str, Any], today: dt.date) -> bool:
    """The station's ``overdue`` flag, else open past its deadline day."""
    if "overdue" in row:
        return bool(row["overdue"])
    if row.get("stage") == "closed" or row.get("status") not in (None, "open"):
        return False
    try:
        return dt.date.fromisoformat(str(row.get("deadline"))[:10]) < today
    except ValueError:
        return False


def overdue_first(found: Iterable[Mapping[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """Overdue first (longest overdue first), then by deadline: the manager's order."""
    return sorted((dict(r) for r in found),
                  key=lambda r: (not is_overdue(r, today), str(r.get("deadline", ""))))


def task_steps(task: Mapping[str, Any]) -> tuple[tuple[str, str, dict[str, Any]], ...]:
    """The steps a task may take now (none once it has ended)."""
    if task.get("status", "open") != "open":
        return ()
    return TASK_STEPS.get(str(task.get("stage")), ())


def request_steps(request: Mapping[str, Any]) -> tuple[tuple[str, str, dict[str, Any]], ...]:
    """An open request may go up a level (not past the county) or be closed."""
    if request.get("stage", "open") != "open":
        return ()
    if request.get("escalation") == "county":
        return REQUEST_STEPS[1:]
    return REQUEST_STEPS


class _Section(QtWidgets.QWidget):
    """A titled table with the step buttons of the chosen row."""

    def __init__(self, title: str, columns: Iterable[str], words: Mapping[str, str],
                 steps: Callable[[Mapping[str, Any]], tuple[tuple[str, str, dict[str, Any]],
                                                            ...]],
                 name: str, parent: QtWidgets.QWidget | None = None,
                 stretch: Iterable[int] = ()):
        super().__init__(parent)
        self.words = words
        self.steps_of = steps
        self.rows: list[dict[str, Any]] = []
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.title = look.label(title, "title", self)
        layout.addWidget(self.title)
        cols = list(columns)
        self.table = QtWidgets.QTableWidget(0, len(cols), self)
        self.table.setObjectName(f"{name}_table")
        self.table.setHorizontalHeaderLabels(cols)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        self.table.horizontalHeader().setSectionResizeMode(
            QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for column in stretch:  # free text takes what is left, cut with "…"
            self.table.horizontalHeader().setSectionResizeMode(
                column, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        layout.addWidget(self.table, 1)
        self.buttons_row = QtWidgets.QHBoxLayout()
        self.buttons_row.setSpacing(6)
        layout.addLayout(self.buttons_row)
        self.hint = look.label(look.inline(CONTEXT, CHOOSE_STEP), "second", self)
        self.hint.setMinimumHeight(look.TOUCH_PX)
        self.buttons_row.addWidget(self.hint)
        self.buttons_row.addStretch(1)
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        self.table.itemSelectionChanged.connect(self.update_buttons)

    def add_button(self, key: str, on_click: Callable[..., None]) -> None:
        made = look.button(look.inline(CONTEXT, self.words[key]), None, self)
        made.setObjectName(f"step_{key}")
        made.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        made.clicked.connect(on_click)
        self.buttons[key] = made
        self.buttons_row.insertWidget(self.buttons_row.count() - 1, made)
        made.setVisible(False)  # until a row that may take this step is chosen

    def show_rows(self, found: list[dict[str, Any]],
                  cells: Callable[[dict[str, Any]], list[str]], today: dt.date) -> None:
        self.rows = found
        self.table.setRowCount(len(found))
        late = QtGui.QColor("#fde2e2")
        for r, row in enumerate(found):
            for c, text in enumerate(cells(row)):
                item = QtWidgets.QTableWidgetItem(text)
                item.setToolTip(text)  # a cut text in full
                if is_overdue(row, today):
                    item.setBackground(late)
                    if c == 0:
                        item.setForeground(QtGui.QColor(look.BAD))
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                self.table.setItem(r, c, item)
        self.update_buttons()

    def selected(self) -> dict[str, Any] | None:
        chosen = self.table.selectionModel().selectedRows()
        if not chosen or chosen[0].row() >= len(self.rows):
            return None
        return self.rows[chosen[0].row()]

    def update_buttons(self) -> None:
        row = self.selected()
        offered = {key for key, _, _ in self.steps_of(row)} if row is not None else set()
        # only the steps this row may take: seven buttons in a row would not fit. Hide
        # first, then show: each show lays the window out at once, and the hint beside
        # every button would widen the window past the screen
        if offered:
            self.hint.setVisible(False)
        for key, made in self.buttons.items():
            if key not in offered:
                made.setVisible(False)
        for key, made in self.buttons.items():
            if key in offered:
                made.setVisible(True)
        if not offered:
            self.hint.setVisible(True)


class ManagerView(QtWidgets.QWidget):
    """The two lists and the request form. ``message(text, is_error)`` for the banner."""

    message = QtCore.Signal(str, bool)

    def __init__(self, ctx: CounterContext, parent: QtWidgets.QWidget | None = None,
                 today: Callable[[], dt.date] = dt.date.today):
        super().__init__(parent)
        self.ctx = ctx
        self.today = today
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.pages = QtWidgets.QStackedWidget(self)
        layout.addWidget(self.pages)

        lists = QtWidgets.QWidget(self.pages)
        lists_layout = QtWidgets.QVBoxLayout(lists)
        lists_layout.setContentsMargins(0, 0, 0, 0)
        self.tasks = _Section(look.inline(CONTEXT, TASKS),
                              [look.lines(CONTEXT, c) for c in TASK_COLUMNS],
                              TASK_STEP_WORDS, task_steps, "tasks", lists)
        for key, step, extra in (s for group in TASK_STEPS.values() for s in group):
            self.tasks.add_button(key, lambda _=False, s=step, e=extra: self._task_step(s, e))
        self.requests = _Section(look.inline(CONTEXT, REQUESTS),
                                 [look.lines(CONTEXT, c) for c in REQUEST_COLUMNS],
                                 REQUEST_STEP_WORDS, request_steps, "requests", lists,
                                 stretch=(2, 3))
        for key, step, extra in REQUEST_STEPS:
            self.requests.add_button(key, lambda _=False, s=step, e=extra: self._request_step(s, e))
        lists_layout.addWidget(self.tasks, 1)
        lists_layout.addWidget(self.requests, 1)
        bottom = QtWidgets.QHBoxLayout()
        self.note = QtWidgets.QLineEdit(lists)
        self.note.setObjectName("step_note")
        self.note.setMaxLength(500)
        self.note.setPlaceholderText(look.inline(CONTEXT, NOTE))
        self.note.setMinimumHeight(look.TOUCH_PX)
        bottom.addWidget(self.note, 1)
        self.refresh_button = look.button(look.inline(CONTEXT, REFRESH), None, lists)
        self.refresh_button.setObjectName("manager_refresh")
        self.refresh_button.clicked.connect(self.refresh)
        bottom.addWidget(self.refresh_button)
        self.record_button = look.button(look.inline(CONTEXT, RECORD), "primary", lists)
        self.record_button.setObjectName("record_request")
        self.record_button.clicked.connect(lambda: self.pages.setCurrentIndex(1))
        bottom.addWidget(self.record_button)
        lists_layout.addLayout(bottom)
        self.pages.addWidget(lists)
        self.pages.addWidget(self._form())

    def _form(self) -> QtWidgets.QWidget:
        form = QtWidgets.QWidget(self.pages)
        layout = QtWidgets.QVBoxLayout(form)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(look.label(look.inline(CONTEXT, FORM_TITLE), "title", form))
        warn = look.label(look.inline(CONTEXT, NO_PERSONAL), None, form)
        warn.setWordWrap(True)
        warn.setStyleSheet(f"background: {look.WARN_BG}; color: {look.WARN_TEXT}; "
                           "padding: 6px; border-radius: 4px;")
        layout.addWidget(warn)
        self.who = QtWidgets.QLineEdit(form)
        self.who.setObjectName("request_who")
        self.who.setMaxLength(40)
        self.who.setPlaceholderText(look.inline(CONTEXT, WHO))
        self.what = QtWidgets.QPlainTextEdit(form)
        self.what.setObjectName("request_what")
        self.what.setPlaceholderText(look.inline(CONTEXT, WHAT))
        self.why = QtWidgets.QPlainTextEdit(form)
        self.why.setObjectName("request_why")
        self.why.setPlaceholderText(look.inline(CONTEXT, WHY))
        self.item = QtWidgets.QLineEdit(form)
        self.item.setObjectName("request_item")
        self.item.setMaxLength(40)
        self.item.setPlaceholderText(look.inline(CONTEXT, ITEM))
        for field in (self.who, self.what, self.why, self.item):
            field.setMinimumHeight(look.TOUCH_PX)
            layout.addWidget(field)
        buttons = QtWidgets.QHBoxLayout()
        back = look.button(look.inline(CONTEXT, BACK), None, form)
        back.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        self.save_button = look.button(look.inline(CONTEXT, SAVE), "primary", form)
        self.save_button.setObjectName("request_save")
        self.save_button.clicked.connect(self.save_request)
        buttons.addWidget(back)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        layout.addStretch(1)
        return form

    # -- the lists

    def refresh(self) -> None:
        client = self.ctx.client
        self.refresh_button.setEnabled(False)
        self.ctx.runner.run(lambda: client.rectifications(), self._show_tasks, self._failed)
        self.ctx.runner.run(lambda: client.unresolved(), self._show_requests, self._failed)

    def _show_tasks(self, answer: Any) -> None:
        self.refresh_button.setEnabled(True)
        today = self.today()
        self.tasks.show_rows(overdue_first(rows(answer, "tasks"), today), self._task_cells,
                             today)

    def _show_requests(self, answer: Any) -> None:
        self.refresh_button.setEnabled(True)
        today = self.today()
        self.requests.show_rows(overdue_first(rows(answer, "requests"), today),
                                self._request_cells, today)

    def _deadline(self, row: Mapping[str, Any]) -> str:
        late = is_overdue(row, self.today())
        word = look.inline(CONTEXT, OVERDUE if late else DUE)
        return f"{str(row.get('deadline', ''))[:10]}  {word}"

    def _task_cells(self, task: dict[str, Any]) -> list[str]:
        stage = STAGES.get(str(task.get("stage")))
        level = LEVELS.get(int(task.get("level") or 0))
        return [self._deadline(task),
                look.inline(CONTEXT, stage) if stage else str(task.get("stage", "")),
                look.inline(CONTEXT, level) if level else str(task.get("level", "")),
                str(task.get("window") or ""), str(task.get("clerk") or "")]

    def _request_cells(self, request: dict[str, Any]) -> list[str]:
        handler = HANDLERS.get(str(request.get("escalation")))
        return [self._deadline(request),
                look.inline(CONTEXT, handler) if handler else str(request.get("escalation", "")),
                str(request.get("what", "")), str(request.get("why", "")),
                str(request.get("window") or "")]

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self.message.emit(plain_error(exc), True)

    # -- steps

    def _step_body(self, extra: Mapping[str, Any]) -> dict[str, Any] | None:
        note = self.note.text().strip()
        if not note:
            self.message.emit(look.inline(CONTEXT, NEED_NOTE), True)
            return None
        by = self.ctx.clerk.id if self.ctx.clerk else f"window {self.ctx.window}"
        return {"note": note, "by": by, **extra}

    def _task_step(self, step: str, extra: Mapping[str, Any]) -> None:
        task = self.tasks.selected()
        if task is None:
            self.message.emit(look.inline(CONTEXT, CHOOSE), True)
            return
        body = self._step_body(extra)
        if body is None:
            return
        task_id, client = str(task["id"]), self.ctx.client
        self.ctx.runner.run(lambda: client.rectification_step(task_id, step, body),
                            self._stepped, self._failed)

    def _request_step(self, step: str, extra: Mapping[str, Any]) -> None:
        request = self.requests.selected()
        if request is None:
            self.message.emit(look.inline(CONTEXT, CHOOSE), True)
            return
        body = self._step_body(extra)
        if body is None:
            return
        request_id, client = str(request["id"]), self.ctx.client
        self.ctx.runner.run(lambda: client.unresolved_step(request_id, step, body),
                            self._stepped, self._failed)

    def _stepped(self, _answer: Any) -> None:
        self.note.clear()
        self.message.emit(look.inline(CONTEXT, DONE), False)
        self.refresh()

    # -- the form

    def save_request(self) -> None:
        who = self.who.text().strip()
        what, why = self.what.toPlainText().strip(), self.why.toPlainText().strip()
        if not who or not what or not why:
            self.message.emit(look.inline(CONTEXT, NEED_WHAT_WHY), True)
            return
        # the station seals the requester; what and why stay readable (the form says so)
        body: dict[str, Any] = {"requester": {"name": who}, "what": what, "why": why,
                                "window": self.ctx.window}
        if self.item.text().strip():
            body["item_code"] = self.item.text().strip()
        self.save_button.setEnabled(False)
        client = self.ctx.client
        self.ctx.runner.run(lambda: client.report_unresolved(body), self._saved, self._failed)

    def _saved(self, answer: Any) -> None:
        self.save_button.setEnabled(True)
        for field in (self.who, self.item):
            field.clear()
        self.what.clear()
        self.why.clear()
        deadline = str((answer or {}).get("deadline", "")) if isinstance(answer, dict) else ""
        self.message.emit(look.fill(CONTEXT, SAVED, deadline), False)
        self.pages.setCurrentIndex(0)
        self.refresh()
