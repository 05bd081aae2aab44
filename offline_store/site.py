"""A site's data directory: the store, its blob files and its key, opened together.

Layout of the data directory (mode 0700)::

    store.sqlite (+ -wal, -shm)   the SQLite store
    blobs/                        encrypted scans and photos, content-addressed
    site.key                      the site key (0600), unless a systemd credential holds it

The site key never leaves this machine in clear, and it is never recreated for an existing
store: a lost key means the personal data in the store is gone, which is exactly what an
attacker with the disk but not the key should face.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import audit
from .blobs import BlobStore
from .clock import Clock, SystemClock, iso
from .crypto import AES_256_GCM, SM4_GCM, DataKey, KeyRing, create_site_key, load_site_key
from .db import Store, open_store
from .errors import SiteKeyMissing, StoreError
from .ids import new_id

STORE_FILE = "store.sqlite"
BLOB_DIR = "blobs"
KEY_FILE = "site.key"


@dataclass
class Site:
    """The open store, blob files and key ring of one site."""

    data_dir: Path
    store: Store
    blobs: BlobStore
    keys: KeyRing
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        cipher: str = AES_256_GCM,
        key_file: Path | None = None,
        credential_name: str = "bianmin-site-key",
        busy_timeout_ms: int = 30_000,
        clock: Clock | None = None,
        check: bool = True,
        create: bool = False,
    ) -> Site:
        """Open an existing site (``create=True`` is for :func:`init_site` only)."""
        data_dir = Path(data_dir)
        store = open_store(
            data_dir / STORE_FILE, create=create, busy_timeout_ms=busy_timeout_ms, check=check
        )
        try:
            site_key = load_site_key(key_file or data_dir / KEY_FILE, credential_name)
            keys = _key_ring(store, site_key, cipher)
            blobs = BlobStore(data_dir / BLOB_DIR)
            return cls(data_dir, store, blobs, keys, clock or SystemClock())
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- data keys, stored wrapped ---------------------------------------------------------

    def new_data_key(self) -> DataKey:
        """A fresh key in memory; :meth:`save_data_key` stores it inside the record's
        transaction."""
        return self.keys.new_key(new_id())

    def save_data_key(self, conn: sqlite3.Connection, dk: DataKey) -> None:
        conn.execute(
            "INSERT INTO data_keys (key_id, alg, wrapped, created_at) VALUES (?,?,?,?)",
            (dk.key_id, dk.alg, self.keys.wrap(dk), iso(self.clock.now())),
        )

    def data_key(self, key_id: str) -> DataKey:
        rows = self.store.query("SELECT alg, wrapped FROM data_keys WHERE key_id = ?", [key_id])
        if not rows:
            raise StoreError(f"no data key {key_id}")
        return self.keys.unwrap(key_id, rows[0]["alg"], rows[0]["wrapped"])

    def shred_key(self, conn: sqlite3.Connection, key_id: str, *, actor: str, reason: str) -> bool:
        """Destroy a data key inside the caller's transaction; audited. Returns False when it
        was destroyed already."""
        cur = conn.execute(
            "UPDATE data_keys SET wrapped = NULL, shredded_at = ?"
            " WHERE key_id = ? AND wrapped IS NOT NULL",
            (iso(self.clock.now()), key_id),
        )
        if cur.rowcount:
            audit.record(conn, self.clock, actor=actor, action="key.shredded", subject=key_id,
                         detail={"reason": reason})
        return bool(cur.rowcount)

    def blob_stats(self) -> dict[str, Any]:
        rows = self.store.query("SELECT sha256 FROM blobs WHERE state != 'purged'")
        problems = {"missing": 0, "corrupt": 0}
        size = 0
        for row in rows:
            verdict = self.blobs.verify(row["sha256"])
            if verdict:
                problems[verdict] += 1
            else:
                size += self.blobs.path(row["sha256"]).stat().st_size
        return {"count": len(rows), "bytes": size, **problems}

    def sweep_orphan_blobs(self, older_than_s: float) -> list[str]:
        referenced = [r["sha256"] for r in self.store.query("SELECT sha256 FROM blobs")]
        removed = self.blobs.sweep(referenced, older_than_s, self.clock.now().timestamp())
        if removed:
            with self.store.write() as conn:
                audit.record(conn, self.clock, actor="system", action="blobs.swept",
                             subject="blobs", detail={"count": len(removed)})
        return removed


def _key_ring(store: Store, site_key: bytes, cipher: str) -> KeyRing:
    """Check the key belongs to this store; the first open records its fingerprint and the
    blind-index hash, which stay fixed for the store's life (indexes made with one hash
    cannot be searched with another)."""
    settings = {r["key"]: json.loads(r["value"]) for r in store.query("SELECT * FROM settings")}
    index_hash = settings.get("crypto.index_hash") or ("sm3" if cipher == SM4_GCM else "sha256")
    ring = KeyRing(site_key, cipher, index_hash)
    ring.check_fingerprint(settings.get("crypto.key_fingerprint"))
    if "crypto.key_fingerprint" not in settings:
        with store.write() as conn:
            for key, value in (("crypto.key_fingerprint", ring.fingerprint),
                               ("crypto.index_hash", index_hash)):
                conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
                             (key, json.dumps(value)))
        # A second process may have won the race with another key: check again.
        stored = store.query("SELECT value FROM settings WHERE key = 'crypto.key_fingerprint'")
        ring.check_fingerprint(json.loads(stored[0]["value"]))
    return ring


def init_site(
    data_dir: Path,
    *,
    cipher: str = AES_256_GCM,
    key_file: Path | None = None,
    credential_name: str = "bianmin-site-key",
    clock: Clock | None = None,
) -> tuple[Site, bool]:
    """Create the data directory, the site key and the store, or open them when they exist.

    Returns the site and whether anything was created. A store without its key is an error,
    never a reason to make a new key.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path = key_file or data_dir / KEY_FILE
    store_exists = (data_dir / STORE_FILE).exists()
    created = False
    if not _key_available(key_path, credential_name):
        if store_exists:
            raise SiteKeyMissing(str(key_path))
        create_site_key(key_path)
        created = True
    site = Site.open(data_dir, cipher=cipher, key_file=key_path, credential_name=credential_name,
                     clock=clock, create=True)
    if not store_exists:
        created = True
        with site.store.write() as conn:
            audit.record(conn, site.clock, actor="technician", action="store.created",
                         subject=STORE_FILE, detail={"cipher": cipher})
    return site, created


def _key_available(key_path: Path, credential_name: str) -> bool:
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    return key_path.exists() or bool(cred_dir and (Path(cred_dir) / credential_name).exists())
