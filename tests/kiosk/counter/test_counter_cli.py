"""``bianmin counter``: plain refusals (no token, a bad window, a bad address, no screen); a
screenshot of the live counter with the site's simulated devices; and the rating simulator
behind the real adapter rating a finished ticket at the station."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.config import SiteConfig, parse_config
from kiosk.counter_cli import counter
from kiosk.ui.counter import look
from kiosk.ui.counter.app import CounterApp
from kiosk.ui.counter.queue_model import Action
from kiosk.ui.counter.window import NoAcceptance
from kiosk.ui.qt import QtGui

from .conftest import pump
from .test_window import FEED, press, sign_in

DEVICES = """
[devices.receipt_printer]
driver = "escpos-generic"
port = "sim://printer"

[devices.rating_terminal]
driver = "bianmin-rating-v1"
port = "sim://rating?auto=4"
"""


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(counter, list(args), env=env, catch_exceptions=False)


def test_it_is_a_bianmin_command() -> None:
    assert cli.get_command(None, "counter") is counter  # type: ignore[arg-type]


def test_without_a_token_it_says_how_to_get_one(tmp_path: Path) -> None:
    result = run("--data-dir", str(tmp_path), "--window", "3", env={"BIANMIN_TOKEN": ""})
    assert result.exit_code == 2
    assert "bianmin station pair --role counter" in result.output
    assert "Traceback" not in result.output


def test_the_window_is_required_and_checked(tmp_path: Path) -> None:
    missing = run("--data-dir", str(tmp_path), "--token", "t")
    assert missing.exit_code == 2 and "--window" in missing.output
    bad = run("--data-dir", str(tmp_path), "--token", "t", "--window", "A3")
    assert bad.exit_code == 2 and "1-3 digits" in bad.output


def test_a_bad_station_address_is_refused_plainly(tmp_path: Path) -> None:
    result = run("--data-dir", str(tmp_path), "--token", "t", "--window", "3",
                 "--station", "10.0.0.5:8470")
    assert result.exit_code == 2 and "the station address is" in result.output


def test_without_a_screen_it_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    result = run("--data-dir", str(tmp_path), "--token", "t", "--window", "3")
    assert result.exit_code == 2
    assert "没有屏幕" in result.output and "--screenshot PATH" in result.output


def test_a_screenshot_of_the_live_counter_with_the_sites_devices(
        qapp: Any, station: SimpleNamespace, tmp_path: Path, artifacts: Path) -> None:
    (tmp_path / "site.toml").write_text(DEVICES, "utf-8")
    shot = artifacts / "cli_screenshot.png"
    shot.unlink(missing_ok=True)
    result = run("--data-dir", str(tmp_path), "--station", station.url, "--token",
                 station.tokens["counter"], "--window", "4", "--mode", "agent",
                 "--screenshot", str(shot), "--screenshot-after", "2")
    assert result.exit_code == 0, result.output
    assert "live" in result.output
    image = QtGui.QImage(str(shot))
    assert (image.width(), image.height()) == look.SCREEN


def test_an_unreachable_station_gives_exit_1(qapp: Any, tmp_path: Path,
                                             artifacts: Path) -> None:
    shot = tmp_path / "away.png"
    result = run("--data-dir", str(tmp_path), "--station", "http://127.0.0.1:9", "--token",
                 "t", "--window", "4", "--screenshot", str(shot), "--screenshot-after", "1")
    assert result.exit_code == 1, result.output
    assert "not live" in result.output and shot.exists()


def test_the_rating_simulator_rates_a_finished_ticket(
        qapp: Any, station: SimpleNamespace, closing: list[Any]) -> None:
    """The real adapter over ``sim://rating?auto=4``: after F7 the pad shows the prompt,
    the simulated citizen presses 满意, and the station keeps it for that ticket."""
    from kiosk.counter_devices import build_counter_devices

    config = parse_config(DEVICES, "test")
    assert isinstance(config, SiteConfig)
    devices = build_counter_devices(config)
    closing.append(SimpleNamespace(stop=devices.close))
    assert devices.rating is not None and devices.problems == {}
    made = CounterApp(station.url, station.tokens["counter"], window="5", devices=devices,
                      window_name="农业农村", feed_options=FEED, acceptance=NoAcceptance)
    closing.append(made)
    made.window.resize(*look.SCREEN)
    made.window.show()
    made.start()
    window, model = made.window, made.window.model
    assert pump(lambda: window.strip.chips["rating_terminal"].ok is True)
    assert window.strip.chips["receipt_printer"].ok is True
    sign_in(made)
    assert pump(lambda: window.page == "acceptance")
    with station.client("kiosk") as kiosk:
        ticket = kiosk.issue("D", confirm=True)
    assert pump(lambda: model.waiting_here >= 1)
    press(made, Action.CALL)
    assert pump(lambda: model.current_status == "called")
    assert model.current is not None and model.current["id"] == ticket["id"]
    press(made, Action.FINISH)
    assert pump(lambda: "Rating recorded" in window.strip.note.text(), 15)
    with station.client("counter") as api:
        again = None
        try:
            api.rate({"level": 5, "ticket_id": ticket["id"]})
        except Exception as exc:  # 一次一评: the pad's rating is the one kept
            again = exc
    assert getattr(again, "code", "") == "already_rated"
