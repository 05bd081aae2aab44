"""取号: choose a category, optionally swipe the ID card first, take the printed ticket.

The card gives the green channel where the age rule applies (the station decides: queue.md)
and lets the station refuse a second open ticket of the same category, offering a reprint
instead. A ticket that did not print is voided and the citizen told to ask staff.
"""

from __future__ import annotations

from typing import Any

from kiosk.client.http import StationError
from kiosk.counter_ports import CardRead
from kiosk.domain.masking import mask_name
from kiosk.domain.queue.estimates import wait_minutes
from kiosk.ui.qt import QtWidgets

from . import tickets
from .page import DONE_S, Page

ID_NUMBER = 18


def card_body(card: CardRead) -> dict[str, Any] | None:
    """The station's ``id_card`` from a card read, or None for a card it does not take
    (a permit or a foreigner's card: the ticket is then taken without it)."""
    number = card.id_number.upper()
    if len(number) != ID_NUMBER or not number[:17].isdigit():
        return None
    return {"id_number": number, "name": card.name,
            "birth_date": card.birth_date.isoformat()}


class TicketPage(Page):
    name = "ticket"

    def forget(self) -> None:
        super().forget()
        self.card: CardRead | None = None
        self.done: tickets.Outcome | None = None
        self.duplicate: dict[str, Any] | None = None
        self.start = 0

    def unavailable(self) -> str | None:
        why = self.ctx.problem("ticket_printer")
        return self.t("No tickets: %1. Please ask at a window.", why) if why else None

    def on_card(self, card: CardRead) -> None:
        if self.done is None and not self.busy:
            self.card = card
            self.duplicate = None
            self.note = ""
            self.refresh()
            self.ctx.speak(self.t("Card read. Now touch what you came for."))

    def spoken(self) -> str:
        return self.t("Touch what you came for. Swipe your ID card first if you are 60 or "
                      "over: you will go ahead.")

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        if self.done is not None:
            self._printed(layout)
            return
        theme = self.ctx.theme
        self.title(layout, self.t("Take a ticket"))
        if self.duplicate is not None:
            layout.addWidget(self.banner(self.t(
                "This ID card already holds ticket %1 for this service.",
                self.duplicate.get("number", "")), "warn"))
            layout.addLayout(self.row(
                self.tile(self.t("Print it again"), self._reprint, tone="primary"),
                self.tile(self.t("Back"), self._back_from_duplicate)))
        card_words = (self.t("ID card read: %1", mask_name(self.card.name)) if self.card
                      else self.t("Optional: swipe your ID card (60 and over go ahead)")
                      if self.ctx.problem("id_card_reader") is None
                      else self.t("The card reader is not working: take a ticket without it"))
        frame, inner = self.panel()
        inner.addWidget(self.text(card_words, tone=theme.panel))
        if self.card is not None:
            inner.addWidget(self.tile(self.t("Take it without the card"), self._drop_card))
        layout.addWidget(frame)
        categories = self.ctx.status.get("categories", [])
        shown = categories[self.start:self.start + theme.per_page]
        for c in shown:
            seconds = c.get("estimated_wait_s")
            minutes = None if seconds is None else wait_minutes(seconds)
            waiting = int(c.get("waiting") or 0)
            sub = (self.t("No one waiting") if not waiting
                   else self.t("%1 waiting, about %2 min", waiting, minutes)
                   if minutes is not None else self.t("%1 waiting", waiting))
            tile = self.tile(self.ctx.lang.pick(c.get("name", ""), c.get("name_en", "")),
                             lambda p=c["prefix"]: self._take(p), subtitle=sub, tone="primary")
            tile.title_px = theme.title_px
            if not c.get("open_now", True):
                tile.disable(self.t("Not issuing now"))
            layout.addWidget(tile)
        if not categories:
            layout.addWidget(self.text(self.t("Connecting to the service…")))
        if len(categories) > theme.per_page:
            layout.addLayout(self.row(
                self.tile(self.t("Previous"), lambda: self._turn(-1)),
                self.tile(self.t("More"), lambda: self._turn(1))))
        layout.addStretch(1)

    def _printed(self, layout: QtWidgets.QVBoxLayout) -> None:
        assert self.done is not None
        theme = self.ctx.theme
        t = self.done.ticket
        if not self.done.printed:
            self.title(layout, self.t("The ticket could not be printed"))
            layout.addWidget(self.banner(self.t(
                "No ticket was issued. Please ask the staff for help.") + (
                "\n" + self.ctx.lang.half(self.done.words) if self.done.words else ""), "bad"))
            layout.addWidget(self.tile(self.t("Back to the start"), lambda: self.ctx.go("home"),
                                       tone="primary"))
            layout.addStretch(1)
            return
        self.title(layout, self.t("Please take your ticket"))
        frame, inner = self.panel()
        number = self.text(str(t.get("number", "")), tone=theme.panel, px=theme.huge_px,
                           bold=True, center=True)
        inner.addWidget(number)
        name, name_en = tickets.category_names(self.ctx, str(t.get("category", "")))
        inner.addWidget(self.text(self.ctx.lang.pick(name, name_en), tone=theme.panel,
                                  center=True))
        inner.addWidget(self.text(self.t("%1 people ahead of you", t.get("ahead") or 0),
                                  tone=theme.panel, center=True))
        if t.get("reasons"):
            inner.addWidget(self.text(self.t("Priority: you go ahead"), tone=theme.panel,
                                      center=True, bold=True))
        layout.addWidget(frame)
        layout.addWidget(self.text(self.t("Please listen for your number."), center=True))
        layout.addWidget(self.tile(self.t("Done"), lambda: self.ctx.go("home"), tone="primary"))
        layout.addStretch(1)

    def _turn(self, by: int) -> None:
        per = self.ctx.theme.per_page
        count = len(self.ctx.status.get("categories", []))
        self.start = max(0, min(self.start + by * per, max(0, count - 1) // per * per))
        self.refresh()

    def _drop_card(self) -> None:
        self.card = None
        self.refresh()

    def _back_from_duplicate(self) -> None:
        self.duplicate = None
        self.refresh()

    def _take(self, prefix: str) -> None:
        body = card_body(self.card) if self.card is not None else None
        client = self.ctx.client
        self.ask(lambda: tickets.issue_and_print(
            self.ctx, lambda: client.issue(prefix, id_card=body)), self._outcome,
            waiting=self.t("Printing your ticket…"), on_error=self._refused)

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, StationError) and exc.code == "duplicate_ticket" \
                and isinstance(exc.body.get("ticket"), dict):
            self.duplicate = exc.body["ticket"]
            self.note = ""
            self.refresh()
            self.ctx.speak(self.t("This ID card already holds ticket %1 for this service.",
                                  self.duplicate.get("number", "")))
            return
        self.fail(exc)

    def _reprint(self) -> None:
        assert self.duplicate is not None
        ticket = self.duplicate
        self.ask(lambda: tickets.reprint(self.ctx, ticket), self._outcome,
                 waiting=self.t("Printing your ticket…"))

    def _outcome(self, outcome: tickets.Outcome) -> None:
        self.done = outcome
        self.duplicate = None
        self.card = None  # the card's facts are not needed once the ticket exists
        self.refresh()
        self.home_after(DONE_S)
        if outcome.printed:
            self.ctx.speak(self.t("Your number is %1. Please take your ticket.",
                                  outcome.ticket.get("number", "")))
        else:
            self.ctx.speak(self.t("No ticket was issued. Please ask the staff for help."))
