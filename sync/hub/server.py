"""Running the hub: uvicorn on a socket we bind ourselves (so port 0 works and the caller
learns the port), in the foreground (``bianmin hub``) or in a thread (:func:`running_hub`,
for tests, the benchmark and the integrator's fault runs).

uvicorn's own ``Date`` and ``Server`` headers are off: the hub stamps ``Date`` from its own
clock (the one tests jump), and says nothing about its software.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from .admin import Admin
from .app import create_app
from .runtime import Hub
from .times import Clock


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named so asyncio sets TCP_NODELAY on accepted connections (as the station)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        # uvicorn raises a caught SIGTERM again once it has shut down, so the process dies of
        # it before our clean-up; a graceful stop is a normal end here (exit 0, docs/cli.md)
        self._captured_signals.clear()


def _server(hub: Hub, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(create_app(hub), log_level=log_level, access_log=False,
                            lifespan="off", date_header=False, server_header=False,
                            timeout_graceful_shutdown=5, timeout_keep_alive=30)
    return _Server(config)


def serve(data_dir: Path, host: str, port: int, *, database_url: str | None = None,
          log_level: str = "warning", **settings: Any) -> None:
    """Serve until interrupted (SIGINT/SIGTERM: uvicorn finishes the requests under way)."""
    hub = Hub.open(data_dir, database_url=database_url, **settings)
    try:
        sock = bind(host, port)
        try:
            _server(hub, log_level).run(sockets=[sock])
        finally:
            sock.close()
    finally:
        hub.close()


@dataclass
class RunningHub:
    """A hub serving in a thread: ``url``, and the county's ``admin`` functions on the same
    database and clock."""

    url: str
    hub: Hub
    admin: Admin
    port: int


@contextlib.contextmanager
def running_hub(data_dir: Path, *, database_url: str | None = None,
                clock: Clock | None = None, host: str = "127.0.0.1", port: int = 0,
                **settings: Any) -> Iterator[RunningHub]:
    """The real hub (FastAPI on uvicorn) in a thread on ``host`` and ``port`` (0: any free
    one).

    :param clock: unix seconds (default ``time.time``); the hub uses it for everything that
        depends on time: ``Date``, signature freshness, nonces, uploads, tokens, codes.
    :param database_url: None: SQLite under ``data_dir``; or ``postgresql+psycopg://...``.
    :param settings: :class:`~sync.hub.settings.HubSettings` fields.
    :raises OSError: ``port`` is taken.
    """
    sock = bind(host, port)  # first: a port that is taken opens no database
    try:
        hub = Hub.open(Path(data_dir), database_url=database_url, clock=clock, **settings)
    except BaseException:
        sock.close()
        raise
    server = _server(hub, "warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="hub",
                              daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("中心未能启动 / the hub did not start")
            time.sleep(0.01)
        port = sock.getsockname()[1]
        shown = host if ":" not in host else f"[{host}]"
        yield RunningHub(f"http://{shown}:{port}", hub, hub.admin, port)
    finally:
        server.should_exit = True
        thread.join(10)
        with contextlib.suppress(OSError):
            sock.close()
        hub.close()
