"""Opening the site store: one SQLite file shared by the station and the sync daemon.

Rules from ../shared/research/sync.md §2 and https://www.sqlite.org/wal.html:

- WAL journal with ``synchronous=FULL``: a commit that returned survives a power cut, which is
  what lets a screen say "受理成功".
- Every write transaction starts with ``BEGIN IMMEDIATE``. A deferred ``BEGIN`` (what
  sqlite-utils' ``atomic()`` issues) that reads and then writes fails at once with "database
  is locked" when the other process committed in between; the busy handler cannot help a
  stale snapshot. ``BEGIN IMMEDIATE`` takes the write lock first and waits for it.
- Python's sqlite3 module is put in autocommit mode (``isolation_level=None``) so that it
  never opens or commits a transaction behind our back; sqlite-utils calls made inside
  :meth:`Store.write` join the transaction through savepoints.
- A file that is not a store, a damaged store, or a store newer than this code is never
  opened for writing and never recreated: it is left exactly as found, with a plain error.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from . import migrations
from .errors import (
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StoreIOError,
    StoreMissing,
    StoreTooNew,
    translate,
)

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    schema_version: int
    integrity: str


class Store:
    """An open store. Use :meth:`write` for every change and :meth:`query` for reads.

    One thread at a time: a transaction belongs to the connection, so a service with several
    threads gives each its own Store or funnels writes through one writer (as the station
    will). ``check_same_thread`` is off only so that the owner may be a worker thread.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, busy_timeout_ms: int):
        self.path = path
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.busy_timeout_ms = busy_timeout_ms

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``); rolled back on error.

        When the block returns, the commit is durable. SQLite errors leave as plain
        :class:`StoreError` subclasses (disk full, busy, damaged) with the cause attached.
        """
        if self.conn.in_transaction:
            raise RuntimeError("Store.write() does not nest: the outer transaction owns the lock")
        self._begin_immediate()
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                plain = translate(exc)
                if plain is not None:
                    raise plain from exc
            raise

    def _begin_immediate(self) -> None:
        # Poll for the write lock in short, jittered steps instead of SQLite's busy handler:
        # its sleeps grow to 100 ms, and a process that commits in a tight loop (the sync
        # daemon draining the outbox) then starves the other one (a kiosk issuing a ticket)
        # for hundreds of milliseconds per write. Measured in test_two_processes.py.
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        self.conn.execute("PRAGMA busy_timeout = 0")
        try:
            while True:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    plain = translate(exc)
                    if not isinstance(plain, StoreBusy):
                        raise (plain or exc) from exc
                    if time.monotonic() >= deadline:
                        raise plain from exc
                    time.sleep(random.uniform(0.0002, 0.002))  # noqa: S311 (jitter, not a secret)
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts, with SQLite errors made plain."""
        try:
            return list(self.db.query(sql, params))
        except sqlite3.Error as exc:
            raise (translate(exc) or exc) from exc

    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def check(self, full: bool = True) -> CheckResult:
        """``integrity_check`` (or the faster ``quick_check``) and the schema version."""
        pragma = "integrity_check" if full else "quick_check"
        try:
            rows = [r[0] for r in self.conn.execute(f"PRAGMA {pragma}(20)")]
        except sqlite3.DatabaseError as exc:
            return CheckResult(False, self.schema_version(), str(translate(exc) or exc))
        integrity = "ok" if rows == ["ok"] else "; ".join(rows)
        return CheckResult(integrity == "ok", self.schema_version(), integrity)

    def checkpoint(self) -> None:
        """Move the WAL into the main file and truncate it (after crypto-shredding, so the
        destroyed key's bytes do not linger in the WAL)."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(
    path: Path,
    *,
    create: bool = False,
    busy_timeout_ms: int = 30_000,
    check: bool = True,
    migrate: bool = True,
) -> Store:
    """Open (and migrate) the store at ``path``.

    :param create: make a new store when the file does not exist; otherwise a missing file
        is :class:`StoreMissing` (a typo in ``--data-dir`` must not start an empty site).
    :param check: run ``quick_check`` first, so a damaged file is refused before any write.
    :param migrate: apply pending migrations (off for read-only inspection).
    """
    path = Path(path)
    if path.exists():
        _refuse_foreign_file(path)
    elif not create:
        raise StoreMissing(str(path))
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise (translate(exc) or StoreIOError(str(exc))) from exc
    try:
        store = Store(path, conn, busy_timeout_ms)
        _configure(conn, busy_timeout_ms)
        if check:
            result = store.check(full=False)
            if not result.ok:
                raise StoreCorrupt(result.integrity)
        if migrate:
            _migrate(store)
        elif store.schema_version() > migrations.latest():
            raise StoreTooNew(f"store schema {store.schema_version()}, "
                              f"this version knows up to {migrations.latest()}")
        return store
    except BaseException:
        conn.close()
        raise


def _refuse_foreign_file(path: Path) -> None:
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreIOError(f"{path}: {exc.strerror}") from exc
    # An empty file is what a crash between create and first write leaves: SQLite
    # initialises it. Anything else must carry the SQLite header.
    if header and header != SQLITE_HEADER:
        raise StoreCorrupt(f"{path} is not an SQLite database")


def _configure(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        mode = _enable_wal(conn, busy_timeout_ms)
        if mode != "wal":
            raise StoreIOError(f"journal_mode is {mode!r}, WAL could not be enabled")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        # Deleted rows (a shredded key) are overwritten with zeros, not left in free pages.
        conn.execute("PRAGMA secure_delete = ON")
    except sqlite3.Error as exc:
        raise (translate(exc) or exc) from exc


def _enable_wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> str:
    """Switch a new file to WAL (the mode is persistent, later opens find it set).

    Two processes creating the store at once: the switch needs an exclusive lock, and SQLite
    answers SQLITE_BUSY at once, without its busy handler, to the one that loses the race
    (measured: half of 200 simultaneous first opens). So retry until the timeout.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if not isinstance(translate(exc), StoreBusy) or time.monotonic() >= deadline:
                raise
            time.sleep(random.uniform(0.001, 0.01))  # noqa: S311 (jitter, not a secret)


def _migrate(store: Store) -> None:
    latest = migrations.latest()
    found = store.schema_version()
    if found > latest:
        raise StoreTooNew(f"store schema {found}, this version knows up to {latest}")
    for number in range(found + 1, latest + 1):
        with store.write() as conn:
            # Another process may have migrated while we waited for the lock.
            if store.schema_version() >= number:
                continue
            migrations.MIGRATIONS[number](conn)
            conn.execute(f"PRAGMA user_version = {number}")


__all__ = ["CheckResult", "Store", "StoreError", "open_store"]
