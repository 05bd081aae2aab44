"""Counter devices built from a site configuration whose ports are the simulators'
``sim://`` URLs (as ``bianmin demo`` writes them, kiosk/cli.py DEMO_DEVICES), closed after
each test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from kiosk.config import SiteConfig
from kiosk.config.loader import parse_config
from kiosk.counter_devices import build_counter_devices
from kiosk.counter_ports import CounterDevices, Missing, ReceiptFacts


def site_config(devices: str) -> SiteConfig:
    """A site configuration with these ``[devices.*]`` tables (TOML)."""
    return parse_config(devices, "test site.toml")


@pytest.fixture
def build() -> Iterator[Callable[..., CounterDevices]]:
    made: list[CounterDevices] = []

    def build_from(devices: str, **kwargs: object) -> CounterDevices:
        built = build_counter_devices(site_config(devices), **kwargs)  # type: ignore[arg-type]
        made.append(built)
        return built

    yield build_from
    for devices in made:
        devices.close()


FACTS = ReceiptFacts(
    site_name="青山镇便民服务中心", receipt_no="QS-20261124-0007",
    accepted_at=dt.datetime(2026, 11, 24, 2, 5, tzinfo=dt.UTC),  # 10:05 in Shanghai
    applicant_name="王小明", applicant_id_number="110101199003071234",
    items=["出生医学证明办理", "新生儿户口登记"], received=["居民身份证", "结婚证"],
    missing=[Missing("户口簿", "2026-12-01"),
             Missing("父母双方身份证复印件", None, "复印在同一页")],
    promised=dt.date(2026, 12, 3), window="3", clerk="王芳",
    query_url="https://example.invalid/q/QS-20261124-0007")
"""A case with one 容缺 material (due 2026-12-01) and one not accepted without it."""
