"""The station's case desk, computed on the counter when no station answers (上门服务 in a
village with no network, a village point offline): the preview of a draft and the
acceptance of a case, in the same shapes as ``POST /v1/cases/preview`` and the 201 answer
of ``POST /v1/cases`` (/tmp/api_contract.md), so the acceptance page does not care where an
answer came from.

The rules are the domain's (``kiosk.domain.cases``: the merged checklist, each material's
state, 容缺 and 免提交 only where the catalogue allows them, the one-time notice, the
promised date counted on a :class:`~kiosk.domain.workdays.WorkdayCalendar`), applied to the
last catalogue the station gave this counter. The station applies them again when the case
is delivered, with its own calendar and its current catalogue: a case it would now refuse
is kept aside with its words for the clerk (``kiosk.client.spool``). Qt-free.

The body's parts are read into the domain's types as ``kiosk/station/cases.py`` reads them
(the station may not be imported by a screen, DESIGN.md §3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kiosk.client.http import StationError
from kiosk.domain import cases as rules
from kiosk.domain.catalogue import Catalogue
from kiosk.domain.workdays import WorkdayCalendar

from .acceptance.draft import mask_id_number, mask_name


def preview(catalogue: Catalogue, calendar: WorkdayCalendar, body: Mapping[str, Any], *,
            on: dt.date, id_check: Callable[[str], bool],
            rongque_days: int = rules.RONGQUE_DAYS) -> dict[str, Any]:
    """What accepting ``body`` on ``on`` would decide: the station's preview, every problem
    at once; a captured material counts ``page_count`` when given, else its ``pages``."""
    states, _ = states_of(body.get("materials") or (), preview=True)
    problems = party_problems(body, id_check) if body.get("applicant") else [
        rules.Problem("applicant", "请读取或填写申请人 / read or enter the applicant")]
    base: dict[str, Any] = {
        "ok": False, "status": None, "checklist": [], "notice": [], "promised_days": None,
        "promised_date": None, "promised_estimated": False, "fees": [],
        "fee_total_yuan": 0.0, "accepted_on": on.isoformat(),
        "rongque_latest": rules.rongque_due(calendar, on, rongque_days).isoformat()}
    try:
        lines = rules.checklist(catalogue, item_codes=body.get("item_codes") or (),
                                bundle_code=body.get("bundle_code"))
    except rules.CaseError as exc:
        problems.insert(0, rules.Problem("items", str(exc)))
        return {**base, "problems": [_problem(p) for p in problems]}
    problems += rules.check_acceptance(lines, states, accepted_on=on, calendar=calendar,
                                       rongque_days=rongque_days)
    deferred = any(isinstance(s, rules.Deferred) for s in states.values())
    return {
        **base, **_terms(catalogue, calendar, body, on),
        "ok": not problems,
        "status": None if problems else (rules.CaseStatus.ACCEPTED_RONGQUE if deferred
                                         else rules.CaseStatus.ACCEPTED).value,
        "checklist": [_line(line) for line in lines],
        "problems": [_problem(p) for p in problems],
        "notice": [_notice(n) for n in rules.one_time_notice(lines, states)],
    }


def accept(catalogue: Catalogue, calendar: WorkdayCalendar, body: Mapping[str, Any], *,
           at: dt.datetime, receipt_no: str, id_check: Callable[[str], bool],
           clerk: str | None = None, clerk_name: str | None = None, query_url: str = "",
           rongque_days: int = rules.RONGQUE_DAYS) -> dict[str, Any]:
    """The case as the station would answer its acceptance (names and numbers masked), made
    here: no ``id`` yet (the station gives it on delivery), ``receipt_no`` the counter's.

    :raises StationError: 422 ``invalid_party`` or ``acceptance_refused`` with
        ``problems`` (and ``notice``), as the station refuses: the page shows them alike.
    """
    problems = party_problems(body, id_check)
    if problems:
        raise StationError(422, "invalid_party", _joined(problems),
                           {"problems": [_problem(p) for p in problems]})
    states, _ = states_of(body.get("materials") or (), preview=False)
    codes = list(body.get("item_codes") or ())
    bundle = body.get("bundle_code")
    try:
        acceptance = rules.accept(catalogue, states, accepted_on=at.date(), calendar=calendar,
                                  item_codes=codes, bundle_code=bundle,
                                  rongque_days=rongque_days)
    except rules.AcceptanceRefused as exc:
        raise StationError(422, "acceptance_refused", _joined(exc.problems), {
            "problems": [_problem(p) for p in exc.problems],
            "notice": [_notice(n) for n in exc.notice]}) from None
    except rules.CaseError as exc:
        problem = rules.Problem("items", str(exc))
        raise StationError(422, "acceptance_refused", problem.message,
                           {"problems": [_problem(problem)], "notice": []}) from None
    item_codes = list(catalogue.bundles[bundle].item_codes) if bundle else codes
    materials = []
    for code, state in acceptance.materials:
        materials.append({
            "code": code, "name": catalogue.materials[code].name,
            "name_en": catalogue.materials[code].name_en, "state": state.state,
            "pages": state.pages if isinstance(state, rules.Captured) else 0,
            "due": state.due.isoformat() if isinstance(state, rules.Deferred) else None,
            "reason": state.reason if isinstance(state, rules.Waived) else None})
    applicant, agent = parties(body)
    return {
        "id": None, "receipt_no": receipt_no, "status": acceptance.status.value,
        "accepted_at": at.isoformat(), "accepted_on": acceptance.accepted_on.isoformat(),
        "window": body.get("window"), "clerk": clerk, "clerk_name": clerk_name,
        "mode": body.get("mode"), "ticket_id": body.get("ticket_id"),
        "items": [{"code": c, "name": catalogue.items[c].name} for c in item_codes],
        "bundle": {"code": bundle, "name": catalogue.bundles[bundle].name} if bundle else None,
        "materials": materials, "notice": [_notice(n) for n in acceptance.notice],
        "promised_days": acceptance.promised_days,
        "promised_date": acceptance.promised_date.isoformat(),
        "promised_estimated": acceptance.promised_estimated,
        "fees": [_fee(f) for f in acceptance.fees],
        "fee_total_yuan": acceptance.fee_total_yuan,
        "catalogue_version": catalogue.version,
        "query_url": query_url.replace("{receipt_no}", receipt_no),
        "applicant_masked": _masked(applicant), "agent_masked": _masked(agent),
    }


# --- the body's parts into the domain's types (as kiosk/station/cases.py) -----------------------


def parties(body: Mapping[str, Any]) -> tuple[rules.Applicant, rules.Agent | None]:
    a = body.get("applicant") or {}
    applicant = rules.Applicant(name=str(a.get("name", "")).strip(),
                                id_number=_id(a.get("id_number", "")),
                                phone=str(a.get("phone") or ""),
                                from_card=bool(a.get("from_card")))
    g = body.get("agent")
    agent = None if not g else rules.Agent(
        name=str(g.get("name", "")).strip(), id_number=_id(g.get("id_number", "")),
        relationship=str(g.get("relationship", "")), phone=str(g.get("phone") or ""),
        from_card=bool(g.get("from_card")))
    return applicant, agent


def party_problems(body: Mapping[str, Any],
                   id_check: Callable[[str], bool]) -> list[rules.Problem]:
    """The parties' problems; a number read from the card's chip was checked by the reader
    (foreign and permit cards carry numbers the GB 11643 check does not fit)."""
    applicant, agent = parties(body)
    from_card = {p.id_number for p in (applicant, agent) if p is not None and p.from_card}
    return rules.check_parties(applicant, agent,
                               id_check=lambda n: n in from_card or id_check(n))


def states_of(materials: Sequence[Mapping[str, Any]], *, preview: bool,
              ) -> tuple[dict[str, rules.MaterialState], dict[str, list[str]]]:
    """Each material's state and the page hashes of the captured ones.

    :raises StationError: 422 ``invalid`` for a body the station would call malformed.
    """
    states: dict[str, rules.MaterialState] = {}
    pages: dict[str, list[str]] = {}
    for m in materials:
        code, kind = str(m["code"]), m["state"]
        if code in states:
            raise StationError(422, "invalid", f"材料 {code} 出现了两次 / material {code} is "
                                               "listed twice")
        if kind == "captured":
            shas = [str(s) for s in m.get("pages") or ()]
            count = m.get("page_count")
            states[code] = rules.Captured(int(count) if preview and count is not None
                                          else len(shas))
            pages[code] = shas
        elif kind == "waived":
            states[code] = rules.Waived(reason=m["reason"], licence_code=m.get("licence_code"))
        elif kind == "deferred":
            try:
                due = dt.date.fromisoformat(str(m["due"]))
            except ValueError:
                raise StationError(422, "invalid", f"材料 {code} 的补交日期无效 / material "
                                                   f"{code}: no such day {m['due']}") from None
            states[code] = rules.Deferred(due=due,
                                          commitment_signed=bool(m["commitment_signed"]))
        else:
            states[code] = rules.Missing()
    return states, pages


def _terms(catalogue: Catalogue, calendar: WorkdayCalendar, body: Mapping[str, Any],
           on: dt.date) -> dict[str, Any]:
    bundle = body.get("bundle_code")
    codes = catalogue.bundles[bundle].item_codes if bundle else tuple(body["item_codes"])
    days = rules.promised_days(catalogue, item_codes=codes, bundle_code=bundle)
    promised = calendar.add_working_days(on, days)
    fees = [rules.FeeLine(c, catalogue.items[c].name, catalogue.items[c].fees.amount_yuan,
                          catalogue.items[c].fees.basis) for c in codes]
    return {"promised_days": days, "promised_date": promised.isoformat(),
            "promised_estimated": any(not calendar.knows(y)
                                      for y in range(on.year, promised.year + 1)),
            "fees": [_fee(f) for f in fees],
            "fee_total_yuan": sum(round(f.amount_yuan * 100) for f in fees) / 100}


def _id(number: Any) -> str:
    return "".join(str(number).split()).upper()


def _masked(person: rules.Applicant | rules.Agent | None) -> dict[str, str] | None:
    if person is None:
        return None
    return {"name": mask_name(person.name), "id_number": mask_id_number(person.id_number)}


def _joined(problems: Sequence[rules.Problem]) -> str:
    return "；".join(p.message for p in problems)


def _problem(p: rules.Problem) -> dict[str, Any]:
    return {"kind": p.kind, "message": p.message, "material_code": p.material_code}


def _line(line: Any) -> dict[str, Any]:
    m = line.material
    return {"code": m.code, "name": m.name, "name_en": m.name_en, "form": line.form,
            "count": line.count, "required": line.required, "rongque": line.rongque,
            "mian_tijiao": line.mian_tijiao, "note": line.note}


def _notice(n: rules.NoticeLine) -> dict[str, Any]:
    return {"material_code": n.material_code, "name": n.name, "form": n.form,
            "count": n.count, "note": n.note, "due": n.due.isoformat() if n.due else None}


def _fee(f: rules.FeeLine) -> dict[str, Any]:
    return {"item_code": f.item_code, "item_name": f.item_name,
            "amount_yuan": f.amount_yuan, "basis": f.basis}
