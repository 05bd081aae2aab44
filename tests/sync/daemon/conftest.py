"""The daemon's fixtures: the real hub (``sync.hub.server.running_hub``, SQLite) whose clock
follows the site's test clock, and a site enrolled with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_store.clock import FixedClock
from offline_store.site import Site
from sync.daemon import SyncSettings, enrol
from sync.hub.server import RunningHub, running_hub

SITE = "S01"


class HubClock:
    """The hub's clock: the site's test clock plus a skew a test may set (a site that booted
    in 1970 has the hub decades ahead of it)."""

    def __init__(self, site_clock: FixedClock):
        self.site_clock = site_clock
        self.skew = 0.0

    def __call__(self) -> float:
        return self.site_clock.now().timestamp() + self.skew


@pytest.fixture
def hub_clock(clock: FixedClock) -> HubClock:
    return HubClock(clock)


@pytest.fixture
def hub(tmp_path: Path, hub_clock: HubClock) -> Iterator[RunningHub]:
    with running_hub(tmp_path / "hub", clock=hub_clock) as running:
        yield running


@pytest.fixture
def settings() -> SyncSettings:
    return SyncSettings(site_code=SITE, health_port=0, chunk_kib=64)


@pytest.fixture
def enrolled(site: Site, hub: RunningHub, settings: SyncSettings) -> Site:
    enrol(site, hub.url, hub.admin.enrol_code(SITE)["code"], settings=settings)
    return site
