"""Finding the devices plugged into this PC, for ``bianmin doctor list`` and the setup wizard.

Two buses, each listed the way the OS shows it (Odoo IoT box's per-bus interfaces,
../shared/research/hardware.md §5):

- serial ports from pyserial's ``list_ports`` (USB-serial bridges, CDC-ACM devices, real
  COM ports), matched against a table of known USB ids;
- USB printer-class devices (``/dev/usb/lp*``), whose ids are read from sysfs.

A USB-serial bridge says nothing about what is behind it, so where a protocol has a
handshake the port is probed: SAM ``11 FF`` for ID card readers (hardware.md §5, "probing
as matcher"), ``DLE EOT 1`` for ESC/POS printers. Probing writes to a port, so it is only
done on bridges and unknown ports, never on a port whose device is already known.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from drivers.transports import SerialTransport, Transport, TransportError

from .health import HINT_CABLE, HINT_PERMISSION


@dataclass(frozen=True)
class KnownUsb:
    role: str | None  # None: a bridge; the role is found by probing
    model: str
    source: str


# (vendor id, product id or None for any product of the vendor)
KNOWN_USB: dict[tuple[int, int | None], KnownUsb] = {
    (0x0400, 0xC35A): KnownUsb("id_card_reader", "SAM ID card reader (GA 467)",
                               "hardware.md §1.1, several public libusb/Android sources"),
    (0x0483, 0x5652): KnownUsb("id_card_reader", "SAM ID card reader (STM32 based)",
                               "hardware.md §1.1, one Android source"),
    (0x0416, 0x5011): KnownUsb("ticket_printer", "ESC/POS receipt printer (Winbond USB)",
                               "common POS58/POS80 printers"),
    (0x04B8, None): KnownUsb("ticket_printer", "Epson receipt printer", "Epson vendor id"),
    (0x1A86, 0x7523): KnownUsb(None, "CH340 USB-serial bridge", "WCH"),
    (0x067B, 0x2303): KnownUsb(None, "PL2303 USB-serial bridge", "Prolific"),
    (0x10C4, 0xEA60): KnownUsb(None, "CP210x USB-serial bridge", "Silicon Labs"),
    (0x0403, 0x6001): KnownUsb(None, "FT232 USB-serial bridge", "FTDI"),
}


def known_usb(vid: int | None, pid: int | None) -> KnownUsb | None:
    if vid is None:
        return None
    return KNOWN_USB.get((vid, pid)) or KNOWN_USB.get((vid, None))


@dataclass(frozen=True)
class Detected:
    """A device found on a bus. ``how``: ``usb-id`` (the table), ``probe`` (it answered a
    handshake), ``unknown`` (present, role not known)."""

    url: str
    role: str | None
    model: str
    vid_pid: str | None
    how: str
    state: str
    message: str = ""
    hint: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


Prober = Callable[[Transport], bool]


def _access_problem(path: str) -> tuple[str, str, str] | None:
    if not os.path.exists(path):
        return ("missing", f"设备已拔出 / {path} is gone", HINT_CABLE)
    if not os.access(path, os.R_OK | os.W_OK):
        return ("error", f"没有权限访问 / no permission to open {path}", HINT_PERMISSION)
    return None


def _probe(path: str, probers: dict[str, Prober], baudrate: int) -> str | None:
    """The role whose handshake the device at ``path`` answers, if any."""
    for role, prober in probers.items():
        try:
            transport = SerialTransport(path, baudrate)
        except TransportError:
            return None
        try:
            if prober(transport):
                return role
        except TransportError:
            pass
        finally:
            transport.close()
    return None


def serial_devices(
    ports: Iterable[Any], *, probers: dict[str, Prober], probe: bool = True,
    baudrate: int = 115200,
) -> list[Detected]:
    """Classify pyserial ``ListPortInfo`` entries (``device``, ``vid``, ``pid``,
    ``description``)."""
    found = []
    for port in ports:
        vid, pid = getattr(port, "vid", None), getattr(port, "pid", None)
        vid_pid = f"{vid:04X}:{pid:04X}" if vid is not None and pid is not None else None
        known = known_usb(vid, pid)
        role = known.role if known else None
        model = known.model if known else (getattr(port, "description", "") or "serial port")
        how = "usb-id" if role else "unknown"
        problem = _access_problem(port.device)
        if role is None and problem is None and probe:
            role = _probe(port.device, probers, baudrate)
            how = "probe" if role else how
        state, message, hint = problem or ("ok", "", "")
        found.append(Detected(f"serial://{port.device}", role, model, vid_pid, how, state,
                              message, hint))
    return found


def usb_printers(sys_root: Path = Path("/sys"), dev_root: Path = Path("/dev")) -> list[Detected]:
    """USB printer-class devices: ``/sys/class/usbmisc/lpN`` -> ``/dev/usb/lpN``."""
    found = []
    base = sys_root / "class" / "usbmisc"
    if not base.is_dir():
        return found
    for entry in sorted(base.glob("lp*")):
        usb_dev = (entry / "device").resolve().parent  # the interface's parent: the device
        vid_pid = None
        try:
            vid = int((usb_dev / "idVendor").read_text().strip(), 16)
            pid = int((usb_dev / "idProduct").read_text().strip(), 16)
            vid_pid = f"{vid:04X}:{pid:04X}"
            known = known_usb(vid, pid)
        except (OSError, ValueError):
            known = None
        model = known.model if known and known.role else "USB printer"
        path = str(dev_root / "usb" / entry.name)
        state, message, hint = _access_problem(path) or ("ok", "", "")
        found.append(Detected(f"file://{path}", "ticket_printer", model, vid_pid, "usb-id",
                              state, message, hint))
    return found


def detect(*, probe: bool = True) -> list[Detected]:
    """Everything this PC has plugged in, by bus."""
    from serial.tools import list_ports

    from .registry import probers

    return serial_devices(list_ports.comports(), probers=probers(), probe=probe) + usb_printers()
