"""The pull streams (``GET /v1/changes/<stream>``) and reconciliation (docs/sync-protocol.md,
Pull and Reconciliation).

A stream is the rows of ``changes`` for the site (or for every site: ``site`` NULL) in cursor
order. The cursor is the row id, taken from a counter inside the writing transaction so ids
commit in order (schema.changes). The ``handle`` is the hub's epoch in ``meta``: a restored
or rebuilt hub gets a new one, and a site still holding the old one reads from the start.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.protocol.messages import MAX_PULL, STREAMS, reconcile_hash

from . import schema
from .db import Database
from .errors import Refused

DEFAULT_LIMIT = 100


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def append(conn: Connection, db: Database, stream: str, site: str | None,
           item: dict[str, Any], now: float) -> int:
    """Add one item to a stream inside the caller's transaction; returns its cursor."""
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}")
    cursor = db.next_value(conn, "changes")
    conn.execute(sa.insert(schema.changes).values(id=cursor, stream=stream, site=site,
                                                  item=dumps(item), created_at=now))
    return cursor


def current_handle(conn: Connection) -> str:
    return str(conn.execute(sa.select(schema.meta.c.value).where(
        schema.meta.c.key == "handle")).scalar_one())


def _last_cursor(conn: Connection) -> int:
    value = conn.execute(sa.select(schema.counters.c.value).where(
        schema.counters.c.name == "changes")).scalar()
    return int(value or 0)


def page(db: Database, site: str, stream: str, *, cursor: str | None, handle: str | None,
         limit: int | None) -> dict[str, Any]:
    """One page of ``stream`` after ``cursor``: ``{"stream", "handle", "cursor",
    "has_more", "items"}``; :class:`Refused` 410 ``must_refetch`` when the site's history
    is not the hub's."""
    if stream not in STREAMS:
        raise Refused(404, "not_found", f"没有这个数据流 / no stream {stream!r} (one of "
                                        f"{', '.join(STREAMS)})")
    size = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_PULL:
        raise Refused(422, "invalid", f"limit 须在 1 到 {MAX_PULL} 之间 / limit must be 1 to "
                                      f"{MAX_PULL}")
    after = 0
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 18:
            raise Refused(400, "invalid", "cursor 不对 / the cursor is not one this hub gave")
        after = int(cursor)
    changes = schema.changes
    with db.read() as conn:
        hub_handle = current_handle(conn)
        if cursor is not None and (handle != hub_handle or after > _last_cursor(conn)):
            raise Refused(410, "must_refetch", "中心的数据已重建，请从头读取 / the hub's history "
                                               "changed: drop the cursor and read the stream "
                                               "from the start", handle=hub_handle)
        rows = conn.execute(sa.select(changes.c.id, changes.c.item).where(
            changes.c.stream == stream, changes.c.id > after,
            sa.or_(changes.c.site == site, changes.c.site.is_(None)),
        ).order_by(changes.c.id).limit(size + 1)).all()
    items = [{**json.loads(item), "cursor": str(row_id)} for row_id, item in rows[:size]]
    return {"stream": stream, "handle": hub_handle,
            "cursor": items[-1]["cursor"] if items else cursor,
            "has_more": len(rows) > size, "items": items}


def new_epoch(conn: Connection) -> str:
    """Give the streams a new handle (after a restore or a rebuild): every site reads its
    streams from the start again."""
    handle = secrets.token_hex(8)
    conn.execute(sa.update(schema.meta).where(schema.meta.c.key == "handle").values(
        value=handle))
    return handle


def held_ops(conn: Connection, site: str, from_seq: int | None = None,
             to_seq: int | None = None) -> list[str]:
    """The ``op_id``s the hub holds for the site, with ``seq`` in ``[from_seq, to_seq]``."""
    ops = schema.ops
    query = sa.select(ops.c.op_id).where(ops.c.site == site)
    if from_seq is not None:
        query = query.where(ops.c.seq >= from_seq)
    if to_seq is not None:
        query = query.where(ops.c.seq <= to_seq)
    return sorted(conn.execute(query).scalars())


def reconcile(db: Database, site: str, from_seq: int | None,
              to_seq: int | None) -> dict[str, Any]:
    """``{"ops": n, "hash"}`` over the site's ops held with ``seq`` in the range."""
    with db.read() as conn:
        held = held_ops(conn, site, from_seq, to_seq)
    return {"ops": len(held), "hash": reconcile_hash(held)}
