"""The network check against live and dead addresses on loopback, and the enrolment of
``bianmin sync enrol`` from the wizard against the real hub."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import SiteConfig, StationSection
from kiosk.setup_wizard import county
from kiosk.setup_wizard.ports import Answers, SiteAnswers
from sync.hub.server import RunningHub, running_hub


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_station(port: int) -> SiteConfig:
    return SiteConfig(station=StationSection(host="127.0.0.1", port=port))


def test_the_hub_line_live_dead_wrong_and_off_clock(health_server: Any) -> None:
    live = county.hub_line(health_server.url + "/", 2)
    assert live.outcome.ok and "The county hub answers (version test)" in live.outcome.words

    started = time.monotonic()
    dead = county.hub_line(f"http://127.0.0.1:{free_port()}", 2)
    assert time.monotonic() - started < 3
    assert not dead.outcome.ok and "Cannot connect to the hub" in dead.outcome.words
    assert "network cable" in dead.outcome.hint

    health_server.status = 503
    wrong = county.hub_line(health_server.url, 2)
    assert not wrong.outcome.ok and "is not the county hub (HTTP 503" in wrong.outcome.words
    health_server.status = 200

    health_server.hub_time = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    skewed = county.hub_line(health_server.url, 2)
    assert not skewed.outcome.ok and "about 60 min off" in skewed.outcome.words
    assert skewed.outcome.hint == county.HINT_CLOCK

    not_url = county.hub_line("hub.example.gov.cn", 2)
    assert not not_url.outcome.ok and "not valid" in not_url.outcome.words
    none = county.hub_line("", 2)
    assert not none.checked and "not checked" in none.outcome.words


def test_dns_lines() -> None:
    assert "no DNS needed" in county.dns_line("http://127.0.0.1:9/").outcome.words
    local = county.dns_line("https://localhost/", 2)
    assert local.outcome.ok and "localhost resolves to" in local.outcome.words
    bad = county.dns_line("https://no-such-host.invalid/", 3)
    assert not bad.outcome.ok and "no-such-host.invalid" in bad.outcome.words
    assert not county.dns_line("").checked


def test_the_station_port_free_taken_or_answering(health_server: Any) -> None:
    port = free_port()
    free = county.station_line(with_station(port))
    assert free.outcome.ok and f"Port {port} is free for the station" in free.outcome.words
    taken = county.station_line(with_station(health_server.server_address[1]))
    assert not taken.outcome.ok and "is used by another program (HTTP 404)" in \
        taken.outcome.words
    elsewhere = county.station_line(SiteConfig(station=StationSection(host="192.0.2.10",
                                                                      port=port)), 0.5)
    assert not elsewhere.outcome.ok and "192.0.2.10" in elsewhere.outcome.words


def test_the_station_line_when_the_station_runs(tmp_path: Path) -> None:
    from kiosk.station.server import start_background

    running = start_background(tmp_path / "station", SiteConfig())
    try:
        port = int(running.url.rsplit(":", 1)[1])
        line = county.station_line(with_station(port))
    finally:
        running.stop()
    assert line.outcome.ok and f"The station answers on 127.0.0.1:{port}" in line.outcome.words


def test_the_whole_check_from_the_model(make_model: Any, health_server: Any) -> None:
    lines = make_model().check_network(Answers(site=SiteAnswers(code="XC-0101", name="x"),
                                               hub_url=health_server.url))
    assert [line.what for line in lines] == ["station", "dns", "hub"]
    assert lines[2].outcome.ok and "no DNS needed" in lines[1].outcome.words


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    with running_hub(tmp_path / "hub") as running:
        yield running


def test_enrolment_from_the_wizard(make_model: Any, hub: RunningHub, tmp_path: Path) -> None:
    model = make_model()
    answers = Answers(site=SiteAnswers(code="XC-0101", name="西村便民服务站"), hub_url=hub.url)
    assert model.enrolment() is None
    code = hub.admin.enrol_code("XC-0101")["code"]
    outcome = model.enrol(answers, code)
    assert outcome.ok, outcome
    assert "Enrolled site XC-0101 with " + hub.url in outcome.words
    assert model.enrolment() == ("XC-0101", hub.url)
    assert (tmp_path / "data" / "store.sqlite").exists()  # made as `bianmin store init` does
    assert [site["site"] for site in hub.admin.sites()] == ["XC-0101"]

    used = model.enrol(answers, code)
    assert not used.ok and "the code is wrong, used, expired" in used.words
    assert "bianmin hub enrol-code" in used.hint
    unreachable = model.enrol(Answers(site=answers.site,
                                      hub_url=f"http://127.0.0.1:{free_port()}"), "ABCDEFGH12")
    assert not unreachable.ok and unreachable.hint
    empty = model.enrol(answers, " ")
    assert not empty.ok and "Enter the enrolment code" in empty.words
    unnamed = model.enrol(Answers(site=SiteAnswers(code="", name="x"), hub_url=hub.url), code)
    assert not unnamed.ok and "site.code: must not be empty" in unnamed.words

    # run again: the wizard knows the hub it is enrolled with
    assert make_model().answers().hub_url == hub.url
