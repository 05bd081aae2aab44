import pytest

from kiosk.domain.queue.kpi import Visit, by, figures, percentile, uneven_load
from kiosk.domain.queue.visits import Outcome


def visit(outcome: Outcome, wait: float | None, service: float | None, *, category: str = "A",
          window: str | None = "1", clerk: str | None = "c1") -> Visit:
    return Visit(category, window, clerk, outcome, wait, service)


def test_percentiles() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([float(v) for v in range(11)], 0.9) == pytest.approx(9.0)


def test_figures_count_outcomes_and_leave_voided_tickets_out() -> None:
    day = [visit(Outcome.NORMAL, 60, 300), visit(Outcome.NORMAL, 120, 500),
           visit(Outcome.NO_SHOW, 600, None), visit(Outcome.CANCELLED, None, None),
           visit(Outcome.VOIDED, None, None)]
    f = figures(day)
    assert (f.tickets, f.served, f.no_shows) == (4, 2, 1)
    assert f.no_show_rate == pytest.approx(1 / 3)
    assert f.wait_p50_s == 120 and f.service_p50_s == 400
    assert figures([]).no_show_rate is None
    assert set(f.as_json()) == {"tickets", "served", "no_shows", "no_show_rate", "wait_p50_s",
                                "wait_p90_s", "service_p50_s"}


def test_figures_per_window_and_clerk() -> None:
    day = [visit(Outcome.NORMAL, 60, 300, window="1", clerk="wang"),
           visit(Outcome.NORMAL, 60, 300, window="2", clerk="li"),
           visit(Outcome.NO_SHOW, 60, None, window="2", clerk="li"),
           visit(Outcome.CANCELLED, None, None, window=None, clerk=None)]
    per_window = by(day, lambda v: v.window)
    assert list(per_window) == ["1", "2"] and per_window["2"].no_shows == 1
    assert by(day, lambda v: v.clerk)["wang"].served == 1


def test_uneven_load() -> None:
    assert uneven_load({"1": 3600, "2": 3600, "3": 3600}) == 0
    assert uneven_load({"1": 7200, "2": 0}) == pytest.approx(1.0)
    assert uneven_load({"1": 100}) is None
    assert uneven_load({"1": 0, "2": 0}) is None
