"""The station's case desk (一窗受理): the catalogue the counter searches, the preview of a
case being drafted, the acceptance that stores it, and the cases read back for a reprint.

The rules are the domain's (``kiosk/domain/cases.py``): the merged checklist, each
material's state, 容缺 and 免提交 only where the catalogue allows them, the promised date on
the site's working-day calendar (限时办结), the one-time notice (一次性告知). The GB 11643
check digit of a typed ID number is ``drivers.gb11643.is_valid`` (the domain may not import
drivers). What is stored is ``offline_store/cases.py``'s: the case, its history's first step,
its materials, the pages re-sealed under the case's own data key, the blob rows, the outbox
op and the audit entry, in the request's one transaction.

Answers never carry the applicant's or the agent's name or ID number in full, only masked
(the receipt's rule, ``kiosk/printouts.py``): answers are kept in the store for retries, and
the counter holds the full values in memory itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from drivers.gb11643 import is_valid
from kiosk import catalogue_loader
from kiosk.domain import case_body as shape
from kiosk.domain import cases as rules
from kiosk.domain.catalogue import Catalogue
from kiosk.domain.masking import mask_id_number, mask_name
from kiosk.domain.receipt_code import receipt_payload
from kiosk.domain.workdays import WorkdayCalendar
from offline_store import audit
from offline_store import cases as store

from .engine import Answer, QueueEngine, Refused
from .uploads import Staging

HOME_VISIT_MAX_AGE = dt.timedelta(days=30)
"""How old a home visit (上门服务) delivered later may be: a village agent offline for a
month is already far outside the rules; anything older is refused for a person to look at."""
CLOCK_SKEW = dt.timedelta(minutes=5)
OFFLINE_MODES = ("home_visit", "agent")
"""Modes whose counter may accept with no station reachable and deliver later: the case
then brings the time it was accepted and the receipt number the counter printed."""

NO_CATALOGUE = ("尚未载入事项清单，请技术员运行 bianmin catalogue load / no catalogue is "
                "loaded: the technician runs bianmin catalogue load")


class CaseDesk:
    def __init__(self, engine: QueueEngine, calendar: WorkdayCalendar, staging: Staging, *,
                 query_url: str = "", rongque_days: int = rules.RONGQUE_DAYS):
        """:param query_url: where a citizen asks about a case (the receipt's QR code):
            ``{receipt_no}`` and ``{token}`` filled in (``kiosk/domain/receipt_code.py``;
            the token is the site's keyed code token of the receipt number, without which
            the kiosk opens nothing). Empty: the kiosk's own ``BMR:<receipt_no>:<token>``."""
        self.engine = engine
        self.calendar = calendar
        self.staging = staging
        self.query_url = query_url
        self.rongque_days = rongque_days
        self._stamp: tuple[str, str] | None = None
        self._catalogue: Catalogue | None = None
        self._listing: dict[str, Any] | None = None
        self._source: dict[str, Any] | None = None

    # --- the catalogue (on the writer: it reads the store) ----------------------------------

    def catalogue(self) -> Catalogue:
        """The current catalogue, parsed again only when a new version was loaded."""
        rows = self.engine.site.store.query(
            "SELECT version, loaded_at FROM catalogue_versions WHERE is_current = 1")
        if not rows:
            raise Refused(409, "no_catalogue", NO_CATALOGUE)
        stamp = (rows[0]["version"], rows[0]["loaded_at"])
        if stamp != self._stamp or self._catalogue is None:
            found = catalogue_loader.current(self.engine.site)
            if found is None:
                raise Refused(409, "no_catalogue", NO_CATALOGUE)
            self._catalogue, self._listing, self._stamp = found[0], None, stamp
            self._source = None
        return self._catalogue

    def listing(self, full: bool = False) -> dict[str, Any]:
        """``GET /v1/catalogue``: what the counter searches (the counter makes the pinyin
        initials itself, ``kiosk/domain/search.py``: pypinyin's phrase dictionary is 56 MB
        and 200,000 objects the station's collector would walk on every full pass).
        ``full``: with ``source``, the catalogue as its file has it (``Catalogue.to_data``,
        which ``parse_catalogue`` reads back), so a counter that may lose the station
        (上门服务, 帮办代办) keeps the rules with it."""
        catalogue = self.catalogue()
        if full:
            if self._source is None:
                self._source = catalogue.to_data()
            return {**self.listing(), "source": self._source}
        if self._listing is None:
            self._listing = {
                "version": catalogue.version, "sample": catalogue.sample,
                "items": [{"code": i.code, "name": i.name, "name_en": i.name_en,
                           "department": i.department, "category": i.category,
                           "level": i.level, "promised_days": i.promised_days}
                          for i in catalogue.items.values()],
                "bundles": [{"code": b.code, "name": b.name, "name_en": b.name_en,
                             "level": catalogue.bundle_level(b.code),
                             "item_codes": list(b.item_codes),
                             "promised_days": b.promised_days}
                            for b in catalogue.bundles.values()],
            }
        return self._listing

    # --- preview -------------------------------------------------------------------------------

    def preview(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """What accepting ``body`` now would decide, every problem at once; writes nothing.
        A captured material counts ``page_count`` when given, else its ``pages``."""
        catalogue = self.catalogue()
        on = self._accepted_at(body).date()
        with _as_refusal():
            return shape.preview(catalogue, self.calendar, body, on=on, id_check=is_valid,
                                 rongque_days=self.rongque_days)

    # --- acceptance (on the writer, inside the request's transaction) ------------------------

    def pages_of(self, body: Mapping[str, Any]) -> list[str]:
        """Every page hash the body refers to (to discard once the case is kept)."""
        return [sha for m in body.get("materials", ()) if m.get("state") == "captured"
                for sha in m.get("pages", ())]

    def accept(self, conn: sqlite3.Connection, body: Mapping[str, Any], *,
               actor: str) -> Answer:
        """Accept and store the case, or refuse with every problem (422), with the pages
        not staged yet (409 ``missing_uploads``), or for an unknown ticket or window (404)."""
        engine = self.engine
        catalogue = self.catalogue()
        ticket_id, window, mode = body.get("ticket_id"), body.get("window"), body["mode"]
        if ticket_id is not None and conn.execute(
                "SELECT 1 FROM tickets WHERE id = ?", (ticket_id,)).fetchone() is None:
            raise Refused(404, "not_found", f"没有这张号票 / no ticket {ticket_id!r}")
        if window is not None:
            engine.window(window)
        at = self._accepted_at(body)
        receipt_no = self._given_receipt_no(conn, body, window)
        problems = self._party_problems(body)
        if problems:
            raise Refused(422, "invalid_party", shape.joined(problems),
                          problems=[shape.problem_json(p) for p in problems])
        with _as_refusal():
            states, pages = shape.states_of(body["materials"], preview=False)
        codes = list(body.get("item_codes") or ())
        bundle = body.get("bundle_code")
        try:
            acceptance = rules.accept(catalogue, states, accepted_on=at.date(),
                                      calendar=self.calendar, item_codes=codes,
                                      bundle_code=bundle, rongque_days=self.rongque_days)
        except rules.AcceptanceRefused as exc:
            raise Refused(422, "acceptance_refused", shape.joined(exc.problems),
                          problems=[shape.problem_json(p) for p in exc.problems],
                          notice=[shape.notice_json(n) for n in exc.notice]) from None
        except rules.CaseError as exc:  # no items, an unknown item or bundle
            problem = rules.Problem("items", str(exc))
            raise Refused(422, "acceptance_refused", problem.message,
                          problems=[shape.problem_json(problem)], notice=[]) from None
        missing = [sha for shas in pages.values() for sha in shas if not self.staging.has(sha)]
        if missing:
            raise _missing(missing)
        clerk = engine.clerks.get(window) if window else None
        item_codes = list(catalogue.bundles[bundle].item_codes) if bundle else codes
        receipt = self._receipt(catalogue, acceptance, item_codes, bundle, clerk, conn)
        _, step = rules.new_case("-", acceptance, at, clerk or actor)
        records = [self._record(code, state, pages.get(code, ()))
                   for code, state in acceptance.materials]
        applicant, agent = shape.parties(body)
        made = store.accept_case(
            conn, engine.site, site_code=engine.s.site_code, local_day=at.date(),
            applicant=applicant.record(), agent=agent.record() if agent else None,
            item_codes=item_codes, bundle_code=bundle, catalogue_version=catalogue.version,
            materials=records, status=acceptance.status.value, first_step=step.entry(),
            mode=mode, window=window, clerk=clerk, accepted_at=at.astimezone(dt.UTC),
            promised_date=acceptance.promised_date.isoformat(), ticket_id=ticket_id,
            receipt=receipt, receipt_no=receipt_no)
        counts = {state: sum(1 for _, s in acceptance.materials if s.state == state)
                  for state in store.MATERIAL_STATES}
        audit.record(conn, engine.site.clock, actor=actor, action="case.accepted",
                     subject=made["id"], detail={
                         "materials": counts, "pages": len(made["blob_hashes"]),
                         "items": len(item_codes), "mode": mode, "window": window})
        answer = self._public({
            "id": made["id"], "receipt_no": made["receipt_no"],
            "status": acceptance.status.value, "accepted_at": made["accepted_at"],
            "window": window, "clerk": clerk, "mode": mode, "ticket_id": ticket_id,
            "receipt": receipt, "applicant": applicant.record(),
            "agent": agent.record() if agent else None})
        event = engine.event("case.accepted", window=window, status=acceptance.status.value)
        return Answer(201, answer, [event])

    # --- steps after acceptance (补交, 办结, 撤回) ------------------------------------------------

    def step(self, conn: sqlite3.Connection, case_id: str, step: str,
             body: Mapping[str, Any], *, actor: str) -> Answer:
        """One step of an accepted case, as the domain allows it: ``supply`` a deferred
        material (captured with its uploaded pages, or waived where its line allows),
        ``finish`` (办结), ``withdraw`` (撤回, with why). The case, its history, the material,
        its pages, the outbox op and the audit entry in the request's one transaction."""
        engine = self.engine
        found = store.case_state(conn, engine.site, case_id)
        if found is None:
            raise Refused(404, "not_found", f"没有这个办件 / no case {case_id!r}")
        case = rules.Case(case_id, rules.CaseStatus(found["status"]), tuple(
            (code, rules.material_from_record(*record))
            for code, record in found["materials"].items()),
            tuple(rules.Step.from_entry(e) for e in found["history"]))
        at = engine.local(engine.now())
        by = engine.clerks.get(body.get("window")) if body.get("window") else None
        by = by or actor
        note = str(body.get("note") or "")
        record = None
        try:
            if step == "supply":
                given = body.get("material") or {}
                with _as_refusal():
                    states, pages = shape.states_of([given], preview=False)
                code, state = next(iter(states.items()))
                if not isinstance(state, rules.Captured | rules.Waived):
                    raise rules.CaseError("补交的材料须已采集或免提交 / a supplied material is "
                                          "captured or waived")
                missing = [sha for sha in pages.get(code, ()) if not self.staging.has(sha)]
                if missing:
                    raise _missing(missing)
                bundle = found["bundle_code"]  # a bundle's case keeps its items' codes too
                lines = rules.checklist(self.catalogue(), bundle_code=bundle) if bundle else \
                    rules.checklist(self.catalogue(), item_codes=found["item_codes"])
                line = next((ln for ln in lines if ln.material.code == code), None)
                if line is None:
                    raise rules.CaseError(f"{code} 不在本案材料中 / {code} is not a material "
                                          "of this case")
                case, done = rules.supply(case, line, state, at, by)
                record = self._record(code, state, pages.get(code, ()))
            elif step == "finish":
                case, done = rules.finish(case, at, by, note)
            else:
                case, done = rules.withdraw(case, at, by, note)
        except rules.CaseError as exc:
            raise Refused(409, "invalid_transition", str(exc)) from None
        made = store.move_case(conn, engine.site, case_id, status=case.status.value,
                               entry=done.entry(), op=done.kind, material=record)
        audit.record(conn, engine.site.clock, actor=actor, action=f"case.{done.kind}",
                     subject=case_id, detail={"pages": len(made["blob_hashes"]),
                                              "status": case.status.value})
        event = engine.event("case.changed", status=case.status.value, step=done.kind)
        return Answer(200, {"id": case_id, "status": case.status.value,
                            "step": done.entry(), "history": [
                                s.entry() for s in case.history]}, [event])

    def _record(self, code: str, state: rules.MaterialState,
                shas: Sequence[str]) -> store.MaterialRecord:
        kind, detail, due = rules.material_record(state)
        pages = [store.Page(self._loader(sha), self.staging.media_type(sha) or "image/jpeg")
                 for sha in shas]
        return store.MaterialRecord(code, kind, pages, detail, due)

    def _loader(self, sha: str) -> Callable[[], bytes]:
        def load() -> bytes:
            try:
                return self.staging.load(sha)
            except LookupError:
                # swept between the check and now: the transaction rolls back, the
                # counter uploads it again
                raise _missing([sha]) from None
        return load

    def _receipt(self, catalogue: Catalogue, acceptance: rules.Acceptance,
                 item_codes: Sequence[str], bundle: str | None, clerk: str | None,
                 conn: sqlite3.Connection) -> dict[str, Any]:
        """What the receipt shows apart from the person: kept with the case for a reprint."""
        materials = []
        for code, state in acceptance.materials:
            waived = isinstance(state, rules.Waived)
            materials.append({
                "code": code, "name": catalogue.materials[code].name,
                "name_en": catalogue.materials[code].name_en, "state": state.state,
                "pages": state.pages if isinstance(state, rules.Captured) else 0,
                "due": state.due.isoformat() if isinstance(state, rules.Deferred) else None,
                "reason": state.reason if waived else None})
        row = conn.execute("SELECT name FROM clerks WHERE id = ?", (clerk,)).fetchone() \
            if clerk else None
        return {
            "items": [{"code": c, "name": catalogue.items[c].name} for c in item_codes],
            "bundle": {"code": bundle, "name": catalogue.bundles[bundle].name}
            if bundle else None,
            "materials": materials,
            "notice": [shape.notice_json(n) for n in acceptance.notice],
            "accepted_on": acceptance.accepted_on.isoformat(),
            "promised_days": acceptance.promised_days,
            "promised_date": acceptance.promised_date.isoformat(),
            "promised_estimated": acceptance.promised_estimated,
            "fees": [shape.fee_json(f) for f in acceptance.fees],
            "fee_total_yuan": acceptance.fee_total_yuan,
            "catalogue_version": catalogue.version,
            "clerk_name": row[0] if row else None,
        }

    def screen_audit(self, conn: sqlite3.Connection, *, action: str, subject: str,
                     screen: str, window: str | None, actor: str) -> Answer:
        """``POST /v1/audit``: a screen's view of personal data or print, with the clerk
        signed in at its window; the data itself never reaches the log."""
        if window is not None:
            self.engine.window(window)
        clerk = self.engine.clerks.get(window) if window else None
        audit.record(conn, self.engine.site.clock, actor=actor, action=action,
                     subject=subject, detail={"screen": screen, "window": window,
                                              "clerk": clerk})
        return Answer(201, {"ok": True})

    # --- reading back (on the writer: each view is audited) -------------------------------------

    def case(self, case_id: str, *, actor: str) -> dict[str, Any]:
        """``GET /v1/cases/{id}``: the acceptance answer again (masked), for a reprint."""
        site = self.engine.site
        found = store.kept(site, case_id)
        if found is None:
            raise Refused(404, "not_found", f"没有这个办件 / no case {case_id!r}")
        with site.store.write() as conn:
            audit.record(conn, site.clock, actor=actor, action="case.viewed", subject=case_id)
        return self._public(found)

    def of_day(self, day: dt.date | None, *, actor: str) -> dict[str, Any]:
        """``GET /v1/cases``: the cases accepted on ``day`` (today), masked; audited as one
        view of the list."""
        site = self.engine.site
        day = day or self.engine.local(self.engine.now()).date()
        rows = store.of_day(site, day)
        with site.store.write() as conn:
            audit.record(conn, site.clock, actor=actor, action="case.listed",
                         subject=day.isoformat(), detail={"count": len(rows)})
        return {"day": day.isoformat(), "cases": [{
            "id": r["id"], "receipt_no": r["receipt_no"], "status": r["status"],
            "accepted_at": r["accepted_at"], "mode": r["mode"],
            "items": [i["name"] for i in r["receipt"].get("items", ())] or r["item_codes"],
            "promised_date": r["receipt"].get("promised_date"),
            "applicant_masked": _masked(r["applicant"]), "window": r["window"],
            "clerk": r["clerk"]} for r in rows]}

    def _public(self, row: Mapping[str, Any]) -> dict[str, Any]:
        receipt = dict(row["receipt"])
        return {
            "id": row["id"], "receipt_no": row["receipt_no"], "status": row["status"],
            "accepted_at": row["accepted_at"], "window": row["window"], "clerk": row["clerk"],
            "mode": row["mode"], "ticket_id": row["ticket_id"],
            "items": receipt.pop("items", []), "bundle": receipt.pop("bundle", None),
            "materials": receipt.pop("materials", []), "notice": receipt.pop("notice", []),
            "promised_date": receipt.pop("promised_date", None),
            "promised_estimated": receipt.pop("promised_estimated", False),
            "fees": receipt.pop("fees", []),
            "fee_total_yuan": receipt.pop("fee_total_yuan", 0.0),
            "clerk_name": receipt.pop("clerk_name", None),
            "query_url": receipt_payload(self.query_url, row["receipt_no"],
                                         self.engine.site.keys.code_token(
                                             "receipt", row["receipt_no"])),
            # a case stored without the station (add_case: scripts, the sync workload) has
            # no receipt facts; it still reads back
            "accepted_on": receipt.pop("accepted_on", None),
            "promised_days": receipt.pop("promised_days", None),
            "catalogue_version": receipt.pop("catalogue_version", None),
            **receipt,
            "applicant_masked": _masked(row["applicant"]),
            "agent_masked": _masked(row["agent"]) if row["agent"] else None,
        }

    # --- helpers --------------------------------------------------------------------------------

    def _accepted_at(self, body: Mapping[str, Any]) -> dt.datetime:
        """When the case is accepted, in the site's time: now, or for a home visit (上门服务)
        or a village agent's case (帮办代办) delivered later the time the counter recorded
        offline."""
        now = self.engine.now()
        given = body.get("accepted_at")
        if given is None:
            return self.engine.local(now)
        if body.get("mode") not in OFFLINE_MODES:
            raise Refused(422, "invalid", "只有上门服务或帮办代办可补报受理时间 / only a home "
                                          "visit or an agent's case delivered later gives "
                                          "its own accepted_at")
        try:
            at = dt.datetime.fromisoformat(given)
        except ValueError:
            raise Refused(422, "invalid", "受理时间不是 ISO 8601 时间 / accepted_at is not an "
                                          "ISO 8601 time") from None
        if at.tzinfo is None:
            raise Refused(422, "invalid", "受理时间须带时区 / accepted_at needs a UTC offset")
        if at > now + CLOCK_SKEW or at < now - HOME_VISIT_MAX_AGE:
            raise Refused(422, "invalid", "受理时间不在最近 30 天内 / accepted_at must lie "
                                          "within the last 30 days")
        return self.engine.local(at)

    def _given_receipt_no(self, conn: sqlite3.Connection, body: Mapping[str, Any],
                          window: str | None) -> str | None:
        """The receipt number a counter made offline and printed already, checked: only a
        home visit or an agent's case, only this site's, only the counter's own form
        ``<site>-<yyyymmdd>-H<window><seq:03d>`` (never the station's ``<seq:04d>``), and
        only once (409 ``duplicate_receipt``). None: the station numbers the case."""
        given = body.get("receipt_no")
        if given is None:
            return None
        if body.get("mode") not in OFFLINE_MODES:
            raise Refused(422, "invalid", "只有上门服务或帮办代办可自带受理编号 / only a home "
                                          "visit or an agent's case brings its own receipt_no")
        pattern = counter_receipt_pattern(self.engine.s.site_code, window)
        found = re.fullmatch(pattern, str(given)) if pattern else None
        if found is None:
            raise Refused(422, "invalid", f"受理编号 {given} 不是本站离线编号的格式 / receipt_no "
                                          f"{given} is not this site's offline form "
                                          f"<site>-<yyyymmdd>-H<window><seq>")
        try:
            dt.date(int(found["day"][:4]), int(found["day"][4:6]), int(found["day"][6:]))
        except ValueError:
            raise Refused(422, "invalid", f"受理编号 {given} 的日期无效 / receipt_no {given} "
                                          "names no real day") from None
        if conn.execute("SELECT 1 FROM cases WHERE receipt_no = ?", (given,)).fetchone():
            raise Refused(409, "duplicate_receipt", f"受理编号 {given} 已有办件 / a case with "
                                                    f"receipt_no {given} exists already")
        return str(given)

    @staticmethod
    def _party_problems(body: Mapping[str, Any]) -> list[rules.Problem]:
        return shape.party_problems(body, is_valid)


def counter_receipt_pattern(site_code: str, window: str | None) -> str | None:
    """The regular expression of a receipt number made offline by the counter at
    ``window`` (groups ``day`` and ``seq``); None without a window (nobody to number it)."""
    if not window:
        return None
    return rf"{re.escape(site_code)}-(?P<day>\d{{8}})-H{re.escape(window)}(?P<seq>\d{{3}})"


@contextlib.contextmanager
def _as_refusal() -> Iterator[None]:
    """A malformed part of the body, as the API's 422."""
    try:
        yield
    except shape.BodyError as exc:
        raise Refused(422, "invalid", str(exc)) from None


# --- answers ------------------------------------------------------------------------------------


def _masked(person: Mapping[str, Any] | None) -> dict[str, str] | None:
    if person is None:  # its key was destroyed (crypto-shredding): nothing left to show
        return None
    return {"name": mask_name(str(person.get("name", ""))),
            "id_number": mask_id_number(str(person.get("id_number", "")))}


def _missing(shas: Sequence[str]) -> Refused:
    return Refused(409, "missing_uploads", f"有 {len(shas)} 页尚未上传，请重新上传后重试 / "
                                           f"{len(shas)} page(s) not uploaded yet: upload "
                                           "them and retry with the same Idempotency-Key",
                   missing=list(shas))




