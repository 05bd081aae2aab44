"""Shared fixtures. Real parts only: a real SQLite file in a temporary folder, real files,
real child processes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_store.clock import FixedClock
from offline_store.site import Site, init_site


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak", action="store_true", default=False,
        help="run the long fault loops (10 000 crash iterations) instead of the CI-sized ones",
    )
    parser.addoption(
        "--crash-iterations", type=int, default=None,
        help="kill -9 iterations of the store crash loop (default 200, 10000 with --soak)",
    )


@pytest.fixture
def soak(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--soak"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC))


@pytest.fixture
def site(tmp_path: Path, clock: FixedClock) -> Iterator[Site]:
    opened, _ = init_site(tmp_path / "site", clock=clock)
    yield opened
    opened.close()
