"""The staff pages' tables, on the hub's own ``sync.hub.schema.metadata`` (so ``Database.create``
makes them with the others, on SQLite and PostgreSQL alike).

A password is kept only as its argon2id hash, a session only as the sha256 of its token: a copy
of the database lets nobody sign in.
"""

from __future__ import annotations

import sqlalchemy as sa

from sync.hub.schema import metadata

_time = sa.Double

staff_accounts = sa.Table(
    "staff_accounts", metadata,
    sa.Column("user", sa.String(32), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", _time),
    sa.Column("created_at", _time, nullable=False),
    sa.Column("updated_at", _time, nullable=False),
)
"""County staff who may use the pages (``bianmin hub staff-add``)."""

staff_sessions = sa.Table(
    "staff_sessions", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user", sa.String(32), nullable=False),
    sa.Column("created_at", _time, nullable=False),
    sa.Column("last_used", _time, nullable=False),
    sa.Column("expires_at", _time, nullable=False, index=True),
)
"""A signed-in browser: the cookie's token as its sha256; ``expires_at`` moves on with use
(8 hours idle)."""
