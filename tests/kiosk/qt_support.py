"""What every Qt screen's tests share (imported into their conftest files)."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator

import pytest


@pytest.fixture(autouse=True)
def collect_between_tests() -> Iterator[None]:
    """Python's cycle collector runs only between tests, never inside Qt's event processing:
    collecting a Qt object from an earlier test while Qt dispatches events crashed the
    process ("Garbage-collecting" in the fault trace)."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def pump(predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Run Qt's events until ``predicate`` holds (the screen changes on the GUI thread)."""
    from kiosk.ui.qt import QtWidgets

    app = QtWidgets.QApplication.instance()
    assert app is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if predicate():
            return True
        time.sleep(0.01)
    app.processEvents()
    return predicate()
