"""What every kiosk page shares: the station client, the runner, the devices, the language,
the mode, the latest queue state, and the ways to move on (go to a page, speak, ask staff).

No citizen data lives here: a page keeps what it read from a card or the station in its own
state, which :meth:`~kiosk.ui.kiosk.page.Page.forget` drops when the kiosk goes home.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.client.http import StationClient
from kiosk.counter_ports import DeviceStatus
from kiosk.kiosk_ports import KioskDevices
from kiosk.ui.runner import Runner

from . import look
from .language import Language

PORTS = {"id_card_reader": "card_reader", "ticket_printer": "printer",
         "code_scanner": "code_scanner", "document_camera": "camera_codes",
         "announcer": "speaker"}
"""Each device role → the attribute of :class:`~kiosk.kiosk_ports.KioskDevices` that holds
its port."""


@dataclass
class KioskContext:
    client: StationClient
    runner: Runner
    devices: KioskDevices
    lang: Language
    site_name: str = ""
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    elderly: bool = False
    status: dict[str, Any] = field(default_factory=dict)
    """The station's last ``GET /v1/status`` (categories with their waiting counts)."""
    station_ok: bool = False
    device_states: dict[str, DeviceStatus] = field(default_factory=dict)
    """role → the last state a device reported (the shell keeps it current)."""
    go: Callable[..., None] = lambda name, **kw: None
    """Show page ``name`` with the keyword arguments its ``arrive`` takes (the shell sets
    it)."""
    speak_out: Callable[[str], None] = lambda text: None
    catalogue: Any = None
    """The parsed catalogue (:class:`kiosk.domain.catalogue.Catalogue`), read once."""
    search_entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def theme(self) -> look.Theme:
        return look.theme(self.elderly)

    def t(self, source: str, *args: object) -> str:
        return self.lang.t(source, *args)

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz)

    def local(self, iso_text: str | None) -> dt.datetime | None:
        if not iso_text:
            return None
        try:
            when = dt.datetime.fromisoformat(iso_text)
        except ValueError:
            return None
        return when.astimezone(self.tz) if when.tzinfo else when.replace(tzinfo=self.tz)

    def speak(self, text: str) -> None:
        """Say ``text`` in elderly mode (every step is also spoken there)."""
        if self.elderly and text:
            self.speak_out(text)

    def problem(self, role: str) -> str | None:
        """Why ``role`` cannot be used now (its own words, in the current language), or
        None when it can."""
        port = getattr(self.devices, PORTS[role])
        if port is None:
            missing = self.devices.problems.get(role)
            return self.lang.half(missing.message) if missing and missing.message else \
                self.t("Not installed")
        state = self.device_states.get(role)
        if state is not None and not state.ok:
            return self.lang.half(state.message) or self.t("Not working")
        return None

    def can_scan(self) -> bool:
        return (self.problem("code_scanner") is None
                or self.problem("document_camera") is None)
