import pytest

from kiosk.domain.queue.windows import (
    AdviceRules,
    CategoryLoad,
    Window,
    WindowIdle,
    WindowState,
    advice,
)


def test_a_window_serves_weighted_categories_and_changes_state() -> None:
    window = Window("3", "综合窗口", {"A": 2, "B": 1})
    assert window.serves("A") and not window.serves("C")
    assert window.state is WindowState.CLOSED
    assert window.with_state(WindowState.OPEN).state is WindowState.OPEN
    with pytest.raises(ValueError, match="at least one category"):
        Window("4", "空窗口", {})
    with pytest.raises(ValueError, match="weight of 1 or more"):
        Window("4", "窗口", {"A": 0})
    with pytest.raises(ValueError, match="needs a number"):
        Window(" ", "窗口", {"A": 1})


def test_advice_to_open_a_temporary_window() -> None:
    rules = AdviceRules(open_when_wait_s=1800, open_when_waiting=15)
    calm = CategoryLoad("A", 4, 600)
    long_wait = CategoryLoad("B", 6, 2400)
    crowd = CategoryLoad("C", 15, 900)
    nobody_serves = CategoryLoad("D", 2, None)
    empty = CategoryLoad("E", 0, None)
    out = advice([calm, long_wait, crowd, nobody_serves, empty], [], rules)
    assert [(a.action, a.category) for a in out] == [("open", "B"), ("open", "C"),
                                                     ("open", "D")]
    assert "约 40 分钟" in out[0].reason and "about 40 min" in out[0].reason
    assert "no window open" in out[2].reason


def test_advice_to_close_an_idle_temporary_window() -> None:
    temporary = Window("9", "临时窗口", {"A": 1}, WindowState.OPEN, temporary=True)
    regular = Window("1", "窗口", {"A": 1}, WindowState.OPEN)
    closed = Window("8", "临时窗口", {"A": 1}, WindowState.CLOSED, temporary=True)
    out = advice([], [WindowIdle(temporary, 1200), WindowIdle(regular, 5000),
                      WindowIdle(closed, 5000)])
    assert [(a.action, a.window) for a in out] == [("close", "9")]
    assert advice([], [WindowIdle(temporary, 600)]) == []
