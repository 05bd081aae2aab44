"""Today's cases at this site, and a reprint of a receipt (issue 7, "reprint from history").

The list is ``GET /v1/cases`` (names and ID numbers come masked from the station); a reprint
reads the case (``GET /v1/cases/{id}``, which the station audits as ``case.viewed``), lays
out its receipt with the acceptance page's :func:`facts_from_case` and prints it on this
window's printer, then reports ``case.reprinted`` to the audit log. All of it off the GUI
thread; a missing printer or a printer problem is said in plain words with what to do.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from kiosk.counter_ports import Printed
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from . import look
from .context import CounterContext
from .queue_model import plain_error

log = logging.getLogger(__name__)

CONTEXT = "HistoryView"
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
TITLE = QT_TRANSLATE_NOOP("HistoryView", "Today's cases")
REFRESH = QT_TRANSLATE_NOOP("HistoryView", "Refresh")
REPRINT = QT_TRANSLATE_NOOP("HistoryView", "Reprint receipt")
COLUMNS = (
    QT_TRANSLATE_NOOP("HistoryView", "Receipt no."),
    QT_TRANSLATE_NOOP("HistoryView", "Time"),
    QT_TRANSLATE_NOOP("HistoryView", "Items"),
    QT_TRANSLATE_NOOP("HistoryView", "Applicant"),
    QT_TRANSLATE_NOOP("HistoryView", "Status"),
)
ITEMS_COLUMN = 2
ITEMS_MIN_PX = 160
STATUS_WORDS = {
    "accepted": QT_TRANSLATE_NOOP("HistoryView", "Accepted"),
    "accepted_rongque": QT_TRANSLATE_NOOP("HistoryView", "Accepted, papers to follow"),
}
NONE_YET = QT_TRANSLATE_NOOP("HistoryView", "No cases yet today.")
CHOOSE = QT_TRANSLATE_NOOP("HistoryView", "Choose a case in the list first.")
NO_PRINTER = QT_TRANSLATE_NOOP("HistoryView", "No receipt printer at this window: connect "
                                              "one, or print from another window.")
NO_LAYOUT = QT_TRANSLATE_NOOP("HistoryView", "Reprinting is not available in this version.")
REPRINTED = QT_TRANSLATE_NOOP("HistoryView", "Receipt %1 printed again.")
COUNT = QT_TRANSLATE_NOOP("HistoryView", "%1 cases")


def local_time(at: str | None) -> str:
    """``HH:MM`` of an ISO 8601 time, in this PC's time zone ("" when unreadable)."""
    if not at:
        return ""
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%H:%M")


def row_of(case: Mapping[str, Any]) -> list[str]:
    """The table's cells for one case of ``GET /v1/cases``."""
    applicant = case.get("applicant_masked") or {}
    items = case.get("items") or []
    names = [i if isinstance(i, str) else str(i.get("name", "")) for i in items]
    status = STATUS_WORDS.get(str(case.get("status")))
    return [str(case.get("receipt_no", "")), local_time(case.get("accepted_at")),
            "、".join(names), f"{applicant.get('name', '')} {applicant.get('id_number', '')}"
            .strip(), look.lines(CONTEXT, status) if status else str(case.get("status", ""))]


class HistoryView(QtWidgets.QWidget):
    """The list and the reprint button. ``message(text, is_error)`` for the window's
    banner."""

    message = QtCore.Signal(str, bool)

    def __init__(self, ctx: CounterContext, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.cases: list[dict[str, Any]] = []
        self._busy = False
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        head = QtWidgets.QHBoxLayout()
        layout.addLayout(head)
        head.addWidget(look.label(look.inline(CONTEXT, TITLE), "title", self))
        self.count = look.label("", "second", self)
        head.addWidget(self.count)
        head.addStretch(1)
        self.refresh_button = look.button(look.inline(CONTEXT, REFRESH), None, self)
        self.refresh_button.setObjectName("history_refresh")
        self.reprint_button = look.button(look.inline(CONTEXT, REPRINT), "primary", self)
        self.reprint_button.setObjectName("history_reprint")
        head.addWidget(self.refresh_button)
        head.addWidget(self.reprint_button)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("history_table")
        # headings on two lines (中文 over English): the columns stay as narrow as their data
        self.table.setHorizontalHeaderLabels([look.lines(CONTEXT, c) for c in COLUMNS])
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(look.TOUCH_PX)  # two lines
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        # the items take what the others leave (_fit_items), cut with "…"
        header.setSectionResizeMode(ITEMS_COLUMN, QtWidgets.QHeaderView.ResizeMode.Interactive)
        self.table.setWordWrap(False)
        layout.addWidget(self.table, 1)
        self.refresh_button.clicked.connect(self.refresh)
        self.reprint_button.clicked.connect(self.reprint)

    def refresh(self) -> None:
        """Ask the station for today's cases."""
        self.refresh_button.setEnabled(False)
        self.ctx.runner.run(self.ctx.client.cases, self._show, self._failed)

    def _show(self, answer: Any) -> None:
        self.refresh_button.setEnabled(True)
        self.cases = [c for c in (answer or {}).get("cases", []) if isinstance(c, dict)]
        self.table.setRowCount(len(self.cases))
        for r, case in enumerate(self.cases):
            for c, text in enumerate(row_of(case)):
                item = QtWidgets.QTableWidgetItem(text)
                item.setToolTip(text)  # a cut text in full
                self.table.setItem(r, c, item)
        self.count.setText(look.fill(CONTEXT, COUNT, str(len(self.cases)))
                           if self.cases else look.inline(CONTEXT, NONE_YET))
        self._fit_items()

    def resizeEvent(self, event: QtGui.QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_items()

    def _fit_items(self) -> None:
        """The items column gets the width the others leave, so the list never scrolls
        sideways on the counter's screen."""
        header = self.table.horizontalHeader()
        others = sum(header.sectionSize(c) for c in range(len(COLUMNS)) if c != ITEMS_COLUMN)
        header.resizeSection(ITEMS_COLUMN,
                             max(ITEMS_MIN_PX, self.table.viewport().width() - others))

    def _failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.reprint_button.setEnabled(True)
        self._busy = False
        self.message.emit(plain_error(exc), True)

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.cases):
            return None
        return self.cases[rows[0].row()]

    def reprint(self) -> None:
        case = self.selected()
        if case is None:
            self.message.emit(look.inline(CONTEXT, CHOOSE), True)
            return
        printer = self.ctx.devices.printer
        if printer is None:
            self.message.emit(look.inline(CONTEXT, NO_PRINTER), True)
            return
        facts_from_case = _receipt_layout()
        if facts_from_case is None:
            self.message.emit(look.inline(CONTEXT, NO_LAYOUT), True)
            return
        if self._busy:
            return
        self._busy = True
        self.reprint_button.setEnabled(False)
        case_id, ctx = str(case["id"]), self.ctx

        def job() -> tuple[dict[str, Any], Printed]:
            full = ctx.client.case(case_id)
            # the masked name and number, as the station gives them: a reprint shows no more
            return full, printer.print_receipt(facts_from_case(full, ctx.site_name))

        self.ctx.runner.run(job, self._printed, self._failed)

    def _printed(self, result: tuple[dict[str, Any], Printed]) -> None:
        self._busy = False
        self.reprint_button.setEnabled(True)
        case, printed = result
        if not printed.ok:
            self.message.emit(" — ".join(p for p in (printed.message, printed.hint) if p), True)
            return
        self.ctx.audit("case.reprinted", str(case.get("id", "-")), screen="counter.history")
        self.message.emit(look.fill(CONTEXT, REPRINTED, str(case.get("receipt_no", ""))), False)


def _receipt_layout() -> Any:
    """The acceptance page's ``facts_from_case(case, site_name)``, or None while it is
    absent."""
    try:
        from .acceptance.receipt import facts_from_case
    except ImportError:
        log.warning("counter: kiosk.ui.counter.acceptance.receipt is missing; no reprint")
        return None
    return facts_from_case
