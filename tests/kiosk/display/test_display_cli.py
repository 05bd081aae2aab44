"""``bianmin display``: plain refusals without a token, an address or a screen; a screenshot
of the live board from a real station with the devices the site configures; a device that
cannot be built is a warning, not an exit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.config import SiteConfig
from kiosk.display_cli import default_station, display
from kiosk.station import auth
from kiosk.station.server import start_background
from kiosk.ui.qt import QtGui

DEVICES = """
[devices.announcer]
driver = "clips"
port = "sim://announcer"

[devices.window_sign]
driver = "led-sign"
port = "sim://sign"
"""


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    running = start_background(tmp_path_factory.mktemp("station"), SiteConfig())
    token = running.station.writer.submit(auth.pair, running.station.site,
                                          "display").result().token
    yield SimpleNamespace(url=running.url, token=token)
    running.stop()


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(display, list(args), env=env, catch_exceptions=False)


def test_without_a_token_it_says_how_to_get_one(tmp_path: Path) -> None:
    result = run("--data-dir", str(tmp_path), env={"BIANMIN_TOKEN": ""})
    assert result.exit_code == 2
    assert "bianmin station pair --role display" in result.output
    assert "Traceback" not in result.output


def test_a_bad_station_address_is_refused_plainly(tmp_path: Path) -> None:
    result = run("--data-dir", str(tmp_path), "--token", "t", "--station", "10.0.0.5:8470")
    assert result.exit_code == 2 and "the station address is" in result.output


def test_without_a_screen_it_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    result = run("--data-dir", str(tmp_path), "--token", "t")
    assert result.exit_code == 2
    assert "没有屏幕" in result.output and "--screenshot PATH" in result.output


def test_a_screenshot_of_the_live_board_with_the_sites_devices(
        qapp: Any, station: SimpleNamespace, tmp_path: Path, artifacts: Path) -> None:
    (tmp_path / "site.toml").write_text(DEVICES, "utf-8")
    shot = artifacts / "cli_screenshot.png"
    shot.unlink(missing_ok=True)
    result = run("--data-dir", str(tmp_path), "--station", station.url, "--token",
                 station.token, "--sign-window", "1", "--screenshot", str(shot),
                 "--screenshot-after", "2")
    assert result.exit_code == 0, result.output
    assert "live" in result.output
    image = QtGui.QImage(str(shot))
    assert (image.width(), image.height()) == (1920, 1080)


def test_a_missing_sign_and_no_station_still_give_a_board_and_exit_1(
        qapp: Any, tmp_path: Path, artifacts: Path) -> None:
    (tmp_path / "site.toml").write_text(DEVICES.replace(
        'port = "sim://sign"', 'port = "serial:///dev/ttyBIANMIN-ABSENT"'), "utf-8")
    shot = artifacts / "cli_not_live.png"
    shot.unlink(missing_ok=True)
    result = run("--data-dir", str(tmp_path), "--station", "http://127.0.0.1:9", "--token",
                 "t", "--sign-window", "2", "--screenshot", str(shot), "--screenshot-after", "1")
    assert result.exit_code == 1  # it ran, and the board never went live
    assert "not live" in result.output and "connection refused" in result.output
    assert shot.exists()


def test_the_default_station_is_the_sites_own() -> None:
    assert default_station(SiteConfig()) == "http://127.0.0.1:8470"
    config = SiteConfig.model_validate({"station": {"host": "0.0.0.0", "port": 9000}})
    assert default_station(config) == "http://127.0.0.1:9000"
