"""The keyboard-wedge scan decoder, table-tested on key events built from the simulator's
own US-layout table: fast bursts are scans, typing is not, Shift gives upper case and
symbols, prefixes and suffixes are stripped, and the silence rule ends terminator-less
scans."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.evdev_input import EV_KEY, EV_SYN, InputEvent
from drivers.scan_decoder import Scan, ScanDecoder
from drivers.sim.code_scanner import KEY_F5, KEY_LEFTSHIFT, US_KEYS

Events = list[tuple[float, InputEvent]]


def typed(text: str, start: float = 100.0, gap: float = 0.004, gaps: list[float] | None = None
          ) -> Events:
    """Key events for ``text`` ("\\n" = Enter), presses ``gap`` seconds apart (or the
    individual ``gaps``), each with its Shift, release and SYN_REPORT, as a scanner sends
    them."""
    events: Events = []
    t = start
    for i, ch in enumerate(text):
        if i:
            t += gaps[i - 1] if gaps else gap
        code, shift = US_KEYS[ch]
        seq = ([(KEY_LEFTSHIFT, 1)] if shift else []) + [(code, 1), (code, 0)]
        seq += [(KEY_LEFTSHIFT, 0)] if shift else []
        for key, value in seq:
            events.append((t, InputEvent(t, EV_KEY, key, value)))
            events.append((t, InputEvent(t, EV_SYN, 0, 0)))
    return events


def texts(scans: list[Scan]) -> list[str]:
    return [s.text for s in scans]


@pytest.mark.parametrize(("keys", "options", "expected"), [
    # a fast burst ending in Enter is a scan
    (typed("A001\n"), {}, ["A001"]),
    # Shift: upper case and symbols
    (typed("https://x.cn/?q=Ab_1&z=%7E\n"), {}, ["https://x.cn/?q=Ab_1&z=%7E"]),
    (typed('{"id":"X-9"}\n'), {}, ['{"id":"X-9"}']),
    # typing at 150 ms a key is not a scan
    (typed("A001\n", gap=0.15), {}, []),
    # a gap of exactly the threshold still counts; just above it does not
    (typed("A001\n", gap=0.05), {}, ["A001"]),
    (typed("A001\n", gap=0.051), {}, []),
    # a configurable threshold
    (typed("A001\n", gap=0.08), {"gap_s": 0.1}, ["A001"]),
    # slow typing first, then a scan on the same device: only the scan
    (typed("12", gap=0.3) + typed("B002\n", start=101.0), {}, ["B002"]),
    # one slow gap inside a burst breaks it; the fast tail after it is too short
    (typed("A001\n", gaps=[0.004, 0.2, 0.004, 0.004]), {}, []),
    # a person pressing Enter slowly after a fast burst: not a scan
    (typed("A001") + typed("\n", start=100.5), {}, []),
    # too short
    (typed("12\n"), {}, []),
    (typed("12\n"), {"min_length": 2}, ["12"]),
    # prefix and suffix stripped
    (typed("~A001#\n"), {"prefix": "~", "suffix": "#"}, ["A001"]),
    (typed("A001\n"), {"prefix": "~"}, ["A001"]),
    (typed("A001\n"), {"prefix": "~", "require_prefix": True}, []),
    # Tab as terminator; Enter then breaks nothing but ends no scan either
    (typed("A001\t"), {"terminator": "tab"}, ["A001"]),
    (typed("A001\n"), {"terminator": "tab"}, []),
    # no terminator: a suffix ends the scan at once
    (typed("A001##"), {"terminator": "none", "suffix": "##"}, ["A001"]),
    # two scans back to back
    (typed("A001\nB002\n"), {}, ["A001", "B002"]),
    # too long
    (typed("ABCDEFGH\n"), {"max_length": 5}, []),
])
def test_decoder_table(keys: Events, options: dict, expected: list[str]) -> None:
    decoder = ScanDecoder(**options)
    assert texts(decoder.feed_all(keys)) == expected


def test_scan_times_and_source() -> None:
    decoder = ScanDecoder(source="wedge:test")
    [scan] = decoder.feed_all(typed("A001\n", start=50.0, gap=0.005))
    assert (scan.started_at, scan.ended_at) == (50.0, pytest.approx(50.02))
    assert scan.ms == 20 and scan.source == "wedge:test"
    assert "A001" not in repr(scan)  # scans may be personal data: not in logs


def test_silence_ends_a_scan_without_terminator() -> None:
    decoder = ScanDecoder(terminator="none", end_gap_s=0.1)
    assert decoder.feed_all(typed("A001")) == []
    assert decoder.pending
    assert decoder.expire(100.012 + 0.05) is None  # not yet
    scan = decoder.expire(100.012 + 0.11)
    assert scan is not None and scan.text == "A001" and scan.ended_at == pytest.approx(100.012)
    # the next key after the silence also closes the burst before it
    scans = decoder.feed_all(typed("B002") + typed("C003", start=101.0))
    assert texts(scans) == ["B002"]
    assert texts([s for s in [decoder.expire(102.0)] if s]) == ["C003"]


def test_without_end_gap_a_silent_burst_is_dropped_and_counted() -> None:
    decoder = ScanDecoder()
    decoder.feed_all(typed("A001"))
    assert decoder.expire(100.5) is None and not decoder.pending
    assert decoder.stats.unterminated == 1
    decoder.feed_all(typed("1"))
    decoder.expire(101.0)
    assert decoder.stats.typing == 1


def test_keys_that_type_nothing_break_a_burst() -> None:
    decoder = ScanDecoder()
    events = typed("A0")
    t = events[-1][0] + 0.004
    events += [(t, InputEvent(t, EV_KEY, KEY_F5, 1)), (t, InputEvent(t, EV_KEY, KEY_F5, 0))]
    events += typed("01\n", start=t + 0.004)
    assert decoder.feed_all(events) == [] and decoder.stats.other_keys == 1


def test_caps_lock_and_autorepeat() -> None:
    decoder = ScanDecoder()
    t = 100.0
    caps = [(t, InputEvent(t, EV_KEY, 58, 1)), (t, InputEvent(t, EV_KEY, 58, 0))]
    repeat = [(t + 0.004, InputEvent(t + 0.004, EV_KEY, 30, 2))]  # autorepeat: ignored
    assert texts(decoder.feed_all(caps + repeat + typed("ab1\n", start=t + 0.008))) == ["AB1"]


def test_bad_settings_are_refused() -> None:
    for options in ({"terminator": "cr"}, {"gap_s": 0}, {"end_gap_s": 0.01},
                    {"terminator": "none"}, {"require_prefix": True}, {"min_length": 0}):
        with pytest.raises(ValueError):
            ScanDecoder(**options)


@given(st.lists(st.tuples(st.floats(0, 0.3), st.integers(0, 300), st.integers(0, 2)),
                max_size=60))
def test_any_event_stream_is_digested(raw: list[tuple[float, int, int]]) -> None:
    decoder = ScanDecoder(end_gap_s=0.1)
    t = 0.0
    for gap, code, value in raw:
        t += gap
        scan = decoder.feed(t, InputEvent(t, EV_KEY, code, value))
        if scan is not None:
            assert len(scan.text) >= decoder.min_length
            assert scan.started_at <= scan.ended_at
    decoder.expire(t + 1)
    assert not decoder.pending


@given(st.text(alphabet=sorted(set(US_KEYS) - {"\n", "\t"}), min_size=3, max_size=40))
def test_any_us_layout_code_scans_back(code: str) -> None:
    assert texts(ScanDecoder().feed_all(typed(code + "\n"))) == [code]
