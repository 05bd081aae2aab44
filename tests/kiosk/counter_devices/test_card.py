"""The ID card reader port over the GA 467 SAM simulator at real byte timing (115200 Bd):
a card laid on the reader becomes a CardRead with the card's text, masked in its repr."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
from collections.abc import Callable

from PIL import Image

from kiosk.counter_devices.card import photo_png
from kiosk.counter_ports import CardRead, CounterDevices, DeviceStatus

Build = Callable[..., CounterDevices]

READER = """
[devices.id_card_reader]
driver = "ga467-sam"
port = "sim://idcard"
"""


def test_a_card_placed_is_read_with_its_fields_within_a_second(build: Build) -> None:
    devices = build(READER)
    port = devices.card_reader
    assert port is not None
    assert port.status().ok  # as checked at start-up, before the screen starts the reader
    cards: list[CardRead] = []
    statuses: list[DeviceStatus] = []
    arrived = threading.Event()
    port.on_card(lambda card: (cards.append(card), arrived.set()))
    port.on_status(statuses.append)
    port.start()
    deadline = time.monotonic() + 3.0
    while not port.status().ok and time.monotonic() < deadline:
        time.sleep(0.02)
    assert port.status().ok, port.status()
    assert statuses and statuses[-1].ok and statuses[-1].role == "id_card_reader"

    placed = time.monotonic()
    devices.simulators["id_card_reader"].place("resident_elderly")
    assert arrived.wait(3.0), "no card was delivered"
    card = cards[0]
    seconds = card.read_at_monotonic - placed
    print(f"\ncard placed -> CardRead: {seconds * 1000:.0f} ms (poll 0.3 s, 115200 Bd)")
    assert 0 < seconds < 1.0
    assert (card.name, card.id_number, card.sex) == ("王秀英", "11010519491231002X", "女")
    assert card.birth_date == dt.date(1949, 12, 31) and card.valid_to == "长期"
    assert card.address.startswith("北京市朝阳区") and card.card_type == "resident"
    assert card.check_digit_ok is True
    assert card.photo_png is None  # no vendor WLT decoder is installed
    assert "王秀英" not in repr(card) and "11010519491231002X" not in repr(card)
    time.sleep(0.7)  # the card stays: it is not read again
    assert len(cards) == 1


def test_a_reader_that_goes_away_says_so(build: Build) -> None:
    devices = build(READER)
    port = devices.card_reader
    assert port is not None
    statuses: list[DeviceStatus] = []
    port.on_status(statuses.append)
    port.start()
    deadline = time.monotonic() + 3.0
    while not port.status().ok and time.monotonic() < deadline:
        time.sleep(0.02)
    devices.simulators["id_card_reader"].unplug()
    deadline = time.monotonic() + 3.0
    while port.status().ok and time.monotonic() < deadline:
        time.sleep(0.02)
    status = port.status()
    assert not status.ok and "身份证阅读器" in status.message and status.hint
    assert statuses[-1] == status


def test_the_photo_bmp_becomes_a_png_and_a_broken_one_is_dropped() -> None:
    bmp = io.BytesIO()
    Image.new("RGB", (102, 126), (200, 30, 30)).save(bmp, "BMP")
    png = photo_png(bmp.getvalue())
    assert png is not None and png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (102, 126) and image.getpixel((50, 60)) == (200, 30, 30)
    assert photo_png(b"BM not really a bitmap") is None
    assert photo_png(None) is None
