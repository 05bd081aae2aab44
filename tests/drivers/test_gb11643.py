"""GB 11643-1999 identification numbers: check character, validity, birth date, sex."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.gb11643 import birth_date, check_digit, checksum_ok, is_valid, sex_from_number


def test_worked_example_from_the_standard() -> None:
    assert check_digit("11010519491231002") == "X"
    assert is_valid("11010519491231002X")


@pytest.mark.parametrize(("first17", "expected"), [
    ("11010519491231002", "X"),
    ("44010619900101123", "5"),
    ("53010220010809363", "1"),
    ("81000019940823001", "3"),
    ("93148419880215002", "2"),
])
def test_check_digits(first17: str, expected: str) -> None:
    assert check_digit(first17) == expected


def test_check_digit_by_the_definition() -> None:
    # ISO 7064 MOD 11-2 written independently: (12 - sum(a_i * 2^(17-i)) mod 11) mod 11
    first17 = "34052419800101001"
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    assert check_digit(first17) == ("X" if value == 10 else str(value))


@pytest.mark.parametrize("bad", ["", "1101051949123100", "1101051949123100X", "11010519491231002a",
                                 "１１０１０５１９４９１２３１００２"])
def test_check_digit_rejects_non_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_digit(bad)


@pytest.mark.parametrize("number", [
    "110105194912310021",  # wrong check character
    "11010519491231002",  # 17 characters
    "11010519491231002XX",
    "1101051949123100２X",  # full-width digit
])
def test_invalid_numbers(number: str) -> None:
    assert not is_valid(number)


def test_impossible_birth_date_with_a_right_checksum_is_invalid() -> None:
    first17 = "11010519490230002"  # 30 February
    number = first17 + check_digit(first17)
    assert checksum_ok(number)
    assert not is_valid(number)
    assert birth_date(number) is None


def test_foreigner_2023_numbers_need_only_the_checksum() -> None:
    first17 = "93148499999999002"  # digits 7-14 are no date, yet the number is fine
    assert is_valid(first17 + check_digit(first17))
    assert not is_valid(first17 + ("0" if check_digit(first17) != "0" else "1"))


def test_lowercase_x_is_accepted_as_typed_input() -> None:
    assert is_valid("11010519491231002x")


def test_birth_date_and_sex() -> None:
    assert birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert sex_from_number("11010519491231002X") == "2"  # 002: even
    assert sex_from_number("440106199001011235") == "1"  # 123: odd
    with pytest.raises(ValueError):
        sex_from_number("1101")
    with pytest.raises(ValueError):
        birth_date("abc")
