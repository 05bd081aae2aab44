"""What ``bianmin setup`` makes this PC run (kiosk/setup_wizard/services.py): the plan, the
screen's env file, the data directory handed to the services' user, and ``systemctl``.

``systemctl`` is the real one working on a folder (``--root``) with the package's own
units in it, so enabling and disabling make and remove the real symlinks. Only starting and
stopping cannot exist here (no systemd is PID 1 on this machine): the runner records those
calls and answers as systemd does on success.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kiosk.setup_wizard import services
from kiosk.setup_wizard.ports import Answers, PcAnswers, SiteAnswers
from kiosk.setup_wizard.services import Plan, Systemctl

UNITS = Path(__file__).resolve().parents[3] / "packaging" / "systemd"


class RootedSystemctl:
    """``systemctl --root=<folder>`` for enable, disable and is-enabled; ``restart`` and
    ``stop`` (which need a running systemd) are recorded and answered with success."""

    def __init__(self, root: Path, fail: str = ""):
        self.root = root
        self.fail = fail
        self.started: list[list[str]] = []
        self.stopped: list[list[str]] = []
        (root / "usr/lib/systemd/system").mkdir(parents=True)
        (root / "etc/systemd/system").mkdir(parents=True)
        for unit in UNITS.iterdir():
            shutil.copy(unit, root / "usr/lib/systemd/system" / unit.name)

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        args = list(argv)
        assert args[0] == "systemctl"
        verb = args[1]
        units = [a for a in args[2:] if not a.startswith("-")]
        if verb == self.fail:
            return subprocess.CompletedProcess(args, 1, "", f"Job for {units[0]} failed.\n")
        if verb == "restart":
            self.started.append(units)
            return subprocess.CompletedProcess(args, 0, "", "")
        if verb == "stop":
            self.stopped.append(units)
            return subprocess.CompletedProcess(args, 0, "", "")
        return subprocess.run(["systemctl", f"--root={self.root}", *args[1:]],
                              capture_output=True, text=True, check=False)

    def enabled(self) -> set[str]:
        wants = self.root / "etc/systemd/system"
        return {link.name for link in wants.glob("*.wants/*") if link.is_symlink()}

    def systemctl(self, running: bool = True) -> Systemctl:
        return Systemctl(self, unit_dirs=[self.root / "usr/lib/systemd/system"],
                         running=lambda: running)


@pytest.fixture
def rooted(tmp_path: Path) -> RootedSystemctl:
    if shutil.which("systemctl") is None:
        pytest.fail("systemctl is missing: packaging/debian-packages.txt installs systemd")
    return RootedSystemctl(tmp_path / "root")


def test_the_plan_per_part_this_pc_plays(tmp_path: Path) -> None:
    site = services.SITE_UNITS
    assert services.plan_for(PcAnswers(), tmp_path) == Plan(
        site, ("bianmin-kiosk.service", "bianmin-display.service"), None, "none")
    assert services.plan_for(PcAnswers(screen="kiosk"), tmp_path) == Plan(
        (*site, "bianmin-kiosk.service"), ("bianmin-display.service",),
        tmp_path / "kiosk.env", "kiosk")
    # the hall display of a township centre whose station is the server in the back office
    remote = services.plan_for(PcAnswers(screen="display",
                                         station_url="http://192.168.1.10:8470"), tmp_path)
    assert remote.enable == ("bianmin-display.service",)
    assert remote.disable == (*site, "bianmin-kiosk.service")
    assert remote.env_file == tmp_path / "display.env"


def test_the_env_file_keeps_the_technicians_lines_and_is_0600(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "kiosk.env"
    services.write_env(path, {"BIANMIN_TOKEN": "t-1", "BIANMIN_STATION": ""})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert services.read_env(path) == {"BIANMIN_TOKEN": "t-1"}
    with path.open("a") as out:
        out.write('BIANMIN_KIOSK_ARGS="--windowed"\n')
    services.write_env(path, {"BIANMIN_TOKEN": "t-2", "BIANMIN_STATION": "http://10.0.0.2:8470"})
    assert services.read_env(path) == {"BIANMIN_KIOSK_ARGS": "--windowed",
                                       "BIANMIN_TOKEN": "t-2",
                                       "BIANMIN_STATION": "http://10.0.0.2:8470"}
    assert path.read_text().count("BIANMIN_TOKEN") == 1
    assert path.read_text().startswith("# Written by `bianmin setup`")
    assert sorted(p.name for p in path.parent.iterdir()) == ["kiosk.env"]  # no temporary left


def test_what_root_made_in_the_data_directory_goes_to_its_owner(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "backups").mkdir(parents=True)
    (data / "store.sqlite").write_bytes(b"x")
    (data / "backups" / "store-1.sqlite").write_bytes(b"y")
    if os.geteuid() != 0:
        # only root makes files another user must own, and only root could give them away
        assert services.hand_over(data) == 0
        return
    os.chown(data, 4321, 4322)
    assert services.hand_over(data) == 3
    for path in (data / "store.sqlite", data / "backups", data / "backups" / "store-1.sqlite"):
        assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4322)
    assert services.hand_over(data) == 0  # nothing left to give
    os.chown(data, 0, 0)
    (data / "root-owned").write_bytes(b"z")
    assert services.hand_over(data) == 0  # a folder root owns keeps root's files


def test_systemctl_switches_the_units_the_plan_names(rooted: RootedSystemctl,
                                                     tmp_path: Path) -> None:
    systemctl = rooted.systemctl()
    outcomes = systemctl.apply(services.plan_for(PcAnswers(screen="kiosk"), tmp_path))
    assert all(o.ok for o in outcomes), outcomes
    assert rooted.enabled() == {"bianmin-station.service", "bianmin-sync.service",
                                "bianmin-purge.timer", "bianmin-kiosk.service"}
    assert rooted.started == [["bianmin-station.service", "bianmin-sync.service",
                               "bianmin-purge.timer", "bianmin-kiosk.service"]]
    assert systemctl.enabled("bianmin-kiosk.service")
    assert not systemctl.enabled("bianmin-display.service")
    assert services.current_pc(systemctl, tmp_path) == PcAnswers(screen="kiosk")
    # the same PC becomes the hall display of another PC's station
    (tmp_path / "display.env").write_text("BIANMIN_STATION=http://10.0.0.2:8470\n")
    systemctl.apply(services.plan_for(PcAnswers(screen="display",
                                                station_url="http://10.0.0.2:8470"), tmp_path))
    assert rooted.enabled() == {"bianmin-display.service"}
    assert ["bianmin-station.service", "bianmin-sync.service", "bianmin-purge.timer",
            "bianmin-kiosk.service"] in rooted.stopped
    assert services.current_pc(systemctl, tmp_path) == PcAnswers(
        screen="display", station_url="http://10.0.0.2:8470")


def test_a_failing_start_and_a_missing_package_are_said_plainly(tmp_path: Path) -> None:
    failing = RootedSystemctl(tmp_path / "root", fail="restart")
    outcomes = failing.systemctl().apply(services.plan_for(PcAnswers(), tmp_path))
    assert [o.ok for o in outcomes] == [True, True, True, False]  # disable, stop, enable, restart
    assert "Job for bianmin-station.service failed" in outcomes[-1].words
    assert "journalctl" in outcomes[-1].hint
    bare = Systemctl(failing, unit_dirs=[tmp_path / "nowhere"], running=lambda: True)
    [missing] = bare.apply(services.plan_for(PcAnswers(), tmp_path))
    assert not missing.ok and "not installed" in missing.words
    assert failing.started == []  # nothing was tried on a PC without the package


# -- through the wizard's model ------------------------------------------------------------------


def site_answers(pc: PcAnswers) -> Answers:
    return Answers(site=SiteAnswers(code="XC-0101", name="西村便民服务站",
                                    township="城关镇", village="西村"), pc=pc)


def test_a_kiosk_on_the_stations_pc_gets_a_token_that_the_store_knows(
        make_model: Any, rooted: RootedSystemctl, tmp_path: Path) -> None:
    model = make_model(systemctl=rooted.systemctl(), etc_dir=tmp_path / "etc")
    answers = site_answers(PcAnswers(screen="kiosk"))
    assert model.write(answers).ok
    outcomes = model.apply(answers)
    if os.geteuid() != 0:
        assert not outcomes[-1].ok and "root" in outcomes[-1].words
        return
    assert all(o.ok for o in outcomes), outcomes
    env = services.read_env(tmp_path / "etc" / "kiosk.env")
    assert set(env) == {"BIANMIN_TOKEN"}  # the station is here: no URL
    assert model._local_role(env["BIANMIN_TOKEN"]) == "kiosk"
    assert "bianmin-kiosk.service" in rooted.enabled()
    # running the wizard again keeps the token (the screen need not be paired again)
    again = make_model(systemctl=rooted.systemctl(), etc_dir=tmp_path / "etc")
    assert again.answers().pc == PcAnswers(screen="kiosk")
    outcomes = again.apply(again.answers())
    assert "kept" in outcomes[0].words
    assert services.read_env(tmp_path / "etc" / "kiosk.env") == env
    # the PC becomes the hall display: the kiosk's token goes, and no longer opens the station
    outcomes = again.apply(site_answers(PcAnswers(screen="display")))
    assert any("its token no longer opens the station" in o.words for o in outcomes), outcomes
    assert not (tmp_path / "etc" / "kiosk.env").exists()
    assert again._local_role(env["BIANMIN_TOKEN"]) is None
    assert again._local_role(services.read_env(tmp_path / "etc" / "display.env")[
        "BIANMIN_TOKEN"]) == "display"


def test_a_screen_of_another_pcs_station_pairs_with_its_code(
        make_model: Any, rooted: RootedSystemctl, tmp_path: Path,
        station_server: Any) -> None:
    model = make_model(systemctl=rooted.systemctl(), etc_dir=tmp_path / "etc")
    url = station_server.url
    without_code = site_answers(PcAnswers(screen="display", station_url=url))
    assert [p.key for p in model.validate(without_code)] == ["pc.pair_code"]
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "kiosk.env").write_text("BIANMIN_TOKEN=the-kiosk-it-was\n")
    wrong = site_answers(PcAnswers(screen="display", station_url=url, pair_code="00000000"))
    refused, unchanged = model.apply(wrong)
    assert not refused.ok and "Pairing failed" in refused.words
    assert "station pair" in refused.hint
    # no token for the display: the PC stays the kiosk it was, token and units alike
    assert not unchanged.ok and "nothing else on this PC was changed" in unchanged.words
    assert (tmp_path / "etc" / "kiosk.env").exists() and rooted.enabled() == set()
    code = station_server.pair("display")
    outcomes = model.apply(site_answers(PcAnswers(screen="display", station_url=url,
                                                  pair_code=code)))
    assert outcomes[0].ok, outcomes
    env = services.read_env(tmp_path / "etc" / "display.env")
    assert env["BIANMIN_STATION"] == url
    assert station_server.role_of(env["BIANMIN_TOKEN"]) == "display"
    if os.geteuid() == 0:
        assert rooted.enabled() == {"bianmin-display.service"}
    # a kiosk's code does not make a display
    kiosk_code = station_server.pair("kiosk")
    [mismatch] = model.apply(site_answers(PcAnswers(screen="display", station_url=url,
                                                    pair_code=kiosk_code)))[:1]
    assert not mismatch.ok and "for a kiosk, not a display" in mismatch.words
    # the display goes back to being the station's PC: its token is another PC's to revoke
    gone = model.apply(site_answers(PcAnswers()))
    assert any("revoke it on that PC with bianmin station tokens" in o.words for o in gone)
    assert not (tmp_path / "etc" / "display.env").exists()
    assert station_server.role_of(env["BIANMIN_TOKEN"]) == "display"  # still valid there
    # garbage in the answers is refused before anything is touched
    bad = site_answers(PcAnswers(screen="tv", station_url="ftp://x", pair_code="12"))
    assert sorted(p.key for p in model.validate(bad)) == ["pc.pair_code", "pc.screen",
                                                          "pc.station_url"]
    [said] = model.apply(bad)
    assert not said.ok and "pc.screen" in said.words


def test_without_systemd_running_units_are_switched_for_the_next_boot(
        rooted: RootedSystemctl, tmp_path: Path) -> None:
    """A chroot or an image being prepared: enable and disable work on the files, nothing is
    started or stopped, and the last line says when they will run."""
    outcomes = rooted.systemctl(running=False).apply(
        services.plan_for(PcAnswers(screen="display"), tmp_path))
    assert all(o.ok for o in outcomes), outcomes
    assert "next boot" in outcomes[-1].words
    assert rooted.started == [] and rooted.stopped == []
    assert "bianmin-display.service" in rooted.enabled()


def test_the_kiosk_pin_is_written_as_its_hash_and_kept_when_left_empty(
        make_model: Any, tmp_path: Path) -> None:
    from kiosk.config import load_config
    from kiosk.ui.kiosk.lock import pin_matches

    model = make_model()
    assert not model.pin_set()
    short = site_answers(PcAnswers(screen="kiosk", kiosk_pin="123"))
    assert [p.key for p in model.validate(short)] == ["pc.kiosk_pin"]
    assert not model.write(short).ok
    assert model.write(site_answers(PcAnswers(screen="kiosk", kiosk_pin="246810"))).ok
    text = (tmp_path / "site.toml").read_text("utf-8")
    assert "246810" not in text and "unlock_pin_hash" in text
    stored = load_config(tmp_path / "site.toml").kiosk.unlock_pin_hash
    assert pin_matches("246810", stored) and not pin_matches("246811", stored)
    assert model.pin_set()
    # running again without a PIN keeps it; a PC that is no kiosk writes none
    again = make_model()
    assert again.write(site_answers(PcAnswers(screen="kiosk"))).ok
    assert load_config(tmp_path / "site.toml").kiosk.unlock_pin_hash == stored
    other = make_model(tmp_path / "other.toml")
    assert other.write(site_answers(PcAnswers(screen="display", kiosk_pin="135790"))).ok
    assert load_config(tmp_path / "other.toml").kiosk.unlock_pin_hash == ""


def test_a_counter_pc_gets_its_window_mode_and_token_and_the_clerk_joins_the_group(
        make_model: Any, rooted: RootedSystemctl, tmp_path: Path) -> None:
    """gpasswd is not run here: it would change this machine's /etc/group (make deb-check
    runs the real one in its Debian root); the model is handed a recorder instead."""
    joined: list[str] = []

    def join(user: str) -> Any:
        joined.append(user)
        return services.Outcome(True, f"{user} joined")

    model = make_model(systemctl=rooted.systemctl(), etc_dir=tmp_path / "etc",
                       join_group=join, environ={"SUDO_USER": "xiaoli"})
    assert model.answers().pc.desktop_user == "xiaoli"  # who typed sudo
    bad = site_answers(PcAnswers(screen="counter", window="abc", counter_mode="x",
                                 desktop_user="root"))
    assert sorted(p.key for p in model.validate(bad)) == ["pc.counter_mode",
                                                          "pc.desktop_user", "pc.window"]
    answers = site_answers(PcAnswers(screen="counter", window="2", counter_mode="agent",
                                     desktop_user="xiaoli"))
    assert model.write(answers).ok
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "kiosk.env").write_text("BIANMIN_TOKEN=old-kiosk-token\n")
    outcomes = model.apply(answers)
    assert not (tmp_path / "etc" / "kiosk.env").exists()  # the part it played before
    env_file = tmp_path / "etc" / "counter.env"
    env = services.read_env(env_file)
    assert env["BIANMIN_WINDOW"] == "2" and env["BIANMIN_COUNTER_MODE"] == "agent"
    assert model._local_role(env["BIANMIN_TOKEN"]) == "counter"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640  # the clerk's session reads it
    if os.geteuid() == 0:
        assert all(o.ok for o in outcomes), outcomes
        assert joined == ["xiaoli"]
        assert "bianmin-kiosk.service" not in rooted.enabled()  # no screen unit for a counter
        assert "bianmin-station.service" in rooted.enabled()
    # running again: the part, the window and the mode are found again
    again = make_model(systemctl=rooted.systemctl(), etc_dir=tmp_path / "etc",
                       join_group=join, environ={})
    assert again.answers().pc == PcAnswers(screen="counter", window="2",
                                           counter_mode="agent")


def test_joining_the_group_says_what_happened() -> None:
    import grp
    import pwd

    calls: list[list[str]] = []

    def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))
        return subprocess.CompletedProcess(argv, 0, "", "")

    group = grp.struct_group(("bianmin", "x", 998, ["wang"]))
    user = pwd.struct_passwd(("xiaoli", "x", 1001, 1001, "", "/home/xiaoli", "/bin/bash"))

    def no_such(name: str) -> Any:
        raise KeyError(name)

    done = services.join_group("xiaoli", run, group_of=lambda _: group, user_of=lambda _: user)
    assert done.ok and "next desktop login" in done.words
    assert calls == [["gpasswd", "--add", "xiaoli", "bianmin"]]
    member = services.join_group("wang", run, group_of=lambda _: group, user_of=lambda _: user)
    assert member.ok and len(calls) == 1  # already in: gpasswd is not run
    nobody = services.join_group("ghost", run, group_of=lambda _: group, user_of=no_such)
    assert not nobody.ok and "no user ghost" in nobody.words
    no_group = services.join_group("xiaoli", run, group_of=no_such, user_of=lambda _: user)
    assert not no_group.ok and "no group bianmin" in no_group.words

    def refusing(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 3, "", "gpasswd: cannot lock /etc/group\n")

    failed = services.join_group("xiaoli", refusing, group_of=lambda _: group,
                                 user_of=lambda _: user)
    assert not failed.ok and "cannot lock /etc/group" in failed.words
