"""``GET /healthz`` on loopback: the daemon's status JSON for the site's own monitoring
(../shared/research/sync.md §6). stdlib ``http.server`` in a thread, with a store
connection of its own (SQLite in WAL mode lets it read while the daemon writes)."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from offline_store.clock import Clock
from offline_store.db import open_store

from .status import status_of

log = logging.getLogger("bianmin.sync")


class HealthServer:
    """Serves ``/healthz`` until :meth:`stop`; ``port`` 0 picks a free one."""

    def __init__(self, store_path: Path, clock: Clock, port: int, *, host: str = "127.0.0.1",
                 busy_timeout_ms: int = 5000):
        self.store = open_store(store_path, check=False, migrate=False,
                                busy_timeout_ms=busy_timeout_ms)
        self.clock = clock
        self._lock = threading.Lock()
        self._server = HTTPServer((host, port), _handler(self._status))
        self.port = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}/healthz"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="bianmin-sync-health", daemon=True)

    def _status(self) -> dict[str, Any]:
        with self._lock:
            return status_of(self.store, self.clock)

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.store.close()


def _handler(status: Callable[[], dict[str, Any]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/healthz":
                self._answer(404, {"error": "not found"})
                return
            try:
                self._answer(200, status())
            except Exception as exc:  # the store busy or damaged: say so, stay up
                self._answer(503, {"error": type(exc).__name__})

        def _answer(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("healthz: " + format, *args)

    return Handler
