"""A TCP fault proxy for the sync tests: our own small toxiproxy (github.com/Shopify/toxiproxy,
its "toxics": latency, bandwidth, reset_peer, limit_data), in Python so the tests need no
other daemon.

It sits between the sync daemon and the hub on loopback and forwards bytes both ways, with
faults that can be set and cleared at any moment from the test's thread:

- ``cut_after(n, direction)``: after n more bytes in that direction the connection that
  carries them is reset on both sides (RST by SO_LINGER 0: the ABORT call of RFC 9293
  §3.10.5), once or every n bytes;
- ``delay(s)``: latency added before each chunk is forwarded;
- ``throttle(bytes_per_second, direction)``: one bandwidth per direction, shared by all
  connections, as a real link has;
- ``truncate_response(n)``: only n bytes of each server answer reach the client, then the
  connection is closed;
- ``duplicate_requests(True)``: the server sees each request twice (the second copy arrives
  on a connection of its own, whose answer is thrown away);
- ``refuse(True)``: the link is down; ``clear()``: all faults off.

"up" is client to server, "down" server to client. The proxy is an asyncio loop in a thread
of its own; every read and write has a timeout and ``close()`` ends every connection within
a second, so a test can hang no longer than its own timeouts.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["up", "down"]
Directions = Literal["up", "down", "both"]

_CHUNK = 64 * 1024
# A throttled link forwards pieces of about 50 ms of its bandwidth, so a slow link is smooth
# rather than a burst of 64 KiB and a long pause.
_PIECE_SECONDS = 0.05


@dataclass(frozen=True)
class ProxyStats:
    """What the proxy did since it started (a snapshot)."""

    connections: int
    """Connections accepted from clients, refused ones included."""
    bytes_up: int
    """Bytes forwarded client to server (the replayed copies not counted)."""
    bytes_down: int
    """Bytes forwarded server to client."""
    cuts: int
    """Connections reset by ``cut_after``."""
    truncations: int
    """Answers cut short by ``truncate_response``."""
    refusals: int
    """Connections closed at once by ``refuse``."""
    replayed_bytes: int
    """Bytes sent a second time to the server by ``duplicate_requests``."""
    throttled_seconds_up: float
    """Time spent waiting for the upward bandwidth, summed over connections."""
    throttled_seconds_down: float
    """Time spent waiting for the downward bandwidth, summed over connections."""


class _Bandwidth:
    """A token bucket for one direction of the link, as virtual time (the generic cell rate
    algorithm of ITU-T I.371): each piece reserves ``size / rate`` seconds after the pieces
    before it, from any connection, and waits until its reservation ends. Used only on the
    proxy's loop, where nothing runs between the reservation and its sleep."""

    def __init__(self, rate: int):
        self.rate = rate
        self.piece = max(1, min(_CHUNK, int(rate * _PIECE_SECONDS)))
        self._free_at = 0.0

    def reserve(self, size: int) -> float:
        """Book ``size`` bytes; return how long to wait before sending them."""
        now = time.monotonic()
        self._free_at = max(now, self._free_at) + size / self.rate
        return self._free_at - now


@dataclass
class _Cut:
    every: int
    again: bool
    left: int


@dataclass
class _Faults:
    """The fault settings; read and written under the proxy's lock only."""

    cut: dict[str, _Cut] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    bandwidth: dict[str, _Bandwidth] = field(default_factory=dict)
    truncate: int | None = None
    duplicate: bool = False
    refuse: bool = False


class _Link:
    """One client connection, its upstream connection and, when requests are duplicated, the
    second upstream connection that carries the replayed copy."""

    def __init__(self, client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                 server: tuple[asyncio.StreamReader, asyncio.StreamWriter]):
        self.client_reader, self.client_writer = client
        self.server_reader, self.server_writer = server
        self.replay: asyncio.StreamWriter | None = None
        # Bytes of the answer under way: reset whenever the client sends, so each answer on a
        # kept-alive HTTP/1.1 connection is truncated at the same length.
        self.answer_bytes = 0
        self.last_active = time.monotonic()

    def writers(self) -> list[asyncio.StreamWriter]:
        return [self.client_writer, self.server_writer]

    def reset(self) -> None:
        for writer in self.writers():
            _reset(writer)

    def close(self) -> None:
        for writer in self.writers():
            writer.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close abruptly: SO_LINGER 0 makes the kernel send RST instead of FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _directions(direction: Directions) -> tuple[str, ...]:
    if direction == "both":
        return ("up", "down")
    if direction in ("up", "down"):
        return (direction,)
    raise ValueError(f"direction must be 'up', 'down' or 'both', not {direction!r}")


class _Idle(Exception):
    """Nothing went either way on a connection for the idle timeout."""


class FaultProxy:
    """Forwards 127.0.0.1:``port`` to ``target_host:target_port`` with faults set at runtime.

    :param idle_timeout: a connection with no byte either way for this long is closed, and a
        write the peer does not take within it resets the connection.
    :param connect_timeout: how long to wait for the target to accept a connection.
    """

    def __init__(self, target_host: str, target_port: int, *, idle_timeout: float = 30.0,
                 connect_timeout: float = 5.0):
        self.target = (target_host, target_port)
        self.idle_timeout = idle_timeout
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._faults = _Faults()
        self._counts = dict.fromkeys(
            ("connections", "bytes_up", "bytes_down", "cuts", "truncations", "refusals",
             "replayed_bytes"), 0)
        self._throttled = {"up": 0.0, "down": 0.0}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._links: set[_Link] = set()
        self._replays: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sock: socket.socket | None = None
        self._failure: BaseException | None = None

    # -- life -------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        # IPPROTO_TCP named so that asyncio sets TCP_NODELAY on the accepted connections:
        # without it small answers wait for the peer's delayed ACK (kiosk/station/server.py)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self._sock = sock
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(sock, ready), daemon=True,
                                        name=f"faultproxy:{self.port}")
        self._thread.start()
        if not ready.wait(5) or self._failure is not None:
            self.close()
            raise RuntimeError("故障代理未能启动 / the fault proxy did not start") \
                from self._failure
        return self

    def close(self) -> None:
        """Stop listening and end every connection (within a second)."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(1.0)
        if self._sock is not None:
            self._sock.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("the fault proxy is not started")
        return self._sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- faults (any thread) ----------------------------------------------------------------

    def cut_after(self, n_bytes: int, direction: Direction = "up", *,
                  every: bool = False) -> None:
        """Reset the connection that carries the n-th next byte in ``direction`` (that byte
        is forwarded first). Once, then the fault is off; with ``every``, again after each
        further ``n_bytes``. Counted over all connections: it is the link that breaks."""
        if n_bytes < 0:
            raise ValueError("n_bytes must be >= 0")
        (name,) = _directions(direction)
        with self._lock:
            self._faults.cut[name] = _Cut(n_bytes, every, n_bytes)

    def delay(self, seconds: float, direction: Directions = "both") -> None:
        """Wait ``seconds`` before forwarding each chunk (0 for none)."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            for name in _directions(direction):
                self._faults.delay[name] = seconds

    def throttle(self, bytes_per_second: int | None, direction: Directions = "both") -> None:
        """Limit each named direction to ``bytes_per_second`` over all connections together
        (None: no limit)."""
        if bytes_per_second is not None and bytes_per_second <= 0:
            raise ValueError("bytes_per_second must be > 0 (None for no limit)")
        with self._lock:
            for name in _directions(direction):
                if bytes_per_second is None:
                    self._faults.bandwidth.pop(name, None)
                else:
                    self._faults.bandwidth[name] = _Bandwidth(bytes_per_second)

    def truncate_response(self, n_bytes: int | None) -> None:
        """Forward only the first ``n_bytes`` of each server answer, then close the
        connection (None: whole answers again). An answer of exactly n bytes is whole."""
        if n_bytes is not None and n_bytes < 0:
            raise ValueError("n_bytes must be >= 0")
        with self._lock:
            self._faults.truncate = n_bytes

    def duplicate_requests(self, on: bool = True) -> None:
        """Replay every byte a client sends to the server on a second connection whose
        answer is discarded. Applies to connections accepted from now on: a copy that began
        mid-stream would not be a request."""
        with self._lock:
            self._faults.duplicate = on

    def refuse(self, on: bool = True) -> None:
        """Take the link down: reset the connections open now and every new one at once."""
        with self._lock:
            self._faults.refuse = on
        loop = self._loop
        if on and loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._reset_all)

    def clear(self) -> None:
        """All faults off (the counters stay)."""
        with self._lock:
            self._faults = _Faults()

    def stats(self) -> ProxyStats:
        with self._lock:
            return ProxyStats(**self._counts, throttled_seconds_up=self._throttled["up"],
                              throttled_seconds_down=self._throttled["down"])

    # -- the loop ---------------------------------------------------------------------------

    def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        try:
            asyncio.run(self._main(sock, ready))
        except BaseException as exc:  # reported by start(); a thread has no one else to tell
            self._failure = exc
            ready.set()

    async def _main(self, sock: socket.socket, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._accepted, sock=sock)
        ready.set()
        await self._stop.wait()
        server.close()
        self._reset_all()
        for writer in list(self._replays):
            _reset(writer)
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=0.5)

    def _reset_all(self) -> None:
        for link in list(self._links):
            link.reset()

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    async def _accepted(self, reader: asyncio.StreamReader,
                        writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            # the proxy is closing; a cancelled connection task would make asyncio's stream
            # callback log the cancellation as an error
            _reset(writer)
        finally:
            self._tasks.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self._counts["connections"] += 1
            refuse, duplicate = self._faults.refuse, self._faults.duplicate
        if refuse:
            self._count("refusals")
            _reset(writer)
            return
        try:
            server = await asyncio.wait_for(asyncio.open_connection(*self.target),
                                            self.connect_timeout)
        except (OSError, TimeoutError):
            _reset(writer)  # the target is down: the client sees its connection reset
            return
        link = _Link((reader, writer), server)
        self._links.add(link)
        if duplicate:
            await self._open_replay(link)
        try:
            await asyncio.gather(self._pump(link, "up"), self._pump(link, "down"))
        except _Idle:
            link.close()
        except (OSError, TimeoutError):
            link.reset()
        finally:
            self._links.discard(link)
            link.close()
            if link.replay is not None and link.replay.can_write_eof():
                with contextlib.suppress(OSError):
                    link.replay.write_eof()

    async def _open_replay(self, link: _Link) -> None:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(*self.target),
                                                    self.connect_timeout)
        except (OSError, TimeoutError):
            return  # no copy this time; the original goes through regardless
        link.replay = writer
        self._replays.add(writer)
        task = asyncio.create_task(self._discard_answers(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _discard_answers(self, reader: asyncio.StreamReader,
                               writer: asyncio.StreamWriter) -> None:
        """Read and drop what the server answers the replayed copy, until it closes (or the
        idle timeout); closing early would lose a request the server had not read yet."""
        try:
            while await asyncio.wait_for(reader.read(_CHUNK), self.idle_timeout):
                pass
        except (OSError, TimeoutError):
            pass
        finally:
            self._replays.discard(writer)
            writer.close()

    async def _read(self, link: _Link, reader: asyncio.StreamReader) -> bytes:
        # The idle timeout is the link's: a long download with a silent client is not idle.
        while True:
            try:
                return await asyncio.wait_for(reader.read(_CHUNK), self.idle_timeout)
            except TimeoutError:
                if time.monotonic() - link.last_active >= self.idle_timeout:
                    raise _Idle from None

    async def _pump(self, link: _Link, direction: str) -> None:
        up = direction == "up"
        source = link.client_reader if up else link.server_reader
        sink = link.server_writer if up else link.client_writer
        while data := await self._read(link, source):
            link.last_active = time.monotonic()
            with self._lock:
                delay = self._faults.delay.get(direction, 0.0)
                bandwidth = self._faults.bandwidth.get(direction)
            if delay:
                await asyncio.sleep(delay)
            step = bandwidth.piece if bandwidth is not None else len(data)
            for start in range(0, len(data), step):
                piece = data[start:start + step]
                await self._wait_for_bandwidth(direction, len(piece))
                if not await self._forward(link, direction, sink, piece):
                    return
        if sink.can_write_eof():
            with contextlib.suppress(OSError):
                sink.write_eof()  # a half-close travels on, as TCP's FIN would

    async def _wait_for_bandwidth(self, direction: str, size: int) -> None:
        with self._lock:
            # looked up per piece: a throttle set or lifted mid-transfer applies at once
            bandwidth = self._faults.bandwidth.get(direction)
            wait = bandwidth.reserve(size) if bandwidth is not None else 0.0
            self._throttled[direction] += wait
        if wait > 0:
            await asyncio.sleep(wait)

    async def _forward(self, link: _Link, direction: str, sink: asyncio.StreamWriter,
                       piece: bytes) -> bool:
        """Send one piece through the faults; False when the connection ended here."""
        up = direction == "up"
        with self._lock:
            allowed, ending = len(piece), None
            cut = self._faults.cut.get(direction)
            if cut is not None and len(piece) >= cut.left:
                allowed, ending = cut.left, "cut"
                if cut.again:
                    cut.left = cut.every
                else:
                    del self._faults.cut[direction]
            elif cut is not None:
                cut.left -= len(piece)
            truncate = self._faults.truncate
            if not up and ending is None and truncate is not None:
                room = max(0, truncate - link.answer_bytes)
                if len(piece) > room:
                    allowed, ending = room, "truncate"
            if up:
                link.answer_bytes = 0
            else:
                link.answer_bytes += allowed
        if allowed:
            # counted before the write: a peer that has the bytes must find them counted
            self._count("bytes_up" if up else "bytes_down", allowed)
            sink.write(piece[:allowed])
            await asyncio.wait_for(sink.drain(), self.idle_timeout)
            if up and link.replay is not None:
                await self._replay(link, piece[:allowed])
        if ending == "cut":
            self._count("cuts")
            link.reset()
            return False
        if ending == "truncate":
            self._count("truncations")
            link.client_writer.close()  # a clean FIN: the client sees a short answer
            _reset(link.server_writer)
            return False
        return True

    async def _replay(self, link: _Link, data: bytes) -> None:
        replay = link.replay
        assert replay is not None
        self._count("replayed_bytes", len(data))
        try:
            replay.write(data)
            await asyncio.wait_for(replay.drain(), self.idle_timeout)
        except (OSError, TimeoutError):
            link.replay = None  # the copy is lost; the original is what matters
            _reset(replay)
