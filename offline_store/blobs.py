"""Content-addressed files for scans and photos, named by the sha256 of their bytes.

Scans of 0.3–3 MB are faster and safer as files than as SQLite blobs
(https://www.sqlite.org/intern-v-extern-blob.html). The write order makes a crash at any
point harmless (../shared/research/sync.md §2, ALICE-style ordering):

    temp file -> fsync -> rename to <sha256> -> fsync the directory -> commit the row

A crash before the commit leaves an unreferenced file, which :func:`sweep_orphans` removes;
a committed row always finds its file complete. Reads verify the hash, so a file damaged on
disk is reported, never handed on. The bytes stored are already encrypted by the caller.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from .crypto import fsync_dir
from .errors import BlobCorrupt, BlobMissing, StoreFull, StoreIOError

_TMP = "tmp"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_sha(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


class BlobStore:
    """Files under ``root/<first two hex digits>/<sha256>``; temp files under ``root/tmp``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        (self.root / _TMP).mkdir(parents=True, exist_ok=True)

    def path(self, sha: str) -> Path:
        if not _is_sha(sha):
            raise ValueError(f"not a sha256: {sha!r}")
        return self.root / sha[:2] / sha

    def put(self, data: bytes) -> str:
        """Store ``data`` durably and return its sha256; storing the same bytes twice is a
        no-op. Raises :class:`StoreFull` on a full disk, leaving no partial file behind."""
        sha = sha256_hex(data)
        final = self.path(sha)
        if final.exists() and final.stat().st_size == len(data):
            # Refresh the age so a sweep that still sees it unreferenced leaves it alone
            # until the row that is about to reference it has committed.
            os.utime(final)
            return sha
        tmp = self.root / _TMP / f"{sha}.{os.getpid()}.{time.monotonic_ns()}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)
            fsync_dir(final.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                raise StoreFull(f"writing a {len(data)} byte file") from exc
            raise StoreIOError(f"{final}: {exc.strerror}") from exc
        return sha

    def read(self, sha: str) -> bytes:
        try:
            data = self.path(sha).read_bytes()
        except FileNotFoundError as exc:
            raise BlobMissing(sha) from exc
        if sha256_hex(data) != sha:
            raise BlobCorrupt(sha)
        return data

    def verify(self, sha: str) -> str | None:
        """None when the file is present and whole, else 'missing' or 'corrupt'."""
        try:
            self.read(sha)
        except BlobMissing:
            return "missing"
        except BlobCorrupt:
            return "corrupt"
        return None

    def exists(self, sha: str) -> bool:
        return self.path(sha).exists()

    def delete(self, sha: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(sha).unlink()

    def files(self) -> Iterator[tuple[str, Path]]:
        for sub in self.root.iterdir():
            if sub.name == _TMP or not sub.is_dir():
                continue
            for f in sub.iterdir():
                if _is_sha(f.name):
                    yield f.name, f

    def sweep(self, referenced: Iterable[str], older_than_s: float, now: float) -> list[str]:
        """Remove files no row references and temp files left by a crash, once they are
        older than ``older_than_s`` (so a write in flight is never swept). Returns what
        was removed."""
        keep = set(referenced)
        removed = []
        candidates = [(sha, p) for sha, p in self.files() if sha not in keep]
        candidates += [(p.name, p) for p in (self.root / _TMP).iterdir()]
        for name, p in candidates:
            try:
                if now - p.stat().st_mtime >= older_than_s:
                    p.unlink()
                    removed.append(name)
            except FileNotFoundError:
                continue
        return removed
