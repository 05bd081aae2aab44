"""The merged material checklist as the station previewed it: each material with required or
optional, form and count, what the catalogue allows (容缺, 免提交), its state (captured with
its pages, 免提交, 容缺 with its date, missing) and the station's problems beside it; under
the list the fees and the promised date (限时办结, counted in working days)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtGui, QtWidgets

from .draft import Draft, MaterialDraft

Qt = QtCore.Qt
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
CTX = "CounterAcceptance"

TITLE = QT_TRANSLATE_NOOP("CounterAcceptance", "Materials")
REQUIRED = QT_TRANSLATE_NOOP("CounterAcceptance", "required")
OPTIONAL = QT_TRANSLATE_NOOP("CounterAcceptance", "optional")
MAY_DEFER = QT_TRANSLATE_NOOP("CounterAcceptance", "may come later")
MAY_WAIVE_SHARED = QT_TRANSLATE_NOOP("CounterAcceptance", "waivable: shared data")
MAY_WAIVE_LICENCE = QT_TRANSLATE_NOOP("CounterAcceptance", "waivable: e-licence")
CAPTURED_N = QT_TRANSLATE_NOOP("CounterAcceptance", "%1 pages")
WAIVED = QT_TRANSLATE_NOOP("CounterAcceptance", "Waived")
DEFERRED = QT_TRANSLATE_NOOP("CounterAcceptance", "Later")
MISSING = QT_TRANSLATE_NOOP("CounterAcceptance", "Missing")
NOT_BROUGHT = QT_TRANSLATE_NOOP("CounterAcceptance", "Not brought")
CHOOSE_FIRST = QT_TRANSLATE_NOOP("CounterAcceptance",
                                 "Choose an item or a bundle to see its materials")
CHECKING = QT_TRANSLATE_NOOP("CounterAcceptance", "Checking…")
FEE = QT_TRANSLATE_NOOP("CounterAcceptance", "Fee")
FREE = QT_TRANSLATE_NOOP("CounterAcceptance", "free")
YUAN = QT_TRANSLATE_NOOP("CounterAcceptance", "%1 yuan")
DONE_BY = QT_TRANSLATE_NOOP("CounterAcceptance", "Done by")
PROVISIONAL = QT_TRANSLATE_NOOP("CounterAcceptance",
                                "provisional: next year's holidays not published")
READY = QT_TRANSLATE_NOOP("CounterAcceptance", "Ready to accept")
ROW_PX = 64

BADGE = {"captured": "good", "waived": "info", "deferred": "warn", "missing": "bad",
         "optional_missing": "second"}
"""The state badge's look (a role of the view's style sheet)."""


def state_words(material: MaterialDraft) -> tuple[str, str]:
    """(badge text, badge role) of a material's state."""
    state = material.state
    if state == "captured":
        return look.two(CTX, CAPTURED_N)[0].replace("%1", str(len(material.pages))), \
            BADGE["captured"]
    if state == "waived":
        return look.two(CTX, WAIVED)[0], BADGE["waived"]
    if state == "deferred":
        due = f" {material.due:%m-%d}" if material.due else ""
        return look.two(CTX, DEFERRED)[0] + due, BADGE["deferred"]
    if material.required:
        return look.two(CTX, MISSING)[0], BADGE["missing"]
    return look.two(CTX, NOT_BROUGHT)[0], BADGE["optional_missing"]


def facts_line(material: MaterialDraft) -> str:
    """Required or optional, form × count, and what the catalogue allows."""
    parts = [look.two(CTX, REQUIRED if material.required else OPTIONAL)[0]]
    if material.form:
        parts.append(f"{material.form}×{material.count}")
    if material.rongque:
        parts.append(look.two(CTX, MAY_DEFER)[0])
    if material.mian_tijiao == "shared_data":
        parts.append(look.two(CTX, MAY_WAIVE_SHARED)[0])
    elif material.mian_tijiao == "e_licence":
        parts.append(look.two(CTX, MAY_WAIVE_LICENCE)[0])
    return " · ".join(parts)


SHOWN_ON_THE_ROW = ("missing", "no_pages")
"""Problem kinds the row's badge says already (缺): not repeated under the name."""


def first_language(message: str) -> str:
    """The Chinese half of a station message ("中文 / English"): the row is narrow; the
    whole message is in the tooltip and in the refusal's list."""
    return message.split(" / ", 1)[0]


class MaterialRow(QtWidgets.QFrame):
    """One line of the checklist: name, facts, problems, and the state badge."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.setProperty("role", "material")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.badge = look.label("", None, self)
        self.badge.setObjectName("badge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed,
                                 QtWidgets.QSizePolicy.Policy.Fixed)
        self.name = look.label("", "strong", self)
        self.name.setWordWrap(True)
        self.facts = look.label("", "second", self)
        self.facts.setWordWrap(True)
        self.problems = look.label("", "error", self)
        self.problems.setObjectName("row_problems")
        self.problems.setWordWrap(True)
        for label in (self.badge, self.name, self.facts, self.problems):
            label.setTextFormat(Qt.TextFormat.PlainText)  # catalogue and station text
        words = QtWidgets.QVBoxLayout()
        words.setSpacing(0)
        words.addWidget(self.name)
        words.addWidget(self.facts)
        words.addWidget(self.problems)
        words.addStretch(1)  # spare height goes below the words, not between them
        line = QtWidgets.QHBoxLayout(self)
        line.setContentsMargins(8, 4, 8, 4)
        line.setSpacing(10)
        line.addLayout(words, 1)
        line.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignVCenter)

    def show_material(self, material: MaterialDraft) -> None:
        self.setObjectName(f"material_{material.code}")
        text, role = state_words(material)
        self.badge.setText(text)
        look.set_role(self.badge, role)
        # sized from the text: the style sheet's padding is not in a label's size hint
        metrics = QtGui.QFontMetrics(self.badge.font())
        self.badge.setFixedSize(max(metrics.horizontalAdvance(text) + 20, 44),
                                metrics.height() + 10)
        self.name.setText(material.name or material.code)
        self.facts.setText(facts_line(material))
        shown = [(kind, message) for kind, message in material.problems
                 if kind not in SHOWN_ON_THE_ROW]
        self.problems.setText("\n".join(first_language(m) for _, m in shown))
        self.problems.setToolTip("\n".join(m for _, m in shown))
        self.problems.setVisible(bool(shown))

    def height_for(self, width: int) -> int:
        """The row's height at ``width`` (word-wrapped labels grow downwards)."""
        layout = self.layout()
        height = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else -1
        return max(ROW_PX, height, self.sizeHint().height() if height < 0 else 0)


class ChecklistView(QtWidgets.QWidget):
    """The checklist; ``selected(code)`` when the clerk taps a material."""

    selected = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        zh, en = look.two(CTX, TITLE)
        self.title = look.label(f"{zh}  <span style='color:{look.SECOND}; font-size:"
                                f"{look.SMALL_PX}px; font-weight:normal'>{en}</span>",
                                "title", self)
        self.state = look.label("", "second", self)
        self.state.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.general = look.label("", "error", self)
        self.general.setObjectName("general_problems")
        self.general.setWordWrap(True)
        self.general.setTextFormat(Qt.TextFormat.PlainText)
        self.general.hide()
        self.list = QtWidgets.QListWidget(self)
        self.list.setObjectName("checklist")
        self.list.setVerticalScrollMode(QtWidgets.QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.currentRowChanged.connect(self._row_changed)
        self.list.viewport().installEventFilter(self)
        self.fees = look.label("", None, self)
        self.fees.setObjectName("fees")
        self.fees.setWordWrap(True)
        self.promised = look.label("", "strong", self)
        self.promised.setObjectName("promised")
        self.promised.setWordWrap(True)
        head = QtWidgets.QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.state)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.general)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.fees)
        layout.addWidget(self.promised)
        self._codes: list[str] = []

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if watched is self.list.viewport() and event.type() == QtCore.QEvent.Type.Resize:
            self._fit_rows()  # a scroll bar came or went: the rows wrap differently
        return super().eventFilter(watched, event)

    def _fit_rows(self) -> None:
        width = self.list.viewport().width()
        for n in range(self.list.count()):
            item = self.list.item(n)
            row = self.list.itemWidget(item)
            if isinstance(row, MaterialRow):
                height = row.height_for(width)
                if item.sizeHint().height() != height:
                    item.setSizeHint(QtCore.QSize(0, height))

    def current(self) -> str | None:
        row = self.list.currentRow()
        return self._codes[row] if 0 <= row < len(self._codes) else None

    def select(self, code: str) -> None:
        if code in self._codes:
            self.list.setCurrentRow(self._codes.index(code))

    def set_checking(self, on: bool) -> None:
        self.state.setText(look.inline(CTX, CHECKING) if on else "")

    def show_draft(self, draft: Draft) -> None:
        """Show ``draft``'s checklist (keeping the selected material when it is still on the
        list) and the fees and the date from its preview. The rows are updated in place when
        the list is the same (a new preview), rebuilt when it is not."""
        keep = self.current()
        materials = draft.materials()
        codes = [m.code for m in materials]
        if codes != self._codes:
            self._rebuild(codes)
        for material in materials:
            self.refresh_row(draft, material.code)
        general = list(draft.general_problems) if draft.chosen else []
        if not draft.chosen:
            self.fees.setText(look.inline(CTX, CHOOSE_FIRST))
            self.promised.setText("")
        else:
            self._show_totals(draft.preview or {})
        self.general.setText("\n".join(general))
        self.general.setVisible(bool(general))
        if keep in self._codes:
            self.list.setCurrentRow(self._codes.index(keep))
        elif self._codes and self.list.currentRow() < 0:
            self.list.setCurrentRow(0)
        elif not self._codes:
            self.selected.emit("")

    def _rebuild(self, codes: list[str]) -> None:
        self.list.blockSignals(True)
        for row in range(self.list.count()):
            old = self.list.itemWidget(self.list.item(row))
            if old is not None:  # gone now, not at the next turn of the event loop
                old.hide()
                old.deleteLater()
        self.list.clear()
        self._codes = list(codes)
        for _ in codes:
            item = QtWidgets.QListWidgetItem()
            item.setSizeHint(QtCore.QSize(0, ROW_PX))
            self.list.addItem(item)
            self.list.setItemWidget(item, MaterialRow())
        self.list.blockSignals(False)

    def refresh_row(self, draft: Draft, code: str) -> None:
        """Redraw one material's row (a page taken, a state chosen, a new preview)."""
        if code not in self._codes:
            return
        item = self.list.item(self._codes.index(code))
        row = self.list.itemWidget(item)
        assert isinstance(row, MaterialRow)
        row.show_material(draft.material(code))
        width = self.list.viewport().width() or 360
        item.setSizeHint(QtCore.QSize(0, row.height_for(width)))

    def _show_totals(self, preview: Mapping[str, Any]) -> None:
        total = float(preview.get("fee_total_yuan") or 0)
        fee_zh, fee_en = look.two(CTX, FEE)
        amount = look.two(CTX, YUAN)[0].replace("%1", f"{total:.2f}") if total else \
            look.two(CTX, FREE)[0]
        self.fees.setText(f"{fee_zh} {fee_en}: {amount}" if fee_en else f"{fee_zh}: {amount}")
        promised = preview.get("promised_date")
        if promised:
            by_zh, by_en = look.two(CTX, DONE_BY)
            text = f"{by_zh} {by_en}: {promised}" if by_en else f"{by_zh}: {promised}"
            if preview.get("promised_estimated"):
                text += f"（{look.two(CTX, PROVISIONAL)[0]}）"
            self.promised.setText(text)
        else:
            self.promised.setText("")

    def _row_changed(self, row: int) -> None:
        self.selected.emit(self._codes[row] if 0 <= row < len(self._codes) else "")
