"""Content-addressed blob files: durable write order, verified reads, orphan sweeping."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest

from offline_store import cases
from offline_store.blobs import BlobStore, sha256_hex
from offline_store.errors import BlobCorrupt, BlobMissing
from offline_store.site import Site


def test_put_names_the_file_by_its_hash_and_is_idempotent(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    data = os.urandom(300_000)
    sha = blobs.put(data)
    assert sha == sha256_hex(data)
    assert blobs.path(sha) == tmp_path / "blobs" / sha[:2] / sha
    assert blobs.put(data) == sha
    assert [name for name, _ in blobs.files()] == [sha]
    assert blobs.read(sha) == data
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_damaged_and_missing_files_are_reported_not_returned(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    sha = blobs.put(b"scan of a household register" * 1000)
    with blobs.path(sha).open("r+b") as f:
        f.seek(5000)
        f.write(b"X")
    with pytest.raises(BlobCorrupt):
        blobs.read(sha)
    assert blobs.verify(sha) == "corrupt"
    blobs.delete(sha)
    with pytest.raises(BlobMissing):
        blobs.read(sha)
    assert blobs.verify(sha) == "missing"
    with pytest.raises(ValueError):
        blobs.path("../../etc/passwd")


def test_sweep_removes_only_old_orphans_and_crash_leftovers(site: Site) -> None:
    case = cases.add_case(
        site, site_code="T", local_day=dt.date(2026, 11, 24),
        applicant={"name": "赵六", "id_number": "110105194912310021"},
        item_codes=["X"], catalogue_version="v",
        materials=[cases.MaterialRecord("M001", "captured", [b"page one" * 100])])
    orphan = site.blobs.put(b"written, then the process died before the commit")
    leftover = site.blobs.root / "tmp" / "deadbeef.123.456"
    leftover.write_bytes(b"half a file")
    fresh_orphan = site.blobs.put(b"a capture still in flight")
    old = time.time() - 7200
    for path in (site.blobs.path(orphan), leftover, site.blobs.path(case["blob_hashes"][0])):
        os.utime(path, (old, old))
    site.clock.t = dt.datetime.now(dt.UTC)

    removed = site.sweep_orphan_blobs(older_than_s=3600)

    assert set(removed) == {orphan, leftover.name}
    assert site.blobs.exists(case["blob_hashes"][0])  # referenced: kept however old
    assert site.blobs.exists(fresh_orphan)  # too young: may be about to be committed
    assert site.store.query("SELECT action FROM audit_log WHERE action = 'blobs.swept'")


def test_blob_stats_find_missing_and_corrupt_files(site: Site) -> None:
    case = cases.add_case(
        site, site_code="T", local_day=dt.date(2026, 11, 24),
        applicant={"name": "赵六", "id_number": "110105194912310021"},
        item_codes=["X"], catalogue_version="v",
        materials=[cases.MaterialRecord("M001", "captured", [b"one" * 100, b"two" * 100])])
    assert site.blob_stats() | {"bytes": 0} == {"count": 2, "bytes": 0, "missing": 0,
                                                "corrupt": 0}
    first, second = case["blob_hashes"]
    site.blobs.delete(first)
    site.blobs.path(second).write_bytes(b"overwritten")
    stats = site.blob_stats()
    assert (stats["missing"], stats["corrupt"]) == (1, 1)
