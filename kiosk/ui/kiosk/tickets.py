"""A ticket, from the station's answer to paper: number it, print it, then confirm it; a
ticket that did not print is voided (DESIGN.md §4: a ticket counts as issued only after it
printed), so no number is called for someone who never got one.

Runs on a worker thread (the station and the printer may each take seconds); the page gets
one :class:`Outcome`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.client.http import StationError
from kiosk.kiosk_ports import TicketFacts

from .context import KioskContext

log = logging.getLogger(__name__)

PRIORITY = "绿色通道 / Priority"
"""Paper is always Chinese over English, whatever the screen shows."""


@dataclass(frozen=True)
class Outcome:
    ticket: dict[str, Any]
    printed: bool
    words: str = ""
    """Why it did not print (the printer's own words), when it did not."""


def category_names(ctx: KioskContext, prefix: str) -> tuple[str, str]:
    for c in ctx.status.get("categories", []):
        if c.get("prefix") == prefix:
            return str(c.get("name") or prefix), str(c.get("name_en") or "")
    return prefix, ""


def facts(ctx: KioskContext, ticket: dict[str, Any], *, reprint: bool = False,
          appointment: bool = False) -> TicketFacts:
    name, name_en = category_names(ctx, str(ticket.get("category", "")))
    issued = ctx.local(ticket.get("issued_at")) or ctx.now()
    return TicketFacts(
        site_name=ctx.site_name, number=str(ticket["number"]), category_name=name,
        category_name_en=name_en, ahead=int(ticket.get("ahead") or 0),
        estimated_wait_s=ticket.get("estimated_wait_s"), issued_at=issued,
        code=str(ticket.get("code") or ""),
        priority_note=PRIORITY if ticket.get("reasons") else "",
        appointment=appointment, reprint=reprint, language=ctx.lang.code)


def issue_and_print(ctx: KioskContext, make: Callable[[], dict[str, Any]], *,
                    appointment: bool = False) -> Outcome:
    """``make()`` numbers a reserved ticket (the station refuses with StationError: shown
    by the page); then it is printed and confirmed, or voided when it did not print."""
    ticket = make()
    printer = ctx.devices.printer
    if printer is None:
        printed_ok, words = False, ""
    else:
        result = printer.print_ticket(facts(ctx, ticket, appointment=appointment))
        printed_ok, words = result.ok, result.message
    if printed_ok:
        confirmed = ctx.client.confirm(str(ticket["id"]))
        return Outcome({**ticket, **confirmed, "code": ticket.get("code")}, True)
    with contextlib.suppress(StationError):  # a reservation left over ends with the day
        ctx.client.void(str(ticket["id"]))
    log.warning("kiosk: ticket %s voided: it did not print", ticket.get("number"))
    return Outcome(ticket, False, words)


def reprint(ctx: KioskContext, ticket: dict[str, Any]) -> Outcome:
    """The same ticket on paper again (a citizen who lost it, or who already held one)."""
    printer = ctx.devices.printer
    if printer is None:
        return Outcome(ticket, False)
    result = printer.print_ticket(facts(ctx, ticket, reprint=True))
    return Outcome(ticket, result.ok, result.message)


def day_time(when: dt.datetime | None) -> str:
    return "" if when is None else f"{when:%H:%M}"
