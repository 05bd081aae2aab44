"""The package's systemd units (packaging/systemd/): what each must say, and that systemd
itself accepts them (systemd-analyze verify, against a scratch root holding stubs of the
commands they run)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import cli

from .units import DEB, UNITS, every, one, read_unit, sysusers

SERVICES = {path.name: read_unit(path) for path in UNITS if path.suffix == ".service"}
SITE_SERVICES = ["bianmin-station.service", "bianmin-sync.service", "bianmin-purge.service"]
SCREENS = {"bianmin-kiosk.service": "kiosk", "bianmin-display.service": "display"}
DATA = "/var/lib/bianmin"
CONFIG = "/etc/bianmin/site.toml"


def test_the_package_ships_the_units_the_site_needs() -> None:
    assert {p.name for p in UNITS} == {
        "bianmin-station.service", "bianmin-sync.service", "bianmin-display.service",
        "bianmin-kiosk.service", "bianmin-purge.service", "bianmin-purge.timer"}


@pytest.mark.parametrize("name", SITE_SERVICES)
def test_the_site_services_run_confined_as_bianmin(name: str) -> None:
    unit = SERVICES[name]
    service = unit["Service"]
    assert one(unit, "Service", "User") == one(unit, "Service", "Group") == "bianmin"
    assert one(unit, "Service", "StateDirectory") == "bianmin"
    assert one(unit, "Service", "StateDirectoryMode") == "0700"
    for key, value in [("ProtectSystem", "strict"), ("ProtectHome", "yes"),
                       ("PrivateTmp", "yes"), ("PrivateDevices", "yes"),
                       ("NoNewPrivileges", "yes"), ("CapabilityBoundingSet", ""),
                       ("SystemCallArchitectures", "native"), ("UMask", "0077")]:
        assert one(unit, "Service", key) == value, f"{name}: {key}"
    assert set(every(unit, "Service", "RestrictAddressFamilies")) <= {
        "AF_INET", "AF_INET6", "AF_UNIX"}
    # The site key: the encrypted credential when there is one, else the key file.
    assert one(unit, "Service", "LoadCredentialEncrypted") == "bianmin-site-key"
    assert "ReadWritePaths" not in service  # StateDirectory= opens /var/lib/bianmin alone
    # They start once the site is set up (its store exists), never on the demo defaults.
    assert one(unit, "Unit", "ConditionPathExists") == f"{DATA}/store.sqlite"


@pytest.mark.parametrize("name", ["bianmin-station.service", "bianmin-sync.service"])
def test_the_station_and_the_sync_daemon_restart_forever_at_boot(name: str) -> None:
    unit = SERVICES[name]
    assert one(unit, "Unit", "StartLimitIntervalSec") == "0"
    assert one(unit, "Service", "Restart") == "always"
    assert one(unit, "Install", "WantedBy") == "multi-user.target"
    assert "network-online.target" in every(unit, "Unit", "Wants")


def test_the_sync_daemon_is_a_notify_service_with_a_watchdog() -> None:
    unit = SERVICES["bianmin-sync.service"]
    assert one(unit, "Service", "Type") == "notify"
    assert int(one(unit, "Service", "WatchdogSec")) > 0


def test_the_purge_runs_daily_from_its_timer() -> None:
    timer = read_unit(next(p for p in UNITS if p.name == "bianmin-purge.timer"))
    assert one(timer, "Timer", "OnCalendar") == "daily"
    assert one(timer, "Timer", "Persistent") == "true"
    assert one(timer, "Install", "WantedBy") == "timers.target"
    assert one(SERVICES["bianmin-purge.service"], "Service", "Type") == "oneshot"


@pytest.mark.parametrize("name", SCREENS)
def test_a_screen_is_cage_on_tty1_as_the_kiosk_user(name: str) -> None:
    unit = SERVICES[name]
    role = SCREENS[name]
    argv = shlex.split(one(unit, "Service", "ExecStart"))
    # -s: a technician's keyboard may switch to a console (docs/packaging.md)
    assert argv[:5] == ["/usr/bin/cage", "-s", "--", "/opt/bianmin/bin/bianmin", role]
    assert one(unit, "Service", "User") == "bianmin-kiosk"
    assert one(unit, "Service", "SupplementaryGroups") == "bianmin"
    assert one(unit, "Service", "PAMName") == "login"
    assert one(unit, "Service", "TTYPath") == "/dev/tty1"
    assert one(unit, "Service", "Restart") == "always"
    assert one(unit, "Service", "NoNewPrivileges") == "yes"
    assert one(unit, "Service", "ProtectSystem") in ("full", "strict")
    assert "AF_NETLINK" in every(unit, "Service", "RestrictAddressFamilies")  # udev hotplug
    other = next(n for n in SCREENS if n != name)
    assert {"getty@tty1.service", other} <= set(every(unit, "Unit", "Conflicts"))
    assert one(unit, "Unit", "ConditionFileIsExecutable") == "/usr/bin/cage"
    assert one(unit, "Install", "WantedBy") == "graphical.target"
    env_file = one(unit, "Service", "EnvironmentFile")
    assert env_file == f"-/etc/bianmin/{role}.env"  # the token; optional


def test_the_units_users_are_the_packages_users() -> None:
    users = {fields[1] for fields in sysusers() if fields[0] == "u"}
    groups = users | {fields[1] for fields in sysusers() if fields[0] == "g"}
    for name, unit in SERVICES.items():
        assert one(unit, "Service", "User") in users, name
        for group in every(unit, "Service", "Group") + every(
                unit, "Service", "SupplementaryGroups"):
            assert group in groups, name


def _bianmin_argv(unit: dict) -> list[str]:
    argv = [word for word in shlex.split(one(unit, "Service", "ExecStart"))
            if not word.startswith("$")]
    return argv[argv.index("/opt/bianmin/bin/bianmin"):]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_unit_runs_a_bianmin_command_that_exists(name: str) -> None:
    argv = _bianmin_argv(SERVICES[name])
    result = CliRunner().invoke(cli, [*argv[1:], "--help"], prog_name="bianmin")
    assert result.exit_code == 0, result.output
    assert argv[argv.index("--config") + 1] == CONFIG
    if name in SITE_SERVICES:
        assert argv[argv.index("--data-dir") + 1] == DATA


def test_the_maintainer_scripts_know_every_unit() -> None:
    names = {p.name for p in UNITS}
    postinst = (DEB / "postinst").read_text("utf-8")
    assert names == set(_shell_list(postinst, "ENABLED") + _shell_list(postinst, "SHIPPED"))
    assert names == set(_shell_list((DEB / "postrm").read_text("utf-8"), "UNITS"))
    services = {n for n in names if n != "bianmin-purge.service"}
    assert services <= set(_shell_list((DEB / "prerm").read_text("utf-8"), "SERVICES"))


def _shell_list(script: str, name: str) -> list[str]:
    line = next(x for x in script.splitlines() if x.startswith(f"{name}="))
    return line.split("=", 1)[1].strip('"').split()


@pytest.fixture(scope="module")
def verify_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch root: the system's own units, ours, and stubs of the commands ours run."""
    root = tmp_path_factory.mktemp("root")
    units = root / "lib/systemd/system"
    units.mkdir(parents=True)
    for source in (Path("/lib/systemd/system"), Path("/usr/lib/systemd/system")):
        if source.is_dir():
            for path in source.iterdir():
                if path.is_file() and not (units / path.name).exists():
                    shutil.copyfile(path, units / path.name)
    for path in UNITS:
        shutil.copyfile(path, units / path.name)
    for stub in ("opt/bianmin/bin/bianmin", "usr/bin/cage"):
        (root / stub).parent.mkdir(parents=True, exist_ok=True)
        (root / stub).write_text("#!/bin/sh\n")
        (root / stub).chmod(0o755)
    return root


def test_systemd_analyze_verify_accepts_every_unit(verify_root: Path) -> None:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing: sh packaging/system-deps.sh installs systemd"
    paths = [str(verify_root / "lib/systemd/system" / p.name) for p in UNITS]
    result = subprocess.run([tool, "verify", f"--root={verify_root}", *paths],
                            capture_output=True, text=True, timeout=60, check=False)
    # verify exits 0 after mere warnings ("Unknown key", "Failed to parse"): any word about
    # our units is a failure.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr)


def test_systemd_analyze_verify_notices_a_mistake(verify_root: Path, tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing: sh packaging/system-deps.sh installs systemd"
    broken = verify_root / "lib/systemd/system/bianmin-broken.service"
    text = (verify_root / "lib/systemd/system/bianmin-station.service").read_text()
    broken.write_text(text.replace("Type=exec", "Type=exex"))
    try:
        result = subprocess.run([tool, "verify", f"--root={verify_root}", str(broken)],
                                capture_output=True, text=True, timeout=60, check=False)
    finally:
        broken.unlink()
    assert "exex" in result.stdout + result.stderr
