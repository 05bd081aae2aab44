"""Who goes first: the green channel (绿色通道).

Entitled: the elderly (age from the ID card's birth date, ``[queue] elderly_age``, 60 by
default: 国办发〔2020〕45号 on services for the elderly), people with a disability certificate,
pregnant women, and citizens with an appointment inside its time slot (queue.md §2: JackQChen's
``isGreenChannel``, novosga's weighted priorities). Each reason has a weight; a ticket takes the
largest weight among its reasons (reasons do not add up: an elderly citizen with an appointment
is not served before everyone else twice over).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType


class Reason(enum.StrEnum):
    ELDERLY = "elderly"
    DISABLED = "disabled"
    PREGNANT = "pregnant"
    APPOINTMENT = "appointment"


WEIGHTS: Mapping[Reason, int] = MappingProxyType({
    Reason.ELDERLY: 2,
    Reason.DISABLED: 2,
    Reason.PREGNANT: 2,
    # an appointment inside its slot goes ahead of walk-in priority: the citizen was given a
    # time; before the slot opens it counts as a walk-in (ordering.effective_priority)
    Reason.APPOINTMENT: 3,
})
"""Priority steps per reason; a normal ticket has 0. Ageing adds one step per
``ageing_minutes`` waited (:mod:`.ordering`), so these are also the most minutes (in units of
``ageing_minutes``) a later arrival can overtake by."""


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day`` (someone born on 29 February turns a year older on
    1 March in common years, as Chinese civil law counts it from the day after)."""
    years = day.year - birth.year
    try:
        birthday = birth.replace(year=day.year)
    except ValueError:  # 29 February in a common year
        birthday = dt.date(day.year, 3, 1)
    return years - (1 if day < birthday else 0)


def reasons_for(*, day: dt.date, birth: dt.date | None = None, elderly_age: int = 60,
                disabled: bool = False, pregnant: bool = False,
                appointment: bool = False) -> tuple[Reason, ...]:
    """The green-channel reasons that apply (the kiosk asks for disability and pregnancy; age
    comes from the ID card)."""
    reasons = []
    if birth is not None and age_on(birth, day) >= elderly_age:
        reasons.append(Reason.ELDERLY)
    if disabled:
        reasons.append(Reason.DISABLED)
    if pregnant:
        reasons.append(Reason.PREGNANT)
    if appointment:
        reasons.append(Reason.APPOINTMENT)
    return tuple(reasons)


def weight_of(reasons: Iterable[Reason], weights: Mapping[Reason, int] = WEIGHTS) -> int:
    """The ticket's priority weight: the largest of its reasons' (0 without any)."""
    return max((weights[r] for r in reasons), default=0)
