"""The hub's tus 1.0 server at ``/v1/blobs``: core, creation, checksum, expiration
(https://tus.io/protocols/resumable-upload), content-addressed (docs/sync-protocol.md, Blobs).

An upload's address is the sha256 of the whole blob, so creating it again (a daemon that
lost its answer, a second site with the same page) finds the same upload. Each chunk is a
row of ``blob_chunks`` written in the same transaction as the new offset, so a cut costs at
most the chunk in flight; when the last byte arrives the chunks are hashed in order and the
blob becomes ``final`` or, on a mismatch, is discarded. The chunks stay as they came: a final
blob is read back one chunk at a time, never whole in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.protocol import tus

from . import schema
from .db import Database
from .errors import Refused
from .settings import HubSettings

DEFAULT_MEDIA_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Upload:
    sha256: str
    length: int
    offset: int
    state: str
    media_type: str
    name: str
    expires_at: float | None

    @property
    def final(self) -> bool:
        return self.state == "final"


def options_headers(settings: HubSettings) -> dict[str, str]:
    return {"Tus-Version": tus.VERSION, "Tus-Extension": ",".join(tus.EXTENSIONS),
            "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUM_ALGORITHMS),
            "Tus-Max-Size": str(settings.max_blob_bytes)}


def _invalid(message: str) -> Refused:
    return Refused(400, "invalid", message)


def _row(conn: Connection, sha: str, *, lock: bool = False) -> Upload | None:
    blobs = schema.blobs
    query = sa.select(blobs.c.sha256, blobs.c.length, blobs.c.offset, blobs.c.state,
                      blobs.c.media_type, blobs.c.name, blobs.c.expires_at).where(
        blobs.c.sha256 == sha)
    if lock:
        query = query.with_for_update()  # PostgreSQL: two PATCHes of one upload take turns
    row = conn.execute(query).first()
    return None if row is None else Upload(*row)


def _may(conn: Connection, sha: str, site: str) -> bool:
    access = schema.blob_access
    return conn.execute(sa.select(access.c.why).where(access.c.sha256 == sha,
                                                      access.c.site == site)).first() is not None


def _grant(conn: Connection, db: Database, sha: str, site: str, why: str) -> None:
    conn.execute(db.upsert(schema.blob_access, {"sha256": sha, "site": site, "why": why},
                           ["sha256", "site"]))


def _drop_chunks(conn: Connection, sha: str) -> None:
    conn.execute(sa.delete(schema.blob_chunks).where(schema.blob_chunks.c.sha256 == sha))


def _gone(upload: Upload, now: float) -> bool:
    return upload.state == "expired" or (
        upload.state == "uploading" and upload.expires_at is not None
        and upload.expires_at <= now)


def _expire(conn: Connection, sha: str) -> None:
    _drop_chunks(conn, sha)
    conn.execute(sa.update(schema.blobs).where(schema.blobs.c.sha256 == sha).values(
        state="expired", offset=0))


def sweep_expired(conn: Connection, now: float, limit: int = 20) -> None:
    """Free the chunks of a few uploads that ran out (called with each creation, so the
    table never grows with abandoned uploads and no timer is needed)."""
    blobs = schema.blobs
    stale = conn.execute(sa.select(blobs.c.sha256).where(
        blobs.c.state == "uploading", blobs.c.expires_at <= now).limit(limit)).scalars().all()
    for sha in stale:
        _expire(conn, sha)


def create(db: Database, settings: HubSettings, site: str, headers: Mapping[str, str],
           now: float) -> Upload:
    """``POST /v1/blobs`` (creation): the upload of the blob named by the ``sha256``
    metadata, new or as it stands. :class:`Refused` for headers that cannot be used."""
    if "upload-defer-length" in headers:
        raise _invalid("不支持延后给出长度 / Upload-Defer-Length is not supported")
    try:
        length = tus.parse_offset(headers.get("upload-length"), "Upload-Length")
        meta = tus.decode_metadata(headers.get("upload-metadata", ""))
    except tus.TusError as exc:
        raise _invalid(f"tus 头不对 / bad tus header: {exc}") from None
    sha = meta.get("sha256", "")
    if not tus.is_sha256(sha):
        raise _invalid("Upload-Metadata 须带 sha256（全文的十六进制摘要）/ Upload-Metadata must "
                       "carry sha256: the hex digest of the whole blob")
    if length > settings.max_blob_bytes:
        raise Refused(413, "too_large", f"文件太大 / the blob is larger than Tus-Max-Size "
                                        f"({settings.max_blob_bytes} bytes)")
    media_type = (meta.get("filetype") or DEFAULT_MEDIA_TYPE)[:100]
    name = (meta.get("filename") or "")[:200]
    expires = now + settings.upload_expiry_hours * 3600
    mismatch = False
    with db.write() as conn:
        sweep_expired(conn, now)
        upload = _row(conn, sha, lock=True)
        if upload is not None and upload.final and upload.length != length:
            raise Refused(422, "length_mismatch", "中心已有此摘要的文件，长度不同 / the hub holds "
                                                  "this sha256 with another length")
        if upload is None or (not upload.final and (
                _gone(upload, now) or upload.length != length)):
            _drop_chunks(conn, sha)
            fresh = {"length": length, "offset": 0, "state": "uploading",
                     "media_type": media_type, "name": name, "updated_at": now,
                     "expires_at": expires}
            conn.execute(db.upsert(schema.blobs, {"sha256": sha, "created_at": now, **fresh},
                                   ["sha256"], fresh))
            if length == 0:
                mismatch = not _finalise(conn, sha)
        _grant(conn, db, sha, site, "upload")
        upload = _row(conn, sha)
    if mismatch:
        raise _hash_mismatch()
    assert upload is not None
    return upload


def _hash_mismatch() -> Refused:
    return Refused(422, "hash_mismatch", "文件内容与 sha256 不符，已丢弃，请重新上传 / the "
                                         "blob does not match its sha256; it was discarded, "
                                         "upload it again")


def status(db: Database, site: str, sha: str, now: float) -> Upload:
    """``HEAD``: the upload's offset; 404 unknown (or not this site's), 410 expired."""
    with db.read() as conn:
        upload = _row(conn, sha) if tus.is_sha256(sha) and _may(conn, sha, site) else None
    if upload is None:
        raise _unknown()
    if _gone(upload, now):
        if upload.state != "expired":
            with db.write() as conn:
                _expire(conn, sha)
        raise _expired()
    return upload


def _unknown() -> Refused:
    return Refused(404, "not_found", "没有这个上传 / no such upload (create it with POST)")


def _expired() -> Refused:
    return Refused(410, "expired", "上传已过期，请重新创建 / the upload expired; create it again")


def append(db: Database, settings: HubSettings, site: str, sha: str,
           headers: Mapping[str, str], chunk: bytes, now: float) -> Upload:
    """``PATCH``: store one chunk at ``Upload-Offset`` with the new offset, in one
    transaction; the last one makes the blob final (or discards it on a hash mismatch)."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != tus.OFFSET_CONTENT_TYPE:
        raise Refused(415, "unsupported_media_type", f"PATCH 须用 {tus.OFFSET_CONTENT_TYPE} / "
                                                     f"PATCH needs Content-Type "
                                                     f"{tus.OFFSET_CONTENT_TYPE}")
    try:
        offset = tus.parse_offset(headers.get("upload-offset"))
        checksum = headers.get("upload-checksum")
        good = tus.check_checksum(checksum, chunk) if checksum is not None else True
    except tus.TusError as exc:
        raise _invalid(f"tus 头不对 / bad tus header: {exc}") from None
    if not good:
        raise Refused(tus.CHECKSUM_MISMATCH, "checksum_mismatch", "这一块的校验和不对，已丢弃，"
                                                                  "请重发 / the chunk does not "
                                                                  "match Upload-Checksum; it was "
                                                                  "discarded, send it again")
    if not tus.is_sha256(sha):
        raise _unknown()
    failure: Refused | None = None
    with db.write() as conn:
        upload = _row(conn, sha, lock=True)
        if upload is None or not _may(conn, sha, site):
            raise _unknown()
        if _gone(upload, now):
            _expire(conn, sha)
            failure = _expired()
        elif offset != upload.offset:
            raise Refused(409, "offset_mismatch", f"偏移不对，中心在 {upload.offset} / "
                                                  f"Upload-Offset {offset} is not the hub's "
                                                  f"{upload.offset}; ask HEAD",
                          headers={"Upload-Offset": str(upload.offset)})
        elif offset + len(chunk) > upload.length:
            raise _invalid("超出 Upload-Length / the chunk goes past Upload-Length")
        elif chunk:
            conn.execute(sa.insert(schema.blob_chunks).values(sha256=sha, offset=offset,
                                                              data=chunk))
            expires = now + settings.upload_expiry_hours * 3600
            conn.execute(sa.update(schema.blobs).where(schema.blobs.c.sha256 == sha).values(
                offset=offset + len(chunk), updated_at=now, expires_at=expires))
            if offset + len(chunk) == upload.length and not _finalise(conn, sha):
                failure = _hash_mismatch()
        upload = _row(conn, sha)
    if failure is not None:
        raise failure
    assert upload is not None
    return upload


def _finalise(conn: Connection, sha: str) -> bool:
    """Hash the chunks in order; final on a match, discarded (row and chunks) otherwise."""
    digest = hashlib.sha256()
    for chunk in _chunks(conn, sha):
        digest.update(chunk)
    if digest.hexdigest() == sha:
        conn.execute(sa.update(schema.blobs).where(schema.blobs.c.sha256 == sha).values(
            state="final", expires_at=None))
        return True
    _drop_chunks(conn, sha)
    conn.execute(sa.delete(schema.blob_access).where(schema.blob_access.c.sha256 == sha))
    conn.execute(sa.delete(schema.blobs).where(schema.blobs.c.sha256 == sha))
    return False


def _chunks(conn: Connection, sha: str) -> Iterator[bytes]:
    """The blob's chunks in order, one in memory at a time."""
    offsets = conn.execute(sa.select(schema.blob_chunks.c.offset).where(
        schema.blob_chunks.c.sha256 == sha).order_by(schema.blob_chunks.c.offset)).scalars().all()
    for offset in offsets:
        yield bytes(conn.execute(sa.select(schema.blob_chunks.c.data).where(
            schema.blob_chunks.c.sha256 == sha,
            schema.blob_chunks.c.offset == offset)).scalar_one())


def final_for(db: Database, site: str, sha: str) -> Upload:
    """A final blob this site may read (its upload, or a result for one of its cases)."""
    with db.read() as conn:
        upload = _row(conn, sha) if tus.is_sha256(sha) and _may(conn, sha, site) else None
    if upload is None or not upload.final:
        raise Refused(404, "not_found", "没有这个文件 / no such blob")
    return upload


def read_chunks(db: Database, sha: str) -> Iterator[bytes]:
    """A final blob's bytes, chunk by chunk, each read in a short transaction of its own."""
    with db.read() as conn:
        offsets = conn.execute(sa.select(schema.blob_chunks.c.offset).where(
            schema.blob_chunks.c.sha256 == sha).order_by(
            schema.blob_chunks.c.offset)).scalars().all()
    for offset in offsets:
        with db.read() as conn:
            data = conn.execute(sa.select(schema.blob_chunks.c.data).where(
                schema.blob_chunks.c.sha256 == sha,
                schema.blob_chunks.c.offset == offset)).scalar_one()
        yield bytes(data)


def store_final(conn: Connection, db: Database, settings: HubSettings, data: bytes,
                media_type: str, name: str, site: str, now: float) -> str:
    """Keep ``data`` as a final blob the site may download (a result document made at the
    county), inside the caller's transaction; returns its sha256."""
    sha = hashlib.sha256(data).hexdigest()
    upload = _row(conn, sha, lock=True)
    if upload is None or not upload.final:
        _drop_chunks(conn, sha)
        values = {"length": len(data), "offset": len(data), "state": "final",
                  "media_type": media_type, "name": name, "updated_at": now,
                  "expires_at": None}
        conn.execute(db.upsert(schema.blobs, {"sha256": sha, "created_at": now, **values},
                               ["sha256"], values))
        step = settings.max_chunk_bytes
        for offset in range(0, len(data), step):
            conn.execute(sa.insert(schema.blob_chunks).values(
                sha256=sha, offset=offset, data=data[offset:offset + step]))
    _grant(conn, db, sha, site, "result")
    return sha
