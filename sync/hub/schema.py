"""The hub's tables (SQLAlchemy Core), one definition for SQLite and PostgreSQL.

Every piece of state lives here, none in the process, so several hubs can serve behind a load
balancer on one PostgreSQL database (docs/sync-protocol.md): nonces, tokens, uploads and their
chunks, counters. Times are unix seconds (the hub's clock) in ``Double`` columns; JSON is kept
as text so both databases read it the same way.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 1

metadata = sa.MetaData()

_time = sa.Double

meta = sa.Table(
    "meta", metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
"""``schema_version``, and ``handle``: the epoch of the pull streams (docs: Pull)."""

counters = sa.Table(
    "counters", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
"""``official:<yyyymmdd>`` for case numbers, ``changes`` for the pull streams' cursor."""

sites = sa.Table(
    "sites", metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("key_id", sa.String(64), nullable=False, unique=True),
    sa.Column("public_key", sa.LargeBinary, nullable=False),
    sa.Column("enrolled_at", _time, nullable=False),
    sa.Column("last_seen", _time),
    sa.Column("version", sa.String(40), nullable=False, server_default=""),
    sa.Column("heartbeat_at", _time),
    sa.Column("status", sa.Text, nullable=False, server_default="{}"),
    sa.Column("health", sa.Text, nullable=False, server_default="{}"),
    sa.Column("backlog", sa.Integer),
)

enrol_codes = sa.Table(
    "enrol_codes", metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("site", sa.String(32), nullable=False),
    sa.Column("created_at", _time, nullable=False),
    sa.Column("expires_at", _time, nullable=False),
    sa.Column("used_at", _time),
)

nonces = sa.Table(
    "nonces", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("nonce", sa.String(64), primary_key=True),
    sa.Column("expires_at", _time, nullable=False, index=True),
)

tokens = sa.Table(
    "tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("site", sa.String(32), nullable=False),
    sa.Column("expires_at", _time, nullable=False, index=True),
)

ops = sa.Table(
    "ops", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("op_id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("entity", sa.Text, nullable=False),
    sa.Column("entity_id", sa.Text, nullable=False),
    sa.Column("op", sa.Text, nullable=False),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("clock_synced", sa.Boolean, nullable=False),
    sa.Column("batch_id", sa.Text, nullable=False),
    sa.Column("received_at", _time, nullable=False),
    sa.Column("server_ref", sa.Text),
    sa.Index("ops_site_seq", "site", "seq"),
)
"""Every op applied, under its permanent key: a replay finds it and changes nothing."""

rejections = sa.Table(
    "rejections", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("op_id", sa.String(64), primary_key=True),
    sa.Column("entity", sa.Text, nullable=False),
    sa.Column("entity_id", sa.Text, nullable=False),
    sa.Column("op", sa.Text, nullable=False),
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("at", _time, nullable=False),
)
"""The last refusal of each op refused (for the county's view; not a held op)."""

cases = sa.Table(
    "cases", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("official_no", sa.Text, nullable=False, unique=True),
    sa.Column("receipt_no", sa.Text, nullable=False),
    sa.Column("item_codes", sa.Text, nullable=False),
    sa.Column("bundle_code", sa.Text),
    sa.Column("site_status", sa.Text, nullable=False),
    sa.Column("county_status", sa.Text),
    sa.Column("accepted_at", sa.Text, nullable=False),
    sa.Column("received_at", _time, nullable=False),
    sa.Column("updated_at", _time, nullable=False),
    sa.Column("history", sa.Text, nullable=False),
    sa.Column("county_history", sa.Text, nullable=False, server_default="[]"),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("blobs_lost", sa.Text, nullable=False, server_default="[]"),
    sa.Index("cases_county_status", "county_status"),
)
"""A case as the site accepted it (``payload`` holds the applicant: personal data, for the
county's staff only) with its site status and the county's own (后台分类审批)."""

case_pages = sa.Table(
    "case_pages", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("material_code", sa.String(64), primary_key=True),
    sa.Column("page_no", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("lost", sa.Boolean, nullable=False),
)

case_results = sa.Table(
    "case_results", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("at", _time, nullable=False),
)

visits = sa.Table(
    "visits", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("ticket_id", sa.String(64), primary_key=True),
    sa.Column("number", sa.Text, nullable=False),
    sa.Column("category", sa.Text, nullable=False),
    sa.Column("service_day", sa.Text, nullable=False),
    sa.Column("channel", sa.Text),
    sa.Column("priority", sa.Integer),
    sa.Column("issued_at", sa.Text),
    sa.Column("queue_category", sa.Text),
    sa.Column("window", sa.Text),
    sa.Column("outcome", sa.Text),
    sa.Column("first_called_at", sa.Text),
    sa.Column("started_at", sa.Text),
    sa.Column("ended_at", sa.Text),
    sa.Column("served_s", sa.Double),
    sa.Column("reasons", sa.Text),
    sa.Index("visits_day", "service_day"),
)
"""One queue visit, for the county's statistics (no personal data comes up)."""

ratings = sa.Table(
    "ratings", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("rating_id", sa.String(64), primary_key=True),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("dimensions", sa.Text, nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("private", sa.Text),
    sa.Column("case_id", sa.Text),
    sa.Column("ticket_id", sa.Text),
    sa.Column("window", sa.Text),
    sa.Column("clerk", sa.Text),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("named", sa.Boolean, nullable=False),
    sa.Column("rated_at", sa.Text, nullable=False),
    sa.Column("rectification_id", sa.Text),
)

rectifications = sa.Table(
    "rectifications", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("rating_id", sa.Text),
    sa.Column("stage", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("deadline", sa.String(10)),
    sa.Column("history", sa.Text, nullable=False),
    sa.Column("updated_at", _time, nullable=False),
)
"""A bad rating's follow-up (整改): the site's steps and the county's, in one history."""

unresolved = sa.Table(
    "unresolved", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("requester", sa.Text, nullable=False),
    sa.Column("what", sa.Text, nullable=False),
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("item_code", sa.Text),
    sa.Column("window", sa.Text),
    sa.Column("clerk", sa.Text),
    sa.Column("escalation", sa.Text, nullable=False),
    sa.Column("stage", sa.Text, nullable=False),
    sa.Column("deadline", sa.Text),
    sa.Column("outcome", sa.Text),
    sa.Column("history", sa.Text, nullable=False),
    sa.Column("opened_at", sa.Text, nullable=False),
    sa.Column("updated_at", _time, nullable=False),
)
"""办不成事 requests (``requester`` is personal data, for the county's follow-up)."""

audit_summaries = sa.Table(
    "audit_summaries", metadata,
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("counts", sa.Text, nullable=False),
    sa.Column("received_at", _time, nullable=False),
)

blobs = sa.Table(
    "blobs", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("length", sa.BigInteger, nullable=False),
    sa.Column("offset", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", _time, nullable=False),
    sa.Column("updated_at", _time, nullable=False),
    sa.Column("expires_at", _time),
    sa.Index("blobs_expiry", "state", "expires_at"),
)
"""One tus upload, addressed by the sha256 of the whole blob: ``uploading`` until the last
byte, then ``final`` (the hash matched) or ``expired`` (24 h without a chunk). The bytes are
the rows of :data:`blob_chunks`, kept as they came (a final blob is read chunk by chunk)."""

blob_chunks = sa.Table(
    "blob_chunks", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("offset", sa.BigInteger, primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

blob_access = sa.Table(
    "blob_access", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("site", sa.String(32), primary_key=True),
    sa.Column("why", sa.Text, nullable=False),
)
"""Which site may download a blob: its uploader (``upload``), a case's site (``result``)."""

catalogue_versions = sa.Table(
    "catalogue_versions", metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("published_at", _time, nullable=False),
)

changes = sa.Table(
    "changes", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("stream", sa.String(32), nullable=False),
    sa.Column("site", sa.String(32)),
    sa.Column("item", sa.Text, nullable=False),
    sa.Column("created_at", _time, nullable=False),
    sa.Index("changes_stream", "stream", "site", "id"),
)
"""The pull streams. ``id`` is the cursor, taken from the ``changes`` counter inside the
writing transaction: the counter's row lock makes ids commit in order, so a reader never sees
id 11 before id 10 commits and skips 10 for ever (an autoincrement would allow that on
PostgreSQL). ``site`` NULL: an item for every site (the catalogue)."""
