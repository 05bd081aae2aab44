"""Record identifiers: UUID version 7 (RFC 9562 §5.7), made on the site without the county.

Time-ordered so that indexes stay compact and ids sort roughly by creation; the 12-bit
``rand_a`` field holds a counter within one millisecond (RFC 9562 §6.2, method 1) so ids made
by one process are strictly increasing even when the clock stalls.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """A new UUIDv7; ``now_ms`` (Unix milliseconds) is for tests."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
        if ms <= _last_ms:
            # Clock stalled or stepped back: keep ordering by bumping the counter.
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:
                ms += 1
                _counter = 0
        else:
            _counter = int.from_bytes(os.urandom(2), "big") & 0x3FF  # leave headroom
        _last_ms = ms
        rand_b = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80
        value |= 0x7 << 76 | _counter << 64 | 0b10 << 62 | rand_b
        return uuid.UUID(int=value)


def new_id() -> str:
    """A new record id as its canonical text form."""
    return str(uuid7())
