"""Submitting a case and printing its papers, as plain functions the screen runs off the GUI
thread (Qt-free, so they are tested without a screen).

Submit (/tmp/api_contract.md, "Accept a case"): every page goes up first (``PUT
/v1/uploads/{sha256}``; the client asks ``HEAD`` first and skips a page already staged), then
``POST /v1/cases``. The station answers 409 ``missing_uploads`` when a staged page is gone
(swept, or the station restarted: staging is sealed with a per-process key): those pages go
up again and the request is repeated with the SAME ``Idempotency-Key``, so a retry can never
make a second case. Print: the receipt (受理回执), then the one-time notice (一次性告知单) when
anything is missing or deferred; a printer problem leaves the case as it is (accepted) and
says what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.client.http import StationError
from kiosk.counter_ports import Printed, PrinterPort, ReceiptFacts

from .draft import PageDraft
from .receipt import has_notice

RETRIES = 2
"""Times a ``missing_uploads`` answer is met by uploading again and asking again."""

NO_PRINTER = Printed(False, "未连接回执打印机，办件已受理 / no receipt printer: the case is "
                            "accepted", "连接打印机后点“重新打印”，或从办件记录补打 / connect "
                            "the printer and press Print again, or reprint from the history")


class CaseClient(Protocol):
    def upload_page(self, data: bytes, media_type: str = "image/jpeg") -> str: ...

    def accept_case(self, body: dict[str, Any], key: str | None = None) -> dict[str, Any]: ...


class UploadMismatch(Exception):
    """The station keeps a page under another hash than the counter computed."""


def submit(client: CaseClient, body: dict[str, Any], pages: Mapping[str, PageDraft], key: str,
           progress: Callable[[int, int], None] = lambda done, total: None) -> dict[str, Any]:
    """Upload ``pages`` (by hash), then accept ``body`` with ``key``; the station's answer.

    :param progress: ``(pages uploaded, pages)`` after each page (from this thread).
    :raises StationError: the station refused (``acceptance_refused``, ``invalid_party``…)
        or could not be reached; nothing was accepted unless the answer says so.
    """
    total = len(pages)
    progress(0, total)
    for done, page in enumerate(pages.values(), 1):
        _upload(client, page)
        progress(done, total)
    for attempt in range(RETRIES + 1):
        try:
            return client.accept_case(body, key=key)
        except StationError as exc:
            missing = exc.body.get("missing") if exc.code == "missing_uploads" else None
            if not missing or attempt == RETRIES:
                raise
            for sha256 in missing:
                page = pages.get(str(sha256))
                if page is None:  # the station names a page this case does not have
                    raise
                _upload(client, page)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _upload(client: CaseClient, page: PageDraft) -> None:
    kept = client.upload_page(page.upload, page.media_type)
    if kept != page.sha256:
        raise UploadMismatch(f"page {page.sha256[:12]} kept as {str(kept)[:12]}")


@dataclass(frozen=True)
class PrintOutcome:
    what: str
    """``receipt`` or ``notice``."""
    printed: Printed


def print_papers(printer: PrinterPort | None, facts: ReceiptFacts,
                 only: tuple[str, ...] | None = None) -> list[PrintOutcome]:
    """Print the receipt and, when anything is missing or deferred, the notice (``only``:
    just those, for a reprint of what failed). Never raises for the printer."""
    wanted = ["receipt", *(["notice"] if has_notice(facts) else [])]
    out = []
    for what in wanted:
        if only is not None and what not in only:
            continue
        if printer is None:
            out.append(PrintOutcome(what, NO_PRINTER))
            continue
        try:
            done = printer.print_receipt(facts) if what == "receipt" else \
                printer.print_notice(facts)
        except Exception as exc:  # a port must not raise, but the case is safe whatever it does
            done = Printed(False, f"打印出错 / printing failed: {type(exc).__name__}",
                           NO_PRINTER.hint)
        out.append(PrintOutcome(what, done))
    return out
