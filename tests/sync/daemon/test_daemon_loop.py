"""The daemon as a service: systemd's notifications (READY, WATCHDOG only from the working
loop, STATUS), ``GET /healthz``, and the waits after failures (full jitter, Retry-After)."""

from __future__ import annotations

import json
import random
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from offline_store.site import Site
from sync.daemon import Daemon, SyncSettings
from sync.daemon.daemon import WAIT_SLICE_S, backoff_s
from sync.daemon.notify import SystemdNotifier
from sync.daemon.status import KEYS
from sync.hub.server import RunningHub

from .conftest import SITE
from .servers import serve_asgi
from .test_daemon import PERSON, Recorder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Waits:
    """An injected sleep that records each wait (its slices summed) and stops the loop after
    ``cycles`` waits."""

    def __init__(self, stop: threading.Event, notifier: Recorder, cycles: int):
        self.stop = stop
        self.notifier = notifier
        self.cycles = cycles
        self.slices: list[tuple[int, float]] = []  # (index of the status line before, s)
        self.hook = lambda: None

    def __call__(self, seconds: float) -> None:
        statuses = sum(1 for line in self.notifier.lines if line.startswith("STATUS="))
        self.slices.append((statuses, seconds))
        self.hook()
        if len({i for i, _ in self.slices}) >= self.cycles and self._done(seconds):
            self.stop.set()

    def _done(self, seconds: float) -> bool:
        return seconds < WAIT_SLICE_S  # the last slice of a wait

    def totals(self) -> list[float]:
        out: dict[int, float] = {}
        for index, seconds in self.slices:
            out[index] = out.get(index, 0.0) + seconds
        return list(out.values())


def test_ready_then_the_watchdog_after_each_cycle_and_healthz(
        enrolled: Site, hub: RunningHub) -> None:
    port = _free_port()
    settings = SyncSettings(site_code=SITE, health_port=port, poll_s=5)
    notifier = Recorder()
    stop = threading.Event()
    daemon = Daemon(enrolled, settings, notifier=notifier)
    waits = Waits(stop, notifier, cycles=2)
    seen: list[dict[str, Any]] = []
    waits.hook = lambda: seen.append(json.load(urllib.request.urlopen(
        f"http://127.0.0.1:{port}/healthz", timeout=5))) if not seen else None
    daemon.sleep = waits

    daemon.run_forever(stop)

    lines = notifier.lines
    assert lines[0] == "READY=1" and lines[-1] == "STOPPING=1"
    status_at = [i for i, line in enumerate(lines) if line.startswith("STATUS=")]
    assert len(status_at) == 2 and "outbox 0" in lines[status_at[0]]
    assert lines[status_at[0] + 1] == "WATCHDOG=1"  # after the cycle, from the loop
    assert waits.totals() == [5.0, 5.0]  # nothing failed: the idle poll
    assert set(KEYS) <= set(seen[0]) and seen[0]["enrolled"] is True
    with pytest.raises(OSError):  # the health server is gone with the loop
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


@pytest.fixture
def busy_hub() -> Iterator[str]:
    """A hub that answers every request 503 with Retry-After: 42 (its database is down)."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST", "HEAD", "PATCH", "OPTIONS"])
    async def busy(path: str) -> JSONResponse:
        return JSONResponse({"error": {"code": "unavailable", "message": "down"}}, 503,
                            headers={"Retry-After": "42"})

    with serve_asgi(app) as url:
        yield url


def _point_at(site: Site, url: str) -> None:
    with site.store.write() as conn:
        conn.execute("UPDATE sync_enrolment SET hub_url = ?", (url,))


def test_a_busy_hub_is_waited_out_as_it_asks_feeding_the_watchdog(
        enrolled: Site, busy_hub: str) -> None:
    _point_at(enrolled, busy_hub)
    notifier = Recorder()
    stop = threading.Event()
    daemon = Daemon(enrolled, SyncSettings(site_code=SITE, health_port=0), notifier=notifier)
    waits = Waits(stop, notifier, cycles=2)
    daemon.sleep = waits

    daemon.run_forever(stop)

    assert waits.totals() == [42.0, 42.0]
    assert max(s for _, s in waits.slices) <= WAIT_SLICE_S
    first_status = next(i for i, x in enumerate(notifier.lines) if x.startswith("STATUS="))
    after_status = notifier.lines[first_status + 1:]
    # every slice of the wait fed the watchdog: the loop is alive, the hub is not
    assert after_status[:4] == ["WATCHDOG=1"] * 4


def test_an_unreachable_hub_backs_off_with_full_jitter(enrolled: Site) -> None:
    _point_at(enrolled, f"http://127.0.0.1:{_free_port()}")
    notifier = Recorder()
    stop = threading.Event()
    daemon = Daemon(enrolled, SyncSettings(site_code=SITE, health_port=0), notifier=notifier,
                    rng=random.Random(7))
    waits = Waits(stop, notifier, cycles=6)
    daemon.sleep = waits

    daemon.run_forever(stop)

    totals = waits.totals()
    assert len(totals) == 6
    for failures, total in enumerate(totals, start=1):
        assert 1.0 <= total <= min(900.0, 5.0 * 2 ** (failures - 1))
    rng = random.Random(7)
    expected = [backoff_s(n, SyncSettings(), rng) for n in range(1, 7)]
    assert totals == pytest.approx(expected)


def test_backoff_is_capped_at_fifteen_minutes() -> None:
    rng = random.Random(3)
    waits = [backoff_s(n, SyncSettings(), rng) for n in range(1, 200)]
    assert max(waits) <= 900.0 and min(waits) >= 1.0
    assert max(waits[20:]) > 450  # the ceiling did grow to the cap


def test_a_bug_stops_feeding_the_watchdog_so_systemd_restarts_the_daemon(
        enrolled: Site, hub: RunningHub, caplog: pytest.LogCaptureFixture) -> None:
    hub.admin.publish_catalogue({"items": []}, "v1")

    def broken(*_: Any) -> None:
        raise RuntimeError(PERSON["name"])  # a bug whose message carries personal data

    notifier = Recorder()
    stop = threading.Event()
    daemon = Daemon(enrolled, SyncSettings(site_code=SITE, health_port=0), notifier=notifier,
                    appliers={"catalogue": broken}, rng=random.Random(1))
    waits = Waits(stop, notifier, cycles=1)
    daemon.sleep = waits

    daemon.run_forever(stop)

    last_status = max(i for i, x in enumerate(notifier.lines) if x.startswith("STATUS="))
    assert "WATCHDOG=1" not in notifier.lines[last_status:]
    assert isinstance(daemon.failure, RuntimeError)
    assert "RuntimeError" in caplog.text and PERSON["name"] not in caplog.text


def test_sd_notify_reaches_the_socket_and_is_harmless_without_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    SystemdNotifier().ready()  # nothing to send to, nothing raised

    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        server.settimeout(5)
        monkeypatch.setenv("NOTIFY_SOCKET", str(path))
        notifier = SystemdNotifier()
        notifier.ready()
        notifier.status("outbox 3,\npages 1.2 MB")
        notifier.watchdog()
        got = [server.recv(4096) for _ in range(3)]
    assert got == [b"READY=1", b"STATUS=outbox 3, pages 1.2 MB", b"WATCHDOG=1"]


def test_an_idle_cycle_takes_no_write_lock_from_the_station(
        enrolled: Site, hub: RunningHub) -> None:
    notifier = Recorder()
    stop = threading.Event()
    daemon = Daemon(enrolled, SyncSettings(site_code=SITE, health_port=0), notifier=notifier)
    waits = Waits(stop, notifier, cycles=2)
    writes: list[str] = []
    waits.hook = lambda: enrolled.store.conn.set_trace_callback(
        lambda sql: writes.append(sql) if sql.startswith("BEGIN") else None)
    daemon.sleep = waits
    try:
        daemon.run_forever(stop)
    finally:
        enrolled.store.conn.set_trace_callback(None)
    # The first cycle pushed and pulled; the second found nothing due and wrote nothing.
    assert waits.totals() == [5.0, 5.0] and writes == []
