"""The manager's view: rectification tasks and 办不成事 requests, overdue first, with the
steps each may take; the form that records a request. Against the real station (a manager
clerk at a counter paired as ``manager``), and with canned lists for the overdue picture
(``manager.png``: the station's clock cannot be set back from a test)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kiosk.counter_ports import CounterDevices
from kiosk.ui.counter import look
from kiosk.ui.counter.context import CounterContext
from kiosk.ui.counter.manager_view import (
    is_overdue,
    overdue_first,
    request_steps,
    rows,
    task_steps,
)
from kiosk.ui.counter.window import CounterWindow, NoAcceptance
from kiosk.ui.qt import QtWidgets
from kiosk.ui.runner import Runner

from .conftest import pump
from .test_window import make_counter, sign_in

TODAY = dt.date(2026, 11, 24)


def test_overdue_first_then_by_deadline() -> None:
    found = [{"id": "a", "deadline": "2026-12-01", "status": "open"},
             {"id": "b", "deadline": "2026-11-20", "status": "open"},
             {"id": "c", "deadline": "2026-11-02", "overdue": True},
             {"id": "d", "deadline": "2026-11-10", "stage": "closed"}]
    assert [r["id"] for r in overdue_first(found, TODAY)] == ["c", "b", "d", "a"]
    assert is_overdue(found[1], TODAY) and not is_overdue(found[3], TODAY)
    assert not is_overdue({"deadline": "not a date"}, TODAY)
    assert rows({"tasks": [found[0], "junk"]}, "tasks") == [found[0]]
    assert rows([found[0]], "tasks") == [found[0]]


def test_each_stage_offers_only_its_steps() -> None:
    assert [k for k, _, _ in task_steps({"stage": "verify", "status": "open"})] == [
        "verify", "appeal"]
    assert [(s, e) for _, s, e in task_steps({"stage": "appeal_review", "status": "open"})] == [
        ("review_appeal", {"upheld": True}), ("review_appeal", {"upheld": False})]
    assert task_steps({"stage": "revisit", "status": "closed"}) == ()
    assert [k for k, _, _ in request_steps({"stage": "open", "escalation": "window"})] == [
        "escalate", "solved", "explained", "referred"]
    assert "escalate" not in [k for k, _, _ in request_steps(
        {"stage": "open", "escalation": "county"})]
    assert request_steps({"stage": "closed"}) == ()


def test_a_manager_takes_a_task_and_a_request_a_step_on(
        station: SimpleNamespace, qapp: Any, closing: list[Any]) -> None:
    with station.client("kiosk") as kiosk, station.client("counter") as counter_api:
        visit = kiosk.issue("A", confirm=True)
        made = counter_api.rate({"level": 1, "ticket_id": visit["id"], "channel": "terminal"})
    task_id = made["rectification"]["id"]
    counter = make_counter(station, "6", role="manager")
    closing.append(counter)
    window = counter.window
    sign_in(counter, "wang", "Wang-zhanzhang-2026")
    assert pump(lambda: window.page == "acceptance")
    window.nav_buttons["manager"].click()
    view = window.manager
    assert pump(lambda: any(r["id"] == task_id for r in view.tasks.rows))
    assert not view.tasks.buttons["verify"].isVisible()  # nothing chosen yet
    view.tasks.table.selectRow([r["id"] for r in view.tasks.rows].index(task_id))
    assert view.tasks.buttons["verify"].isVisible() and view.tasks.buttons["appeal"].isVisible()
    assert not view.tasks.buttons["rectify"].isVisible()
    view.tasks.buttons["verify"].click()
    assert window.banner.isVisible() and "note" in window.banner.text.text()
    view.note.setText("核实属实，已约谈")
    view.tasks.buttons["verify"].click()
    assert pump(lambda: any(r["id"] == task_id and r["stage"] == "rectify"
                            for r in view.tasks.rows))
    assert view.note.text() == ""

    view.record_button.click()
    assert view.pages.currentIndex() == 1
    view.who.setText("一位老人")
    view.what.setPlainText("办理异地医保备案")
    view.save_button.click()
    assert "why it could not be done" in window.banner.text.text()  # nothing sent
    view.why.setPlainText("系统未开通该事项")
    view.save_button.click()
    assert pump(lambda: any(r["what"] == "办理异地医保备案" for r in view.requests.rows))
    assert view.pages.currentIndex() == 0
    index = [r["what"] for r in view.requests.rows].index("办理异地医保备案")
    request = view.requests.rows[index]
    assert request["window"] == "6" and request["escalation"] == "window"
    view.requests.table.selectRow(index)
    view.note.setText("报中心协调")
    view.requests.buttons["escalate"].click()
    assert pump(lambda: any(r["id"] == request["id"] and r["escalation"] == "centre"
                            for r in view.requests.rows))


class CannedClient:
    """The station's answers, as a manager's lists look after a few weeks."""

    def __init__(self) -> None:
        self.tasks = [
            {"id": "r1", "stage": "rectify", "deadline": "2026-11-30", "status": "open",
             "level": 2, "window": "3", "clerk": "zhang01", "overdue": False},
            {"id": "r2", "stage": "verify", "deadline": "2026-11-12", "status": "open",
             "level": 1, "window": "5", "clerk": "li02", "overdue": True},
            {"id": "r3", "stage": "revisit", "deadline": "2026-12-03", "status": "open",
             "level": 1, "window": "2", "clerk": "zhang01", "overdue": False},
        ]
        self.requests = [
            {"id": "u1", "what": "办理异地医保备案", "why": "系统未开通该事项",
             "escalation": "centre", "stage": "open", "deadline": "2026-11-27",
             "window": "3", "overdue": False},
            {"id": "u2", "what": "补办二十年前的土地承包证明", "why": "档案在县农业农村局",
             "escalation": "county", "stage": "open", "deadline": "2026-11-18",
             "window": "5", "overdue": True},
        ]

    def rectifications(self, closed: bool = False) -> dict[str, Any]:
        return {"tasks": list(self.tasks)}

    def unresolved(self, closed: bool = False) -> dict[str, Any]:
        return {"requests": list(self.requests)}

    def logout(self, window: str) -> dict[str, Any]:
        return {"number": window, "state": "paused"}

    def close(self) -> None:
        pass


@pytest.fixture
def canned_window(qapp: Any) -> Iterator[CounterWindow]:
    runner = Runner()
    ctx = CounterContext(client=CannedClient(), runner=runner,  # type: ignore[arg-type]
                         devices=CounterDevices(), window="6", window_name="帮办代办",
                         site_name="演示镇便民服务中心")
    window = CounterWindow(ctx, poll_devices=False, acceptance=NoAcceptance)
    window.manager.today = lambda: TODAY
    window.resize(*look.SCREEN)
    window.show()
    yield window
    window.stop()
    runner.close()
    window.close()
    window.deleteLater()
    app = QtWidgets.QApplication.instance()
    if app is not None:
        app.processEvents()


def test_the_overdue_come_first_and_stand_out(canned_window: CounterWindow,
                                              artifacts: Path) -> None:
    window = canned_window
    window.on_feed_state("live", "")
    window.on_login_signed_in({"clerk": "wang", "name": "王站长", "window": "6",
                               "manager": True})
    window.show_page("manager")
    view = window.manager
    assert pump(lambda: len(view.tasks.rows) == 3 and len(view.requests.rows) == 2)
    assert [r["id"] for r in view.tasks.rows] == ["r2", "r1", "r3"]
    assert [r["id"] for r in view.requests.rows] == ["u2", "u1"]
    first = view.tasks.table.item(0, 0)
    assert first is not None and "Overdue" in first.text()
    assert first.foreground().color().name() == look.BAD
    assert "Overdue" not in (view.tasks.table.item(1, 0) or first).text()
    view.requests.table.selectRow(0)  # at the county: it can only be closed
    assert not view.requests.buttons["escalate"].isVisible()
    assert view.requests.buttons["solved"].isVisible()
    view.requests.table.clearSelection()
    view.tasks.table.selectRow(1)  # a task at 整改: only its step is offered
    assert [k for k, b in view.tasks.buttons.items() if b.isVisible()] == ["rectify"]
    pump(lambda: False, 0.2)
    assert (window.width(), window.height()) == look.SCREEN  # nothing pushed it wider
    assert window.grab().save(str(artifacts / "manager.png"))
