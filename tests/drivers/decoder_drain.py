"""Drive an incremental frame decoder over a whole byte stream, checking on every step the
contract all our decoders share: ``decode(buf) -> (frame | None, consumed)``, a FrameError
carrying ``consumed`` (> 0) for bytes to drop, and progress on every step but the last."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def drain(
    decode: Callable[[bytes], tuple[Any, int]],
    buf: bytes,
    error: type[Exception],
    *,
    min_frame: int = 1,
    check_error: Callable[[bytes, int], None] | None = None,
) -> tuple[list[Any], int, bytes]:
    """Decode everything decodable; returns the frames, the count of errors and the tail.

    :param min_frame: the fewest bytes a whole frame can take.
    :param check_error: extra assertions on ``(buf, consumed)`` at each error.
    """
    frames: list[Any] = []
    errors = 0
    steps, limit = 0, len(buf) + 2  # every step but the last consumes at least one byte
    while True:
        steps += 1
        assert steps <= limit, "the decoder did not make progress"
        try:
            frame, used = decode(buf)
        except error as exc:
            consumed = exc.consumed  # type: ignore[attr-defined]
            assert 0 < consumed <= len(buf)
            if check_error is not None:
                check_error(buf, consumed)
            buf = buf[consumed:]
            errors += 1
            continue
        assert 0 <= used <= len(buf)
        if frame is not None:
            assert used >= min_frame
            frames.append(frame)
            buf = buf[used:]
            continue
        if used == 0:
            return frames, errors, buf
        buf = buf[used:]
