"""The staff pages' fixtures: a real hub on loopback (SQLite under the test's directory) with a
clock the tests move, a site enrolled at it that signs its requests, and browsers: one without
a session, one signed in through a session made directly (the login tests sign in for real)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync.hub.server import RunningHub, running_hub
from sync.hub.staff import sessions
from tests.sync.hub.support import JumpClock, Site, enrolled

from .support import Browser


@pytest.fixture
def clock() -> JumpClock:
    return JumpClock()


@pytest.fixture
def hub(tmp_path: Path, clock: JumpClock) -> Iterator[RunningHub]:
    with running_hub(tmp_path / "hub", clock=clock) as running:
        yield running


@pytest.fixture
def site(hub: RunningHub, clock: JumpClock) -> Iterator[Site]:
    made = enrolled(hub, "S01", clock)
    yield made
    made.http.close()


@pytest.fixture
def anonymous(hub: RunningHub) -> Iterator[Browser]:
    with httpx.Client(base_url=hub.url, timeout=30, follow_redirects=False) as http:
        yield Browser(http)


@pytest.fixture
def staff(hub: RunningHub, clock: JumpClock) -> Iterator[Browser]:
    """A browser signed in as ``li`` (the session made as a sign-in would make it)."""
    session = sessions.start(hub.hub.db, "li", clock())
    with httpx.Client(base_url=hub.url, timeout=30, follow_redirects=False) as http:
        http.cookies.set("bm_staff", session.token, path="/staff")
        yield Browser(http)
