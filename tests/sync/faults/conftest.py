"""Fixtures of the fault suite: the rig of :mod:`.rig`, with a fresh hub and proxy per test,
the hub on SQLite (``rig``) or on a real PostgreSQL server (``pg_rig``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_store.clock import FixedClock
from offline_store.site import init_site
from sync.daemon import SyncSettings, enrol
from sync.hub.server import running_hub
from tests.support.faultproxy import FaultProxy

from .rig import CHUNK_KIB, SITE, HubClock, Rig, day_start


@contextlib.contextmanager
def _rig(tmp_path: Path, database_url: str | None = None) -> Iterator[Rig]:
    clock = FixedClock(day_start())
    site, _ = init_site(tmp_path / "site", clock=clock)
    settings = SyncSettings(site_code=SITE, health_port=0, chunk_kib=CHUNK_KIB,
                            read_timeout_s=5, connect_timeout_s=2)
    try:
        with running_hub(tmp_path / "hub", clock=HubClock(clock),
                         database_url=database_url) as hub, \
                FaultProxy("127.0.0.1", hub.port) as proxy:
            enrol(site, proxy.url, hub.admin.enrol_code(SITE)["code"], settings=settings)
            yield Rig(site, clock, hub, proxy, settings)
    finally:
        site.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with _rig(tmp_path) as made:
        yield made


@pytest.fixture
def pg_rig(tmp_path: Path, postgres_url: str) -> Iterator[Rig]:
    with _rig(tmp_path, postgres_url) as made:
        yield made
