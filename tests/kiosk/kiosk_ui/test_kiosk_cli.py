"""``bianmin kiosk``: plain refusals, the technician's PIN line, and a screenshot of the live
kiosk with the site's simulated devices (the kiosk's adapters over real simulators)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from PIL import Image

from kiosk.cli import cli
from kiosk.config import parse_config
from kiosk.kiosk_cli import kiosk
from kiosk.ui.kiosk.lock import pin_matches

DEVICES = """
[devices.ticket_printer]
driver = "escpos-generic"
port = "sim://printer"

[devices.id_card_reader]
driver = "ga467-sam"
port = "sim://idcard"

[kiosk]
elderly = true
"""


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    return CliRunner().invoke(kiosk, list(args), env=env, input=stdin,
                              catch_exceptions=False)


def test_it_is_a_bianmin_command() -> None:
    assert cli.get_command(None, "kiosk") is kiosk  # type: ignore[arg-type]


def test_without_a_token_it_says_how_to_get_one(tmp_path: Path) -> None:
    result = run("--data-dir", str(tmp_path), env={"BIANMIN_TOKEN": ""})
    assert result.exit_code == 2
    assert "bianmin station pair --role kiosk" in result.output
    assert "Traceback" not in result.output


def test_without_a_screen_it_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    result = run("--data-dir", str(tmp_path), "--token", "t")
    assert result.exit_code == 2 and "--screenshot PATH" in result.output


def test_pin_hash_prints_a_line_the_configuration_takes(tmp_path: Path) -> None:
    result = run("pin-hash", stdin="482916\n482916\n")
    assert result.exit_code == 0, result.output
    line = result.output.strip().splitlines()[-1]
    assert "482916" not in line
    config = parse_config(f"[kiosk]\n{line}\n", "test")
    assert pin_matches("482916", config.kiosk.unlock_pin_hash)
    short = run("pin-hash", "--pin", "12")
    assert short.exit_code == 2 and "4 到 12" in short.output
    differ = run("pin-hash", stdin="482916\n482917\n482916\n482916\n")
    assert differ.exit_code == 0 and re.search(r"scrypt\$[0-9a-f]{32}\$", differ.output)


def test_a_screenshot_of_the_live_kiosk_with_the_sites_devices(
        qapp: Any, station: SimpleNamespace, tmp_path: Path, artifacts: Path) -> None:
    (tmp_path / "site.toml").write_text(DEVICES, "utf-8")
    shot = artifacts / "cli_screenshot.png"
    shot.unlink(missing_ok=True)
    result = run("--data-dir", str(tmp_path), "--station", station.url, "--token",
                 station.tokens["kiosk"], "--screenshot", str(shot), "--screenshot-after", "2")
    assert result.exit_code == 0, result.output
    assert "已连接 / live" in result.output
    with Image.open(shot) as picture:
        assert picture.size == (1080, 1920)
        # 大字模式 from the configuration: the header is black (ELDERLY.header)
        assert picture.convert("RGB").getpixel((5, 5)) == (0, 0, 0)
