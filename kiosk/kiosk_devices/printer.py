"""The kiosk's ticket printer behind :class:`kiosk.kiosk_ports.KioskPrinterPort`: queue
tickets, one-time notices and result documents laid out by :mod:`kiosk.kiosk_printouts` and
printed by ``devices.ticket_printer.TicketPrinter`` (ESC/POS).

Printing blocks for as long as the printer takes the job (the screen calls it off the GUI
thread). Nothing here raises: :class:`~kiosk.counter_ports.Printed` says what happened and
what to do, and is ``ok`` only when the printer confirmed the paper came out (a ticket
whose print failed is void, issue 9).

Status: :meth:`KioskPrinterAdapter.status` never touches the printer; it answers the last
known state (from the last job or check). ESC/POS has no unsolicited "paper out" message a
driver could hook (``ASB``, automatic status back, is optional and many kiosk printers lack
it), so :meth:`~KioskPrinterAdapter.on_status` starts a watch thread that asks the printer
(``DLE EOT``, a few bytes, answered at once) every ``poll_s`` seconds, only once someone
listens, and tells the listeners when the state changes; jobs tell them too. The thread
ends with :meth:`~KioskPrinterAdapter.close`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from devices.health import DeviceState, Health
from devices.ticket_printer import TicketPrinter
from drivers.escpos_printer import Job
from kiosk import kiosk_printouts
from kiosk.counter_devices.status import StatusListeners, status_of
from kiosk.kiosk_ports import (
    DeviceStatus,
    GuideFacts,
    Printed,
    ResultDoc,
    StatusCallback,
    TicketFacts,
)

log = logging.getLogger(__name__)

POLL_S = 5.0
"""How often the watch thread asks the printer while someone listens. Unit: s."""
STATUS_MAX_AGE_S = 10.0
"""A known state older than this is refreshed (in the background) when asked. Unit: s."""
HINT_SOFTWARE = "重试；仍不行请联系工作人员 / Try again; if it keeps failing, ask a member of staff"
HINT_STAFF = "请到窗口领取，或联系工作人员 / Please ask at a window or a member of staff"


def local(moment: dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    """``moment`` in the site's zone when both are known (paper shows local time)."""
    if tz is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(tz)


class KioskPrinterAdapter:
    """:class:`~kiosk.kiosk_ports.KioskPrinterPort` over a :class:`TicketPrinter`.

    :param role: the name the status strip shows (``ticket_printer`` even when a village
        point's one printer is configured as ``receipt_printer``).
    :param tz: the site's time zone, for the times printed.
    :param initial: the printer's health as checked at start.
    :param poll_s: seconds between the watch thread's questions. Unit: s.
    """

    def __init__(self, printer: TicketPrinter, *, role: str = "ticket_printer",
                 tz: dt.tzinfo | None = None, initial: Health | None = None,
                 poll_s: float = POLL_S, clock: Callable[[], float] = time.monotonic):
        self.printer = printer
        self.role = role
        self.tz = tz
        self.poll_s = poll_s
        self._clock = clock
        self._lock = threading.Lock()
        self._known = status_of(role, initial) if initial is not None else None
        self._known_at = clock() if initial is not None else float("-inf")
        self._refreshing = False
        self._listeners = StatusListeners(role)
        self._watch: threading.Thread | None = None
        self._closed = threading.Event()

    # -- printing

    def print_ticket(self, facts: TicketFacts) -> Printed:
        facts = dataclasses.replace(facts, issued_at=local(facts.issued_at, self.tz))
        return self._print(lambda: kiosk_printouts.ticket_job(facts), "小票", "ticket")

    def print_guide(self, facts: GuideFacts) -> Printed:
        facts = dataclasses.replace(facts, printed_at=local(facts.printed_at, self.tz))
        return self._print(lambda: kiosk_printouts.guide_job(facts), "告知单", "notice")

    def print_result(self, doc: ResultDoc) -> Printed:
        doc = dataclasses.replace(doc, printed_at=local(doc.printed_at, self.tz))
        dots = self.printer.profile.dots_per_line
        return self._print(lambda: kiosk_printouts.result_job(doc, dots=dots), "结果文件",
                           "result document")

    def _print(self, layout: Callable[[], Job], zh: str, en: str) -> Printed:
        try:
            job = layout()
        except kiosk_printouts.CannotPrint as exc:  # e.g. a Word file: its own plain words
            return Printed(False, str(exc), HINT_STAFF)
        except Exception as exc:  # a layout bug must not reach the screen as a traceback
            log.exception("laying out the %s failed", en)
            return Printed(False, f"{zh}未打印：程序出错 / the {en} was not printed: software "
                           f"error ({type(exc).__name__})", HINT_SOFTWARE)
        try:
            result = self.printer.print_job(job)
        except Exception as exc:  # never raise into the screen's worker
            log.exception("printing the %s failed", en)
            return Printed(False, f"{zh}未打印：打印程序出错 / the {en} was not printed: "
                           f"printer software error ({type(exc).__name__})", HINT_SOFTWARE)
        if result.detail:
            log.warning("printing the %s: %s", en, result.detail)
        message = "; ".join([result.message, *result.warnings])
        if result.ok:
            self._learn(DeviceStatus(self.role, True, "; ".join(result.warnings)))
        else:
            self._learn(DeviceStatus(self.role, False, result.message, result.hint))
        return Printed(result.ok, message, result.hint)

    # -- status

    def status(self) -> DeviceStatus:
        with self._lock:
            known, stale = self._known, self._clock() - self._known_at > STATUS_MAX_AGE_S
            start = stale and not self._refreshing and not self._closed.is_set()
            if start:
                self._refreshing = True
        if start:
            threading.Thread(target=self._refresh, name="kiosk-printer-status",
                             daemon=True).start()
        return known or DeviceStatus(self.role, False, "正在检查打印机 / checking the printer")

    def on_status(self, callback: StatusCallback) -> None:
        self._listeners.add(callback)
        with self._lock:
            if self._watch is not None or self._closed.is_set():
                return
            self._watch = threading.Thread(target=self._watching, name="kiosk-printer-watch",
                                           daemon=True)
        self._watch.start()

    def check(self) -> DeviceStatus:
        """Ask the printer now (blocks up to its timeout)."""
        self._refresh()
        with self._lock:
            assert self._known is not None
            return self._known

    def close(self) -> None:
        """End the watch thread (the printer itself is closed by whoever built it)."""
        self._closed.set()
        watch = self._watch
        if watch is not None and watch is not threading.current_thread():
            watch.join(self.printer.timeout_s + self.poll_s + 1.0)

    def _watching(self) -> None:
        while not self._closed.wait(self.poll_s):
            self._refresh()

    def _refresh(self) -> None:
        try:
            health = self.printer.health()
        except Exception as exc:  # a driver bug must not kill the status thread
            log.exception("printer health check failed")
            health = Health(DeviceState.ERROR, f"打印程序出错 / printer software error: "
                            f"{type(exc).__name__}", HINT_SOFTWARE)
        with self._lock:
            self._refreshing = False
        self._learn(status_of(self.role, health))

    def _learn(self, status: DeviceStatus) -> None:
        """Keep ``status`` as the known state; tell the listeners when it changed."""
        with self._lock:
            before = self._known
            self._known, self._known_at = status, self._clock()
        if before != status:
            self._listeners.tell(status)

