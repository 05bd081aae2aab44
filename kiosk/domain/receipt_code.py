"""What the QR codes on paper say: a receipt's and a ticket's number with a keyed token, and
an appointment's booking code, read back from whatever a scanner or a camera delivers.

Receipt numbers (``<site>-<yyyymmdd>-<seq>``) and ticket ids can be guessed or read over a
shoulder, so a code the kiosk acts on carries a token as well: the site's HMAC of the
number (``offline_store.crypto.KeyRing.code_token``), which only the station can make and
check. This module only writes and parses the text; it holds no key (issue 9).

Forms written here:

- a receipt: ``BMR:<receipt_no>:<token>``, or the site's ``query_url`` template with
  ``{receipt_no}`` and ``{token}`` filled in (``?t=<token>`` appended when the template has
  no ``{token}``), so a phone that scans it opens the county's page;
- a ticket: ``BMT:<ticket_id>:<token>``.

:func:`parse_code` reads both default forms and receipt URLs, and returns None for anything
else: it is handed whatever a scanner typed, so any text at all must come back as a value or
None, never as an exception.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Literal

DEFAULT_RECEIPT = "BMR:{receipt_no}:{token}"
MAX_CODE = 2000
"""Longer scanned text is not one of our codes (a QR code of a URL stays well below)."""
TOKEN_LENGTH = 12

_TOKEN = rf"[A-Za-z2-7]{{{TOKEN_LENGTH}}}"
_RECEIPT_NO = r"(?:[A-Za-z0-9]+-)+\d{8}-H?\d{3,}"
"""``DEMO-0001-20261124-0007`` (a site code may hold hyphens), or a counter's offline number
``…-H1001`` once the station has accepted the case."""
_DEFAULT_RECEIPT = re.compile(rf"BMR:({_RECEIPT_NO}):({_TOKEN})", re.IGNORECASE)
_DEFAULT_TICKET = re.compile(rf"BMT:([0-9A-Fa-f-]{{36}}):({_TOKEN})", re.IGNORECASE)
_RECEIPT_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9-])({_RECEIPT_NO})(?![A-Za-z0-9])")
_TOKEN_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9])({_TOKEN})(?![A-Za-z0-9])")
_APPOINTMENT_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True)
class Scanned:
    """A code read back: ``value`` is the receipt number or the ticket id, ``token`` the
    keyed token that must still be checked (lower case)."""

    kind: Literal["receipt", "ticket"]
    value: str
    token: str


def receipt_payload(template: str, receipt_no: str, token: str) -> str:
    """The text of a receipt's QR code.

    :param template: the site's ``query_url``; ``{receipt_no}`` and ``{token}`` are filled
        in. Without ``{token}`` the token goes in a ``t`` query parameter; without
        ``{receipt_no}`` too, the number goes in a ``receipt_no`` parameter before it. Empty:
        :data:`DEFAULT_RECEIPT`.
    """
    template = template.strip() or DEFAULT_RECEIPT
    text = template.replace("{receipt_no}", receipt_no).replace("{token}", token)
    if "{token}" in template:
        return text
    wanted = f"t={token}" if "{receipt_no}" in template else \
        f"receipt_no={receipt_no}&t={token}"
    text, hash_, fragment = text.partition("#")
    joiner = "" if text.endswith(("?", "&")) else "&" if "?" in text else "?"
    return f"{text}{joiner}{wanted}{hash_}{fragment}"


def ticket_payload(ticket_id: str, token: str) -> str:
    """The text of a ticket's QR code: follow the queue, rate the visit later."""
    return f"BMT:{ticket_id}:{token}"


def parse_code(text: object) -> Scanned | None:
    """A receipt or ticket code from scanned text, or None when it is not one of ours.

    Reads ``BMR:<receipt_no>:<token>``, ``BMT:<ticket_id>:<token>`` and URLs that hold a
    receipt number and the token (``t=`` parameter, else a path segment or parameter of
    12 base32 characters). Surrounding spaces, a scanner's line end and upper case are
    forgiven; more than :data:`MAX_CODE` characters is not.
    """
    if not isinstance(text, str) or len(text) > MAX_CODE:
        return None
    text = text.strip()
    for kind, pattern in (("receipt", _DEFAULT_RECEIPT), ("ticket", _DEFAULT_TICKET)):
        found = pattern.fullmatch(text)
        if found:
            value = found[1] if kind == "receipt" else found[1].lower()
            return Scanned(kind, value, found[2].lower())  # type: ignore[arg-type]
    receipt = _RECEIPT_IN_TEXT.search(text)
    if receipt is None:
        return None
    token = _url_token(text) or _token_outside(text, receipt.span())
    return Scanned("receipt", receipt[1], token.lower()) if token else None


def _url_token(text: str) -> str | None:
    try:
        parts = urllib.parse.urlsplit(text)
        query = urllib.parse.parse_qs(parts.query) | urllib.parse.parse_qs(parts.fragment)
    except ValueError:
        return None
    for value in query.get("t", ()):
        if re.fullmatch(_TOKEN, value):
            return value
    return None


def _token_outside(text: str, receipt: tuple[int, int]) -> str | None:
    """A token-shaped piece of the text outside the receipt number: the first one after
    it (a template puts the token after the number), else the last one before it."""
    after = _TOKEN_IN_TEXT.findall(text[receipt[1]:])
    if after:
        return str(after[0])
    before = _TOKEN_IN_TEXT.findall(text[:receipt[0]])
    return str(before[-1]) if before else None


def appointment_code(text: object) -> str | None:
    """The booking code in what was scanned or typed: the code itself, or inside a URL its
    ``code`` parameter or else the last path segment. None when nothing there can be one
    (1-32 letters, digits, ``_`` or ``-``)."""
    if not isinstance(text, str) or len(text) > MAX_CODE:
        return None
    text = text.strip()
    if "/" in text or "?" in text:
        try:
            parts = urllib.parse.urlsplit(text)
            codes = urllib.parse.parse_qs(parts.query).get("code", [])
        except ValueError:
            return None
        segments = [s for s in parts.path.split("/") if s]
        text = codes[0] if codes else urllib.parse.unquote(segments[-1]) if segments else ""
        text = text.strip()
    return text if _APPOINTMENT_CODE.fullmatch(text) else None
