"""The station's side of the citizen kiosk (自助终端, issue 9): 进度查询, 结果打印, 预约签到
and 我要帮办, and the keyed codes printed on tickets and receipts.

A citizen is known only by what they hold: the ID card in the reader (its number's blind
index finds their cases) or a code on paper whose token the station made
(``KeyRing.code_token``; ``kiosk/domain/receipt_code.py`` writes and reads the text). A
number alone (a receipt number, a ticket id) opens nothing, and an answer never holds
anything of anyone else: a name is masked, a wrong code is the same 404 whether the number
exists or not, and a screen that keeps trying wrong codes is slowed down (:class:`CodeGuard`).

Every view is audited (``citizen.cases``, ``appointment.found``, ``result.printed``) with
counts and record ids, never the person. docs/citizen-api.md describes the routes.
"""

from __future__ import annotations

import collections
import datetime as dt
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.domain.catalogue import Catalogue
from kiosk.domain.masking import mask_name
from kiosk.domain.queue.numbering import service_day
from kiosk.domain.receipt_code import appointment_code, parse_code, ticket_payload
from offline_store import appointments as bookings
from offline_store import audit, case_progress, queue_state, station_access, sync_state
from offline_store.clock import iso, parse_iso
from offline_store.errors import KeyShredded
from offline_store.ids import new_id

from .cases import CaseDesk
from .engine import Answer, QueueEngine, Refused

CHECK_IN_EARLY = dt.timedelta(minutes=30)
"""How long before the booked slot a citizen may check in (from then until the slot ends)."""
FAILED_CODES = 10
FAILED_CODES_WINDOW = dt.timedelta(seconds=60)
"""After :data:`FAILED_CODES` wrong codes within this window, one screen waits (429)."""
HELP_LAPSES = dt.timedelta(minutes=30)
"""An unanswered call for help older than this is dropped: staff went over without
answering on their screen, and the next citizen's call must ring again."""
ANSWERED_KEPT = 100

NOT_RECOGNISED = ("二维码无法识别，请换一张回执或小票，或刷身份证 / this code is not "
                  "recognised: try another receipt or ticket, or swipe your ID card")
NO_BOOKING = ("没有找到这个预约，请核对预约码或输入预约时的手机号 / no booking has this code: "
              "check it, or type the phone number you booked with")

STATUS_TEXT = {
    "accepted": ("已受理，正在办理", "Accepted, in progress"),
    "accepted_rongque": ("已受理（容缺），请按期补交材料", "Accepted; bring what is missing by "
                                                     "its date"),
    "materials_complete": ("材料已补齐，正在办理", "All papers in, in progress"),
    "done": ("已办结", "Done"),
    "withdrawn": ("已撤回", "Withdrawn"),
}
COUNTY_STATUS_TEXT = {
    "in_review": ("县级审核中", "Under review at the county"),
    "done": ("县级已办结", "Done at the county"),
    "returned": ("县级已退回，请到窗口咨询", "Returned by the county: ask at a window"),
}


class CodeGuard:
    """Wrong codes per screen token: after :data:`FAILED_CODES` within
    :data:`FAILED_CODES_WINDOW`, that screen's code lookups are refused (429 ``slow_down``)
    until the oldest of them is a window old. Held in memory: a restart forgets it."""

    def __init__(self, now: Callable[[], dt.datetime]):
        self.now = now
        self._failed: dict[bytes, collections.deque[dt.datetime]] = {}

    def check(self, token: str) -> None:
        failed = self._recent(station_access.token_hash(token))
        if len(failed) >= FAILED_CODES:
            wait = max(1, int((failed[0] + FAILED_CODES_WINDOW - self.now()).total_seconds()))
            raise Refused(429, "slow_down", f"尝试次数太多，请 {wait} 秒后再试，或请工作人员帮忙 / "
                                            f"too many tries: wait {wait} s, or ask staff",
                          retry_after_s=wait)

    def failed(self, token: str) -> None:
        self._recent(station_access.token_hash(token)).append(self.now())

    def _recent(self, key: bytes) -> collections.deque[dt.datetime]:
        failed = self._failed.setdefault(key, collections.deque(maxlen=FAILED_CODES))
        while failed and failed[0] <= self.now() - FAILED_CODES_WINDOW:
            failed.popleft()
        return failed


class CitizenDesk:
    """What a kiosk asks on a citizen's behalf; every method runs on the station's writer."""

    def __init__(self, engine: QueueEngine, cases: CaseDesk):
        self.engine = engine
        self.cases = cases
        self.guard = CodeGuard(engine.now)

    # --- codes on tickets -------------------------------------------------------------------

    def ticket_code(self, ticket_id: str) -> str:
        return ticket_payload(ticket_id, self.engine.site.keys.code_token("ticket", ticket_id))

    def with_code(self, make: Callable[[], Answer]) -> Answer:
        """``make()``'s ticket answer with its QR code ``code`` added, for the screen that
        asked only: a copy, since the same ticket view goes out in events that reach the
        hall's display. A refusal that offers a ticket to reprint gets its code too."""
        try:
            answer = make()
        except Refused as exc:
            ticket = exc.extra.get("ticket")
            if isinstance(ticket, dict) and ticket.get("id"):
                exc.extra["ticket"] = {**ticket, "code": self.ticket_code(ticket["id"])}
            raise
        body = {**answer.body, "code": self.ticket_code(answer.body["id"])}
        return Answer(answer.status, body, answer.events, answer.replayed)

    # --- 进度查询 ------------------------------------------------------------------------------

    def cases_of(self, *, token: str, actor: str, id_card: Mapping[str, Any] | None = None,
                 code: str | None = None) -> dict[str, Any]:
        """``POST /v1/citizen/cases``: the card holder's cases (newest first, at most 20),
        or the one case or ticket a verified code names."""
        site = self.engine.site
        found: list[dict[str, Any]] = []
        ticket = None
        subject = "-"
        if id_card is not None:
            found = case_progress.of_applicant(site, str(id_card["id_number"]))
            how = "id_card"
        else:
            how = "code"
            self.guard.check(token)
            scanned = parse_code(code)
            if scanned is not None and site.keys.check_code_token(scanned.kind, scanned.value,
                                                                  scanned.token):
                if scanned.kind == "receipt":
                    row = case_progress.by_receipt_no(site, scanned.value)
                    found = [row] if row else []
                    subject = row["id"] if row else "-"
                else:
                    ticket = self._ticket(scanned.value)
                    subject = scanned.value if ticket else "-"
        with site.store.write() as conn:
            audit.record(conn, site.clock, actor=actor, action="citizen.cases", subject=subject,
                         detail={"by": how, "cases": len(found), "ticket": ticket is not None})
        if how == "code" and not found and ticket is None:
            self.guard.failed(token)
            raise Refused(404, "not_found", NOT_RECOGNISED)
        catalogue = self._catalogue()
        return {"cases": [self._summary(row, catalogue) for row in found], "ticket": ticket,
                "last_sync_at": sync_state.values(site.store).get("last_pull")}

    def _summary(self, row: Mapping[str, Any], catalogue: Catalogue | None) -> dict[str, Any]:
        receipt = row["receipt"]
        title, title_en = _titles(row, catalogue)
        named = {m.get("code"): m for m in receipt.get("materials", ())}
        missing = []
        for owed in row["owed"]:
            line = named.get(owed["code"], {})
            known = catalogue.materials.get(owed["code"]) if catalogue else None
            name = line.get("name") or (known.name if known else owed["code"])
            missing.append({"name": name,
                            "name_en": line.get("name_en") or (known.name_en if known else name),
                            "due": owed["due"]})
        status, county = row["status"], row["county_status"]
        text, text_en = STATUS_TEXT.get(status, (status, status))
        county_text = COUNTY_STATUS_TEXT.get(county, (county, county)) if county else None
        finished = status == "done" or county == "done"
        applicant = row["applicant"]
        return {
            "case_id": row["id"], "receipt_no": row["receipt_no"],
            "official_no": row["official_no"], "title": title, "title_en": title_en,
            "status": status, "status_text": text, "status_text_en": text_en,
            "county_status": county,
            "county_status_text": county_text[0] if county_text else None,
            "county_status_text_en": county_text[1] if county_text else None,
            "county_updated_at": row["county_updated_at"],
            "promised": row["promised_date"], "accepted_at": row["accepted_at"],
            "applicant": mask_name(str(applicant.get("name", ""))) if applicant else "",
            "missing": missing, "rated": row["rated"],
            "rateable": finished and not row["rated"], "results": row["results"],
        }

    def _ticket(self, ticket_id: str) -> dict[str, Any] | None:
        view = self.engine.ticket_view(ticket_id)
        if view is None:
            return None
        rated = queue_state.rated(self.engine.site.store, ticket_id)
        served = view["status"] == "serving" or (view["status"] == "done"
                                                 and view["outcome"] == "normal")
        category = self.engine.s.categories.get(view["category"])
        return {"ticket_id": view["id"], "number": view["number"],
                "category": view["category"],
                "category_name": category.name if category else view["category"],
                "category_name_en": category.name_en if category else view["category"],
                "status": view["status"], "ahead": view["ahead"] or 0,
                "estimated_wait_s": view["estimated_wait_s"], "rated": rated,
                "rateable": served and not rated}

    def _catalogue(self) -> Catalogue | None:
        try:
            return self.cases.catalogue()
        except Refused:  # none loaded: the receipts' own names will do
            return None

    # --- 结果打印 ------------------------------------------------------------------------------

    def result(self, case_id: str, result_id: str, id_card: Mapping[str, Any], *,
               actor: str) -> tuple[bytes, str]:
        """``POST /v1/citizen/results/{case}/{result}``: the document's bytes and media type,
        only for the card of the case's applicant."""
        site = self.engine.site
        mine = case_progress.applicant_matches(site, case_id, str(id_card["id_number"]))
        if mine is None:
            raise Refused(404, "not_found", f"没有这个办件 / no case {case_id!r}")
        if not mine:
            with site.store.write() as conn:
                audit.record(conn, site.clock, actor=actor, action="result.refused",
                             subject=case_id, detail={"why": "not_yours"})
            raise Refused(403, "not_yours", "这份结果不是您的，请刷申请人本人的身份证 / this "
                                            "result is not yours: swipe the applicant's own ID "
                                            "card")
        opened = case_progress.open_result(site, case_id, result_id)
        if opened is None:
            raise Refused(404, "not_found", "本站没有这份结果文件，请到窗口咨询 / this site does "
                                            "not hold that result document: ask at a window")
        data, media_type, _ = opened
        with site.store.write() as conn:
            audit.record(conn, site.clock, actor=actor, action="result.printed",
                         subject=case_id, detail={"result": result_id,
                                                  "media_type": media_type})
        return data, media_type

    # --- 预约签到 ------------------------------------------------------------------------------

    def find_appointments(self, *, token: str, actor: str, code: str | None = None,
                          phone: str | None = None) -> dict[str, Any]:
        """``POST /v1/appointments/find``: today's bookings (the site's day) by code (at
        most one) or by the phone they were made with; cancelled ones left out."""
        site = self.engine.site
        self.guard.check(token)
        if code is not None:
            wanted = appointment_code(code)
            row = bookings.by_code(site, wanted) if wanted else None
            rows = [row] if row else []
        else:
            rows = sync_state.appointments_by_phone(site, str(phone))
        if not rows:
            self.guard.failed(token)
        now = self.engine.now()
        today = self._service_day(now)
        shown = []
        for row in rows:
            slot = self._slot(row)
            if slot is None or row["status"] == bookings.CANCELLED \
                    or self._service_day(slot[0]) != today:
                continue
            shown.append(self._appointment(row, slot, now))
        with site.store.write() as conn:
            audit.record(conn, site.clock, actor=actor, action="appointment.found",
                         subject=shown[0]["id"] if len(shown) == 1 else "-",
                         detail={"by": "code" if code is not None else "phone",
                                 "found": len(shown)})
        if code is not None and not rows:
            raise Refused(404, "not_found", NO_BOOKING)
        return {"appointments": shown}

    def _appointment(self, row: Mapping[str, Any], slot: tuple[dt.datetime, dt.datetime],
                     now: dt.datetime) -> dict[str, Any]:
        try:
            holder = sync_state.appointment_holder(self.engine.site, row["id"])
        except KeyShredded:
            holder = None
        category = self.engine.s.categories.get(row["category"])
        return {"id": row["id"], "category": row["category"],
                "category_name": category.name if category else row["category"],
                "category_name_en": category.name_en if category else row["category"],
                "start_at": self.engine.local(slot[0]).isoformat(),
                "end_at": self.engine.local(slot[1]).isoformat(), "status": row["status"],
                "holder": mask_name(str(holder.get("name", ""))) if holder else "",
                "when": check_in_when(slot, now)}

    def check_in(self, conn: sqlite3.Connection, appointment_id: str, *,
                 actor: str) -> Answer:
        """``POST /v1/appointments/{id}/checkin``: a ticket for the booking's category with
        its slot (ahead of walk-ins inside it) and its holder's card (the green channel by
        age), reserved until the kiosk printed it; the booking marked ``checked_in``."""
        engine = self.engine
        row = bookings.get(conn, appointment_id)
        if row is None:
            raise Refused(404, "not_found", f"没有这个预约 / no booking {appointment_id!r}")
        if row["status"] == bookings.CANCELLED:
            raise Refused(409, "cancelled", "这个预约已取消，请取普通号 / this booking was "
                                            "cancelled: please take a normal ticket")
        done = bookings.checked_in_ticket(conn, appointment_id, engine.day)
        if done is not None:
            view = engine.ticket_view(done)
            raise Refused(409, "already_checked_in",
                          f"这个预约已签到，号码 {view['number'] if view else ''}，可重打小票 / "
                          "this booking is checked in already: reprint its ticket",
                          ticket={**view, "code": self.ticket_code(done)} if view else None)
        slot = self._slot(row)
        if slot is None:
            raise Refused(409, "bad_booking", "这个预约的时间有误，请到窗口咨询 / this booking's "
                                              "time cannot be read: ask at a window")
        start, end = (engine.local(t) for t in slot)
        when = check_in_when(slot, engine.now())
        if when == "early":
            opens = start - CHECK_IN_EARLY
            raise Refused(409, "too_early", f"您预约的是 {start:%H:%M}–{end:%H:%M}，请在 "
                                            f"{opens:%H:%M} 以后签到 / your booking is "
                                            f"{start:%H:%M}–{end:%H:%M}: check in from "
                                            f"{opens:%H:%M}", opens_at=opens.isoformat())
        if when == "late":
            raise Refused(409, "too_late", f"预约时段 {start:%H:%M}–{end:%H:%M} 已过，请取普通号 / "
                                           f"your booking ({start:%H:%M}–{end:%H:%M}) has "
                                           "passed: please take a normal ticket")
        holder = sync_state.appointment_holder(engine.site, appointment_id)
        id_card = {"id_number": str(holder["id_number"]), "name": str(holder.get("name", ""))} \
            if holder and holder.get("id_number") else None

        def issue() -> Answer:
            return engine.issue(conn, category=row["category"], id_card=id_card,
                                appointment=slot, channel="appointment")

        answer = self.with_code(issue)
        bookings.check_in(conn, engine.site.clock, appointment_id, answer.body["id"])
        audit.record(conn, engine.site.clock, actor=actor, action="appointment.checked_in",
                     subject=appointment_id, detail={"ticket": answer.body["id"]})
        answer.body["appointment_id"] = appointment_id
        return answer

    def after_void(self, conn: sqlite3.Connection, answer: Answer) -> Answer:
        """A voided ticket (it did not print) gives its booking back for another check-in."""
        bookings.undo_check_in(conn, self.engine.site.clock, answer.body["id"])
        return answer

    def _slot(self, row: Mapping[str, Any]) -> tuple[dt.datetime, dt.datetime] | None:
        """The booked slot, aware; a time without an offset is the site's own."""
        try:
            start, end = parse_iso(str(row["start_at"])), parse_iso(str(row["end_at"]))
        except ValueError:
            return None
        start, end = (t if t.tzinfo else t.replace(tzinfo=self.engine.s.tz) for t in (start, end))
        return (start, end) if end > start else None

    def _service_day(self, at: dt.datetime) -> dt.date:
        return service_day(self.engine.local(at), self.engine.s.reset_hour)


def check_in_when(slot: tuple[dt.datetime, dt.datetime], now: dt.datetime) -> str:
    """``early`` before the check-in opens (:data:`CHECK_IN_EARLY` before the start),
    ``late`` after the slot's end, else ``open``."""
    start, end = slot
    if now < start - CHECK_IN_EARLY:
        return "early"
    return "late" if now > end else "open"


def _titles(row: Mapping[str, Any], catalogue: Catalogue | None) -> tuple[str, str]:
    """The case's item names, or its bundle's (一件事), in Chinese and English."""
    receipt = row["receipt"]
    bundle = row.get("bundle_code")
    if bundle:
        known = catalogue.bundles.get(bundle) if catalogue else None
        name = (receipt.get("bundle") or {}).get("name") or (known.name if known else bundle)
        return name, known.name_en if known else name
    shown = {i.get("code"): i.get("name") for i in receipt.get("items", ())}
    names, names_en = [], []
    for code in row["item_codes"]:
        known = catalogue.items.get(code) if catalogue else None
        name = shown.get(code) or (known.name if known else code)
        names.append(name)
        names_en.append(known.name_en if known else name)
    return "、".join(names), "; ".join(names_en)


# --- 我要帮办 ----------------------------------------------------------------------------------


@dataclass
class HelpCall:
    id: str
    at: dt.datetime
    screen: str
    kiosk: str
    asker: bytes
    answered_at: dt.datetime | None = None
    window: str | None = None
    clerk: str | None = None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "at": iso(self.at), "screen": self.screen, "kiosk": self.kiosk,
                "answered_at": iso(self.answered_at) if self.answered_at else None,
                "window": self.window, "clerk": self.clerk}


class HelpDesk:
    """Calls for help from a kiosk (我要帮办), held in memory only: a restart forgets them
    (a citizen still waiting asks again). One open call per screen token."""

    def __init__(self, engine: QueueEngine):
        self.engine = engine
        self.open: dict[str, HelpCall] = {}
        self.answered: collections.OrderedDict[str, HelpCall] = collections.OrderedDict()

    def ask(self, token: str, screen: str, kiosk: str) -> Answer:
        """201 with a new call and its ``help.requested`` event, or 200 with this screen's
        call still open (no second ring)."""
        self._lapse()
        asker = station_access.token_hash(token)
        mine = next((c for c in self.open.values() if c.asker == asker), None)
        if mine is not None:
            return Answer(200, mine.public())
        call = HelpCall(new_id(), self.engine.now(), screen, kiosk, asker)
        self.open[call.id] = call
        return Answer(201, call.public(), [self.engine.event(
            "help.requested", id=call.id, screen=screen, kiosk=kiosk)])

    def answer(self, help_id: str, window: str | None) -> Answer:
        """Staff are on their way: the call leaves the open list; ``help.answered`` tells
        every screen (the kiosk says so, the other counters stop showing it)."""
        if window is not None:
            self.engine.window(window)
        self._lapse()
        call = self.open.pop(help_id, None)
        if call is None:
            done = self.answered.get(help_id)
            if done is not None:
                raise Refused(409, "already_answered", f"已有人应答（{done.window or '管理'}） / "
                                                       "someone answered already",
                              request=done.public())
            raise Refused(404, "not_found", "没有这个求助（可能已过时或站点重启过） / no such "
                                            "call for help (lapsed, or the station restarted)")
        call.answered_at = self.engine.now()
        call.window = window
        call.clerk = self.engine.clerks.get(window) if window else None
        self.answered[call.id] = call
        while len(self.answered) > ANSWERED_KEPT:
            self.answered.popitem(last=False)
        return Answer(200, call.public(), [self.engine.event(
            "help.answered", id=call.id, window=call.window, clerk=call.clerk)])

    def requests(self) -> list[dict[str, Any]]:
        """The open calls, oldest first."""
        self._lapse()
        return [c.public() for c in sorted(self.open.values(), key=lambda c: c.at)]

    def _lapse(self) -> None:
        limit = self.engine.now() - HELP_LAPSES
        for call in [c for c in self.open.values() if c.at <= limit]:
            del self.open[call.id]
