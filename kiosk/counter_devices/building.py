"""What the counter's and the kiosk's device builders share (kiosk/counter_devices/build.py,
kiosk/kiosk_devices/build.py): one role's outcome, checking a role so that a driver bug costs
that role only, and closing everything that was built."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.health import DeviceState, Health
from devices.registry import BuiltDevice
from kiosk.counter_ports import DeviceStatus

from .status import unusable

log = logging.getLogger(__name__)


@dataclass
class Made:
    """One role's outcome: its port, or why not."""

    role: str
    port: Any = None
    problem: DeviceStatus | None = None
    stop: Callable[[], None] | None = None


def checked(role: str, make: Callable[[BuiltDevice], Made], built: BuiltDevice) -> Made:
    """``make(built)``, or the role marked unusable when it raised."""
    try:
        return make(built)
    except Exception as exc:  # a driver bug must cost this role only
        log.exception("checking the %s failed", role)
        return Made(role, problem=unusable(role, type(exc).__name__))


def close_all(stops: list[Callable[[], None]], built: list[BuiltDevice]) -> None:
    """Stop the ports' threads, then close the devices; one failure stops nothing else."""
    for stop in stops:
        try:
            stop()
        except Exception:
            log.exception("stopping a device failed")
    for device in built:
        try:
            device.close()
        except Exception:
            log.exception("closing %s failed", device.role)


def missing(health: Health) -> bool:
    """Not connected at all (as opposed to connected and unhappy: paper out)."""
    return health.state is DeviceState.MISSING
