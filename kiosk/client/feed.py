"""The station's event stream, followed by a thread that reconnects by itself.

Follows the station contract of issue 6 (``WS /v1/events``): the first frame after every
connect is ``hello`` with a full status snapshot, so a reconnect needs no other request;
the station sends ``ping`` after 10 s of silence, so a connection that hears nothing for
30 s is dead (a frozen station or a pulled cable can leave the TCP connection open for
minutes). Reconnects wait with full-jitter exponential backoff (the AWS Architecture Blog
"Exponential Backoff And Jitter", as the sync daemon does: DESIGN.md §6), so a hall full of
screens does not hit a restarted station at the same instant.

No Qt, no store, no drivers: the callbacks run on the feed's thread, and a Qt screen moves
them to its own thread with a queued signal.
"""

from __future__ import annotations

import enum
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException
from websockets.sync.client import ClientConnection, connect

log = logging.getLogger(__name__)

EVENTS_PATH = "/v1/events"


class FeedState(enum.Enum):
    """Where the feed is. ``LIVE`` only after the ``hello`` of the current connection has
    been handed on: before it, what a screen shows may be stale."""

    CONNECTING = "connecting"  # the first attempt, nothing shown yet
    LIVE = "live"
    RECONNECTING = "reconnecting"  # had a connection (or tried), waiting or trying again


EventCallback = Callable[[dict[str, Any]], None]
StateCallback = Callable[[FeedState, str], None]
"""``on_state(state, reason)``; ``reason`` says in plain words (中文 / English) why the feed
is not live, empty when it is."""


def events_url(station: str) -> str:
    """The WebSocket address of the event stream from the station's base URL:
    ``http://10.0.0.5:8470`` → ``ws://10.0.0.5:8470/v1/events``; ``https`` → ``wss``. A
    ``ws://`` or ``wss://`` URL with a path is taken as it is.

    :raises ValueError: not an http(s) or ws(s) URL with a host.
    """
    parts = urlsplit(station.strip())
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ValueError(f"站点地址应如 http://192.168.1.10:8470 / the station address is "
                         f"written like http://192.168.1.10:8470, not {station!r}")
    path = parts.path.rstrip("/")
    if parts.scheme in ("http", "https") or not path:
        path += EVENTS_PATH
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def backoff_delay(attempt: int, rng: random.Random, base_s: float = 0.5,
                  cap_s: float = 10.0) -> float:
    """Full jitter: uniform in [0, min(cap, base · 2^attempt)] seconds (attempt 0, 1, …)."""
    return rng.uniform(0.0, min(cap_s, base_s * 2 ** min(attempt, 30)))


class EventFeed:
    """Follows ``/v1/events`` on a daemon thread until :meth:`stop`.

    :param station: the station's base URL (``http://host:8470``) or the events URL.
    :param token: the paired token, sent as ``Authorization: Bearer``; None for none.
    :param on_event: ``on_event(frame)`` for each decoded frame, ``hello`` and ``ping``
        included, in order, on the feed's thread.
    :param on_state: ``on_state(state, reason)`` whenever the state changes.
    :param silence_timeout_s: a connection that hears nothing this long is dropped and
        made again (the station pings after 10 s of silence). Unit: s.
    :param backoff_base_s: first backoff ceiling, doubled per failed attempt. Unit: s.
    :param backoff_cap_s: largest backoff ceiling. Unit: s.
    :param open_timeout_s: longest wait for the connection and its handshake. Unit: s.
    :param rng: the jitter's random source (a seeded one in tests).
    """

    POLL_S = 0.2
    """How often a waiting ``recv`` looks at the stop flag: :meth:`stop` returns within 1 s
    even while the station is silent. Unit: s."""

    def __init__(self, station: str, token: str | None, on_event: EventCallback,
                 on_state: StateCallback, *, silence_timeout_s: float = 30.0,
                 backoff_base_s: float = 0.5, backoff_cap_s: float = 10.0,
                 open_timeout_s: float = 5.0, rng: random.Random | None = None):
        self.url = events_url(station)
        self._token = token
        self._on_event = on_event
        self._on_state = on_state
        self.silence_timeout_s = silence_timeout_s
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.open_timeout_s = open_timeout_s
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state: FeedState | None = None
        self._went_live = False
        self._reason = ""
        self.connections = 0
        """Connections that reached ``hello`` since start (1 + the reconnects)."""
        self.skipped = 0
        """Frames dropped as malformed."""

    # -- public

    @property
    def state(self) -> FeedState | None:
        return self._state

    @property
    def reason(self) -> str:
        return self._reason

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="event-feed", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop following; returns within ``timeout_s`` (the thread is a daemon, so even a
        connect stuck in the kernel cannot hold the process)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    # -- the thread

    def _run(self) -> None:
        attempt = 0
        self._set_state(FeedState.CONNECTING, "正在连接站点 / connecting to the station")
        while not self._stop.is_set():
            self._went_live = False
            try:
                self._follow_once()
            except _Refused as exc:
                reason = exc.reason
            except Exception as exc:  # never let the thread die; say why in plain words
                reason = _plain_reason(exc)
                if not isinstance(exc, OSError | TimeoutError | WebSocketException):
                    log.exception("event feed: unexpected error")
            else:
                reason = "与站点的连接已断开 / the connection to the station was closed"
            if self._stop.is_set():
                break
            if self._went_live:
                attempt = 0  # a connection that worked starts the backoff again
            self._set_state(FeedState.RECONNECTING, reason)
            delay = backoff_delay(attempt, self._rng, self.backoff_base_s, self.backoff_cap_s)
            attempt += 1
            log.info("event feed: %s; next attempt in %.1f s", reason, delay)
            self._stop.wait(delay)

    def _follow_once(self) -> None:
        """One connection, followed until it ends (``_went_live`` tells whether it reached
        ``hello``)."""
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else None
        try:
            ws = connect(self.url, additional_headers=headers, open_timeout=self.open_timeout_s,
                         close_timeout=0.5, proxy=None,  # a LAN service: never via a proxy
                         max_size=4 * 1024 * 1024)
        except InvalidStatus as exc:
            raise _Refused(_refusal(exc.response.status_code)) from exc
        except InvalidURI as exc:
            raise _Refused(f"站点地址有误 / the station address is wrong: {exc}") from exc
        with ws:
            self._listen(ws)

    def _listen(self, ws: ClientConnection) -> None:
        live = False
        heard = time.monotonic()
        while not self._stop.is_set():
            try:
                data = ws.recv(timeout=self.POLL_S)
            except TimeoutError:
                if time.monotonic() - heard >= self.silence_timeout_s:
                    raise _Refused(f"{self.silence_timeout_s:.0f} 秒没有收到站点消息 / heard "
                                   f"nothing from the station for "
                                   f"{self.silence_timeout_s:.0f} s") from None
                continue
            except ConnectionClosed:
                return
            heard = time.monotonic()
            frame = _decode(data)
            if frame is None:
                self.skipped += 1
                log.warning("event feed: skipped a malformed frame (%d %s)", len(data),
                            "bytes" if isinstance(data, bytes) else "characters")
                continue
            if frame["type"] == "hello":
                self._deliver(frame)  # the board resyncs before it is called live
                if not live:
                    live = self._went_live = True
                    self.connections += 1
                    self._set_state(FeedState.LIVE, "")
                continue
            if not live:
                # the contract puts hello first; anything before it cannot be placed
                self.skipped += 1
                log.warning("event feed: skipped a %r frame that came before hello",
                            frame["type"][:40])
                continue
            self._deliver(frame)

    def _deliver(self, frame: dict[str, Any]) -> None:
        try:
            self._on_event(frame)
        except Exception:  # a screen's bug must not end the feed
            log.exception("event feed: the event handler failed on a %r frame",
                          frame["type"][:40])

    def _set_state(self, state: FeedState, reason: str) -> None:
        if state is self._state and reason == self._reason:
            return
        self._state, self._reason = state, reason
        try:
            self._on_state(state, reason)
        except Exception:
            log.exception("event feed: the state handler failed")


class _Refused(Exception):
    """The station answered but will not stream to us, or went silent: a plain reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _decode(data: str | bytes) -> dict[str, Any] | None:
    """A frame as the contract describes it (a JSON object with a string ``type``), else
    None."""
    if isinstance(data, bytes):
        return None  # the contract sends text frames only
    try:
        frame = json.loads(data)
    except ValueError:
        return None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return None
    return frame


def _refusal(status: int) -> str:
    if status in (401, 403):
        return (f"站点拒绝了本屏的令牌（{status}），请重新配对 / the station refused this "
                f"screen's token ({status}); pair the screen again")
    if status == 404:
        return "站点没有事件流（404），请检查地址和版本 / the station has no event stream (404); " \
               "check the address and the station's version"
    return f"站点拒绝连接（{status}） / the station refused the connection ({status})"


def _plain_reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "站点没有响应（连接被拒绝） / the station is not answering (connection refused)"
    if isinstance(exc, TimeoutError):
        return "连接站点超时 / connecting to the station timed out"
    if isinstance(exc, OSError):
        detail = exc.strerror or type(exc).__name__
        return f"无法连接站点 / cannot reach the station ({detail})"
    return f"与站点的连接出错 / the connection to the station failed ({type(exc).__name__})"
