"""What this PC runs once the wizard has written the configuration (docs/packaging.md,
docs/setup.md "This PC").

A Bianmin PC plays one of three parts, with the station either here or on another PC of the
site's LAN:

- ``none``: no screen of its own: the site's service PC;
- ``kiosk``: the citizen's touchscreen, the unit ``bianmin-kiosk.service`` (cage on tty1);
- ``display``: the hall display, the unit ``bianmin-display.service``;
- ``counter``: the counter screen, which the clerk (or the village agent) opens on the
  desktop (``bianmin-counter.desktop``, ``bianmin counter``); the desktop account joins the
  group ``bianmin``, which udev gives the devices to.

The screen units read their token and, when the station is elsewhere, its URL from
``/etc/bianmin/<screen>.env`` (root, 0600): that file is the only place the token is kept.
The counter's ``counter.env`` also holds its window and mode, and is 0640 for the group
``bianmin``: the clerk's own session reads it (``/usr/bin/bianmin counter``).
The station and the sync daemon run where the station is (``bianmin-station.service``,
``bianmin-sync.service``, ``bianmin-purge.timer``) and are switched off on a PC whose
screens use another PC's station.

Everything here is plain: :func:`plan_for` decides, :class:`Systemctl` runs ``systemctl``
through the runner it is handed (tests hand in ``systemctl --root`` on a folder, the
package check runs the real one inside a chroot), :func:`write_env` and :func:`hand_over`
touch files. No Qt.
"""

from __future__ import annotations

import grp
import logging
import os
import pwd
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config_file import replace_atomically
from .ports import Outcome, PcAnswers

log = logging.getLogger(__name__)

ETC_DIR = Path("/etc/bianmin")
UNIT_DIRS = (Path("/etc/systemd/system"), Path("/usr/lib/systemd/system"),
             Path("/lib/systemd/system"))
SITE_UNITS = ("bianmin-station.service", "bianmin-sync.service", "bianmin-purge.timer")
"""The units of the PC the station runs on (its store, its sync, its nightly purge)."""
SCREEN_UNITS = {"kiosk": "bianmin-kiosk.service", "display": "bianmin-display.service"}
TOKEN_SCREENS = (*SCREEN_UNITS, "counter")
"""The parts whose screen needs a token of the station."""
ALL_UNITS = (*SITE_UNITS, "bianmin-purge.service", *SCREEN_UNITS.values())
"""Every unit the package ships (packaging/systemd/)."""
STATE_KEYS = ("LoadState", "UnitFileState", "ActiveState", "SubState", "Result", "NRestarts",
              "ActiveEnterTimestamp")
"""The properties of a unit's state a technician asks about (systemctl show)."""
ENV_MODE = 0o600
COUNTER_ENV_MODE = 0o640
GROUP = "bianmin"
ENV_KEYS = ("BIANMIN_TOKEN", "BIANMIN_STATION", "BIANMIN_WINDOW", "BIANMIN_COUNTER_MODE")
"""The keys the wizard writes; any other line of the file (``BIANMIN_KIOSK_ARGS=``, a
comment) is the technician's and stays as it was."""
SYSTEMD_RUNNING = Path("/run/systemd/system")
"""There when systemd is PID 1 (sd_booted(3))."""
TIMEOUT_S = 60.0
"""Longest wait for one ``systemctl`` call (a restart waits for the unit to start). Unit: s."""

Run = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """The real runner: ``argv`` with its output kept, within :data:`TIMEOUT_S`."""
    # argv lists, never a shell: systemctl with unit names, gpasswd with a login name that
    # the model checked against USER_PATTERN
    return subprocess.run(list(argv), capture_output=True, text=True,  # noqa: S603
                          timeout=TIMEOUT_S, check=False)


@dataclass(frozen=True)
class Plan:
    """The units to switch on (``enable``, then ``restart`` so that they read the new
    configuration), those to switch off (``disable``, then ``stop``), and the screen's env
    file."""

    enable: tuple[str, ...]
    disable: tuple[str, ...]
    env_file: Path | None
    screen: str
    env_mode: int = ENV_MODE
    desktop_user: str = ""
    """The account to add to :data:`GROUP` ("" for none)."""


def plan_for(pc: PcAnswers, etc_dir: Path = ETC_DIR) -> Plan:
    here = not pc.station_url
    screen_unit = SCREEN_UNITS.get(pc.screen)
    enable = (SITE_UNITS if here else ()) + ((screen_unit,) if screen_unit else ())
    disable = (() if here else SITE_UNITS) + tuple(
        unit for screen, unit in SCREEN_UNITS.items() if screen != pc.screen)
    if pc.screen == "counter":
        return Plan(enable, disable, etc_dir / "counter.env", pc.screen, COUNTER_ENV_MODE,
                    pc.desktop_user.strip())
    env_file = etc_dir / f"{pc.screen}.env" if screen_unit else None
    return Plan(enable, disable, env_file, pc.screen)


# -- the screen's env file ----------------------------------------------------------------------


def read_env(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of an EnvironmentFile (quotes taken off); {} when it is not
    there or cannot be read."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    found = {}
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            found[key.strip()] = value.strip().strip("\"'")
    return found


def env_text(old: str, values: Mapping[str, str]) -> str:
    """``old`` with the wizard's keys set to ``values`` (a key whose value is "" is dropped);
    the technician's own lines stay in their places."""
    lines = []
    for line in old.splitlines():
        key = line.strip().partition("=")[0].strip()
        if key not in ENV_KEYS:
            lines.append(line)
    if not any(line.strip() for line in lines):
        lines = ["# Written by `bianmin setup`: this screen's token and, when the station is "
                 "on another PC, its URL.",
                 "# Other lines are yours (e.g. BIANMIN_KIOSK_ARGS=--windowed) and stay."]
    lines += [f"{key}={values[key]}" for key in ENV_KEYS if values.get(key)]
    return "\n".join(lines) + "\n"


def write_env(path: Path, values: Mapping[str, str], mode: int = ENV_MODE) -> None:
    """Set the wizard's keys in ``path`` atomically, mode 0600 (it holds a token); with
    ``mode`` 0640, the group :data:`GROUP` (when it exists and we may give it).

    :raises OSError: the folder cannot be written.
    """
    try:
        old = path.read_text("utf-8")
    except FileNotFoundError:
        old = ""
    path.parent.mkdir(parents=True, exist_ok=True)
    group = _gid(GROUP) if mode & 0o070 else None
    replace_atomically(path, env_text(old, values), mode, group)


def _gid(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def join_group(user: str, run: Run = run_command, *,
               group_of: Callable[[str], grp.struct_group] = grp.getgrnam,
               user_of: Callable[[str], pwd.struct_passwd] = pwd.getpwnam) -> Outcome:
    """Add ``user`` to :data:`GROUP` (gpasswd(1)), for the devices and the counter's token.
    Already a member: nothing to do."""
    try:
        members = group_of(GROUP).gr_mem
    except KeyError:
        return Outcome(False, f"没有用户组 {GROUP} / There is no group {GROUP}",
                       "安装软件包后再运行 bianmin setup / Install the package, then run "
                       "bianmin setup again")
    try:
        user_of(user)
    except KeyError:
        return Outcome(False, f"没有用户 {user} / There is no user {user}",
                       "填写窗口人员登录桌面用的账号 / Enter the account the clerk logs in "
                       "to the desktop with")
    if user in members:
        return Outcome(True, f"{user} 已在用户组 {GROUP} 中 / {user} is in the group {GROUP}")
    try:
        finished = run(["gpasswd", "--add", user, GROUP])
    except (OSError, subprocess.SubprocessError) as exc:
        return Outcome(False, f"gpasswd: {exc}", HINT_GROUP)
    if finished.returncode != 0:
        why = (finished.stderr or finished.stdout or "").strip().splitlines()
        return Outcome(False, "gpasswd 失败 / failed: "
                       + (why[0] if why else f"exit {finished.returncode}"), HINT_GROUP)
    return Outcome(True, f"{user} 已加入用户组 {GROUP}，重新登录桌面后生效 / {user} joined the "
                   f"group {GROUP}; it takes effect at the next desktop login")


# -- the data directory's owner -------------------------------------------------------------------


def hand_over(data_dir: Path) -> int:
    """Give what root made in ``data_dir`` (the store, its WAL, the site key, backups) to
    the folder's owner, so that the services (user ``bianmin``, which owns
    ``/var/lib/bianmin``) can open what ``sudo bianmin setup`` made. Only root can, and
    only root needs to: for anyone else this does nothing.

    :returns: how many paths changed hands.
    """
    if os.geteuid() != 0 or not data_dir.is_dir():
        return 0
    owner = data_dir.stat()
    if owner.st_uid == 0:
        return 0
    changed = 0
    for folder, names, files in os.walk(data_dir):
        for name in (*names, *files):
            path = Path(folder, name)
            try:
                if path.lstat().st_uid == 0:
                    os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)
                    changed += 1
            except FileNotFoundError:  # a WAL that went away meanwhile
                continue
            except OSError as exc:  # an immutable file, a read-only mount: say it, go on
                log.warning("setup: cannot give %s to uid %d: %s", path, owner.st_uid,
                            exc.strerror or exc)
    return changed


# -- systemd --------------------------------------------------------------------------------------


class Systemctl:
    """``systemctl`` for the plan, through ``run``.

    :param run: runs one command and returns its completed process (default: the real one).
    :param unit_dirs: where the package's units are (a unit not found there is not installed
        on this PC: a development checkout, a counter PC without the package).
    :param running: whether systemd runs this system (sd_booted(3)); when it does not (a
        chroot, an image being prepared), units are enabled and disabled but not started or
        stopped, as ``deb-systemd-invoke`` does.
    """

    def __init__(self, run: Run = run_command, unit_dirs: Sequence[Path] = UNIT_DIRS,
                 running: Callable[[], bool] = lambda: SYSTEMD_RUNNING.is_dir()):
        self._run = run
        self.unit_dirs = tuple(unit_dirs)
        self._running = running

    def installed(self, unit: str) -> bool:
        return any((folder / unit).exists() for folder in self.unit_dirs)

    def enabled(self, unit: str) -> bool:
        try:
            done = self._run(["systemctl", "is-enabled", "--quiet", unit])
        except (OSError, subprocess.SubprocessError):
            return False
        return done.returncode == 0

    def states(self, units: Sequence[str] = ALL_UNITS) -> dict[str, dict[str, str]]:
        """Each unit's :data:`STATE_KEYS` as ``systemctl show`` gives them.

        :raises RuntimeError: ``systemctl`` could not say (systemd is not running here, no
            systemctl), with its own last line.
        """
        try:
            finished = self._run(["systemctl", "show", "--property=Id,"
                                  + ",".join(STATE_KEYS), "--", *units])
        except (OSError, subprocess.SubprocessError) as exc:
            raise RuntimeError(f"systemctl show: {exc}") from None
        if finished.returncode != 0:
            why = (finished.stderr or "").strip().splitlines()
            raise RuntimeError("systemctl show 失败 / failed: "
                               + (why[0] if why else f"exit {finished.returncode}"))
        return parse_show(finished.stdout)

    def apply(self, plan: Plan) -> list[Outcome]:
        """Switch the plan's units off and on; one outcome per step, in plain words."""
        missing = [unit for unit in (*plan.enable, *plan.disable) if not self.installed(unit)]
        if missing:
            return [Outcome(False, "本机没有安装便民服务的系统单元，未启用任何服务 / The Bianmin "
                            "services are not installed on this PC (no " + ", ".join(missing)
                            + "); nothing was switched on",
                            "安装软件包后再运行 bianmin setup（docs/packaging.md）/ Install the "
                            "package, then run bianmin setup again (docs/packaging.md)")]
        running = self._running()
        outcomes = []
        if plan.disable:
            outcomes.append(self._step(["disable", *plan.disable], "已停用 / Switched off: "))
            if running:
                outcomes.append(self._step(["stop", *plan.disable], "已停止 / Stopped: "))
        if plan.enable:
            outcomes.append(self._step(["enable", *plan.enable], "已启用 / Switched on: "))
            if running:
                outcomes.append(self._step(["restart", *plan.enable],
                                           "已（重新）启动 / (Re)started: "))
        if not running:
            outcomes.append(Outcome(True, "systemd 未在运行（chroot 或镜像），服务将在下次开机时"
                                    "启动 / systemd is not running here (a chroot or an "
                                    "image): the services start at the next boot"))
        return outcomes

    def _step(self, args: list[str], done_words: str) -> Outcome:
        units = [a for a in args if not a.startswith("-")][1:]
        try:
            finished = self._run(["systemctl", *args])
        except (OSError, subprocess.SubprocessError) as exc:
            return Outcome(False, f"systemctl {' '.join(args)}: {exc}", HINT_SYSTEMCTL)
        if finished.returncode != 0:
            why = (finished.stderr or finished.stdout or "").strip().splitlines()
            return Outcome(False, f"systemctl {' '.join(args)} 失败 / failed: "
                           + (why[0] if why else f"exit {finished.returncode}"),
                           HINT_SYSTEMCTL)
        return Outcome(True, done_words + " ".join(units))


def parse_show(text: str) -> dict[str, dict[str, str]]:
    """``systemctl show --property=Id,...`` of several units: one block of ``Key=value``
    lines per unit, blank lines between, keyed here by ``Id``."""
    units: dict[str, dict[str, str]] = {}
    for block in text.strip().split("\n\n"):
        values = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        unit = values.pop("Id", "")
        if unit:
            units[unit] = values
    return units


HINT_SYSTEMCTL = ("查看 journalctl -u <单元> 和 bianmin doctor list / See journalctl -u <unit> "
                  "and bianmin doctor list")
HINT_GROUP = (f"用 root 运行 gpasswd --add <用户> {GROUP} / As root, run gpasswd --add <user> "
              f"{GROUP}")
HINT_ROOT = ("用 sudo bianmin setup 运行向导，它会启用并启动服务 / Run the wizard as sudo bianmin "
             "setup: it switches the services on")


def current_pc(systemctl: Systemctl, etc_dir: Path = ETC_DIR) -> PcAnswers:
    """What this PC plays now (the enabled screen unit, the station URL of its env file), as
    the starting answer when the wizard runs again."""
    for screen, unit in SCREEN_UNITS.items():
        if systemctl.installed(unit) and systemctl.enabled(unit):
            env = read_env(etc_dir / f"{screen}.env")
            return PcAnswers(screen=screen, station_url=env.get("BIANMIN_STATION", ""))
    env = read_env(etc_dir / "counter.env")
    if env.get("BIANMIN_TOKEN"):
        return PcAnswers(screen="counter", station_url=env.get("BIANMIN_STATION", ""),
                         window=env.get("BIANMIN_WINDOW", ""),
                         counter_mode=env.get("BIANMIN_COUNTER_MODE", "counter"))
    return PcAnswers()
