"""The pages that show a citizen their own affairs: 进度查询, 结果打印 and 服务评价.

Each starts by asking who is there: the ID card on the reader, or the QR code of a receipt
(or of a ticket, for a rating) under the scanner. The station answers with that citizen's
cases only (``POST /v1/citizen/cases``, docs/citizen-api.md): nothing of anyone else can be
asked for from here. A result document is printed only after the card is read, and the
station checks the card against the case again.
"""

from __future__ import annotations

from typing import Any

from kiosk.counter_ports import CardRead
from kiosk.domain.ratings import BAD_LEVEL, LEVELS, REASONS
from kiosk.kiosk_ports import ResultDoc
from kiosk.ui.qt import QtWidgets

from .page import DONE_S, Page
from .ticket import card_body

LEVELS_EN = {5: "Very satisfied", 4: "Satisfied", 3: "Fairly satisfied", 2: "Dissatisfied",
             1: "Very dissatisfied"}
REASONS_EN = {
    "guide_unclear": "The guide was unclear or wrong",
    "not_told_at_once": "Not told everything at once: more trips",
    "materials_repeated": "Asked for the same papers again",
    "slow": "It took too long",
    "long_wait": "Long wait in the queue",
    "attitude": "Unfriendly staff",
    "unskilled": "Staff did not know the work",
    "fees": "Unfair fees",
    "facilities": "The hall is hard to use",
    "other": "Something else",
}
"""English of the 差评 reasons (the Chinese is the domain's :data:`REASONS`, the text the
county receives)."""

class CitizenPage(Page):
    """Waits for a card or a code, asks the station, then shows what came back."""

    accepts_code = True
    takes_codes = True

    def forget(self) -> None:
        super().forget()
        self.card: dict[str, Any] | None = None
        self.found: dict[str, Any] | None = None
        self.start = 0

    def unavailable(self) -> str | None:
        reader = self.ctx.problem("id_card_reader")
        if reader is None or (self.accepts_code and self.ctx.can_scan()):
            return None
        return reader

    def on_card(self, card: CardRead) -> None:
        if self.busy or self.found is not None:
            return
        body = card_body(card)
        if body is None:
            self.show_note(self.t("This card cannot be used here. Please ask at a window."))
            return
        self.card = {"id_number": body["id_number"], "name": body["name"]}
        self._lookup(id_card=self.card)

    def on_code(self, text: str) -> None:
        if self.busy or self.found is not None or not self.accepts_code:
            return
        self._lookup(code=text)

    def _lookup(self, **how: Any) -> None:
        self.ask(lambda: self.ctx.client.citizen_cases(**how), self._answered,
                 waiting=self.t("Looking it up…"))

    def _answered(self, found: dict[str, Any]) -> None:
        self.found, self.start = found, 0
        self.note = ""
        self.refresh()
        self.ctx.speak(self.summary())

    def summary(self) -> str:
        return ""

    def ask_who(self, layout: QtWidgets.QVBoxLayout, title: str) -> None:
        self.title(layout, title)
        theme = self.ctx.theme
        frame, inner = self.panel()
        reader_ok = self.ctx.problem("id_card_reader") is None
        scan_ok = self.accepts_code and self.ctx.can_scan()
        if reader_ok:
            inner.addWidget(self.text(self.t("Place your ID card on the reader."),
                                      tone=theme.panel, bold=True))
        if scan_ok:
            inner.addWidget(self.text(
                self.t("Or hold the QR code of your receipt under the scanner.")
                if reader_ok else self.t("Hold the QR code of your receipt under the scanner."),
                tone=theme.panel, bold=True))
        if not reader_ok:
            inner.addWidget(self.text(self.t("The card reader is not working: %1",
                                             self.ctx.problem("id_card_reader")),
                                      tone=theme.panel))
        inner.addWidget(self.text(self.t("Only your own cases are shown."),
                                  tone=theme.second, px=theme.small_px))
        layout.addWidget(frame)
        layout.addStretch(1)

    def synced(self) -> str:
        at = self.ctx.local((self.found or {}).get("last_sync_at"))
        if at is None:
            return self.t("Not yet synced with the county platform")
        return self.t("County status as of the last sync at %1", f"{at:%m-%d %H:%M}")

    def status_words(self, case: dict[str, Any]) -> str:
        """The case's status here, and the county's when the county has spoken."""
        lang = self.ctx.lang
        here = lang.pick(str(case.get("status_text") or case.get("status") or ""),
                         str(case.get("status_text_en") or ""))
        if not case.get("county_status"):
            return here
        county = lang.pick(str(case.get("county_status_text") or case["county_status"]),
                           str(case.get("county_status_text_en") or ""))
        return f"{here} · " + self.t("County: %1", county)

    def cases(self) -> list[dict[str, Any]]:
        return list((self.found or {}).get("cases") or [])

    def paged(self, layout: QtWidgets.QVBoxLayout, rows: list[Any], show: Any) -> None:
        per = self.cases_per_page()
        for row in rows[self.start:self.start + per]:
            show(row)
        if len(rows) > per:
            previous = self.tile(self.t("Previous"), lambda: self._turn(-per, len(rows)))
            following = self.tile(self.t("More"), lambda: self._turn(per, len(rows)))
            previous.setEnabled(self.start > 0)
            following.setEnabled(self.start + per < len(rows))
            layout.addLayout(self.row(previous, following))

    def _turn(self, by: int, count: int) -> None:
        self.start = max(0, min(self.start + by, count - 1))
        self.refresh()

    def cases_per_page(self) -> int:
        """A case takes about two list entries' room: three in normal text, two in large."""
        return max(2, self.ctx.theme.per_page // 2)

    def case_panel(self, case: dict[str, Any]) -> tuple[QtWidgets.QWidget, QtWidgets.QVBoxLayout]:
        theme = self.ctx.theme
        frame, inner = self.panel()
        inner.addWidget(self.text(self.ctx.lang.pick(case.get("title", ""),
                                                     case.get("title_en", "")),
                                  tone=theme.panel, bold=True))
        inner.addWidget(self.text(self.t("Receipt %1", case.get("receipt_no", "")),
                                  tone=theme.second, px=theme.small_px))
        inner.addWidget(self.text(self.status_words(case), tone=theme.panel, bold=True))
        return frame, inner


class ProgressPage(CitizenPage):
    name = "progress"

    def spoken(self) -> str:
        return self.t("Place your ID card on the reader, or show your receipt's QR code.")

    def summary(self) -> str:
        n = len(self.cases())
        return self.t("%1 cases found.", n) if n else self.t("No cases found.")

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        if self.found is None:
            self.ask_who(layout, self.t("My cases"))
            return
        theme = self.ctx.theme
        self.title(layout, self.t("My cases"))
        layout.addWidget(self.text(self.synced(), px=theme.small_px, tone=theme.page))
        cases = self.cases()
        if not cases:
            layout.addWidget(self.banner(self.t("No cases found."), "warn"))
        self.paged(layout, cases, lambda case: layout.addWidget(self._case(case)))
        layout.addStretch(1)

    def _case(self, case: dict[str, Any]) -> QtWidgets.QWidget:
        theme = self.ctx.theme
        frame, inner = self.case_panel(case)
        promised = case.get("promised")
        if promised and case.get("status") != "done":
            inner.addWidget(self.text(self.t("Promised by %1", promised), tone=theme.panel))
        for owed in case.get("missing") or []:
            name = self.ctx.lang.pick(str(owed.get("name", "")), str(owed.get("name_en") or ""))
            inner.addWidget(self.text(self.t("Still to bring: %1 by %2", name,
                                             owed.get("due") or "—"), tone=theme.panel))
        actions = []
        if case.get("rateable"):
            actions.append(self.tile(self.t("Rate it"), lambda c=case: self.ctx.go(
                "rating", found=self.found, case_id=c["case_id"])))
        if case.get("results") and self.card is not None:
            actions.append(self.tile(self.t("Print the result"), lambda: self.ctx.go(
                "results", found=self.found, card=self.card), tone="primary"))
        if actions:
            inner.addLayout(self.row(*actions))
        return frame


class ResultsPage(CitizenPage):
    name = "results"
    accepts_code = False  # a result goes to the card's holder only
    takes_codes = False

    def arrive(self, **kwargs: Any) -> None:
        if kwargs.get("card") and kwargs.get("found"):
            self.card, self.found = kwargs["card"], kwargs["found"]

    def unavailable(self) -> str | None:
        return self.ctx.problem("ticket_printer") or self.ctx.problem("id_card_reader")

    def spoken(self) -> str:
        return self.t("Place your ID card on the reader to print your documents.")

    def summary(self) -> str:
        n = len(self._results())
        return self.t("%1 documents to print.", n) if n else self.t("No documents yet.")

    def _results(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [(case, r) for case in self.cases() for r in case.get("results") or []]

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        if self.found is None:
            self.ask_who(layout, self.t("Print results"))
            return
        theme = self.ctx.theme
        self.title(layout, self.t("Print results"))
        found = self._results()
        if not found:
            layout.addWidget(self.banner(self.t(
                "No documents yet. The county sends them when the case is done."), "warn"))
        for case, result in found[self.start:self.start + self.cases_per_page()]:
            frame, inner = self.case_panel(case)
            inner.addWidget(self.text(str(result.get("name", "")), tone=theme.panel))
            inner.addWidget(self.tile(self.t("Print"), lambda c=case, r=result:
                                      self._print(c, r), tone="primary"))
            layout.addWidget(frame)
        layout.addStretch(1)

    def _print(self, case: dict[str, Any], result: dict[str, Any]) -> None:
        card, printer = self.card, self.ctx.devices.printer
        if card is None or printer is None:
            return
        client, now = self.ctx.client, self.ctx.now()

        def work() -> Any:
            data, media_type = client.citizen_result(case["case_id"], result["id"], card)
            return printer.print_result(ResultDoc(
                name=str(result.get("name", "")), media_type=media_type, data=data,
                receipt_no=str(case.get("receipt_no", "")), printed_at=now))

        self.ask(work, self._printed, waiting=self.t("Printing…"))

    def _printed(self, printed: Any) -> None:
        self.show_note(self.t("Printed: please take it.") if printed.ok
                       else self.t("Could not print: %1", self.ctx.lang.half(printed.message)),
                       "good" if printed.ok else "warn")


class RatingPage(CitizenPage):
    name = "rating"

    def forget(self) -> None:
        super().forget()
        self.subject: dict[str, Any] | None = None
        """{"case_id": …} or {"ticket_id": …}: what is being rated."""
        self.level: int | None = None
        self.reasons: list[str] = []
        self.thanked = False

    def arrive(self, **kwargs: Any) -> None:
        if kwargs.get("found") and kwargs.get("case_id"):
            self.found = kwargs["found"]
            self.subject = {"case_id": kwargs["case_id"]}

    def spoken(self) -> str:
        return self.t("Place your ID card on the reader, or show your receipt's or ticket's "
                      "QR code.")

    def summary(self) -> str:
        return self.t("Choose what to rate.") if self.choices() \
            else self.t("Nothing to rate: a case can be rated once it is done.")

    def choices(self) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        """(words, subject, source) of everything this citizen may rate."""
        found: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        ticket = (self.found or {}).get("ticket")
        if ticket and ticket.get("rateable"):
            found.append((self.t("Your visit with ticket %1", ticket.get("number", "")),
                          {"ticket_id": ticket["ticket_id"]}, ticket))
        for case in self.cases():
            if case.get("rateable"):
                found.append((self.ctx.lang.pick(case.get("title", ""),
                                                 case.get("title_en", "")),
                              {"case_id": case["case_id"]}, case))
        return found

    def build(self, layout: QtWidgets.QVBoxLayout) -> None:
        theme = self.ctx.theme
        if self.thanked:
            self.title(layout, self.t("Thank you"))
            layout.addWidget(self.banner(self.t(
                "Your rating was sent. A bad rating is followed up by the centre."), "good"))
            layout.addWidget(self.tile(self.t("Done"), lambda: self.ctx.go("home"),
                                       tone="primary"))
            layout.addStretch(1)
            return
        if self.subject is None:
            if self.found is None:
                self.ask_who(layout, self.t("Rate the service"))
                return
            self.title(layout, self.t("Rate the service"))
            choices = self.choices()
            if not choices:
                layout.addWidget(self.banner(self.t(
                    "Nothing to rate: a case can be rated once it is done."), "warn"))
            for words, subject, _ in choices[:theme.per_page]:
                layout.addWidget(self.tile(words, lambda s=subject: self._choose(s)))
            layout.addStretch(1)
            return
        self.title(layout, self.t("How satisfied are you?"))
        if self.level is None or self.level > BAD_LEVEL:
            for level in sorted(LEVELS, reverse=True):
                tone = "good" if level >= 4 else "plain" if level == 3 else "bad"
                tile = self.tile(self.ctx.lang.pick(LEVELS[level], LEVELS_EN[level]),
                                 lambda v=level: self._level(v), tone=tone)
                tile.title_px = theme.title_px
                layout.addWidget(tile)
            layout.addStretch(1)
            return
        layout.addWidget(self.text(self.t("What went wrong? Touch all that apply.")))
        grid = QtWidgets.QGridLayout()
        grid.setSpacing(theme.gap // 2)
        columns = 2  # ten reasons in one column would run off the screen in large text
        for n, code in enumerate(REASONS):
            chosen = code in self.reasons
            tile = self.tile(("✓ " if chosen else "") + self.ctx.lang.pick(REASONS[code],
                                                                          REASONS_EN[code]),
                             lambda c=code: self._reason(c), tone="primary" if chosen else "plain")
            grid.addWidget(tile, n // columns, n % columns)
        layout.addLayout(grid)
        layout.addLayout(self.row(self.tile(self.t("Back"), lambda: self._level(None)),
                                  self.tile(self.t("Send"), self._send, tone="primary")))
        layout.addStretch(1)

    def _choose(self, subject: dict[str, Any]) -> None:
        self.subject = subject
        self.refresh()
        self.ctx.speak(self.t("How satisfied are you?"))

    def _level(self, level: int | None) -> None:
        self.level, self.reasons = level, []
        if level is not None and level > BAD_LEVEL:
            self._send()
            return
        self.refresh()
        if level is not None:
            self.ctx.speak(self.t("What went wrong? Touch all that apply."))

    def _reason(self, code: str) -> None:
        if code in self.reasons:
            self.reasons.remove(code)
        else:
            self.reasons.append(code)
        self.refresh()

    def _send(self) -> None:
        assert self.subject is not None and self.level is not None
        body = {"level": self.level, "channel": "kiosk", "reasons": list(self.reasons),
                **self.subject}
        self.ask(lambda: self.ctx.client.rate(body), self._sent,
                 waiting=self.t("Sending…"))

    def _sent(self, _answer: Any) -> None:
        self.thanked = True
        self.refresh()
        self.home_after(DONE_S)
        self.ctx.speak(self.t("Thank you. Your rating was sent."))
