"""The receipt printer behind :class:`kiosk.counter_ports.PrinterPort`: the acceptance
receipt (受理回执), the one-time notice (一次性告知单) and the 容缺 commitment (告知承诺书),
laid out by :mod:`kiosk.printouts` and printed by ``devices.ticket_printer.TicketPrinter``
(ESC/POS).

Printing blocks for as long as the printer takes the job (the screen calls it off the GUI
thread); nothing here raises for a printer problem: :class:`~kiosk.counter_ports.Printed`
says what happened and what to do. :meth:`PrinterAdapter.status` never touches the printer:
it answers the last known state (from the last job or check) and refreshes a stale one in
the background.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from devices.health import DeviceState, Health
from devices.ticket_printer import TicketPrinter
from drivers.escpos_printer import Job
from kiosk import printouts
from kiosk.counter_ports import DeviceStatus, Printed, ReceiptFacts

from .status import status_of

log = logging.getLogger(__name__)

STATUS_MAX_AGE_S = 10.0
"""A known printer state older than this is refreshed (in the background) when asked. Unit: s."""
HINT_NOTHING = "检查所填的材料信息 / Check the materials entered"
HINT_SOFTWARE = "重试；仍不行请重启程序 / Try again; if it keeps failing, restart the program"


def acceptance_of(facts: ReceiptFacts, tz: ZoneInfo | None = None) -> ReceiptFacts:
    """The facts with the acceptance time in the site's zone (times travel in UTC; paper
    shows local time, DESIGN.md §5)."""
    if tz is None or facts.accepted_at.tzinfo is None:
        return facts
    return dataclasses.replace(facts, accepted_at=facts.accepted_at.astimezone(tz))


class PrinterAdapter:
    """:class:`~kiosk.counter_ports.PrinterPort` over a :class:`TicketPrinter`.

    :param tz: the site's time zone, for the time printed.
    :param initial: the printer's health as checked at start.
    """

    def __init__(self, printer: TicketPrinter, *, role: str = "receipt_printer",
                 tz: ZoneInfo | None = None, initial: Health | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.printer = printer
        self.role = role
        self.tz = tz
        self._clock = clock
        self._lock = threading.Lock()
        self._known = status_of(role, initial) if initial is not None else None
        self._known_at = clock() if initial is not None else float("-inf")
        self._refreshing = False

    def print_receipt(self, facts: ReceiptFacts) -> Printed:
        return self._print(printouts.receipt_job, facts, "受理回执", "receipt")

    def print_notice(self, facts: ReceiptFacts) -> Printed:
        return self._print(printouts.notice_job, facts, "一次性告知单", "one-time notice")

    def print_commitment(self, facts: ReceiptFacts) -> Printed:
        return self._print(printouts.commitment_job, facts, "告知承诺书", "commitment")

    def status(self) -> DeviceStatus:
        with self._lock:
            known, stale = self._known, self._clock() - self._known_at > STATUS_MAX_AGE_S
            start = stale and not self._refreshing
            if start:
                self._refreshing = True
        if start:
            threading.Thread(target=self._refresh, name="printer-status", daemon=True).start()
        return known or DeviceStatus(self.role, False, "正在检查打印机 / checking the printer")

    def check(self) -> DeviceStatus:
        """Ask the printer now (blocks up to its timeout)."""
        self._refresh()
        with self._lock:
            assert self._known is not None
            return self._known

    def _refresh(self) -> None:
        try:
            health = self.printer.health()
        except Exception as exc:  # a driver bug must not kill the status thread
            log.exception("printer health check failed")
            health = Health(DeviceState.ERROR, f"打印程序出错 / printer software error: "
                            f"{type(exc).__name__}", HINT_SOFTWARE)
        with self._lock:
            self._known, self._known_at = status_of(self.role, health), self._clock()
            self._refreshing = False

    def _print(self, layout: Callable[[printouts.Acceptance], Job], facts: ReceiptFacts,
               zh: str, en: str) -> Printed:
        try:
            job = layout(acceptance_of(facts, self.tz))
        except ValueError as exc:  # a notice with nothing missing, a commitment with no 容缺
            return Printed(False, f"{zh}没有可打印的内容 / the {en} has nothing to print "
                           f"({exc})", HINT_NOTHING)
        try:
            result = self.printer.print_job(job)
        except Exception as exc:  # never raise into the screen's worker
            log.exception("printing the %s failed", en)
            return Printed(False, f"{zh}未打印：打印程序出错 / the {en} was not printed: "
                           f"printer software error ({type(exc).__name__})", HINT_SOFTWARE)
        if result.detail:
            log.warning("printing the %s: %s", en, result.detail)
        message = result.message
        if result.warnings:
            message = "; ".join([message, *result.warnings])
        with self._lock:
            if result.ok:
                self._known = DeviceStatus(self.role, True, "; ".join(result.warnings))
            else:
                self._known = DeviceStatus(self.role, False, result.message, result.hint)
            self._known_at = self._clock()
        return Printed(result.ok, message, result.hint)
