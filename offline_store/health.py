"""A site store's health, for ``bianmin store check``, the sync heartbeat and support bundles.

Read-only: it neither migrates nor repairs. Every figure is about the store, never about a
person.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from . import migrations, outbox
from .db import SQLITE_HEADER, open_store
from .errors import StoreError
from .site import STORE_FILE, Site


def header_schema_version(path: Path) -> int:
    """``user_version`` straight from the 100-byte database header (offset 60, big-endian),
    readable even when the rest of the file is damaged; 0 when it is not a store."""
    try:
        with path.open("rb") as f:
            header = f.read(100)
    except OSError:
        return 0
    if len(header) < 64 or not header.startswith(SQLITE_HEADER):
        return 0
    return int.from_bytes(header[60:64], "big")


def check_site(
    data_dir: Path,
    *,
    cipher: str,
    key_file: Path | None,
    credential_name: str,
    busy_timeout_ms: int,
    clock: Any,
) -> dict[str, Any]:
    """``{"ok", "schema_version", "integrity", ...}``; ``ok`` only when everything is."""
    path = Path(data_dir) / STORE_FILE
    report: dict[str, Any] = {
        "ok": False,
        "schema_version": header_schema_version(path),
        "code_schema_version": migrations.latest(),
        "integrity": "not checked",
        "path": str(path),
        "problems": [],
    }
    problems: list[str] = report["problems"]
    try:
        store = open_store(path, busy_timeout_ms=busy_timeout_ms, check=False, migrate=False)
    except StoreError as exc:
        report["integrity"] = str(exc)
        problems.append(str(exc))
        return report
    try:
        result = store.check(full=True)
        report["schema_version"] = result.schema_version
        report["integrity"] = result.integrity
        if not result.ok:
            problems.append(f"integrity_check: {result.integrity}")
            return report
        if result.schema_version < migrations.latest():
            problems.append(
                f"schema {result.schema_version} is older than {migrations.latest()}: "
                "it is upgraded the next time the station opens it"
            )
        report["bytes"] = path.stat().st_size
        wal = path.with_name(path.name + "-wal")
        report["wal_bytes"] = wal.stat().st_size if wal.exists() else 0
    finally:
        store.close()
    if problems:
        return report
    try:
        site = Site.open(data_dir, cipher=cipher, key_file=key_file,
                         credential_name=credential_name, busy_timeout_ms=busy_timeout_ms,
                         clock=clock, check=False)
    except StoreError as exc:
        report["site_key"] = str(exc)
        problems.append(str(exc))
        return report
    with site:
        report["site_key"] = "ok"
        report["cipher"] = site.keys.cipher
        report["outbox"] = outbox.stats(site.store, clock)
        report["blobs"] = site.blob_stats()
        for kind in ("missing", "corrupt"):
            if report["blobs"][kind]:
                problems.append(f"{report['blobs'][kind]} material file(s) {kind}")
        report["records"] = {
            table: site.store.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]  # noqa: S608
            for table in ("tickets", "cases", "ratings", "audit_log")
        }
        try:
            row = site.store.query(
                "SELECT version, sample, loaded_at FROM catalogue_versions WHERE is_current = 1")
        except sqlite3.Error:
            row = []
        report["catalogue"] = (
            {"version": row[0]["version"], "sample": bool(row[0]["sample"]),
             "loaded_at": row[0]["loaded_at"]} if row else None
        )
    report["ok"] = not problems
    return report


__all__ = ["check_site", "header_schema_version"]
