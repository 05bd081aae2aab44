"""The runner keeps blocking work off the GUI thread and brings its outcome back to it."""

from __future__ import annotations

import threading
from typing import Any

from kiosk.ui.runner import Runner

from .conftest import pump


def test_the_outcome_comes_back_on_the_gui_thread(qapp: Any) -> None:
    runner = Runner()
    gui = threading.current_thread()
    seen: list[tuple[str, bool]] = []
    try:
        runner.run(lambda: threading.current_thread().name,
                   lambda name: seen.append((name, threading.current_thread() is gui)))
        runner.run(lambda: 1 / 0, failed=lambda exc: seen.append(
            (type(exc).__name__, threading.current_thread() is gui)))
        assert pump(lambda: len(seen) == 2)
        names = dict(seen)
        assert any(n.startswith("counter") for n in names) and "ZeroDivisionError" in names
        assert all(on_gui for _, on_gui in seen)
    finally:
        runner.close()


def test_after_close_nothing_runs_and_nothing_raises(qapp: Any) -> None:
    runner = Runner()
    runner.close()
    ran: list[int] = []
    future = runner.run(lambda: ran.append(1))  # a closing page's timer firing late
    assert future.cancelled() and ran == []
    runner.post(lambda: ran.append(2))
    pump(lambda: False, timeout_s=0.2)
    assert ran == []
