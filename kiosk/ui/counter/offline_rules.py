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

The body's parts are read into the domain's types, and the preview made, by
``kiosk.domain.case_body``, as the station does (the station may not be imported by a
screen, DESIGN.md §3).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kiosk.client.http import StationError
from kiosk.domain import case_body as shape
from kiosk.domain import cases as rules
from kiosk.domain.catalogue import Catalogue
from kiosk.domain.masking import mask_id_number, mask_name
from kiosk.domain.workdays import WorkdayCalendar


def preview(catalogue: Catalogue, calendar: WorkdayCalendar, body: Mapping[str, Any], *,
            on: dt.date, id_check: Callable[[str], bool],
            rongque_days: int = rules.RONGQUE_DAYS) -> dict[str, Any]:
    """What accepting ``body`` on ``on`` would decide: the station's preview, every problem
    at once; a captured material counts ``page_count`` when given, else its ``pages``."""
    with _as_refusal():
        return shape.preview(catalogue, calendar, body, on=on, id_check=id_check,
                             rongque_days=rongque_days)


def accept(catalogue: Catalogue, calendar: WorkdayCalendar, body: Mapping[str, Any], *,
           at: dt.datetime, receipt_no: str, id_check: Callable[[str], bool],
           clerk: str | None = None, clerk_name: str | None = None, query_url: str = "",
           rongque_days: int = rules.RONGQUE_DAYS) -> dict[str, Any]:
    """The case as the station would answer its acceptance (names and numbers masked), made
    here: no ``id`` yet (the station gives it on delivery), ``receipt_no`` the counter's.

    :raises StationError: 422 ``invalid_party`` or ``acceptance_refused`` with
        ``problems`` (and ``notice``), as the station refuses: the page shows them alike.
    """
    problems = shape.party_problems(body, id_check)
    if problems:
        raise StationError(422, "invalid_party", shape.joined(problems),
                           {"problems": [shape.problem_json(p) for p in problems]})
    with _as_refusal():
        states, _ = shape.states_of(body.get("materials") or (), preview=False)
    codes = list(body.get("item_codes") or ())
    bundle = body.get("bundle_code")
    try:
        acceptance = rules.accept(catalogue, states, accepted_on=at.date(), calendar=calendar,
                                  item_codes=codes, bundle_code=bundle,
                                  rongque_days=rongque_days)
    except rules.AcceptanceRefused as exc:
        raise StationError(422, "acceptance_refused", shape.joined(exc.problems), {
            "problems": [shape.problem_json(p) for p in exc.problems],
            "notice": [shape.notice_json(n) for n in exc.notice]}) from None
    except rules.CaseError as exc:
        problem = rules.Problem("items", str(exc))
        raise StationError(422, "acceptance_refused", problem.message,
                           {"problems": [shape.problem_json(problem)], "notice": []}) from None
    item_codes = list(catalogue.bundles[bundle].item_codes) if bundle else codes
    materials = []
    for code, state in acceptance.materials:
        materials.append({
            "code": code, "name": catalogue.materials[code].name,
            "name_en": catalogue.materials[code].name_en, "state": state.state,
            "pages": state.pages if isinstance(state, rules.Captured) else 0,
            "due": state.due.isoformat() if isinstance(state, rules.Deferred) else None,
            "reason": state.reason if isinstance(state, rules.Waived) else None})
    applicant, agent = shape.parties(body)
    return {
        "id": None, "receipt_no": receipt_no, "status": acceptance.status.value,
        "accepted_at": at.isoformat(), "accepted_on": acceptance.accepted_on.isoformat(),
        "window": body.get("window"), "clerk": clerk, "clerk_name": clerk_name,
        "mode": body.get("mode"), "ticket_id": body.get("ticket_id"),
        "items": [{"code": c, "name": catalogue.items[c].name} for c in item_codes],
        "bundle": {"code": bundle, "name": catalogue.bundles[bundle].name} if bundle else None,
        "materials": materials, "notice": [shape.notice_json(n) for n in acceptance.notice],
        "promised_days": acceptance.promised_days,
        "promised_date": acceptance.promised_date.isoformat(),
        "promised_estimated": acceptance.promised_estimated,
        "fees": [shape.fee_json(f) for f in acceptance.fees],
        "fee_total_yuan": acceptance.fee_total_yuan,
        "catalogue_version": catalogue.version,
        # no key here, so no token: a {token} in the site's template is left empty, and the
        # citizen's receipt gets its keyed QR once the station has the case (citizen-api.md)
        "query_url": query_url.replace("{receipt_no}", receipt_no).replace("{token}", ""),
        "applicant_masked": _masked(applicant), "agent_masked": _masked(agent),
    }


@contextlib.contextmanager
def _as_refusal() -> Iterator[None]:
    """A malformed part of the body, refused as the station refuses it."""
    try:
        yield
    except shape.BodyError as exc:
        raise StationError(422, "invalid", str(exc)) from None


def _masked(person: rules.Applicant | rules.Agent | None) -> dict[str, str] | None:
    if person is None:
        return None
    return {"name": mask_name(person.name), "id_number": mask_id_number(person.id_number)}

