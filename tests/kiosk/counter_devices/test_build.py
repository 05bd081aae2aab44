"""build_counter_devices: every counter role from the configuration, or a plain problem."""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.counter_devices import (
    CardReaderAdapter,
    CodeScannerAdapter,
    PrinterAdapter,
    RatingAdapter,
    ScannerAdapter,
)
from kiosk.counter_ports import CounterDevices

from .conftest import FACTS, site_config

Build = Callable[..., CounterDevices]

ALL_SIMULATED = """
[devices.id_card_reader]
driver = "ga467-sam"
port = "sim://idcard"

[devices.receipt_printer]
driver = "escpos-generic"
port = "sim://printer"

[devices.document_camera]
driver = "uvc-generic"
port = "sim://camera?script=empty&size=1080p"
options = { view_width_mm = 430.0 }

[devices.rating_terminal]
driver = "bianmin-rating-v1"
port = "sim://rating?auto=4"

[devices.code_scanner]
driver = "serial-scanner"
port = "sim://scanner?mode=serial"
"""


def test_a_site_without_devices_gets_no_ports_and_no_problems(build: Build) -> None:
    devices = build("")
    assert (devices.card_reader, devices.scanner, devices.printer, devices.rating,
            devices.code_scanner) == (None, None, None, None, None)
    assert devices.problems == {} and devices.simulators == {}


def test_every_simulated_role_gets_its_port_and_starts_in_a_few_seconds(build: Build) -> None:
    began = time.monotonic()
    devices = build(ALL_SIMULATED)
    seconds = time.monotonic() - began
    assert devices.problems == {}
    assert isinstance(devices.card_reader, CardReaderAdapter)
    assert isinstance(devices.scanner, ScannerAdapter)
    assert isinstance(devices.printer, PrinterAdapter)
    assert isinstance(devices.rating, RatingAdapter)
    assert isinstance(devices.code_scanner, CodeScannerAdapter)
    # checked at once, not one after the other
    assert seconds < 6.0, f"the devices took {seconds:.1f} s to check"
    assert devices.scanner.status().ok and devices.printer.status().ok
    assert devices.rating.status().ok
    assert set(devices.simulators) == {"id_card_reader", "receipt_printer", "rating_terminal",
                                       "code_scanner"}
    # the card reader, camera and scanner wait for the screen's start()
    assert not devices.scanner.camera.running


def test_an_unreachable_device_is_a_problem_and_the_others_still_work(build: Build) -> None:
    devices = build("""
[devices.id_card_reader]
driver = "ga467-sam"
port = "serial:///dev/ttyNO-SUCH-READER"

[devices.rating_terminal]
driver = "bianmin-rating-v1"
port = "serial:///dev/ttyNO-SUCH-TERMINAL"

[devices.receipt_printer]
driver = "escpos-generic"
port = "tcp://127.0.0.1:9"

[devices.code_scanner]
driver = "serial-scanner"
port = "sim://scanner?mode=serial"
""")
    assert devices.card_reader is None and devices.rating is None and devices.printer is None
    assert set(devices.problems) == {"id_card_reader", "rating_terminal", "receipt_printer"}
    reader = devices.problems["id_card_reader"]
    assert not reader.ok and reader.role == "id_card_reader"
    assert "/" in reader.message and "ttyNO-SUCH-READER" in reader.message  # 中文 / English
    assert reader.hint  # what to do
    assert "评价器" in devices.problems["rating_terminal"].message
    assert "打印机" in devices.problems["receipt_printer"].message
    assert devices.code_scanner is not None and devices.code_scanner.status().role \
        == "code_scanner"


def test_a_role_that_cannot_be_built_says_so_in_plain_words(build: Build) -> None:
    devices = build("""
[devices.id_card_reader]
driver = "ga467-sam"
port = "sim://idcard"
options = { wlt_decoder = "/nonexistent/libwlt2bmp.so" }
""")
    assert devices.card_reader is None
    problem = devices.problems["id_card_reader"]
    assert problem.message.startswith("身份证阅读器无法使用 / the ID card reader cannot be used")
    assert "libwlt2bmp.so" in problem.message and "bianmin doctor" in problem.hint


def test_a_camera_that_is_not_there_is_a_problem_at_once(build: Build) -> None:
    began = time.monotonic()
    devices = build("""
[devices.document_camera]
driver = "uvc-generic"
port = "file:///dev/video-no-such-camera"
""")
    assert time.monotonic() - began < 3.0  # not the 10 s a slow camera is given
    assert devices.scanner is None
    problem = devices.problems["document_camera"]
    assert not problem.ok and "文档摄像头" in problem.message and problem.hint


def test_a_camera_that_stops_sending_pictures_is_a_problem_after_its_timeout(
        build: Build) -> None:
    devices = build("""
[devices.document_camera]
driver = "uvc-generic"
port = "sim://camera?script=empty&size=1080p&stall_after=0"
options = { read_timeout_s = 0.5 }
""", camera_timeout_s=1.5)
    assert devices.scanner is None
    problem = devices.problems["document_camera"]
    assert not problem.ok and "没有画面" in problem.message and problem.hint


def test_the_ticket_printer_prints_receipts_when_there_is_no_receipt_printer(
        build: Build) -> None:
    devices = build("""
[devices.ticket_printer]
driver = "escpos-generic"
port = "sim://printer?paper_out=1"
""")
    assert isinstance(devices.printer, PrinterAdapter)
    status = devices.printer.status()
    # reachable but out of paper: the port stays, its status says what is wrong
    assert status.role == "receipt_printer" and not status.ok and "纸" in status.message
    assert devices.problems == {}
    assert "receipt_printer" in devices.simulators


def test_close_stops_and_closes_everything() -> None:
    from kiosk.counter_devices import build_counter_devices

    devices = build_counter_devices(site_config(ALL_SIMULATED))
    assert devices.card_reader is not None and devices.scanner is not None
    devices.card_reader.start()
    devices.scanner.start()
    deadline = time.monotonic() + 3.0
    while not devices.scanner.camera.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert devices.scanner.camera.running
    devices.close()
    assert not devices.scanner.camera.running
    assert devices.card_reader.reader._thread is None  # stopped: joined
    assert devices.rating is not None and devices.rating.terminal._thread is None
    # the simulators are gone with the devices: nothing answers any more
    assert devices.printer is not None and not devices.printer.print_receipt(FACTS).ok
