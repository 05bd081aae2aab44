"""Each role's live test in the wizard against its real simulator (``sim://``: the drivers'
own serial code over a pseudo-terminal) says ok; against a port that does not exist it says
what is wrong and what to do, within its time; the camera's preview outlines the page."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kiosk.counter_ports import Preview
from kiosk.setup_wizard.device_tests import within_deadline
from kiosk.setup_wizard.ports import Answers, DeviceChoice, Outcome, SiteAnswers

SITE = SiteAnswers(code="XC-0101", name="西村便民服务站")

MISSING = {
    "id_card_reader": ("ga467-sam", "serial:///dev/ttyBIANMIN9"),
    "ticket_printer": ("escpos-generic", "serial:///dev/ttyBIANMIN9"),
    "receipt_printer": ("escpos-generic", "file:///dev/usb/lp99"),
    "document_camera": ("uvc-generic", "file:///dev/video99"),
    "rating_terminal": ("bianmin-rating-v1", "serial:///dev/ttyBIANMIN9"),
    "window_sign": ("led-sign", "serial:///dev/ttyBIANMIN9"),
    "code_scanner": ("keyboard-wedge", "file:///dev/input/event99"),
    "announcer": ("clips", "sim://announcer?device=absent"),
}
OK_WORDS = {
    "id_card_reader": "Card read: 王*英 (resident ID card)",  # the name masked
    "ticket_printer": "Test page printed",
    "receipt_printer": "Test page printed",
    "document_camera": "The camera gives a picture (1920×1080)",
    "rating_terminal": "“satisfied” (4) was pressed",
    "window_sign": "The sign shows, look at it: 便民服务 测试 TEST 123",
    "code_scanner": "Scanned: BM-TEST-0001",
    "announcer": "Announced, listen: 请A001号到1号窗口办理",
}


def test_every_role_against_its_simulator_says_ok(make_model: Any) -> None:
    model = make_model()
    simulated = model.simulators()
    assert set(simulated) == set(OK_WORDS)
    answers = Answers(site=SITE, devices=simulated)
    for role in simulated:
        started = time.monotonic()
        outcome = model.test_device(answers, role)
        assert outcome.ok, (role, outcome)
        assert OK_WORDS[role] in outcome.words, (role, outcome)
        assert "王秀英" not in outcome.words
        assert time.monotonic() - started < 5, role


@pytest.mark.parametrize("role", list(MISSING))
def test_a_port_that_does_not_exist_says_what_is_wrong(make_model: Any, role: str) -> None:
    driver, port = MISSING[role]
    started = time.monotonic()
    outcome = make_model().test_device(
        Answers(site=SITE, devices={role: DeviceChoice(driver, port)}), role)
    assert time.monotonic() - started < 5
    assert not outcome.ok
    assert " / " in outcome.words and outcome.hint, outcome  # Chinese / English, what to do
    assert "Traceback" not in outcome.words
    if not port.startswith("sim://"):
        assert port.split("://")[1] in outcome.words, outcome  # names the port that failed


def test_a_choice_the_configuration_would_refuse_never_reaches_a_device(
        make_model: Any) -> None:
    model = make_model()
    outcome = model.test_device(Answers(site=SITE, devices={
        "ticket_printer": DeviceChoice("escpos-generic", "/dev/ttyUSB0")}), "ticket_printer")
    assert not outcome.ok and "did you mean serial:///dev/ttyUSB0?" in outcome.words
    outcome = model.test_device(Answers(site=SITE), "window_sign")
    assert not outcome.ok and "No window sign is chosen" in outcome.words


def test_no_card_and_no_key_in_time_say_what_to_do(make_model: Any) -> None:
    from kiosk.setup_wizard import device_tests

    model = make_model()
    answers = Answers(site=SITE, devices={
        "id_card_reader": DeviceChoice("ga467-sam", "sim://idcard"),
        "rating_terminal": DeviceChoice("bianmin-rating-v1", "sim://rating")})
    card = device_tests.run_test(model.base, "id_card_reader",
                                 answers.devices["id_card_reader"], site_name="x", timeout_s=0.5)
    assert not card.ok and "no card was placed" in card.words and "Lay the card" in card.hint
    rating = device_tests.run_test(model.base, "rating_terminal",
                                   answers.devices["rating_terminal"], site_name="x",
                                   timeout_s=1)
    assert not rating.ok and "No key was pressed within 1 s" in rating.words
    assert "Press a rating key" in rating.hint


def test_a_test_that_hangs_is_given_up_at_its_deadline() -> None:
    started = time.monotonic()
    outcome = within_deadline(lambda: time.sleep(3) or Outcome(True, "late"), 0.3,
                              "window_sign")
    assert time.monotonic() - started < 1
    assert not outcome.ok and "gave no result within 0.3 s" in outcome.words
    boom = within_deadline(lambda: 1 / 0, 1, "window_sign")  # type: ignore[arg-type,return-value]
    assert not boom.ok and "the window sign cannot be used: division by zero" in boom.words


def test_the_camera_preview_outlines_the_page(make_model: Any) -> None:
    model = make_model()
    preview = model.open_preview(Answers(site=SITE, devices={
        "document_camera": DeviceChoice("uvc-generic", "sim://camera?script=a4")}))
    assert not isinstance(preview, Outcome)
    try:
        frames = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            frame = preview.frame(2.0)
            assert isinstance(frame, Preview), frame
            frames.append(frame)
            if frame.quad is not None:
                break
        assert frames[-1].quad is not None and len(frames[-1].quad) == 4
        assert frames[-1].hint == "已找到页面 / Page found"
        height, width = frames[-1].rgb.shape[:2]  # type: ignore[attr-defined]
        assert width <= 640 and all(0 <= x <= width and 0 <= y <= height
                                    for x, y in frames[-1].quad)
    finally:
        model.close()
    missing = model.open_preview(Answers(site=SITE, devices={
        "document_camera": DeviceChoice("uvc-generic", "sim://printer")}))
    assert isinstance(missing, Outcome) and not missing.ok
    assert "sim://camera" in missing.words
