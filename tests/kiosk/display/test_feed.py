"""EventFeed against a real ``websockets`` server on loopback: it follows the stream, resyncs
from ``hello`` after the server is dropped and brought back on the same port, treats 30 s
(here: 1 s) of silence as a dead connection, skips malformed frames, says plainly when its
token is refused, backs off with full jitter, and stops within a second."""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from kiosk.client.feed import EventFeed, FeedState, backoff_delay, events_url

from . import events as ev

TOKEN = "display-token"


class StubStation:
    """Serves ``/v1/events`` as the contract says: hello first (a fresh snapshot per
    connection), then whatever the test sends. ``stop()`` drops it; ``start()`` brings it
    back on the same port."""

    def __init__(self) -> None:
        self.port = 0
        self.server: Server | None = None
        self.thread: threading.Thread | None = None
        self.queues: list[queue.Queue[str | bytes | None]] = []
        self.hellos = 0
        self.hello_first = True
        self.seen_auth: list[str | None] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        self.server = serve(self._handle, "127.0.0.1", self.port,
                            process_request=self._check, ping_interval=None)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.shutdown()
        self.thread.join(5)
        with self.lock:
            self.queues.clear()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def send(self, frame: dict[str, Any] | str | bytes) -> None:
        data = json.dumps(frame) if isinstance(frame, dict) else frame
        with self.lock:
            for q in self.queues:
                q.put(data)

    def wait_connections(self, n: int, timeout_s: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.queues) >= n:
                    return True
            time.sleep(0.01)
        return False

    def _check(self, connection: ServerConnection, request: Any) -> Any:
        auth = request.headers.get("Authorization")
        self.seen_auth.append(auth)
        if auth != f"Bearer {TOKEN}":
            return connection.respond(401, "not paired\n")
        return None

    def _handle(self, ws: ServerConnection) -> None:
        q: queue.Queue[str | bytes | None] = queue.Queue()
        if self.hello_first:
            self.hellos += 1
            ws.send(json.dumps(ev.hello(self.hellos * 100, calls=[
                ev.call(f"A{self.hellos:03d}", "1", f"2026-11-24T02:0{self.hellos}:00Z")])))
        with self.lock:
            self.queues.append(q)
        while True:
            try:
                data = q.get(timeout=0.02)
            except queue.Empty:
                data = None
            try:
                if data is not None:
                    ws.send(data)
                ws.recv(timeout=0.01)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return


class Recorder:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.states: list[tuple[FeedState, str]] = []
        self.cond = threading.Condition()

    def on_event(self, frame: dict[str, Any]) -> None:
        with self.cond:
            self.frames.append(frame)
            self.cond.notify_all()

    def on_state(self, state: FeedState, reason: str) -> None:
        with self.cond:
            self.states.append((state, reason))
            self.cond.notify_all()

    def wait(self, predicate: Callable[[], bool], timeout_s: float = 10.0) -> bool:
        with self.cond:
            return self.cond.wait_for(predicate, timeout_s)

    def types(self) -> list[str]:
        return [f["type"] for f in self.frames]


@pytest.fixture
def station() -> Iterator[StubStation]:
    stub = StubStation()
    stub.start()
    yield stub
    if stub.server is not None:
        stub.server.shutdown()


@pytest.fixture
def feeds() -> Iterator[list[EventFeed]]:
    made: list[EventFeed] = []
    yield made
    for feed in made:
        feed.stop()


def follow(feeds: list[EventFeed], url: str, recorder: Recorder, token: str = TOKEN,
           **options: Any) -> EventFeed:
    options = {"backoff_base_s": 0.05, "backoff_cap_s": 0.2, "rng": random.Random(1)} | options
    feed = EventFeed(url, token, recorder.on_event, recorder.on_state, **options)
    feeds.append(feed)
    feed.start()
    return feed


def test_follows_the_stream_and_resyncs_after_the_station_comes_back(
        station: StubStation, feeds: list[EventFeed]) -> None:
    rec = Recorder()
    feed = follow(feeds, station.url, rec)
    assert rec.wait(lambda: rec.types() == ["hello"])
    assert rec.states[0][0] is FeedState.CONNECTING and rec.states[-1] == (FeedState.LIVE, "")
    assert station.seen_auth == [f"Bearer {TOKEN}"]  # the token goes in the header
    assert station.wait_connections(1)
    station.send(ev.called(101, "A002", "2", "2026-11-24T02:05:00Z"))
    station.send({"type": "ping", "seq": 101})
    assert rec.wait(lambda: rec.types() == ["hello", "ticket.called", "ping"])

    station.stop()  # the station goes away ...
    assert rec.wait(lambda: rec.states[-1][0] is FeedState.RECONNECTING)
    time.sleep(0.5)  # ... and stays away for several attempts
    assert feed.state is FeedState.RECONNECTING
    station.start()  # ... and comes back on the same port
    assert rec.wait(lambda: rec.types().count("hello") == 2)
    assert rec.wait(lambda: rec.states[-1] == (FeedState.LIVE, ""))
    assert rec.frames[-1]["seq"] == 200  # the new connection's snapshot, first
    assert feed.connections == 2
    station.wait_connections(1)
    station.send(ev.called(201, "A003", "1", "2026-11-24T02:06:00Z"))
    assert rec.wait(lambda: rec.types()[-1] == "ticket.called")


def test_a_silent_connection_is_dropped_and_made_again(station: StubStation,
                                                      feeds: list[EventFeed]) -> None:
    rec = Recorder()
    feed = follow(feeds, station.url, rec, silence_timeout_s=1.0)
    assert rec.wait(lambda: rec.types() == ["hello"])
    started = time.monotonic()
    assert rec.wait(lambda: any("heard nothing" in r for _, r in rec.states), 5.0)
    assert 0.9 <= time.monotonic() - started < 3.0
    assert rec.wait(lambda: rec.types().count("hello") == 2)  # connected again, resynced
    assert feed.connections == 2


def test_pings_keep_a_quiet_connection_alive(station: StubStation,
                                             feeds: list[EventFeed]) -> None:
    rec = Recorder()
    feed = follow(feeds, station.url, rec, silence_timeout_s=1.0)
    assert rec.wait(lambda: rec.types() == ["hello"])
    assert station.wait_connections(1)
    for _ in range(6):
        station.send({"type": "ping", "seq": 100})
        time.sleep(0.4)
    assert feed.connections == 1 and feed.state is FeedState.LIVE


def test_malformed_frames_are_skipped_and_the_feed_lives_on(
        station: StubStation, feeds: list[EventFeed], caplog: pytest.LogCaptureFixture) -> None:
    rec = Recorder()
    feed = follow(feeds, station.url, rec)
    assert rec.wait(lambda: rec.types() == ["hello"])
    assert station.wait_connections(1)
    secret = "110101195001011234"  # an ID number must never reach the log
    for bad in (f"not json {secret}", json.dumps([secret]), json.dumps({"no": secret}),
                json.dumps({"type": 7}), secret.encode()):
        station.send(bad)
    station.send({"type": "announcement", "seq": 101, "text": "ok"})
    assert rec.wait(lambda: rec.types() == ["hello", "announcement"])
    assert feed.skipped == 5 and feed.state is FeedState.LIVE and feed.connections == 1
    assert "malformed" in caplog.text and secret not in caplog.text


def test_a_failing_handler_does_not_end_the_feed(station: StubStation,
                                                 feeds: list[EventFeed]) -> None:
    rec = Recorder()

    def on_event(frame: dict[str, Any]) -> None:
        if frame["type"] == "announcement":
            raise RuntimeError("a bug in the screen")
        rec.on_event(frame)

    feed = EventFeed(station.url, TOKEN, on_event, rec.on_state)
    feeds.append(feed)
    feed.start()
    assert rec.wait(lambda: rec.types() == ["hello"])
    assert station.wait_connections(1)
    station.send({"type": "announcement", "seq": 101, "text": "x"})
    station.send({"type": "ping", "seq": 101})
    assert rec.wait(lambda: rec.types() == ["hello", "ping"])
    assert feed.connections == 1


def test_frames_before_hello_are_not_handed_on(station: StubStation,
                                               feeds: list[EventFeed]) -> None:
    station.hello_first = False
    rec = Recorder()
    feed = follow(feeds, station.url, rec)
    assert station.wait_connections(1)
    station.send(ev.called(1, "A001", "1", "2026-11-24T02:01:00Z"))
    station.send(ev.hello(1))
    assert rec.wait(lambda: rec.types() == ["hello"])
    assert feed.skipped == 1 and feed.state is FeedState.LIVE


def test_a_refused_token_is_said_plainly_and_retried(station: StubStation,
                                                     feeds: list[EventFeed]) -> None:
    rec = Recorder()
    feed = follow(feeds, station.url, rec, token="stale-token")
    assert rec.wait(lambda: len(station.seen_auth) >= 3)  # it keeps trying, backing off
    state, reason = rec.states[-1]
    assert state is FeedState.RECONNECTING
    assert "pair the screen again" in reason and "重新配对" in reason
    assert rec.frames == [] and feed.connections == 0


def test_nothing_listening_is_said_plainly(feeds: list[EventFeed]) -> None:
    rec = Recorder()
    follow(feeds, "http://127.0.0.1:9", rec)  # the discard port: nothing listens there
    assert rec.wait(lambda: len(rec.states) >= 2)
    assert rec.states[-1][0] is FeedState.RECONNECTING
    assert "connection refused" in rec.states[-1][1]


def test_stop_returns_within_a_second_whatever_the_feed_is_doing(
        station: StubStation) -> None:
    rec = Recorder()
    connected = EventFeed(station.url, TOKEN, rec.on_event, rec.on_state)
    connected.start()
    assert rec.wait(lambda: rec.types() == ["hello"])
    waiting = EventFeed("http://127.0.0.1:9", TOKEN, lambda f: None, lambda s, r: None,
                        backoff_base_s=30.0, backoff_cap_s=30.0)
    waiting.start()
    time.sleep(0.3)  # now in a long backoff
    for feed in (connected, waiting):
        started = time.monotonic()
        feed.stop()
        assert time.monotonic() - started < 1.0
        assert feed._thread is not None and not feed._thread.is_alive()


def test_backoff_is_full_jitter_doubling_to_the_cap() -> None:
    rng = random.Random(7)
    for attempt in range(12):
        ceiling = min(10.0, 0.5 * 2 ** attempt)
        samples = [backoff_delay(attempt, rng) for _ in range(400)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > 0.9 * ceiling and min(samples) < 0.1 * ceiling  # the whole range
    assert backoff_delay(10_000, rng) <= 10.0


@pytest.mark.parametrize(("given", "expected"), [
    ("http://10.0.0.5:8470", "ws://10.0.0.5:8470/v1/events"),
    ("https://hall.example:8470/", "wss://hall.example:8470/v1/events"),
    ("http://[::1]:8470", "ws://[::1]:8470/v1/events"),
    ("ws://10.0.0.5:8470/v1/events", "ws://10.0.0.5:8470/v1/events"),
    ("ws://10.0.0.5:8470", "ws://10.0.0.5:8470/v1/events"),
])
def test_events_url(given: str, expected: str) -> None:
    assert events_url(given) == expected


@pytest.mark.parametrize("bad", ["10.0.0.5:8470", "ftp://x", "http://", ""])
def test_a_bad_station_address_is_said_plainly(bad: str) -> None:
    with pytest.raises(ValueError, match="the station address"):
        events_url(bad)
