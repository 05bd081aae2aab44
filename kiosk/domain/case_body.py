"""A case as the LAN API carries it (``POST /v1/cases`` and ``/v1/cases/preview``,
docs/cases.md): its parts read into the domain's types, the preview of what accepting it
would decide, and the JSON shapes of problems, checklist lines, notice lines and fees.

Shared by the station (``kiosk/station/cases.py``) and by the counter when no station
answers (``kiosk/ui/counter/offline_rules.py``), so that both decide alike and answer in the
same shapes. Pure: a malformed part raises :class:`BodyError`, which each side turns into
its own 422.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kiosk.domain import cases as rules
from kiosk.domain.catalogue import Catalogue, ItemMaterial
from kiosk.domain.workdays import WorkdayCalendar


class BodyError(rules.CaseError):
    """A part of the body that does not make sense (a material twice, a page used twice,
    a due date that is no day)."""


def id_text(number: Any) -> str:
    """An ID number as typed or read: spaces out, the check character upper case."""
    return "".join(str(number).split()).upper()


def parties(body: Mapping[str, Any]) -> tuple[rules.Applicant, rules.Agent | None]:
    a = body.get("applicant") or {}
    applicant = rules.Applicant(name=str(a.get("name", "")).strip(),
                                id_number=id_text(a.get("id_number", "")),
                                phone=str(a.get("phone") or ""),
                                from_card=bool(a.get("from_card")))
    g = body.get("agent")
    agent = None if not g else rules.Agent(
        name=str(g.get("name", "")).strip(), id_number=id_text(g.get("id_number", "")),
        relationship=str(g.get("relationship", "")), phone=str(g.get("phone") or ""),
        from_card=bool(g.get("from_card")))
    return applicant, agent


def party_problems(body: Mapping[str, Any],
                   id_check: Callable[[str], bool]) -> list[rules.Problem]:
    """The parties' problems. A number read from the card's chip was checked by the reader;
    foreign and permit cards carry numbers the GB 11643 check does not fit."""
    applicant, agent = parties(body)
    from_card = {p.id_number for p in (applicant, agent) if p is not None and p.from_card}
    return rules.check_parties(applicant, agent,
                               id_check=lambda n: n in from_card or id_check(n))


def states_of(materials: Sequence[Mapping[str, Any]], *, preview: bool,
              ) -> tuple[dict[str, rules.MaterialState], dict[str, list[str]]]:
    """Each material's state and the page hashes of the captured ones. In a preview a
    captured material counts ``page_count`` when given (the pages are not uploaded yet)."""
    states: dict[str, rules.MaterialState] = {}
    pages: dict[str, list[str]] = {}
    seen: set[str] = set()
    for m in materials:
        code, kind = str(m["code"]), m["state"]
        if code in states:
            raise BodyError(f"材料 {code} 出现了两次 / material {code} is listed twice")
        if kind == "captured":
            shas = [str(s) for s in m.get("pages") or ()]
            count = m.get("page_count")
            if not preview and count is not None and int(count) != len(shas):
                raise BodyError(f"材料 {code} 的页数与页面不符 / material {code}: page_count "
                                "is not the number of pages")
            states[code] = rules.Captured(int(count) if preview and count is not None
                                          else len(shas))
            if seen & set(shas) or len(set(shas)) != len(shas):
                raise BodyError("同一页面用了两次 / the same page is used twice in this case")
            seen.update(shas)
            pages[code] = shas
        elif kind == "waived":
            states[code] = rules.Waived(reason=m["reason"], licence_code=m.get("licence_code"))
        elif kind == "deferred":
            try:
                due = dt.date.fromisoformat(str(m["due"]))
            except ValueError:
                raise BodyError(f"材料 {code} 的补交日期无效 / material {code}: no such day "
                                f"{m['due']}") from None
            states[code] = rules.Deferred(due=due,
                                          commitment_signed=bool(m["commitment_signed"]))
        else:
            states[code] = rules.Missing()
    return states, pages


def terms(catalogue: Catalogue, calendar: WorkdayCalendar, body: Mapping[str, Any],
          on: dt.date) -> dict[str, Any]:
    """The promised date and the fees, as :func:`kiosk.domain.cases.accept` makes them (the
    preview shows them before the case can be accepted)."""
    bundle = body.get("bundle_code")
    codes = catalogue.bundles[bundle].item_codes if bundle else tuple(body["item_codes"])
    days = rules.promised_days(catalogue, item_codes=codes, bundle_code=bundle)
    promised = calendar.add_working_days(on, days)
    fees = [rules.FeeLine(c, catalogue.items[c].name, catalogue.items[c].fees.amount_yuan,
                          catalogue.items[c].fees.basis) for c in codes]
    return {"promised_days": days, "promised_date": promised.isoformat(),
            "promised_estimated": any(not calendar.knows(y)
                                      for y in range(on.year, promised.year + 1)),
            "fees": [fee_json(f) for f in fees],
            "fee_total_yuan": sum(round(f.amount_yuan * 100) for f in fees) / 100}


def preview(catalogue: Catalogue, calendar: WorkdayCalendar, body: Mapping[str, Any], *,
            on: dt.date, id_check: Callable[[str], bool],
            rongque_days: int = rules.RONGQUE_DAYS) -> dict[str, Any]:
    """What accepting ``body`` on ``on`` would decide, every problem at once (the answer of
    ``POST /v1/cases/preview``)."""
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
        return {**base, "problems": [problem_json(p) for p in problems]}
    problems += rules.check_acceptance(lines, states, accepted_on=on, calendar=calendar,
                                       rongque_days=rongque_days)
    deferred = any(isinstance(s, rules.Deferred) for s in states.values())
    return {
        **base, **terms(catalogue, calendar, body, on),
        "ok": not problems,
        "status": None if problems else (rules.CaseStatus.ACCEPTED_RONGQUE if deferred
                                         else rules.CaseStatus.ACCEPTED).value,
        "checklist": [line_json(line) for line in lines],
        "problems": [problem_json(p) for p in problems],
        "notice": [notice_json(n) for n in rules.one_time_notice(lines, states)],
    }


# --- answers ------------------------------------------------------------------------------


def joined(problems: Sequence[rules.Problem]) -> str:
    return "；".join(p.message for p in problems)


def problem_json(p: rules.Problem) -> dict[str, Any]:
    return {"kind": p.kind, "message": p.message, "material_code": p.material_code}


def line_json(line: ItemMaterial) -> dict[str, Any]:
    m = line.material
    return {"code": m.code, "name": m.name, "name_en": m.name_en, "form": line.form,
            "count": line.count, "required": line.required, "rongque": line.rongque,
            "mian_tijiao": line.mian_tijiao, "note": line.note}


def notice_json(n: rules.NoticeLine) -> dict[str, Any]:
    return {"material_code": n.material_code, "name": n.name, "form": n.form,
            "count": n.count, "note": n.note, "due": n.due.isoformat() if n.due else None}


def fee_json(f: rules.FeeLine) -> dict[str, Any]:
    return {"item_code": f.item_code, "item_name": f.item_name,
            "amount_yuan": f.amount_yuan, "basis": f.basis}
