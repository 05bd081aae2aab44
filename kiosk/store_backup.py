"""Backups of the site store, its migrations and a restore: what the package's maintainer
scripts run on an upgrade or a downgrade (docs/packaging.md), and what a technician runs
by hand (docs/cli.md, ``bianmin store backup|migrate|restore``).

A backup is a copy made with SQLite's online backup API (https://www.sqlite.org/backup.html):
consistent while the station writes, and never a half-copied WAL. It is a single file
(rollback journal, not WAL), mode 0600, named ``<label>-<UTC time>.sqlite``; the label is the
package version the store was written by. Backups hold the same encrypted records as the
store, no key: the site key is backed up on its own.

A restore writes a backup into the store through the same API, so a stale ``-wal`` can
never be replayed over it. The store it replaces is kept first as ``replaced-…`` with hard
links to its page files (``….blobs/``): the purge's orphan sweep may drop page files the
restored store does not know, and those links keep them for the replaced store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from offline_store import migrations
from offline_store.crypto import fsync_dir
from offline_store.db import SQLITE_HEADER, open_store
from offline_store.errors import StoreCorrupt, StoreMissing, StoreTooNew
from offline_store.health import header_schema_version
from offline_store.site import BLOB_DIR, STORE_FILE

BACKUP_DIR = "backups"
SUFFIX = ".sqlite"
REPLACED = "replaced-"  # set aside by a restore: never removed by the rotation
_LABEL_CHARS = re.compile(r"[^A-Za-z0-9.+~_-]")


def store_path(data_dir: Path) -> Path:
    return Path(data_dir) / STORE_FILE


def backup_name(label: str, now: dt.datetime) -> str:
    """``<label>-<yyyymmddThhmmssZ>.sqlite``; characters a version has not become ``_``."""
    safe = _LABEL_CHARS.sub("_", label) or "backup"
    return f"{safe}-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}{SUFFIX}"


def _existing_store(path: Path) -> Path:
    if not path.exists():
        raise StoreMissing(str(path))
    with path.open("rb") as f:
        if f.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise StoreCorrupt(f"{path} is not a site store")
    return path


def schema_version(path: Path) -> int:
    """``PRAGMA user_version`` through SQLite: the file's header alone misses a version
    still in the write-ahead log (a store whose last user did not close it cleanly)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _copy(source: Path, target: Path, busy_timeout_ms: int) -> None:
    """``source`` into the new file ``target`` (via a temp file, fsynced, mode 0600)."""
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=busy_timeout_ms / 1000)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dst.close()
    finally:
        src.close()
    with tmp.open("rb+") as f:
        os.fsync(f.fileno())
    tmp.replace(target)
    fsync_dir(target.parent)


def backups(directory: Path) -> list[Path]:
    """The backups in ``directory``, oldest first (by time of writing, then name)."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.glob(f"*{SUFFIX}") if p.is_file()]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def rotate(directory: Path, keep: int, spare: Path | None = None) -> list[Path]:
    """Remove the oldest backups beyond ``keep`` (0 keeps all); ``replaced-…`` ones stay."""
    if keep <= 0:
        return []
    rotating = [p for p in backups(directory) if not p.name.startswith(REPLACED)]
    removed = []
    for path in rotating[: max(0, len(rotating) - keep)]:
        if path == spare:
            continue
        path.unlink()
        removed.append(path)
    return removed


def backup(data_dir: Path, *, to: Path | None = None, label: str, keep: int = 5,
           busy_timeout_ms: int = 30_000, now: dt.datetime | None = None) -> dict[str, Any]:
    """Copy the store into ``to`` (default ``<data dir>/backups``), then rotate."""
    source = _existing_store(store_path(data_dir))
    directory = Path(to) if to else Path(data_dir) / BACKUP_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = backup_name(label, now or dt.datetime.now(dt.UTC))
    target, serial = directory / name, 1
    while target.exists():  # two backups in one second keep both
        target = directory / f"{name.removesuffix(SUFFIX)}.{serial}{SUFFIX}"
        serial += 1
    _copy(source, target, busy_timeout_ms)
    removed = rotate(directory, keep, spare=target)
    return {"path": str(target), "bytes": target.stat().st_size,
            "schema_version": header_schema_version(target),
            "removed": [str(p) for p in removed]}


def migrate(data_dir: Path, *, busy_timeout_ms: int = 30_000) -> dict[str, Any]:
    """Bring an existing store's schema up to date; never creates one, needs no key."""
    path = _existing_store(store_path(data_dir))
    before = schema_version(path)
    store = open_store(path, busy_timeout_ms=busy_timeout_ms, migrate=True)
    try:
        after = store.schema_version()
    finally:
        store.close()
    return {"path": str(path), "from_schema_version": before, "schema_version": after,
            "migrated": after != before}


def latest_readable(directory: Path) -> Path | None:
    """The newest backup (not a ``replaced-…`` one) whose schema this software knows."""
    readable = [p for p in backups(directory) if not p.name.startswith(REPLACED)
                and 0 < header_schema_version(p) <= migrations.latest()]
    return readable[-1] if readable else None


def _link_tree(source: Path, target: Path) -> int:
    """Hard-link every file under ``source`` into ``target`` (copy across file systems)."""
    count = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        dest = target / path.relative_to(source)
        dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            os.link(path, dest)
        except OSError:
            dest.write_bytes(path.read_bytes())
        count += 1
    return count


def restore(data_dir: Path, source: Path, *, label: str, busy_timeout_ms: int = 30_000,
            now: dt.datetime | None = None) -> dict[str, Any]:
    """Put the backup ``source`` in place of the store; the replaced store is kept first.

    Stop the station and the sync daemon first: a process that has the store open keeps
    reading what it cached.
    """
    source = Path(source)
    _existing_store(source)
    found = schema_version(source)
    if found > migrations.latest():
        raise StoreTooNew(f"{source}: schema {found}, this version knows up to "
                          f"{migrations.latest()}")
    with contextlib.closing(sqlite3.connect(source)) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        raise StoreCorrupt(f"{source}: {integrity}")
    data_dir = Path(data_dir)
    path = store_path(data_dir)
    set_aside = None
    if path.exists():
        kept = backup(data_dir, label=f"{REPLACED}{label}", keep=0,
                      busy_timeout_ms=busy_timeout_ms, now=now)
        set_aside = Path(kept["path"])
        blobs = data_dir / BLOB_DIR
        if blobs.is_dir():
            _link_tree(blobs, set_aside.with_suffix(".blobs"))
        src = sqlite3.connect(source, timeout=busy_timeout_ms / 1000)
        dst = sqlite3.connect(path, timeout=busy_timeout_ms / 1000)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        _copy(source, path, busy_timeout_ms)
    store = open_store(path, busy_timeout_ms=busy_timeout_ms, migrate=False)
    try:
        schema = store.schema_version()
    finally:
        store.close()
    return {"restored_from": str(source), "path": str(path), "schema_version": schema,
            "set_aside": str(set_aside) if set_aside else None}
