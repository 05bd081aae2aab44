"""What the setup wizard's Qt pages see of the model: plain data and one protocol.

``kiosk.ui`` may not import ``devices``, ``drivers`` or the store (DESIGN.md §3), and the
model uses all three; so the pages are handed a :class:`SetupPort` (the command builds a
:class:`kiosk.setup_wizard.model.SetupModel`) and know only the shapes below. Tests may hand
in anything with the same shape.

Every method marked *blocking* talks to a device, the network or the disk: the pages call
it off the GUI thread. None of them raises for a device or network problem: an
:class:`Outcome` says what happened in plain words, "中文 / English", and what to do.

No Qt here, no devices, no store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

from kiosk.counter_ports import Preview

ROLES = ("id_card_reader", "ticket_printer", "receipt_printer", "document_camera",
         "rating_terminal", "window_sign", "code_scanner", "announcer")
"""The device roles of ``[devices.<role>]``, in the order the wizard lists them."""

SITE_KINDS = ("township", "village")
SCREENS = ("none", "kiosk", "display", "counter")
"""What this PC shows: no screen of its own (the station's PC), the citizen's kiosk, the
hall display, or the counter screen a clerk or a village agent opens on the desktop
(kiosk/setup_wizard/services.py)."""
COUNTER_MODES = ("counter", "agent", "home_visit")
"""``bianmin counter --mode``: a window of a centre, 帮办代办 at a village point, 上门服务."""
DEFAULT_TIMEZONE = "Asia/Shanghai"


class Outcome(NamedTuple):
    """How a test, a check or a write went: ``ok``, what happened (``words``) and, when it
    is not ok, what to do (``hint``); both "中文 / English"."""

    ok: bool
    words: str
    hint: str = ""


@dataclass(frozen=True)
class SiteAnswers:
    """``[site]`` as the technician answers it (schema: kiosk/config/schema.py)."""

    code: str = ""
    name: str = ""
    kind: str = "village"
    township: str = ""
    village: str = ""
    timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True)
class DeviceChoice:
    """The driver and the port (device URL) chosen for one role. The options and printer
    profile of the existing file are kept by the model while the driver stays the same."""

    driver: str
    port: str


@dataclass(frozen=True)
class PcAnswers:
    """What this PC plays: ``screen`` (one of :data:`SCREENS`); ``station_url`` is "" when
    the station runs here, else the URL of the PC it runs on; ``pair_code`` is the one-time
    code ``bianmin station pair --role <screen>`` printed there (needed only the first time:
    the token it gives is kept); ``kiosk_pin`` is a new technician's PIN for the kiosk's way
    out (4 to 12 digits; "" keeps the one set before; only its scrypt hash is written)."""

    screen: str = "none"
    station_url: str = ""
    pair_code: str = ""
    kiosk_pin: str = ""
    window: str = ""
    """The counter's window number, as the station numbers it (a counter PC only)."""
    counter_mode: str = "counter"
    desktop_user: str = ""
    """The desktop account the clerk or agent logs in with (a counter PC only): it joins
    the group ``bianmin`` for the devices and the counter's token."""


@dataclass(frozen=True)
class Answers:
    """Everything the wizard asks. ``devices`` holds only the roles in use; ``hub_url`` is
    not part of the configuration file (the sync daemon keeps it at enrolment)."""

    site: SiteAnswers = field(default_factory=SiteAnswers)
    devices: Mapping[str, DeviceChoice] = field(default_factory=dict)
    hub_url: str = ""
    pc: PcAnswers = field(default_factory=PcAnswers)


@dataclass(frozen=True)
class Problem:
    """One answer the configuration would not accept: the dotted key (``site.code``,
    ``devices.ticket_printer.port``) and the schema's own words."""

    key: str
    message: str


@dataclass(frozen=True)
class PortChoice:
    """A port offered for a role: ``kind`` is ``current`` (what the existing configuration
    says), ``detected`` (found on this PC now), ``usual`` (the sound card) or ``simulator``
    (a ``sim://`` port, for a trial); ``detail`` names the device as the system sees it;
    ``drivers`` are the role's drivers that can use it."""

    url: str
    kind: str
    detail: str = ""
    drivers: tuple[str, ...] = ()


@dataclass(frozen=True)
class NetworkLine:
    """One line of the network check: ``what`` is ``station``, ``hub`` or ``dns``;
    ``checked`` is false when there was nothing to check (no hub URL given)."""

    what: str
    outcome: Outcome
    checked: bool = True


class PreviewPort(Protocol):
    """A running document camera for the wizard's preview."""

    def frame(self, timeout_s: float) -> Preview | Outcome:
        """*Blocking*: the newest picture with the page outlined (``quad``), or why there is
        none."""

    def close(self) -> None: ...


class SetupPort(Protocol):
    """The wizard's model (kiosk/setup_wizard/model.py)."""

    config_path: Path
    """The file :meth:`write` writes (and the one read at the start, when it exists)."""
    data_dir: Path
    load_problem: str
    """Why the existing file could not be used ("" when it could or there was none): the
    wizard then starts from the defaults and says so."""

    def answers(self) -> Answers:
        """The starting answers: the existing configuration's, else the defaults."""

    def timezones(self) -> list[str]: ...

    def drivers(self, role: str) -> list[str]:
        """The drivers that can serve ``role``, the usual one first."""

    def validate(self, answers: Answers) -> list[Problem]:
        """Everything the configuration would refuse (empty: it can be written)."""

    def find_ports(self) -> dict[str, list[PortChoice]]:
        """*Blocking*: the ports to offer per role: what discovery finds, the current ones
        and the simulators."""

    def simulators(self) -> dict[str, DeviceChoice]:
        """A simulated device for every role (a trial without the hardware; the screenshot
        tour)."""

    def test_device(self, answers: Answers, role: str) -> Outcome:
        """*Blocking*, within the role's timeout: the role's live test (print the test page,
        read a card, ...) with the device ``answers`` chose for it."""

    def open_preview(self, answers: Answers) -> PreviewPort | Outcome:
        """*Blocking*: the chosen document camera started for a preview, or why not."""

    def enrolment(self) -> tuple[str, str] | None:
        """(site code, hub URL) this site is enrolled as, or None (looked up at the start
        and kept up to date by :meth:`enrol`)."""

    def enrol(self, answers: Answers, code: str) -> Outcome:
        """*Blocking*: enrol the site with ``answers.hub_url`` under the one-time ``code``
        (the enrolment of ``bianmin sync enrol``)."""

    def check_network(self, answers: Answers) -> list[NetworkLine]:
        """*Blocking*, a few seconds at most: the station's port, the hub, DNS."""

    def config_text(self, answers: Answers) -> str:
        """The file :meth:`write` would write."""

    def write(self, answers: Answers) -> Outcome:
        """*Blocking*: write the configuration (atomically, mode 0640, the previous file kept
        as a backup)."""

    def pin_set(self) -> bool:
        """Whether the configuration read at the start has a kiosk PIN (``[kiosk]
        unlock_pin_hash``)."""

    def apply(self, answers: Answers) -> list[Outcome]:
        """*Blocking*, after :meth:`write`: make this PC play ``answers.pc``: the screen's
        token, the services switched on and off. One outcome per step."""
