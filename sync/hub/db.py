"""The hub's database: SQLite for one county PC, PostgreSQL for several hubs behind a load
balancer, one code path (SQLAlchemy Core).

SQLite gets what the site store has (DESIGN.md §6, docs/store.md): WAL, ``synchronous=FULL``,
``busy_timeout``, and ``BEGIN IMMEDIATE`` for every write transaction, so a transaction that
reads and then writes never fails with "database is locked" half way; reads begin deferred.
pysqlite's own transaction handling is switched off so that SQLAlchemy's ``begin`` event can
emit the ``BEGIN`` (https://docs.sqlalchemy.org/en/20/dialects/sqlite.html, "Serializable
isolation / Savepoints / Transactional DDL").

PostgreSQL runs at READ COMMITTED through psycopg 3: a second hub inserting the same
``(site, op_id)`` waits on the unique index until the first commits, then fails and reads the
first one's answer. Before that, a batch takes its site's advisory lock
(:meth:`Database.lock_site`), so two hubs handed the same batch take turns instead of
deadlocking; a deadlock or a serialisation failure is retried (:meth:`Database.retry`).

Statements are logged and raised without their parameters (``hide_parameters``): payloads
carry personal data.
"""

from __future__ import annotations

import contextlib
import random
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from . import schema
from .staff import tables as _staff_tables  # noqa: F401  (on schema.metadata before create)

T = TypeVar("T")
_RETRYABLE_PG = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_BEGIN_OPTION = "bianmin_begin"


class DatabaseError(RuntimeError):
    """The database cannot be used; plain words (中文 / English), no connection string."""


class Database:
    """The engine and the two kinds of transaction the hub runs."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000):
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise DatabaseError(f"数据库地址无法识别 / the database URL is not one SQLAlchemy "
                                f"reads: {exc}") from None
        self.dialect = parsed.get_backend_name()
        self._put_statements: dict[tuple[Any, ...], Any] = {}
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(parsed, busy_timeout_ms)
        elif self.dialect == "postgresql":
            if parsed.get_driver_name() != "psycopg":
                parsed = parsed.set(drivername="postgresql+psycopg")
            self.engine = sa.create_engine(parsed, pool_pre_ping=True, hide_parameters=True,
                                           isolation_level="READ COMMITTED", pool_size=8,
                                           max_overflow=16)
        else:
            raise DatabaseError(f"不支持的数据库 / unsupported database {self.dialect!r}: "
                                f"use SQLite or PostgreSQL")

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextlib.contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite), committed when the block
        ends without an exception."""
        with self.engine.connect() as conn:
            conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """One read transaction: a consistent snapshot, no lock taken on SQLite."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def retry(self, work: Callable[[Connection], T], attempts: int = 5) -> T:
        """Run ``work`` in a write transaction, again from the start after a deadlock or a
        serialisation failure (PostgreSQL aborts the whole transaction then), after a short
        random pause so two hubs do not meet again in step."""
        for attempt in range(attempts):
            try:
                with self.write() as conn:
                    return work(conn)
            except sa.exc.OperationalError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if code not in _RETRYABLE_PG or attempt == attempts - 1:
                    raise
            time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311
        raise AssertionError("unreachable")

    def lock_site(self, conn: Connection, site: str) -> None:
        """Take the site's lock until the transaction ends (PostgreSQL; SQLite's write lock
        already covers the whole database). Two hubs handed the same batch then take turns
        instead of deadlocking on each other's uncommitted ops in a different order."""
        if self.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(84802, hashtext(:site))"),
                         {"site": site})

    def create(self) -> None:
        """Create the tables and the stream epoch once (several hubs starting together on
        one PostgreSQL take an advisory lock, so only one creates them)."""
        with self.write() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(84801)"))
            schema.metadata.create_all(conn)
            found = dict(conn.execute(sa.select(schema.meta.c.key, schema.meta.c.value)).all())
            version = int(found.get("schema_version", schema.SCHEMA_VERSION))
            if version > schema.SCHEMA_VERSION:
                raise DatabaseError(
                    f"数据库比本软件新 / the database is newer than this software (schema "
                    f"{version}, this software knows {schema.SCHEMA_VERSION})")
            for key, value in (("schema_version", str(schema.SCHEMA_VERSION)),
                               ("handle", secrets.token_hex(8))):
                if key not in found:
                    conn.execute(sa.insert(schema.meta).values(key=key, value=value))

    def dispose(self) -> None:
        self.engine.dispose()

    def upsert(self, table: sa.Table, values: dict[str, Any], keys: list[str],
               update: dict[str, Any] | None = None) -> Any:
        """``INSERT ... ON CONFLICT (keys) DO UPDATE SET update`` (DO NOTHING when
        ``update`` is empty), for either database."""
        insert = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)
        stmt = insert.values(**values)
        if update:
            return stmt.on_conflict_do_update(index_elements=keys, set_=update)
        return stmt.on_conflict_do_nothing(index_elements=keys)

    def put(self, conn: Connection, table: sa.Table, row: dict[str, Any], keys: list[str],
            update: list[str] | tuple[str, ...] = ()) -> None:
        """Insert ``row``, or on a conflict over ``keys`` set the ``update`` columns to the
        row's values (nothing when empty). Unlike :meth:`upsert`, the statement is built once
        per shape and the values are bound, so SQLAlchemy's compiled cache serves every later
        row: building a statement around literal values cost a millisecond an op."""
        shape = (table.name, tuple(sorted(row)), tuple(keys), tuple(sorted(update)))
        stmt = self._put_statements.get(shape)
        if stmt is None:
            insert = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)
            stmt = insert.on_conflict_do_update(
                index_elements=keys, set_={c: insert.excluded[c] for c in update},
            ) if update else insert.on_conflict_do_nothing(index_elements=keys)
            self._put_statements[shape] = stmt
        conn.execute(stmt, row)

    def next_value(self, conn: Connection, name: str) -> int:
        """The next value of a counter, taken under its row lock until the transaction ends
        (county-wide: several hubs on one PostgreSQL never hand out the same value)."""
        stmt = self.upsert(schema.counters, {"name": name, "value": 1}, ["name"],
                           {"value": schema.counters.c.value + 1})
        return int(conn.execute(stmt.returning(schema.counters.c.value)).scalar_one())


def _sqlite_engine(url: sa.URL, busy_timeout_ms: int) -> Engine:
    # hide_parameters: a failed statement's message must not carry a payload's personal data
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000,
                                                 "check_same_thread": False},
                              hide_parameters=True, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi: sqlite3.Connection, _record: Any) -> None:
        dbapi.isolation_level = None  # we emit BEGIN ourselves (below)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                       f"busy_timeout={int(busy_timeout_ms)}"):
            dbapi.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {'IMMEDIATE' if mode == 'IMMEDIATE' else 'DEFERRED'}")

    return engine
