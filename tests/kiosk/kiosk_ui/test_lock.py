"""The kiosk's way out and its idle clock: plain logic (kiosk/ui/kiosk/lock.py)."""

from __future__ import annotations

import pytest

from kiosk.ui.kiosk import lock


def test_a_pin_matches_only_its_own_hash() -> None:
    stored = lock.hash_pin("246810")
    assert stored.startswith("scrypt$")
    assert lock.pin_matches("246810", stored)
    assert not lock.pin_matches("246811", stored)
    assert not lock.pin_matches("", stored)
    assert lock.hash_pin("246810") != stored  # salted


@pytest.mark.parametrize("stored", ["", "scrypt$zz$00", "md5$00$00", "scrypt$00"])
def test_no_pin_or_a_broken_one_lets_nobody_out(stored: str) -> None:
    assert not lock.pin_matches("1234", stored)


@pytest.mark.parametrize("pin", ["123", "abcd", "1234567890123", "12 34"])
def test_a_pin_is_4_to_12_digits(pin: str) -> None:
    with pytest.raises(ValueError, match="4 到 12"):
        lock.hash_pin(pin)


def test_five_quick_taps_make_the_gesture_slow_ones_do_not() -> None:
    gesture = lock.Gesture()
    assert not any(gesture.tap(t) for t in (0.0, 1.0, 2.0, 3.0))
    assert gesture.tap(3.5)
    slow = lock.Gesture()
    assert not any(slow.tap(t * 1.5) for t in range(10))


def test_three_wrong_pins_lock_the_pad_for_a_minute() -> None:
    gate = lock.PinGate(lock.hash_pin("1357"))
    assert gate.try_pin("0000", 0.0) == "wrong"
    assert gate.try_pin("0000", 1.0) == "wrong"
    assert gate.try_pin("0000", 2.0) == "locked"
    assert gate.try_pin("1357", 30.0) == "locked"  # even the right one, until the minute ends
    assert gate.try_pin("1357", 62.5) == "ok"


def test_idle_counts_down_then_expires_and_a_touch_starts_again() -> None:
    idle = lock.Idle(idle_s=60, countdown_s=10, last_touch=0.0)
    assert idle.state(59.0) == ("active", 1.0)
    assert idle.state(61.0) == ("countdown", 9.0)
    assert idle.state(70.0)[0] == "expired"
    idle.touch(70.0)
    assert idle.state(75.0)[0] == "active"
