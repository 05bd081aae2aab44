"""Discovery over a sysfs tree and port list laid out as Linux shows them (real files in a
temporary folder; the machine running the tests has no devices)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from devices.discovery import serial_devices, usb_printers


@dataclass
class Port:  # the attributes of pyserial's ListPortInfo that discovery reads
    device: str
    vid: int | None
    pid: int | None
    description: str = ""


def _usb_printer(root: Path, name: str, vid: str, pid: str) -> None:
    device = root / "sys" / "devices" / "pci0000:00" / "usb1" / f"1-{name[-1]}"
    interface = device / f"1-{name[-1]}:1.0"
    interface.mkdir(parents=True)
    (device / "idVendor").write_text(vid + "\n")
    (device / "idProduct").write_text(pid + "\n")
    entry = root / "sys" / "class" / "usbmisc" / name
    entry.mkdir(parents=True)
    (entry / "device").symlink_to(interface)
    (root / "dev" / "usb").mkdir(parents=True, exist_ok=True)
    (root / "dev" / "usb" / name).write_bytes(b"")


def test_usb_printers_are_found_with_their_ids(tmp_path: Path) -> None:
    _usb_printer(tmp_path, "lp0", "0416", "5011")
    _usb_printer(tmp_path, "lp1", "1234", "abcd")
    os.chmod(tmp_path / "dev" / "usb" / "lp1", 0)
    found = usb_printers(tmp_path / "sys", tmp_path / "dev")
    assert [(d.url, d.role, d.vid_pid) for d in found] == [
        (f"file://{tmp_path}/dev/usb/lp0", "ticket_printer", "0416:5011"),
        (f"file://{tmp_path}/dev/usb/lp1", "ticket_printer", "1234:ABCD"),
    ]
    assert found[0].model.startswith("ESC/POS receipt printer") and found[0].state == "ok"
    if os.geteuid() != 0:  # root may open anything; the permission check needs a user
        assert found[1].state == "error" and "bianmin" in found[1].hint


def test_no_usbmisc_class_means_no_printers(tmp_path: Path) -> None:
    assert usb_printers(tmp_path / "sys", tmp_path / "dev") == []


def test_serial_ports_are_classified_by_usb_id(tmp_path: Path) -> None:
    reader = tmp_path / "ttyUSB0"
    reader.write_bytes(b"")
    bridge = tmp_path / "ttyUSB1"
    bridge.write_bytes(b"")
    ports = [
        Port(str(reader), 0x0400, 0xC35A, "SAM"),
        Port(str(bridge), 0x1A86, 0x7523, "USB Serial"),
        Port(str(tmp_path / "ttyUSB9"), 0x0400, 0xC35A, "pulled out meanwhile"),
        Port("/dev/ttyS0", None, None, "ttyS0"),
    ]
    found = serial_devices(ports, probers={}, probe=False)
    by_url = {d.url: d for d in found}
    assert by_url[f"serial://{reader}"].role == "id_card_reader"
    assert by_url[f"serial://{reader}"].how == "usb-id"
    assert by_url[f"serial://{bridge}"].role is None
    assert by_url[f"serial://{bridge}"].model == "CH340 USB-serial bridge"
    gone = by_url[f"serial://{tmp_path}/ttyUSB9"]
    assert gone.state == "missing" and "检查数据线" in gone.hint
    assert by_url["serial:///dev/ttyS0"].vid_pid is None
