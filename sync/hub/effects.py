"""What each op does to the county's records (docs/sync-protocol.md, "What goes up").

One function per ``(entity, op)``, run inside the op's savepoint together with the op's
``(site, op_id)`` row, so an op and its effect commit or vanish together. A payload is checked
against a model of the fields its effect needs (the payload shapes are the outbox payloads of
``offline_store``: cases.py, tickets.py, queue_state.py, ratings.py, unresolved.py); anything
else it carries is kept as sent. A refusal is :class:`Rejected`, whose message names fields,
never values (payloads carry personal data).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Connection

from sync.protocol.messages import WireOp

from . import schema
from .db import Database
from .settings import HubSettings

_SHA = r"^[0-9a-f]{64}$"
_DAY = r"^\d{4}-\d{2}-\d{2}$"
_INT = {"ge": -(2**31), "le": 2**31 - 1}
_kept = ConfigDict(extra="allow")
M = TypeVar("M", bound=BaseModel)


class Rejected(Exception):
    """The op cannot be applied, for good: ``code`` for the site, ``message`` in plain words."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Context:
    db: Database
    settings: HubSettings
    site: str
    now: float


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --- payload models: the fields each effect needs ------------------------------------------


class MaterialIn(BaseModel):
    model_config = _kept
    code: str = Field(min_length=1, max_length=64)
    state: str
    pages: list[str] = Field(default_factory=list)
    detail: dict[str, Any] | None = None
    due_date: str | None = None

    def page_hashes(self) -> list[str]:
        for sha in self.pages:
            if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
                raise Rejected("invalid_payload", "页面引用不是 sha256 / a page reference is "
                                                  "not a sha256 hex digest")
        return self.pages


class CaseAccepted(BaseModel):
    model_config = _kept
    receipt_no: str = Field(min_length=1)
    item_codes: list[str]
    status: str = Field(min_length=1)
    accepted_at: str = Field(min_length=1)
    applicant: dict[str, Any]
    materials: list[MaterialIn]
    history: list[dict[str, Any]] = Field(default_factory=list)
    bundle_code: str | None = None


class CaseStep(BaseModel):
    model_config = _kept
    status: str = Field(min_length=1)
    step: dict[str, Any]
    material: MaterialIn | None = None


class TicketIn(BaseModel):
    model_config = _kept
    number: str = Field(min_length=1)
    category: str = Field(min_length=1)
    service_day: str = Field(min_length=1)
    channel: str | None = None
    priority: int | None = Field(default=None, **_INT)
    issued_at: str | None = None
    queue_category: str | None = None
    window: str | None = None
    outcome: str | None = None
    first_called_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    served_s: float | None = None
    reasons: str | None = None


class RectificationOpened(BaseModel):
    """The task a bad rating opened at the site, with the deadline the site's rule set."""

    model_config = _kept
    stage: str | None = None
    status: str = "open"
    deadline: str | None = Field(default=None, pattern=_DAY)


class RatingIn(BaseModel):
    model_config = _kept
    level: int = Field(**_INT)
    channel: str
    rated_at: str
    dimensions: dict[str, int] = Field(default_factory=dict)
    reasons: list[str] = Field(default_factory=list)
    private: dict[str, Any] | None = None
    case_id: str | None = None
    ticket_id: str | None = None
    window: str | None = None
    clerk: str | None = None
    named: bool = False
    rectification_id: str | None = Field(default=None, min_length=1, max_length=64)
    rectification: RectificationOpened | None = None


class RectificationMoved(BaseModel):
    model_config = _kept
    stage: str
    status: str
    entry: dict[str, Any]
    deadline: str | None = Field(default=None, pattern=_DAY)


class UnresolvedOpened(BaseModel):
    model_config = _kept
    requester: dict[str, Any]
    what: str
    why: str
    escalation: str
    stage: str
    deadline: str | None = None
    at: str
    item_code: str | None = None
    window: str | None = None
    clerk: str | None = None


class UnresolvedMoved(BaseModel):
    model_config = _kept
    stage: str
    escalation: str
    entry: dict[str, Any]
    outcome: str | None = None
    deadline: str | None = None


class AuditSummary(BaseModel):
    model_config = _kept
    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    counts: dict[str, int]


def _parse(model: type[M], op: WireOp) -> M:
    if op.payload.get("id") not in (None, op.entity_id):
        raise Rejected("invalid_payload", "payload 的 id 与 entity_id 不同 / the payload's id "
                                          "is not the op's entity_id")
    try:
        return model.model_validate(op.payload)
    except ValidationError as exc:
        # the locations and kinds of the problems, never the values (personal data)
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'payload'} ({e['type']})"
                          for e in exc.errors()[:5])
        raise Rejected("invalid_payload", f"内容缺少或不对 / the payload lacks or has wrong "
                                          f"fields: {where}") from None


# --- cases ----------------------------------------------------------------------------------


def official_number(conn: Connection, ctx: Context) -> str:
    """``<prefix><yyyymmdd><6 digits>`` from the county-wide counter of the hub's day."""
    day = dt.datetime.fromtimestamp(ctx.now, ZoneInfo(ctx.settings.timezone)).strftime("%Y%m%d")
    return f"{ctx.settings.official_prefix}{day}{ctx.db.next_value(conn, f'official:{day}'):06d}"


def _case_accepted(conn: Connection, ctx: Context, op: WireOp) -> str:
    case = _parse(CaseAccepted, op)
    cases = schema.cases
    if conn.execute(sa.select(cases.c.official_no).where(
            cases.c.site == ctx.site, cases.c.case_id == op.entity_id)).first():
        raise Rejected("case_exists", "这个办件已经受理过 / this case was accepted already "
                                      "(by another op)")
    lost = set(op.blobs_lost)
    pages = [(m.code, n, sha, sha in lost)
             for m in case.materials for n, sha in enumerate(m.page_hashes(), start=1)]
    number = official_number(conn, ctx)
    conn.execute(sa.insert(cases).values(
        site=ctx.site, case_id=op.entity_id, official_no=number, receipt_no=case.receipt_no,
        item_codes=dumps(case.item_codes), bundle_code=case.bundle_code,
        site_status=case.status, accepted_at=case.accepted_at, received_at=ctx.now,
        updated_at=ctx.now, history=dumps(case.history), payload=dumps(op.payload),
        blobs_lost=dumps(sorted(lost))))
    if pages:
        conn.execute(sa.insert(schema.case_pages), [
            {"site": ctx.site, "case_id": op.entity_id, "material_code": code, "page_no": n,
             "sha256": sha, "lost": is_lost} for code, n, sha, is_lost in pages])
    return number


def _case_step(conn: Connection, ctx: Context, op: WireOp) -> str:
    step = _parse(CaseStep, op)
    cases = schema.cases
    row = conn.execute(sa.select(cases.c.official_no, cases.c.history, cases.c.payload,
                                 cases.c.blobs_lost).where(
        cases.c.site == ctx.site, cases.c.case_id == op.entity_id)).first()
    if row is None:
        raise Rejected("unknown_case", "中心没有这个办件 / the hub has no such case of this site")
    history = [*json.loads(row.history), step.step]
    payload = json.loads(row.payload)
    lost = sorted(set(json.loads(row.blobs_lost)) | set(op.blobs_lost))
    if step.material is not None:
        material = step.material
        hashes = material.page_hashes()
        pages = conn.execute(sa.select(sa.func.coalesce(sa.func.max(schema.case_pages.c.page_no),
                                                        0)).where(
            schema.case_pages.c.site == ctx.site, schema.case_pages.c.case_id == op.entity_id,
            schema.case_pages.c.material_code == material.code)).scalar_one()
        if hashes:
            conn.execute(sa.insert(schema.case_pages), [
                {"site": ctx.site, "case_id": op.entity_id, "material_code": material.code,
                 "page_no": pages + n, "sha256": sha, "lost": sha in op.blobs_lost}
                for n, sha in enumerate(hashes, start=1)])
        _merge_material(payload, material, hashes)
    conn.execute(sa.update(cases).where(cases.c.site == ctx.site,
                                        cases.c.case_id == op.entity_id).values(
        site_status=step.status, history=dumps(history), payload=dumps(payload),
        blobs_lost=dumps(lost), updated_at=ctx.now))
    return str(row.official_no)


def _merge_material(payload: dict[str, Any], material: MaterialIn, hashes: list[str]) -> None:
    """The case as the county reads it: the supplied material's new state, its pages added."""
    materials = payload.setdefault("materials", [])
    for entry in materials:
        if isinstance(entry, dict) and entry.get("code") == material.code:
            entry.update(state=material.state, detail=material.detail,
                         due_date=material.due_date,
                         pages=[*entry.get("pages", []), *hashes])
            return
    materials.append({"code": material.code, "state": material.state,
                      "detail": material.detail, "due_date": material.due_date,
                      "pages": hashes})


# --- queue visits ---------------------------------------------------------------------------


def _ticket(conn: Connection, ctx: Context, op: WireOp) -> None:
    ticket = _parse(TicketIn, op)
    columns = set(schema.visits.c.keys()) - {"site", "ticket_id"}
    values = {k: v for k, v in ticket.model_dump().items() if k in columns and v is not None}
    ctx.db.put(conn, schema.visits, {"site": ctx.site, "ticket_id": op.entity_id, **values},
               ["site", "ticket_id"], list(values))


# --- ratings and their follow-up ------------------------------------------------------------


def _rated(conn: Connection, ctx: Context, op: WireOp) -> None:
    rating = _parse(RatingIn, op)
    ratings = schema.ratings
    if conn.execute(sa.select(ratings.c.level).where(
            ratings.c.site == ctx.site, ratings.c.rating_id == op.entity_id)).first():
        raise Rejected("record_exists", "这条评价已经收到 / this rating arrived already "
                                        "(by another op)")
    conn.execute(sa.insert(ratings).values(
        site=ctx.site, rating_id=op.entity_id, level=rating.level,
        dimensions=dumps(rating.dimensions), reasons=dumps(rating.reasons),
        private=dumps(rating.private) if rating.private else None, case_id=rating.case_id,
        ticket_id=rating.ticket_id, window=rating.window, clerk=rating.clerk,
        channel=rating.channel, named=rating.named, rated_at=rating.rated_at,
        rectification_id=rating.rectification_id))
    if rating.rectification_id:
        opened = rating.rectification or RectificationOpened()
        conn.execute(ctx.db.upsert(schema.rectifications, {
            "site": ctx.site, "id": rating.rectification_id, "rating_id": op.entity_id,
            "stage": opened.stage, "status": opened.status, "deadline": opened.deadline,
            "history": "[]", "updated_at": ctx.now}, ["site", "id"]))


def _rectification_moved(conn: Connection, ctx: Context, op: WireOp) -> None:
    moved = _parse(RectificationMoved, op)
    table = schema.rectifications
    row = conn.execute(sa.select(table.c.history).where(
        table.c.site == ctx.site, table.c.id == op.entity_id)).first()
    if row is None:
        raise Rejected("unknown_rectification", "中心没有这个整改任务 / the hub has no such "
                                                "rectification task of this site")
    conn.execute(sa.update(table).where(table.c.site == ctx.site, table.c.id == op.entity_id)
                 .values(stage=moved.stage, status=moved.status, updated_at=ctx.now,
                         history=dumps([*json.loads(row.history),
                                        {**moved.entry, "source": "site"}]),
                         **({"deadline": moved.deadline} if moved.deadline else {})))


# --- 办不成事 -------------------------------------------------------------------------------


def _unresolved_opened(conn: Connection, ctx: Context, op: WireOp) -> None:
    opened = _parse(UnresolvedOpened, op)
    table = schema.unresolved
    if conn.execute(sa.select(table.c.stage).where(table.c.site == ctx.site,
                                                   table.c.id == op.entity_id)).first():
        raise Rejected("record_exists", "这条办不成事诉求已经收到 / this request arrived already "
                                        "(by another op)")
    conn.execute(sa.insert(table).values(
        site=ctx.site, id=op.entity_id, requester=dumps(opened.requester), what=opened.what,
        why=opened.why, item_code=opened.item_code, window=opened.window, clerk=opened.clerk,
        escalation=opened.escalation, stage=opened.stage, deadline=opened.deadline,
        history="[]", opened_at=opened.at, updated_at=ctx.now))


def _unresolved_moved(conn: Connection, ctx: Context, op: WireOp) -> None:
    moved = _parse(UnresolvedMoved, op)
    table = schema.unresolved
    row = conn.execute(sa.select(table.c.history, table.c.outcome, table.c.deadline).where(
        table.c.site == ctx.site, table.c.id == op.entity_id)).first()
    if row is None:
        raise Rejected("unknown_request", "中心没有这条办不成事诉求 / the hub has no such "
                                          "request of this site")
    conn.execute(sa.update(table).where(table.c.site == ctx.site, table.c.id == op.entity_id)
                 .values(stage=moved.stage, escalation=moved.escalation,
                         outcome=moved.outcome or row.outcome,
                         deadline=moved.deadline or row.deadline, updated_at=ctx.now,
                         history=dumps([*json.loads(row.history), moved.entry])))


# --- the audit log's daily counts ----------------------------------------------------------


def _audit_summary(conn: Connection, ctx: Context, op: WireOp) -> None:
    summary = _parse(AuditSummary, op)
    counts = dumps(summary.counts)
    conn.execute(ctx.db.upsert(schema.audit_summaries, {
        "site": ctx.site, "day": summary.day, "counts": counts, "received_at": ctx.now},
        ["site", "day"], {"counts": counts, "received_at": ctx.now}))


Effect = Callable[[Connection, Context, WireOp], str | None]

EFFECTS: dict[tuple[str, str], Effect] = {
    ("case", "accepted"): _case_accepted,
    **{("case", name): _case_step
       for name in ("material_supplied", "materials_completed", "done", "withdrawn")},
    ("ticket", "issued"): _ticket,
    ("ticket", "ended"): _ticket,
    ("rating", "rated"): _rated,
    ("rectification", "moved"): _rectification_moved,
    ("unresolved", "opened"): _unresolved_opened,
    ("unresolved", "moved"): _unresolved_moved,
    ("audit", "summary"): _audit_summary,
}


def apply(conn: Connection, ctx: Context, op: WireOp) -> str | None:
    """Apply one op's effect; its ``server_ref`` (a case's official number) or None."""
    effect = EFFECTS.get((op.entity, op.op))
    if effect is None:
        raise Rejected("unknown_op", f"中心不认识这种操作 / the hub does not know the op "
                                     f"{op.entity}/{op.op}")
    return effect(conn, ctx, op)
