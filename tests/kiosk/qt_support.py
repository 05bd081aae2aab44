"""What every Qt screen's tests share (imported into their conftest files)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

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
