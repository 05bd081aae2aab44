"""``POST /v1/ops``: apply a batch of a site's ops, each exactly once (docs/sync-protocol.md,
Push).

One transaction per batch, a SAVEPOINT per op. Each op is inserted into ``ops`` under its
permanent key ``(site, op_id)`` in the same savepoint as its effect, so a replay, a lost
answer or a second hub receiving the same batch finds the row and answers ``duplicate`` with
the stored ``server_ref``. An op that names a blob the hub does not hold in full is
``deferred`` (``blob_missing``), and so are the later ops of its record in the batch; other
records go on.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from sync.protocol import tus
from sync.protocol.messages import OpsBatch, WireOp

from . import effects, schema
from .effects import Context, Rejected
from .errors import Refused

MAX_INFLATED_BYTES = 16 * 1024 * 1024
"""A gzip body is refused when it inflates beyond this (a zip bomb costs us nothing)."""


def inflate(body: bytes, encoding: str | None) -> bytes:
    """The body as JSON bytes: gzip undone with a bound (``Content-Encoding``, RFC 9110
    §8.4), identity as is; anything else 415."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        return body
    if name not in ("gzip", "x-gzip"):
        raise Refused(415, "unsupported_encoding", f"不支持的压缩方式 / Content-Encoding "
                                                   f"{name!r} is not supported (gzip is)")
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, MAX_INFLATED_BYTES + 1)
    except zlib.error:
        raise Refused(400, "invalid", "gzip 内容损坏 / the gzip body is damaged") from None
    if len(out) > MAX_INFLATED_BYTES or inflater.unconsumed_tail:
        raise Refused(413, "too_large", f"解压后超过 {MAX_INFLATED_BYTES // 2**20} MB / the "
                                        f"body inflates beyond {MAX_INFLATED_BYTES // 2**20} MB")
    if not inflater.eof:
        raise Refused(400, "invalid", "gzip 内容不完整 / the gzip body is cut short")
    return out


def read_json(data: bytes) -> Any:
    """Strict JSON (RFC 8259): no NaN or Infinity, no number of more than 4300 digits, no
    nesting deeper than the parser's recursion limit; 400 otherwise."""
    try:
        return json.loads(data, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, int digits
        raise Refused(400, "invalid", "请求内容不是 JSON / the body is not JSON") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_batch(data: bytes) -> OpsBatch:
    """The batch, or 400/422 in plain words (the locations of problems, never values)."""
    raw = read_json(data)
    try:
        batch = OpsBatch.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['type']}"
                          for e in exc.errors()[:5])
        raise Refused(422, "invalid", f"请求内容不对 / invalid batch: {where}") from None
    if _has_nul([batch.batch_id, *((o.op_id, o.entity, o.entity_id, o.op) for o in batch.ops)]):
        raise Refused(422, "invalid", "批次或操作的标识含 NUL 字符 / an id holds a NUL character")
    return batch


def apply_batch(ctx: Context, batch: OpsBatch) -> list[dict[str, Any]]:
    """The per-op results, in the order given (retried whole on a PostgreSQL deadlock)."""
    return ctx.db.retry(lambda conn: _apply_all(conn, ctx, batch))


_INSERT_OP = sa.insert(schema.ops)


def _apply_all(conn: Connection, ctx: Context, batch: OpsBatch) -> list[dict[str, Any]]:
    ctx.db.lock_site(conn, ctx.site)
    results: list[dict[str, Any]] = []
    deferred: set[tuple[str, str]] = set()
    # What the batch's ops already are on the hub, asked once for the whole batch (the site
    # lock keeps it true for this transaction; another hub's racing insert still meets the
    # unique key in _apply_one).
    ids = list({op.op_id for op in batch.ops})
    known: dict[str, str | None] = dict(conn.execute(
        sa.select(schema.ops.c.op_id, schema.ops.c.server_ref).where(
            schema.ops.c.site == ctx.site, schema.ops.c.op_id.in_(ids))).all())
    refused_before = set(conn.execute(sa.select(schema.rejections.c.op_id).where(
        schema.rejections.c.site == ctx.site, schema.rejections.c.op_id.in_(ids))).scalars())
    for op in batch.ops:
        if op.op_id in known:
            results.append({"op_id": op.op_id, "status": "duplicate",
                            "server_ref": known[op.op_id]})
            continue
        record = (op.entity, op.entity_id)
        if record in deferred:
            results.append({"op_id": op.op_id, "status": "deferred", "code": "earlier_deferred",
                            "message": "同一记录的前一个操作在等待 / an earlier op of this record "
                                       "is deferred", "missing": []})
            continue
        try:
            missing = _missing_blobs(conn, op)
        except Rejected as exc:
            results.append(_rejected(conn, ctx, op, exc))
            continue
        if missing:
            deferred.add(record)
            results.append({"op_id": op.op_id, "status": "deferred", "code": "blob_missing",
                            "message": "页面尚未上传完 / pages are not on the hub yet",
                            "missing": missing})
            continue
        result = _apply_one(conn, ctx, batch.batch_id, op, op.op_id in refused_before)
        if result["status"] in ("applied", "duplicate"):
            known[op.op_id] = result["server_ref"]
        results.append(result)
    return results


def _stored_ref(conn: Connection, site: str, op_id: str) -> tuple[str | None] | None:
    row = conn.execute(sa.select(schema.ops.c.server_ref).where(
        schema.ops.c.site == site, schema.ops.c.op_id == op_id)).first()
    return None if row is None else (row[0],)


def _missing_blobs(conn: Connection, op: WireOp) -> list[str]:
    wanted = sorted(set(op.blobs) - set(op.blobs_lost))
    if not all(tus.is_sha256(sha) for sha in [*wanted, *op.blobs_lost]):
        raise Rejected("invalid_payload", "blobs 中有不是 sha256 的引用 / blobs or blobs_lost "
                                          "hold something that is not a sha256 hex digest")
    if not wanted:
        return []
    final = set(conn.execute(sa.select(schema.blobs.c.sha256).where(
        schema.blobs.c.sha256.in_(wanted), schema.blobs.c.state == "final")).scalars())
    return [sha for sha in wanted if sha not in final]


def _apply_one(conn: Connection, ctx: Context, batch_id: str, op: WireOp,
               refused_before: bool) -> dict[str, Any]:
    if _has_nul(op.model_dump()):
        return _rejected(conn, ctx, op, Rejected(
            "invalid_payload", "内容含 NUL 字符 / the op holds a NUL character"))
    try:
        with conn.begin_nested():
            conn.execute(_INSERT_OP, {
                "site": ctx.site, "op_id": op.op_id, "seq": op.seq, "entity": op.entity,
                "entity_id": op.entity_id, "op": op.op, "created_at": op.created_at,
                "clock_synced": op.clock_synced, "batch_id": batch_id,
                "received_at": ctx.now})
            ref = effects.apply(conn, ctx, op)
            if ref is not None:
                conn.execute(sa.update(schema.ops).where(
                    schema.ops.c.site == ctx.site, schema.ops.c.op_id == op.op_id)
                    .values(server_ref=ref))
    except Rejected as exc:
        return _rejected(conn, ctx, op, exc)
    except sa.exc.IntegrityError:
        # another hub applied it since we looked (it waited on the unique key until then)
        stored = _stored_ref(conn, ctx.site, op.op_id)
        if stored is None:
            return _rejected(conn, ctx, op, Rejected(
                "conflict", "与中心已有记录冲突 / the op conflicts with a record on the hub"))
        return {"op_id": op.op_id, "status": "duplicate", "server_ref": stored[0]}
    except (sa.exc.StatementError, OverflowError) as exc:
        if isinstance(exc, sa.exc.OperationalError):
            raise  # the database itself: retried or a 503, never blamed on the op
        return _rejected(conn, ctx, op, Rejected(
            "invalid_payload", "内容超出中心能保存的范围 / a value is out of the range the hub "
                               "can store"))
    if refused_before:  # judged again and applied now: the old refusal no longer stands
        conn.execute(sa.delete(schema.rejections).where(
            schema.rejections.c.site == ctx.site, schema.rejections.c.op_id == op.op_id))
    return {"op_id": op.op_id, "status": "applied", "server_ref": ref}


def _rejected(conn: Connection, ctx: Context, op: WireOp, exc: Rejected) -> dict[str, Any]:
    values = {"entity": op.entity, "entity_id": op.entity_id, "op": op.op, "code": exc.code,
              "message": exc.message, "at": ctx.now}
    if not _has_nul(values):
        conn.execute(ctx.db.upsert(schema.rejections,
                                   {"site": ctx.site, "op_id": op.op_id, **values},
                                   ["site", "op_id"], values))
    return {"op_id": op.op_id, "status": "rejected", "code": exc.code, "message": exc.message}


def _has_nul(value: Any) -> bool:
    """PostgreSQL text cannot hold NUL; a string with one is refused, not a 500."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False
