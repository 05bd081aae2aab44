"""The devices of this PC as the site configuration names them, built through the registry:
the one place the config's printer profiles meet the printer driver's profile type."""

from __future__ import annotations

from devices.registry import DRIVERS, BuiltDevice, build_device
from drivers.escpos_printer import EscPosProfile

from .config import SiteConfig


def escpos_profile_of(config: SiteConfig, name: str) -> EscPosProfile:
    """The driver's profile for the configuration's ``[printer_profiles.<name>]``."""
    return EscPosProfile.from_settings(config.printer_profiles[name].model_dump())


def build_configured(config: SiteConfig, role: str) -> BuiltDevice:
    """Build (not start) the device configured for ``role``.

    :raises KeyError: no device is configured for the role, or no driver exists for it.
    """
    device = config.devices[role]  # type: ignore[index]
    spec = DRIVERS[role][device.driver]
    profile = None
    if spec.kind == "printer":
        profile = escpos_profile_of(config, device.printer_profile or "default")
    return build_device(role, device.driver, device.port, device.options,
                        printer_profile=profile)
