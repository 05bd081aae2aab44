"""Clerk accounts as stored: the secret only as its argon2id hash, the lock-out counters, and
an audit entry for every change and every sign-in, never with the secret.

Hashing follows RFC 9106 §4's second recommended option (argon2id, t=3, 64 MiB, 4 lanes):
the first one needs 2 GiB, more than a village PC has to spare. A hash made with older
parameters is replaced at the next successful sign-in (:func:`check`).

Hashing and verifying take about 0.1 s and are done outside the write transaction (a
:class:`Hashed` is made first, :func:`check` runs before :func:`record_login`), so the store's
write lock is never held while argon2 works. An unknown or disabled id is verified against a
dummy hash, so the time of a refusal does not tell whether the account exists.

Whether a failure locks the account is the caller's policy (``kiosk.domain.clerks``), handed
in as a :class:`LockRule`; the count is read and written in the one transaction of
:func:`record_login`, so parallel attempts cannot slip past the threshold.
"""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

from . import audit
from .clock import Clock, iso, parse_iso
from .db import Store

HASHER = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
PUBLIC = "id, name, manager, failed_logins, locked_until, created_at, updated_at, disabled_at"


class ClerkExists(ValueError):
    """The id is taken (also by a disabled account: ids are never reused)."""


class NoSuchClerk(LookupError):
    pass


class LockRule(Protocol):
    def locked(self, failed: int, locked_until: dt.datetime | None, now: dt.datetime) -> bool:
        ...

    def after_failure(self, failed: int, now: dt.datetime,
                      ) -> tuple[int, dt.datetime | None]: ...

    def after_success(self) -> tuple[int, dt.datetime | None]: ...


@dataclass(frozen=True)
class Hashed:
    """An argon2id hash made by :func:`hash_secret`: the only thing the store accepts, so a
    secret cannot be stored by mistake."""

    text: str

    def __repr__(self) -> str:
        return "Hashed(…)"


def hash_secret(secret: str, hasher: PasswordHasher = HASHER) -> Hashed:
    return Hashed(hasher.hash(secret))


@functools.cache
def _dummy() -> str:
    # made once per process with the same parameters, so that verifying it costs what a
    # real account's verification costs
    return HASHER.hash("no such clerk: the time of a refusal must not tell")


@dataclass(frozen=True)
class Checked:
    ok: bool
    rehash: Hashed | None = None
    """A new hash when the stored one was made with other parameters (success only)."""


def check(secret_hash: str | None, secret: str, hasher: PasswordHasher = HASHER) -> Checked:
    """Verify ``secret`` against ``secret_hash`` (None: the account is unknown or disabled,
    and a dummy hash is verified instead, taking the same time)."""
    try:
        hasher.verify(secret_hash or _dummy(), secret)
    except (VerificationError, InvalidHashError):
        return Checked(False)
    if secret_hash is None:
        return Checked(False)
    return Checked(True, hash_secret(secret, hasher) if hasher.check_needs_rehash(secret_hash)
                   else None)


# --- changes (inside the caller's write transaction) -----------------------------------------


def add(conn: sqlite3.Connection, clock: Clock, *, clerk_id: str, name: str, secret: Hashed,
        manager: bool, actor: str) -> dict[str, Any]:
    if conn.execute("SELECT 1 FROM clerks WHERE id = ?", (clerk_id,)).fetchone():
        raise ClerkExists(f"工号 {clerk_id} 已存在 / clerk id {clerk_id} is taken")
    now = iso(clock.now())
    conn.execute("INSERT INTO clerks (id, name, secret_hash, manager, created_at, updated_at)"
                 " VALUES (?,?,?,?,?,?)", (clerk_id, name, secret.text, int(manager), now, now))
    audit.record(conn, clock, actor=actor, action="clerk.added", subject=clerk_id,
                 detail={"manager": manager})
    return _public(conn, clerk_id)


def reset_secret(conn: sqlite3.Connection, clock: Clock, clerk_id: str, secret: Hashed, *,
                 actor: str) -> dict[str, Any]:
    """A new secret; it also lifts a lock-out (the manager has seen the clerk)."""
    _exists(conn, clerk_id)
    conn.execute("UPDATE clerks SET secret_hash = ?, failed_logins = 0, locked_until = NULL,"
                 " updated_at = ? WHERE id = ?", (secret.text, iso(clock.now()), clerk_id))
    audit.record(conn, clock, actor=actor, action="clerk.secret_reset", subject=clerk_id)
    return _public(conn, clerk_id)


def disable(conn: sqlite3.Connection, clock: Clock, clerk_id: str, *,
            actor: str) -> dict[str, Any]:
    """The account signs in no more; its id stays in the records that name it."""
    _exists(conn, clerk_id)
    now = iso(clock.now())
    conn.execute("UPDATE clerks SET disabled_at = coalesce(disabled_at, ?), updated_at = ?"
                 " WHERE id = ?", (now, now, clerk_id))
    audit.record(conn, clock, actor=actor, action="clerk.disabled", subject=clerk_id)
    return _public(conn, clerk_id)


@dataclass(frozen=True)
class Login:
    outcome: Literal["ok", "wrong", "locked"]
    clerk: dict[str, Any] | None = None
    """The account (without its hash) on success."""
    locked_until: dt.datetime | None = None


def record_login(conn: sqlite3.Connection, clock: Clock, clerk_id: str, checked: Checked,
                 rule: LockRule, *, actor: str, where: str | None = None) -> Login:
    """Apply one sign-in attempt whose secret :func:`check` verified: the counters, a new
    hash if one was made, and the audit entry, in the caller's transaction.

    A locked account is refused even with the right secret, and an attempt while locked does
    not count (it would let anyone keep a clerk locked out for good by typing wrong PINs).
    """
    row = conn.execute("SELECT failed_logins, locked_until, disabled_at FROM clerks"
                       " WHERE id = ?", (clerk_id,)).fetchone()
    now = clock.now()
    detail: dict[str, Any] = {"where": where} if where else {}
    if row is None or row[2] is not None:
        # the typed id is not kept: it may be a PIN typed into the wrong field
        audit.record(conn, clock, actor=actor, action="clerk.login_failed",
                     subject="?" if row is None else clerk_id,
                     detail={**detail, "reason": "unknown" if row is None else "disabled"})
        return Login("wrong")
    failed, until = int(row[0]), parse_iso(row[1]) if row[1] else None
    if rule.locked(failed, until, now):
        audit.record(conn, clock, actor=actor, action="clerk.login_failed", subject=clerk_id,
                     detail={**detail, "reason": "locked", "locked_until": row[1]})
        return Login("locked", locked_until=until)
    if not checked.ok:
        failed, until = rule.after_failure(failed, now)
        conn.execute("UPDATE clerks SET failed_logins = ?, locked_until = ? WHERE id = ?",
                     (failed, iso(until) if until else None, clerk_id))
        audit.record(conn, clock, actor=actor, action="clerk.login_failed", subject=clerk_id,
                     detail={**detail, "reason": "wrong", "failed_logins": failed,
                             "locked_until": iso(until) if until else None})
        return Login("locked" if until else "wrong", locked_until=until)
    failed, until = rule.after_success()
    conn.execute("UPDATE clerks SET failed_logins = ?, locked_until = ? WHERE id = ?",
                 (failed, iso(until) if until else None, clerk_id))
    if checked.rehash is not None:
        conn.execute("UPDATE clerks SET secret_hash = ? WHERE id = ?",
                     (checked.rehash.text, clerk_id))
    audit.record(conn, clock, actor=actor, action="clerk.login", subject=clerk_id,
                 detail={**detail, "rehashed": checked.rehash is not None})
    return Login("ok", clerk=_public(conn, clerk_id))


# --- reads -----------------------------------------------------------------------------------


def secret_hash_of(store: Store, clerk_id: str) -> str | None:
    """The hash to verify a sign-in against; None for an unknown or disabled account."""
    rows = store.query("SELECT secret_hash FROM clerks WHERE id = ? AND disabled_at IS NULL",
                       [clerk_id])
    return rows[0]["secret_hash"] if rows else None


def clerks(store: Store) -> list[dict[str, Any]]:
    """Every account, without its hash, by id."""
    rows = store.query(f"SELECT {PUBLIC} FROM clerks ORDER BY id")  # noqa: S608 (a constant)
    return [_shape(row) for row in rows]


def verify(store: Store, clock: Clock, clerk_id: str, secret: str, rule: LockRule, *,
           actor: str, where: str | None = None) -> Login:
    """One whole sign-in: read, verify outside the lock, record in one write transaction."""
    checked = check(secret_hash_of(store, clerk_id), secret)
    with store.write() as conn:
        return record_login(conn, clock, clerk_id, checked, rule, actor=actor, where=where)


def _exists(conn: sqlite3.Connection, clerk_id: str) -> None:
    if not conn.execute("SELECT 1 FROM clerks WHERE id = ?", (clerk_id,)).fetchone():
        raise NoSuchClerk(f"没有工号 {clerk_id} / no clerk {clerk_id}")


def _public(conn: sqlite3.Connection, clerk_id: str) -> dict[str, Any]:
    cursor = conn.execute(f"SELECT {PUBLIC} FROM clerks WHERE id = ?",  # noqa: S608
                          (clerk_id,))
    names = [d[0] for d in cursor.description]
    return _shape(dict(zip(names, cursor.fetchone(), strict=True)))


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "manager": bool(row["manager"])}
