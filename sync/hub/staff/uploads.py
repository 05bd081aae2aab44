"""Result documents (结果文书) staff attach to 办结, and the pages sites uploaded, as the
browser gets them.

A file's type is what its first bytes say, never what the browser or the site claimed: the
signatures are those of the formats themselves (PDF 1.7 / ISO 32000-1 §7.5.2 ``%PDF-``; JPEG,
ITU-T T.81 SOI ``FF D8`` then a marker; PNG, RFC 2083 §3.1 / ISO 15948). Only these three are
ever shown inline; anything else is offered as a download, so a hostile upload can never run
as a page of the hub (OWASP File Upload Cheat Sheet).
"""

from __future__ import annotations

import re
import unicodedata

RESULT_MAX_BYTES = 10 * 1024 * 1024
"""The largest result document accepted. Unit: bytes."""

_SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
INLINE_TYPES = frozenset(kind for _, kind, _ in _SIGNATURES)


class UploadRefused(ValueError):
    """A result document that cannot be used; plain words (中文 / English) and the HTTP
    status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def sniff(data: bytes) -> str | None:
    """The media type the first bytes show, among PDF, JPEG and PNG; None otherwise."""
    for magic, kind, _ in _SIGNATURES:
        if data.startswith(magic):
            return kind
    return None


def clean_name(name: str, kind: str) -> str:
    """A file name safe to keep and show: no folders, no control characters, at most 100
    characters, ending in the extension of its real type."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base)
                   if unicodedata.category(c)[0] != "C").strip().strip(".")
    extension = next(ext for _, k, ext in _SIGNATURES if k == kind)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:100 - len(extension)] or "result"
    return stem + extension


def check_result(data: bytes, name: str) -> tuple[bytes, str, str]:
    """``(data, media_type, name)`` for :meth:`Admin.move_case`, or :class:`UploadRefused`."""
    if not data:
        raise UploadRefused("结果文书是空文件 / the result document is empty")
    if len(data) > RESULT_MAX_BYTES:
        raise UploadRefused(f"结果文书太大，最大 {RESULT_MAX_BYTES // (1024 * 1024)} MB / the "
                            f"result document is larger than "
                            f"{RESULT_MAX_BYTES // (1024 * 1024)} MB", 413)
    kind = sniff(data)
    if kind is None:
        raise UploadRefused("结果文书须为 PDF、JPEG 或 PNG 文件 / a result document must be a "
                            "PDF, JPEG or PNG file")
    return data, kind, clean_name(name, kind)

