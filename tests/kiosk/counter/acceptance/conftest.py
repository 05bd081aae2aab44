"""The acceptance page's tests: offscreen Qt (set before anything imports Qt), Python's cycle
collector held off while Qt dispatches events, and a station on loopback with the sample
catalogue and a clerk signed in at window 1 (tests/kiosk/station/case_station.py)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts" / "counter"


@pytest.fixture(scope="session")
def qapp() -> Iterator[Any]:
    """The one QApplication of the test run, with the committed Chinese translation."""
    from kiosk.ui.i18n import install_translator
    from kiosk.ui.qt import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(["test"])
        install_translator(app)
    yield app


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def collect_between_tests() -> Iterator[None]:
    """Python's cycle collector runs only between tests, never inside Qt's event processing:
    collecting a Qt object from an earlier test while Qt dispatches events crashed the
    process ("Garbage-collecting" in the fault trace; tests/kiosk/display/conftest.py)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()

