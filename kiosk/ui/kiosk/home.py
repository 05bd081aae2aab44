"""The home screen: the seven things a citizen comes for, as large tiles, with how many are
waiting. A tile whose device is missing is greyed and says why (the rest keep working)."""

from __future__ import annotations

from kiosk.ui.qt import QtWidgets

from .page import QT_TRANSLATE_NOOP, Page

TILES = (
    ("ticket", QT_TRANSLATE_NOOP("Kiosk", "Take a ticket"),
     QT_TRANSLATE_NOOP("Kiosk", "Queue for a window")),
    ("appointment", QT_TRANSLATE_NOOP("Kiosk", "Check in"),
     QT_TRANSLATE_NOOP("Kiosk", "I have an appointment")),
    ("guide", QT_TRANSLATE_NOOP("Kiosk", "Service guide"),
     QT_TRANSLATE_NOOP("Kiosk", "What to bring, how long")),
    ("progress", QT_TRANSLATE_NOOP("Kiosk", "My cases"),
     QT_TRANSLATE_NOOP("Kiosk", "How far along is it")),
    ("results", QT_TRANSLATE_NOOP("Kiosk", "Print results"),
     QT_TRANSLATE_NOOP("Kiosk", "Documents the county sent")),
    ("rating", QT_TRANSLATE_NOOP("Kiosk", "Rate the service"),
     QT_TRANSLATE_NOOP("Kiosk", "Tell us how we did")),
    ("help", QT_TRANSLATE_NOOP("Kiosk", "I need help"),
     QT_TRANSLATE_NOOP("Kiosk", "A member of staff will come")),
)


class HomePage(Page):
    name = "home"

    def __init__(self, ctx, pages: dict[str, Page], parent: QtWidgets.QWidget | None = None):
        self.pages = pages
        super().__init__(ctx, parent)
        self.tiles: dict[str, QtWidgets.QAbstractButton] = {}

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        theme = self.ctx.theme
        self.title(layout, self.t("What would you like to do?"))
        waiting = sum(int(c.get("waiting") or 0) for c in self.ctx.status.get("categories", []))
        layout.addWidget(self.text(
            self.t("%1 people are waiting now", waiting) if self.ctx.station_ok
            else self.t("Connecting to the service…"), tone=theme.page))
        grid = QtWidgets.QGridLayout()
        grid.setSpacing(theme.gap)
        self.tiles = {}
        columns = 1 if theme.elderly else 2
        for n, (name, title, subtitle) in enumerate(TILES):
            tile = self.tile(self.t(title), lambda name=name: self.ctx.go(name),
                             subtitle=self.t(subtitle), big=True,
                             tone="primary" if name == "ticket" else
                             "good" if name == "help" else "plain")
            page = self.pages.get(name)
            why = page.unavailable() if page is not None else None
            if why:
                tile.disable(why)
            if theme.elderly:  # one column of seven: shorter tiles, still far over 15 mm
                tile.setMinimumHeight(theme.tile_h * 2 // 3)
            grid.addWidget(tile, n // columns, n % columns)
            self.tiles[name] = tile
        layout.addLayout(grid, 1)

    def spoken(self) -> str:
        return self.t("Please touch what you would like to do.")
