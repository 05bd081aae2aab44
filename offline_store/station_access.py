"""Who may talk to the station, and the answers it gave: tokens, pairing codes, and the
responses kept for requests retried with the same idempotency key.

Tokens are kept only as their SHA-256 (a stolen store grants no access); a pairing code is
kept as the site's keyed blind index, and the token it grants sealed with a data key of its
own until the code is used or expires. A kept answer is written in the transaction that did
the work (:func:`remember`), so a request either happened with its answer kept, or did not
happen: a retry after a crash gets the original answer, never a second ticket
(https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from typing import Any

from .clock import iso, parse_iso
from .db import Store
from .site import Site

PAIR_CONTEXT = "station.pair"


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def add_token(conn: sqlite3.Connection, token: str, role: str, now: dt.datetime) -> None:
    conn.execute("INSERT INTO station_tokens (token_hash, role, created_at) VALUES (?,?,?)",
                 (token_hash(token), role, iso(now)))


def revoke(conn: sqlite3.Connection, token: str, now: dt.datetime) -> bool:
    """The token no longer opens the station (a screen that was set up for another part).
    False when the store never knew it or it was revoked already."""
    done = conn.execute("UPDATE station_tokens SET revoked_at = ? WHERE token_hash = ?"
                        " AND revoked_at IS NULL", (iso(now), token_hash(token)))
    return done.rowcount > 0


TOKEN_ID_HEX = 12
"""A token is named by the head of its hash, as the station's audit entries name it."""


def tokens(store: Store) -> list[dict[str, Any]]:
    """Every token the station ever made: ``id`` (the head of its hash), ``role``,
    ``created_at``, ``revoked_at`` (None while it works); oldest first. Never the token."""
    rows = store.query("SELECT token_hash, role, created_at, revoked_at FROM station_tokens"
                       " ORDER BY created_at, token_hash")
    return [{"id": bytes(r["token_hash"]).hex()[:TOKEN_ID_HEX], "role": r["role"],
             "created_at": r["created_at"], "revoked_at": r["revoked_at"]} for r in rows]


def revoke_id(conn: sqlite3.Connection, token_id: str, now: dt.datetime) -> list[str]:
    """Revoke the working token whose id (:func:`tokens`) starts with ``token_id``; returns
    the ids that matched (none, one revoked now, or several and none revoked: the caller
    asks for a longer id)."""
    prefix = token_id.lower()
    rows = conn.execute("SELECT token_hash FROM station_tokens WHERE revoked_at IS NULL"
                        " AND substr(hex(token_hash), 1, ?) = upper(?)",
                        (len(prefix), prefix)).fetchall()
    found = [bytes(r[0]).hex()[:TOKEN_ID_HEX] for r in rows]
    if len(rows) == 1:
        conn.execute("UPDATE station_tokens SET revoked_at = ? WHERE token_hash = ?",
                     (iso(now), rows[0][0]))
    return found


def role_of(store: Store, token: str) -> str | None:
    rows = store.query("SELECT role FROM station_tokens WHERE token_hash = ?"
                       " AND revoked_at IS NULL", [token_hash(token)])
    return rows[0]["role"] if rows else None


def add_pair_code(conn: sqlite3.Connection, site: Site, code: str, token: str,
                  expires_at: dt.datetime) -> None:
    dk = site.new_data_key()
    site.save_data_key(conn, dk)
    index = site.keys.blind_index(code)
    conn.execute(
        "INSERT INTO pair_codes (code_index, token_hash, key_id, token, expires_at)"
        " VALUES (?,?,?,?,?)",
        (index, token_hash(token), dk.key_id,
         dk.encrypt_json({"token": token}, f"{PAIR_CONTEXT}|{index.hex()}"), iso(expires_at)),
    )


def use_pair_code(site: Site, code: str, now: dt.datetime) -> tuple[str, str] | None:
    """The token and role a code grants, once: the code is spent and its sealed token
    erased. None for an unknown, used or expired code."""
    index = site.keys.blind_index(code)
    with site.store.write() as conn:
        row = conn.execute(
            "SELECT p.key_id, p.token, p.expires_at, p.used_at, t.role FROM pair_codes p"
            " JOIN station_tokens t USING (token_hash) WHERE p.code_index = ?"
            " AND t.revoked_at IS NULL", (index,)).fetchone()
        if row is None or row[3] is not None or row[1] is None:
            return None
        if parse_iso(row[2]) <= now:
            return None
        token = site.data_key(row[0]).decrypt_json(row[1], f"{PAIR_CONTEXT}|{index.hex()}")
        conn.execute("UPDATE pair_codes SET used_at = ?, token = NULL WHERE code_index = ?",
                     (iso(now), index))
    return str(token["token"]), str(row[4])


def recall(conn: sqlite3.Connection, token: str, key: str) -> tuple[str, int, Any] | None:
    """The kept answer to ``key``: (fingerprint of the request, status, body)."""
    row = conn.execute("SELECT fingerprint, status, response FROM station_requests"
                       " WHERE token_hash = ? AND key = ?", (token_hash(token), key)).fetchone()
    return None if row is None else (row[0], int(row[1]), json.loads(row[2]))


def remember(conn: sqlite3.Connection, token: str, key: str, fingerprint: str, status: int,
             body: Any, now: dt.datetime) -> None:
    conn.execute(
        "INSERT INTO station_requests (token_hash, key, fingerprint, status, response, at)"
        " VALUES (?,?,?,?,?,?)",
        (token_hash(token), key, fingerprint, status,
         json.dumps(body, ensure_ascii=False, sort_keys=True), iso(now)),
    )


def forget_before(conn: sqlite3.Connection, before: dt.datetime) -> int:
    """Drop kept answers older than ``before`` (a retry comes within seconds, not days)."""
    return conn.execute("DELETE FROM station_requests WHERE at < ?", (iso(before),)).rowcount
