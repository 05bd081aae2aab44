"""Pages on their way into a case: the counter PUTs each page's bytes first, named by their
SHA-256 (FIPS 180-4), and ``POST /v1/cases`` then refers to them by that name.

A staged page is sealed (AES-256-GCM, the store's sealed layout) under a key made when the
station process starts and never written anywhere, with the page's hash and type as the
associated data, so no page is ever on disk in clear and a file swapped for another fails to
open. The case re-seals each page under its own data key into the site's blobs
(``offline_store/cases.py``) and the staged file is deleted after the commit.

A station restart loses the key, so whatever was staged before is unreadable: it is removed
at start, and a page nobody claimed is removed after :data:`KEEP` (the counter uploads again
when ``POST /v1/cases`` answers 409 ``missing_uploads``). Staging needs no fsync: a crash
loses the key along with the files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from offline_store.crypto import AES_256_GCM, open_sealed, seal
from offline_store.errors import DecryptionFailed

MAX_BYTES = 8 * 1024 * 1024
"""The largest page: a 600 dpi A4 JPEG scan is 2-4 MB, a PDF of a few pages stays under."""
KEEP_S = 24 * 3600.0
SWEEP_EVERY_S = 3600.0
SHA256_PATTERN = r"^[0-9a-f]{64}$"

#: The page types a counter may send, with the bytes each one starts with (JPEG SOI marker,
#: the PNG signature of RFC 2083 §3.1, the PDF header of ISO 32000-1 §7.5.2).
MEDIA_TYPES: dict[str, tuple[str, bytes]] = {
    "image/jpeg": ("jpeg", b"\xff\xd8\xff"),
    "image/png": ("png", b"\x89PNG\r\n\x1a\n"),
    "application/pdf": ("pdf", b"%PDF-"),
}
_BY_SUFFIX = {suffix: media for media, (suffix, _) in MEDIA_TYPES.items()}
_SHA = re.compile(SHA256_PATTERN)


class UploadRefused(ValueError):
    """A page the station will not stage: ``code`` for the screen, the message in words."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def media_type_of(content_type: str | None) -> str:
    """The page type from a Content-Type header (parameters ignored), or a refusal."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise UploadRefused(415, "unsupported_media_type",
                            f"只收 JPEG、PNG 或 PDF 页面 / a page must be "
                            f"{', '.join(MEDIA_TYPES)}, not {media or 'untyped'}")
    return media


class Staging:
    """Sealed page files under ``root`` (``<site data dir>/staging``), one per hash."""

    def __init__(self, root: Path, keep_s: float = KEEP_S):
        self.root = Path(root)
        self.keep_s = keep_s
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._swept_at = time.monotonic()
        self.sweep(0.0)  # sealed by an earlier process: nobody can open them any more

    # --- writing -------------------------------------------------------------------------

    def put(self, sha: str, data: bytes, media_type: str) -> bool:
        """Stage ``data``; False when that page was staged already (nothing written).

        :raises UploadRefused: the bytes are not the page the hash names, or not of the
            type the header says.
        """
        self._check(sha)
        if len(data) > MAX_BYTES:
            raise UploadRefused(413, "too_large", f"页面超过 {MAX_BYTES // 2**20} MB / a page "
                                                  f"may be at most {MAX_BYTES} bytes")
        if hashlib.sha256(data).hexdigest() != sha:
            raise UploadRefused(422, "hash_mismatch", "页面内容与编号不符，请重新上传 / the "
                                                      "bytes' SHA-256 is not the one in the "
                                                      "path; upload the page again")
        suffix, magic = MEDIA_TYPES[media_type]
        if not data.startswith(magic):
            raise UploadRefused(422, "media_mismatch", f"页面内容不是 {suffix.upper()} / the "
                                                       f"bytes are not {media_type}")
        self._maybe_sweep()
        if self.find(sha) is not None:
            return False
        sealed = seal(AES_256_GCM, self._key, data, self._aad(sha, media_type))
        final = self.root / f"{sha}.{suffix}"
        tmp = self.root / f".{sha}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                view = memoryview(sealed)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return True

    # --- reading -------------------------------------------------------------------------

    def find(self, sha: str) -> Path | None:
        """The staged file of ``sha``, or None."""
        self._check(sha)
        for suffix in _BY_SUFFIX:
            path = self.root / f"{sha}.{suffix}"
            if path.exists():
                return path
        return None

    def has(self, sha: str) -> bool:
        return self.find(sha) is not None

    def media_type(self, sha: str) -> str | None:
        path = self.find(sha)
        return None if path is None else _BY_SUFFIX[path.suffix[1:]]

    def load(self, sha: str) -> bytes:
        """The page's bytes.

        :raises LookupError: not staged, or staged by another process (the file cannot be
            opened): both mean the counter must upload it again.
        """
        path = self.find(sha)
        if path is None:
            raise LookupError(sha)
        try:
            return open_sealed(self._key, path.read_bytes(),
                               self._aad(sha, _BY_SUFFIX[path.suffix[1:]]))
        except (FileNotFoundError, DecryptionFailed):
            with contextlib.suppress(OSError):
                path.unlink()
            raise LookupError(sha) from None

    # --- forgetting --------------------------------------------------------------------------

    def discard(self, shas: Iterable[str]) -> None:
        """Delete the staged files of pages now kept in a case."""
        for sha in shas:
            path = self.find(sha)
            if path is not None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def sweep(self, older_than_s: float | None = None) -> int:
        """Remove staged files older than ``older_than_s`` (default :attr:`keep_s`);
        returns how many."""
        limit = time.time() - (self.keep_s if older_than_s is None else older_than_s)
        removed = 0
        for path in self.root.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime <= limit:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def _maybe_sweep(self) -> None:
        with self._lock:
            if time.monotonic() - self._swept_at < SWEEP_EVERY_S:
                return
            self._swept_at = time.monotonic()
        self.sweep()

    @staticmethod
    def _check(sha: str) -> None:
        if not _SHA.match(sha):
            raise UploadRefused(422, "invalid", "页面编号须是 64 位十六进制 SHA-256 / a page "
                                                "is named by its SHA-256 in 64 lower-case hex "
                                                "digits")

    @staticmethod
    def _aad(sha: str, media_type: str) -> bytes:
        return f"staged|{sha}|{media_type}".encode()
