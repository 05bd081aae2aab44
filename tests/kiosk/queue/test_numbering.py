import datetime as dt

import pytest

from kiosk.domain.queue.numbering import parse_ticket_number, service_day, ticket_number


def test_the_service_day_starts_at_the_reset_hour() -> None:
    assert service_day(dt.datetime(2026, 11, 24, 1, 30), reset_hour=5) == dt.date(2026, 11, 23)
    assert service_day(dt.datetime(2026, 11, 24, 5, 0), reset_hour=5) == dt.date(2026, 11, 24)
    assert service_day(dt.datetime(2026, 11, 24, 0, 0)) == dt.date(2026, 11, 24)
    assert service_day(dt.datetime(2026, 3, 1, 2, 0), reset_hour=3) == dt.date(2026, 2, 28)
    with pytest.raises(ValueError, match="hour of the day"):
        service_day(dt.datetime(2026, 11, 24), reset_hour=24)


def test_numbers_have_three_digits_and_never_wrap() -> None:
    assert ticket_number("A", 1) == "A001"
    assert ticket_number("C", 42) == "C042"
    assert ticket_number("B", 1000) == "B1000"
    for bad_prefix in ("", "AB", "a", "1"):
        with pytest.raises(ValueError, match="one capital letter"):
            ticket_number(bad_prefix, 1)
    with pytest.raises(ValueError, match="start at 1"):
        ticket_number("A", 0)


def test_numbers_parse_back() -> None:
    for prefix, seq in (("A", 1), ("Z", 999), ("B", 1000)):
        assert parse_ticket_number(ticket_number(prefix, seq)) == (prefix, seq)
    assert parse_ticket_number(" a007 ") == ("A", 7)
    for bad in ("A1", "AA001", "001", "A-001", ""):
        with pytest.raises(ValueError, match="letter and three or more digits"):
            parse_ticket_number(bad)
