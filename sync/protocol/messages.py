"""The JSON bodies of the sync protocol (docs/sync-protocol.md), as strict pydantic models.

The hub validates every request body with these; the daemon validates every answer with them,
so a hostile or broken hub answer becomes a plain error rather than a KeyError deep inside.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_OPS = 100
MAX_BATCH_BYTES = 4 * 1024 * 1024
MAX_PULL = 500
STREAMS = ("catalogue", "case_status", "appointments", "rectifications")

_SHA = r"^[0-9a-f]{64}$"
_SITE = r"^[A-Za-z0-9_-]{1,32}$"
_strict = ConfigDict(extra="forbid", frozen=True)
_lenient = ConfigDict(extra="ignore", frozen=True)  # answers may grow fields


class EnrolRequest(BaseModel):
    model_config = _strict

    site: str = Field(pattern=_SITE)
    code: str = Field(min_length=6, max_length=32)
    public_key: str = Field(min_length=40, max_length=64)
    """Base64 of the 32 raw bytes of an Ed25519 public key."""
    version: str = Field(default="", max_length=40)


class EnrolAnswer(BaseModel):
    model_config = _lenient

    site: str
    key_id: str
    hub_time: str


class WireOp(BaseModel):
    """One outbox op as sent."""

    model_config = _strict

    op_id: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=0)
    entity: str = Field(min_length=1, max_length=32)
    entity_id: str = Field(min_length=1, max_length=64)
    op: str = Field(min_length=1, max_length=40)
    created_at: str = Field(max_length=40)
    clock_synced: bool
    payload: dict[str, Any]
    blobs: list[str] = Field(default_factory=list, max_length=1000)
    blobs_lost: list[str] = Field(default_factory=list, max_length=1000)


class OpsBatch(BaseModel):
    model_config = _strict

    batch_id: str = Field(min_length=1, max_length=64)
    ops: list[WireOp] = Field(min_length=1, max_length=MAX_OPS)


class OpResult(BaseModel):
    model_config = _lenient

    op_id: str
    status: Literal["applied", "duplicate", "rejected", "deferred"]
    server_ref: str | None = None
    code: str | None = None
    message: str | None = None
    missing: list[str] = Field(default_factory=list)


class OpsAnswer(BaseModel):
    model_config = _lenient

    results: list[OpResult]
    hub_time: str


class ChangeItem(BaseModel):
    """One item of a pull stream; the rest of its fields depend on the stream."""

    model_config = ConfigDict(extra="allow", frozen=True)

    cursor: str = Field(min_length=1, max_length=64)


class ChangesPage(BaseModel):
    model_config = _lenient

    stream: Literal["catalogue", "case_status", "appointments", "rectifications"]
    handle: str = Field(min_length=1, max_length=64)
    cursor: str | None = Field(default=None, max_length=64)
    has_more: bool
    items: list[ChangeItem] = Field(max_length=MAX_PULL)


class Heartbeat(BaseModel):
    model_config = _strict

    version: str = Field(max_length=40)
    status: dict[str, Any]
    health: dict[str, Any] = Field(default_factory=dict)


class TokenAnswer(BaseModel):
    model_config = _lenient

    token: str
    expires_at: str


class Reconciliation(BaseModel):
    model_config = _lenient

    ops: int
    hash: str = Field(pattern=_SHA)


class ErrorDetail(BaseModel):
    model_config = _lenient

    code: str
    message: str = ""


class ErrorBody(BaseModel):
    model_config = _lenient

    error: ErrorDetail


def reconcile_hash(op_ids: Iterable[str]) -> str:
    """The reconciliation hash (docs/sync-protocol.md, Reconciliation): sha256 over the
    ``op_id``s sorted, each followed by ``\\n``. Both sides compute it the same way."""
    return hashlib.sha256("".join(f"{op_id}\n" for op_id in sorted(op_ids)).encode()).hexdigest()
