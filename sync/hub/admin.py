"""What county staff do and see at the hub: enrolment codes, the sites' health, cases and
their 后台分类审批 with result documents, ratings and their rectification, and what each
stream carries down (docs/sync-protocol.md). The staff pages and the ``bianmin hub`` commands
call these; nothing here speaks HTTP.

Every answer is plain JSON-ready data with times as ISO 8601 UTC. A refusal is
:class:`AdminError` in plain words (中文 / English).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.engine import Connection

from sync.protocol.messages import reconcile_hash

from . import auth, blobs, changes, schema
from .changes import dumps
from .db import Database
from .settings import HubSettings
from .times import iso

SITE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
CASE_ACTIONS = {"review": "in_review", "done": "done", "return": "returned"}
"""``move_case`` actions and the county status each leads to (审核, 办结, 退回)."""
FINAL_COUNTY_STATUSES = ("done", "returned")


class AdminError(ValueError):
    """A staff action that cannot be done; the message is plain words."""


class HolderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=60)
    id_number: str = Field(pattern=r"^[0-9]{17}[0-9Xx]$")
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 -]{5,20}$")
    """The phone the booking was made with: a kiosk finds the booking by it."""


class AppointmentIn(BaseModel):
    """An appointment item (docs/sync-protocol.md, streams: ``appointments``)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64)
    category: str = Field(min_length=1, max_length=8)
    start: str = Field(min_length=1, max_length=40)
    end: str = Field(min_length=1, max_length=40)
    code: str = Field(min_length=1, max_length=32)
    holder: HolderIn
    status: str = Field(min_length=1, max_length=20)


def _site(code: str) -> str:
    if not isinstance(code, str) or not SITE_PATTERN.match(code):
        raise AdminError(f"站点代码不对 / a site code is 1-32 letters, digits, _ or -: "
                         f"{code!r}")
    return code


class Admin:
    """The county's side of the hub, on the hub's database and clock."""

    def __init__(self, db: Database, settings: HubSettings, clock: Callable[[], float]):
        self.db = db
        self.settings = settings
        self.clock = clock

    # --- sites -------------------------------------------------------------------------

    def enrol_code(self, site: str) -> dict[str, Any]:
        """A one-time enrolment code for ``site`` (10 characters, valid
        ``enrol_code_hours``): ``{"code", "site", "expires_at"}``."""
        now = self.clock()
        with self.db.write() as conn:
            code, expires = auth.make_enrol_code(conn, _site(site), now,
                                                 self.settings.enrol_code_hours)
        return {"code": code, "site": site, "expires_at": iso(expires)}

    def sites(self) -> list[dict[str, Any]]:
        """Every enrolled site with when it was last seen, its version, backlog (ops still
        in its outbox, from the last heartbeat) and health, by code."""
        s = schema.sites
        with self.db.read() as conn:
            counts = self._per_site_counts(conn)
            rows = conn.execute(sa.select(s).order_by(s.c.code)).mappings().all()
        return [{"site": r["code"], "key_id": r["key_id"], "enrolled_at": iso(r["enrolled_at"]),
                 "last_seen": iso(r["last_seen"]), "heartbeat_at": iso(r["heartbeat_at"]),
                 "version": r["version"], "backlog": r["backlog"],
                 "health": json.loads(r["health"]), "status": json.loads(r["status"]),
                 **counts.get(r["code"], {"ops": 0, "cases": 0, "blobs": 0})} for r in rows]

    def _per_site_counts(self, conn: Connection) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}

        def add(key: str, query: sa.Select[Any]) -> None:
            for site, n in conn.execute(query):
                out.setdefault(site, {"ops": 0, "cases": 0, "blobs": 0})[key] = int(n)

        ops, cases, access, b = schema.ops, schema.cases, schema.blob_access, schema.blobs
        add("ops", sa.select(ops.c.site, sa.func.count()).group_by(ops.c.site))
        add("cases", sa.select(cases.c.site, sa.func.count()).group_by(cases.c.site))
        add("blobs", sa.select(access.c.site, sa.func.count()).join(
            b, b.c.sha256 == access.c.sha256).where(access.c.why == "upload",
                                                     b.c.state == "final")
            .group_by(access.c.site))
        return out

    def stats(self) -> dict[str, Any]:
        """``{"ops", "cases", "blobs", "sites": {CODE: {"ops", "cases", "blobs",
        "last_seen"}}}`` (the ``bianmin hub stats --json`` contract)."""
        with self.db.read() as conn:
            counts = self._per_site_counts(conn)
            total = {name: int(conn.execute(sa.select(sa.func.count()).select_from(table)
                                            .where(*where)).scalar_one())
                     for name, table, where in (
                         ("ops", schema.ops, ()), ("cases", schema.cases, ()),
                         ("blobs", schema.blobs, (schema.blobs.c.state == "final",)))}
            seen = dict(conn.execute(sa.select(schema.sites.c.code,
                                              schema.sites.c.last_seen)).all())
        sites = {code: {**counts.get(code, {"ops": 0, "cases": 0, "blobs": 0}),
                        "last_seen": iso(last)} for code, last in sorted(seen.items())}
        return {**total, "sites": sites}

    def records(self, site: str) -> dict[str, Any]:
        """What the hub holds for the site: ``{"ops": [op_id, ...], "hash"}``."""
        with self.db.read() as conn:
            held = changes.held_ops(conn, site)
        return {"ops": held, "hash": reconcile_hash(held)}

    def rejections(self, site: str | None = None) -> list[dict[str, Any]]:
        """The ops the hub refused (the last reason of each), newest first."""
        r = schema.rejections
        query = sa.select(r).order_by(r.c.at.desc())
        if site is not None:
            query = query.where(r.c.site == site)
        with self.db.read() as conn:
            rows = conn.execute(query).mappings().all()
        return [{**row, "at": iso(row["at"])} for row in rows]

    # --- cases -------------------------------------------------------------------------

    def cases(self, *, site: str | None = None, county_status: str | None = None,
              open_only: bool = False, limit: int = 100, offset: int = 0,
              ) -> list[dict[str, Any]]:
        """Cases without personal data, newest first: site, case_id, official_no,
        receipt_no, item_codes, site_status, county_status (None: not yet looked at),
        accepted_at, received_at, updated_at, blobs_lost.

        :param open_only: only cases the county has not finished (done or returned).
        """
        c = schema.cases
        query = sa.select(c.c.site, c.c.case_id, c.c.official_no, c.c.receipt_no,
                          c.c.item_codes, c.c.site_status, c.c.county_status, c.c.accepted_at,
                          c.c.received_at, c.c.updated_at, c.c.blobs_lost)
        if site is not None:
            query = query.where(c.c.site == site)
        if county_status is not None:
            query = query.where(c.c.county_status == county_status)
        if open_only:
            query = query.where(sa.or_(c.c.county_status.is_(None),
                                       c.c.county_status.not_in(FINAL_COUNTY_STATUSES)))
        query = query.order_by(c.c.received_at.desc(), c.c.official_no.desc())
        with self.db.read() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).mappings().all()
        return [_case_row(row) for row in rows]

    def case(self, site: str, case_id: str) -> dict[str, Any]:
        """One case in full for the staff who handle it: as :meth:`cases` plus ``payload``
        (the applicant: personal data), ``history``, ``county_history``, ``pages`` and
        ``results``."""
        c = schema.cases
        with self.db.read() as conn:
            row = conn.execute(sa.select(c).where(c.c.site == site, c.c.case_id == case_id)
                               ).mappings().first()
            if row is None:
                raise _no_case(case_id)
            p, r = schema.case_pages, schema.case_results
            pages = conn.execute(sa.select(p.c.material_code, p.c.page_no, p.c.sha256,
                                           p.c.lost).where(p.c.site == site,
                                                           p.c.case_id == case_id)
                                 .order_by(p.c.material_code, p.c.page_no)).mappings().all()
            results = conn.execute(sa.select(r.c.sha256, r.c.size, r.c.media_type, r.c.name,
                                             r.c.at).where(r.c.site == site,
                                                           r.c.case_id == case_id)
                                   .order_by(r.c.at)).mappings().all()
        return {**_case_row(row), "bundle_code": row["bundle_code"],
                "payload": json.loads(row["payload"]), "history": json.loads(row["history"]),
                "county_history": json.loads(row["county_history"]),
                "pages": [dict(x) for x in pages],
                "results": [{**x, "at": iso(x["at"])} for x in results]}

    def move_case(self, site: str, case_id: str, action: str, by: str, note: str = "",
                  result: tuple[bytes, str, str] | None = None) -> dict[str, Any]:
        """A county step on a case: ``review`` (审核, ``in_review``), ``done`` (办结),
        ``return`` (退回), with an optional result document ``(data, media_type, name)``
        kept as a final blob the site may download. Appends the step to the case's
        ``case_status`` stream; returns the stream item."""
        if action not in CASE_ACTIONS:
            raise AdminError(f"不认识的操作 / unknown action {action!r}: one of "
                             f"{', '.join(CASE_ACTIONS)}")
        if not by.strip():
            raise AdminError("须写明经办人 / say who did it (by)")
        status = CASE_ACTIONS[action]
        now = self.clock()
        c = schema.cases
        with self.db.write() as conn:
            row = conn.execute(sa.select(c.c.official_no, c.c.county_status, c.c.county_history)
                               .where(c.c.site == site, c.c.case_id == case_id)
                               .with_for_update()).first()
            if row is None:
                raise _no_case(case_id)
            if row.county_status in FINAL_COUNTY_STATUSES:
                raise AdminError(f"办件 {row.official_no} 已{_ZH[row.county_status]}，不能再改 / "
                                 f"case {row.official_no} is {row.county_status} already")
            step = {"kind": status, "at": iso(now), "by": by, "note": note}
            made = None
            if result is not None:
                data, media_type, name = result
                sha = blobs.store_final(conn, self.db, self.settings, data, media_type, name,
                                        site, now)
                made = {"sha256": sha, "size": len(data), "media_type": media_type,
                        "name": name}
                conn.execute(self.db.upsert(schema.case_results, {
                    "site": site, "case_id": case_id, "sha256": sha, "size": len(data),
                    "media_type": media_type, "name": name, "at": now},
                    ["site", "case_id", "sha256"]))
            history = [*json.loads(row.county_history), {**step, "result": made}]
            conn.execute(sa.update(c).where(c.c.site == site, c.c.case_id == case_id).values(
                county_status=status, county_history=dumps(history), updated_at=now))
            item = {"case_id": case_id, "official_no": row.official_no, "status": status,
                    "step": step, "result": made}
            cursor = changes.append(conn, self.db, "case_status", site, item, now)
        return {**item, "cursor": str(cursor)}

    # --- what goes down ----------------------------------------------------------------

    def publish_catalogue(self, body: Mapping[str, Any], version: str) -> dict[str, Any]:
        """Publish a catalogue version (the format of ``kiosk/data/catalogue.json``) to every
        site; the site validates it before it becomes current. Publishing the same version
        with the same body again changes nothing; with another body it is refused."""
        if not isinstance(body, Mapping):
            raise AdminError("事项清单须是 JSON 对象 / a catalogue is a JSON object")
        if not isinstance(version, str) or not 1 <= len(version.strip()) <= 64:
            raise AdminError("版本号须是 1-64 个字符 / a version is 1-64 characters")
        version = version.strip()
        text = dumps(dict(body))
        now = self.clock()
        v = schema.catalogue_versions
        with self.db.write() as conn:
            found = conn.execute(sa.select(v.c.body, v.c.published_at).where(
                v.c.version == version)).first()
            if found is not None:
                if found.body != text:
                    raise AdminError(f"版本 {version} 已发布过，内容不同 / version {version} was "
                                     f"published already with another body")
                return {"version": version, "published_at": iso(found.published_at),
                        "cursor": None}
            conn.execute(sa.insert(v).values(version=version, body=text, published_at=now))
            cursor = changes.append(conn, self.db, "catalogue", None, {
                "version": version, "published_at": iso(now), "body": dict(body)}, now)
        return {"version": version, "published_at": iso(now), "cursor": str(cursor)}

    def add_appointment(self, site: str, item: Mapping[str, Any]) -> dict[str, Any]:
        """A booking made on the county platform, sent to the site that will check it in:
        ``{"id", "category", "start", "end", "code", "holder": {"name", "id_number", "phone"},
        "status"}``. A change of the same booking is sent again with the same ``id``."""
        try:
            checked = AppointmentIn.model_validate(dict(item)).model_dump(exclude_none=True)
        except ValidationError as exc:
            where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])} ({e['type']})"
                              for e in exc.errors()[:5])
            raise AdminError(f"预约内容不对 / the appointment has problems: {where}") from None
        now = self.clock()
        with self.db.write() as conn:
            cursor = changes.append(conn, self.db, "appointments", _site(site), checked, now)
        return {**checked, "cursor": str(cursor)}

    def move_rectification(self, site: str, rectification_id: str, stage: str, status: str,
                           by: str, note: str = "") -> dict[str, Any]:
        """A county step on a bad rating's follow-up (整改): recorded in its history and
        sent to the site on the ``rectifications`` stream."""
        now = self.clock()
        r = schema.rectifications
        entry = {"kind": stage, "at": iso(now), "by": by, "to": status, "note": note}
        with self.db.write() as conn:
            row = conn.execute(sa.select(r.c.history).where(
                r.c.site == site, r.c.id == rectification_id).with_for_update()).first()
            if row is None:
                raise AdminError(f"没有这个整改任务 / no rectification task {rectification_id!r} "
                                 f"of site {site}")
            conn.execute(sa.update(r).where(r.c.site == site, r.c.id == rectification_id)
                         .values(stage=stage, status=status, updated_at=now,
                                 history=dumps([*json.loads(row.history),
                                                {**entry, "source": "county"}])))
            item = {"id": rectification_id, "stage": stage, "status": status, "entry": entry}
            cursor = changes.append(conn, self.db, "rectifications", site, item, now)
        return {**item, "cursor": str(cursor)}

    def new_epoch(self) -> str:
        """A new stream handle (after restoring the hub from a backup): every site reads
        its streams from the start again."""
        with self.db.write() as conn:
            return changes.new_epoch(conn)

    # --- ratings -----------------------------------------------------------------------

    def ratings_overview(self) -> dict[str, Any]:
        """Per site: how many ratings, how many at each level, the mean level, and the open
        rectification tasks; no rater's identity."""
        g, r = schema.ratings, schema.rectifications
        with self.db.read() as conn:
            levels = conn.execute(sa.select(g.c.site, g.c.level, sa.func.count())
                                  .group_by(g.c.site, g.c.level)).all()
            open_tasks = dict(conn.execute(sa.select(r.c.site, sa.func.count())
                                           .where(r.c.status == "open").group_by(r.c.site))
                              .all())
        out: dict[str, dict[str, Any]] = {}
        for site, level, n in levels:
            entry = out.setdefault(site, {"ratings": 0, "by_level": {}, "mean_level": None,
                                          "open_rectifications": 0})
            entry["ratings"] += int(n)
            entry["by_level"][str(level)] = int(n)
        for site, entry in out.items():
            entry["mean_level"] = round(sum(int(k) * v for k, v in entry["by_level"].items())
                                        / entry["ratings"], 2)
            entry["open_rectifications"] = int(open_tasks.get(site, 0))
        for site, n in open_tasks.items():
            out.setdefault(site, {"ratings": 0, "by_level": {}, "mean_level": None,
                                  "open_rectifications": int(n)})
        return dict(sorted(out.items()))

    def rectifications(self, *, site: str | None = None, open_only: bool = True,
                       ) -> list[dict[str, Any]]:
        """Rectification tasks with their rating's level, window and clerk."""
        r, g = schema.rectifications, schema.ratings
        query = sa.select(r.c.site, r.c.id, r.c.rating_id, r.c.stage, r.c.status, r.c.history,
                          r.c.deadline, r.c.updated_at, g.c.level, g.c.window, g.c.clerk,
                          g.c.rated_at).join(
            g, sa.and_(g.c.site == r.c.site, g.c.rating_id == r.c.rating_id), isouter=True)
        if site is not None:
            query = query.where(r.c.site == site)
        if open_only:
            query = query.where(r.c.status == "open")
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(r.c.updated_at)).mappings().all()
        return [{**row, "history": json.loads(row["history"]),
                 "updated_at": iso(row["updated_at"])} for row in rows]

    def unresolved(self, *, site: str | None = None, open_only: bool = True,
                   ) -> list[dict[str, Any]]:
        """办不成事 requests without who asked, by deadline."""
        u = schema.unresolved
        query = sa.select(u.c.site, u.c.id, u.c.what, u.c.why, u.c.item_code, u.c.window,
                          u.c.clerk, u.c.escalation, u.c.stage, u.c.deadline, u.c.outcome,
                          u.c.history, u.c.opened_at, u.c.updated_at)
        if site is not None:
            query = query.where(u.c.site == site)
        if open_only:
            query = query.where(u.c.outcome.is_(None))
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(u.c.deadline, u.c.id)).mappings().all()
        return [{**row, "history": json.loads(row["history"]),
                 "updated_at": iso(row["updated_at"])} for row in rows]


_ZH = {"done": "办结", "returned": "退回"}


def _no_case(case_id: str) -> AdminError:
    return AdminError(f"没有这个办件 / no case {case_id!r} of this site")


def _case_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"site": row["site"], "case_id": row["case_id"], "official_no": row["official_no"],
            "receipt_no": row["receipt_no"], "item_codes": json.loads(row["item_codes"]),
            "site_status": row["site_status"], "county_status": row["county_status"],
            "accepted_at": row["accepted_at"], "received_at": iso(row["received_at"]),
            "updated_at": iso(row["updated_at"]), "blobs_lost": json.loads(row["blobs_lost"])}
