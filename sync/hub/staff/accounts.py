"""Staff accounts: the password only as its argon2id hash, a lock-out after 5 wrong passwords
for 15 minutes.

Hashing follows RFC 9106 §4's second recommended option (argon2id, t=3, 64 MiB, 4 lanes), as
the site's clerk accounts do (``offline_store/clerks.py``). Verifying takes about 0.1 s and is
done outside the write transaction, so no database lock is held while argon2 works; the count
of failures is read and written in one transaction afterwards, so parallel attempts (on one
hub or several) cannot slip past the limit. An unknown user is verified against a dummy hash,
so the time of a refusal does not tell whether the account exists.

At most two hashes are worked out at once in a process: each takes 64 MiB, and a flood of
sign-in attempts must not take the hub's memory (the others wait their turn).
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from sync.hub.db import Database

from .tables import staff_accounts

HASHER = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
LOCK_AFTER = 5
"""Wrong passwords in a row that lock the account."""
LOCK_SECONDS = 15 * 60
USER_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256

WRONG = "用户名或密码不对 / wrong user name or password"
_HASHING = threading.BoundedSemaphore(2)


class StaffError(ValueError):
    """An account change that cannot be made; plain words (中文 / English)."""


class LoginRefused(Exception):
    """A sign-in refused; ``message`` is for the login page."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_user(user: str) -> str:
    if not USER_PATTERN.match(user or ""):
        raise StaffError("用户名须为 1-32 个字母、数字或 . _ - / a user name is 1-32 letters, "
                         "digits, . _ or -")
    return user


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise StaffError(f"密码须为 {MIN_PASSWORD}-{MAX_PASSWORD} 个字符 / a password has "
                         f"{MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if password.strip() != password or not password.isprintable():
        raise StaffError("密码不能以空格开头或结尾，也不能含控制字符 / a password may not start "
                         "or end with a space or hold control characters")
    return password


@functools.cache
def _dummy() -> str:
    # made once, with the same parameters: verifying it costs what a real account costs
    return _hash("no such staff account: the time of a refusal must not tell")


def _hash(password: str) -> str:
    with _HASHING:
        return HASHER.hash(password)


def _verify(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches, and a new hash when the stored one is outdated."""
    against = stored or _dummy()
    try:
        with _HASHING:
            HASHER.verify(against, password)
    except (VerificationError, InvalidHashError):
        return False, None
    if stored is None:
        return False, None
    return True, _hash(password) if HASHER.check_needs_rehash(stored) else None


def set_password(db: Database, user: str, password: str, now: float) -> bool:
    """Add the account, or give it a new password (which also lifts a lock-out); True when
    the account is new."""
    check_user(user)
    hashed = _hash(check_password(password))
    a = staff_accounts
    with db.write() as conn:
        found = conn.execute(sa.select(a.c.user).where(a.c.user == user)
                             .with_for_update()).first()
        if found is None:
            conn.execute(sa.insert(a).values(user=user, password_hash=hashed, failed_logins=0,
                                             created_at=now, updated_at=now))
        else:
            conn.execute(sa.update(a).where(a.c.user == user).values(
                password_hash=hashed, failed_logins=0, locked_until=None, updated_at=now))
    return found is None


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    message: str = ""


def _locked(until: float, now: float) -> str:
    minutes = max(1, int((until - now + 59) // 60))
    return (f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试 / too many wrong passwords: "
            f"the account is locked; try again in {minutes} min")


def sign_in(db: Database, user: str, password: str, now: float) -> str:
    """The user, when the password is right and the account is not locked; else
    :class:`LoginRefused` with the words to show."""
    a = staff_accounts
    user = user.strip()
    if not USER_PATTERN.match(user) or len(password) > MAX_PASSWORD:
        _verify(None, "x")  # the same time as any other refusal
        raise LoginRefused(WRONG)
    with db.read() as conn:
        row = conn.execute(sa.select(a.c.password_hash, a.c.locked_until)
                           .where(a.c.user == user)).first()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        raise LoginRefused(_locked(row.locked_until, now))
    good, rehash = _verify(row.password_hash if row else None, password)
    if row is None:
        raise LoginRefused(WRONG)
    with db.write() as conn:
        outcome = _record(conn, user, good, rehash, now)
    if not outcome.ok:
        raise LoginRefused(outcome.message)
    return user


def _record(conn: sa.Connection, user: str, good: bool, rehash: str | None,
            now: float) -> _Outcome:
    """Count the attempt under the row's lock (the caller commits, then raises)."""
    a = staff_accounts
    current = conn.execute(sa.select(a.c.failed_logins, a.c.locked_until)
                           .where(a.c.user == user).with_for_update()).first()
    if current is None:
        return _Outcome(False, WRONG)
    if current.locked_until is not None and current.locked_until > now:
        return _Outcome(False, _locked(current.locked_until, now))
    if good:
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if rehash is not None:
            values["password_hash"] = rehash
        conn.execute(sa.update(a).where(a.c.user == user).values(**values))
        return _Outcome(True)
    failed = current.failed_logins + 1
    if failed >= LOCK_AFTER:
        until = now + LOCK_SECONDS
        conn.execute(sa.update(a).where(a.c.user == user).values(failed_logins=0,
                                                                 locked_until=until))
        return _Outcome(False, _locked(until, now))
    conn.execute(sa.update(a).where(a.c.user == user).values(failed_logins=failed))
    return _Outcome(False, WRONG)
