"""The technician's page, reached only by the hidden gesture: the PIN, then the state of
every device and the way out of the kiosk."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kiosk.ui.qt import QtWidgets

from .lock import PinGate
from .page import Page
from .widgets import Keypad

DIGITS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK")
ROLES = ("id_card_reader", "ticket_printer", "code_scanner", "document_camera", "announcer")


class TechPage(Page):
    name = "tech"

    def forget(self) -> None:
        super().forget()
        self.pin = ""
        self.open = False
        self.gate: PinGate | None = None
        self.quit: Callable[[], None] | None = None

    def arrive(self, **kwargs: Any) -> None:
        self.gate, self.quit = kwargs.get("gate"), kwargs.get("quit")
        self.refresh()

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        theme = self.ctx.theme
        self.title(layout, self.t("Technician"))
        if not self.open:
            frame, inner = self.panel()
            inner.addWidget(self.text("●" * len(self.pin) or self.t("Enter the PIN"),
                                      tone=theme.panel, px=theme.title_px, center=True))
            layout.addWidget(frame)
            pad = Keypad(DIGITS, theme, self._key)
            pad.keys["⌫"].setAccessibleName(self.t("Delete"))
            layout.addWidget(pad, 1)
            layout.addWidget(self.tile(self.t("Back to the start"), lambda: self.ctx.go("home")))
            return
        frame, inner = self.panel()
        for role in ROLES:
            why = self.ctx.problem(role)
            inner.addWidget(self.text(f"{role}: " + (why or self.t("working")),
                                      tone=theme.panel))
        inner.addWidget(self.text(self.t("Station: %1", self.t("connected")
                                         if self.ctx.station_ok else self.t("not answering")),
                                  tone=theme.panel))
        layout.addWidget(frame)
        layout.addLayout(self.row(
            self.tile(self.t("Back to the start"), lambda: self.ctx.go("home")),
            self.tile(self.t("Quit the kiosk"), self._quit, tone="bad")))
        layout.addStretch(1)

    def _key(self, key: str) -> None:
        if key == "⌫":
            self.pin = self.pin[:-1]
        elif key == "OK":
            outcome = self.gate.try_pin(self.pin, time.monotonic()) if self.gate else "wrong"
            self.pin = ""
            self.open = outcome == "ok"
            self.note = "" if self.open else (
                self.t("Wrong PIN") if outcome == "wrong"
                else self.t("Too many wrong PINs: wait a minute"))
        elif len(self.pin) < 12:
            self.pin += key
        self.refresh()

    def _quit(self) -> None:
        if self.open and self.quit is not None:
            self.quit()
