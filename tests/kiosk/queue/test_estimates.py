import pytest

from kiosk.domain.queue.estimates import (
    EstimateRules,
    OpenWindow,
    estimated_wait_s,
    servers_for,
    typical_service_s,
)

RULES = EstimateRules()


def test_the_typical_service_time_is_the_recent_median() -> None:
    assert typical_service_s([], RULES) == 300.0
    assert typical_service_s([100, 200], RULES) == 300.0  # too few: the default
    assert typical_service_s([100, 200], RULES, default_s=240) == 240
    # one case of an hour does not move the median much
    assert typical_service_s([200, 210, 220, 3600], RULES) == 215
    old_then_new = [1000.0] * 30 + [100.0] * 20
    assert typical_service_s(old_then_new, RULES) == 100.0  # only the latest 20 count
    assert typical_service_s([0, 0, 0, 120], RULES) == 300.0  # zero-length cases are noise


def test_windows_give_each_busy_category_its_share() -> None:
    single = OpenWindow("1", {"A": 1})
    mixed = OpenWindow("2", {"A": 1, "B": 1, "C": 2})
    assert servers_for("A", [single], busy_categories=["A"]) == 1.0
    assert servers_for("A", [single, mixed], busy_categories=["A", "B"]) == 1.5
    assert servers_for("A", [single, mixed], busy_categories=["A", "B", "C"]) == 1.25
    assert servers_for("C", [mixed], busy_categories=["A", "C"]) == pytest.approx(2 / 3)
    assert servers_for("D", [single, mixed], busy_categories=["D"]) == 0.0


def test_the_wait_is_ahead_times_service_over_servers() -> None:
    assert estimated_wait_s(0, 300, 2) == 0
    assert estimated_wait_s(6, 300, 2) == 900
    assert estimated_wait_s(3, 300, 0) is None  # no window open for it
    with pytest.raises(ValueError, match="negative"):
        estimated_wait_s(-1, 300, 1)
    with pytest.raises(ValueError):
        EstimateRules(min_samples=30)
