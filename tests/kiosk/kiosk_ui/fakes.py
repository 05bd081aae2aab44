"""Stand-ins for the kiosk's devices, with the ports' shapes (kiosk/kiosk_ports.py), for the
screen's tests that are about the screen: what it asks a device and what it does with the
answer. The adapters over the simulators are tested in tests/kiosk/kiosk_devices/, and the
tour (tests/kiosk/kiosk_ui/test_tour.py) runs the screen against them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.counter_ports import CardRead, DeviceStatus, Printed
from kiosk.kiosk_ports import GuideFacts, KioskDevices, ResultDoc, TicketFacts


def card(number: str = "110101195001011234", name: str = "王建国",
         birth: dt.date = dt.date(1950, 1, 1)) -> CardRead:
    return CardRead(name=name, id_number=number, sex="男", birth_date=birth,
                    address="北京市东城区", card_type="resident", valid_to="长期",
                    check_digit_ok=True)


@dataclass
class FakeCardReader:
    listeners: list[Callable[[CardRead], None]] = field(default_factory=list)
    ok: bool = True

    def on_card(self, callback: Callable[[CardRead], None]) -> None:
        self.listeners.append(callback)

    def on_status(self, callback: Callable[[DeviceStatus], None]) -> None:
        pass

    def status(self) -> DeviceStatus:
        return DeviceStatus("id_card_reader", self.ok,
                            "" if self.ok else "读卡器没有响应 / the card reader does not answer")

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def place(self, read: CardRead) -> None:
        for listener in self.listeners:
            listener(read)


@dataclass
class FakeScanner:
    listeners: list[Callable[[str], None]] = field(default_factory=list)

    def on_code(self, callback: Callable[[str], None]) -> None:
        self.listeners.append(callback)

    def on_status(self, callback: Callable[[DeviceStatus], None]) -> None:
        pass

    def status(self) -> DeviceStatus:
        return DeviceStatus("code_scanner", True)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def scan(self, text: str) -> None:
        for listener in self.listeners:
            listener(text)


@dataclass
class FakePrinter:
    paper: bool = True
    tickets: list[TicketFacts] = field(default_factory=list)
    guides: list[GuideFacts] = field(default_factory=list)
    results: list[ResultDoc] = field(default_factory=list)

    def _done(self) -> Printed:
        if self.paper:
            return Printed(True)
        return Printed(False, "打印机缺纸 / the printer is out of paper",
                       "换一卷纸 / put in a new roll")

    def print_ticket(self, facts: TicketFacts) -> Printed:
        if self.paper:
            self.tickets.append(facts)
        return self._done()

    def print_guide(self, facts: GuideFacts) -> Printed:
        if self.paper:
            self.guides.append(facts)
        return self._done()

    def print_result(self, doc: ResultDoc) -> Printed:
        if self.paper:
            self.results.append(doc)
        return self._done()

    def status(self) -> DeviceStatus:
        return DeviceStatus("ticket_printer", self.paper,
                            "" if self.paper else "打印机缺纸 / the printer is out of paper")

    def on_status(self, callback: Callable[[DeviceStatus], None]) -> None:
        pass


@dataclass
class FakeSpeaker:
    said: list[str] = field(default_factory=list)
    stopped: int = 0

    def say(self, text: str) -> None:
        self.said.append(text)

    def stop(self) -> None:
        self.stopped += 1

    def status(self) -> DeviceStatus:
        return DeviceStatus("announcer", True)


def devices(**overrides: object) -> KioskDevices:
    made = KioskDevices(card_reader=FakeCardReader(), printer=FakePrinter(),
                        code_scanner=FakeScanner(), speaker=FakeSpeaker())
    for name, value in overrides.items():
        setattr(made, name, value)
    return made
