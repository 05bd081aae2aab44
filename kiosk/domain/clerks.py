"""Clerk accounts: what a secret must be, and when repeated failures lock an account.

A clerk signs in at the counter with their 工号 and a PIN (6-12 digits) or a password (at least
10 characters). The rules refuse the PINs everybody tries first (123456, 000000, 654321): a
village PC sits in a public hall and its keyboard is watched.

Lock-out is a pure function of the account's failure count, its ``locked_until`` and the
time: every :attr:`LockPolicy.threshold` failures in a row lock the account, the first time
for 15 minutes and twice as long each further time, at most a day; a success resets the
count. Messages never tell whether an account exists (:data:`WRONG`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
PIN_DIGITS = (6, 12)
PASSWORD_MIN = 10
SECRET_MAX = 128

WRONG = "工号或密码不对 / wrong clerk id or secret"


class SecretRefused(ValueError):
    """A new secret that does not meet the rules; the message is plain (中文 / English)."""


def check_secret(secret: str) -> None:
    """Refuse a secret that is too short, too long or too easy to guess.

    :raises SecretRefused: with a message for the manager who typed it.
    """
    if secret != secret.strip() or not secret:
        raise SecretRefused("密码首尾不能有空格 / the secret must not start or end with a space")
    if len(secret) > SECRET_MAX:
        raise SecretRefused(f"密码最长 {SECRET_MAX} 个字符 / the secret may have at most "
                            f"{SECRET_MAX} characters")
    if secret.isascii() and secret.isdigit():
        low, high = PIN_DIGITS
        if not low <= len(secret) <= high:
            raise SecretRefused(f"数字密码要 {low}-{high} 位 / a PIN has {low} to {high} digits")
        if _is_run(secret):
            raise SecretRefused("数字密码不能是顺序数字或同一个数字 / a PIN must not be a run "
                                "such as 123456 or one digit repeated")
        return
    if len(secret) < PASSWORD_MIN:
        raise SecretRefused(f"密码至少 {PASSWORD_MIN} 个字符，或用 {PIN_DIGITS[0]}-"
                            f"{PIN_DIGITS[1]} 位数字 / a password needs at least "
                            f"{PASSWORD_MIN} characters (or use a PIN of {PIN_DIGITS[0]} to "
                            f"{PIN_DIGITS[1]} digits)")
    if len(set(secret)) == 1:
        raise SecretRefused("密码不能是同一个字符 / a password must not be one character "
                            "repeated")


def _is_run(pin: str) -> bool:
    """All one digit, or each digit one up (or one down) from the last, wrapping 9→0 the
    way keypads are typed (890123)."""
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({0}, {1}, {9})


def valid_id(clerk_id: str) -> bool:
    return re.fullmatch(ID_PATTERN, clerk_id) is not None


@dataclass(frozen=True)
class LockPolicy:
    threshold: int = 5
    """Failures in a row that lock the account."""
    first: dt.timedelta = dt.timedelta(minutes=15)
    """How long the first lock-out lasts; each further one lasts twice the one before."""
    longest: dt.timedelta = dt.timedelta(hours=24)
    """No lock-out lasts longer (a clerk locked out overnight comes back the next day)."""

    def locked(self, failed: int, locked_until: dt.datetime | None, now: dt.datetime) -> bool:
        return locked_until is not None and now < locked_until

    def after_failure(self, failed: int, now: dt.datetime,
                      ) -> tuple[int, dt.datetime | None]:
        """The count and ``locked_until`` after one more failure. The count keeps going
        past the threshold (a success resets it), so it tells which lock-out this is."""
        failed += 1
        if failed % self.threshold:
            return failed, None
        round_ = failed // self.threshold
        # capped before multiplying: 2**(round_-1) would overflow a timedelta after ~45 rounds
        factor = 2 ** min(round_ - 1, 32)
        return failed, now + min(self.first * factor, self.longest)

    def after_success(self) -> tuple[int, dt.datetime | None]:
        return 0, None


def locked_message(until: dt.datetime, tz: dt.tzinfo) -> str:
    """The refusal while locked: when it unlocks, in local time."""
    local = until.astimezone(tz)
    return (f"输错次数太多，账号已锁定，{local:%H:%M} 后再试 / too many wrong attempts: "
            f"locked until {local:%Y-%m-%d %H:%M}")
