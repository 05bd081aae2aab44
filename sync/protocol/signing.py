"""Signed requests: one profile of RFC 9421 (HTTP Message Signatures) with Ed25519 keys.

Every request from a site to the hub carries ``Content-Digest`` (RFC 9530, when it has a
body), ``Signature-Input``, ``Signature`` and ``Bianmin-Site``. The signature base is built
as RFC 9421 §2.5 describes, over the components in :data:`COVERED` (and ``content-digest``
when there is a body), with ``created`` in the hub's time as the site estimates it, a random
``nonce`` against replays, the ``keyid`` the hub gave at enrolment and ``alg="ed25519"``.

Only this profile is accepted: a fixed label (``bm``), a fixed list of components, Ed25519.
Anything else is refused as ``unsigned`` rather than interpreted, which keeps the verifier
small enough to read in one sitting.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

LABEL = "bm"
SITE_HEADER = "bianmin-site"
COVERED = ("@method", "@path", "@query", SITE_HEADER)
COVERED_WITH_BODY = ("@method", "@path", "@query", "content-digest", SITE_HEADER)
MAX_SKEW_S = 300
"""How far ``created`` may be from the hub's clock, either way."""
NONCE_TTL_S = 900
"""How long the hub remembers a nonce: longer than the skew window on both sides."""


class SignatureError(Exception):
    """A request's signature cannot be accepted; ``code`` is the wire error code."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def content_digest(body: bytes) -> str:
    """The ``Content-Digest`` value for ``body`` as sent (RFC 9530 §2, sha-256)."""
    return f"sha-256=:{b64(hashlib.sha256(body).digest())}:"


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def load_public(raw: bytes) -> Ed25519PublicKey:
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class Params:
    """The signature parameters (RFC 9421 §2.3) of this profile."""

    components: tuple[str, ...]
    created: int
    nonce: str
    keyid: str

    def serialise(self) -> str:
        inner = " ".join(f'"{c}"' for c in self.components)
        return (f'({inner});created={self.created};nonce="{self.nonce}"'
                f';keyid="{self.keyid}";alg="ed25519"')


def signature_base(method: str, path: str, query: str, headers: Mapping[str, str],
                   params: Params) -> bytes:
    """RFC 9421 §2.5: one line per covered component, then ``@signature-params``.

    :param query: the query string without ``?`` ("" when there is none).
    :param headers: header values by lower-case name.
    """
    lines = []
    for name in params.components:
        if name == "@method":
            value = method.upper()
        elif name == "@path":
            value = path or "/"
        elif name == "@query":
            value = f"?{query}"
        else:
            if name not in headers:
                raise SignatureError("unsigned", f"covered header {name} is missing")
            value = headers[name].strip()
        if "\n" in value or "\r" in value:
            raise SignatureError("unsigned", f"{name} has a line break")
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {params.serialise()}')
    return "\n".join(lines).encode()


def sign(key: Ed25519PrivateKey, *, keyid: str, site: str, method: str, path: str,
         query: str, body: bytes | None, created: int, nonce: str | None = None,
         ) -> dict[str, str]:
    """The headers that sign one request."""
    headers = {SITE_HEADER: site}
    components = COVERED
    if body is not None:
        headers["content-digest"] = content_digest(body)
        components = COVERED_WITH_BODY
    params = Params(components, int(created), nonce or secrets.token_urlsafe(16), keyid)
    sig = key.sign(signature_base(method, path, query, headers, params))
    return {
        "Bianmin-Site": site,
        **({"Content-Digest": headers["content-digest"]} if body is not None else {}),
        "Signature-Input": f"{LABEL}={params.serialise()}",
        "Signature": f"{LABEL}=:{b64(sig)}:",
    }


_INPUT = re.compile(
    r'^bm=\((?P<components>(?:"[a-z@-]+"\s?)+)\);created=(?P<created>\d{1,12});'
    r'nonce="(?P<nonce>[A-Za-z0-9_-]{16,64})";keyid="(?P<keyid>[^"\\]{1,128})";alg="ed25519"$'
)
_SIG = re.compile(r"^bm=:(?P<sig>[A-Za-z0-9+/=]{1,200}):$")


def parse(headers: Mapping[str, str], has_body: bool) -> tuple[Params, bytes]:
    """The parameters and the raw signature of a request, or :class:`SignatureError`.

    :param headers: by lower-case name.
    """
    found = _INPUT.match(headers.get("signature-input", "").strip())
    sig = _SIG.match(headers.get("signature", "").strip())
    if not found or not sig:
        raise SignatureError("unsigned", "Signature-Input or Signature missing or malformed")
    components = tuple(found["components"].replace('"', " ").split())
    if components != (COVERED_WITH_BODY if has_body else COVERED):
        raise SignatureError("unsigned", f"covered components {components} are not this profile's")
    try:
        raw = unb64(sig["sig"])
    except ValueError as exc:
        raise SignatureError("unsigned", "the signature is not base64") from exc
    return Params(components, int(found["created"]), found["nonce"], found["keyid"]), raw


def verify(public: Ed25519PublicKey, *, method: str, path: str, query: str,
           headers: Mapping[str, str], body: bytes | None, params: Params, raw: bytes,
           now: float) -> None:
    """Check the digest, the signature and the freshness of one request.

    Replay (the nonce seen before) is the caller's to check: it needs storage.

    :param headers: by lower-case name.
    :param now: the hub's clock, unix seconds.
    """
    if body is not None and headers.get("content-digest", "").strip() != content_digest(body):
        raise SignatureError("bad_signature", "the body does not match Content-Digest")
    try:
        public.verify(raw, signature_base(method, path, query, headers, params))
    except InvalidSignature as exc:
        raise SignatureError("bad_signature", "the signature does not verify") from exc
    if abs(params.created - now) > MAX_SKEW_S:
        raise SignatureError("stale", f"created {params.created} is {params.created - now:+.0f}"
                                      f" s from the hub's clock")
