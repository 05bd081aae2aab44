"""The demo's console against a real station: its buttons do what they say, and the
station's refusals reach its status line in plain words."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.client.http import StationClient
from kiosk.config import SiteConfig
from kiosk.station import auth
from kiosk.station.server import start_background


@pytest.fixture
def panel(qapp: Any, tmp_path: Path) -> Iterator[Any]:
    from kiosk.ui.demo.panel import DemoPanel

    running = start_background(tmp_path / "site", SiteConfig())
    made = running.station.writer.submit(auth.pair, running.station.site, "manager").result()
    client = StationClient(running.url, made.token)
    made_panel = DemoPanel(client, [("A", "综合受理"), ("B", "社保医保")], ["1", "2"])
    yield made_panel
    # deleted now, on Qt's terms: left to Python's collector, a widget can be freed in the
    # middle of a later test's event processing
    made_panel.deleteLater()
    from kiosk.ui.qt import QtCore

    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    client.close()
    running.stop()


def test_buttons_issue_and_call(panel: Any) -> None:
    panel.buttons["issue A"].click()
    assert panel.status.text() == "A001号，前面 0 人 / Ticket A001: 0 ahead"
    panel.buttons["call 2"].click()
    assert "A001" in panel.status.text() and "2" in panel.status.text()
    panel.buttons["recall 2"].click()
    panel.buttons["finish 2"].click()
    assert panel.status.text() == "完成：A001 / Done: A001"


def test_a_refusal_is_shown_in_plain_words(panel: Any, artifacts: Path) -> None:
    panel.buttons["call 1"].click()
    assert panel.status.text().startswith("1号窗口暂无等候的号 / nobody is waiting")
    panel.grab().save(str(artifacts / "demo_console_refusal.png"), "PNG")
