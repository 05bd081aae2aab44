"""The ID card reader behind :class:`kiosk.counter_ports.CardReaderPort`: a GA 467 SAM reader
(``devices.id_card_reader``) whose cards become :class:`~kiosk.counter_ports.CardRead`.

The photo arrives, when the vendor's WLT decoder is installed (drivers/wlt_plugin.py), as the
102×126 24-bit BMP GA 467 readers produce; the screen gets it as PNG (Pillow), the format Qt
and the station take. Personal data is never logged here: a card read is logged by its type.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
from collections.abc import Callable

from PIL import Image, UnidentifiedImageError

from devices.health import Health
from devices.id_card_reader import IdCardReader
from drivers.sam_ga467 import IdCard
from kiosk.counter_ports import CardRead, DeviceStatus, StatusCallback

from .status import StatusListeners, call_each, status_of

log = logging.getLogger(__name__)


def photo_png(bmp: bytes | None) -> bytes | None:
    """The card's photo BMP as PNG; None without one, or when it cannot be read (the card
    is still good without its photo)."""
    if not bmp:
        return None
    try:
        with Image.open(io.BytesIO(bmp)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, "PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        log.warning("ID card photo could not be converted: %s", type(exc).__name__)
        return None


def card_read(card: IdCard, bmp: bytes | None, read_at: float) -> CardRead:
    """The port's view of a card as read (GA 467 text fields, GB 11643 check)."""
    valid_to = card.valid_to.isoformat() if isinstance(card.valid_to, dt.date) else card.valid_to
    return CardRead(
        # foreigner cards ('I', 'Y') may carry only the English name
        name=card.name or (card.english_name or ""),
        id_number=card.id_number, sex=card.sex, birth_date=card.birth_date,
        address=card.address or "", card_type=card.card_type, valid_to=valid_to,
        check_digit_ok=card.check_digit_ok, photo_png=photo_png(bmp),
        read_at_monotonic=read_at)


class CardReaderAdapter:
    """:class:`~kiosk.counter_ports.CardReaderPort` over an :class:`IdCardReader`. Callbacks
    come from the reader's polling thread.

    :param checked: the reader's health as checked at start-up; :meth:`status` says it until
        :meth:`start` (the reader's own health then only says "not opened yet").
    """

    def __init__(self, reader: IdCardReader, role: str = "id_card_reader", *,
                 checked: Health | None = None):
        self.reader = reader
        self.role = role
        self._checked = checked
        self._cards: list[Callable[[CardRead], None]] = []
        self._status = StatusListeners(role)
        reader.on_card_placed(self._placed)
        reader.on_health_changed(self._health_changed)

    def on_card(self, callback: Callable[[CardRead], None]) -> None:
        self._cards.append(callback)

    def on_status(self, callback: StatusCallback) -> None:
        self._status.add(callback)

    def status(self) -> DeviceStatus:
        return status_of(self.role, self._checked or self.reader.health())

    def start(self) -> None:
        self._checked = None
        self.reader.start()

    def stop(self) -> None:
        self.reader.stop()

    def _placed(self, card: IdCard, bmp: bytes | None) -> None:
        read_at = time.monotonic()  # first: the bench measures from the reader's delivery
        read = card_read(card, bmp, read_at)
        log.info("ID card read: %s", card.card_type)
        call_each(self._cards, read, owner="id card reader")

    def _health_changed(self, health: Health) -> None:
        self._status.tell(status_of(self.role, health))
