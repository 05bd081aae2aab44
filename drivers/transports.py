"""Byte transports handed to drivers: serial, TCP and device files, plus a scripted fake.

Drivers speak protocols over a :class:`Transport` and never open one themselves (the
composition python-escpos lacks, ../shared/research/aesthetics.md §1). The device layer
opens the transport a device URL names and hands it in.

Contract every transport keeps:

- ``write(data)`` sends all bytes or raises :class:`TransportError`;
- ``read(max_bytes, timeout_s)`` returns 1..max_bytes bytes as soon as any arrive, or
  ``b""`` when nothing arrived within ``timeout_s``; never blocks longer;
- a device that disappears (unplugged, connection reset) raises :class:`TransportError`
  with a plain message, never a bare ``OSError`` or ``SerialException``;
- ``close()`` is idempotent.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import termios
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import serial


class TransportError(Exception):
    """The link to the device failed: unplugged, refused, reset, or not permitted."""


class TransportTimeout(TransportError):
    """The device did not answer within the time allowed."""


class Transport(Protocol):
    name: str

    def write(self, data: bytes) -> None: ...

    def read(self, max_bytes: int, timeout_s: float) -> bytes: ...

    def close(self) -> None: ...


def read_exact(transport: Transport, n: int, timeout_s: float) -> bytes:
    """Exactly ``n`` bytes within ``timeout_s`` overall, or :class:`TransportTimeout`."""
    deadline = time.monotonic() + timeout_s
    chunks: list[bytes] = []
    got = 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TransportTimeout(f"{transport.name}: {got} of {n} bytes within {timeout_s:g} s")
        chunk = transport.read(n - got, left)
        if chunk:
            chunks.append(chunk)
            got += len(chunk)
    return b"".join(chunks)


class SerialTransport:
    """A serial port through pyserial (also USB-serial bridges and pseudo-terminals)."""

    def __init__(self, port: str, baudrate: int = 115200, *, open_timeout_s: float = 2.0):
        self.name = port
        try:
            self._serial = serial.Serial(port, baudrate=baudrate, timeout=0,
                                         write_timeout=open_timeout_s, exclusive=True)
        except serial.SerialException as exc:
            raise TransportError(_explain_open(port, exc)) from exc
        except (OSError, ValueError) as exc:
            raise TransportError(f"{port}: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
            self._serial.flush()
        except (serial.SerialException, OSError, termios.error) as exc:
            # termios.error: pyserial's flush (tcdrain) on a pulled USB-serial adapter.
            raise TransportError(f"{self.name}: write failed ({exc}); is the cable still "
                                 "plugged in?") from exc

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        try:
            self._serial.timeout = max(0.0, timeout_s)
            data = self._serial.read(1)
            if data and max_bytes > 1 and self._serial.in_waiting:
                data += self._serial.read(min(max_bytes - 1, self._serial.in_waiting))
            return data
        except (serial.SerialException, OSError, TypeError, termios.error) as exc:
            # pyserial raises SerialException("device reports readiness to read but returned
            # no data") when a USB-serial adapter is unplugged.
            raise TransportError(f"{self.name}: read failed ({exc}); is the cable still "
                                 "plugged in?") from exc

    def close(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self._serial.close()


def _explain_open(port: str, exc: serial.SerialException) -> str:
    text = str(exc)
    if "Permission denied" in text or getattr(exc, "errno", None) == 13:
        return (f"{port}: permission denied; add the service user to the dialout (or bianmin) "
                "group, or check the udev rule")
    if "No such file" in text or "could not open port" in text:
        return f"{port}: no such port; is the device plugged in, and is the port name right?"
    if "busy" in text.lower() or "exclusively lock" in text.lower():
        return f"{port}: the port is in use by another program"
    return f"{port}: {text}"


class TcpTransport:
    """A TCP socket (network receipt printers on port 9100, SAM readers behind a server)."""

    def __init__(self, host: str, port: int, *, connect_timeout_s: float = 3.0):
        self.name = f"tcp://{host}:{port}"
        try:
            self._sock = socket.create_connection((host, port), timeout=connect_timeout_s)
        except OSError as exc:
            raise TransportError(f"{self.name}: cannot connect ({exc.strerror or exc}); is the "
                                 "device on and on the network?") from exc
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        try:
            self._sock.settimeout(10.0)
            self._sock.sendall(data)
        except OSError as exc:
            raise TransportError(f"{self.name}: send failed ({exc})") from exc

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        try:
            self._sock.settimeout(max(0.001, timeout_s))
            data = self._sock.recv(max_bytes)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise TransportError(f"{self.name}: receive failed ({exc})") from exc
        if not data:
            raise TransportError(f"{self.name}: the device closed the connection")
        return data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.close()


class FileTransport:
    """A device file such as ``/dev/usb/lp0`` (USB printer class), or a plain file that
    collects the bytes. Reads answer nothing unless the device file does."""

    def __init__(self, path: str | Path):
        self.name = str(path)
        try:
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o600)
        except PermissionError as exc:
            raise TransportError(f"{path}: permission denied; add the service user to the lp "
                                 "(or bianmin) group") from exc
        except OSError as exc:
            raise TransportError(f"{path}: {exc.strerror}") from exc
        self._regular = Path(path).is_file()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                try:
                    view = view[os.write(self._fd, view):]
                except BlockingIOError:
                    select.select([], [self._fd], [], 1.0)
        except OSError as exc:
            raise TransportError(f"{self.name}: write failed ({exc.strerror})") from exc

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        if self._regular:
            time.sleep(max(0.0, timeout_s))
            return b""
        try:
            ready, _, _ = select.select([self._fd], [], [], max(0.0, timeout_s))
            return os.read(self._fd, max_bytes) if ready else b""
        except BlockingIOError:
            return b""
        except OSError as exc:
            raise TransportError(f"{self.name}: read failed ({exc.strerror})") from exc

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


class FakeTransport:
    """A scripted peer for protocol tests: answers each write with the next queued reply.

    Not a mock of a library: it is the smallest real Transport, for conversations replayed
    from traces (house style, "Simulating hardware in tests" step 3).
    """

    def __init__(self, replies: Iterable[bytes] = (), name: str = "fake"):
        self.name = name
        self.replies: deque[bytes] = deque(replies)
        self.written: list[bytes] = []
        self._pending = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.closed:
            raise TransportError(f"{self.name}: closed")
        self.written.append(bytes(data))
        if self.replies:
            self._pending += self.replies.popleft()

    def read(self, max_bytes: int, timeout_s: float) -> bytes:
        if self.closed:
            raise TransportError(f"{self.name}: closed")
        if not self._pending:
            time.sleep(min(timeout_s, 0.001))
            return b""
        data = bytes(self._pending[:max_bytes])
        del self._pending[:max_bytes]
        return data

    def feed(self, data: bytes) -> None:
        """Bytes that arrive unasked (garbage, a late reply)."""
        self._pending += data

    def close(self) -> None:
        self.closed = True
