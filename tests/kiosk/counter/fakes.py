"""Stand-ins for the window's devices, with the ports' shapes (kiosk/counter_ports.py), for
the screen's tests that are about the screen: what it asks the device and what it does
with the answer. The adapters over the simulators are tested in tests/kiosk/counter_devices/.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from kiosk.counter_ports import DeviceStatus, Printed, RatingAnswer, ReceiptFacts


@dataclass
class FakeRating:
    """A rating pad whose citizen answers ``answers`` in turn (after ``delay_s``)."""

    answers: list[RatingAnswer] = field(default_factory=list)
    delay_s: float = 0.05
    ok: bool = True
    staff: list[tuple[str, str, str]] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    cancelled: int = 0
    _cancel: threading.Event = field(default_factory=threading.Event)

    def show_staff(self, name: str, window: str, window_name: str = "") -> DeviceStatus:
        self.staff.append((name, window, window_name))
        return self.status()

    def ask(self, ref: str, timeout_s: float = 30) -> RatingAnswer:
        """The next answer after ``delay_s``; with none left, the citizen never presses:
        it waits for a cancel (or the timeout) like the real pad."""
        self.asked.append(ref)
        if not self.answers:
            if self._cancel.wait(timeout_s):
                self._cancel.clear()
                return RatingAnswer(None, cancelled=True)
            return RatingAnswer(None, timed_out=True)
        answer = self.answers.pop(0)
        if self._cancel.wait(self.delay_s):
            self._cancel.clear()
            return RatingAnswer(None, cancelled=True)
        return answer

    def cancel(self) -> None:
        self.cancelled += 1
        self._cancel.set()

    def status(self) -> DeviceStatus:
        if self.ok:
            return DeviceStatus("rating_terminal", True, "正常 / ok")
        return DeviceStatus("rating_terminal", False, "评价器没有响应 / the pad does not answer",
                            "检查评价器的线 / check the pad's cable")


@dataclass
class FakePrinter:
    ok: bool = True
    printed: list[ReceiptFacts] = field(default_factory=list)

    def print_receipt(self, facts: ReceiptFacts) -> Printed:
        if not self.ok:
            return Printed(False, "打印机缺纸 / out of paper", "装纸后重印 / load paper, reprint")
        self.printed.append(facts)
        return Printed(True)

    print_notice = print_receipt
    print_commitment = print_receipt

    def status(self) -> DeviceStatus:
        if self.ok:
            return DeviceStatus("receipt_printer", True)
        return DeviceStatus("receipt_printer", False, "打印机缺纸 / out of paper",
                            "装纸 / load paper")
