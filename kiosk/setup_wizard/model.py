"""The setup wizard's model: :class:`SetupModel`, the :class:`~.ports.SetupPort` the Qt
wizard is handed by ``bianmin setup``.

It starts from the existing configuration file (so that running the wizard again changes
it), checks answers as the configuration schema does, finds the ports a device may be on,
runs each role's live test, the camera preview, the network check and the enrolment, and
writes the file. Blocking methods are called off the GUI thread (the wizard's runner).
"""

from __future__ import annotations

import glob
import logging
import os
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from pydantic import ValidationError

from devices.discovery import Detected, detect
from devices.registry import DRIVERS, check_device
from drivers.uvc_camera import video_nodes
from kiosk import paths
from kiosk.config import CONFIG_ENV, CONFIG_FILE_NAME, SiteConfig, SiteSection, parse_config
from sync.protocol.messages import EnrolRequest

from . import county
from .config_file import answers_of, checked, file_text, merged, read_existing, write_config
from .device_tests import CameraPreview, open_preview, role_words, run_test
from .ports import (
    DEFAULT_TIMEZONE,
    ROLES,
    Answers,
    DeviceChoice,
    NetworkLine,
    Outcome,
    PortChoice,
    Problem,
    SiteAnswers,
)

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
    """

    def __init__(self, config_path: Path, data_dir: Path, *,
                 discover: Callable[[], list[Detected]] | None = None,
                 cameras: Callable[[], list[tuple[str, str]]] | None = None,
                 inputs: Callable[[], list[str]] | None = None):
        self.config_path = Path(config_path)
        self.data_dir = Path(data_dir)
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
        default = SiteSection()
        if (self.base.site.code, self.base.site.name) == (default.code, default.name):
            # a new site, or a file that never named one: nothing of the demo site's identity
            # is offered as an answer
            site = SiteAnswers(kind="village", township=self.base.site.township,
                               village=self.base.site.village,
                               timezone=self.base.site.timezone)
            return Answers(site=site, devices=found.devices, hub_url=hub)
        return found

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

    def close(self) -> None:
        """Stop any camera preview still running."""
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


def _listed(problems: Iterable[Problem]) -> str:
    return "; ".join(f"{p.key}: {p.message}" for p in problems)


def _camera_nodes() -> list[tuple[str, str]]:
    """USB cameras' capture nodes (``index`` 0; 1 is a UVC camera's metadata node)."""
    return [(node.device, f"{node.name} {node.vid_pid}".strip()) for node in video_nodes()
            if node.index == 0]

