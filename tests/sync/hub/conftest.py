"""The hub's fixtures: a real hub on loopback on SQLite and on a real PostgreSQL server
(tests/sync/conftest.py starts it), with a clock the tests move."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.hub.server import RunningHub, running_hub
from tests.support.postgres import PostgresServer

from .support import JumpClock, Site, enrolled


@pytest.fixture(scope="session")
def hub_postgres_database(postgres_server: PostgresServer) -> Iterator[str]:
    """One PostgreSQL database for the hub tests of the session, emptied before each test
    (:func:`hub_db`): as fresh as a new database, without the cost of making one and its
    tables for every test. Tests that need a database of their own use ``postgres_url``."""
    with postgres_server.database() as url:
        yield url


def _emptied(url: str) -> str:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            # DELETE, not TRUNCATE: a few rows each, and TRUNCATE makes every table anew;
            # children before parents
            found = sa.MetaData()
            found.reflect(conn)
            for table in reversed(found.sorted_tables):
                conn.execute(table.delete())
    finally:
        engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_db(request: pytest.FixtureRequest) -> str | None:
    """The hub's database URL: None (SQLite under the data dir) or an empty PostgreSQL one."""
    if request.param == "sqlite":
        return None
    return _emptied(str(request.getfixturevalue("hub_postgres_database")))


@pytest.fixture
def hub_clock() -> JumpClock:
    return JumpClock()


@pytest.fixture
def hub(tmp_path: Path, hub_db: str | None, hub_clock: JumpClock) -> Iterator[RunningHub]:
    with running_hub(tmp_path / "hub", database_url=hub_db, clock=hub_clock) as running:
        yield running


@pytest.fixture
def site(hub: RunningHub, hub_clock: JumpClock) -> Iterator[Site]:
    made = enrolled(hub, "S01", hub_clock)
    yield made
    made.http.close()
