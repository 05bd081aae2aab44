"""What the counter screen needs from the devices at a window, as plain data and protocols.

``kiosk.ui`` may not import ``devices`` or ``drivers`` (DESIGN.md §3; the roles import the
drivers), so the counter's Qt layer sees its devices only through these ports. The adapters
in :mod:`kiosk.counter_devices` put the real roles (``devices.id_card_reader``,
``devices.imaging.session``, ``devices.ticket_printer``, ``devices.rating_terminal``,
``devices.code_scanner``) behind them; tests may hand in anything with the same shape.

Threads: every callback a port takes is called from the device's own thread; the screen
carries it to the GUI thread itself. Every method returns within its timeout and never
raises for a device problem: a :class:`DeviceStatus` or an outcome says what went wrong in
plain words (中文 / English) with what to do.

No Qt here, no store: this module is imported by both sides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

ROLES = ("id_card_reader", "document_camera", "receipt_printer", "rating_terminal",
         "code_scanner")
"""The counter's device roles, in the order the status strip shows them."""


@dataclass(frozen=True)
class DeviceStatus:
    """One device's state for the status strip: ``ok`` or not, what is wrong, what to do."""

    role: str
    ok: bool
    message: str = ""
    hint: str = ""


StatusCallback = Callable[[DeviceStatus], None]


# --- ID card reader ---------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class CardRead:
    """The text of the card placed on the reader. ``repr`` masks it: safe to log."""

    name: str
    id_number: str
    sex: str
    birth_date: dt.date
    address: str
    card_type: str
    valid_to: str
    """ISO date or 长期."""
    check_digit_ok: bool | None
    photo_png: bytes | None = None
    read_at_monotonic: float = 0.0
    """``time.monotonic()`` when the reader delivered the card (the bench measures from it)."""

    def __repr__(self) -> str:
        return f"CardRead(card_type={self.card_type!r}, name=*, id_number=*)"


class CardReaderPort(Protocol):
    def on_card(self, callback: Callable[[CardRead], None]) -> None:
        """``callback(card)`` once per card placed."""

    def on_status(self, callback: StatusCallback) -> None: ...

    def status(self) -> DeviceStatus: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


# --- document camera with auto-capture ------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    """A preview frame for the screen: ``rgb`` is a small RGB picture (numpy uint8 HxWx3,
    at most 640 px wide), ``quad`` the detected page in its pixels (TL, TR, BR, BL) or None,
    ``state`` the auto-capture state (idle, busy, stable, captured, locked) and ``hint`` the
    words to show the clerk ("请放稳 / hold still")."""

    rgb: object
    quad: tuple[tuple[float, float], ...] | None
    state: str
    hint: str = ""


@dataclass(frozen=True)
class Page:
    """One captured page, ready for the strip and the upload.

    ``upload`` is the JPEG the station keeps (the upload copy, at most 2 MB); ``thumbnail``
    a PNG at most 160 px tall for the strip; ``size_name`` the paper it matched (A4, ID-1…)
    or ""; ``codes`` the QR/bar codes read on it (an e-licence code, for instance);
    ``settled_at_monotonic`` when the page was judged still (the bench measures from it).
    """

    upload: bytes
    thumbnail: bytes
    width: int
    height: int
    size_name: str = ""
    codes: tuple[str, ...] = ()
    settled_at_monotonic: float = 0.0


class ScannerPort(Protocol):
    def on_preview(self, callback: Callable[[Preview], None]) -> None:
        """At most ``preview_fps`` previews a second while running."""

    def on_page(self, callback: Callable[[Page], None]) -> None: ...

    def on_status(self, callback: StatusCallback) -> None: ...

    def status(self) -> DeviceStatus: ...

    def start(self) -> None:
        """Camera on, auto-capture armed (the screen calls it when a material is chosen)."""

    def stop(self) -> None: ...

    def capture_now(self) -> None:
        """Take the page lying there now (the clerk's button), auto-capture or not."""

    def same_page_again(self) -> None:
        """Allow the page just taken to be taken again (a retake)."""

    def calibrate(self) -> None:
        """Take the next frame as the empty desk."""


# --- receipt printer --------------------------------------------------------------------------


@dataclass(frozen=True)
class Printed:
    ok: bool
    message: str = ""
    hint: str = ""


@dataclass(frozen=True)
class Missing:
    """A material not received: 容缺 with ``due`` (ISO date), or not accepted without it."""

    name: str
    due: str | None = None
    note: str = ""


@dataclass(frozen=True)
class ReceiptFacts:
    """What the receipt, the one-time notice and the commitment show (``kiosk.printouts``
    lays them out and masks the name and the number)."""

    site_name: str
    receipt_no: str
    accepted_at: dt.datetime
    applicant_name: str
    applicant_id_number: str
    items: Sequence[str]
    received: Sequence[str]
    missing: Sequence[Missing] = ()
    promised: dt.date | None = None
    window: str = ""
    clerk: str = ""
    fee_yuan: float = 0.0
    query_url: str = ""
    agent_name: str | None = None
    waived: Sequence[str] = field(default_factory=tuple)
    """Materials not asked for (免提交): the clerk got them from shared data or an
    e-licence."""
    note: str = ""
    """A line under the title, e.g. 离线受理，回站后上传 for a case accepted offline."""


class PrinterPort(Protocol):
    def print_receipt(self, facts: ReceiptFacts) -> Printed: ...

    def print_notice(self, facts: ReceiptFacts) -> Printed: ...

    def print_commitment(self, facts: ReceiptFacts) -> Printed: ...

    def status(self) -> DeviceStatus: ...


# --- rating terminal --------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingAnswer:
    """``level`` 1-5 (5 非常满意) when rated; else ``timed_out``, ``cancelled`` or an
    ``error`` with its ``hint``. ``reasons`` are the terminal's reason numbers."""

    level: int | None
    reasons: tuple[int, ...] = ()
    timed_out: bool = False
    cancelled: bool = False
    error: str = ""
    hint: str = ""


class RatingPort(Protocol):
    def show_staff(self, name: str, window: str, window_name: str = "") -> DeviceStatus: ...

    def ask(self, ref: str, timeout_s: float = 30) -> RatingAnswer:
        """Blocks until rated, timed out or cancelled: call it off the GUI thread."""

    def cancel(self) -> None: ...

    def status(self) -> DeviceStatus: ...


# --- code scanner ----------------------------------------------------------------------------


class CodeScannerPort(Protocol):
    def on_code(self, callback: Callable[[str], None]) -> None: ...

    def on_status(self, callback: StatusCallback) -> None: ...

    def status(self) -> DeviceStatus: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class CounterDevices:
    """The window's devices; a role not configured (or not working at start) is None and
    the screen says so and offers the manual way (typed entry, no capture, no print)."""

    card_reader: CardReaderPort | None = None
    scanner: ScannerPort | None = None
    printer: PrinterPort | None = None
    rating: RatingPort | None = None
    code_scanner: CodeScannerPort | None = None
    problems: dict[str, DeviceStatus] = field(default_factory=dict)
    """Roles that could not be built, with why (shown on the status strip)."""
    simulators: dict[str, object] = field(default_factory=dict)
    """role → the simulator behind a ``sim://`` port (the demo's tour reads the printed
    paper from the printer's); empty with real devices."""
    close: Callable[[], None] = lambda: None
