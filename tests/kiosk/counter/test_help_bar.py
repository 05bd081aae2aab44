"""我要帮办 reaches the counters: a kiosk's call for help shows on two counters, one clerk
says they are going, and the other counter's bar goes (real station, real event feed)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .conftest import pump
from .test_window import make_counter


def test_a_call_for_help_rings_every_counter_until_one_answers(
        qapp: Any, station: SimpleNamespace, closing: list[Any]) -> None:
    first, second = make_counter(station, "5"), make_counter(station, "6")
    closing.extend([first, second])
    assert pump(lambda: first.window.model.live and second.window.model.live, 10)
    with station.client("kiosk") as kiosk:
        call = kiosk.ask_help("progress")
    bars = (first.window.help_bar, second.window.help_bar)
    assert pump(lambda: all(call["id"] in bar.calls and bar.isVisible() for bar in bars), 10)
    assert "帮办" in first.window.help_bar.text.text()
    first.window.help_bar.going.click()
    assert not first.window.help_bar.isVisible()
    assert pump(lambda: not second.window.help_bar.isVisible(), 10)  # help.answered
    with station.client("counter") as counter:
        assert all(r["id"] != call["id"] for r in counter.help_requests())
