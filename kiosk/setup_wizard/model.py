"""The setup wizard's model: :class:`SetupModel`, the :class:`~.ports.SetupPort` the Qt
wizard is handed by ``bianmin setup``.

It starts from the existing configuration file (so that running the wizard again changes
it), checks answers as the configuration schema does, finds the ports a device may be on,
runs each role's live test, the camera preview, the network check and the enrolment, and
writes the file. Blocking methods are called off the GUI thread (the wizard's runner).
"""

from __future__ import annotations

import dataclasses
import glob
import logging
import os
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from devices.discovery import Detected, detect
from devices.registry import DRIVERS, check_device
from drivers.uvc_camera import video_nodes
from kiosk import paths
from kiosk.config import CONFIG_ENV, CONFIG_FILE_NAME, SiteConfig, SiteSection, parse_config
from kiosk.ui.kiosk.lock import hash_pin  # Qt-free: the kiosk's own PIN hash
from sync.protocol.messages import EnrolRequest

from . import county, services
from .config_file import answers_of, checked, file_text, merged, read_existing, write_config
from .device_tests import CameraPreview, open_preview, role_words, run_test
from .ports import (
    COUNTER_MODES,
    DEFAULT_TIMEZONE,
    ROLES,
    SCREENS,
    Answers,
    DeviceChoice,
    NetworkLine,
    Outcome,
    PcAnswers,
    PortChoice,
    Problem,
    SiteAnswers,
)
from .services import Systemctl

log = logging.getLogger(__name__)

SIMULATORS: dict[str, tuple[str, ...]] = {
    "id_card_reader": ("sim://idcard?card=resident_elderly",),
    "ticket_printer": ("sim://printer",),
    "receipt_printer": ("sim://printer",),
    "document_camera": ("sim://camera?script=a4",),
    "rating_terminal": ("sim://rating?auto=4",),
    "window_sign": ("sim://sign",),
    "code_scanner": ("sim://scanner?mode=serial&codes=BM-TEST-0001",
                     "sim://scanner?mode=wedge&codes=BM-TEST-0001"),
    "announcer": ("sim://announcer",),
}
"""The simulator offered for each role, for a trial without the device: a card lies on the
reader, the rating terminal presses 满意 by itself, the scanner scans a test code."""

USUAL = {"announcer": (("audio://default", "默认声卡 / the default sound card"),)}
INPUT_GLOB = "/dev/input/by-id/*-event-kbd"
"""Keyboard-like input devices: five-key rating keypads and keyboard-wedge scanners (the
by-id links stay the same across replugs)."""
PRINTER_ROLES = ("ticket_printer", "receipt_printer")
KEY_ROLES = ("rating_terminal", "code_scanner")
"""Roles a keyboard-like input device can play (a keypad, a keyboard-wedge scanner)."""

CODE_RULE = ("县级平台只接受字母、数字、- 和 _，最多 32 个 / the county hub accepts letters, "
             "digits, - and _ only, at most 32")
HINT_FIX = "返回前面的页面改正 / Go back to the page and correct it"
STATION_URL_RULE = ("站点服务地址形如 http://192.168.1.10:8470 / the station's URL looks like "
                    "http://192.168.1.10:8470")
HINT_PAIR = ("在站点服务所在电脑上运行 bianmin station pair --role <屏幕>，10 分钟内填入新配对码 / "
             "Run bianmin station pair --role <screen> on the station's PC and enter the new "
             "code within 10 minutes")
WINDOW_PATTERN = r"[0-9]{1,3}"
"""As ``bianmin counter --window`` takes it."""
USER_PATTERN = r"[a-z_][a-z0-9_.-]{0,31}"
"""A login name as useradd(8) takes it on Debian."""
HINT_WRITE = ("用有权限的用户运行（如 sudo），或用 --config 指定文件 / Run it as a user who may "
              "write there (e.g. with sudo), or name the file with --config")


class SetupModel:
    """The wizard's model over the real configuration file, devices, network and store.

    :param config_path: the file to read at the start (when it exists) and to write.
    :param data_dir: the site's data directory (its store holds the enrolment).
    :param discover: what is plugged in (default: ``devices.discovery.detect``, which probes
        unknown serial ports with each protocol's handshake).
    :param cameras: ``/dev/videoN`` capture nodes with a name each (default: sysfs).
    :param inputs: keyboard-like input device paths (default: :data:`INPUT_GLOB`).
    :param systemctl: switches this PC's units (default: the real ``systemctl``).
    :param etc_dir: where the screens' env files go (default: the configuration's folder,
        ``/etc/bianmin`` on an installed PC, where the units look).
    :param join_group: adds a counter PC's desktop account to the group ``bianmin``
        (default: :func:`~.services.join_group`, with gpasswd).
    :param environ: where ``SUDO_USER`` is looked up (the desktop account offered).
    """

    def __init__(self, config_path: Path, data_dir: Path, *,
                 discover: Callable[[], list[Detected]] | None = None,
                 cameras: Callable[[], list[tuple[str, str]]] | None = None,
                 inputs: Callable[[], list[str]] | None = None,
                 systemctl: Systemctl | None = None, etc_dir: Path | None = None,
                 join_group: Callable[[str], Outcome] = services.join_group,
                 environ: Mapping[str, str] = os.environ):
        self.config_path = Path(config_path)
        self.data_dir = Path(data_dir)
        self.systemctl = systemctl or Systemctl()
        self.join_group = join_group  # a counter PC's desktop account joins bianmin
        self._environ = environ
        self.etc_dir = Path(etc_dir) if etc_dir is not None else self.config_path.parent
        self.base, self.load_problem = read_existing(self.config_path)
        self.existed = self.config_path.exists() and not self.load_problem
        self._discover = discover or (lambda: detect(probe=True))
        self._cameras = cameras or _camera_nodes
        self._inputs = inputs or (lambda: sorted(glob.glob(INPUT_GLOB)))
        self._enrolled = county.enrolment_of(self.data_dir, self.base)
        self._previews: list[CameraPreview] = []

    @classmethod
    def for_command(cls, config_path: Path | None, data_dir: Path | None,
                    environ: Mapping[str, str] = os.environ) -> SetupModel:
        """The model for ``bianmin setup [--config FILE] [--data-dir DIR]``: the file every
        other command would read (``--config``, else ``$BIANMIN_CONFIG``, else
        ``<data dir>/site.toml``), even when it does not exist yet."""
        home = paths.data_dir(data_dir)
        if config_path is None:
            named = environ.get(CONFIG_ENV)
            config_path = Path(named) if named else home / CONFIG_FILE_NAME
        return cls(config_path, home)

    # -- answers ------------------------------------------------------------------------------

    def answers(self) -> Answers:
        hub = self._enrolled[1] if self._enrolled else ""
        found = answers_of(self.base, hub)
        pc = services.current_pc(self.systemctl, self.etc_dir)
        if not pc.desktop_user:  # who typed sudo: the desktop account, on a counter PC
            sudo_user = self._environ.get("SUDO_USER", "")
            pc = dataclasses.replace(pc, desktop_user="" if sudo_user == "root" else sudo_user)
        default = SiteSection()
        if (self.base.site.code, self.base.site.name) == (default.code, default.name):
            # a new site, or a file that never named one: nothing of the demo site's identity
            # is offered as an answer
            site = SiteAnswers(kind="village", township=self.base.site.township,
                               village=self.base.site.village,
                               timezone=self.base.site.timezone)
            return Answers(site=site, devices=found.devices, hub_url=hub, pc=pc)
        return Answers(site=found.site, devices=found.devices, hub_url=hub, pc=pc)

    def timezones(self) -> list[str]:
        zones = sorted(z for z in zoneinfo.available_timezones()
                       if "/" in z and not z.startswith(("posix/", "right/", "Etc/")))
        return [DEFAULT_TIMEZONE, *(z for z in zones if z != DEFAULT_TIMEZONE)]

    def drivers(self, role: str) -> list[str]:
        return list(DRIVERS.get(role, {}))

    def validate(self, answers: Answers) -> list[Problem]:
        _, problems = checked(merged(self.base, answers))
        code = answers.site.code
        if code and not any(p.key == "site.code" for p in problems) and not _hub_accepts(code):
            problems.append(Problem("site.code", CODE_RULE))
        return problems + self._pc_problems(answers.pc)

    def _pc_problems(self, pc: PcAnswers) -> list[Problem]:
        problems = []
        if pc.screen not in SCREENS:
            problems.append(Problem("pc.screen", "本机用途只能是 " + "、".join(SCREENS)
                                    + " / what this PC shows must be one of "
                                    + ", ".join(SCREENS)))
        url = pc.station_url.strip()
        if url and not _is_http_url(url):
            problems.append(Problem("pc.station_url", STATION_URL_RULE))
        pin = pc.kiosk_pin
        if pin and not (pin.isdigit() and 4 <= len(pin) <= 12):
            problems.append(Problem("pc.kiosk_pin", "PIN 须为 4 到 12 位数字 / the PIN must be 4 "
                                                    "to 12 digits"))
        code = pc.pair_code.strip()
        if code and not (len(code) == 8 and code.isdigit()):
            problems.append(Problem("pc.pair_code", "配对码是 8 位数字 / the pairing code is "
                                                    "8 digits"))
        if pc.screen == "counter":
            problems += _counter_problems(pc)
        if (url and not code and pc.screen in services.TOKEN_SCREENS
                and not self._kept_token(pc)):
            problems.append(Problem("pc.pair_code", "请填写配对码：在站点服务所在电脑上运行 "
                                    f"bianmin station pair --role {pc.screen} / Enter the "
                                    "pairing code: run bianmin station pair --role "
                                    f"{pc.screen} on the station's PC"))
        return problems

    def config(self, answers: Answers) -> SiteConfig | None:
        """The configuration the answers make (None while :meth:`validate` finds problems)."""
        config, problems = checked(merged(self.base, answers))
        return config if not problems else None

    # -- devices ------------------------------------------------------------------------------

    def find_ports(self) -> dict[str, list[PortChoice]]:
        try:
            detected = self._discover()
        except Exception as exc:  # a port that vanished mid-probe: offer what else there is
            log.warning("setup: device discovery failed: %s", exc)
            detected = []
        try:
            cameras = self._cameras()
        except OSError:
            cameras = []
        try:
            inputs = self._inputs()
        except OSError:
            inputs = []
        return {role: self._choices(role, detected, cameras, inputs) for role in ROLES}

    def _choices(self, role: str, detected: list[Detected], cameras: list[tuple[str, str]],
                 inputs: list[str]) -> list[PortChoice]:
        candidates: list[tuple[str, str, str]] = []
        current = self.base.devices.get(role)  # type: ignore[call-overload]
        if current is not None:
            candidates.append((current.port, "current", ""))
        kin = set(PRINTER_ROLES) if role in PRINTER_ROLES else {role}
        ranked = sorted((d for d in detected if d.role is None or d.role in kin),
                        key=lambda d: d.role is None)  # those known to be this role first
        for found in ranked:
            detail = " ".join(part for part in (found.model, found.vid_pid) if part)
            if found.state != "ok":
                detail = f"{detail} — {found.message}"
            candidates.append((found.url, "detected", detail))
        if role == "document_camera":
            candidates += [(f"file://{device}", "detected", name) for device, name in cameras]
        if role in KEY_ROLES:
            candidates += [(f"file://{path}", "detected", Path(path).name) for path in inputs]
        candidates += [(url, "usual", detail) for url, detail in USUAL.get(role, ())]
        candidates += [(url, "simulator", "") for url in SIMULATORS.get(role, ())]
        choices: dict[str, PortChoice] = {}
        for url, kind, detail in candidates:
            usable = tuple(driver for driver in self.drivers(role)
                           if not check_device(role, driver, url, {}))
            if url not in choices and (usable or kind == "current"):
                choices[url] = PortChoice(url, kind, detail, usable)
        return list(choices.values())

    def simulators(self) -> dict[str, DeviceChoice]:
        chosen = {}
        for role in ROLES:
            for url in SIMULATORS.get(role, ()):
                usable = [d for d in self.drivers(role) if not check_device(role, d, url, {})]
                if usable:
                    chosen[role] = DeviceChoice(usable[0], url)
                    break
        return chosen

    def test_device(self, answers: Answers, role: str) -> Outcome:
        choice = answers.devices.get(role)
        if choice is None:
            zh, en = role_words(role)
            return Outcome(False, f"未选择{zh} / No {en} is chosen",
                           "先选择驱动和端口 / Choose a driver and a port first")
        return run_test(self.base, role, choice,
                        site_name=answers.site.name or self.base.site.name)

    def open_preview(self, answers: Answers) -> CameraPreview | Outcome:
        choice = answers.devices.get("document_camera")
        if choice is None:
            return Outcome(False, "未选择高拍仪 / No document camera is chosen",
                           "先选择驱动和端口 / Choose a driver and a port first")
        preview = open_preview(self.base, choice)
        if isinstance(preview, CameraPreview):
            self._previews.append(preview)
        return preview

    # -- the county ---------------------------------------------------------------------------

    def enrolment(self) -> tuple[str, str] | None:
        return self._enrolled

    def enrol(self, answers: Answers, code: str) -> Outcome:
        problems = self.validate(answers)
        config = self.config(answers)
        if problems or config is None:
            return Outcome(False, "站点信息有误，无法注册 / The site's details have problems, so "
                           "it cannot be enrolled: " + _listed(problems), HINT_FIX)
        outcome = county.enrol_site(self.data_dir, config, answers.hub_url, code)
        services.hand_over(self.data_dir)  # the store and key root made go to the services
        if outcome.ok:
            self._enrolled = (config.site.code, answers.hub_url.strip().rstrip("/"))
        return outcome

    def check_network(self, answers: Answers) -> list[NetworkLine]:
        return county.check_network(self.config(answers) or self.base, answers.hub_url)

    # -- the file -----------------------------------------------------------------------------

    def config_text(self, answers: Answers) -> str:
        config = self.config(answers)
        return "" if config is None else file_text(config, self.config_path)

    def write(self, answers: Answers) -> Outcome:
        problems = self.validate(answers)
        config = self.config(answers)
        if problems or config is None:
            return Outcome(False, "配置有误，未写入 / Nothing was written; the answers have "
                           "problems: " + _listed(problems), HINT_FIX)
        if answers.pc.kiosk_pin and answers.pc.screen == "kiosk":
            # hashed here only: what validate() and config_text() see keeps the old hash, so
            # the PIN is hashed once, with one salt, into exactly the file written
            kiosk = config.kiosk.model_copy(
                update={"unlock_pin_hash": hash_pin(answers.pc.kiosk_pin)})
            config = config.model_copy(update={"kiosk": kiosk})
        path = self.config_path
        text = file_text(config, path)
        if parse_config(text, str(path)) != config:  # never write what would read back other
            return Outcome(False, "配置无法原样写出，未写入 / Nothing was written: the file "
                           "would not read back the same", "请报告此问题 / Please report this")
        try:
            backup = write_config(path, text)
        except OSError as exc:
            return Outcome(False, f"无法写入 {path} / Cannot write {path}: "
                           f"{exc.strerror or exc}", HINT_WRITE)
        self.base, self.load_problem, self.existed = config, "", True
        kept = (f"；原文件保留为 {backup.name} / ; the previous file is kept as {backup}"
                if backup is not None else "")
        return Outcome(True, f"已写入 {path} / Written: {path}{kept}")

    def pin_set(self) -> bool:
        return bool(self.base.kiosk.unlock_pin_hash)

    # -- this PC --------------------------------------------------------------------------------

    def apply(self, answers: Answers) -> list[Outcome]:
        pc = answers.pc
        problems = self._pc_problems(pc)
        if problems:
            return [Outcome(False, "本机用途有误 / What this PC plays has problems: "
                            + _listed(problems), HINT_FIX)]
        plan = services.plan_for(pc, self.etc_dir)
        token = self._screen_token(pc, plan) if plan.env_file is not None else None
        outcomes = [token] if token is not None else []
        if token is not None and not token.ok:  # the PC keeps playing its old part whole
            return [*outcomes, Outcome(False, "屏幕没有令牌，本机其他设置未改动 / The screen has "
                                              "no token, so nothing else on this PC was "
                                              "changed", HINT_FIX)]
        for other in services.TOKEN_SCREENS:  # a part this PC no longer plays keeps no token
            if other != pc.screen and (self.etc_dir / f"{other}.env").exists():
                outcomes.append(self._give_up(self.etc_dir / f"{other}.env"))
        root = os.geteuid() == 0
        if root:
            services.hand_over(self.data_dir)
            if plan.desktop_user:
                outcomes.append(self.join_group(plan.desktop_user))
        if not all(self.systemctl.installed(u) for u in (*plan.enable, *plan.disable)):
            outcomes += self.systemctl.apply(plan)  # says the package is not installed
        elif not root:
            outcomes.append(Outcome(False, "只有 root 能启用服务，未启用 / Only root may switch "
                                    "the services on; nothing was switched", services.HINT_ROOT))
        else:
            outcomes += self.systemctl.apply(plan)
        return outcomes

    def _give_up(self, stale: Path) -> Outcome:
        """Remove the env file of a part this PC no longer plays; its token, when this PC's
        store made it, no longer opens the station (another PC's station keeps its own)."""
        env = services.read_env(stale)
        try:
            stale.unlink()
        except OSError as exc:
            return Outcome(False, f"无法删除 {stale} / Cannot remove {stale}: "
                           f"{exc.strerror or exc}", HINT_WRITE)
        elsewhere = env.get("BIANMIN_STATION", "")
        if elsewhere and env.get("BIANMIN_TOKEN"):
            return Outcome(True, f"已删除不再使用的 {stale}；其令牌在 {elsewhere} 仍有效，"
                                 "请在那台电脑上用 bianmin station tokens 和 bianmin station "
                                 "revoke 作废 / "
                                 f"Removed {stale}, no longer used; its token still opens the "
                                 f"station at {elsewhere}: revoke it on that PC with bianmin "
                                 "station tokens and bianmin station revoke")
        revoked = bool(env.get("BIANMIN_TOKEN")) and self._revoke(env["BIANMIN_TOKEN"])
        if revoked:
            return Outcome(True, f"已删除不再使用的 {stale}，其令牌已作废 / Removed {stale}, no "
                                 "longer used; its token no longer opens the station")
        return Outcome(True, f"已删除不再使用的 {stale} / Removed {stale}, no longer used")

    def _revoke(self, token: str) -> bool:
        from kiosk.site_context import open_site
        from offline_store import station_access

        try:
            with open_site(self.data_dir, self.base) as site, site.store.write() as conn:
                return station_access.revoke(conn, token, site.clock.now())
        except Exception:  # no store here: nothing to revoke
            log.warning("setup: could not revoke an old screen token in %s", self.data_dir)
            return False

    def _kept_token(self, pc: PcAnswers) -> str:
        """The token this PC's screen already has for the same station, or "" (then a new
        one is needed)."""
        if pc.screen not in services.TOKEN_SCREENS:
            return ""
        env = services.read_env(self.etc_dir / f"{pc.screen}.env")
        token = env.get("BIANMIN_TOKEN", "")
        if not token or env.get("BIANMIN_STATION", "") != pc.station_url.strip():
            return ""
        if pc.station_url.strip():
            return token  # the other PC's station alone can tell; its screen will say so
        return token if self._local_role(token) == pc.screen else ""

    def _local_role(self, token: str) -> str | None:
        from kiosk.site_context import open_site
        from offline_store import station_access

        try:
            with open_site(self.data_dir, self.base) as site:
                return station_access.role_of(site.store, token)
        except Exception:  # no store yet, a damaged store: a new token is made instead
            return None

    def _screen_token(self, pc: PcAnswers, plan: services.Plan) -> Outcome:
        """The screen's token in its env file: kept when it still works, else a new one (from
        this PC's store, or the other station's pairing code); a counter's window and mode
        beside it."""
        assert plan.env_file is not None
        env_file = plan.env_file
        url = pc.station_url.strip().rstrip("/")
        token = "" if pc.pair_code.strip() else self._kept_token(pc)
        kept = bool(token)
        if not token:
            made = (_redeem(url, pc.pair_code.strip(), pc.screen) if url
                    else self._local_token(pc.screen))
            if isinstance(made, Outcome):
                return made
            token = made
        try:
            counter = ({"BIANMIN_WINDOW": pc.window.strip(),
                        "BIANMIN_COUNTER_MODE": pc.counter_mode} if pc.screen == "counter"
                       else {})
            services.write_env(env_file, {"BIANMIN_TOKEN": token, "BIANMIN_STATION": url,
                                          **counter}, plan.env_mode)
        except OSError as exc:
            return Outcome(False, f"无法写入 {env_file} / Cannot write {env_file}: "
                           f"{exc.strerror or exc}", HINT_WRITE)
        where_zh, where_en = (url, url) if url else ("本机", "this PC")
        how_zh, how_en = ("沿用原令牌", "the token it had is kept") if kept else ("已配对",
                                                                              "paired")
        return Outcome(True, f"屏幕令牌在 {env_file}（站点服务：{where_zh}，{how_zh}）/ The "
                       f"screen's token is in {env_file} (station: {where_en}; {how_en})")

    def _local_token(self, role: str) -> str | Outcome:
        from kiosk.site_context import create_site
        from kiosk.station.auth import new_token
        from offline_store.errors import StoreError

        try:
            site, _ = create_site(self.data_dir, self.base)
            with site:
                return new_token(site, role)
        except (StoreError, OSError) as exc:
            return Outcome(False, f"站点数据存储无法使用 / The site store cannot be used: {exc}",
                           county.HINT_STORE)

    def close(self) -> None:
        """Stop any camera preview still running; leave the data directory to its owner."""
        try:
            services.hand_over(self.data_dir)
        except OSError:
            log.exception("setup: giving the data directory's files to its owner failed")
        for preview in self._previews:
            try:
                preview.close()
            except Exception:
                log.exception("setup: closing the camera preview failed")
        self._previews.clear()


def _hub_accepts(code: str) -> bool:
    """Whether the hub's enrolment would take ``code`` as a site code (the protocol's own
    rule, sync/protocol/messages.py)."""
    try:
        EnrolRequest.model_validate({"site": code, "code": "0" * 8, "public_key": "A" * 44})
    except ValidationError as exc:
        return not any(error["loc"] == ("site",) for error in exc.errors())
    return True


def _counter_problems(pc: PcAnswers) -> list[Problem]:
    problems = []
    if not re.fullmatch(WINDOW_PATTERN, pc.window.strip()):
        problems.append(Problem("pc.window", "窗口号是 1-3 位数字，如 3 / a window is numbered "
                                             "with 1-3 digits, like 3"))
    if pc.counter_mode not in COUNTER_MODES:
        problems.append(Problem("pc.counter_mode", "工作方式只能是 " + "、".join(COUNTER_MODES)
                                + " / the mode must be one of " + ", ".join(COUNTER_MODES)))
    user = pc.desktop_user.strip()
    if not re.fullmatch(USER_PATTERN, user) or user == "root":
        problems.append(Problem("pc.desktop_user", "请填写窗口人员登录桌面的账号（不能是 root）/ "
                                                   "Enter the account the clerk logs in to the "
                                                   "desktop with (not root)"))
    return problems


def _is_http_url(url: str) -> bool:
    split = urlsplit(url)
    return split.scheme in ("http", "https") and bool(split.hostname)


def _redeem(url: str, code: str, screen: str) -> str | Outcome:
    """The token the station at ``url`` hands over for the pairing ``code``."""
    from kiosk.client.http import StationClient, StationError

    try:
        with StationClient(url, None, timeout_s=county.TIMEOUT_S) as client:
            answer = client.pair(code)
    except StationError as exc:
        return Outcome(False, f"配对失败 / Pairing failed: {exc.message}", HINT_PAIR)
    token, role = answer.get("token"), answer.get("role")
    if not isinstance(token, str) or not token:
        return Outcome(False, "站点服务的回答里没有令牌 / The station's answer has no token",
                       HINT_PAIR)
    if role != screen:
        return Outcome(False, f"这个配对码是给 {role} 的，不是 {screen} / This pairing code is "
                       f"for a {role}, not a {screen}", HINT_PAIR)
    return token


def _listed(problems: Iterable[Problem]) -> str:
    return "; ".join(f"{p.key}: {p.message}" for p in problems)


def _camera_nodes() -> list[tuple[str, str]]:
    """USB cameras' capture nodes (``index`` 0; 1 is a UVC camera's metadata node)."""
    return [(node.device, f"{node.name} {node.vid_pid}".strip()) for node in video_nodes()
            if node.index == 0]

