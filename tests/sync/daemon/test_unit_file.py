"""The systemd unit of the sync daemon (packaging/systemd/bianmin-sync.service) keeps the
settings ../shared/research/sync.md §6 asks for: notify with a watchdog, restarted forever,
the site key as an encrypted credential, a read-only system around its state directory."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from click.testing import CliRunner

from kiosk.cli import cli

UNIT = Path(__file__).resolve().parents[3] / "packaging" / "systemd" / "bianmin-sync.service"


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=True, delimiters=("=",),
                                          comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    parser.read_string(UNIT.read_text("utf-8"))
    return parser


def test_the_unit_is_a_notify_service_with_a_watchdog_that_never_gives_up() -> None:
    unit = _unit()
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"
    service = unit["Service"]
    assert service["Type"] == "notify" and service["NotifyAccess"] == "main"
    assert service["WatchdogSec"] == "60"
    assert service["Restart"] == "always" and service["RestartSec"] == "10"
    assert "StartLimitIntervalSec" not in service  # it belongs to [Unit]


def test_the_unit_passes_the_site_key_as_an_encrypted_credential() -> None:
    service = _unit()["Service"]
    name, _, path = service["LoadCredentialEncrypted"].partition(":")
    assert name == "bianmin-site-key"  # crypto.credential_name's default
    # The name alone: systemd looks in /etc/credstore.encrypted/ and starts the daemon
    # without it when it is absent (the key file is then used); a path would be fatal.
    assert path == ""


def test_the_unit_confines_the_daemon_to_its_state_directory() -> None:
    service = _unit()["Service"]
    assert service["ProtectSystem"] == "strict"
    assert service["StateDirectory"] == "bianmin"
    assert service["SyslogIdentifier"] == "bianmin-sync"
    assert service["Environment"] == "BIANMIN_DATA_DIR=/var/lib/bianmin"


def test_the_unit_runs_a_command_that_exists() -> None:
    argv = shlex.split(_unit()["Service"]["ExecStart"])
    assert argv[0].endswith("/bianmin") and argv[1:3] == ["sync", "run"]
    result = CliRunner().invoke(cli, [*argv[1:], "--help"], prog_name="bianmin")
    assert result.exit_code == 0, result.output
    assert "--data-dir" in result.output and argv[argv.index("--data-dir") + 1] == \
        "/var/lib/bianmin"
