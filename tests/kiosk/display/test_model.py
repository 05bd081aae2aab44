"""The hall board's state from event frames, without Qt: what a hello sets, what a call
changes, what must be spoken, and that nothing stale passes for current."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kiosk.ui.display.model import (
    FRESH_S,
    LIVE,
    RECONNECTING,
    SHOWN_CALLS,
    CallAction,
    HallBoard,
    SayAction,
)

from . import events as ev


def live_board(**hello: object) -> HallBoard:
    board = HallBoard()
    board.set_connection(LIVE)
    assert board.apply(ev.hello(0, **hello), now=0.0) == []  # a first hello speaks nothing
    return board


def test_hello_sets_the_whole_board() -> None:
    board = live_board(calls=[ev.call("A002", "2", "2026-11-24T01:59:00Z"),
                              ev.call("B001", "3", "2026-11-24T01:58:00Z")],
                       windows=[ev.window("2", "A002"), ev.window("4", state="paused"),
                                ev.window("7", state="closed")])
    assert board.synced and board.live and not board.stale
    assert board.site_name == "演示镇便民服务中心"
    assert [c.number for c in board.calls] == ["A002", "B001"]  # newest first
    # a closed temporary window is not part of today's hall; a paused one is
    assert [(w.number, w.state, w.current) for w in board.shown_windows] == [
        ("2", "open", "A002"), ("4", "paused", None)]
    waits = {c.prefix: (c.waiting, c.wait_minutes) for c in board.shown_categories}
    # 600 s is 10 min; 61 s rounds up to 2 min; null stays unknown; 0 s is 0
    assert waits == {"A": (3, 10), "B": (1, 2), "C": (0, None), "D": (0, 0)}
    assert board.notice.startswith("请取号后留意叫号")
    assert not board.is_fresh(0.0)  # what the board found on arrival is not news


def test_a_call_comes_first_stands_out_for_a_while_and_is_spoken() -> None:
    board = live_board(windows=[ev.window("1"), ev.window("3")])
    actions = board.apply(ev.called(1, "A001", "1", "2026-11-24T02:01:00Z", waiting={"A": 2}),
                          now=100.0)
    assert actions == [CallAction("A001", "1", False, "请A001号到1号窗口办理")]
    assert board.calls[0].number == "A001"
    assert board.windows["1"].current == "A001" and board.windows["3"].current is None
    assert board.categories["A"].waiting == 2 and board.categories["B"].waiting == 1  # merged
    assert board.is_fresh(100.0 + FRESH_S - 0.1)
    assert not board.is_fresh(100.0 + FRESH_S + 0.1)


def test_at_most_six_calls_are_shown_newest_first_and_a_recall_is_marked() -> None:
    board = live_board()
    for i in range(1, 9):
        board.apply(ev.called(i, f"A{i:03d}", str(i % 3 + 1), f"2026-11-24T02:{i:02d}:00Z"),
                    now=float(i))
    assert [c.number for c in board.shown_calls] == [f"A{i:03d}" for i in range(8, 2, -1)]
    assert len(board.shown_calls) == SHOWN_CALLS
    actions = board.apply(ev.called(9, "A008", "3", "2026-11-24T02:10:00Z", recall=True),
                          now=10.0)
    assert actions == [CallAction("A008", "3", True, "请A008号到3号窗口办理")]
    assert board.calls[0].recall and board.calls[0].number == "A008"


def test_not_live_means_stale_and_nothing_stands_out() -> None:
    board = live_board()
    board.apply(ev.called(1, "A001", "1", "2026-11-24T02:01:00Z"), now=5.0)
    board.set_connection(RECONNECTING, "站点没有响应 / the station is not answering")
    assert board.stale and not board.live
    assert not board.is_fresh(5.1)  # a call made before the break is not "now"
    assert board.connection_reason.endswith("not answering")


def test_resync_replaces_everything_and_speaks_only_fresh_missed_calls() -> None:
    board = live_board(calls=[ev.call("A001", "1", "2026-11-24T01:50:00Z")])
    board.set_connection(RECONNECTING)
    board.set_connection(LIVE)
    # while away: A002 called 3 min before the snapshot (too old to call out now), A003 20 s
    # before it, and a recall of A003 10 s before it
    snapshot = [ev.call("A003", "2", "2026-11-24T02:09:50Z", recall=True),
                ev.call("A003", "2", "2026-11-24T02:09:40Z"),
                ev.call("A002", "1", "2026-11-24T02:07:00Z"),
                ev.call("A001", "1", "2026-11-24T01:50:00Z")]
    actions = board.apply(ev.hello(40, calls=snapshot, at="2026-11-24T02:10:00Z",
                                   windows=[ev.window("1", "A002", status="serving"),
                                            ev.window("2", "A003")],
                                   categories=[ev.category("A", 0, 0.0)]), now=50.0)
    assert actions == [CallAction("A003", "2", False, "请A003号到2号窗口办理"),
                       CallAction("A003", "2", True, "请A003号到2号窗口办理")]  # in order
    assert [c.number for c in board.calls] == ["A003", "A003", "A002", "A001"]
    assert board.windows["1"].current == "A002" and set(board.windows) == {"1", "2"}
    assert set(board.categories) == {"A"}  # a resync replaces, it does not merge
    assert board.is_fresh(50.0)
    assert board.last_seq == 40


def test_a_resync_with_nothing_new_speaks_nothing() -> None:
    calls = [ev.call("A001", "1", "2026-11-24T02:09:00Z")]
    board = live_board(calls=calls)
    assert board.apply(ev.hello(3, calls=calls, at="2026-11-24T02:09:10Z"), now=9.0) == []
    assert not board.is_fresh(9.0)


def test_frames_already_applied_are_ignored() -> None:
    board = live_board()
    frame = ev.called(5, "A001", "1", "2026-11-24T02:01:00Z")
    assert board.apply(frame, now=1.0)
    assert board.apply(frame, now=2.0) == []  # the same seq again
    assert [c.number for c in board.calls] == ["A001"]


@pytest.mark.parametrize("frame", [
    {"type": "ticket.called", "seq": 1, "categories": [ev.category("A", 9)]},  # no call
    {"type": "ticket.called", "seq": 1, "call": {"window": "1"}},  # call without number
    {"type": "window.changed", "seq": 1, "window": "3"},
    {"type": "ticket.changed", "seq": 1, "categories": [{"prefix": "A", "waiting": "many"}]},
    {"type": "ticket.issued", "seq": 1, "categories": {"A": 1}},
    {"type": "hello", "seq": 1, "status": []},
])
def test_a_frame_that_does_not_fit_the_contract_leaves_the_board_whole(frame: dict) -> None:
    board = live_board()
    before = (dict(board.categories), dict(board.windows), list(board.calls), board.last_seq)
    with pytest.raises(ValueError):
        board.apply(frame, now=1.0)
    assert (dict(board.categories), dict(board.windows), list(board.calls),
            board.last_seq) == before


def test_announcements_are_spoken_and_other_frames_change_nothing_spoken() -> None:
    board = live_board()
    assert board.apply({"type": "announcement", "seq": 1, "text": "午休时间 12:00-13:30"},
                       now=1.0) == [SayAction("午休时间 12:00-13:30")]
    assert board.apply({"type": "announcement", "seq": 2, "text": "  "}, now=1.0) == []
    assert board.apply({"type": "advice", "seq": 3, "advice": []}, now=1.0) == []
    assert board.apply({"type": "ping", "seq": 3}, now=1.0) == []
    assert board.apply({"type": "something.new", "seq": 4, "x": 1}, now=1.0) == []
    changed = ev.window("3", state="paused")
    assert board.apply({"type": "window.changed", "seq": 5, "window": changed,
                        "categories": []}, now=1.0) == []
    assert board.windows["3"].state == "paused"


def test_recorded_station_frames_end_where_the_station_says() -> None:
    """Frames recorded from the real station (test_end_to_end.py made the file: issues,
    calls, a recall, an announcement, a restart, one more call), applied one by one, leave
    the board equal to the station's own status at the end, and speak each call once."""
    frames, status = ev.recorded()
    assert [f["type"] for f in frames].count("hello") == 2  # one before, one after the restart
    board = HallBoard()
    board.set_connection(LIVE)
    spoken = []
    for frame in frames:
        spoken += board.apply(frame, now=0.0)
    expected = HallBoard()
    expected.set_connection(LIVE)
    expected.apply({"type": "hello", "seq": 0, "status": status}, now=0.0)
    assert board.categories == expected.categories
    assert board.windows == expected.windows
    assert [c.key for c in board.calls] == [c.key for c in expected.calls]
    calls = [(f["call"]["number"], f["call"]["recall"]) for f in frames
             if f["type"] == "ticket.called"]
    assert [(a.number, a.recall) for a in spoken if isinstance(a, CallAction)] == calls
    assert [a.text for a in spoken if isinstance(a, SayAction)] == [
        f["text"] for f in frames if f["type"] == "announcement"]


def test_the_board_logic_and_the_feed_load_without_qt() -> None:
    code = ("import sys, kiosk.ui.display.model, kiosk.ui.display.controller, "
            "kiosk.client.feed; print('PySide6' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_a_new_service_day_clears_the_board() -> None:
    board = live_board(calls=[ev.call("A002", "2", "2026-11-24T01:59:00Z")])
    assert board.calls
    new_day = {**ev.status(categories=[ev.category("A"), ev.category("B")]),
               "service_day": "2026-11-25"}
    spoken = board.apply({"type": "status.reset", "seq": 99, "status": new_day}, now=10.0)
    assert spoken == [] and board.calls == [] and board.service_day == "2026-11-25"
    assert all(c.waiting == 0 for c in board.categories.values()) and board.last_seq == 99
