"""The TicketPrinter role against the printer simulator on a pseudo-terminal: health as the
clerk sees it, and recovery after the cable is pulled and plugged back in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devices.health import HINT_CABLE, DeviceState
from devices.ticket_printer import TicketPrinter
from drivers.escpos_printer import EscPosProfile, Job
from drivers.sim.escpos_printer import EscPosSim, EscPosSimConfig
from drivers.sim.pty_link import PtyLink
from drivers.transports import SerialTransport, Transport, TransportError

PROFILE = EscPosProfile.for_paper(58, encoding="gbk")


class Bench:
    """A simulated printer and the cable to it, which the test can pull and replug."""

    def __init__(self, **faults: object) -> None:
        self.sim = EscPosSim(EscPosSimConfig(width=58, encoding="gbk", **faults))  # type: ignore[arg-type]
        self.link: PtyLink | None = self.sim.serve_pty()
        self.opened = 0

    def open(self) -> Transport:
        if self.link is None:
            raise TransportError("/dev/ttyUSB0: no such port; is the device plugged in?")
        self.opened += 1
        return SerialTransport(self.link.path, 115200)

    def unplug(self) -> None:
        assert self.link is not None
        self.link.unplug()
        self.link = None

    def replug(self) -> None:
        self.link = self.sim.serve_pty()


@pytest.fixture
def bench() -> Iterator[Bench]:
    made = Bench()
    yield made
    if made.link is not None:
        made.link.unplug()


@pytest.fixture
def printer(bench: Bench) -> Iterator[TicketPrinter]:
    role = TicketPrinter(bench.open, PROFILE, timeout_s=1.0)
    yield role
    role.close()


TICKET = Job().text("A001", size=2, align="center").text("前面还有 3 人 / 3 ahead").cut()


def test_health_ok_then_paper_out_then_ok(bench: Bench, printer: TicketPrinter) -> None:
    assert printer.health().state is DeviceState.OK
    bench.sim.paper_out = True
    health = printer.health()
    assert health.state is DeviceState.ERROR
    assert health.message == "打印机缺纸 / The printer is out of paper"
    assert health.hint == "装入新纸卷并合上盖子 / Load a new paper roll and close the cover"
    result = printer.print_job(TICKET)
    assert not result.ok and bench.sim.jobs == []
    bench.sim.paper_out = False
    assert printer.health().state is DeviceState.OK
    assert printer.print_job(TICKET).ok
    assert bench.sim.wait_for_jobs(1)
    assert bench.sim.jobs[0].text == ["A001", "前面还有 3 人 / 3 ahead"]
    assert bench.opened == 1  # one link the whole time


def test_cover_open_is_an_error(bench: Bench, printer: TicketPrinter) -> None:
    bench.sim.cover_open = True
    health = printer.health()
    assert health.state is DeviceState.ERROR and "cover is open" in health.message


def test_paper_near_end_is_ok_with_a_note(bench: Bench, printer: TicketPrinter) -> None:
    bench.sim.paper_near_end = True
    health = printer.health()
    assert health.state is DeviceState.OK and "nearly finished" in health.message


def test_printer_without_status_is_ok_with_a_note(bench: Bench, printer: TicketPrinter) -> None:
    bench.sim.answers_status = False
    health = printer.health()
    assert health.ok and "Status unknown" in health.message
    result = printer.print_job(TICKET)
    assert result.ok and any("Status unknown" in w for w in result.warnings)


def test_missing_printer(bench: Bench, printer: TicketPrinter) -> None:
    bench.unplug()
    health = printer.health()
    assert health.state is DeviceState.MISSING and health.hint == HINT_CABLE
    result = printer.print_job(TICKET)
    assert not result.ok and "not connected" in result.message


def test_reopens_after_unplug_with_a_new_link(bench: Bench, printer: TicketPrinter) -> None:
    assert printer.print_job(TICKET).ok
    bench.unplug()
    failed = printer.print_job(TICKET)  # the old link is dead: a result, not an exception
    assert not failed.ok and failed.link_lost
    assert printer.health().state is DeviceState.MISSING
    bench.replug()
    again = printer.print_job(TICKET)
    assert again.ok, again
    assert bench.sim.wait_for_jobs(2) and len(bench.sim.jobs) == 2
    assert bench.opened == 2
    assert printer.health().ok


def test_test_page(bench: Bench, printer: TicketPrinter) -> None:
    result = printer.print_test_page("石门村便民服务站")
    assert result.ok, result
    assert bench.sim.wait_for_jobs(1)
    paper = bench.sim.jobs[0]
    assert paper.text[0] == "便民服务测试页" and "站点 / Site: 石门村便民服务站" in paper.text
    assert paper.image.width == 384 and paper.cut
