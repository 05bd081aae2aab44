"""办事指南: find an item by its category, by life event (个人全生命周期 一件事) or by typing
(Chinese, or pinyin initials on the letter pad: "txsp" for 退休审批), read what it takes, and
print the one-time notice of what to bring (一次性告知).

The catalogue comes from the station once (``GET /v1/catalogue?full=true``) and is parsed
by the domain (:func:`kiosk.domain.catalogue.parse_catalogue`); search is the counter's
(:mod:`kiosk.domain.search`).
"""

from __future__ import annotations

import string
from typing import Any

from kiosk.domain.catalogue import (
    CATEGORIES,
    VILLAGE,
    Catalogue,
    ItemMaterial,
    parse_catalogue,
)
from kiosk.kiosk_ports import GuideFacts, GuideMaterial
from kiosk.ui.qt import QtCore, QtWidgets

from .page import Page
from .widgets import Keypad

LETTERS = tuple(string.ascii_uppercase)


def load_catalogue(ctx: Any) -> Catalogue:
    """Runs on a worker: the station's full catalogue, parsed; the search entries made."""
    answer = ctx.client.catalogue(full=True)
    parsed = parse_catalogue(answer["source"])
    from kiosk.domain.search import initials  # pypinyin's dictionary: loaded off the GUI

    entries = [{"kind": "bundle", "code": b.code, "name": b.name,
                "initials": initials(b.name)} for b in parsed.bundles.values()]
    entries += [{"kind": "item", "code": i.code, "name": i.name,
                 "initials": initials(i.name)} for i in parsed.items.values()]
    return parsed, entries


def fee_text(amount: float) -> str:
    return "不收费 / Free" if not amount else f"{amount:g} 元 / yuan"


class GuidePage(Page):
    name = "guide"

    def forget(self) -> None:
        super().forget()
        self.mode = "category"
        """category, life, search or detail."""
        self.category: str | None = None
        self.query = ""
        self.chosen: tuple[str, str] | None = None
        """(kind, code) shown in detail."""
        self.start = 0
        self.printed = False
        self.back_to: tuple[str, str | None, int] = ("category", None, 0)

    def arrive(self, **kwargs: Any) -> None:
        if self.ctx.catalogue is None and not self.busy:
            self.ask(lambda: load_catalogue(self.ctx), self._loaded,
                     waiting=self.t("Loading the service guide…"))

    def _loaded(self, found: tuple[Catalogue, list[dict[str, Any]]]) -> None:
        self.ctx.catalogue, self.ctx.search_entries = found
        self.refresh()

    def spoken(self) -> str:
        return self.t("Find your service by its kind, by a life event, or by typing.")

    # --- building ----------------------------------------------------------------------------

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        cat: Catalogue | None = self.ctx.catalogue
        if self.mode == "detail" and cat is not None and self.chosen is not None:
            self._detail(layout, cat)
            return
        self.title(layout, self.t("Service guide"))
        tabs = [("category", self.t("By kind")), ("life", self.t("Life events")),
                ("search", self.t("Search"))]
        row = QtWidgets.QHBoxLayout()
        for mode, words in tabs:
            tab = self.tile(words, lambda m=mode: self._mode(m),
                            tone="primary" if self.mode == mode else "plain")
            row.addWidget(tab)
        layout.addLayout(row)
        if cat is None:
            layout.addStretch(1)
            return
        if self.mode == "search":
            self._search(layout, cat)
        elif self.mode == "life":
            self._entries(layout, [("bundle", b.code, b.name, b.name_en, b.life_event)
                                   for b in cat.bundles.values()])
        elif self.category is None:
            kinds = [c for c in CATEGORIES if any(i.category == c for i in cat.items.values())]
            self._list(layout, [(k, lambda k=k: self._open_category(k)) for k in kinds])
        else:
            layout.addWidget(self.text(self.category, bold=True))
            self._entries(layout, [("item", i.code, i.name, i.name_en, i.department)
                                   for i in cat.items.values() if i.category == self.category])
        layout.addStretch(1)

    def _entries(self, layout: QtWidgets.QVBoxLayout,
                 rows: list[tuple[str, str, str, str, str]]) -> None:
        self._list(layout, [(self.ctx.lang.pick(name, en),
                             lambda k=kind, c=code: self._open(k, c), sub)
                            for kind, code, name, en, sub in rows])

    def _list(self, layout: QtWidgets.QVBoxLayout, rows: list[tuple[Any, ...]]) -> None:
        per = self.ctx.theme.per_page
        for words, action, *sub in rows[self.start:self.start + per]:
            layout.addWidget(self.tile(words, action, subtitle=sub[0] if sub else ""))
        if len(rows) > per:
            pages = (len(rows) + per - 1) // per
            here = self.start // per + 1
            previous = self.tile(self.t("Previous"), lambda: self._turn(-per, len(rows)))
            following = self.tile(self.t("More"), lambda: self._turn(per, len(rows)),
                                  subtitle=self.t("Page %1 of %2", here, pages))
            previous.setEnabled(self.start > 0)
            following.setEnabled(here < pages)
            layout.addLayout(self.row(previous, following))

    def _search(self, layout: QtWidgets.QVBoxLayout, cat: Catalogue) -> None:
        theme = self.ctx.theme
        field = QtWidgets.QLineEdit(self.query)
        field.setPlaceholderText(self.t("Type a name, or its pinyin initials"))
        field.setFont(self.text("").font())
        field.setMinimumHeight(theme.touch_px)
        field.textEdited.connect(self._typed)
        field.tone = theme.panel  # type: ignore[attr-defined]
        layout.addWidget(field)
        from kiosk.domain.search import rank

        found = rank(self.ctx.search_entries, self.query, limit=theme.per_page)
        for entry in found:
            source = (cat.bundles.get(entry["code"]) if entry["kind"] == "bundle"
                      else cat.items.get(entry["code"]))
            name_en = getattr(source, "name_en", "")
            layout.addWidget(self.tile(self.ctx.lang.pick(entry["name"], name_en),
                                       lambda e=entry: self._open(e["kind"], e["code"])))
        if self.query and not found:
            layout.addWidget(self.text(self.t("Nothing found for “%1”.", self.query)))
        pad = Keypad([*LETTERS, "⌫"], theme, self._key, columns=7 if not theme.elderly else 5)
        pad.keys["⌫"].setAccessibleName(self.t("Delete"))
        layout.addWidget(pad)
        QtCore.QTimer.singleShot(0, lambda: field.setFocus())

    def _detail(self, layout: QtWidgets.QVBoxLayout, cat: Catalogue) -> None:
        theme = self.ctx.theme
        facts = self.facts(cat)
        self.title(layout, self.ctx.lang.pick(facts.title, facts.title_en))
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        # a finger drags the page: no one should have to hit a 10-pixel scroll bar
        QtWidgets.QScroller.grabGesture(
            scroll.viewport(), QtWidgets.QScroller.ScrollerGestureType.LeftMouseButtonGesture)
        frame, inner = self.panel()
        scroll.setWidget(frame)
        if facts.items:
            inner.addWidget(self.text(self.t("This covers:"), tone=theme.panel, bold=True))
            for name in facts.items:
                inner.addWidget(self.text(f"· {name}", tone=theme.panel))
        if facts.conditions:
            inner.addWidget(self.text(self.t("Who can apply:"), tone=theme.panel, bold=True))
            for line in facts.conditions:
                inner.addWidget(self.text(f"· {line}", tone=theme.panel))
        inner.addWidget(self.text(self.t("What to bring:"), tone=theme.panel, bold=True))
        for n, m in enumerate(facts.materials, 1):
            later = self.t(" (may follow later)") if m.rongque else ""
            optional = "" if m.required else self.t(" (if you have it)")
            inner.addWidget(self.text(self.t("%1. %2, %3 × %4", n, m.name, m.form, m.count)
                                      + later + optional, tone=theme.panel))
        days = (self.t("Done on the spot") if not facts.promised_days and not facts.legal_days
                else self.t("Done within %1 working days (the law allows %2)",
                            facts.promised_days, facts.legal_days))
        inner.addWidget(self.text(days, tone=theme.panel))
        inner.addWidget(self.text(self.t("Fees: %1", self.ctx.lang.half(facts.fee_text)),
                                  tone=theme.panel))
        if facts.window:
            inner.addWidget(self.text(self.t("Where: %1", facts.window), tone=theme.panel))
        inner.addWidget(self.text(
            self.t("Your village service point can do it for you") if facts.village_can
            else self.t("Done at the township centre"), tone=theme.panel, bold=True))
        layout.addWidget(scroll, 1)
        why = self.ctx.problem("ticket_printer")
        print_tile = self.tile(self.t("Print what to bring"), lambda: self._print(facts),
                               tone="primary")
        if why:
            print_tile.disable(why)
        layout.addLayout(self.row(self.tile(self.t("Back"), self._back), print_tile))

    # --- facts for paper ------------------------------------------------------------------

    def facts(self, cat: Catalogue) -> GuideFacts:
        assert self.chosen is not None
        kind, code = self.chosen
        if kind == "bundle":
            bundle = cat.bundles[code]
            items = cat.bundle_items(code)
            title, title_en = bundle.name, bundle.name_en
            materials = cat.bundle_materials(code)
            promised = bundle.promised_days
            village = cat.bundle_level(code) == VILLAGE
            names = tuple(i.name for i in items)
        else:
            item = cat.items[code]
            items = (item,)
            title, title_en = item.name, item.name_en
            materials = item.materials
            promised = item.promised_days
            village = item.level == VILLAGE
            names = ()
        conditions = tuple(dict.fromkeys(c for i in items for c in i.conditions))
        return GuideFacts(
            site_name=self.ctx.site_name, title=title, title_en=title_en,
            printed_at=self.ctx.now(), materials=tuple(self._material(m) for m in materials),
            conditions=conditions, promised_days=promised,
            legal_days=max(i.legal_days for i in items),
            fee_text=fee_text(sum(i.fees.amount_yuan for i in items)),
            window=self._window(items[0].window_category), village_can=village, items=names)

    @staticmethod
    def _material(m: ItemMaterial) -> GuideMaterial:
        return GuideMaterial(name=m.material.name, form=m.form, count=m.count,
                             required=m.required, rongque=m.rongque, note=m.note)

    def _window(self, category: str) -> str:
        for c in self.ctx.status.get("categories", []):
            if c.get("prefix") == category:
                numbers = [w["number"] for w in self.ctx.status.get("windows", [])
                           if category in (w.get("categories") or {})]
                name = self.ctx.lang.pick(c.get("name", ""), c.get("name_en", ""))
                joined = ("、" if self.ctx.lang.chinese else ", ").join(numbers)
                return self.t("%1, window %2", name, joined) if numbers else name
        return ""

    # --- actions -------------------------------------------------------------------------

    def _mode(self, mode: str) -> None:
        self.mode, self.category, self.start = mode, None, 0
        self.refresh()

    def _open_category(self, kind: str) -> None:
        self.category, self.start = kind, 0
        self.refresh()

    def _open(self, kind: str, code: str) -> None:
        self.back_to = (self.mode, self.category, self.start)
        self.chosen, self.mode, self.printed = (kind, code), "detail", False
        self.note = ""
        self.refresh()
        self.ctx.speak(self.t("Here is what to bring. Touch Print to take it with you."))

    def _back(self) -> None:
        self.mode, self.category, self.start = self.back_to
        self.chosen = None
        self.note = ""
        self.refresh()

    def _turn(self, by: int, count: int) -> None:
        self.start = max(0, min(self.start + by, count - 1))
        self.refresh()

    def _key(self, key: str) -> None:
        self.query = self.query[:-1] if key == "⌫" else (self.query + key.lower())[:20]
        self.refresh()

    def _typed(self, text: str) -> None:
        self.query = text[:20]
        QtCore.QTimer.singleShot(300, self._refresh_if_same(self.query))

    def _refresh_if_same(self, query: str) -> Any:
        return lambda: self.refresh() if self.query == query else None

    def _print(self, facts: GuideFacts) -> None:
        printer = self.ctx.devices.printer
        if printer is None:
            return
        self.ask(lambda: printer.print_guide(facts), self._printed_done,
                 waiting=self.t("Printing…"))

    def _printed_done(self, printed: Any) -> None:
        self.printed = printed.ok
        self.show_note(self.t("Printed: please take the notice.") if printed.ok
                       else self.t("Could not print: %1", self.ctx.lang.half(printed.message)),
                       "good" if printed.ok else "warn")
