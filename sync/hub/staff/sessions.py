"""Signed-in browsers: a random token in a cookie, kept in the database only as its sha256,
ending after 8 hours without use (OWASP Session Management Cheat Sheet: idle timeout, no
session id in the URL, a new id at every sign-in).

The CSRF token of a session is an HMAC of its cookie token (the "HMAC based token pattern" of
the OWASP CSRF Prevention Cheat Sheet): tied to the session, nothing more to store, and any hub
behind the load balancer can check it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from sync.hub.db import Database

from .tables import staff_sessions

IDLE_SECONDS = 8 * 3600
REFRESH_SECONDS = 60
"""A session's expiry moves on at most once a minute: a page view is not always a write."""
_CSRF_CONTEXT = b"bianmin staff pages: csrf"


@dataclass(frozen=True)
class Session:
    user: str
    token: str

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(db: Database, user: str, now: float) -> Session:
    """A new session for ``user`` (and the expired ones of everybody swept away)."""
    token = secrets.token_urlsafe(32)
    s = staff_sessions
    with db.write() as conn:
        conn.execute(sa.delete(s).where(s.c.expires_at <= now))
        conn.execute(sa.insert(s).values(token_hash=_hash(token), user=user, created_at=now,
                                         last_used=now, expires_at=now + IDLE_SECONDS))
    return Session(user, token)


def find(db: Database, token: str | None, now: float) -> Session | None:
    """The live session of this cookie token, its expiry moved on; None when there is none."""
    if not token or len(token) > 128:
        return None
    s = staff_sessions
    key = _hash(token)
    with db.read() as conn:
        row = conn.execute(sa.select(s.c.user, s.c.last_used, s.c.expires_at)
                           .where(s.c.token_hash == key)).first()
    if row is None or row.expires_at <= now:
        return None
    if now - row.last_used >= REFRESH_SECONDS:
        with db.write() as conn:
            conn.execute(sa.update(s).where(s.c.token_hash == key, s.c.expires_at > now)
                         .values(last_used=now, expires_at=now + IDLE_SECONDS))
    return Session(row.user, token)


def end(db: Database, token: str | None) -> None:
    if token:
        with db.write() as conn:
            conn.execute(sa.delete(staff_sessions).where(
                staff_sessions.c.token_hash == _hash(token)))


def csrf_token(token: str) -> str:
    return hmac.new(token.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def csrf_ok(session: Session, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(),
                                                          session.csrf.encode())
