"""The counter screen's tests run without a screen (DESIGN.md §8): Qt's offscreen platform,
set before anything imports Qt. A real station on loopback where a test needs one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.kiosk.qt_support import (
    collect_between_tests,  # noqa: F401  (autouse)
    pump,  # noqa: F401  (the counter tests import it from here)
)

os.environ["QT_QPA_PLATFORM"] = "offscreen"

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "counter"


@pytest.fixture(scope="session")
def qapp() -> Iterator[Any]:
    """The one QApplication of the test run, with the committed Chinese translation."""
    from kiosk.ui.counter.app import application

    yield application()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS



@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A real station on loopback with a token per role and two clerks (one a manager)."""
    from kiosk.client.http import StationClient
    from kiosk.config import SiteConfig
    from kiosk.station import auth
    from kiosk.station.server import start_background

    running = start_background(tmp_path_factory.mktemp("counter"), SiteConfig())

    def pair(role: str) -> str:
        return running.station.writer.submit(auth.pair, running.station.site, role
                                             ).result().token

    tokens = {role: pair(role) for role in auth.ROLES}
    with StationClient(running.url, tokens["manager"]) as manager:
        manager.add_clerk("zhang01", "张芳", "493817")
        manager.add_clerk("wang", "王站长", "Wang-zhanzhang-2026", manager=True)
    yield SimpleNamespace(url=running.url, tokens=tokens, running=running,
                          client=lambda role: StationClient(running.url, tokens[role]))
    running.stop()


@pytest.fixture
def closing() -> Iterator[list[Any]]:
    """Things to stop after the test (a counter app's window is closed and deleted too)."""
    things: list[Any] = []
    yield things
    for thing in reversed(things):
        thing.stop()
        window = getattr(thing, "window", None)
        if window is not None and hasattr(window, "deleteLater"):
            window.close()
            window.deleteLater()
    from kiosk.ui.qt import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is not None:
        app.processEvents()
