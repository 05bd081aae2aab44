"""Citizen identification numbers. Standard: GB 11643-1999 《公民身份号码》 §4–§8 (structure:
6-digit address code, 8-digit birth date, 3-digit sequence code whose parity gives the sex,
1 check character) with the check character of ISO 7064:1983 MOD 11-2 (§8.2). Sources and
the worked example 11010519491231002X: ../shared/research/hardware.md §2.

The 2023 foreigner permanent residence card (外国人永久居留身份证, 'Y' cards) uses an 18-digit
number that begins with 9 and ends in the same MOD 11-2 check character, but has no GB/T 2260
address code, so :func:`is_valid` checks only its checksum. Its digits 7–14 are said to hold the
birth date as for residents [unverified]; :func:`birth_date` reads them for both.

Pure functions, no I/O. Region codes (GB/T 2260) are not checked here: they change every year
and a person keeps the code they were issued under (hardware.md §2).
"""

from __future__ import annotations

import datetime as dt

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"  # indexed by (weighted sum mod 11)
FOREIGNER_2023_PREFIX = "9"


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def check_digit(first17: str) -> str:
    """The check character ('0'–'9' or 'X') for the first 17 digits.

    :raises ValueError: ``first17`` is not exactly 17 ASCII digits.
    """
    if len(first17) != 17 or not _is_ascii_digits(first17):
        raise ValueError(f"need 17 digits, got {first17!r}")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def _shape_ok(id_number: str) -> bool:
    return (
        isinstance(id_number, str)
        and len(id_number) == 18
        and _is_ascii_digits(id_number[:17])
        and (id_number[17].isascii() and (id_number[17].isdigit() or id_number[17] in "Xx"))
    )


def checksum_ok(id_number: str) -> bool:
    """True when ``id_number`` has 18 characters and its check character matches. A lowercase
    ``x`` counts as ``X`` (typed input); cards always carry ``X``."""
    return _shape_ok(id_number) and check_digit(id_number[:17]) == id_number[17].upper()


def is_foreigner_2023(id_number: str) -> bool:
    """An 18-character number of the 2023 foreigner card (it begins with 9)."""
    return _shape_ok(id_number) and id_number.startswith(FOREIGNER_2023_PREFIX)


def birth_date(id_number: str) -> dt.date | None:
    """The birth date in digits 7–14, or None when those digits are not a real date.

    :raises ValueError: not 18 characters of the form 17 digits + check character.
    """
    if not _shape_ok(id_number):
        raise ValueError(f"not an 18-character identification number: {id_number!r}")
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def sex_from_number(id_number: str) -> str:
    """The GB/T 2261.1 sex code the sequence code implies: ``"1"`` (male, odd 17th digit)
    or ``"2"`` (female, even), per GB 11643-1999 §5.3.

    :raises ValueError: not 18 characters of the form 17 digits + check character.
    """
    if not _shape_ok(id_number):
        raise ValueError(f"not an 18-character identification number: {id_number!r}")
    return "1" if int(id_number[16]) % 2 else "2"


def is_valid(id_number: str) -> bool:
    """An 18-character number with a matching check character and, for resident numbers,
    a real birth date (1800 or later). 9-prefixed 2023 foreigner numbers: checksum only."""
    if not checksum_ok(id_number):
        return False
    if id_number.startswith(FOREIGNER_2023_PREFIX):
        return True
    born = birth_date(id_number)
    return born is not None and born.year >= 1800
