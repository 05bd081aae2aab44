"""Running the station: uvicorn on a socket we bind ourselves (so port 0 works and the
caller learns the port), either in the foreground (``bianmin station``) or in a thread of the
calling process (tests, the demo, the benchmark)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from kiosk.config import SiteConfig
from kiosk.site_calendar import site_calendar
from kiosk.site_context import create_site

from .app import create_app
from .runtime import Station
from .settings import QueueSettings


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY on accepted connections only
    # when the listening socket says TCP, and without it every answer waited for the
    # client's delayed ACK (44 ms a request, measured; FQM has the same flaw, queue.md)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, station: Station):
        super().__init__(config)
        self.station = station

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Event streams never end by themselves: stop accepting (a display reconnects
        # within a second), then close them, so that uvicorn's graceful shutdown finds them
        # gone instead of cancelling them with a traceback.
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        self.station.hub.close_all()
        await asyncio.sleep(0.05)
        await super().shutdown(sockets)


def _server(station: Station, log_level: str) -> uvicorn.Server:
    config = uvicorn.Config(create_app(station), log_level=log_level, access_log=False,
                            lifespan="on", ws="websockets-sansio", ws_ping_interval=None,
                            timeout_graceful_shutdown=2)
    return _Server(config, station)


def open_station(data_dir: Path, config: SiteConfig) -> Station:
    site, _ = create_site(data_dir, config)
    try:
        return Station(site, QueueSettings.from_config(config), site_calendar(config),
                       config.ratings.rectify_days, query_url=config.site.query_url)
    except BaseException:
        site.close()
        raise


def serve(data_dir: Path, config: SiteConfig, host: str, port: int,
          log_level: str = "warning") -> None:
    """Serve until interrupted (SIGINT/SIGTERM: uvicorn finishes the requests under way)."""
    station = open_station(data_dir, config)
    sock = bind(host, port)
    try:
        _server(station, log_level).run(sockets=[sock])
    finally:
        station.close()
        station.site.close()
        sock.close()


@dataclass
class RunningStation:
    url: str
    station: Station
    _server: uvicorn.Server
    _thread: threading.Thread
    _sock: socket.socket

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self.station.close()
        self.station.site.close()
        with contextlib.suppress(OSError):
            self._sock.close()


def start_background(data_dir: Path, config: SiteConfig, host: str = "127.0.0.1",
                     port: int = 0, log_level: str = "warning") -> RunningStation:
    station = open_station(data_dir, config)
    sock = bind(host, port)
    server = _server(station, log_level)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="station", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            station.close()
            station.site.close()
            raise RuntimeError("站点服务未能启动 / the station did not start")
        time.sleep(0.01)
    bound_port = sock.getsockname()[1]
    return RunningStation(f"http://{host if ':' not in host else f'[{host}]'}:{bound_port}",
                          station, server, thread, sock)
