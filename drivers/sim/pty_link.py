"""A pseudo-terminal that a simulator serves, so drivers run their real serial code.

The simulator owns the master side; the driver opens the slave path (``/dev/pts/N``) with
pyserial exactly as it would open ``/dev/ttyUSB0``. Bytes the simulator sends are paced at
the configured baud rate (start bit, 8 data bits, stop bit: 10 bit times per byte), so
timing-sensitive code meets a realistic link. ``unplug()`` closes the master: the driver's
next read or write fails as it does when a USB-serial adapter is pulled.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import termios
import threading
import time
import tty
from collections.abc import Callable

Handler = Callable[[bytes], None]

_CHUNK = 64  # bytes written between pacing sleeps


class PtyLink:
    """Serve a pseudo-terminal: ``on_bytes`` gets what the driver wrote; :meth:`send`
    answers it."""

    def __init__(self, on_bytes: Handler, *, baudrate: int | None = 115200):
        self._on_bytes = on_bytes
        self.baudrate = baudrate
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)
        attrs = termios.tcgetattr(self._slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self._slave, termios.TCSANOW, attrs)
        self.path = os.ttyname(self._slave)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"pty {self.path}", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(self._master, 4096)
            except OSError:
                return
            if data:
                self._on_bytes(data)

    def send(self, data: bytes) -> None:
        """Send to the driver, paced like the real link."""
        with self._lock:
            per_byte = 10 / self.baudrate if self.baudrate else 0.0
            for start in range(0, len(data), _CHUNK):
                chunk = data[start : start + _CHUNK]
                try:
                    os.write(self._master, chunk)
                except OSError:
                    return  # unplugged meanwhile
                if per_byte:
                    time.sleep(per_byte * len(chunk))

    def unplug(self) -> None:
        """Close the link as a pulled cable would.

        The serve thread is stopped and joined before the descriptors close: otherwise it may
        still select() on their numbers, which the next pseudo-terminal opened reuses, and a
        dead simulator would answer for a new one.
        """
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(1.0)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    close = unplug
