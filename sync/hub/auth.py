"""Who is asking: enrolment codes, signed requests (RFC 9421, ``sync.protocol.signing``),
replayed nonces and bearer tokens for the blob endpoints (docs/sync-protocol.md, Identity).

All of it is rows in the database (codes and tokens only as their sha256), so any hub behind
the load balancer can check a request another one enrolled.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.protocol import signing
from sync.protocol.messages import EnrolRequest

from . import schema
from .db import Database
from .errors import Refused

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""Digits and capitals without look-alikes: no 0/O, 1/I/L."""
CODE_LENGTH = 10

_SIGNATURE_WORDS = {
    "unsigned": "请求未签名或签名格式不对 / the request is not signed, or not in this profile",
    "unknown_site": "站点未登记或密钥已更换 / no enrolled key for this site and key id",
    "bad_signature": "签名不对 / the signature or the body digest does not verify",
    "stale": "请求时间与中心时钟相差太多 / the signature's time is too far from the hub's clock",
    "replayed": "重复的请求 / this request was seen before (nonce replayed)",
}


@dataclass(frozen=True)
class RequestFacts:
    """What a signature covers, as the request arrived.

    :param query: the query string as sent, without ``?``.
    :param headers: by lower-case name.
    :param body: the body as sent (before any decompression); None when there is none.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes | None


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What a technician types, as it was made: case, spaces and dashes do not count."""
    return "".join(c for c in text.upper() if c not in " -")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_enrol_code(conn: Connection, site: str, now: float, hours: float) -> tuple[str, float]:
    """A one-time code for ``site``; only its hash is kept. Returns the code and its expiry."""
    code = new_code()
    expires = now + hours * 3600
    conn.execute(sa.insert(schema.enrol_codes).values(
        code_hash=_sha(code), site=site, created_at=now, expires_at=expires))
    return code, expires


def enrol(conn: Connection, request: EnrolRequest, now: float) -> str:
    """Use the code once and keep the site's public key (replacing an earlier one at once);
    returns the new key id. :class:`Refused` 403 for a code that cannot be used, 422 for a
    key that is not an Ed25519 public key."""
    try:
        raw = signing.unb64(request.public_key)
        signing.load_public(raw)
    except ValueError:
        raise Refused(422, "invalid", "公钥不是 Ed25519 公钥 / public_key is not the base64 of "
                                      "an Ed25519 public key (32 bytes)") from None
    codes = schema.enrol_codes
    row = conn.execute(sa.select(codes).where(
        codes.c.code_hash == _sha(normalise_code(request.code)))).mappings().first()
    if row is None:
        raise Refused(403, "code_unknown", "登记码不对 / this enrolment code is not known")
    if row["site"] != request.site:
        raise Refused(403, "code_other_site", "登记码是给另一个站点的 / this enrolment code "
                                              "was made for another site")
    if row["expires_at"] <= now:
        raise Refused(403, "code_expired", "登记码已过期 / this enrolment code has expired; "
                                           "ask the county for a new one")
    used = conn.execute(sa.update(codes).where(codes.c.code_hash == row["code_hash"],
                                               codes.c.used_at.is_(None)).values(used_at=now))
    if used.rowcount != 1:
        raise Refused(403, "code_used", "登记码已用过 / this enrolment code was used already")
    key_id = f"{request.site}-{secrets.token_hex(6)}"
    sites = schema.sites
    changed = conn.execute(sa.update(sites).where(sites.c.code == request.site).values(
        key_id=key_id, public_key=raw, enrolled_at=now, last_seen=now,
        version=request.version))
    if changed.rowcount == 0:
        conn.execute(sa.insert(sites).values(
            code=request.site, key_id=key_id, public_key=raw, enrolled_at=now, last_seen=now,
            version=request.version))
    # the old key's tokens go with it (a replaced PC: the old one may be in the wrong hands)
    conn.execute(sa.delete(schema.tokens).where(schema.tokens.c.site == request.site))
    return key_id


def _refused(exc: signing.SignatureError) -> Refused:
    return Refused(401, exc.code, _SIGNATURE_WORDS.get(exc.code, str(exc)))


def signed_site(db: Database, facts: RequestFacts, now: float) -> str:
    """The site that signed this request, or :class:`Refused` 401 with the protocol's code.

    The nonce is remembered for :data:`signing.NONCE_TTL_S` in the same transaction that
    marks the site seen; a second use of it is ``replayed``.
    """
    has_body = bool(facts.body) or "content-digest" in facts.headers
    try:
        params, raw = signing.parse(facts.headers, has_body)
    except signing.SignatureError as exc:
        raise _refused(exc) from None
    site = facts.headers.get(signing.SITE_HEADER, "").strip()
    sites = schema.sites
    with db.read() as conn:
        public = conn.execute(sa.select(sites.c.public_key).where(
            sites.c.code == site, sites.c.key_id == params.keyid)).scalar()
    if public is None:
        raise _refused(signing.SignatureError("unknown_site", "no key"))
    try:
        signing.verify(signing.load_public(bytes(public)), method=facts.method, path=facts.path,
                       query=facts.query, headers=facts.headers,
                       body=(facts.body or b"") if has_body else None, params=params, raw=raw,
                       now=now)
    except signing.SignatureError as exc:
        raise _refused(exc) from None
    nonces = schema.nonces
    try:
        with db.write() as conn:
            conn.execute(sa.delete(nonces).where(nonces.c.site == site,
                                                 nonces.c.expires_at < now))
            conn.execute(sa.insert(nonces).values(site=site, nonce=params.nonce,
                                                  expires_at=now + signing.NONCE_TTL_S))
            conn.execute(sa.update(sites).where(sites.c.code == site).values(last_seen=now))
    except sa.exc.IntegrityError:
        raise _refused(signing.SignatureError("replayed", "nonce seen")) from None
    return site


def issue_token(conn: Connection, site: str, now: float, minutes: float) -> tuple[str, float]:
    """A bearer token for the blob endpoints; only its hash is kept. Expired ones go."""
    tokens = schema.tokens
    conn.execute(sa.delete(tokens).where(tokens.c.expires_at < now))
    token = secrets.token_urlsafe(32)
    expires = now + minutes * 60
    conn.execute(sa.insert(tokens).values(token_hash=_sha(token), site=site,
                                          expires_at=expires))
    return token, expires


def blob_site(db: Database, facts: RequestFacts, now: float) -> str:
    """The site of a blob request: by ``Authorization: Bearer`` (what a standard tus client
    can send), else by its signature."""
    authorization = facts.headers.get("authorization", "")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return signed_site(db, facts, now)
    tokens, sites = schema.tokens, schema.sites
    with db.read() as conn:
        site = conn.execute(sa.select(tokens.c.site).where(
            tokens.c.token_hash == _sha(token.strip()), tokens.c.expires_at > now)).scalar()
    if site is None:
        raise Refused(401, "bad_token", "令牌无效或已过期 / the bearer token is unknown or has "
                                        "expired; ask POST /v1/tokens for a new one")
    with db.write() as conn:
        conn.execute(sa.update(sites).where(sites.c.code == site).values(last_seen=now))
    return site
