"""The hall display's tests run without a screen (DESIGN.md §8): Qt's offscreen platform,
set before anything imports Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kiosk.qt_support import collect_between_tests  # noqa: F401  (autouse)

os.environ["QT_QPA_PLATFORM"] = "offscreen"

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "display"


@pytest.fixture(scope="session")
def qapp() -> Iterator[Any]:
    """The one QApplication of the test run, with the committed Chinese translation."""
    from kiosk.ui.display.app import application

    yield application()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS

