"""The kiosk's pages that show a citizen their own affairs, check a booking in, print the
service guide and call for help, against a real station on loopback with its real store
(stand-in devices: tests/kiosk/kiosk_ui/fakes.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image

from kiosk.client.feed import EventFeed
from kiosk.config import SiteConfig
from kiosk.demo_tour import finished_cases
from kiosk.ui.kiosk.audit import measure
from kiosk.ui.kiosk.widgets import Text, Tile
from offline_store import sync_state
from offline_store.cases import BLOB_CONTEXT
from offline_store.clock import iso
from tests.kiosk.qt_support import pump

from .fakes import card

HOLDER = {"name": "李桂兰", "id_number": "11010519491231002X"}
OTHER = {"name": "赵志强", "id_number": "110101199003070075"}


def holder_card() -> Any:
    return card(HOLDER["id_number"], HOLDER["name"], dt.date(1949, 12, 31))


def texts(widget: Any) -> str:
    return " ".join(t.text() for t in widget.findChildren(Text) if t.isVisibleTo(widget))


def tiles(page: Any) -> dict[str, Tile]:
    return {t.title: t for t in page.findChildren(Tile) if t.isVisibleTo(page)}


def on_writer(station: SimpleNamespace, fn: Any, *args: Any) -> Any:
    return station.running.station.writer.submit(fn, *args).result()


@pytest.fixture(scope="module")
def cases(station: SimpleNamespace) -> dict[str, list[str]]:
    """Finished cases of two citizens, one with a result document from the county."""
    site = station.site
    mine = on_writer(station, finished_cases, site, SiteConfig(), HOLDER)
    theirs = on_writer(station, finished_cases, site, SiteConfig(), OTHER)
    picture = io.BytesIO()
    Image.new("L", (400, 300), 255).save(picture, "PNG")
    document = picture.getvalue()

    def county_sends() -> None:
        key, new = sync_state.case_key(site, mine[0])  # type: ignore[misc]
        sealed = key.encrypt(document, BLOB_CONTEXT)
        sync_state.save_result(site, case_id=mine[0], key=key, new_key=new,
                               sealed_sha=site.blobs.put(sealed), sealed_size=len(sealed),
                               plain_sha256=hashlib.sha256(document).hexdigest(),
                               plain_size=len(document), media_type="image/png",
                               name="养老待遇核定通知")

    on_writer(station, county_sends)
    return {"mine": mine, "theirs": theirs}


def ready(kiosk: Any) -> Any:
    window = kiosk.window
    window.poll()
    assert pump(lambda: kiosk.ctx.station_ok, 10)
    return window


def test_progress_by_card_shows_only_the_card_holders_cases(
        kiosk: Any, cases: dict[str, list[str]], artifacts: Path) -> None:
    window = ready(kiosk)
    window.go("progress")
    page = window.current
    kiosk.devices.card_reader.place(holder_card())
    assert pump(lambda: page.found is not None, 10)
    ids = {c["case_id"] for c in page.cases()}
    assert set(cases["mine"]) <= ids and not ids & set(cases["theirs"])
    shown = texts(page)
    assert "县级平台" in shown or "County" in shown  # "as of the last sync at HH:MM"
    assert "赵" not in shown and HOLDER["name"] not in shown
    window.grab().save(str(artifacts / "progress_cases.png"))


def test_progress_by_a_receipt_code_and_a_forged_one(
        kiosk: Any, station: SimpleNamespace, cases: dict[str, list[str]]) -> None:
    from kiosk.domain.receipt_code import receipt_payload

    window = ready(kiosk)
    row = station.site.store.query("SELECT receipt_no FROM cases WHERE id = ?",
                                   [cases["mine"][1]])[0]
    token = station.site.keys.code_token("receipt", row["receipt_no"])
    window.go("progress")
    page = window.current
    kiosk.devices.code_scanner.scan(receipt_payload("", row["receipt_no"], "x" * len(token)))
    assert pump(lambda: page.note and not page.busy, 10)
    assert page.found is None  # a code whose token does not match shows nothing
    kiosk.devices.code_scanner.scan(receipt_payload("", row["receipt_no"], token))
    assert pump(lambda: page.found is not None, 10)
    assert [c["case_id"] for c in page.cases()] == [cases["mine"][1]]


def test_a_result_document_is_printed_for_the_card_holder(
        kiosk: Any, cases: dict[str, list[str]]) -> None:
    window = ready(kiosk)
    window.go("results")
    page = window.current
    kiosk.devices.card_reader.place(holder_card())
    assert pump(lambda: page.found is not None, 10)
    printer = kiosk.devices.printer
    tiles(page)[kiosk.ctx.t("Print")].click()
    assert pump(lambda: printer.results, 10)
    doc = printer.results[-1]
    assert doc.media_type == "image/png" and doc.name == "养老待遇核定通知"
    assert Image.open(io.BytesIO(doc.data)).size == (400, 300)


def test_rating_a_finished_case_once_with_reasons_for_a_bad_level(
        kiosk: Any, station: SimpleNamespace, cases: dict[str, list[str]],
        artifacts: Path) -> None:
    window = ready(kiosk)
    window.go("rating")
    page = window.current
    kiosk.devices.card_reader.place(holder_card())
    assert pump(lambda: page.found is not None, 10)
    choices = page.choices()
    assert choices
    subject = choices[0][1]
    tiles(page)[choices[0][0]].click()
    tiles(page)["不满意"].click()
    tiles(page)["排队等候时间长"].click()
    window.grab().save(str(artifacts / "rating_reasons.png"))
    tiles(page)[kiosk.ctx.t("Send")].click()
    assert pump(lambda: page.thanked, 10)
    rows = station.site.store.query("SELECT level, channel, reasons FROM ratings"
                                    " WHERE case_id = ?", [subject["case_id"]])
    assert [(r["level"], r["channel"]) for r in rows] == [(2, "kiosk")]
    assert "long_wait" in rows[0]["reasons"]
    # 一事一评: the same case is not offered again
    window.go("rating")
    page = window.current
    kiosk.devices.card_reader.place(holder_card())
    assert pump(lambda: page.found is not None, 10)
    assert subject not in [s for _, s, _ in page.choices()]


def test_check_in_by_phone_prints_a_ticket_with_the_appointment_priority(
        kiosk: Any, station: SimpleNamespace) -> None:
    site = station.site
    now = site.clock.now()

    def book() -> None:
        with site.store.write() as conn:
            sync_state.apply_appointment(conn, site, {
                "id": "apt-1", "category": "B", "code": "YY8842",
                "start": iso(now - dt.timedelta(minutes=5)),
                "end": iso(now + dt.timedelta(minutes=25)), "status": "booked",
                "holder": {"name": "孙丽", "id_number": OTHER["id_number"],
                           "phone": "13912345678"}})

    on_writer(station, book)
    window = ready(kiosk)
    window.go("appointment")
    page = window.current
    for digit in "13912345678":
        page._key(digit)
    tiles(page)[kiosk.ctx.t("Find")].click()
    assert pump(lambda: page.found, 10)
    assert page.phone == ""  # the number is not kept once used
    assert not any("孙丽" in t.subtitle for t in tiles(page).values())  # masked
    slot = next(t for t in tiles(page).values() if "孙*" in t.subtitle)
    slot.click()
    assert pump(lambda: page.done is not None, 10)
    assert page.done.printed and kiosk.devices.printer.tickets[-1].appointment
    assert page.done.ticket["number"].startswith("B")
    # by the booking's QR code again: the same ticket, printed again
    window.go("appointment")
    page = window.current
    kiosk.devices.code_scanner.scan("https://yuyue.example.gov.cn/c/YY8842")
    assert pump(lambda: page.found, 10)
    slot = next(t for t in tiles(page).values() if "孙*" in t.subtitle)
    slot.click()
    assert pump(lambda: page.done is not None, 10)
    assert kiosk.devices.printer.tickets[-1].reprint


def test_the_guide_finds_by_pinyin_initials_and_prints_what_to_bring(kiosk: Any) -> None:
    window = ready(kiosk)
    window.go("guide")
    page = window.current
    assert pump(lambda: kiosk.ctx.catalogue is not None, 30)
    tiles(page)[kiosk.ctx.t("Search")].click()
    for letter in "TXYJS":  # 退休一件事
        tiles(page)[letter].click()
    assert "退休一件事" in tiles(page)
    tiles(page)["退休一件事"].click()
    assert page.mode == "detail"
    tiles(page)[kiosk.ctx.t("Print what to bring")].click()
    printer = kiosk.devices.printer
    assert pump(lambda: printer.guides, 10)
    facts = printer.guides[-1]
    assert facts.title == "退休一件事" and len(facts.items) == 3
    assert any(m.rongque for m in facts.materials)


def test_asking_for_help_rings_the_counters(kiosk: Any, station: SimpleNamespace) -> None:
    heard: list[dict[str, Any]] = []
    feed = EventFeed(station.url, station.tokens["counter"], heard.append, lambda *_: None)
    feed.start()
    try:
        assert pump(lambda: any(f.get("type") == "hello" for f in heard), 10)
        window = ready(kiosk)
        window.go("progress")
        window.go("help")
        page = window.current
        assert pump(lambda: page.asked is not None, 10)
        assert page.asked is True
        assert pump(lambda: any(f.get("type") == "help.requested" for f in heard), 10)
        call = next(f for f in heard if f.get("type") == "help.requested")
        assert call["screen"] == "progress"
    finally:
        feed.stop()


@pytest.mark.parametrize("elderly", [False, True])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_meets_the_measured_promises(
        kiosk: Any, cases: dict[str, list[str]], elderly: bool, language: str) -> None:
    window = ready(kiosk)
    kiosk.ctx.lang.code, kiosk.ctx.elderly = language, elderly
    window.restyle()
    for name in ("home", "ticket", "appointment", "guide", "progress", "results", "rating",
                 "help", "tech"):
        window.go(name)
        pump(lambda: not window.current.busy, 10)
        found = measure(window, 96.0)
        assert found.min_touch_mm >= 15.0, (name, found.where)
        assert found.min_font_px >= (32 if elderly else 24), (name, found.where)
        assert found.min_contrast >= (7.0 if elderly else 4.5), (name, found.where)
        assert window.current.sizeHint().height() <= 1920 - 300, name
    assert kiosk.ctx.lang.untranslated == set()
