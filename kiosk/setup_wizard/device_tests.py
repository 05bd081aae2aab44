"""The wizard's live test of each device role, as plain calls returning an
:class:`~kiosk.setup_wizard.ports.Outcome`.

Each test builds the role through the registry exactly as the screens will
(``kiosk.site_devices.build_configured``, from the configuration the answers make), does
the one thing the technician checks with their own eyes (the test page of ``bianmin doctor
print-test``, a card read as ``doctor read-id`` reads it, a rating key as ``doctor
rating`` asks for it, ...), closes the device, and says what happened in the devices' own
plain words. It runs on its own thread under a deadline, so a driver that hangs costs the
wizard that test's time, never the screen.

The camera has a preview besides (:class:`CameraPreview`): the newest picture with the page
the imaging detection finds outlined, a few times a second.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from devices.health import HINT_CABLE, DeviceState
from devices.imaging.autocapture import Decision, State
from devices.imaging.detect import PageDetector
from devices.registry import BuiltDevice, check_device
from drivers.rating_bianmin import LEVELS, LEVELS_EN
from drivers.sam_ga467 import FrameError, SamStatusError
from drivers.transports import TransportError
from kiosk.config import DeviceConfig, SiteConfig
from kiosk.counter_devices.scanner import NOT_OPENED, preview_of
from kiosk.counter_devices.status import ROLE_WORDS
from kiosk.counter_ports import Preview
from kiosk.doctor_rating import TEST_CASE_NO, TEST_STAFF
from kiosk.doctor_scan import HINT_SETUP as HINT_SCANNER_SETUP
from kiosk.domain.masking import mask_name
from kiosk.site_devices import build_configured

from .ports import DeviceChoice, Outcome

log = logging.getLogger(__name__)

WORDS = {**ROLE_WORDS, "window_sign": ("窗口屏", "window sign")}
"""Each role's name, Chinese and English, for messages."""

TIMEOUTS_S = {
    "id_card_reader": 15.0,  # time to fetch a card and lay it on the reader
    "ticket_printer": 15.0,
    "receipt_printer": 15.0,
    "document_camera": 10.0,  # an 8 MP camera can take a few seconds to its first frame
    "rating_terminal": 20.0,  # time to walk round the counter and press a key
    "window_sign": 5.0,
    "code_scanner": 15.0,
    "announcer": 30.0,  # chime, and the call said twice
}
"""How long each role's test waits for the device or the technician. Unit: s."""

GRACE_S = 5.0
"""Beyond a role's timeout, how long its test may take before the wizard gives up on it
(opening and closing ports, a simulator starting). Unit: s."""

SIGN_TEXT = "便民服务 测试 TEST 123"
"""What the window sign test shows."""

CARD_TYPES = {
    "resident": ("居民身份证", "resident ID card"),
    "hmt_permit": ("港澳台居民居住证", "Hong Kong, Macao and Taiwan residence permit"),
    "foreign_2017": ("外国人永久居留身份证", "foreigner's permanent residence card"),
    "foreign_2023": ("外国人永久居留身份证", "foreigner's permanent residence card"),
}
HINT_CARD = "把证件平放在阅读器感应区中央 / Lay the card flat on the middle of the reader"
HINT_RATING = ("在评价器上按一个评价键；若按了没有反应，检查按键或键位设置 / Press a rating key on "
               "the terminal; if presses do nothing, check the keys or the key map")
HINT_PORT = ("从列表中选择设备地址，或运行 bianmin doctor list / Choose the device's port from the "
             "list, or run bianmin doctor list")
HINT_NO_PICTURE = ("拔下高拍仪再插上，并确认没有别的程序在用它 / Unplug the camera and plug it in "
                   "again, and check that no other program is using it")
SCAN_SHOWN = 60
"""Most characters of a scanned code shown (the technician scans a test code)."""


def role_words(role: str) -> tuple[str, str]:
    return WORDS.get(role, (role, role))


def config_for(base: SiteConfig, role: str, choice: DeviceChoice) -> SiteConfig | Outcome:
    """``base`` with only ``role``'s device, as chosen (its options and printer profile kept
    while the driver stays the same); or what is wrong with the choice."""
    old = base.devices.get(role)  # type: ignore[call-overload]
    same = old is not None and old.driver == choice.driver
    options = dict(old.options) if same and old is not None else {}
    problems = check_device(role, choice.driver, choice.port, options)
    if problems:
        return Outcome(False, "设备地址有误 / The device or its port is not usable: "
                       + "; ".join(message for _, message in problems), HINT_PORT)
    profile = old.printer_profile if old is not None else None
    device = DeviceConfig(driver=choice.driver, port=choice.port, printer_profile=profile,
                          options=options)
    return base.model_copy(update={"devices": {role: device}})


def run_test(base: SiteConfig, role: str, choice: DeviceChoice, *, site_name: str,
             timeout_s: float | None = None) -> Outcome:
    """The live test of ``role`` with ``choice``, within its timeout plus :data:`GRACE_S`.

    :param site_name: printed on the test page.
    :param timeout_s: how long to wait for the device or the technician (default: the
        role's :data:`TIMEOUTS_S`).
    """
    wait = TIMEOUTS_S.get(role, 10.0) if timeout_s is None else timeout_s
    config = config_for(base, role, choice)
    if isinstance(config, Outcome):
        return config
    test = TESTS.get(role)
    if test is None:
        return Outcome(False, f"此角色没有测试 / there is no test for {role}")

    def work() -> Outcome:
        built = build_configured(config, role)
        try:
            return test(built, wait, site_name)
        finally:
            built.close()

    return within_deadline(work, wait + GRACE_S, role)


def within_deadline(work: Callable[[], Outcome], seconds: float, role: str) -> Outcome:
    """``work()`` on its own thread; its outcome, or "no result" after ``seconds`` (the
    thread is left to finish and close its device by itself). An exception becomes plain
    words, never a trace."""
    zh, en = role_words(role)
    done: list[Outcome] = []

    def run() -> None:
        try:
            done.append(work())
        except Exception as exc:  # a bad option, a busy port, a driver bug
            log.warning("setup: the %s test failed: %s", role, exc, exc_info=True)
            done.append(Outcome(False, f"{zh}无法使用 / the {en} cannot be used: {exc}",
                                HINT_PORT))

    thread = threading.Thread(target=run, name=f"setup-test-{role}", daemon=True)
    thread.start()
    thread.join(seconds)
    if not done:
        return Outcome(False, f"{zh}在 {seconds:g} 秒内没有结果 / the {en} gave no result "
                       f"within {seconds:g} s", HINT_CABLE)
    return done[0]


# -- one test per role ------------------------------------------------------------------------


def printer_test(built: BuiltDevice, timeout_s: float, site_name: str) -> Outcome:
    """Print the technician's test page (Chinese, English, the site name, a QR code)."""
    result = built.device.print_test_page(site_name)
    notes = "".join(f"; {warning}" for warning in result.warnings)
    if not result.ok:
        # the technical cause names the port, which is what the technician checks
        cause = f" ({result.detail})" if result.detail else ""
        return Outcome(False, f"测试页未打印 / The test page did not print: {result.message}"
                       f"{cause}{notes}", result.hint)
    return Outcome(True, f"测试页已打印，请查看 / Test page printed, look at it: "
                   f"{result.message}{notes}")


def card_reader_test(built: BuiltDevice, timeout_s: float, site_name: str) -> Outcome:
    """Wait for a card and say whose it is, the name masked (张*, 王*明)."""
    try:
        card = built.device.read_once(timeout_s)
    except TimeoutError as exc:  # NoCardError
        return Outcome(False, f"没有读到证件 / No card read: {exc}", HINT_CARD)
    except (TransportError, FrameError) as exc:
        return Outcome(False, f"无法与阅读器通信 / Cannot talk to the reader: {exc}", HINT_CABLE)
    except SamStatusError as exc:
        return Outcome(False, str(exc), getattr(exc, "hint", "") or HINT_CARD)
    name = mask_name(card.name or card.english_name or "")
    kind_zh, kind_en = CARD_TYPES.get(card.card_type, (card.card_type, card.card_type))
    return Outcome(True, f"读到证件：{name}（{kind_zh}）/ Card read: {name} ({kind_en})")


def camera_test(built: BuiltDevice, timeout_s: float, site_name: str) -> Outcome:
    """A picture from the camera within ``timeout_s``; a camera that is not there at all is
    said at once (as the counter's start-up does), not after the whole wait."""
    camera = built.device
    camera.start()
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                width, height = camera.latest(0.2).size
            except TimeoutError:
                pass
            else:
                return Outcome(True, f"高拍仪有画面（{width}×{height}），打开预览看看页面是否"
                               f"框出 / The camera gives a picture ({width}×{height}); open "
                               "the preview to see the page outlined")
            health = camera.health()
            gone = health.state is DeviceState.MISSING and health.message != NOT_OPENED
            if gone or time.monotonic() >= deadline:
                words = health.message if not health.ok and health.message != NOT_OPENED else (
                    f"高拍仪在 {timeout_s:g} 秒内没有画面 / The camera gave no picture within "
                    f"{timeout_s:g} s")
                return Outcome(False, words, health.hint or HINT_NO_PICTURE)
    finally:
        camera.stop()


def rating_test(built: BuiltDevice, timeout_s: float, site_name: str) -> Outcome:
    """Show a test staff card and wait for a rating key (``bianmin doctor rating``)."""
    terminal = built.device
    health = terminal.check()
    if not health.ok:
        return Outcome(False, health.message, health.hint)
    name, staff_no, window_no, window_name = TEST_STAFF
    health = terminal.show_staff(name, staff_no=staff_no, window_no=window_no,
                                 window_name=window_name)
    if not health.ok:
        return Outcome(False, health.message, health.hint)
    outcome = terminal.ask(TEST_CASE_NO, timeout_s, ask_reasons=False)
    if outcome.error:
        return Outcome(False, outcome.error, outcome.hint)
    if outcome.level is None:
        return Outcome(False, f"{timeout_s:g} 秒内没有按键 / No key was pressed within "
                       f"{timeout_s:g} s", HINT_RATING)
    level = outcome.level
    return Outcome(True, f"评价器正常：按下了“{LEVELS.get(level, level)}” / Rating terminal "
                   f"ok: “{LEVELS_EN.get(level, level)}” ({level}) was pressed")


def sign_test(built: BuiltDevice, timeout_s: float, site_name: str) -> Outcome:
    """Show :data:`SIGN_TEXT` on the window sign (``bianmin doctor sign``)."""
    sign = built.device
    if not sign.show(SIGN_TEXT):
        health = sign.last_health
        return Outcome(False, f"窗口屏没有显示 / The sign did not take the text: "
                       f"{health.message}", health.hint)
    result = sign.last_result
    shown = result.shown if result is not None else SIGN_TEXT
    words = f"窗口屏已显示，请查看 / The sign shows, look at it: {shown}"
    if result is not None and result.acked is None:
        words += ("（此屏不应答，请看屏上文字是否正确）/ (this sign does not answer: check the "
                  "text on it)")
    return Outcome(True, words)


def scanner_test(built: BuiltDevice, timeout_s: float, site_name: str) -> Outcome:
    """Wait for one scan (``bianmin doctor scan``)."""
    try:
        scan = built.device.read_once(timeout_s)
    except TimeoutError as exc:  # NoScanError
        return Outcome(False, f"没有扫到码 / Nothing was scanned: {exc}", HINT_SCANNER_SETUP)
    except TransportError as exc:
        return Outcome(False, f"无法打开扫码枪 / Cannot open the scanner: {exc}", HINT_CABLE)
    text = scan.text if len(scan.text) <= SCAN_SHOWN else scan.text[:SCAN_SHOWN] + "…"
    return Outcome(True, f"扫到 / Scanned: {text}")


def announcer_test(built: BuiltDevice, timeout_s: float, site_name: str) -> Outcome:
    """Say a hall call (请A001号到1号窗口办理) the way the display will."""
    announcer = built.device
    health = announcer.check_now()
    if not health.ok:
        return Outcome(False, health.message, health.hint)
    announcement = announcer.announce("A001", "1")
    if not announcement.wait(timeout_s):
        return Outcome(False, f"{timeout_s:g} 秒内没有播完 / The announcement did not finish "
                       f"within {timeout_s:g} s", health.hint or HINT_CABLE)
    if not announcement.ok:
        return Outcome(False, f"播报失败 / The announcement failed: {announcement.error}",
                       announcement.hint)
    return Outcome(True, f"已播报，请听 / Announced, listen: {announcement.caption}")


TESTS: dict[str, Callable[[BuiltDevice, float, str], Outcome]] = {
    "id_card_reader": card_reader_test,
    "ticket_printer": printer_test,
    "receipt_printer": printer_test,
    "document_camera": camera_test,
    "rating_terminal": rating_test,
    "window_sign": sign_test,
    "code_scanner": scanner_test,
    "announcer": announcer_test,
}


# -- the camera's preview -----------------------------------------------------------------------


class CameraPreview:
    """A started document camera and the page detector: :meth:`frame` is the newest picture
    (at most 640 px wide) with the page it shows outlined. One caller at a time (the
    detector keeps no state between frames, but is not thread-safe)."""

    def __init__(self, built: BuiltDevice):
        self.built = built
        self.camera: Any = built.device
        self.detector = PageDetector()
        self.camera.start()

    def frame(self, timeout_s: float) -> Preview | Outcome:
        try:
            frame = self.camera.latest(timeout_s, fresh=True)
            detection = self.detector.detect_frame(frame)
        except TimeoutError:
            health = self.camera.health()
            return Outcome(False, health.message if not health.ok else
                           f"{timeout_s:g} 秒内没有画面 / no picture within {timeout_s:g} s",
                           health.hint or HINT_NO_PICTURE)
        except Exception as exc:  # a picture that does not decode
            return Outcome(False, f"高拍仪的画面无法使用 / The camera's picture cannot be used: "
                           f"{exc}", HINT_NO_PICTURE)
        state = State.STABLE if detection.found else State.IDLE
        preview = preview_of(Decision(state, False, "preview", corners=detection.corners),
                             detection)
        if preview is None:
            return Outcome(False, "高拍仪的画面是空的 / The camera's picture is empty",
                           HINT_NO_PICTURE)
        hint = ("已找到页面 / Page found" if detection.found else
                "请在镜头下放一页纸 / Lay a page under the camera")
        return dataclasses.replace(preview, hint=hint)

    def close(self) -> None:
        self.built.close()


def open_preview(base: SiteConfig, choice: DeviceChoice) -> CameraPreview | Outcome:
    """The chosen camera started for a preview, or why it cannot be."""
    config = config_for(base, "document_camera", choice)
    if isinstance(config, Outcome):
        return config
    try:
        built = build_configured(config, "document_camera")
    except Exception as exc:
        return Outcome(False, f"高拍仪无法使用 / The document camera cannot be used: {exc}",
                       HINT_PORT)
    return CameraPreview(built)
