"""What the receipt printer is handed (``kiosk.counter_ports.ReceiptFacts``) for an accepted
case, from the station's answer (``POST /v1/cases`` 201, or ``GET /v1/cases/{id}`` for a
reprint from history), and for the 容缺 commitment (告知承诺书) printed before the case exists.

The receipt (受理回执) shows what the 一次性告知 rule asks (seeds 002): the receipt number,
what was received, what is still owed and by when, the promised date, the window and the
clerk. The station's answer carries the name and the number masked; the printouts mask
again whatever they are given, so the full values (when the counter still has them) and the
masked ones print the same. Times stay as the station sent them (UTC): the printer shows
them in the site's zone. Qt-free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from kiosk.counter_ports import Missing, ReceiptFacts

NO_RECEIPT_YET = "受理后生成 / given at acceptance"
"""The receipt number on a commitment printed before the case is accepted."""


def facts_from_case(answer: Mapping[str, Any], site_name: str, *,
                    applicant_name: str | None = None,
                    applicant_id_number: str | None = None) -> ReceiptFacts:
    """The receipt's and the notice's facts from a case as the station answered it.

    ``missing`` is the answer's one-time notice (each deferred material with its due date,
    and any required one still missing, without); ``received`` the captured materials and
    ``waived`` the 免提交 ones, in checklist order.
    """
    masked = answer.get("applicant_masked") or {}
    agent = answer.get("agent_masked") or None
    materials = answer.get("materials") or []
    promised = answer.get("promised_date")
    return ReceiptFacts(
        site_name=site_name,
        receipt_no=str(answer.get("receipt_no", "")),
        accepted_at=_when(answer.get("accepted_at")),
        applicant_name=applicant_name if applicant_name is not None
        else str(masked.get("name", "")),
        applicant_id_number=applicant_id_number if applicant_id_number is not None
        else str(masked.get("id_number", "")),
        items=tuple(str(i.get("name", i.get("code", ""))) if isinstance(i, Mapping) else str(i)
                    for i in answer.get("items") or []),
        received=tuple(str(m.get("name", "")) for m in materials
                       if m.get("state") == "captured"),
        waived=tuple(str(m.get("name", "")) for m in materials if m.get("state") == "waived"),
        missing=tuple(Missing(name=str(n.get("name", "")), due=n.get("due") or None,
                              note=str(n.get("note") or ""))
                      for n in answer.get("notice") or []),
        promised=dt.date.fromisoformat(promised) if promised else None,
        window=str(answer.get("window") or ""),
        clerk=str(answer.get("clerk_name") or answer.get("clerk") or ""),
        fee_yuan=float(answer.get("fee_total_yuan") or 0.0),
        query_url=str(answer.get("query_url") or ""),
        agent_name=str(agent.get("name", "")) if isinstance(agent, Mapping) else None,
    )


def commitment_facts(site_name: str, *, applicant_name: str, applicant_id_number: str,
                     items: Sequence[str], deferred: Sequence[tuple[str, dt.date | None, str]],
                     window: str = "", clerk: str = "", agent_name: str | None = None,
                     now: dt.datetime | None = None) -> ReceiptFacts:
    """The 告知承诺书's facts before acceptance: who promises to bring which material
    (``deferred``: name, due date, note) by when. There is no receipt number yet."""
    return ReceiptFacts(
        site_name=site_name, receipt_no=NO_RECEIPT_YET,
        accepted_at=now or dt.datetime.now(dt.UTC),
        applicant_name=applicant_name, applicant_id_number=applicant_id_number,
        items=tuple(items), received=(),
        missing=tuple(Missing(name=name, due=due.isoformat() if due else None, note=note)
                      for name, due, note in deferred),
        window=window, clerk=clerk, agent_name=agent_name)


def has_notice(facts: ReceiptFacts) -> bool:
    """Anything missing or deferred: the one-time notice (一次性告知单) goes with the receipt."""
    return bool(facts.missing)


def _when(value: Any) -> dt.datetime:
    if isinstance(value, str) and value:
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    return dt.datetime.now(dt.UTC)
