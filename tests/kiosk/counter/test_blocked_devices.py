"""A device that fails in the middle of a case, with the real simulators behind the
counter's ports: the case stays safe and the clerk is told what to do (issue 7 "Tests").

- the receipt printer's roll runs out in the middle of the receipt: the case is accepted at
  the station all the same, the page says 缺纸 with what to do, and after a new roll
  `重新打印 Print again` prints the whole receipt;
- the document camera is unplugged while a material is being captured: the page says so
  with what to do, and its other buttons keep working.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.gb11643 import is_valid
from kiosk.client.http import StationClient
from kiosk.config.loader import parse_config
from kiosk.counter_devices import build_counter_devices
from kiosk.counter_ports import CounterDevices
from kiosk.ui.counter import look
from kiosk.ui.counter.context import Clerk, CounterContext
from kiosk.ui.qt import QtCore, QtWidgets
from kiosk.ui.runner import Runner
from tests.kiosk.station.case_station import CLERK, CaseStation, case_station

DEVICES = """
[devices.id_card_reader]
driver = "ga467-sam"
port = "sim://idcard?card=resident_elderly"

[devices.receipt_printer]
driver = "escpos-generic"
port = "sim://printer?width=58&paper_out_after=900"
printer_profile = "narrow"

[printer_profiles.narrow]
paper_width_mm = 58
dots_per_line = 384
chars_per_line = 32

[devices.document_camera]
driver = "uvc-generic"
port = "sim://camera?script=idcard&realtime=false&settle_frames=200{camera}"
options = {{ view_width_mm = 430.0, capture_skip_frames = 0 }}
"""
ITEM = "SMP-LDJY-001"
"""失业登记: the ID card is its one required material."""


def wait_until(done: Callable[[], Any], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        QtWidgets.QApplication.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CaseStation]:
    with case_station(tmp_path_factory.mktemp("blocked") / "site") as made:
        yield made


class Counter:
    def __init__(self, station: CaseStation, camera: str = ""):
        from kiosk.ui.counter.acceptance.view import AcceptanceView

        self.devices: CounterDevices = build_counter_devices(
            parse_config(DEVICES.format(camera=camera), "test"))
        assert self.devices.problems == {}, self.devices.problems
        self.host = QtWidgets.QWidget()
        self.host.setStyleSheet(look.stylesheet())
        self.host.resize(*look.SCREEN)
        self.runner = Runner(self.host)
        self.client = StationClient(station.url, station.tokens["counter"], timeout_s=10)
        ctx = CounterContext(client=self.client, runner=self.runner, devices=self.devices,
                             window="1", site_name="青山镇", id_check=is_valid,
                             clerk=Clerk(CLERK, "张小明"))
        self.view = AcceptanceView(ctx, self.host)
        QtWidgets.QVBoxLayout(self.host).addWidget(self.view)
        self.finished: list[Any] = []
        self.view.finished.connect(self.finished.append)
        self.host.show()

    def begin_with_card_and_item(self) -> None:
        self.view.begin(None)
        wait_until(lambda: self.view.items.loaded and self.view.draft.applicant.name)
        self.view.items.choose(ITEM)
        wait_until(lambda: any(m.code == "M001" for m in self.view.draft.materials()))

    def printer_sim(self) -> Any:
        return self.devices.simulators["receipt_printer"].sim  # type: ignore[attr-defined]

    def close(self) -> None:
        self.host.close()
        wait_until(lambda: True)
        self.runner.close(wait=True)
        self.devices.close()
        self.client.close()
        self.host.deleteLater()
        QtWidgets.QApplication.processEvents()


def test_paper_out_mid_receipt_keeps_the_case_and_prints_it_again(
        qapp: Any, station: CaseStation, artifacts: Path) -> None:
    counter = Counter(station)
    try:
        view = counter.view
        counter.begin_with_card_and_item()
        view.checklist.select("M001")
        wait_until(lambda: view.draft.material("M001").pages, 60)  # the card's front
        view.accept_button.click()
        wait_until(lambda: view.submit_panel.again.isVisible(), 30)
        said = view.submit_panel.message.text() + view.submit_panel.detail.text()
        assert "缺纸" in said and not counter.finished
        answer = view._answer
        assert answer is not None
        with StationClient(station.url, station.tokens["counter"]) as client:
            kept = client.case(answer["id"])  # accepted before the paper ran out
        assert kept["receipt_no"] == answer["receipt_no"]
        assert answer["receipt_no"] in view.submit_panel.message.text()
        assert counter.host.grab().save(str(artifacts / "paper_out.png"))

        sim = counter.printer_sim()
        jobs_before = len(sim.jobs)
        sim.paper_out = False  # a new roll
        view.submit_panel.again.click()
        wait_until(lambda: counter.finished, 30)
        assert len(sim.jobs) > jobs_before
        text = "\n".join(sim.jobs[-1].text)
        assert answer["receipt_no"] in text and "受理回执" in text
    finally:
        counter.close()


def test_an_unplugged_camera_says_so_and_the_page_keeps_working(
        qapp: Any, station: CaseStation) -> None:
    counter = Counter(station, camera="&unplug_after=40")
    try:
        view = counter.view
        counter.begin_with_card_and_item()
        view.checklist.select("M001")
        scanner = counter.devices.scanner
        assert scanner is not None
        wait_until(lambda: not scanner.status().ok, 60)
        status = scanner.status()
        assert status.message and status.hint  # plain words and what to do
        wait_until(lambda: status.hint in view.capture.preview.note()
                   or status.message in view.capture.preview.note(), 20)
        # the rest of the page still works: the clerk can cancel or carry on with the card
        assert view.accept_button.isVisible() and view.cancel_button.isEnabled()
    finally:
        counter.close()
