"""The PostgreSQL test set-up (tests/support/postgres.py): a real server, a database of its
own for each test, found where Debian installs it and a plain error when it is not."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from tests.support.postgres import (
    PostgresServer,
    PostgresUnavailable,
    find_bindir,
    running_postgres,
    start_postgres,
)

INSTALL_HINT = re.escape("`sh packaging/system-deps.sh`")


@pytest.fixture
def loopback_dir() -> Iterator[Path]:
    """A directory name under /tmp, not yet made: pytest's tmp_path is closed to the postgres
    user the server runs as."""
    parent = Path(tempfile.mkdtemp(prefix="bianmin-pg-test-"))
    parent.chmod(0o755)
    yield parent / "cluster"
    shutil.rmtree(parent, ignore_errors=True)


def scalar(url: str, query: str) -> object:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query)).scalar()
    finally:
        engine.dispose()


def test_the_server_runs_on_loopback_without_durability(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    name = postgres_url.rsplit("/", 1)[1]
    assert name.startswith("t_") and len(name) == 34
    assert scalar(postgres_url, "SELECT current_database()") == name
    assert str(scalar(postgres_url, "SHOW server_version")).startswith(
        find_bindir().parent.name)
    assert scalar(postgres_url, "SHOW fsync") == "off"
    assert scalar(postgres_url, "SHOW listen_addresses") == "127.0.0.1"
    assert scalar(postgres_url, "SHOW server_encoding") == "UTF8"


def test_each_database_is_its_own(postgres_url: str, postgres_server: PostgresServer) -> None:
    with postgres_server.database() as other_url:
        assert other_url != postgres_url
        engine = sa.create_engine(postgres_url)
        other = sa.create_engine(other_url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE ops (op_id text PRIMARY KEY)"))
                conn.execute(sa.text("INSERT INTO ops VALUES ('a')"))
            assert sa.inspect(engine).has_table("ops")
            assert not sa.inspect(other).has_table("ops")
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM ops")).scalar() == 1
        finally:
            engine.dispose()
            other.dispose()


def test_a_database_is_dropped_afterwards_even_with_a_connection_open(
        postgres_server: PostgresServer) -> None:
    with postgres_server.database() as url:
        name = url.rsplit("/", 1)[1]
        held = postgres_server.connect(name)  # left open on purpose: FORCE ends it
    with postgres_server.connect() as conn:
        rows = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall()
    assert rows == []
    with pytest.raises(psycopg.OperationalError):
        held.execute("SELECT 1")
    held.close()


def test_start_postgres_outside_pytest_with_fsync_on_and_cleans_up(loopback_dir: Path) -> None:
    with start_postgres(loopback_dir, fsync=True) as url:
        assert scalar(url, "SHOW fsync") == "on"
        assert scalar(url, "SHOW synchronous_commit") == "on"
        assert scalar(url, "SELECT current_database()") == "postgres"
        port = sa.make_url(url).port
    assert not loopback_dir.exists()  # it made the directory, so it took it away
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", connect_timeout=2)


def test_a_server_that_does_not_start_shows_its_log_and_leaves_the_directory_as_given(
        loopback_dir: Path) -> None:
    loopback_dir.mkdir()
    (loopback_dir / "notes.txt").write_text("the caller's")
    with pytest.raises(PostgresUnavailable) as refused, \
            running_postgres(loopback_dir, settings={"no_such_setting": "1"}):
        pass
    message = str(refused.value)
    assert "did not start" in message
    assert 'unrecognized configuration parameter "no_such_setting"' in message
    # initdb had made a cluster there: it is gone, the caller's file is not
    assert sorted(p.name for p in loopback_dir.iterdir()) == ["notes.txt"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to another user")
def test_as_root_a_directory_the_postgres_user_cannot_reach_is_named(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    with pytest.raises(PostgresUnavailable, match="cannot reach"), \
            running_postgres(closed / "cluster"):
        pass


def test_a_missing_postgresql_says_how_to_install_it(tmp_path: Path) -> None:
    (tmp_path / "15" / "bin").mkdir(parents=True)  # a leftover without the programs
    with pytest.raises(PostgresUnavailable, match=INSTALL_HINT):
        find_bindir(tmp_path)
    with pytest.raises(PostgresUnavailable, match=INSTALL_HINT):
        find_bindir(tmp_path / "absent")


def test_the_newest_version_is_chosen(tmp_path: Path) -> None:
    for version in ("9", "13", "16"):
        bindir = tmp_path / version / "bin"
        bindir.mkdir(parents=True)
        (bindir / "initdb").touch()
        (bindir / "postgres").touch()
    (tmp_path / "17" / "bin").mkdir(parents=True)  # no programs: not a candidate
    assert find_bindir(tmp_path) == tmp_path / "16" / "bin"


def test_a_directory_with_a_cluster_in_it_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "PG_VERSION").write_text("15\n")
    with pytest.raises(PostgresUnavailable, match="empty directory"), \
            running_postgres(tmp_path):
        pass
    assert (tmp_path / "data" / "PG_VERSION").read_text() == "15\n"


def test_without_postgresql_the_fixture_fails_the_test_rather_than_skip_it(
        tmp_path: Path) -> None:
    """Run in a pytest of its own, with PostgreSQL looked for in an empty directory."""
    (tmp_path / "conftest.py").write_text(
        "from pathlib import Path\n"
        "import tests.support.postgres as pg\n"
        f"pg.PG_ROOT = Path({str(tmp_path / 'none')!r})\n"
        "from tests.sync.conftest import postgres_server, postgres_url\n")
    (tmp_path / "test_needs_pg.py").write_text(
        "def test_needs_pg(postgres_url):\n    assert postgres_url\n")
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True,
        text=True, timeout=120, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 error" in run.stdout and "skipped" not in run.stdout
    assert "`sh packaging/system-deps.sh`" in run.stdout
