"""The kiosk screen's tests run without a screen (DESIGN.md §8): Qt's offscreen platform,
set before anything imports Qt, and a real station on loopback with the sample catalogue."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.kiosk.qt_support import collect_between_tests  # noqa: F401  (autouse)

os.environ["QT_QPA_PLATFORM"] = "offscreen"

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "kiosk"


@pytest.fixture(scope="session")
def qapp() -> Iterator[Any]:
    from kiosk.ui.kiosk.app import application

    yield application()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A real station on loopback with the sample catalogue and a token per role."""
    from kiosk import catalogue_loader
    from kiosk.client.http import StationClient
    from kiosk.config import SiteConfig
    from kiosk.station import auth
    from kiosk.station.server import start_background

    running = start_background(tmp_path_factory.mktemp("kiosk"), SiteConfig())
    site = running.station.site
    parsed, source = catalogue_loader.read_file(None)
    running.station.writer.submit(catalogue_loader.save, site, parsed, source).result()

    def pair(role: str) -> str:
        return running.station.writer.submit(auth.pair, site, role).result().token

    tokens = {role: pair(role) for role in auth.ROLES}
    yield SimpleNamespace(url=running.url, tokens=tokens, running=running, site=site,
                          client=lambda role: StationClient(running.url, tokens[role]))
    running.stop()


@pytest.fixture
def kiosk(qapp: Any, station: SimpleNamespace) -> Iterator[Any]:
    """A kiosk app with fake devices against the station (not locked, polled by hand)."""
    from kiosk.ui.kiosk.app import KioskApp

    from .fakes import devices

    made = KioskApp(station.url, station.tokens["kiosk"], devices=devices(),
                    site_name="演示乡便民服务中心", locked=False, poll=False)
    made.window.resize(1080, 1920)
    made.window.show()
    made.start()
    yield made
    made.stop()
    made.window.quitting = True
    made.window.close()
    made.window.deleteLater()
    qapp.processEvents()
