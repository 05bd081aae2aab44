"""The fault proxy (tests/support/faultproxy.py) against a real HTTP server on loopback: each
fault does what it says, seen by the client, by the server and in the proxy's own counts."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.support.faultproxy import FaultProxy

KB = 1000
MB = 1000 * KB


class Backend(ThreadingHTTPServer):
    """A loopback HTTP/1.1 server that remembers what it was asked and how much body it
    read, even from a request cut short."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # connections reset by the proxy are the point of these tests

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.body_bytes: list[int] = []

    @property
    def port(self) -> int:
        return self.server_address[1]

    def seen(self, path: str) -> int:
        with self.lock:
            return self.requests.count(path)

    def wait_seen(self, path: str, times: int, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while self.seen(path) < times and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.seen(path)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # a handler thread never waits forever for a silent client
    server: Backend

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append(self.path)
        if self.path.startswith("/bytes/"):
            self._answer(b"x" * int(self.path.removeprefix("/bytes/")))
        else:
            self._answer(b"hello")

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        got = 0
        try:
            while got < length and (chunk := self.rfile.read(min(65536, length - got))):
                got += len(chunk)
        except OSError:
            pass
        with self.server.lock:
            self.server.body_bytes.append(got)
            self.server.requests.append(self.path)
        if got == length:
            self._answer(str(got).encode())
        else:
            self.close_connection = True


@pytest.fixture
def backend() -> Iterator[Backend]:
    server = Backend()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def proxy(backend: Backend) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", backend.port, idle_timeout=5) as running:
        yield running


@pytest.fixture
def client(proxy: FaultProxy) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy.url, timeout=10) as http:
        yield http


def raw_connection(proxy: FaultProxy, timeout: float = 3.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_answer(sock: socket.socket, body: bytes) -> bytes:
    """One whole answer (headers and body may come in separate segments)."""
    data = bytearray()
    while not data.endswith(body):
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed after {len(data)} bytes of the answer"
        data += chunk
    return bytes(data)


def read_to_end(sock: socket.socket) -> bytes:
    """Everything until the peer closes; a reset ends the read like a close does."""
    data = bytearray()
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return bytes(data)


def test_without_faults_bytes_pass_both_ways_and_are_counted(
        proxy: FaultProxy, client: httpx.Client, backend: Backend) -> None:
    assert proxy.url == f"http://127.0.0.1:{proxy.port}"
    answer = client.post("/upload", content=b"a" * 300 * KB)
    download = client.get(f"/bytes/{500 * KB}")
    assert answer.text == str(300 * KB) and len(download.content) == 500 * KB
    stats = proxy.stats()
    assert stats.connections == 1  # httpx kept its connection alive for the second request
    assert 300 * KB < stats.bytes_up < 301 * KB
    assert 500 * KB < stats.bytes_down < 501 * KB
    assert (stats.cuts, stats.truncations, stats.refusals, stats.replayed_bytes) == (0, 0, 0, 0)


def test_a_cut_up_resets_the_connection_after_exactly_n_bytes_once(
        proxy: FaultProxy, client: httpx.Client, backend: Backend) -> None:
    proxy.cut_after(200 * KB, "up")
    with pytest.raises(httpx.TransportError):
        client.post("/upload", content=b"a" * MB)
    stats = proxy.stats()
    assert stats.bytes_up == 200 * KB and stats.cuts == 1
    assert backend.wait_seen("/upload", 1) == 1
    assert 0 < backend.body_bytes[0] < 200 * KB  # the headers came first, then part of a body

    # once: the fault is gone and the same upload now goes through whole
    assert client.post("/upload", content=b"a" * MB).text == str(MB)
    assert proxy.stats().cuts == 1


def test_a_cut_every_n_bytes_breaks_every_transfer_longer_than_n(
        proxy: FaultProxy, backend: Backend) -> None:
    proxy.cut_after(100 * KB, "up", every=True)
    for _ in range(3):
        with httpx.Client(base_url=proxy.url, timeout=10) as http, \
                pytest.raises(httpx.TransportError):
            http.post("/upload", content=b"a" * 250 * KB)
    stats = proxy.stats()
    # each upload is cut at the link's next 100 kB: 200 kB + 100 kB, then 200 kB + 100 kB ...
    assert stats.cuts == 3 and stats.bytes_up == 300 * KB
    assert all(got < 250 * KB for got in backend.body_bytes)
    proxy.clear()
    with httpx.Client(base_url=proxy.url, timeout=10) as http:
        assert http.post("/upload", content=b"a" * 250 * KB).text == str(250 * KB)


def test_a_cut_down_resets_a_download_and_the_client_sees_a_reset(
        proxy: FaultProxy, client: httpx.Client) -> None:
    proxy.cut_after(300 * KB, "down")
    got = 0
    with pytest.raises(httpx.TransportError), client.stream("GET", f"/bytes/{MB}") as answer:
        for chunk in answer.iter_bytes():
            got += len(chunk)
    assert proxy.stats().bytes_down == 300 * KB and proxy.stats().cuts == 1
    assert 0 < got < 300 * KB


def test_a_cut_reaches_a_connection_already_open(proxy: FaultProxy, backend: Backend) -> None:
    sock = raw_connection(proxy)
    sock.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: t\r\n\r\n")
    read_answer(sock, b"x" * 10)
    proxy.cut_after(5, "up")
    sock.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_to_end(sock) == b""
    with pytest.raises(OSError):  # reset: the socket is dead, not merely half-closed
        for _ in range(10):
            sock.sendall(b"x" * 65536)
    sock.close()


def test_a_delay_holds_each_chunk_back(proxy: FaultProxy, client: httpx.Client) -> None:
    proxy.delay(1.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/hello", timeout=httpx.Timeout(10, read=0.2))
    proxy.delay(0)
    with httpx.Client(base_url=proxy.url, timeout=httpx.Timeout(10, read=0.5)) as fresh:
        assert fresh.get("/hello").text == "hello"


def test_a_throttle_of_200_kb_s_makes_a_megabyte_take_at_least_4_seconds(
        proxy: FaultProxy, client: httpx.Client) -> None:
    proxy.throttle(200 * KB, "down")
    started = time.monotonic()
    assert len(client.get(f"/bytes/{MB}").content) == MB
    elapsed = time.monotonic() - started
    stats = proxy.stats()
    assert stats.bytes_down > MB
    assert stats.throttled_seconds_down >= 4.5 and stats.throttled_seconds_up == 0
    assert elapsed >= 4.5  # throttling can only make it slower: a lower bound is safe


def test_a_throttle_is_one_bandwidth_shared_by_all_connections(
        proxy: FaultProxy, backend: Backend) -> None:
    proxy.throttle(400 * KB, "down")
    results: list[int] = []

    def download() -> None:
        with httpx.Client(base_url=proxy.url, timeout=10) as http:
            results.append(len(http.get(f"/bytes/{200 * KB}").content))

    threads = [threading.Thread(target=download) for _ in range(2)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    elapsed = time.monotonic() - started
    assert results == [200 * KB, 200 * KB]
    # 400 kB through one 400 kB/s link: at least a second (two links would take half that)
    assert elapsed >= 0.95
    assert proxy.stats().connections == 2


def test_a_throttle_up_slows_uploads_only_and_lifts_at_once(
        proxy: FaultProxy, client: httpx.Client) -> None:
    proxy.throttle(200 * KB, "up")
    assert client.post("/upload", content=b"a" * 100 * KB).text == str(100 * KB)
    stats = proxy.stats()
    assert stats.throttled_seconds_up >= 0.45 and stats.throttled_seconds_down == 0
    proxy.throttle(None, "up")
    assert client.post("/upload", content=b"a" * 100 * KB).text == str(100 * KB)
    assert proxy.stats().throttled_seconds_up == stats.throttled_seconds_up


def test_a_truncated_answer_is_exactly_n_bytes_then_a_clean_close(proxy: FaultProxy) -> None:
    proxy.truncate_response(300)
    sock = raw_connection(proxy)
    sock.sendall(b"GET /bytes/5000 HTTP/1.1\r\nHost: t\r\n\r\n")
    data = bytearray()
    while chunk := sock.recv(65536):  # a clean close: recv returns b"", no reset
        data += chunk
    sock.close()
    assert len(data) == 300 and data.startswith(b"HTTP/1.1 200")
    assert proxy.stats().truncations == 1 and proxy.stats().bytes_down == 300


def test_truncation_counts_each_answer_of_a_kept_alive_connection(
        proxy: FaultProxy, client: httpx.Client) -> None:
    proxy.truncate_response(300)
    for _ in range(3):  # ~140 bytes each: together beyond 300, each alone within it
        assert client.get("/bytes/10").content == b"x" * 10
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/bytes/5000")
    stats = proxy.stats()
    assert stats.truncations == 1 and stats.connections == 1


def test_duplicated_requests_reach_the_server_twice_and_the_client_once(
        proxy: FaultProxy, backend: Backend) -> None:
    proxy.duplicate_requests(True)
    with httpx.Client(base_url=proxy.url, timeout=10) as http:
        answer = http.post("/upload", content=b"a" * 50 * KB)
    assert answer.text == str(50 * KB)
    assert backend.wait_seen("/upload", 2) == 2
    stats = proxy.stats()
    assert stats.replayed_bytes == stats.bytes_up > 50 * KB
    assert stats.connections == 1
    assert backend.body_bytes == [50 * KB, 50 * KB]

    proxy.duplicate_requests(False)
    with httpx.Client(base_url=proxy.url, timeout=10) as http:
        http.post("/upload", content=b"b")
    time.sleep(0.2)  # room for a copy that should not come
    assert backend.seen("/upload") == 3


def test_a_refusing_link_resets_open_connections_and_new_ones(
        proxy: FaultProxy, client: httpx.Client, backend: Backend) -> None:
    sock = raw_connection(proxy)
    sock.sendall(b"GET /bytes/10 HTTP/1.1\r\nHost: t\r\n\r\n")
    read_answer(sock, b"x" * 10)
    proxy.refuse(True)
    assert read_to_end(sock) == b""
    sock.close()
    with pytest.raises(httpx.TransportError):
        client.get("/hello")
    with httpx.Client(base_url=proxy.url, timeout=10) as fresh, \
            pytest.raises(httpx.TransportError):
        fresh.get("/hello")
    assert proxy.stats().refusals >= 1
    assert backend.seen("/hello") == 0

    proxy.refuse(False)
    with httpx.Client(base_url=proxy.url, timeout=10) as fresh:
        assert fresh.get("/hello").text == "hello"


def test_clear_takes_every_fault_away_and_keeps_the_counts(
        proxy: FaultProxy, backend: Backend) -> None:
    with httpx.Client(base_url=proxy.url, timeout=10) as http:
        http.get("/hello")
    before = proxy.stats()
    proxy.cut_after(0, "down", every=True)
    proxy.truncate_response(0)
    proxy.delay(5)
    proxy.throttle(1)
    proxy.refuse(True)
    proxy.duplicate_requests(True)
    proxy.clear()
    with httpx.Client(base_url=proxy.url, timeout=httpx.Timeout(10, read=2)) as http:
        assert len(http.get(f"/bytes/{100 * KB}").content) == 100 * KB
    after = proxy.stats()
    assert after.connections == before.connections + 1 and after.bytes_down > before.bytes_down
    assert backend.seen(f"/bytes/{100 * KB}") == 1


def test_a_silent_connection_is_closed_after_the_idle_timeout(backend: Backend) -> None:
    with FaultProxy("127.0.0.1", backend.port, idle_timeout=0.3) as proxy:
        sock = raw_connection(proxy, timeout=5)
        assert read_to_end(sock) == b""  # closed by the proxy, well before the 5 s timeout
        sock.close()


def test_a_target_that_is_down_gives_a_reset_not_a_hang() -> None:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    with FaultProxy("127.0.0.1", port, connect_timeout=1) as proxy, \
            httpx.Client(base_url=proxy.url, timeout=5) as http, \
            pytest.raises(httpx.TransportError):
        http.get("/hello")


def test_closing_the_proxy_ends_its_connections_even_mid_delay(backend: Backend) -> None:
    proxy = FaultProxy("127.0.0.1", backend.port).start()
    proxy.delay(30)
    sock = raw_connection(proxy, timeout=3)
    sock.sendall(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
    time.sleep(0.1)  # the request is now waiting out its delay inside the proxy
    proxy.close()
    assert read_to_end(sock) == b""  # ended by the close, not by the 3 s socket timeout
    sock.close()
    assert proxy._thread is not None and not proxy._thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=1)


@pytest.mark.parametrize("call", [
    lambda p: p.cut_after(-1),
    lambda p: p.cut_after(10, "sideways"),
    lambda p: p.delay(-0.1),
    lambda p: p.throttle(0),
    lambda p: p.truncate_response(-5),
])
def test_nonsense_faults_are_refused(proxy: FaultProxy, call) -> None:
    with pytest.raises(ValueError):
        call(proxy)
