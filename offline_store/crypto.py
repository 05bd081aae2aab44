"""Envelope encryption of personal data, blind indexes and crypto-shredding.

Design (../shared/research/sync.md §3, §5; DESIGN.md §6):

- A 256-bit **site key**, from a systemd credential (``$CREDENTIALS_DIRECTORY``) or a file
  of mode 0600. HKDF-SHA256 (RFC 5869) derives from it the key-encryption key (KEK), the
  blind-index key and a fingerprint that tells a wrong key file from the right one.
- A **data key** (DEK) per case or per ticket holder, stored only wrapped by the KEK.
  Destroying the wrapped DEK (crypto-shredding) makes every copy of that record's ciphertext
  unreadable: in the WAL, in free pages, in blob files, on flash (PIPL Art. 47, 51).
- Ciphers: AES-256-GCM by default; SM4-GCM (GB/T 32907, for 密评 under GB/T 39786) when the
  site asks for it. Both are AEAD; the associated data binds a ciphertext to its key id and
  its column, so a ciphertext copied into another record fails to decrypt.
- Blind index: HMAC-SHA256 (HMAC-SM3 with SM4) of the normalised ID number, so a citizen's
  records are found without storing the number in clear.

Ciphertext layout: ``version (1) | alg (1) | nonce (12) | ciphertext | tag (16)``.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import (
    CipherUnavailable,
    DecryptionFailed,
    KeyShredded,
    SiteKeyError,
    SiteKeyInsecure,
    SiteKeyMismatch,
    SiteKeyMissing,
)

AES_256_GCM = "aes-256-gcm"
SM4_GCM = "sm4-gcm"
CIPHERS = (AES_256_GCM, SM4_GCM)
_ALG_ID = {AES_256_GCM: 1, SM4_GCM: 2}
_ALG_BY_ID = {v: k for k, v in _ALG_ID.items()}
_KEY_LEN = {AES_256_GCM: 32, SM4_GCM: 16}
_FORMAT_VERSION = 1
_NONCE_LEN = 12
_TAG_LEN = 16
SITE_KEY_LEN = 32


# --- pure AEAD functions -------------------------------------------------------------------


def seal(alg: str, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate ``plaintext``; a fresh random nonce every call."""
    nonce = os.urandom(_NONCE_LEN)
    if alg == AES_256_GCM:
        body = AESGCM(key).encrypt(nonce, plaintext, aad)
    elif alg == SM4_GCM:
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(plaintext) + enc.finalize() + enc.tag
    else:
        raise CipherUnavailable(alg)
    return bytes((_FORMAT_VERSION, _ALG_ID[alg])) + nonce + body


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Decrypt what :func:`seal` made; :class:`DecryptionFailed` when anything was altered."""
    if len(sealed) < 2 + _NONCE_LEN + _TAG_LEN or sealed[0] != _FORMAT_VERSION:
        raise DecryptionFailed("not a sealed value")
    alg = _ALG_BY_ID.get(sealed[1])
    nonce, body = sealed[2 : 2 + _NONCE_LEN], sealed[2 + _NONCE_LEN :]
    try:
        if alg == AES_256_GCM:
            return AESGCM(key).decrypt(nonce, body, aad)
        if alg == SM4_GCM:
            dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, body[-_TAG_LEN:])).decryptor()
            dec.authenticate_additional_data(aad)
            return dec.update(body[:-_TAG_LEN]) + dec.finalize()
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed(type(exc).__name__) from exc
    raise DecryptionFailed(f"unknown cipher id {sealed[1]}")


def sealed_alg(sealed: bytes) -> str | None:
    return _ALG_BY_ID.get(sealed[1]) if len(sealed) > 1 else None


def probe_cipher(alg: str) -> None:
    """Fail early, in plain words, when this OpenSSL build lacks the cipher (some distro
    builds disable SM4)."""
    if alg not in _KEY_LEN:
        raise CipherUnavailable(f"unknown cipher {alg!r}; choose one of {', '.join(CIPHERS)}")
    key = bytes(_KEY_LEN[alg])
    try:
        assert open_sealed(key, seal(alg, key, b"probe", b""), b"") == b"probe"
    except (UnsupportedAlgorithm, DecryptionFailed) as exc:
        raise CipherUnavailable(f"{alg}: {exc}") from exc


def _derive(site_key: bytes, purpose: str, length: int = 32) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=length, salt=None, info=f"bianmin/{purpose}/v1".encode()
    ).derive(site_key)


def normalise_id_number(value: str) -> str:
    """ID numbers as typed or read: full-width digits, spaces and a lower-case x folded."""
    table = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９Ｘｘ"}
    return "".join(value.translate(table).split()).upper()


def normalise_phone(value: str) -> str:
    """Phone numbers as typed: full-width digits folded, everything but digits dropped, and
    China's country code (+86, 0086) taken off a mobile number."""
    digits = "".join(c for c in value.translate({ord(c): ord(c) - 0xFEE0 for c in
                                                 "０１２３４５６７８９"}) if c.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix):]
    return digits


# --- the site key --------------------------------------------------------------------------


def parse_site_key(raw: bytes) -> bytes:
    text = raw.strip()
    if len(raw) == SITE_KEY_LEN and len(text) != 2 * SITE_KEY_LEN:
        return raw
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SiteKeyError("the key is neither 32 raw bytes nor 64 hex digits") from exc
    if len(key) != SITE_KEY_LEN:
        raise SiteKeyError(f"the key has {len(key)} bytes, expected {SITE_KEY_LEN}")
    return key


def load_site_key(key_file: Path, credential_name: str = "bianmin-site-key") -> bytes:
    """The site key: the systemd credential when the service has one, else the key file.

    The file must be owner-only (0600 or stricter), as ssh insists for private keys: a key
    readable by any local user protects nothing.
    """
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        cred = Path(cred_dir) / credential_name
        if cred.exists():
            return parse_site_key(cred.read_bytes())
    try:
        st = key_file.stat()
    except FileNotFoundError as exc:
        raise SiteKeyMissing(str(key_file)) from exc
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SiteKeyInsecure(f"{key_file} has mode {stat.S_IMODE(st.st_mode):04o}")
    return parse_site_key(key_file.read_bytes())


def create_site_key(key_file: Path) -> bytes:
    """Write a new random site key, mode 0600, durably; never overwrites an existing one."""
    key = secrets.token_bytes(SITE_KEY_LEN)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise SiteKeyError(f"{key_file} exists already; refusing to overwrite a site key") from exc
    try:
        os.write(fd, key.hex().encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(key_file.parent)
    return key


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some filesystems refuse fsync on a directory
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


# --- data keys -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DataKey:
    """An unwrapped data key. ``context`` names the column or file a value belongs to."""

    key_id: str
    alg: str
    key: bytes

    def _aad(self, context: str) -> bytes:
        return f"{self.key_id}|{context}".encode()

    def encrypt(self, plaintext: bytes, context: str) -> bytes:
        return seal(self.alg, self.key, plaintext, self._aad(context))

    def decrypt(self, sealed: bytes, context: str) -> bytes:
        return open_sealed(self.key, sealed, self._aad(context))

    def encrypt_json(self, value: Any, context: str) -> bytes:
        return self.encrypt(json.dumps(value, ensure_ascii=False).encode(), context)

    def decrypt_json(self, sealed: bytes, context: str) -> Any:
        return json.loads(self.decrypt(sealed, context))


class KeyRing:
    """Makes, wraps, unwraps and destroys data keys; computes blind indexes.

    Holds no key cache on purpose: a key shredded by another process must stop decrypting
    here too, and unwrapping 32 bytes costs microseconds.
    """

    def __init__(self, site_key: bytes, cipher: str = AES_256_GCM, index_hash: str = "sha256"):
        probe_cipher(cipher)
        self.cipher = cipher
        self._kek_alg = cipher
        self._kek = _derive(site_key, "kek", _KEY_LEN[cipher])
        self._index_key = _derive(site_key, "blind-index")
        self.index_hash = index_hash
        self.fingerprint = _derive(site_key, "key-check", 16).hex()

    def check_fingerprint(self, stored: str | None) -> None:
        if stored is not None and not hmac.compare_digest(stored, self.fingerprint):
            raise SiteKeyMismatch()

    def new_key(self, key_id: str) -> DataKey:
        return DataKey(key_id, self.cipher, secrets.token_bytes(_KEY_LEN[self.cipher]))

    def wrap(self, dk: DataKey) -> bytes:
        return seal(self._kek_alg, self._kek, dk.key, f"dek|{dk.key_id}|{dk.alg}".encode())

    def unwrap(self, key_id: str, alg: str, wrapped: bytes | None) -> DataKey:
        if wrapped is None:
            raise KeyShredded(key_id)
        key = open_sealed(self._kek, wrapped, f"dek|{key_id}|{alg}".encode())
        return DataKey(key_id, alg, key)

    def blind_index(self, id_number: str) -> bytes:
        digest = hashlib.sha256 if self.index_hash == "sha256" else _sm3
        return hmac.new(self._index_key, normalise_id_number(id_number).encode(), digest).digest()

    def phone_index(self, phone: str) -> bytes:
        """The keyed blind index of a phone number (a kiosk finds a booking by the phone
        typed in). Prefixed, so that no phone's index can equal an ID number's."""
        digest = hashlib.sha256 if self.index_hash == "sha256" else _sm3
        return hmac.new(self._index_key, f"phone|{normalise_phone(phone)}".encode(),
                        digest).digest()

    def code_token(self, kind: str, value: str) -> str:
        """The token a code on paper carries (a receipt's or a ticket's QR code, issue 9):
        HMAC of ``kind|value`` under the index key, the first 60 bits in lower-case base32
        (RFC 4648 §6), 12 characters. Only this site can make it; the number alone, which
        is guessable, does not open anything."""
        digest = hashlib.sha256 if self.index_hash == "sha256" else _sm3
        mac = hmac.new(self._index_key, f"{kind}|{value}".encode(), digest).digest()
        return base64.b32encode(mac[:10]).decode("ascii").lower()[:12]

    def check_code_token(self, kind: str, value: str, token: str) -> bool:
        """Whether ``token`` is :meth:`code_token` of ``kind`` and ``value``, compared in
        constant time."""
        return hmac.compare_digest(self.code_token(kind, value).encode(),
                                   token.strip().lower().encode("ascii", "replace"))


def _sm3(data: bytes = b"") -> Any:
    """hashlib-style SM3 (GB/T 32905) for :func:`hmac.new`, through OpenSSL."""
    return hashlib.new("sm3", data)
