"""The acceptance page against a real station on loopback, with device stand-ins that call
back from their own threads: a card fills the applicant, the 新生儿出生 bundle found by its
initials, pages captured into the strip and reordered, an e-licence code scanned, a 容缺 with
its commitment printed and signed, the case accepted with the receipt and the notice printed;
then a refusal that keeps the draft, a printer out of paper, and no camera at all."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.gb11643 import is_valid
from kiosk.client.http import StationClient
from kiosk.counter_ports import CounterDevices, DeviceStatus
from kiosk.ui.counter import look
from kiosk.ui.counter.context import Clerk, CounterContext
from kiosk.ui.qt import QtCore, QtGui, QtWidgets
from kiosk.ui.runner import Runner
from tests.kiosk.station.case_station import AGENT_ID_NUMBER, CLERK, CaseStation, case_station

from .fakes import (
    ID_NUMBER,
    NAME,
    FakeCardReader,
    FakeCodeScanner,
    FakePrinter,
    FakeScanner,
    card,
    wait_until,
)

QTest = pytest.importorskip("PySide6.QtTest").QTest
BUNDLE = "SMP-YJS-001"  # 新生儿出生一件事
CHECKLIST = ["M001", "M003", "M008", "M004", "M002", "M007"]
SITE = "某某镇便民服务中心"


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("acceptance") / "site") as made:
        yield made


class Page:
    """The page on a host sized like the counter's screen, with its devices."""

    def __init__(self, station: CaseStation, *, scanner: bool = True,
                 problems: dict[str, DeviceStatus] | None = None):
        from kiosk.ui.counter.acceptance.view import AcceptanceView

        self.host = QtWidgets.QWidget()
        self.host.setObjectName("counter")
        self.host.setStyleSheet(look.stylesheet())
        self.host.resize(*look.SCREEN)
        self.runner = Runner(self.host)
        self.card_reader = FakeCardReader()
        self.scanner = FakeScanner() if scanner else None
        self.printer = FakePrinter()
        self.codes = FakeCodeScanner()
        self.client = StationClient(station.url, station.tokens["counter"], timeout_s=10)
        devices = CounterDevices(card_reader=self.card_reader, scanner=self.scanner,
                                 printer=self.printer, code_scanner=self.codes,
                                 problems=problems or {})
        self.ctx = CounterContext(client=self.client, runner=self.runner, devices=devices,
                                  window="1", site_name=SITE, id_check=is_valid,
                                  clerk=Clerk(CLERK, "张小明"))
        self.view = AcceptanceView(self.ctx, self.host)
        layout = QtWidgets.QVBoxLayout(self.host)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.finished: list[Any] = []
        self.cancelled: list[bool] = []
        self.view.finished.connect(self.finished.append)
        self.view.cancelled.connect(lambda: self.cancelled.append(True))
        self.host.show()

    def close(self) -> None:
        self.runner.close(wait=True)
        QtWidgets.QApplication.processEvents()
        self.host.close()
        self.host.deleteLater()
        QtWidgets.QApplication.processEvents()
        self.client.close()

    # --- what a clerk does ------------------------------------------------------------------

    def begin(self, ticket: dict[str, Any] | None = None) -> None:
        self.view.begin(ticket)
        wait_until(lambda: self.view.items.loaded)

    def choose_bundle_by_initials(self) -> None:
        QTest.keyClicks(self.view.items.search, "xsecs")
        results = self.view.items.results
        assert results.count() >= 1
        first = results.item(0)
        assert first.data(QtCore.Qt.ItemDataRole.UserRole) == BUNDLE
        self.click_item(results, first)
        self.wait_checklist()

    def wait_checklist(self) -> None:
        wait_until(lambda: not self.view._timer.isActive()
                   and self.view.checklist.state.text() not in ("", self.checking()))

    @staticmethod
    def checking() -> str:
        from kiosk.ui.counter.acceptance.checklist import CHECKING

        return look.inline("CounterAcceptance", CHECKING)

    def select(self, code: str) -> None:
        self.view.checklist.select(code)
        assert self.view.material.material is not None
        assert self.view.material.material.code == code

    def way(self, name: str) -> QtWidgets.QPushButton:
        return self.view.material.findChild(QtWidgets.QPushButton, f"way_{name}")

    def click(self, widget: QtWidgets.QWidget) -> None:
        assert widget.isEnabled() and widget.isVisible(), widget.objectName()
        QTest.mouseClick(widget, QtCore.Qt.MouseButton.LeftButton)

    @staticmethod
    def click_item(view: QtWidgets.QListWidget, item: QtWidgets.QListWidgetItem) -> None:
        rect = view.visualItemRect(item)
        QTest.mouseClick(view.viewport(), QtCore.Qt.MouseButton.LeftButton,
                         QtCore.Qt.KeyboardModifier.NoModifier, rect.center())

    def strip(self) -> QtWidgets.QListWidget:
        return self.view.capture.strip.list

    def capture_pages(self, code: str, first: int, count: int) -> list[str]:
        """Lay ``count`` pages under the camera for ``code``; their hashes."""
        self.select(code)
        assert self.scanner is not None
        wait_until(lambda: self.scanner is not None and self.scanner.running)
        hashes = []
        for n in range(first, first + count):
            page = self.scanner.lay(n)
            hashes.append(hashlib.sha256(page.upload).hexdigest())
            wait_until(lambda n=n: self.strip().count() == n - first + 1)
        return hashes


@pytest.fixture
def page(qapp: Any, station: CaseStation) -> Iterator[Page]:
    made = Page(station)
    yield made
    made.close()


def ticket(station: CaseStation) -> dict[str, Any]:
    made = station.post("kiosk", "/v1/tickets", {"category": "A", "confirm": True})
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_a_bundle_captured_deferred_waived_accepted_and_printed(
        page: Page, station: CaseStation, artifacts: Path) -> None:
    called = ticket(station)
    page.begin(called)
    view = page.view
    assert page.card_reader.started and page.codes.started
    assert called["number"] in view.ticket.text()

    # the card: fields fill in, shown masked, from the card, audited without the data
    page.card_reader.place(card())
    wait_until(lambda: view.draft.applicant.name == NAME)
    assert view.draft.applicant.from_card and view.draft.applicant.id_number == ID_NUMBER
    assert view.applicant.applicant.name.text() == "欧**娜"
    assert view.applicant.applicant.number.text() == "110105********002X"
    assert view.applicant.applicant.check.text().startswith("✓")  # the card's own number

    # the bundle by its pinyin initials; the checklist is the station's
    page.choose_bundle_by_initials()
    assert [m.code for m in view.draft.materials()] == CHECKLIST
    assert view.checklist.list.count() == len(CHECKLIST)
    assert "2026" in view.checklist.promised.text() or view.checklist.promised.text()

    # 申请表: two pages, a preview frame on screen, the second moved in front
    hashes = page.capture_pages("M008", 1, 2)
    assert page.scanner is not None
    page.scanner.frame()
    wait_until(lambda: view.capture.preview.frames >= 1)
    page.click(view.capture.strip.left)  # the selected (last) page one place earlier
    assert [p.sha256 for p in view.draft.material("M008").pages] == hashes[::-1]
    # 出生医学证明: one page, then retaken (the camera is told to take the same page again)
    page.capture_pages("M004", 3, 1)
    assert page.scanner.calls.count("stop") >= 1  # leaving 申请表 stopped the camera
    page.click(view.capture.strip.retake)
    assert view.draft.material("M004").pages == []
    assert page.scanner.calls[-1] == "same_page_again"
    page.scanner.lay(4)
    wait_until(lambda: page.strip().count() == 1)

    # 居民身份证: 免提交 by e-licence, its code from the code scanner
    page.select("M001")
    assert not page.way("defer").isEnabled()
    page.click(page.way("waive"))
    page.codes.scan("EL-2026-0001")
    wait_until(lambda: view.draft.material("M001").licence_code == "EL-2026-0001")
    assert not page.scanner.running  # not a captured material: the camera is off

    # 照片: 容缺 to the latest day allowed, the commitment printed and signed
    page.select("M007")
    assert not page.way("waive").isEnabled() or view.draft.material("M007").may_waive
    page.click(page.way("defer"))
    assert view.draft.material("M007").due == view.draft.rongque_latest
    page.click(view.material.defer.print_button)
    wait_until(lambda: "commitment" in page.printer.kinds())
    commitment = page.printer.printed[-1][1]
    assert [m.name for m in commitment.missing] == [view.draft.material("M007").name]
    page.click(view.material.defer.signed)
    page.wait_checklist()
    wait_until(lambda: view.draft.preview is not None and view.draft.preview["ok"])

    # the screenshot: the bundle, two captured materials, 申请表's strip and the preview
    page.select("M008")
    page.scanner.frame()
    wait_until(lambda: page.strip().count() == 2)
    QtWidgets.QApplication.processEvents()
    shot = page.host.grab()
    assert shot.save(str(artifacts / "acceptance.png"))
    assert shot.size() == QtCore.QSize(*look.SCREEN)  # everything fits the counter's screen

    # accept: pages up, the case made, receipt and notice printed, the page empty again
    page.click(view.accept_button)
    wait_until(lambda: page.finished, timeout_s=20)
    answer = page.finished[0]
    assert answer["status"] == "accepted_rongque" and answer["receipt_no"]
    states = {m["code"]: m["state"] for m in answer["materials"]}
    assert states == {"M001": "waived", "M003": "missing", "M008": "captured",
                      "M004": "captured", "M002": "missing", "M007": "deferred"}
    assert page.printer.kinds() == ["commitment", "receipt", "notice"]
    receipt = page.printer.printed[1][1]
    assert receipt.receipt_no == answer["receipt_no"] and receipt.site_name == SITE
    assert [m.name for m in receipt.missing] == [view_name(answer, "M007")]
    with page.client as client:
        kept = client.case(answer["id"])
    assert [m["pages"] for m in kept["materials"] if m["code"] in ("M008", "M004")] == [2, 1]
    assert kept["ticket_id"] == called["id"]
    actions = {row[0] for row in station.rows(
        "SELECT action FROM audit_log WHERE subject IN (?, ?)", called["id"], answer["id"])}
    assert {"id_card.read", "case.printed", "case.accepted"} <= actions
    assert not any(ID_NUMBER in str(r) or NAME in str(r)
                   for r in station.rows("SELECT subject, detail FROM audit_log"))
    # reset: nothing of the person or the pages is left on the page
    assert view.draft.applicant.is_empty() and view.draft.materials() == []
    assert view.applicant.applicant.name.text() == "" and page.strip().count() == 0
    assert not page.scanner.running


def view_name(answer: dict[str, Any], code: str) -> str:
    return next(m["name"] for m in answer["materials"] if m["code"] == code)


def type_chinese(field: QtWidgets.QLineEdit, text: str) -> None:
    """As an input method commits a typed word (QTest types Latin-1 keys only)."""
    field.setFocus()
    event = QtGui.QInputMethodEvent()
    event.setCommitString(text)
    QtWidgets.QApplication.sendEvent(field, event)


def test_a_refusal_shows_every_problem_and_keeps_the_case(page: Page) -> None:
    page.begin(None)
    view = page.view
    # typed in: the number checked as typed, masked once the field is left
    number = view.applicant.applicant.number
    type_chinese(view.applicant.applicant.name, "王小明")
    number.setFocus()
    QTest.keyClicks(number, "110105194912310021")  # a wrong check digit
    assert "✗" in view.applicant.applicant.check.text()
    number.clear()
    QTest.keyClicks(number, ID_NUMBER.lower())
    assert "✓" in view.applicant.applicant.check.text()
    view.items.search.setFocus()
    assert number.text() == "110105********002X"
    assert view.draft.applicant.id_number == ID_NUMBER and not view.draft.applicant.from_card

    page.choose_bundle_by_initials()
    # nothing captured: the required 申请表 and 出生医学证明 are missing
    page.click(view.accept_button)
    wait_until(lambda: view.submit_panel.isVisible()
               and view.submit_panel.property("role") == "error_box", timeout_s=20)
    detail = view.submit_panel.detail.text()
    assert detail.count("•") >= 3  # every problem at once
    assert view.draft.material("M008").problems and view.draft.material("M004").problems
    assert view.draft.applicant.name == "王小明"  # the draft is kept
    assert not page.finished and view.accept_button.isEnabled()

    # discard it: asked first, then everything is cleared
    page.click(view.cancel_button)
    assert view.confirm.isVisible()
    page.click(view.confirm.yes)

    assert page.cancelled == [True] and view.draft.applicant.is_empty()


def test_an_agent_applies_with_both_cards_read(page: Page, station: CaseStation) -> None:
    page.begin(None)
    view = page.view
    page.card_reader.place(card())
    wait_until(lambda: view.draft.applicant.name == NAME)
    # showing a card's number in full is a view of personal data: audited, without it
    view.applicant.applicant.number.setFocus()
    assert view.applicant.applicant.number.text() == ID_NUMBER
    wait_until(lambda: station.rows(
        "SELECT count(*) FROM audit_log WHERE action = 'applicant.viewed'")[0][0] >= 1)
    page.click(view.applicant.by_agent)
    assert view.draft.agent is not None and view.applicant.agent_box.isVisible()
    page.click(view.applicant.card_for_agent)
    page.card_reader.place(card("李四", AGENT_ID_NUMBER))
    wait_until(lambda: view.draft.agent is not None and view.draft.agent.name == "李四")
    assert view.draft.applicant.name == NAME  # the applicant's stays
    relationship = view.applicant.agent.relationship
    assert relationship is not None
    relationship.setCurrentIndex(relationship.findData("child"))
    QTest.keyClicks(view.items.search, "SMP-LDJY-001")
    page.click_item(view.items.results, view.items.results.item(0))
    page.wait_checklist()
    page.capture_pages("M001", 20, 1)
    assert page.scanner is not None
    page.click(view.capture.capture)  # the clerk's own capture button reaches the camera
    assert page.scanner.calls[-1] == "capture_now"
    page.click(view.accept_button)
    wait_until(lambda: page.finished, timeout_s=20)
    assert page.finished[0]["agent_masked"]["name"] == "李*"
    assert page.finished[0]["applicant_masked"]["name"] == "欧**娜"


def test_a_printer_out_of_paper_leaves_the_case_safe_and_prints_again(
        page: Page, station: CaseStation) -> None:
    page.begin(None)
    view = page.view
    page.card_reader.place(card())
    wait_until(lambda: view.draft.applicant.name == NAME)
    QTest.keyClicks(view.items.search, "SMP-LDJY-001")  # 失业登记: only the ID card required
    page.click_item(view.items.results, view.items.results.item(0))
    page.wait_checklist()
    page.capture_pages("M001", 10, 1)
    page.printer.failing = {"receipt"}
    page.click(view.accept_button)
    wait_until(lambda: view.submit_panel.again.isVisible(), timeout_s=20)
    assert "缺纸" in view.submit_panel.detail.text() and not page.finished
    receipt_no = view._answer["receipt_no"] if view._answer else ""
    assert receipt_no in view.submit_panel.message.text()
    page.printer.failing = set()
    page.click(view.submit_panel.again)
    wait_until(lambda: page.finished)
    assert page.printer.kinds() == ["receipt"]  # nothing missing: no notice
    assert page.finished[0]["receipt_no"] == receipt_no


def test_without_a_camera_the_page_says_so_and_the_rest_works(
        qapp: Any, station: CaseStation) -> None:
    problem = DeviceStatus("document_camera", False, "高拍仪无法使用 / cannot be used: USB",
                           "检查USB线 / check the USB cable")
    made = Page(station, scanner=False, problems={"document_camera": problem})
    try:
        made.begin(None)
        view = made.view
        made.choose_bundle_by_initials()
        made.select("M008")
        assert "USB" in view.capture.preview.note()
        assert not view.capture.capture.isEnabled()
        made.select("M007")
        made.click(made.way("defer"))  # 容缺 still works without the camera
        assert view.draft.material("M007").state == "deferred"
    finally:
        made.close()


def test_the_preview_paints_the_page_outline(qapp: Any) -> None:
    from kiosk.ui.counter.acceptance.capture import PreviewView, preview_image

    from .fakes import desk_frame

    rgb, quad = desk_frame()
    image = preview_image(rgb)
    rgb[:] = 0  # the frame is reused by the camera: the picture must be a copy
    assert image.pixelColor(300, 200) == QtGui.QColor(246, 246, 240)
    view = PreviewView()
    view.resize(640, 480)
    view.set_frame(image, quad, "stable", "请放稳")
    shot = view.grab().toImage()
    edge = shot.pixelColor(316, 46)  # on the top edge of the outline
    assert edge.green() > 100 and edge.red() < 80  # the good green of a page about to be taken
    view.deleteLater()
