"""What the citizen kiosk's screen needs from its devices, as plain data and protocols.

``kiosk.ui`` may not import ``devices`` or ``drivers`` (DESIGN.md §3), so the kiosk screen
sees its devices only through these ports, exactly as the counter does through
:mod:`kiosk.counter_ports` (whose card reader, code scanner, status and outcome types are
the kiosk's too, re-exported here so the screen imports one module). The adapters in
:mod:`kiosk.kiosk_devices` put the real roles behind them; tests may hand in anything with
the same shape.

Threads: every callback a port takes is called from the device's own thread; the screen
carries it to the GUI thread itself. No method raises for a device problem: a
:class:`DeviceStatus` or a :class:`Printed` says what went wrong in plain words
(中文 / English) and what to do. Printing blocks while the printer takes the job (call it
off the GUI thread); :meth:`SpeakerPort.say` never blocks.

No Qt here, no store, no devices: this module is imported by both sides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from kiosk.counter_ports import (
    CardRead,
    CardReaderPort,
    CodeScannerPort,
    DeviceStatus,
    Printed,
    StatusCallback,
)

__all__ = ["ROLES", "CardRead", "CardReaderPort", "CodeScannerPort", "DeviceStatus",
           "GuideFacts", "GuideMaterial", "KioskDevices", "KioskPrinterPort", "Printed",
           "ResultDoc", "SpeakerPort", "StatusCallback", "TicketFacts"]

ROLES = ("id_card_reader", "ticket_printer", "code_scanner", "document_camera", "announcer")
"""The kiosk's device roles, in the order the status strip shows them. ``document_camera``
is the camera whose frames are searched for QR codes (:attr:`KioskDevices.camera_codes`)."""


# --- what goes on paper -----------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFacts:
    """What a queue ticket shows (``kiosk.kiosk_printouts.ticket_job`` lays it out). Nothing
    personal: a ticket is left on benches and floors."""

    site_name: str
    number: str
    """The ticket number as called, e.g. ``A012``."""
    category_name: str
    category_name_en: str
    ahead: int
    """People waiting before this ticket in its category."""
    estimated_wait_s: float | None
    """Estimated wait. Unit: s. None: no estimate (printed without one)."""
    issued_at: dt.datetime
    """When it was issued, aware and already in the site's time zone."""
    code: str = ""
    """The QR payload to follow the queue and rate later (``BMT:…``); "" prints no code."""
    priority_note: str = ""
    """e.g. "绿色通道 / Priority" when the ticket is in the green channel; "" for none."""
    appointment: bool = False
    """Checked in from an appointment (预约)."""
    reprint: bool = False
    """A second print of a ticket already issued (补打)."""
    language: str = "zh"
    """The citizen's screen language, ``zh`` or ``en`` (``en`` prints the English category
    name in bold). The paper is bilingual either way, Chinese first."""


@dataclass(frozen=True)
class GuideMaterial:
    """One material of a guide's list (the catalogue's ``ItemMaterial`` as paper shows it)."""

    name: str
    form: str
    """原件, 复印件, 原件和复印件 or 电子证照 (the catalogue's forms); other text is printed
    as given."""
    count: int
    required: bool
    """False: brought only when it applies to the citizen's case."""
    rongque: bool
    """容缺 allowed: the case may be accepted without it, the paper to follow later."""
    note: str = ""


@dataclass(frozen=True)
class GuideFacts:
    """The one-time notice of what to bring (一次性告知单) for an item or a bundle."""

    site_name: str
    title: str
    title_en: str
    printed_at: dt.datetime
    """Local time."""
    materials: tuple[GuideMaterial, ...]
    conditions: tuple[str, ...] = ()
    promised_days: int = 0
    """Working days promised; 0 with ``legal_days`` 0 is 即办 (done on the spot)."""
    legal_days: int = 0
    """The statutory limit in working days (0: none beyond the promise)."""
    fee_text: str = ""
    """e.g. "不收费 / Free"; "" prints no fee line."""
    window: str = ""
    """Where it is done, e.g. "综合窗口 B"; "" prints no window line."""
    village_can: bool = False
    """The village service point can apply for the citizen (村可代办)."""
    items: tuple[str, ...] = ()
    """A bundle's item names (一件事); empty for a single item."""


@dataclass(frozen=True)
class ResultDoc:
    """A result document the county sent for a case, to print after the ID card swipe.
    ``repr`` leaves out the bytes (a result is personal data): safe to log."""

    name: str
    media_type: str
    """``image/png``, ``image/jpeg`` or ``application/pdf``; anything else is refused in
    plain words."""
    data: bytes = field(repr=False)
    receipt_no: str
    printed_at: dt.datetime
    """Local time."""


# --- the ports ---------------------------------------------------------------------------------


class KioskPrinterPort(Protocol):
    """The ticket printer. Each ``print_*`` returns once the printer took the job:
    ``Printed(ok=True)`` only when it printed (a ticket whose print failed is void)."""

    def print_ticket(self, facts: TicketFacts) -> Printed: ...

    def print_guide(self, facts: GuideFacts) -> Printed: ...

    def print_result(self, doc: ResultDoc) -> Printed: ...

    def status(self) -> DeviceStatus:
        """The last known state; never waits for the printer."""

    def on_status(self, callback: StatusCallback) -> None:
        """``callback(status)`` when the state changes (paper runs out, comes back), from the
        device's thread."""


class SpeakerPort(Protocol):
    """The kiosk's voice (大字模式 speaks every step), Mandarin only."""

    def say(self, text: str) -> None:
        """Queue ``text`` (Chinese words; a text without any Chinese is not spoken) and
        return at once. A phrase being spoken is never cut off; a newer ``say`` while one
        is waiting replaces the waiting one, so the citizen hears the current step, not a
        backlog."""

    def stop(self) -> None:
        """Drop the waiting phrase (the one being spoken finishes)."""

    def status(self) -> DeviceStatus: ...


@dataclass
class KioskDevices:
    """The kiosk's devices; a role not configured (or not working at start) is None and the
    screen disables only what needs it and says so (typed entry instead of a scan, no
    print)."""

    card_reader: CardReaderPort | None = None
    printer: KioskPrinterPort | None = None
    code_scanner: CodeScannerPort | None = None
    camera_codes: CodeScannerPort | None = None
    """QR codes read from the document camera's picture (appointment and receipt codes)."""
    speaker: SpeakerPort | None = None
    problems: dict[str, DeviceStatus] = field(default_factory=dict)
    """Roles (of :data:`ROLES`) that could not be built, with why."""
    simulators: dict[str, object] = field(default_factory=dict)
    """role → the simulator behind a ``sim://`` port (the demo's tour reads the printed
    tickets from the printer's); empty with real devices."""
    close: Callable[[], None] = lambda: None
