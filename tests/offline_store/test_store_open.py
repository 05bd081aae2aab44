"""Opening the store: pragmas, migrations, and the files it must refuse without harming them."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from offline_store import migrations, tickets
from offline_store.db import open_store
from offline_store.errors import StoreCorrupt, StoreMissing, StoreTooNew
from offline_store.site import STORE_FILE, Site, init_site


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_pragmas_are_the_durable_ones(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite", create=True, busy_timeout_ms=1234) as store:
        pragma = lambda name: store.conn.execute(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 1234
        assert pragma("secure_delete") == 1


def test_every_migration_is_applied_once(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with open_store(path, create=True) as store:
        assert store.schema_version() == migrations.latest() == max(migrations.MIGRATIONS)
        tables = set(store.db.table_names())
    assert {"settings", "data_keys", "audit_log", "outbox", "sync_cursors", "blobs",
            "catalogue_versions", "catalogue_items", "catalogue_bundles", "tickets",
            "queue_events", "cases", "case_materials", "case_pages", "receipt_counters",
            "ratings", "rectifications"} <= tables
    with open_store(path) as store:  # reopening applies nothing again
        assert store.schema_version() == migrations.latest()


def test_an_old_store_is_upgraded_step_by_step(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    conn = sqlite3.connect(path)
    migrations.MIGRATIONS[1](conn)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO settings VALUES ('kept', '1')")
    conn.commit()
    conn.close()
    with open_store(path) as store:
        assert store.schema_version() == migrations.latest()
        assert store.query("SELECT value FROM settings WHERE key = 'kept'") == [{"value": "1"}]


def test_a_failing_migration_rolls_back_alone(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    number = migrations.latest() + 1

    @migrations.migration(number)
    def _broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError):
            open_store(path, create=True)
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == number - 1
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            assert "half_done" not in names and "tickets" in names
    finally:
        del migrations.MIGRATIONS[number]


def test_missing_store_is_not_created_silently(tmp_path: Path) -> None:
    with pytest.raises(StoreMissing) as caught:
        open_store(tmp_path / "typo" / "store.sqlite")
    assert "bianmin store init" in str(caught.value)
    assert not (tmp_path / "typo").exists()


def test_store_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    open_store(path, create=True).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = _digest(path)
    with pytest.raises(StoreTooNew) as caught:
        open_store(path)
    assert "upgrade" in str(caught.value) and "升级" in str(caught.value)
    assert "99" in str(caught.value)
    assert _digest(path) == before


def test_a_file_that_is_not_a_store_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    path.write_bytes(b"PK\x03\x04 this is a zip file, copied here by mistake" * 100)
    before = _digest(path)
    with pytest.raises(StoreCorrupt) as caught:
        open_store(path, create=True)
    assert "损坏" in str(caught.value) and "damaged" in str(caught.value)
    assert _digest(path) == before


def test_a_damaged_page_is_refused_before_any_write(tmp_path: Path) -> None:
    data_dir = tmp_path / "site"
    site, _ = init_site(data_dir)
    for _ in range(300):
        tickets.issue(site, service_day="2026-11-24", category="A", channel="kiosk")
    site.store.checkpoint()
    site.close()
    path = data_dir / STORE_FILE
    size = path.stat().st_size
    assert size > 20 * 4096
    with path.open("r+b") as f:  # scribble over a page in the middle, as bad flash would
        f.seek((size // 4096 // 2) * 4096)
        f.write(os.urandom(4096))
    before = _digest(path)
    with pytest.raises(StoreCorrupt):
        Site.open(data_dir)
    assert _digest(path) == before


def test_write_rolls_back_on_error_and_does_not_nest(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite", create=True) as store:
        with pytest.raises(ValueError), store.write() as conn:
            conn.execute("INSERT INTO settings VALUES ('a', '1')")
            raise ValueError("the caller changed its mind")
        assert store.query("SELECT * FROM settings") == []
        with store.write(), pytest.raises(RuntimeError), store.write():
            pass
        assert not store.conn.in_transaction


def test_two_processes_opening_a_new_store_at_once_migrate_it_once(tmp_path: Path) -> None:
    """The station and the sync daemon start together on a fresh install. Before the WAL
    switch was retried, half of such races failed with "database is locked"."""
    for attempt in range(20):
        path = tmp_path / f"s{attempt}.sqlite"
        pids = []
        for _ in range(2):
            pid = os.fork()
            if pid == 0:
                try:
                    open_store(path, create=True).close()
                    os._exit(0)
                except BaseException:
                    os._exit(1)
            pids.append(pid)
        statuses = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
        assert statuses == [0, 0], f"attempt {attempt}"
        with open_store(path) as store:
            assert store.schema_version() == migrations.latest()
            assert store.check().ok
