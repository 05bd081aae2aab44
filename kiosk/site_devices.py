"""The devices of this PC as the site configuration names them, built through the registry:
the one place the config's printer profiles meet the printer driver's profile type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from devices.registry import DRIVERS, BuiltDevice, build_device
from drivers.escpos_printer import EscPosProfile

from .config import SiteConfig
from .domain.call_text import DEFAULT_TEMPLATE, SpeechStyle, composer


def escpos_profile_of(config: SiteConfig, name: str) -> EscPosProfile:
    """The driver's profile for the configuration's ``[printer_profiles.<name>]``."""
    return EscPosProfile.from_settings(config.printer_profiles[name].model_dump())


def build_configured(config: SiteConfig, role: str) -> BuiltDevice:
    """Build (not start) the device configured for ``role``.

    :raises KeyError: no device is configured for the role, or no driver exists for it.
    """
    device = config.devices[role]  # type: ignore[index]
    spec = DRIVERS[role][device.driver]
    profile = compose = None
    if spec.kind == "printer":
        profile = escpos_profile_of(config, device.printer_profile or "default")
    if spec.kind == "announcer":
        compose = call_composer(device.options)
    return build_device(role, device.driver, device.port, device.options,
                        printer_profile=profile, compose=compose)


def call_composer(options: Mapping[str, Any]) -> Any:
    """The words of a call from the announcer's options (template, how numbers are read)."""
    style = SpeechStyle(one_as_yao=bool(options.get("one_as_yao", False)),
                        ticket_cardinal=bool(options.get("ticket_cardinal", False)))
    return composer(str(options.get("template", DEFAULT_TEMPLATE)), style)
