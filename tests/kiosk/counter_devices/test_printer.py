"""The printer port over the ESC/POS printer simulator on a pseudo-terminal: the receipt,
the notice and the commitment come out of the simulator as paper (saved as pictures under
tests/artifacts/counter/), and a printer out of paper says so without raising."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk import printouts
from kiosk.counter_devices.printer import acceptance_of
from kiosk.counter_ports import CounterDevices, Missing

from .conftest import FACTS

Build = Callable[..., CounterDevices]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "counter"
NARROW = """
[devices.receipt_printer]
driver = "escpos-generic"
port = "sim://printer?width=58"
printer_profile = "narrow"

[printer_profiles.narrow]
paper_width_mm = 58
dots_per_line = 384
chars_per_line = 32
"""


def test_the_receipt_notice_and_commitment_come_out_masked_in_local_time(build: Build) -> None:
    devices = build(NARROW)
    printer = devices.printer
    assert printer is not None and devices.problems == {}
    sim = devices.simulators["receipt_printer"].sim
    for do in (printer.print_receipt, printer.print_notice, printer.print_commitment):
        printed = do(FACTS)
        assert printed.ok, printed
        assert printed.message.startswith("已打印 / Printed")
    assert sim.wait_for_jobs(3, 5.0)
    for name, paper in zip(("receipt", "notice", "commitment"), sim.jobs, strict=True):
        paper.save(ARTIFACTS / f"{name}_58mm.png")
        assert paper.cut and paper.decode_errors == 0
    receipt, notice, commitment = ("\n".join(job.text) for job in sim.jobs)
    assert "受理回执" in receipt and "QS-20261124-0007" in receipt
    assert "王*明" in receipt and "110101********1234" in receipt
    assert "王小明" not in receipt and "110101199003071234" not in receipt
    assert "户口簿：2026年12月1日前补交" in receipt  # the due date from ISO text
    assert "10:05" in receipt and "02:05" not in receipt  # UTC shown in Asia/Shanghai
    assert "1. 户口簿，2026年12月1日前" in notice and "父母双方身份证复印件" in notice
    assert "承诺人签字" in commitment and "父母双方身份证复印件" not in commitment
    assert sim.jobs[0].raster_images >= 1  # the QR code to follow the case
    assert printer.status().ok


def test_a_printer_out_of_paper_says_so_and_what_to_do(build: Build) -> None:
    devices = build("""
[devices.receipt_printer]
driver = "escpos-generic"
port = "sim://printer?paper_out=1"
""")
    printer = devices.printer
    assert printer is not None
    printed = printer.print_receipt(FACTS)  # never raises
    assert not printed.ok
    assert "纸" in printed.message and "/" in printed.message and printed.hint
    status = printer.status()
    assert not status.ok and status.message == printed.message and status.hint


def test_the_paper_running_out_mid_receipt_is_not_a_printed_receipt(build: Build) -> None:
    devices = build("""
[devices.receipt_printer]
driver = "escpos-generic"
port = "sim://printer?paper_out_after=200"
""")
    printer = devices.printer
    assert printer is not None
    printed = printer.print_receipt(FACTS)
    assert not printed.ok and printed.hint


def test_nothing_to_notify_is_refused_in_words_not_an_exception(build: Build) -> None:
    devices = build(NARROW)
    printer = devices.printer
    assert printer is not None
    complete = replace(FACTS, missing=())
    notice = printer.print_notice(complete)
    commitment = printer.print_commitment(complete)
    assert not notice.ok and "一次性告知单" in notice.message and notice.hint
    assert not commitment.ok and "告知承诺书" in commitment.message
    assert devices.simulators["receipt_printer"].sim.jobs == []  # nothing went to paper


def test_due_dates_and_times_are_converted_for_the_paper() -> None:
    facts = replace(FACTS, missing=(Missing("户口簿", "2026-12-01"), Missing("证明", "下周一")))
    acceptance = acceptance_of(facts, ZoneInfo("Asia/Shanghai"))
    lines = [b.text for b in printouts.notice_job(acceptance).blocks if hasattr(b, "text")]
    assert any("户口簿" in t and "2026年12月1日前" in t for t in lines)
    # an unreadable date is kept in words rather than dropped
    assert any("证明（下周一）" in t for t in lines)
    assert acceptance.accepted_at == dt.datetime(2026, 11, 24, 10, 5,
                                                 tzinfo=ZoneInfo("Asia/Shanghai"))
    naive = replace(FACTS, accepted_at=dt.datetime(2026, 11, 24, 10, 5))
    assert acceptance_of(naive, ZoneInfo("Asia/Shanghai")).accepted_at == naive.accepted_at
