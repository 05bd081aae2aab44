"""Choosing what the citizen applies for: one search box over the catalogue's items and
bundles (一件事), ranked by :func:`kiosk.domain.search.rank` (code, name, pinyin initials,
full pinyin), and the list of what is chosen (a bundle, or one or more items; a bundle
replaces items and the other way round, as a case is one or the other)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kiosk.domain.search import rank
from kiosk.ui.counter import look
from kiosk.ui.qt import QtCore, QtWidgets

from .draft import Draft

Qt = QtCore.Qt
QT_TRANSLATE_NOOP = QtCore.QT_TRANSLATE_NOOP
CTX = "CounterAcceptance"

TITLE = QT_TRANSLATE_NOOP("CounterAcceptance", "Items")
SEARCH_HINT = QT_TRANSLATE_NOOP("CounterAcceptance", "Name, pinyin initials or code")
BUNDLE = QT_TRANSLATE_NOOP("CounterAcceptance", "Bundle")
DAYS = QT_TRANSLATE_NOOP("CounterAcceptance", "%1 working days")
ON_THE_SPOT = QT_TRANSLATE_NOOP("CounterAcceptance", "on the spot")
NOTHING_FOUND = QT_TRANSLATE_NOOP("CounterAcceptance", "Nothing found")
CHOSEN = QT_TRANSLATE_NOOP("CounterAcceptance", "Chosen")
NOTHING_CHOSEN = QT_TRANSLATE_NOOP("CounterAcceptance", "Nothing chosen yet: search and tap a line")
REMOVE = QT_TRANSLATE_NOOP("CounterAcceptance", "Remove")
LOADING = QT_TRANSLATE_NOOP("CounterAcceptance", "Loading the catalogue…")
RETRY = QT_TRANSLATE_NOOP("CounterAcceptance", "Try again")

SHOWN = 30
"""Lines listed for a query (the clerk narrows it down by typing more)."""
ROW_PX = 56


def _days(days: Any) -> str:
    try:
        n = int(days)
    except (TypeError, ValueError):
        return ""
    if n == 0:
        return look.two(CTX, ON_THE_SPOT)[0]
    return look.two(CTX, DAYS)[0].replace("%1", str(n))


class ItemPicker(QtWidgets.QWidget):
    """Search, results, chosen. ``changed`` after the choice changed (the draft is updated
    already)."""

    changed = QtCore.Signal()
    retry = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.draft: Draft | None = None
        self.items: dict[str, Mapping[str, Any]] = {}
        self.bundles: dict[str, Mapping[str, Any]] = {}
        self._entries: list[Mapping[str, Any]] = []
        zh, en = look.two(CTX, TITLE)
        self.title = look.label(f"{zh}  <span style='color:{look.SECOND}; font-size:"
                                f"{look.SMALL_PX}px; font-weight:normal'>{en}</span>",
                                "title", self)
        self.search = QtWidgets.QLineEdit(self)
        self.search.setObjectName("item_search")
        self.search.setPlaceholderText(look.inline(CTX, SEARCH_HINT))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search)
        self.results = QtWidgets.QListWidget(self)
        self.results.setObjectName("item_results")
        self.results.setMinimumHeight(ROW_PX + 8)
        # whatever height is left, not the list's own wish (which would push the page to
        # scroll and the chosen items out of sight)
        self.results.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                                   QtWidgets.QSizePolicy.Policy.Ignored)
        self.results.itemClicked.connect(self._picked)
        self.results.itemActivated.connect(self._picked)
        self.status = look.label("", "second", self)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.retry_button = look.button(look.inline(CTX, RETRY), None, self)
        self.retry_button.clicked.connect(self.retry)
        self.retry_button.hide()
        chosen_zh, chosen_en = look.two(CTX, CHOSEN)
        self.chosen_title = look.label(f"{chosen_zh} {chosen_en}".strip(), "second", self)
        self.chosen = QtWidgets.QWidget(self)
        self.chosen.setObjectName("chosen_items")
        self._chosen_layout = QtWidgets.QVBoxLayout(self.chosen)
        self._chosen_layout.setContentsMargins(0, 0, 0, 0)
        self._chosen_layout.setSpacing(4)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.chosen_title)
        layout.addWidget(self.chosen)
        layout.addWidget(self.search)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.retry_button)
        self.set_loading()

    # --- the catalogue --------------------------------------------------------------------------

    def set_loading(self) -> None:
        self.status.setText(look.inline(CTX, LOADING))
        self.retry_button.hide()

    def set_failed(self, message: str) -> None:
        self.status.setText(message)
        self.retry_button.show()

    def set_catalogue(self, answer: Mapping[str, Any]) -> None:
        """``GET /v1/catalogue``'s answer: bundles first (a life event is what people come
        with), then items."""
        self.bundles = {str(b["code"]): b for b in answer.get("bundles") or []}
        self.items = {str(i["code"]): i for i in answer.get("items") or []}
        self._entries = [*self.bundles.values(), *self.items.values()]
        self.status.setText("")
        self.retry_button.hide()
        self._search(self.search.text())
        self._show_chosen()

    @property
    def loaded(self) -> bool:
        return bool(self._entries)

    def name_of(self, code: str) -> str:
        entry = self.bundles.get(code) or self.items.get(code) or {}
        return str(entry.get("name", code))

    def item_names(self) -> list[str]:
        """The names of the items applied for (a bundle's items, or the chosen ones)."""
        if self.draft is None:
            return []
        if self.draft.bundle_code:
            bundle = self.bundles.get(self.draft.bundle_code) or {}
            return [self.name_of(c) for c in bundle.get("item_codes") or []] or \
                [self.name_of(self.draft.bundle_code)]
        return [self.name_of(c) for c in self.draft.item_codes]

    # --- the draft --------------------------------------------------------------------------------

    def bind(self, draft: Draft) -> None:
        self.draft = draft
        self._show_chosen()

    def reset(self) -> None:
        self.search.clear()
        self._show_chosen()

    def choose(self, code: str) -> None:
        """Choose ``code`` (a bundle or an item), as a tap on its line does."""
        if self.draft is None:
            return
        if code in self.bundles:
            self.draft.choose_bundle(code)
        else:
            self.draft.add_item(code)
        self._show_chosen()
        self.changed.emit()

    def _remove(self, code: str) -> None:
        if self.draft is not None:
            self.draft.remove(code)
            self._show_chosen()
            self.changed.emit()

    # --- the lists -------------------------------------------------------------------------------

    def _search(self, text: str) -> None:
        found = rank(self._entries, text, limit=SHOWN) if text.strip() else \
            self._entries[:SHOWN]
        self.results.clear()
        for entry in found:
            code = str(entry["code"])
            bundle = code in self.bundles
            tag = f"【{look.two(CTX, BUNDLE)[0]}】" if bundle else ""
            days = _days(entry.get("promised_days"))
            item = QtWidgets.QListWidgetItem(f"{tag}{entry.get('name', code)}\n{code}"
                                             f"{'  ·  ' + days if days else ''}")
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setSizeHint(QtCore.QSize(0, ROW_PX + 4))
            self.results.addItem(item)
        if text.strip() and not found and self._entries:
            self.status.setText(look.inline(CTX, NOTHING_FOUND))
        elif self._entries:
            self.status.setText("")

    def _picked(self, item: QtWidgets.QListWidgetItem) -> None:
        self.choose(str(item.data(Qt.ItemDataRole.UserRole)))

    def _show_chosen(self) -> None:
        while self._chosen_layout.count():
            child = self._chosen_layout.takeAt(0).widget()
            if child is not None:
                child.hide()
                child.deleteLater()
        draft = self.draft
        codes = ([draft.bundle_code] if draft and draft.bundle_code else
                 list(draft.item_codes) if draft else [])
        if not codes:
            empty = look.label(look.inline(CTX, NOTHING_CHOSEN), "second", self.chosen)
            empty.setWordWrap(True)
            self._chosen_layout.addWidget(empty)
            return
        for code in codes:
            self._chosen_layout.addWidget(self._chosen_row(code))

    def _chosen_row(self, code: str) -> QtWidgets.QWidget:
        row = QtWidgets.QFrame(self.chosen)
        row.setObjectName("chosen_row")
        row.setProperty("role", "chosen")
        line = QtWidgets.QHBoxLayout(row)
        line.setContentsMargins(10, 0, 4, 0)
        tag = f"【{look.two(CTX, BUNDLE)[0]}】" if code in self.bundles else ""
        name = look.label(f"{tag}{self.name_of(code)}", None, row)
        name.setTextFormat(Qt.TextFormat.PlainText)  # the catalogue's text, never markup
        name.setWordWrap(True)
        remove = look.button("✕", None, row)
        remove.setObjectName(f"remove_{code}")
        remove.setFixedWidth(look.TOUCH_PX)
        remove.setToolTip(look.inline(CTX, REMOVE))
        remove.setAccessibleName(look.inline(CTX, REMOVE))
        remove.clicked.connect(lambda: self._remove(code))
        line.addWidget(name, 1)
        line.addWidget(remove)
        return row
