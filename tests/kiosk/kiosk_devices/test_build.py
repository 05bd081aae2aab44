"""build_kiosk_devices: every kiosk role from the configuration, or a plain problem; a role
that is missing costs only itself."""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.counter_devices import CardReaderAdapter, CodeScannerAdapter
from kiosk.kiosk_devices import (
    CameraCodesAdapter,
    KioskPrinterAdapter,
    SpeakerAdapter,
    build_kiosk_devices,
)
from kiosk.kiosk_ports import ROLES, KioskDevices

from .conftest import ALL_SIMULATED, TICKET

Build = Callable[..., KioskDevices]


def test_a_site_without_devices_gets_no_ports_and_no_problems(build: Build) -> None:
    devices = build("")
    assert (devices.card_reader, devices.printer, devices.code_scanner, devices.camera_codes,
            devices.speaker) == (None, None, None, None, None)
    assert devices.problems == {} and devices.simulators == {}


def test_every_simulated_kiosk_role_gets_its_port(build: Build) -> None:
    devices = build(ALL_SIMULATED)
    assert devices.problems == {}
    assert isinstance(devices.card_reader, CardReaderAdapter)
    assert isinstance(devices.printer, KioskPrinterAdapter)
    assert isinstance(devices.code_scanner, CodeScannerAdapter)
    assert isinstance(devices.camera_codes, CameraCodesAdapter)
    assert isinstance(devices.speaker, SpeakerAdapter)
    statuses = [port.status() for port in (devices.card_reader, devices.printer,
                                           devices.code_scanner, devices.camera_codes,
                                           devices.speaker)]
    assert [s.role for s in statuses] == list(ROLES)  # the status strip's order
    assert all(s.ok for s in statuses), statuses
    assert set(devices.simulators) == {"id_card_reader", "ticket_printer", "code_scanner",
                                       "announcer"}
    # the reader and the camera wait for the screen's start()
    assert not devices.camera_codes.camera.running
    assert devices.card_reader.reader._thread is None


def test_the_speaker_speaks_the_chinese_half_into_the_simulated_loudspeaker(
        build: Build) -> None:
    devices = build("""
[devices.announcer]
driver = "clips"
port = "sim://announcer"
""")
    speaker = devices.speaker
    assert speaker is not None
    speaker.say("请刷身份证 / Please place your ID card on the reader")
    assert speaker.idle(20.0)
    played = devices.simulators["announcer"].played
    assert [p.caption for p in played] == ["请刷身份证"]
    assert played[0].duration_s > 0.3  # words, not silence
    assert speaker.status().ok


def test_missing_roles_are_problems_and_the_others_still_work(build: Build) -> None:
    began = time.monotonic()
    devices = build(camera_timeout_s=30.0, devices="""
[devices.id_card_reader]
driver = "ga467-sam"
port = "serial:///dev/ttyNO-SUCH-READER"

[devices.document_camera]
driver = "uvc-generic"
port = "file:///dev/video-no-such-camera"

[devices.announcer]
driver = "clips"
port = "sim://announcer?device=absent"

[devices.ticket_printer]
driver = "escpos-generic"
port = "sim://printer"
""")
    # a camera that is not there at all is known at once: its 30 s are not waited out
    assert time.monotonic() - began < 15.0
    assert devices.card_reader is None and devices.camera_codes is None
    assert devices.speaker is None
    assert set(devices.problems) == {"id_card_reader", "document_camera", "announcer"}
    for role, problem in devices.problems.items():
        assert problem.role == role and not problem.ok
        assert " / " in problem.message and problem.hint, problem  # 中文 / English, what to do
    assert "ttyNO-SUCH-READER" in devices.problems["id_card_reader"].message
    assert "没有画面" in devices.problems["document_camera"].message
    assert "音频" in devices.problems["announcer"].message
    assert devices.printer is not None
    assert devices.printer.print_ticket(TICKET).ok  # the rest of the kiosk works
    assert devices.simulators["ticket_printer"].sim.wait_for_jobs(1, 5.0)


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


def test_a_village_point_prints_tickets_on_its_one_receipt_printer(build: Build) -> None:
    devices = build("""
[devices.receipt_printer]
driver = "escpos-generic"
port = "sim://printer?width=58"
printer_profile = "narrow"

[printer_profiles.narrow]
paper_width_mm = 58
dots_per_line = 384
chars_per_line = 32
""")
    assert isinstance(devices.printer, KioskPrinterAdapter)
    assert devices.printer.status().role == "ticket_printer"
    assert devices.printer.print_ticket(TICKET).ok
    sim = devices.simulators["ticket_printer"].sim
    assert sim.wait_for_jobs(1, 5.0) and sim.jobs[0].image.width == 384


def test_close_stops_and_closes_everything() -> None:
    from kiosk.config.loader import parse_config

    devices = build_kiosk_devices(parse_config(ALL_SIMULATED, "test site.toml"))
    assert devices.card_reader is not None and devices.camera_codes is not None
    devices.card_reader.start()
    devices.camera_codes.start()
    camera = devices.camera_codes.camera  # type: ignore[attr-defined]
    deadline = time.monotonic() + 3.0
    while not camera.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert camera.running
    devices.close()
    assert not camera.running
    assert devices.card_reader.reader._thread is None  # type: ignore[attr-defined]
    # the simulators are gone with the devices: nothing answers any more
    assert devices.printer is not None and not devices.printer.print_ticket(TICKET).ok
