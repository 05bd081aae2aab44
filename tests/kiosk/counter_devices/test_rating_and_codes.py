"""The rating terminal port over the terminal simulator (our protocol, 9600 Bd) and the code
scanner port over the serial scanner simulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from kiosk.counter_devices.rating import window_number
from kiosk.counter_ports import CounterDevices

Build = Callable[..., CounterDevices]


def rating_site(options: str) -> str:
    return f"""
[devices.rating_terminal]
driver = "bianmin-rating-v1"
port = "sim://rating?{options}"
"""


def test_the_terminal_shows_the_clerk_and_brings_back_the_citizens_level(build: Build) -> None:
    devices = build(rating_site("auto=4&delay=0.2"))
    rating = devices.rating
    assert rating is not None and rating.status().ok
    shown = rating.show_staff("王芳", "3", "综合受理窗口")
    assert shown.ok and shown.role == "rating_terminal"
    staff = devices.simulators["rating_terminal"].staff
    assert (staff.name, staff.window_no, staff.window_name) == ("王芳", 3, "综合受理窗口")
    answer = rating.ask("QS-20261124-0007", timeout_s=5)
    assert answer.level == 4 and not answer.timed_out and not answer.cancelled
    assert answer.error == ""


def test_a_bad_rating_carries_its_reasons(build: Build) -> None:
    devices = build(rating_site("auto=1&reasons=2,5&delay=0.2"))
    assert devices.rating is not None
    answer = devices.rating.ask("QS-20261124-0008", timeout_s=5)
    assert answer.level == 1 and answer.reasons == (2, 5)


def test_nobody_pressing_times_out_and_cancel_ends_the_wait(build: Build) -> None:
    devices = build(rating_site(""))
    rating = devices.rating
    assert rating is not None
    began = time.monotonic()
    answer = rating.ask("QS-1", timeout_s=0.5)
    assert answer.level is None and answer.timed_out
    assert time.monotonic() - began < 3.0
    threading.Timer(0.3, rating.cancel).start()
    began = time.monotonic()
    answer = rating.ask("QS-2", timeout_s=10)
    assert answer.level is None and answer.cancelled
    assert time.monotonic() - began < 3.0


def test_a_terminal_that_dies_gives_an_error_answer_not_an_exception(build: Build) -> None:
    devices = build(rating_site("auto=5"))
    rating = devices.rating
    assert rating is not None
    devices.simulators["rating_terminal"].unplug()
    answer = rating.ask("QS-3", timeout_s=2)
    assert answer.level is None and "评价器" in answer.error and answer.hint
    assert not rating.status().ok
    # a name the protocol cannot carry is refused in words too
    too_long = rating.show_staff("名" * 40, "3")
    assert not too_long.ok and too_long.hint


@pytest.mark.parametrize(("window", "number"), [("3", 3), ("03", 3), ("255", 255),
                                                ("256", 0), ("A3", 0), ("", 0)])
def test_the_window_number_shown_is_the_windows_digits(window: str, number: int) -> None:
    assert window_number(window) == number


def test_a_scanned_code_reaches_the_screen_as_text(build: Build) -> None:
    devices = build("""
[devices.code_scanner]
driver = "serial-scanner"
port = "sim://scanner?mode=serial"
""")
    scanner = devices.code_scanner
    assert scanner is not None
    codes: list[str] = []
    arrived = threading.Event()
    scanner.on_code(lambda text: (codes.append(text), arrived.set()))
    scanner.start()
    assert scanner.status().ok
    code = "https://zwfw.example.gov.cn/e/LIC-2026-0042"
    for _ in range(10):  # the reading thread opens the port soon after start(); until then a
        devices.simulators["code_scanner"].scan(code)  # scan is lost, as with a real one
        if arrived.wait(0.3):
            break
    assert codes and set(codes) == {code}
    scanner.stop()
