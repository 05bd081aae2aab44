"""The kiosk's devices from the site configuration: each kiosk role built through the
registry (kiosk/site_devices.py), asked once whether it answers, and put behind its port
(kiosk/kiosk_ports.py), as kiosk/counter_devices/build.py does for the counter.

All roles are checked at once, each on its own thread, so a dead device costs the start-up
its own timeout, not the sum. A role that cannot be built, or does not answer at all (a
serial port that does not exist, a camera that sends no picture, no sound output), is left
out (its port None) and listed in ``problems`` with what to do; a role that answers but is
unhappy (paper out, a SAM fault) keeps its port, whose status says what is wrong, and the
screen disables only what needs it.

The printer is ``[devices.ticket_printer]``, or on a village point with one printer its
``[devices.receipt_printer]``. The card reader, the code scanner and the camera are left
stopped: the screen subscribes first and calls ``start()``, so a card lying on the reader
when the kiosk starts is not read before anyone listens.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from zoneinfo import ZoneInfo

from devices.document_camera import NoFrameError
from devices.health import DeviceState, Health, not_opened
from devices.registry import BuiltDevice
from kiosk.config import SiteConfig
from kiosk.counter_devices import CardReaderAdapter, CodeScannerAdapter
from kiosk.counter_devices.building import Made, Plan, build_roles, missing
from kiosk.counter_devices.status import ROLE_WORDS, status_of
from kiosk.domain.call_text import SpeechStyle
from kiosk.kiosk_ports import KioskDevices

from .camera_codes import FPS, CameraCodesAdapter
from .printer import POLL_S, KioskPrinterAdapter
from .speaker import SpeakerAdapter

log = logging.getLogger(__name__)

CAMERA_TIMEOUT_S = 5.0
"""Longest wait for the camera's first frame at start. Unit: s."""

NOT_OPENED = not_opened("文档摄像头", "document camera").message
"""The camera's health before its first open, in the role's own words
(devices/document_camera.py): not yet a sign that it is missing."""
HINT_CAMERA = ("检查摄像头的 USB 线，并确认没有别的程序在用它 / Check the camera's USB cable and "
               "that no other program is using it")


def build_kiosk_devices(config: SiteConfig, *, printer_poll_s: float = POLL_S,
                        camera_fps: float = FPS,
                        camera_timeout_s: float = CAMERA_TIMEOUT_S) -> KioskDevices:
    """The kiosk's devices as ``config`` names them (module docstring).

    :param printer_poll_s: seconds between the printer's status questions while the screen
        listens for its status. Unit: s.
    :param camera_fps: camera frames searched for QR codes per second while started.
    :param camera_timeout_s: longest wait for the camera's first frame at start. Unit: s.
    """
    tz = ZoneInfo(config.site.timezone)
    printer = ("ticket_printer" if "ticket_printer" in config.devices
               else "receipt_printer" if "receipt_printer" in config.devices else None)
    style = SpeechStyle(one_as_yao=bool(_options(config, "announcer").get("one_as_yao")))
    plans: list[Plan] = []
    if "id_card_reader" in config.devices:
        plans.append(("id_card_reader", "id_card_reader", _card_reader))
    if printer is not None:
        # a village point's one printer prints tickets and receipts alike
        plans.append(("ticket_printer", printer,
                      lambda built: _printer(built, tz, printer_poll_s)))
    if "code_scanner" in config.devices:
        plans.append(("code_scanner", "code_scanner", _code_scanner))
    if "document_camera" in config.devices:
        plans.append(("document_camera", "document_camera",
                      lambda built: _camera(built, camera_fps, camera_timeout_s)))
    if "announcer" in config.devices:
        plans.append(("announcer", "announcer", lambda built: _speaker(built, style)))

    roles = build_roles(config, plans, "kiosk")
    devices = KioskDevices(
        card_reader=roles.port("id_card_reader"), printer=roles.port("ticket_printer"),
        code_scanner=roles.port("code_scanner"), camera_codes=roles.port("document_camera"),
        speaker=roles.port("announcer"), problems=roles.problems,
        close=roles.close)
    devices.simulators.update(roles.simulators())
    return devices


def _options(config: SiteConfig, role: str) -> dict[str, Any]:
    device = config.devices.get(role)  # type: ignore[call-overload]  # Role is a Literal
    return dict(device.options) if device is not None else {}


# -- one function per role: build the port, ask the device once ------------------------------


def _card_reader(built: BuiltDevice) -> Made:
    from kiosk.doctor import device_health  # the SAM status handshake (11 FF), no card read

    health = device_health(built)
    if missing(health):
        return Made("id_card_reader", problem=status_of("id_card_reader", health))
    adapter = CardReaderAdapter(built.device, checked=health)
    return Made("id_card_reader", adapter, stop=adapter.stop)


def _printer(built: BuiltDevice, tz: ZoneInfo, poll_s: float) -> Made:
    health = built.device.health()  # DLE EOT: paper, cover, faults
    if missing(health):
        return Made("ticket_printer", problem=status_of("ticket_printer", health))
    adapter = KioskPrinterAdapter(built.device, tz=tz, initial=health, poll_s=poll_s)
    return Made("ticket_printer", adapter, stop=adapter.close)


def _code_scanner(built: BuiltDevice) -> Made:
    from kiosk.doctor import device_health  # opens the scanner on its thread, then stops

    health = device_health(built)
    if missing(health):
        return Made("code_scanner", problem=status_of("code_scanner", health))
    adapter = CodeScannerAdapter(built.device)
    return Made("code_scanner", adapter, stop=adapter.stop)


def _camera(built: BuiltDevice, fps: float, timeout_s: float) -> Made:
    """The camera's first frame within ``timeout_s``; a camera that is not there at all
    is known sooner (its health says MISSING once its open failed)."""
    camera = built.device
    deadline = time.monotonic() + timeout_s
    camera.start()
    try:
        while True:
            try:
                camera.latest(0.1)
                health = camera.health()
                break
            except NoFrameError:
                health = camera.health()
                gone = health.state is DeviceState.MISSING and health.message != NOT_OPENED
                if gone or time.monotonic() >= deadline:
                    health = _no_picture(health, timeout_s)
                    break
    finally:
        camera.stop()
    if missing(health):
        return Made("document_camera", problem=status_of("document_camera", health))
    adapter = CameraCodesAdapter(camera, checked=health, fps=fps)
    return Made("document_camera", adapter, stop=adapter.close)


def _no_picture(health: Health, timeout_s: float) -> Health:
    zh, en = ROLE_WORDS["document_camera"]
    why = f" ({health.message})" if health.message and not health.ok else ""
    return Health(DeviceState.MISSING, f"{zh}在 {timeout_s:g} 秒内没有画面 / the {en} gave "
                  f"no picture within {timeout_s:g} s{why}", health.hint or HINT_CAMERA)


def _speaker(built: BuiltDevice, style: SpeechStyle) -> Made:
    announcer = built.device
    health = announcer.check_now()  # the clips or espeak-ng, and the sound output
    if missing(health):
        return Made("announcer", problem=status_of("announcer", health))
    adapter = SpeakerAdapter(announcer, initial=health, style=style)
    return Made("announcer", adapter, stop=adapter.close)
