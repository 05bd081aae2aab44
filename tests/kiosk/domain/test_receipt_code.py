"""The text of the QR codes on receipts and tickets, and reading it back from whatever a
scanner delivers (kiosk/domain/receipt_code.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.receipt_code import (
    DEFAULT_RECEIPT,
    MAX_CODE,
    Scanned,
    appointment_code,
    parse_code,
    receipt_payload,
    ticket_payload,
)

NO = "DEMO-0001-20261124-0007"
TOKEN = "abcdefgh2345"
TICKET = "019a5f3e-7c1d-7a00-8b2e-3f4a5b6c7d8e"


@pytest.mark.parametrize(("template", "expected"), [
    ("", f"BMR:{NO}:{TOKEN}"),
    ("   ", f"BMR:{NO}:{TOKEN}"),
    (DEFAULT_RECEIPT, f"BMR:{NO}:{TOKEN}"),
    ("https://q.example.cn/q/{receipt_no}", f"https://q.example.cn/q/{NO}?t={TOKEN}"),
    ("https://q.example.cn/q?no={receipt_no}", f"https://q.example.cn/q?no={NO}&t={TOKEN}"),
    ("https://q.example.cn/q/{receipt_no}/{token}", f"https://q.example.cn/q/{NO}/{TOKEN}"),
    ("https://q.example.cn/#/q/{receipt_no}", f"https://q.example.cn/?t={TOKEN}#/q/{NO}"),
    ("https://q.example.cn/portal", f"https://q.example.cn/portal?receipt_no={NO}&t={TOKEN}"),
])
def test_a_receipt_payload_always_carries_the_number_and_the_token(template: str,
                                                                   expected: str) -> None:
    text = receipt_payload(template, NO, TOKEN)
    assert text == expected
    assert parse_code(text) == Scanned("receipt", NO, TOKEN)


def test_a_ticket_payload_reads_back() -> None:
    assert ticket_payload(TICKET, TOKEN) == f"BMT:{TICKET}:{TOKEN}"
    assert parse_code(f" bmt:{TICKET.upper()}:{TOKEN.upper()}\r\n") == \
        Scanned("ticket", TICKET, TOKEN)


@pytest.mark.parametrize("text", [
    f"BMR:{NO}:{TOKEN}\n",                           # a scanner's line end
    f"bmr:{NO}:{TOKEN.upper()}",                     # a scanner in upper case
    f"https://q.example.cn/q/{NO}?t={TOKEN}",
    f"https://q.example.cn/q/{NO}?lang=zh&t={TOKEN}",
    f"https://q.example.cn/q/{TOKEN}/{NO}",          # token before the number
    f"https://q.example.cn/q/{NO}/{TOKEN}?utm=x",
])
def test_receipt_codes_are_read_from_their_usual_forms(text: str) -> None:
    assert parse_code(text) == Scanned("receipt", NO, TOKEN)


def test_a_counters_offline_number_reads_back_once_the_station_has_the_case() -> None:
    number = "DEMO-0001-20261124-H1001"
    assert parse_code(receipt_payload("", number, TOKEN)) == Scanned("receipt", number, TOKEN)


@pytest.mark.parametrize("text", [
    "", " ", "hello", "BMR:", f"BMR:{NO}", f"BMR:{NO}:", f"BMR:{NO}:short",
    f"BMR:{NO}:{TOKEN}x", f"BMR:{NO}:abcdefgh2389",          # 8 and 9 are not base32
    f"BMT:not-a-uuid:{TOKEN}", f"https://q.example.cn/q/{NO}",  # no token at all
    f"https://q.example.cn/q/{NO}?t=short", "https://[::1", "\x00\x01",
    "https://q.example.cn/q/DEMO-0001-2026112-0007?t=" + TOKEN,  # a day of 7 digits
    f"BMR:{NO}:{TOKEN}" + " " * MAX_CODE,                     # too long before stripping
])
def test_anything_else_is_none(text: str) -> None:
    assert parse_code(text) is None


def test_what_is_not_text_is_none() -> None:
    assert parse_code(None) is None
    assert parse_code(b"BMR:x") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=MAX_CODE + 20))
def test_any_text_gives_a_code_or_none(text: str) -> None:
    found = parse_code(text)
    assert found is None or (found.kind in ("receipt", "ticket") and len(found.token) == 12)
    assert appointment_code(text) is None or len(appointment_code(text) or "") <= 32


def test_a_long_run_of_hyphens_and_digits_is_read_quickly() -> None:
    # the receipt pattern has a repeated group: text built to make it backtrack must not
    # hang the kiosk (this would take minutes if it were quadratic per start position)
    hostile = "-".join(["1234"] * 399) + "-"
    assert len(hostile) <= MAX_CODE and parse_code(hostile) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("K7Q2", "K7Q2"),
    (" K7Q2\n", "K7Q2"),
    ("https://yy.example.cn/checkin/K7Q2", "K7Q2"),
    ("https://yy.example.cn/checkin/K7Q2/", "K7Q2"),
    ("https://yy.example.cn/c?code=K7Q2&x=1", "K7Q2"),
    ("https://yy.example.cn/c/zzz?code=AB-12", "AB-12"),
    ("", None), ("有空格 的", None), ("https://yy.example.cn/", None), ("x" * 33, None),
    ("K" * (MAX_CODE + 1), None),
])
def test_an_appointment_code_is_the_code_or_found_in_a_url(text: str,
                                                          expected: str | None) -> None:
    assert appointment_code(text) == expected
