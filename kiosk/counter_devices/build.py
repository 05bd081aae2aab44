"""The window's devices from the site configuration: each counter role built through the
registry (kiosk/site_devices.py), asked once whether it answers, and put behind its port
(kiosk/counter_ports.py).

All roles are checked at once, each on its own thread, so a dead device costs the start-up
its own timeout, not the sum. A role that cannot be built, or does not answer at all
(``MISSING``: not plugged in, a serial port that does not exist), is left out (its port None)
and listed in ``problems`` with what to do; a role that answers but is unhappy (paper out,
a SAM fault) keeps its port, whose status says what is wrong.

The camera runs once here, for its first frame, which calibrates the empty desk
(devices/imaging/session.py: the desk is expected clear when the counter starts). The card
reader, the camera and the code scanner are then left stopped: the screen subscribes first
and calls ``start()``, so a card lying on the reader when the counter starts is not read
before anyone listens. The rating terminal's watch thread runs from here on (it keeps the
terminal's health current and shows the clerk's card again after a replug).
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from devices.health import DeviceState, Health
from devices.registry import BuiltDevice
from kiosk.config import SiteConfig
from kiosk.counter_ports import CounterDevices

from .building import Made, Plan, build_roles, missing
from .card import CardReaderAdapter
from .code_scanner import CodeScannerAdapter
from .printer import PrinterAdapter
from .rating import RatingAdapter
from .scanner import NOT_OPENED, ScannerAdapter
from .status import ROLE_WORDS, status_of

log = logging.getLogger(__name__)

CAMERA_TIMEOUT_S = 10.0
"""Longest wait for the document camera's first frame and the desk calibration (an 8 MP
camera can take a few seconds to its first frame). Unit: s."""

HINT_CAMERA = ("检查高拍仪的 USB 线，并确认没有别的程序在用它 / Check the camera's USB cable "
               "and that no other program is using it")



def build_counter_devices(config: SiteConfig, *, preview_fps: float = 10.0,
                          camera_timeout_s: float = CAMERA_TIMEOUT_S) -> CounterDevices:
    """The counter's devices as ``config`` names them (module docstring).

    :param preview_fps: most camera previews a second handed to the screen.
    :param camera_timeout_s: longest wait for the camera's first frame at start. Unit: s.
    """
    tz = ZoneInfo(config.site.timezone)
    printer_role = ("receipt_printer" if "receipt_printer" in config.devices
                    else "ticket_printer" if "ticket_printer" in config.devices else None)
    plans: list[Plan] = []
    if "id_card_reader" in config.devices:
        plans.append(("id_card_reader", "id_card_reader", _card_reader))
    if "document_camera" in config.devices:
        plans.append(("document_camera", "document_camera",
                      lambda built: _scanner(built, preview_fps, camera_timeout_s)))
    if printer_role is not None:
        # a village point's one printer prints tickets and receipts alike
        plans.append(("receipt_printer", printer_role, lambda built: _printer(built, tz)))
    if "rating_terminal" in config.devices:
        plans.append(("rating_terminal", "rating_terminal", _rating))
    if "code_scanner" in config.devices:
        plans.append(("code_scanner", "code_scanner", _code_scanner))

    roles = build_roles(config, plans, "counter")
    devices = CounterDevices(
        card_reader=roles.port("id_card_reader"), scanner=roles.port("document_camera"),
        printer=roles.port("receipt_printer"), rating=roles.port("rating_terminal"),
        code_scanner=roles.port("code_scanner"), problems=roles.problems,
        close=roles.close)
    devices.simulators.update(roles.simulators())
    return devices


# -- one function per role: build the port, ask the device once ------------------------------


def _card_reader(built: BuiltDevice) -> Made:
    from kiosk.doctor import device_health  # the SAM status handshake (11 FF), no card read

    health = device_health(built)
    if missing(health):
        return Made("id_card_reader", problem=status_of("id_card_reader", health))
    adapter = CardReaderAdapter(built.device, checked=health)
    return Made("id_card_reader", adapter, stop=adapter.stop)


def _scanner(built: BuiltDevice, preview_fps: float, timeout_s: float) -> Made:
    camera = built.device
    adapter = ScannerAdapter(camera, view_width_mm=_number_option(built, "view_width_mm"),
                             preview_fps=preview_fps)
    if not adapter.warm_up(timeout_s):
        health = camera.health()
        adapter.close()
        if health.ok or health.message == NOT_OPENED:
            zh, en = ROLE_WORDS["document_camera"]
            health = Health(DeviceState.MISSING, f"{zh}在 {timeout_s:g} 秒内没有画面 / the "
                            f"{en} gave no picture within {timeout_s:g} s", HINT_CAMERA)
        return Made("document_camera", problem=status_of("document_camera", health))
    return Made("document_camera", adapter, stop=adapter.close)


def _number_option(built: BuiltDevice, name: str) -> float | None:
    """A number the role kept from its options (the registry checked its type), else None."""
    value = getattr(built.device, name, None)
    return float(value) if isinstance(value, int | float) else None


def _printer(built: BuiltDevice, tz: ZoneInfo) -> Made:
    health = built.device.health()  # DLE EOT: paper, cover, faults
    if missing(health):
        return Made("receipt_printer", problem=status_of("receipt_printer", health))
    return Made("receipt_printer", PrinterAdapter(built.device, tz=tz, initial=health))


def _rating(built: BuiltDevice) -> Made:
    terminal = built.device
    health = terminal.check()  # a heartbeat (a keypad: open and read once)
    if missing(health):
        return Made("rating_terminal", problem=status_of("rating_terminal", health))
    terminal.start()  # the watch thread keeps its health current and reopens after a replug
    return Made("rating_terminal", RatingAdapter(terminal), stop=terminal.stop)


def _code_scanner(built: BuiltDevice) -> Made:
    from kiosk.doctor import device_health  # opens the scanner on its thread, then stops

    health = device_health(built)
    if missing(health):
        return Made("code_scanner", problem=status_of("code_scanner", health))
    adapter = CodeScannerAdapter(built.device)
    return Made("code_scanner", adapter, stop=adapter.stop)
