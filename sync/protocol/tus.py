"""tus 1.0 headers: the pure parts of the resumable upload protocol both sides use.

https://tus.io/protocols/resumable-upload (core, creation, checksum, expiration). Blobs are
content-addressed: the ``sha256`` metadata value is the hex digest of the whole blob and the
upload's address is that digest (docs/sync-protocol.md, Blobs).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping

VERSION = "1.0.0"
EXTENSIONS = ("creation", "checksum", "expiration")
CHECKSUM_ALGORITHMS = ("sha1", "sha256", "md5")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
CHECKSUM_MISMATCH = 460
"""The status the checksum extension gives a chunk whose checksum does not match."""

_KEY = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TusError(ValueError):
    """A tus header that cannot be read."""


def encode_metadata(values: Mapping[str, str]) -> str:
    """``Upload-Metadata``: ``key base64(value)`` pairs, comma separated."""
    parts = []
    for key, value in values.items():
        if not _KEY.match(key):
            raise TusError(f"metadata key {key!r} has characters tus does not allow")
        parts.append(f"{key} {base64.b64encode(value.encode()).decode('ascii')}")
    return ",".join(parts)


def decode_metadata(header: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = part.partition(" ")
        if not _KEY.match(key) or key in out:
            raise TusError(f"bad or repeated metadata key {key!r}")
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode() if value else ""
        except (ValueError, UnicodeDecodeError) as exc:
            raise TusError(f"metadata {key} is not base64 of UTF-8") from exc
    return out


def checksum_header(algorithm: str, chunk: bytes) -> str:
    """``Upload-Checksum`` for one chunk."""
    return f"{algorithm} {base64.b64encode(hashlib.new(algorithm, chunk).digest()).decode()}"


def check_checksum(header: str, chunk: bytes) -> bool:
    """Whether ``chunk`` matches the ``Upload-Checksum`` header; :class:`TusError` when the
    header names an algorithm we do not support or is malformed."""
    algorithm, _, value = header.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise TusError(f"checksum algorithm {algorithm!r} is not supported")
    try:
        expected = base64.b64decode(value.strip(), validate=True)
    except ValueError as exc:
        raise TusError("Upload-Checksum is not base64") from exc
    return hashlib.new(algorithm, chunk).digest() == expected


def parse_offset(value: str | None, name: str = "Upload-Offset") -> int:
    """A non-negative integer header (``Upload-Offset``, ``Upload-Length``)."""
    if value is None or not value.strip().isdigit() or len(value.strip()) > 15:
        raise TusError(f"{name} must be a non-negative integer, not {value!r}")
    return int(value.strip())


def is_sha256(text: str) -> bool:
    return bool(_SHA256.match(text))
