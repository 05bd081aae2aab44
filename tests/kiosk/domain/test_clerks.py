"""The clerk secret rules and the lock-out policy, as pure functions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain.clerks import (
    WRONG,
    LockPolicy,
    SecretRefused,
    check_secret,
    locked_message,
    valid_id,
)

NOW = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("secret", ["493817", "049371826455", "correct horse", "Zh@ng-2026x",
                                    "密码是一句很长的中文的话"])
def test_good_secrets_pass(secret: str) -> None:
    check_secret(secret)


@pytest.mark.parametrize(("secret", "words"), [
    ("12345", "6-12"), ("1234567890123", "6-12"),            # PIN length
    ("123456", "顺序"), ("987654", "顺序"), ("890123", "顺序"),  # runs, also wrapping 9→0
    ("000000", "顺序"), ("77777777", "顺序"),                   # one digit repeated
    ("short1", "至少 10"), ("aaaaaaaaaaaa", "同一个字符"),
    (" 493817", "空格"), ("", "空格"), ("x" * 129, "最长"),
])
def test_weak_secrets_are_refused_in_plain_words(secret: str, words: str) -> None:
    with pytest.raises(SecretRefused) as refused:
        check_secret(secret)
    message = str(refused.value)
    assert words in message and " / " in message


def test_full_width_digits_are_a_password_not_a_pin() -> None:
    # "１２３４５６" is not ASCII: treated as a (too short) password, never as a PIN that
    # would slip past the run check
    with pytest.raises(SecretRefused, match="至少 10"):
        check_secret("１２３４５６")


@pytest.mark.parametrize(("clerk_id", "ok"), [("zhang01", True), ("w.fang_2", True),
                                              ("-x", False), ("张三", False), ("a" * 33, False),
                                              ("", False), ("a b", False)])
def test_clerk_ids(clerk_id: str, ok: bool) -> None:
    assert valid_id(clerk_id) is ok


def test_five_failures_lock_for_15_minutes_then_doubling_up_to_a_day() -> None:
    policy = LockPolicy()
    failed, until = 0, None
    locks = []
    for _ in range(5 * 10):
        failed, until = policy.after_failure(failed, NOW)
        if until is not None:
            locks.append((failed, until - NOW))
    assert [f for f, _ in locks] == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]
    minutes = [d.total_seconds() / 60 for _, d in locks]
    assert minutes == [15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440]


def test_failures_between_lockouts_do_not_lock() -> None:
    assert LockPolicy().after_failure(0, NOW) == (1, None)
    assert LockPolicy().after_failure(5, NOW) == (6, None)


def test_a_lockout_ends_at_its_time_and_a_success_resets() -> None:
    policy = LockPolicy()
    until = NOW + dt.timedelta(minutes=15)
    assert policy.locked(5, until, NOW)
    assert policy.locked(5, until, until - dt.timedelta(seconds=1))
    assert not policy.locked(5, until, until)
    assert not policy.locked(3, None, NOW)
    assert policy.after_success() == (0, None)


def test_a_very_long_run_of_failures_does_not_overflow() -> None:
    assert LockPolicy().after_failure(5 * 400 - 1, NOW) == (2000, NOW + dt.timedelta(hours=24))


def test_messages_never_say_whether_the_account_exists() -> None:
    assert WRONG == "工号或密码不对 / wrong clerk id or secret"
    text = locked_message(NOW + dt.timedelta(minutes=15), ZoneInfo("Asia/Shanghai"))
    assert "10:15" in text and "2026-11-24 10:15" in text and " / " in text
