import datetime as dt

from kiosk.domain.queue.priority import WEIGHTS, Reason, age_on, reasons_for, weight_of

DAY = dt.date(2026, 11, 24)


def test_age_counts_completed_years() -> None:
    assert age_on(dt.date(1966, 11, 24), DAY) == 60  # the 60th birthday itself
    assert age_on(dt.date(1966, 11, 25), DAY) == 59
    assert age_on(dt.date(2000, 1, 1), dt.date(2000, 1, 1)) == 0
    # born on 29 February: a year older on 1 March in common years
    assert age_on(dt.date(1964, 2, 29), dt.date(2026, 2, 28)) == 61
    assert age_on(dt.date(1964, 2, 29), dt.date(2026, 3, 1)) == 62
    assert age_on(dt.date(1964, 2, 29), dt.date(2028, 2, 29)) == 64


def test_the_elderly_age_comes_from_the_birth_date_and_the_setting() -> None:
    sixty = dt.date(1966, 11, 24)
    assert reasons_for(day=DAY, birth=sixty) == (Reason.ELDERLY,)
    assert reasons_for(day=DAY, birth=sixty, elderly_age=65) == ()
    assert reasons_for(day=DAY, birth=dt.date(1966, 11, 25)) == ()
    assert reasons_for(day=DAY) == ()  # no ID card: no age


def test_reasons_take_the_largest_weight_not_the_sum() -> None:
    both = reasons_for(day=DAY, birth=dt.date(1940, 1, 1), disabled=True, appointment=True)
    assert both == (Reason.ELDERLY, Reason.DISABLED, Reason.APPOINTMENT)
    assert weight_of(both) == WEIGHTS[Reason.APPOINTMENT] == max(WEIGHTS.values())
    assert weight_of((Reason.PREGNANT,)) == WEIGHTS[Reason.PREGNANT] > 0
    assert weight_of(()) == 0
