"""Fixtures of the sync tests: a real PostgreSQL server on loopback for the whole session
(tests/support/postgres.py) and a fresh database of it for each test."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, PostgresUnavailable, running_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server for the session. A missing PostgreSQL fails the tests that need it, with
    what to install: the hub must be tested against it, so it is never skipped."""
    # under the system temporary directory: pytest's own is closed to the postgres user
    directory = Path(tempfile.mkdtemp(prefix="bianmin-pg-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, directory, ignore_errors=True)
        try:
            server = stack.enter_context(running_postgres(directory))
        except PostgresUnavailable as exc:
            failure = str(exc)
        else:
            failure = ""
        if failure:  # outside the except: the message alone, not twice with a chain
            pytest.fail(failure, pytrace=False)
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A SQLAlchemy URL (``postgresql+psycopg://postgres@127.0.0.1:PORT/t_<uuid>``) of a
    database made for this test and dropped after it, open connections or not."""
    with postgres_server.database() as url:
        yield url
