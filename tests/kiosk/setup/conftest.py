"""``bianmin setup``'s tests: the model against the real simulators (``sim://`` ports), a
real temporary data directory and real HTTP servers on loopback; the Qt pages without a
screen (Qt's offscreen platform, set before anything imports Qt)."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.kiosk.qt_support import collect_between_tests  # noqa: F401  (autouse)

os.environ["QT_QPA_PLATFORM"] = "offscreen"


@pytest.fixture(scope="session")
def qapp() -> Iterator[Any]:
    """The one QApplication of the test run, with the committed Chinese translation."""
    from kiosk.ui.setup.app import application

    yield application()


@pytest.fixture
def make_model(tmp_path: Path) -> Callable[..., Any]:
    """A :class:`SetupModel` on ``tmp_path/site.toml`` and ``tmp_path/data``, with nothing
    plugged in (discovery answers nothing, no cameras, no input devices) unless told."""
    from kiosk.setup_wizard.model import SetupModel
    from kiosk.setup_wizard.services import Systemctl

    def make(path: Path | None = None, **kwargs: Any) -> SetupModel:
        kwargs.setdefault("discover", list)
        kwargs.setdefault("cameras", list)
        kwargs.setdefault("inputs", list)
        # never this machine's own systemd: a folder without the package's units
        kwargs.setdefault("systemctl", Systemctl(unit_dirs=[tmp_path / "no-units"]))
        kwargs.setdefault("etc_dir", tmp_path / "etc")
        return SetupModel(path or tmp_path / "site.toml", tmp_path / "data", **kwargs)

    return make


class Health(BaseHTTPRequestHandler):
    """``GET /healthz`` as the hub answers it; ``server.hub_time`` and ``server.status``
    say what."""

    def do_GET(self) -> None:
        server: Any = self.server
        if self.path != "/healthz":
            body, status = b'{"detail": "not found"}', 404
        else:
            body = json.dumps({"ok": True, "version": "test", "hub_time": server.hub_time}
                              ).encode()
            status = server.status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[Any]:
    """A tiny HTTP server on loopback answering ``/healthz`` like the hub."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    server.hub_time = dt.datetime.now(dt.UTC).isoformat()
    server.status = 200
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def station_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real station on loopback, the one another PC of the site runs: ``pair(role)`` makes
    a pairing code as ``bianmin station pair`` does there; ``role_of(token)`` asks its store
    what a token is for."""
    from types import SimpleNamespace

    from kiosk.config import SiteConfig
    from kiosk.station import auth
    from kiosk.station.server import start_background
    from offline_store import station_access

    running = start_background(tmp_path_factory.mktemp("other-station"), SiteConfig())
    site = running.station.site

    def pair(role: str) -> str:
        return running.station.writer.submit(auth.pair, site, role).result().code

    yield SimpleNamespace(url=running.url, pair=pair,
                          role_of=lambda token: station_access.role_of(site.store, token))
    running.stop()
