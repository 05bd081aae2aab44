"""Today's cases and the reprint of a receipt: the list as ``GET /v1/cases`` gives it (masked
names and numbers), the receipt laid out by the acceptance page's ``facts_from_case`` and
printed on the window's printer, ``case.reprinted`` reported to the audit log; a missing
printer and a printer out of paper are said in plain words. The station's answers are
canned here in the shapes of its ``CasesOut`` and ``CaseOut`` (the real routes are tested in
tests/kiosk/station/); saves ``history.png``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.counter_ports import CounterDevices
from kiosk.ui.counter import look
from kiosk.ui.counter.context import CounterContext
from kiosk.ui.counter.history_view import HistoryView, local_time, row_of
from kiosk.ui.qt import QtWidgets
from kiosk.ui.runner import Runner

from .conftest import pump
from .fakes import FakePrinter

CASES = [
    {"id": "c1", "receipt_no": "DEMO-0001-20261124-0001", "status": "accepted_rongque",
     "accepted_at": "2026-11-24T01:12:00+00:00", "mode": "counter",
     "items": ["出生医学证明", "户口登记", "社保卡申领"], "promised_date": "2026-12-15",
     "applicant_masked": {"name": "张*", "id_number": "110101********0012"}, "window": "3",
     "clerk": "zhang01"},
    {"id": "c2", "receipt_no": "DEMO-0001-20261124-0002", "status": "accepted",
     "accepted_at": "2026-11-24T02:40:00+00:00", "mode": "counter",
     "items": ["城乡居民养老保险参保登记"], "promised_date": "2026-11-24",
     "applicant_masked": None, "window": "2", "clerk": "li02"},
]


class CannedClient:
    def __init__(self) -> None:
        self.audits: list[tuple[str, str, str, str | None]] = []
        self.read: list[str] = []

    def cases(self, day: str | None = None) -> dict[str, Any]:
        return {"day": "2026-11-24", "cases": CASES}

    def case(self, case_id: str) -> dict[str, Any]:
        self.read.append(case_id)
        listed = next(c for c in CASES if c["id"] == case_id)
        return {**listed, "items": [{"code": "x", "name": n} for n in listed["items"]],
                "materials": [{"code": "m1", "name": "出生医学证明", "state": "captured",
                               "pages": 1, "due": None}],
                "notice": [], "fees": [], "fee_total_yuan": 0.0, "promised_estimated": False,
                "clerk_name": "张芳", "query_url": "", "agent_masked": None}

    def audit(self, action: str, subject: str, screen: str,
              window: str | None = None) -> dict[str, Any]:
        self.audits.append((action, subject, screen, window))
        return {"ok": True}


@pytest.fixture
def view(qapp: Any) -> Iterator[HistoryView]:
    runner = Runner()
    ctx = CounterContext(client=CannedClient(), runner=runner,  # type: ignore[arg-type]
                         devices=CounterDevices(printer=FakePrinter()), window="3",
                         site_name="演示镇便民服务中心")
    made = HistoryView(ctx)
    made.setStyleSheet(look.stylesheet())  # as inside the counter window
    made.resize(look.SCREEN[0] - 430, 600)
    made.show()
    yield made
    runner.close()
    made.close()
    made.deleteLater()
    app = QtWidgets.QApplication.instance()
    if app is not None:
        app.processEvents()


def messages(view: HistoryView) -> list[tuple[str, bool]]:
    said: list[tuple[str, bool]] = []
    view.message.connect(lambda text, error: said.append((text, error)))
    return said


def test_rows_show_what_the_station_masked() -> None:
    assert row_of(CASES[0])[2:4] == ["出生医学证明、户口登记、社保卡申领", "张* 110101********0012"]
    assert row_of(CASES[1])[3] == ""  # no applicant given: nothing made up
    assert local_time("not a time") == "" and local_time(None) == ""


def test_the_list_and_a_reprint(view: HistoryView, artifacts: Path) -> None:
    said = messages(view)
    view.refresh()
    assert pump(lambda: view.table.rowCount() == 2)
    cell = view.table.item(0, 0)
    assert cell is not None and cell.text() == "DEMO-0001-20261124-0001"
    assert "容缺" in (view.table.item(0, 4) or cell).text() or \
        "papers to follow" in (view.table.item(0, 4) or cell).text()
    view.reprint()
    assert said == [(look.inline("HistoryView", "Choose a case in the list first."), True)]
    view.table.selectRow(0)
    assert view.grab().save(str(artifacts / "history.png"))
    view.reprint()
    assert pump(lambda: len(said) == 2)
    printer = view.ctx.devices.printer
    assert isinstance(printer, FakePrinter)
    (facts,) = printer.printed
    assert facts.receipt_no == "DEMO-0001-20261124-0001" and facts.applicant_name == "张*"
    assert facts.items == ("出生医学证明", "户口登记", "社保卡申领")
    assert said[1][1] is False and "DEMO-0001-20261124-0001" in said[1][0]
    client = view.ctx.client
    assert isinstance(client, CannedClient)
    assert client.read == ["c1"]
    assert pump(lambda: client.audits == [("case.reprinted", "c1", "counter.history", "3")])


def test_a_printer_out_of_paper_says_what_to_do(view: HistoryView) -> None:
    said = messages(view)
    printer = view.ctx.devices.printer
    assert isinstance(printer, FakePrinter)
    printer.ok = False
    view.refresh()
    assert pump(lambda: view.table.rowCount() == 2)
    view.table.selectRow(1)
    view.reprint()
    assert pump(lambda: said != [])
    assert said == [("打印机缺纸 / out of paper — 装纸后重印 / load paper, reprint", True)]
    client = view.ctx.client
    assert isinstance(client, CannedClient) and client.audits == []  # nothing printed
    assert view.reprint_button.isEnabled()


def test_no_printer_no_request(view: HistoryView) -> None:
    said = messages(view)
    view.ctx.devices.printer = None
    view.refresh()
    assert pump(lambda: view.table.rowCount() == 2)
    view.table.selectRow(0)
    view.reprint()
    assert said and said[0][1] is True and "printer" in said[0][0]
    client = view.ctx.client
    assert isinstance(client, CannedClient) and client.read == []
