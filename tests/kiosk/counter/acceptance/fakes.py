"""Stand-ins for the window's devices with the ports' shapes (kiosk/counter_ports.py): each
fires its callbacks from a thread of its own, as the real adapters do, and records what the
screen asked of it. The adapters over the simulators are tested in
tests/kiosk/counter_devices/; these are for what the page does with a device."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from kiosk.counter_ports import (
    CardRead,
    DeviceStatus,
    Page,
    Preview,
    Printed,
    ReceiptFacts,
)

NAME = "欧阳娜娜"
ID_NUMBER = "11010519491231002X"  # GB 11643's worked example


def wait_until(predicate: Callable[[], Any], timeout_s: float = 10.0) -> None:
    """Run Qt's events until ``predicate()`` is true; fail the test when it never is."""
    from kiosk.ui.qt import QtWidgets

    app = QtWidgets.QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return
        time.sleep(0.005)
    app.processEvents()
    assert predicate(), "the screen never got there"


def _from_thread(fn: Callable[[], None]) -> None:
    thread = threading.Thread(target=fn, name="fake-device")
    thread.start()
    thread.join(5)


def card(name: str = NAME, id_number: str = ID_NUMBER) -> CardRead:
    return CardRead(name=name, id_number=id_number, sex="女", birth_date=dt.date(1949, 12, 31),
                    address="北京市朝阳区某某路1号", card_type="", valid_to="长期",
                    check_digit_ok=True, read_at_monotonic=time.monotonic())


@dataclass
class FakeCardReader:
    cards: list[Callable[[CardRead], None]] = field(default_factory=list)
    statuses: list[Callable[[DeviceStatus], None]] = field(default_factory=list)
    started: int = 0

    def on_card(self, callback: Callable[[CardRead], None]) -> None:
        self.cards.append(callback)

    def on_status(self, callback: Callable[[DeviceStatus], None]) -> None:
        self.statuses.append(callback)

    def status(self) -> DeviceStatus:
        return DeviceStatus("id_card_reader", True)

    def start(self) -> None:
        self.started += 1

    def stop(self) -> None:
        pass

    def place(self, read: CardRead) -> None:
        _from_thread(lambda: [c(read) for c in self.cards])

    def fail(self, status: DeviceStatus) -> None:
        _from_thread(lambda: [c(status) for c in self.statuses])


def page_image(n: int, size: tuple[int, int] = (420, 594)) -> tuple[bytes, bytes]:
    """(a small JPEG of a page numbered ``n``, its PNG thumbnail at most 160 px tall)."""
    picture = Image.new("RGB", size, (250, 250, 245))
    pen = ImageDraw.Draw(picture)
    pen.rectangle((30, 30, size[0] - 30, 90), fill=(60, 90, 160))
    for line in range(12):
        y = 130 + line * 34
        pen.rectangle((40, y, size[0] - 40 - (line * 17) % 120, y + 10), fill=(90, 90, 90))
    pen.text((size[0] // 2, size[1] - 60), f"PAGE {n}", fill=(0, 0, 0))
    upload = io.BytesIO()
    picture.save(upload, "JPEG", quality=80)
    thumb = picture.copy()
    thumb.thumbnail((200, 160))
    small = io.BytesIO()
    thumb.save(small, "PNG")
    return upload.getvalue(), small.getvalue()


Quad = tuple[tuple[float, float], ...]


def desk_frame(width: int = 640, height: int = 480) -> tuple[np.ndarray, Quad]:
    """A preview frame: a grey desk with a white page on it, and the page's corners."""
    rgb = np.full((height, width, 3), (96, 104, 112), dtype=np.uint8)
    quad = ((170.0, 40.0), (470.0, 52.0), (462.0, 440.0), (160.0, 430.0))
    rgb[50:430, 172:462] = (246, 246, 240)
    rgb[80:100, 200:430] = (60, 90, 160)
    return rgb, quad


@dataclass
class FakeScanner:
    previews: list[Callable[[Preview], None]] = field(default_factory=list)
    pages: list[Callable[[Page], None]] = field(default_factory=list)
    statuses: list[Callable[[DeviceStatus], None]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    ok: bool = True

    def on_preview(self, callback: Callable[[Preview], None]) -> None:
        self.previews.append(callback)

    def on_page(self, callback: Callable[[Page], None]) -> None:
        self.pages.append(callback)

    def on_status(self, callback: Callable[[DeviceStatus], None]) -> None:
        self.statuses.append(callback)

    def status(self) -> DeviceStatus:
        return DeviceStatus("document_camera", self.ok)

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def capture_now(self) -> None:
        self.calls.append("capture_now")

    def same_page_again(self) -> None:
        self.calls.append("same_page_again")

    def calibrate(self) -> None:
        self.calls.append("calibrate")

    @property
    def running(self) -> bool:
        starts = [c for c in self.calls if c in ("start", "stop")]
        return bool(starts) and starts[-1] == "start"

    def frame(self, state: str = "stable", hint: str = "请放稳 / hold still") -> None:
        rgb, quad = desk_frame()
        _from_thread(lambda: [c(Preview(rgb, quad, state, hint)) for c in self.previews])

    def lay(self, n: int) -> Page:
        upload, thumbnail = page_image(n)
        page = Page(upload=upload, thumbnail=thumbnail, width=420, height=594, size_name="A4")
        _from_thread(lambda: [c(page) for c in self.pages])
        return page


@dataclass
class FakePrinter:
    """Records each paper asked for; ``failing`` kinds answer out of paper."""

    printed: list[tuple[str, ReceiptFacts]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def _print(self, kind: str, facts: ReceiptFacts) -> Printed:
        if kind in self.failing:
            return Printed(False, "打印机缺纸 / the printer is out of paper",
                           "装纸后点重新打印 / load paper, then press Print again")
        self.printed.append((kind, facts))
        return Printed(True)

    def print_receipt(self, facts: ReceiptFacts) -> Printed:
        return self._print("receipt", facts)

    def print_notice(self, facts: ReceiptFacts) -> Printed:
        return self._print("notice", facts)

    def print_commitment(self, facts: ReceiptFacts) -> Printed:
        return self._print("commitment", facts)

    def status(self) -> DeviceStatus:
        return DeviceStatus("receipt_printer", not self.failing)

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.printed]


@dataclass
class FakeCodeScanner:
    codes: list[Callable[[str], None]] = field(default_factory=list)
    started: int = 0

    def on_code(self, callback: Callable[[str], None]) -> None:
        self.codes.append(callback)

    def on_status(self, callback: Callable[[DeviceStatus], None]) -> None:
        pass

    def status(self) -> DeviceStatus:
        return DeviceStatus("code_scanner", True)

    def start(self) -> None:
        self.started += 1

    def stop(self) -> None:
        pass

    def scan(self, text: str) -> None:
        _from_thread(lambda: [c(text) for c in self.codes])
