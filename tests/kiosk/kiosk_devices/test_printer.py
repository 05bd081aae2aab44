"""The kiosk's printer port over the ESC/POS printer simulator on a pseudo-terminal: tickets,
notices and result documents come out as paper (saved as pictures under
tests/artifacts/kiosk/), the ticket's QR code reads back, and a printer out of paper says so
without raising, while the other devices go on working."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import threading
from collections.abc import Callable

import numpy as np
from PIL import Image

from devices.imaging.codes import read_codes
from kiosk.kiosk_ports import (
    DeviceStatus,
    GuideFacts,
    GuideMaterial,
    KioskDevices,
    ResultDoc,
)

from .conftest import ARTIFACTS, TICKET

Build = Callable[..., KioskDevices]

PRINTER = """
[devices.ticket_printer]
driver = "escpos-generic"
port = "sim://printer{query}"
"""
NARROW = """
[devices.ticket_printer]
driver = "escpos-generic"
port = "sim://printer?width=58"
printer_profile = "narrow"

[printer_profiles.narrow]
paper_width_mm = 58
dots_per_line = 384
chars_per_line = 32
"""
GUIDE = GuideFacts(
    site_name="青山镇便民服务中心", title="城乡居民基本养老保险参保登记",
    title_en="Enrolment in the basic pension insurance",
    printed_at=dt.datetime(2026, 11, 24, 2, 5, tzinfo=dt.UTC),
    materials=(GuideMaterial("居民身份证", "原件", 1, True, False),
               GuideMaterial("户口簿", "原件", 1, True, True, "核对户籍信息")),
    conditions=("年满16周岁（不含在校学生）。",), fee_text="不收费 / Free", window="社保医保 B",
    village_can=True)


def test_a_ticket_comes_out_with_its_number_and_a_qr_code_that_reads_back(
        build: Build) -> None:
    devices = build(PRINTER.format(query=""))
    printer = devices.printer
    assert printer is not None
    printed = printer.print_ticket(TICKET)
    assert printed.ok and printed.message.startswith("已打印 / Printed"), printed
    sim = devices.simulators["ticket_printer"].sim
    assert sim.wait_for_jobs(1, 5.0)
    paper = sim.jobs[0]
    paper.save(ARTIFACTS / "ticket_80mm.png")
    assert paper.cut and paper.decode_errors == 0
    text = "\n".join(paper.text)
    assert "A012" in paper.text and "社保医保" in text
    assert "前面还有 3 人 / 3 ahead" in text and "等候约 11 分钟" in text
    assert "2026-11-24 10:05" in text  # issued 02:05 UTC, printed in the site's time
    assert "绿色通道 / Priority" in text
    codes = read_codes(np.asarray(paper.image.convert("L")), formats="QRCode")
    assert [c.text for c in codes] == [TICKET.code]
    assert printer.status().ok


def test_a_ticket_fits_the_narrow_paper_and_its_code_still_reads(build: Build) -> None:
    devices = build(NARROW)
    printer = devices.printer
    assert printer is not None
    reprint = dataclasses.replace(TICKET, reprint=True, appointment=True, language="en")
    assert printer.print_ticket(reprint).ok
    sim = devices.simulators["ticket_printer"].sim
    assert sim.wait_for_jobs(1, 5.0)
    paper = sim.jobs[0]
    paper.save(ARTIFACTS / "ticket_reprint_58mm.png")
    assert paper.image.width == 384 and paper.decode_errors == 0
    text = "\n".join(paper.text)
    assert "补打 / Reprint" in text and "预约 / Appointment" in text
    codes = read_codes(np.asarray(paper.image.convert("L")), formats="QRCode")
    assert [c.text for c in codes] == [TICKET.code]


def test_a_printer_out_of_paper_says_so_and_the_other_devices_go_on(build: Build) -> None:
    devices = build(PRINTER.format(query="?paper_out=1") + """
[devices.id_card_reader]
driver = "ga467-sam"
port = "sim://idcard"
""")
    printer = devices.printer
    assert printer is not None and devices.problems == {}
    assert not printer.status().ok  # reachable, unhappy: the port stays
    printed = printer.print_ticket(TICKET)  # never raises
    assert not printed.ok
    assert "缺纸" in printed.message and " / " in printed.message and printed.hint
    status = printer.status()
    assert not status.ok and status.message == printed.message and status.hint
    assert devices.simulators["ticket_printer"].sim.jobs == []  # nothing half-printed
    assert devices.card_reader is not None and devices.card_reader.status().ok


def test_the_screen_hears_when_the_paper_runs_out_and_comes_back(build: Build) -> None:
    devices = build(PRINTER.format(query=""), printer_poll_s=0.05)
    printer = devices.printer
    assert printer is not None
    heard: list[DeviceStatus] = []
    changed = threading.Event()

    def listen(status: DeviceStatus) -> None:
        heard.append(status)
        changed.set()

    printer.on_status(listen)
    sim = devices.simulators["ticket_printer"].sim
    sim.paper_out = True
    assert changed.wait(5.0)
    assert not heard[-1].ok and "缺纸" in heard[-1].message and heard[-1].hint
    changed.clear()
    sim.paper_out = False
    assert changed.wait(5.0)
    assert heard[-1].ok and heard[-1].role == "ticket_printer"
    assert len(heard) == 2  # told of changes only, not of every question
    assert printer.print_ticket(TICKET).ok


def test_the_notice_of_what_to_bring_prints_every_material(build: Build) -> None:
    devices = build(NARROW)
    printer = devices.printer
    assert printer is not None
    assert printer.print_guide(GUIDE).ok
    sim = devices.simulators["ticket_printer"].sim
    assert sim.wait_for_jobs(1, 5.0)
    sim.jobs[0].save(ARTIFACTS / "guide_device_58mm.png")
    text = "\n".join(sim.jobs[0].text)
    assert "居民身份证" in text and "户口簿" in text and "可容缺 / may follow later" in text
    assert "2026-11-24 10:05" in text


def _png(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), "white")
    image.paste((0, 0, 0), (20, 20, width - 20, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_result_document_prints_and_an_unknown_kind_is_refused_plainly(
        build: Build) -> None:
    devices = build(NARROW)
    printer = devices.printer
    assert printer is not None
    sim = devices.simulators["ticket_printer"].sim
    when = dt.datetime(2026, 11, 24, 2, 5, tzinfo=dt.UTC)
    refused = printer.print_result(ResultDoc("结果.docx", "application/msword", b"\xd0\xcf",
                                             "QS-20261124-0007", when))
    assert not refused.ok and refused.hint
    assert "不能在自助机打印" in refused.message and "cannot be printed here" in refused.message
    damaged = printer.print_result(ResultDoc("结果.png", "image/png", b"not a picture",
                                             "QS-20261124-0007", when))
    assert not damaged.ok and "无法读取" in damaged.message
    assert sim.jobs == []  # nothing went to paper
    printed = printer.print_result(ResultDoc("结果.png", "image/png", _png(800, 1000),
                                             "QS-20261124-0007", when))
    assert printed.ok, printed
    assert sim.wait_for_jobs(1, 5.0)
    paper = sim.jobs[0]
    assert paper.raster_images >= 1 and "QS-20261124-0007" in "\n".join(paper.text)
    assert printer.status().ok
