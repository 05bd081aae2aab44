"""A home visit (上门服务) with no station reachable, against a real station on loopback that
is stopped and started again: the clerk signs in online, the station goes away, a case is
accepted on the counter (the checklist from the kept catalogue, the receipt printed with the
counter's H-number, the rating given by hand), everything waits sealed in the spool; the
station comes back and gets it all, once, the rating tied to the case. A number the station
has already is refused and the banner says so; counter mode still needs its station."""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.gb11643 import is_valid
from kiosk import catalogue_loader
from kiosk.config import SiteConfig
from kiosk.counter_ports import CounterDevices
from kiosk.station import auth
from kiosk.station.server import start_background
from kiosk.ui.counter import look
from kiosk.ui.counter.app import CounterApp
from kiosk.ui.counter.offline import ReceiptNumbers
from kiosk.ui.counter.offline_rules import preview as local_preview
from kiosk.ui.counter.queue_model import Action
from kiosk.ui.qt import QtCore, QtWidgets
from tests.kiosk.station.case_station import CLERK, SECRET, CaseStation, jpeg, sha

from .acceptance.fakes import (
    ID_NUMBER,
    NAME,
    FakeCardReader,
    FakeCodeScanner,
    FakePrinter,
    FakeScanner,
    card,
)
from .conftest import pump
from .test_window import FEED, press, sign_in

SITE_CODE = "DEMO-0001"  # SiteConfig()'s
ITEM = "SMP-LDJY-001"  # 失业登记: the ID card required (captured), M024 optional


class Station(CaseStation):
    """The case station that can be stopped and started again on the same port."""

    def stop(self) -> None:
        self.running.stop()

    def start(self) -> None:
        port = urllib.parse.urlsplit(self.url).port
        assert port is not None
        self.running = start_background(self.data_dir, SiteConfig(), port=port)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Station]:
    data_dir = tmp_path_factory.mktemp("offline") / "site"
    running = start_background(data_dir, SiteConfig())
    site = running.station.site
    tokens = {role: running.station.writer.submit(auth.pair, site, role).result().token
              for role in auth.ROLES}

    def load() -> None:
        catalogue, source = catalogue_loader.read_file(None)
        catalogue_loader.save(site, catalogue, source)

    running.station.writer.submit(load).result()
    made = Station(running.url, running, tokens, data_dir)
    with made.client("manager") as manager:
        manager.add_clerk(CLERK, "张小明", SECRET)
    yield made
    made.stop()


class Visit:
    """A counter in ``mode`` at window 1 with device stand-ins and its spool under
    ``folder``."""

    def __init__(self, station: Station, folder: Path, mode: str = "home_visit"):
        self.card_reader, self.scanner = FakeCardReader(), FakeScanner()
        self.printer, self.codes = FakePrinter(), FakeCodeScanner()
        devices = CounterDevices(card_reader=self.card_reader, scanner=self.scanner,
                                 printer=self.printer, code_scanner=self.codes)
        self.folder = folder
        self.app = CounterApp(station.url, station.tokens["counter"], window="1", mode=mode,
                              devices=devices, id_check=is_valid, site_name="某某镇便民服务中心",
                              feed_options=FEED, site_code=SITE_CODE,
                              spool_dir=folder / "spool",
                              catalogue_cache=folder / "catalogue.json")
        self.window = self.app.window
        self.window.resize(*look.SCREEN)
        self.window.show()
        self.app.start()

    @property
    def view(self) -> Any:
        return self.window.acceptance

    def sign_in_and_open(self) -> None:
        """Online: sign in, open a walk-in case (the catalogue arrives and is kept)."""
        assert pump(lambda: self.window.model.live)
        sign_in(self.app, CLERK, SECRET)
        assert pump(lambda: self.window.page == "acceptance")
        press(self.app, Action.WALK_IN)
        assert pump(lambda: self.view.items.loaded)

    def lose_station(self, station: Station) -> None:
        station.stop()
        assert pump(lambda: self.window.strip.reachable is False, 15)

    def accept_a_case(self) -> None:
        """Card, the item by its code, the ID card captured, accept."""
        from PySide6.QtTest import QTest

        view = self.view
        if not view.draft.ticket_number and not self.window.model.accepting:
            press(self.app, Action.WALK_IN)
        self.card_reader.place(card())
        assert pump(lambda: view.draft.applicant.name == NAME)
        view.items.search.clear()
        QTest.keyClicks(view.items.search, ITEM)
        results = view.items.results
        assert pump(lambda: results.count() >= 1)
        rect = results.visualItemRect(results.item(0))
        QTest.mouseClick(results.viewport(), QtCore.Qt.MouseButton.LeftButton,
                         QtCore.Qt.KeyboardModifier.NoModifier, rect.center())
        assert pump(lambda: view.draft.preview is not None and "M001" in view.draft.order)
        view.checklist.select("M001")
        assert pump(lambda: self.scanner.running)
        self.scanner.lay(1)
        assert pump(lambda: view.draft.preview is not None and view.draft.preview["ok"]
                    and not view._timer.isActive())
        QTest.mouseClick(view.accept_button, QtCore.Qt.MouseButton.LeftButton)

    def close(self) -> None:
        self.app.stop()
        self.window.close()
        self.window.deleteLater()
        QtWidgets.QApplication.processEvents()


@pytest.fixture
def visits(qapp: Any) -> Iterator[list[Visit]]:
    made: list[Visit] = []
    yield made
    for visit in made:
        visit.close()


def test_a_home_visit_offline_is_delivered_when_the_station_is_back(
        station: Station, visits: list[Visit], tmp_path: Path, artifacts: Path) -> None:
    visit = Visit(station, tmp_path)
    visits.append(visit)
    window, offline = visit.window, visit.app.ctx.offline
    assert offline is not None
    visit.sign_in_and_open()
    assert (tmp_path / "catalogue.json").exists()  # kept for the road

    visit.lose_station(station)
    assert offline.station_down
    # the screen is not locked: the clerk, the page and the walk-in key stay
    assert window.page == "acceptance" and visit.app.ctx.clerk is not None

    finished: list[Any] = []
    visit.view.finished.connect(finished.append)
    visit.accept_a_case()
    assert pump(lambda: bool(finished), 20)
    answer = finished[0]
    day = dt.date.today().strftime("%Y%m%d")
    assert answer["offline"] and answer["id"] is None
    assert answer["receipt_no"] == f"{SITE_CODE}-{day}-H1001"
    assert answer["applicant_masked"] == {"name": "欧**娜", "id_number": "110105********002X"}
    # the receipt at once, with the counter's number and the offline words
    assert visit.printer.kinds() == ["receipt"]
    receipt = visit.printer.printed[0][1]
    assert receipt.receipt_no == answer["receipt_no"]
    assert "离线受理，回站后上传" in receipt.note
    assert answer["receipt_no"] in window.banner.text.text()

    # the rating by hand (no pad), kept with the case
    assert pump(lambda: window.rating_bar.isVisible())
    assert answer["receipt_no"] in window.rating_bar.title.text()
    window.rating_bar.levels[2].click()
    assert pump(lambda: not window.rating_bar.isVisible())
    assert pump(lambda: visit.window.strip.waiting_count >= 3)
    kinds = [job.kind for job in offline.spool.pending()]
    assert kinds.index("case") < kinds.index("rating") and "audit" in kinds  # id_card.read…
    assert window.strip.waiting.isVisible()
    assert "待上传" in window.strip.waiting.text() or "waiting" in window.strip.waiting.text()
    assert window.grab().save(str(artifacts / "home_visit_offline.png"))
    # sealed: neither the name nor the number nor the page in clear on this PC
    for path in (tmp_path / "spool").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert NAME.encode() not in data and ID_NUMBER.encode() not in data
            assert b"\xff\xd8\xff" not in data[:4]

    # the station is back: the feed comes back, everything goes, once
    station.start()
    assert pump(lambda: offline.waiting == 0, 30)
    assert pump(lambda: not window.strip.waiting.isVisible())
    rows = station.rows("SELECT id, mode, accepted_at FROM cases WHERE receipt_no = ?",
                        answer["receipt_no"])
    assert len(rows) == 1 and rows[0][1] == "home_visit"
    accepted_at = dt.datetime.fromisoformat(rows[0][2])
    assert abs(accepted_at - dt.datetime.fromisoformat(answer["accepted_at"])) \
        < dt.timedelta(seconds=1)
    case_id = rows[0][0]
    assert station.rows("SELECT level FROM ratings WHERE case_id = ?", case_id) == [(2,)]
    audited = {r[0] for r in station.rows(
        "SELECT action FROM audit_log WHERE subject IN (?, ?)", case_id, answer["receipt_no"])}
    assert {"case.accepted", "case.printed"} <= audited
    assert list((tmp_path / "spool").glob("*.job")) == []
    assert not list((tmp_path / "spool" / "refused").glob("*.job"))
    with station.client() as client:
        kept = client.case(case_id)
    assert [m["pages"] for m in kept["materials"] if m["code"] == "M001"] == [1]


def test_a_number_the_station_has_already_is_refused_and_shown(
        station: Station, visits: list[Visit], tmp_path: Path) -> None:
    # a reinstalled PC: its numbers start again at H1001, which the station has
    day = dt.date.today().strftime("%Y%m%d")
    taken = f"{SITE_CODE}-{day}-H1001"
    if not station.rows("SELECT 1 FROM cases WHERE receipt_no = ?", taken):
        page = jpeg()  # run alone: the station gets H1001 first
        with station.client() as client:
            client.upload_page(page)
            client.accept_case({
                "applicant": {"name": NAME, "id_number": ID_NUMBER}, "item_codes": [ITEM],
                "materials": [{"code": "M001", "state": "captured", "pages": [sha(page)]}],
                "window": "1", "mode": "home_visit", "receipt_no": taken,
                "accepted_at": dt.datetime.now().astimezone().isoformat()})
    visit = Visit(station, tmp_path)
    visits.append(visit)
    offline = visit.app.ctx.offline
    assert offline is not None
    visit.sign_in_and_open()
    visit.lose_station(station)
    finished: list[Any] = []
    visit.view.finished.connect(finished.append)
    visit.accept_a_case()
    assert pump(lambda: bool(finished), 20)
    assert finished[0]["receipt_no"] == taken
    visit.window.rating_bar.skip.click()

    station.start()
    assert pump(lambda: offline.waiting == 0, 30)
    banner = visit.window.banner.text.text()
    assert pump(lambda: "已有办件" in visit.window.banner.text.text(), 5), banner
    refused = [job.body.get("receipt_no") for job, _ in offline.spool.refused()]
    assert taken in refused
    assert station.rows("SELECT count(*) FROM cases WHERE receipt_no = ?", taken) == [(1,)]


def test_counter_mode_still_needs_its_station(
        station: Station, visits: list[Visit], tmp_path: Path) -> None:
    visit = Visit(station, tmp_path, mode="counter")
    visits.append(visit)
    assert visit.app.ctx.offline is None
    visit.sign_in_and_open()
    visit.lose_station(station)
    try:
        from PySide6.QtTest import QTest

        view = visit.view
        visit.card_reader.place(card())
        assert pump(lambda: view.draft.applicant.name == NAME)
        QTest.keyClicks(view.items.search, ITEM)
        results = view.items.results
        assert pump(lambda: results.count() >= 1)
        rect = results.visualItemRect(results.item(0))
        QTest.mouseClick(results.viewport(), QtCore.Qt.MouseButton.LeftButton,
                         QtCore.Qt.KeyboardModifier.NoModifier, rect.center())
        # no checklist without the station, and accepting is refused with its words
        assert pump(lambda: view.notice.isVisible() and "连不上站点" in view.notice.text())
        assert view.draft.preview is None
        view.submit()
        assert pump(lambda: view.submit_panel.isVisible()
                    and "连不上站点" in view.submit_panel.message.text()
                    + view.submit_panel.detail.text(), 15)
        assert visit.printer.kinds() == [] and not (tmp_path / "spool").exists()
    finally:
        station.start()


def test_the_counters_preview_has_the_stations_shape_and_answer(
        station: Station, tmp_path: Path) -> None:
    from kiosk.domain.catalogue import parse_catalogue
    from kiosk.domain.workdays import WorkdayCalendar

    with station.client() as client:
        full = client.catalogue(full=True)
        catalogue = parse_catalogue(full["source"])
        due = client.preview_case({"bundle_code": "SMP-YJS-001"})["rongque_latest"]
        bodies = [
            {"bundle_code": "SMP-YJS-001", "materials": []},
            {"applicant": {"name": NAME, "id_number": ID_NUMBER, "from_card": False},
             "bundle_code": "SMP-YJS-001", "mode": "home_visit", "window": "1",
             "materials": [
                 {"code": "M001", "state": "waived", "reason": "e_licence",
                  "licence_code": "EL-1"},
                 {"code": "M008", "state": "captured", "pages": [], "page_count": 2},
                 {"code": "M004", "state": "captured", "pages": [], "page_count": 1},
                 {"code": "M007", "state": "deferred", "due": due,
                  "commitment_signed": True}]},
            {"applicant": {"name": "", "id_number": "110105194912310021"},
             "item_codes": [ITEM, "SMP-LDJY-002"], "materials": [
                 {"code": "M007", "state": "waived", "reason": "e_licence"}]},
            {"applicant": {"name": NAME, "id_number": ID_NUMBER}, "item_codes": ["NOPE"]},
        ]
        for body in bodies:
            theirs = client.preview_case(body)
            ours = local_preview(catalogue, WorkdayCalendar(), body,
                                 on=dt.date.fromisoformat(theirs["accepted_on"]),
                                 id_check=is_valid)
            assert ours == theirs


def test_receipt_numbers_count_per_window_and_day_and_survive_a_restart(
        tmp_path: Path) -> None:
    path = tmp_path / "numbers.json"
    day, other = dt.date(2026, 11, 24), dt.date(2026, 11, 25)
    first = ReceiptNumbers(path)
    assert first.next("DEMO-0001", "1", day) == "DEMO-0001-20261124-H1001"
    assert first.next("DEMO-0001", "1", day) == "DEMO-0001-20261124-H1002"
    assert first.next("DEMO-0001", "12", day) == "DEMO-0001-20261124-H12001"
    again = ReceiptNumbers(path)  # the counter restarted
    assert again.next("DEMO-0001", "1", day) == "DEMO-0001-20261124-H1003"
    assert again.next("DEMO-0001", "1", other) == "DEMO-0001-20261125-H1001"
    pattern = r"DEMO-0001-\d{8}-H1\d{3}"
    assert re.fullmatch(pattern, again.next("DEMO-0001", "1", other))


@pytest.mark.parametrize(("mode", "given", "expected"), [
    ("home_visit", None, "counter-spool"), ("agent", "elsewhere", "elsewhere"),
    ("counter", None, None)])
def test_bianmin_counter_hands_the_spool_and_the_site_code_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, given: str | None,
        expected: str | None) -> None:
    from click.testing import CliRunner

    from kiosk.counter_cli import counter
    from kiosk.ui.counter import app

    seen: dict[str, Any] = {}

    def run_counter(station: str, token: str | None, **kwargs: Any) -> int:
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(app, "run_counter", run_counter)
    args = ["--data-dir", str(tmp_path), "--token", "t", "--window", "1", "--mode", mode,
            "--station", "http://127.0.0.1:9", "--screenshot", str(tmp_path / "x.png")]
    if given:
        args += ["--spool-dir", str(tmp_path / given)]
    result = CliRunner().invoke(counter, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert seen["site_code"] == SITE_CODE
    if expected is None:
        assert "spool_dir" not in seen
    else:
        assert seen["spool_dir"] == tmp_path / expected
        assert seen["catalogue_cache"] == tmp_path / "counter-catalogue.json"
