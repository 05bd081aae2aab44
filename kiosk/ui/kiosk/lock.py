"""What keeps a citizen in the kiosk and lets the technician out, and when the kiosk forgets
who used it. Plain logic, no Qt: the window feeds it taps, touches and the time.

- The way out is a hidden gesture (five taps on the top-left corner within four seconds)
  and then the technician's PIN, checked against ``[kiosk] unlock_pin_hash`` (scrypt, as
  ``bianmin kiosk pin-hash`` writes it). Three wrong PINs lock the pad for a minute.
- Idle: after ``idle_s`` with no touch the kiosk counts down ``countdown_s`` aloud and on
  the screen, then goes home and forgets the citizen.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

TAPS = 5
TAP_WINDOW_S = 4.0
TRIES = 3
LOCKOUT_S = 60.0
_N, _R, _P = 2**14, 8, 1


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """``scrypt$<salt hex>$<hash hex>`` of ``pin`` (the line for the configuration)."""
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        raise ValueError("PIN 须为 4 到 12 位数字 / the PIN must be 4 to 12 digits")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether ``pin`` is the one ``stored`` (:func:`hash_pin`) was made from; False for an
    empty or malformed ``stored`` (no PIN set: the kiosk cannot be left from its screen)."""
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    if scheme != "scrypt" or not pin:
        return False
    found = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=len(digest))
    return hmac.compare_digest(found, digest)


@dataclass
class Gesture:
    """Counts taps on the hidden corner; True from :meth:`tap` when they make the gesture."""

    taps: list[float] = field(default_factory=list)

    def tap(self, now: float) -> bool:
        self.taps = [t for t in self.taps if now - t <= TAP_WINDOW_S] + [now]
        if len(self.taps) >= TAPS:
            self.taps = []
            return True
        return False


@dataclass
class PinGate:
    stored: str
    wrong: int = 0
    locked_until: float = 0.0

    def try_pin(self, pin: str, now: float) -> str:
        """``ok``, ``wrong`` or ``locked`` (too many wrong PINs: wait)."""
        if now < self.locked_until:
            return "locked"
        if pin_matches(pin, self.stored):
            self.wrong = 0
            return "ok"
        self.wrong += 1
        if self.wrong >= TRIES:
            self.wrong, self.locked_until = 0, now + LOCKOUT_S
            return "locked"
        return "wrong"


@dataclass
class Idle:
    """When the kiosk should ask whether someone is still there, and when it goes home."""

    idle_s: float
    countdown_s: float
    last_touch: float = 0.0

    def touch(self, now: float) -> None:
        self.last_touch = now

    def state(self, now: float) -> tuple[str, float]:
        """(``active`` | ``countdown`` | ``expired``, seconds left in that state)."""
        quiet = now - self.last_touch
        if quiet < self.idle_s:
            return "active", self.idle_s - quiet
        if quiet < self.idle_s + self.countdown_s:
            return "countdown", self.idle_s + self.countdown_s - quiet
        return "expired", 0.0
