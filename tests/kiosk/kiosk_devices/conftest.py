"""Kiosk devices built from a site configuration whose ports are the simulators' ``sim://``
URLs (as ``bianmin demo`` writes them), closed after each test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.config.loader import parse_config
from kiosk.kiosk_devices import build_kiosk_devices
from kiosk.kiosk_ports import KioskDevices, TicketFacts

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "kiosk"

ALL_SIMULATED = """
[devices.id_card_reader]
driver = "ga467-sam"
port = "sim://idcard"

[devices.ticket_printer]
driver = "escpos-generic"
port = "sim://printer"

[devices.code_scanner]
driver = "serial-scanner"
port = "sim://scanner?mode=serial"

[devices.document_camera]
driver = "uvc-generic"
port = "sim://camera?script=qr&size=1080p&fps=30&qr_text=BMT:42:k2jd93kd0slq"

[devices.announcer]
driver = "clips"
port = "sim://announcer"
"""
"""Every kiosk role, simulated; the camera sees a page with a QR code come and go."""

TICKET = TicketFacts(
    site_name="青山镇便民服务中心", number="A012", category_name="社保医保",
    category_name_en="Social and medical insurance", ahead=3, estimated_wait_s=610.0,
    issued_at=dt.datetime(2026, 11, 24, 2, 5, tzinfo=dt.UTC),  # 10:05 in Shanghai
    code="BMT:8f3a2c91:k2jd93kd0slq", priority_note="绿色通道 / Priority")
"""A green-channel ticket with a QR code; issued in UTC, printed in the site's time."""


@pytest.fixture
def build() -> Iterator[Callable[..., KioskDevices]]:
    made: list[KioskDevices] = []

    def build_from(devices: str, **kwargs: object) -> KioskDevices:
        built = build_kiosk_devices(parse_config(devices, "test site.toml"),
                                    **kwargs)  # type: ignore[arg-type]
        made.append(built)
        return built

    yield build_from
    for devices in made:
        devices.close()
