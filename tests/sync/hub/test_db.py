"""The hub's database on SQLite: the site store's durability rules (WAL, synchronous=FULL,
BEGIN IMMEDIATE for writes), and refusals of databases it cannot use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.hub import schema
from sync.hub.db import Database, DatabaseError
from sync.hub.runtime import Hub


def test_sqlite_is_opened_as_the_site_store_is(tmp_path: Path) -> None:
    hub = Hub.open(tmp_path)
    try:
        with hub.db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        other = sqlite3.connect(tmp_path / "hub.sqlite", timeout=0)
        # the write lock is taken at BEGIN, before anything is written
        with hub.db.write(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        with hub.db.read():
            other.execute("BEGIN IMMEDIATE")  # a reader takes no lock
            other.rollback()
        other.close()
    finally:
        hub.close()


def test_a_database_newer_than_the_software_is_refused(tmp_path: Path) -> None:
    Hub.open(tmp_path).close()
    db = Database(f"sqlite:///{tmp_path / 'hub.sqlite'}")
    with db.write() as conn:
        conn.execute(sa.update(schema.meta).where(schema.meta.c.key == "schema_version")
                     .values(value=str(schema.SCHEMA_VERSION + 1)))
    db.dispose()
    with pytest.raises(DatabaseError, match="newer"):
        Hub.open(tmp_path)


def test_databases_the_hub_does_not_speak_are_refused() -> None:
    with pytest.raises(DatabaseError, match="unsupported"):
        Database("mysql://county/hub")
    with pytest.raises(DatabaseError):
        Database("not a url")


def test_the_stream_handle_is_made_once(tmp_path: Path) -> None:
    handles = []
    for _ in range(2):
        hub = Hub.open(tmp_path)
        with hub.db.read() as conn:
            handles.append(conn.execute(sa.select(schema.meta.c.value).where(
                schema.meta.c.key == "handle")).scalar_one())
        hub.close()
    assert handles[0] == handles[1] and len(handles[0]) == 16
