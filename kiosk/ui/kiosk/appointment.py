"""预约签到: the booking's QR code under the scanner (or the camera), or the phone number it
was booked with typed on the pad; then the ticket, with the priority an appointment inside
its window gets (queue.md). The station decides whether it is too early or too late."""

from __future__ import annotations

from typing import Any

from kiosk.client.http import StationError
from kiosk.ui.qt import QtWidgets

from . import tickets
from .page import DONE_S, Page
from .widgets import Keypad

PHONE_DIGITS = 11
DIGITS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK")


class AppointmentPage(Page):
    name = "appointment"
    takes_codes = True

    def forget(self) -> None:
        super().forget()
        self.phone = ""
        self.found: list[dict[str, Any]] | None = None
        self.done: tickets.Outcome | None = None

    def unavailable(self) -> str | None:
        why = self.ctx.problem("ticket_printer")
        return self.t("No tickets: %1. Please ask at a window.", why) if why else None

    def spoken(self) -> str:
        return self.t("Show the QR code of your appointment, or type the phone number you "
                      "booked with.")

    def on_code(self, text: str) -> None:
        if self.busy or self.done is not None:
            return
        self.ask(lambda: self.ctx.client.find_appointments(code=text), self._found,
                 waiting=self.t("Looking it up…"))

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        theme = self.ctx.theme
        if self.done is not None:
            self._done(layout)
            return
        self.title(layout, self.t("Check in"))
        if self.found:
            layout.addWidget(self.text(self.t("Choose your appointment:")))
            for a in self.found[:theme.per_page]:
                start, end = self.ctx.local(a.get("start_at")), self.ctx.local(a.get("end_at"))
                words = f"{tickets.day_time(start)}–{tickets.day_time(end)}  " + \
                    self.ctx.lang.pick(str(a.get("category_name") or a.get("category", "")),
                                       str(a.get("category_name_en") or ""))
                tile = self.tile(words, lambda i=a["id"]: self._check_in(i),
                                 subtitle=str(a.get("holder") or ""), tone="primary")
                if a.get("when") == "early" and start is not None:
                    tile.disable(self.t("Too early: check in from %1",
                                        tickets.day_time(start)))
                elif a.get("when") == "late":
                    tile.disable(self.t("This appointment has passed: take a normal ticket"))
                layout.addWidget(tile)
            layout.addWidget(self.tile(self.t("Back"), self._again))
            layout.addStretch(1)
            return
        if self.found is not None:
            layout.addWidget(self.banner(self.t("No appointment today for this number."),
                                         "warn"))
        if self.ctx.can_scan():
            layout.addWidget(self.text(self.t("Hold the QR code of your appointment under "
                                              "the scanner, or type your phone number:"),
                                       bold=True))
        else:
            layout.addWidget(self.text(self.t("Type the phone number you booked with:"),
                                       bold=True))
        frame, inner = self.panel()
        shown = self.phone or self.t("(phone number)")
        inner.addWidget(self.text(shown, tone=theme.panel if self.phone else theme.second,
                                  px=theme.title_px, bold=True, center=True))
        layout.addWidget(frame)
        pad = Keypad(DIGITS, theme, self._key)
        pad.keys["⌫"].setAccessibleName(self.t("Delete"))
        pad.keys["OK"].title = self.t("Find")
        pad.keys["OK"].enabled_tone = theme.primary
        if len(self.phone) != PHONE_DIGITS:
            pad.keys["OK"].disable(self.t("11 digits"))
        layout.addWidget(pad, 1)

    def _done(self, layout: QtWidgets.QVBoxLayout) -> None:
        assert self.done is not None
        theme = self.ctx.theme
        if not self.done.printed:
            self.title(layout, self.t("The ticket could not be printed"))
            layout.addWidget(self.banner(self.t(
                "No ticket was issued. Please ask the staff for help."), "bad"))
        else:
            self.title(layout, self.t("You are checked in"))
            frame, inner = self.panel()
            inner.addWidget(self.text(str(self.done.ticket.get("number", "")),
                                      tone=theme.panel, px=theme.huge_px, bold=True,
                                      center=True))
            inner.addWidget(self.text(self.t("%1 people ahead of you",
                                             self.done.ticket.get("ahead") or 0),
                                      tone=theme.panel, center=True))
            layout.addWidget(frame)
            layout.addWidget(self.text(self.t("Please listen for your number."), center=True))
        layout.addWidget(self.tile(self.t("Done"), lambda: self.ctx.go("home"),
                                   tone="primary"))
        layout.addStretch(1)

    def _key(self, key: str) -> None:
        if key == "⌫":
            self.phone = self.phone[:-1]
        elif key == "OK":
            phone = self.phone
            self.ask(lambda: self.ctx.client.find_appointments(phone=phone), self._found,
                     waiting=self.t("Looking it up…"))
            return
        elif len(self.phone) < PHONE_DIGITS:
            self.phone += key
        self.refresh()

    def _found(self, answer: dict[str, Any]) -> None:
        self.found = list(answer.get("appointments") or [])
        self.phone = ""  # the number is not kept once it was used
        self.note = ""
        self.refresh()
        self.ctx.speak(self.t("Choose your appointment:") if self.found
                       else self.t("No appointment today for this number."))

    def _again(self) -> None:
        self.found = None
        self.refresh()

    def _check_in(self, appointment_id: str) -> None:
        client = self.ctx.client
        self.ask(lambda: tickets.issue_and_print(
            self.ctx, lambda: client.check_in(appointment_id), appointment=True),
            self._checked_in, waiting=self.t("Printing your ticket…"), on_error=self._refused)

    def _refused(self, exc: BaseException) -> None:
        ticket = exc.body.get("ticket") if isinstance(exc, StationError) else None
        if isinstance(exc, StationError) and exc.code == "already_checked_in" \
                and isinstance(ticket, dict):  # checked in before: the same ticket again
            self.ask(lambda: tickets.reprint(self.ctx, ticket), self._checked_in,
                     waiting=self.t("Printing your ticket…"))
            return
        self.fail(exc)

    def _checked_in(self, outcome: tickets.Outcome) -> None:
        self.done = outcome
        self.found = None
        self.refresh()
        self.home_after(DONE_S)
        self.ctx.speak(self.t("Your number is %1. Please take your ticket.",
                              outcome.ticket.get("number", "")) if outcome.printed
                       else self.t("No ticket was issued. Please ask the staff for help."))


class HelpPage(Page):
    """我要帮办: tells the staff (their counter screens show it) that someone at the kiosk
    cannot go on alone."""

    name = "help"

    def forget(self) -> None:
        super().forget()
        self.asked: bool | None = None

    def arrive(self, **kwargs: Any) -> None:
        screen = str(kwargs.get("from_page") or "home")
        self.asked = None
        self.ask(lambda: self.ctx.client.ask_help(screen), lambda _: self._asked(True),
                 on_error=lambda _exc: self._asked(False))

    def _asked(self, ok: bool) -> None:
        self.asked = ok
        self.refresh()
        self.ctx.speak(self.spoken())

    def spoken(self) -> str:
        if self.asked is False:
            return self.t("Please go to the front desk: the staff there will help you.")
        return self.t("A member of staff is on the way. Please wait here.")

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        self.title(layout, self.t("I need help"))
        if self.asked is None:
            layout.addWidget(self.banner(self.t("Calling the staff…"), "plain"))
        else:
            layout.addWidget(self.banner(self.spoken(), "good" if self.asked else "warn"))
        layout.addWidget(self.tile(self.t("Back to the start"), lambda: self.ctx.go("home"),
                                   tone="primary"))
        layout.addStretch(1)
