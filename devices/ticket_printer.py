"""The ticket printer role: queue tickets at the kiosk and acceptance receipts at the
counter, on an ESC/POS printer (drivers.escpos_printer).

The role owns the link: it opens the transport the first time it is needed, and after the
link fails (a pulled USB cable, a printer switched off) it closes it and opens a fresh one
on the next call, so replugging the printer is all it takes. A ticket counts as issued
only when :meth:`TicketPrinter.print_job` returns ``ok``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from drivers.escpos_printer import (
    PAPER_NEAR_END,
    EscPosPrinter,
    EscPosProfile,
    Job,
    PrintResult,
    describe_problem,
    test_page,
)
from drivers.transports import Transport, TransportError

from .health import HINT_CABLE, HINT_PERMISSION, DeviceState, Health

NOT_CONNECTED = "找不到小票打印机 / The ticket printer is not connected"
STATUS_UNKNOWN_NOTE = ("状态未知：此打印机不回报缺纸等状态 / Status unknown: this printer does "
                       "not report paper or cover status")


def _open_hint(error: TransportError) -> str:
    return HINT_PERMISSION if "permission" in str(error).lower() else HINT_CABLE


class TicketPrinter:
    """Prints :class:`~drivers.escpos_printer.Job` s and reports health.

    :param open_transport: opens the printer's link (serial, TCP, device file); raises
        :class:`~drivers.transports.TransportError` when it cannot.
    :param timeout_s: longest wait for the printer's status after a job. Unit: s.
    """

    def __init__(self, open_transport: Callable[[], Transport], profile: EscPosProfile, *,
                 timeout_s: float = 5.0):
        self._open_transport = open_transport
        self.profile = profile
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._transport: Transport | None = None
        self._printer: EscPosPrinter | None = None

    def _ensure_open(self) -> EscPosPrinter:
        if self._printer is None:
            transport = self._open_transport()
            self._transport = transport
            self._printer = EscPosPrinter(transport, self.profile, timeout_s=self.timeout_s)
        return self._printer

    def _drop(self) -> None:
        transport, self._transport, self._printer = self._transport, None, None
        if transport is not None:
            with contextlib.suppress(TransportError, OSError):
                transport.close()

    def print_job(self, job: Job) -> PrintResult:
        """Print ``job``; ``ok`` only when it printed (see PrintResult). Never raises for a
        missing or failing printer."""
        with self._lock:
            try:
                printer = self._ensure_open()
            except TransportError as exc:
                return PrintResult(False, f"{NOT_CONNECTED}，未打印 / Nothing was printed",
                                   hint=_open_hint(exc), detail=str(exc), link_lost=True)
            result = printer.print_job(job)
            if result.link_lost:
                self._drop()
            return result

    def print_test_page(self, site_name: str) -> PrintResult:
        """The technician's test page (drivers.escpos_printer.test_page)."""
        return self.print_job(test_page(site_name, self.profile))

    def health(self) -> Health:
        """MISSING when the link cannot be opened or fails, ERROR when the printer reports
        paper out, cover open or a fault, OK otherwise (with a note when its status is
        unknown or the paper is nearly finished)."""
        with self._lock:
            try:
                printer = self._ensure_open()
                status = printer.status()
            except TransportError as exc:
                self._drop()
                return Health(DeviceState.MISSING, NOT_CONNECTED, _open_hint(exc))
        if status is None:
            return Health(DeviceState.OK, STATUS_UNKNOWN_NOTE)
        problem = describe_problem(status)
        if problem:
            return Health(DeviceState.ERROR, problem.message, problem.hint)
        if status.paper_near_end:
            return Health(DeviceState.OK, PAPER_NEAR_END,
                          "准备一卷新纸 / Have a new paper roll ready")
        return Health(DeviceState.OK)

    def close(self) -> None:
        with self._lock:
            self._drop()
