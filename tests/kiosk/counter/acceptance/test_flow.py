"""Submitting and printing without a screen: pages up before the case, a 409 missing_uploads
met by uploading the named pages again and retrying with the SAME key (against a real
station whose staging lost a page), a refusal passed on, and the papers printed or not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.client.http import StationError
from kiosk.counter_ports import Missing, Printed, ReceiptFacts
from kiosk.ui.counter.acceptance import flow
from kiosk.ui.counter.acceptance.draft import PageDraft
from tests.kiosk.station.case_station import CaseStation, birth_bundle, case_station

from .fakes import FakePrinter, page_image


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("flow") / "site") as made:
        yield made


class Recording:
    """The station client, recording each call (and forgetting one staged page once)."""

    def __init__(self, station: CaseStation, forget: str | None = None):
        self.client = station.client()
        self.station = station
        self.forget = forget
        self.calls: list[tuple[str, str]] = []

    def upload_page(self, data: bytes, media_type: str = "image/jpeg") -> str:
        sha = self.client.upload_page(data, media_type)
        self.calls.append(("upload", sha))
        if sha == self.forget:
            self.forget = None
            staging = self.station.running.station.cases.staging
            staging.discard([sha])  # as the 24-hour sweep or a restart would
        return sha

    def accept_case(self, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        self.calls.append(("accept", str(key)))
        return self.client.accept_case(body, key=key)


def pages(*numbers: int) -> dict[str, PageDraft]:
    made = [PageDraft(upload=page_image(n)[0], thumbnail=b"") for n in numbers]
    return {p.sha256: p for p in made}


def body_for(station: CaseStation, kept: dict[str, PageDraft]) -> dict[str, Any]:
    shas = list(kept)
    with station.client() as client:
        due = client.preview_case({"bundle_code": "SMP-YJS-001"})["rongque_latest"]
    return birth_bundle({"M008": shas[:1], "M004": shas[1:]}, due)


def test_a_page_lost_at_the_station_goes_up_again_under_the_same_key(
        station: CaseStation) -> None:
    kept = pages(101, 102)
    first, lost = list(kept)
    client = Recording(station, forget=lost)
    seen: list[tuple[int, int]] = []
    answer = flow.submit(client, body_for(station, kept), kept, "key-lost-page",
                         lambda done, total: seen.append((done, total)))
    assert answer["status"] == "accepted_rongque"
    assert seen == [(0, 2), (1, 2), (2, 2)]
    assert client.calls == [("upload", first), ("upload", lost),
                            ("accept", "key-lost-page"), ("upload", lost),
                            ("accept", "key-lost-page")]
    client.client.close()


def test_a_refusal_is_passed_on_and_nothing_is_retried(station: CaseStation) -> None:
    kept = pages(103)
    body = body_for(station, {**kept, **pages(104)})
    body["materials"][2] = {"code": "M004", "state": "missing"}  # required: refused
    body["materials"][1]["pages"] = list(kept)
    client = Recording(station)
    with pytest.raises(StationError) as refused:
        flow.submit(client, body, kept, "key-refused")
    assert refused.value.code == "acceptance_refused"
    assert refused.value.body["problems"]
    assert [c[0] for c in client.calls] == ["upload", "accept"]
    client.client.close()


def facts(missing: tuple[Missing, ...] = ()) -> ReceiptFacts:
    return ReceiptFacts(site_name="站", receipt_no="R-1", accepted_at=dt.datetime.now(dt.UTC),
                        applicant_name="王*明", applicant_id_number="110105********002X",
                        items=("失业登记",), received=("居民身份证",), missing=missing)


def test_the_receipt_and_the_notice_only_when_something_is_owed(tmp_path: Path) -> None:
    printer = FakePrinter()
    assert [o.what for o in flow.print_papers(printer, facts())] == ["receipt"]
    owed = facts((Missing("照片", "2026-12-01"),))
    outcomes = flow.print_papers(printer, owed)
    assert [(o.what, o.printed.ok) for o in outcomes] == [("receipt", True), ("notice", True)]
    printer.failing = {"notice"}
    again = flow.print_papers(printer, owed, only=("notice",))
    assert [(o.what, o.printed.ok) for o in again] == [("notice", False)]
    assert "缺纸" in again[0].printed.message
    assert printer.kinds() == ["receipt", "receipt", "notice"]


def test_no_printer_or_a_broken_one_leaves_the_case_and_says_what_to_do() -> None:
    none = flow.print_papers(None, facts())
    assert not none[0].printed.ok and none[0].printed.hint

    class Broken:
        def print_receipt(self, facts: ReceiptFacts) -> Printed:
            raise OSError("usb gone")

    broken = flow.print_papers(Broken(), facts())  # type: ignore[arg-type]
    assert not broken[0].printed.ok and "OSError" in broken[0].printed.message
