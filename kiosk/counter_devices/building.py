"""What the counter's and the kiosk's device builders share (kiosk/counter_devices/build.py,
kiosk/kiosk_devices/build.py): every planned role built through the registry and checked on
its own thread (a dead device costs the start-up its own timeout, not the sum; a driver bug
costs its role only), the ports that came out of it, and closing all that was built."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from devices.health import DeviceState, Health
from devices.registry import BuiltDevice
from kiosk.config import SiteConfig
from kiosk.counter_ports import DeviceStatus
from kiosk.site_devices import build_configured

from .status import unusable

log = logging.getLogger(__name__)


@dataclass
class Made:
    """One role's outcome: its port, or why not."""

    role: str
    port: Any = None
    problem: DeviceStatus | None = None
    stop: Callable[[], None] | None = None


Plan = tuple[str, str, Callable[[BuiltDevice], Made]]
"""(the screen's role, the configured role it is built from, what makes its port)."""


@dataclass
class Roles:
    """The outcome of :func:`build_roles`."""

    made: dict[str, Made] = field(default_factory=dict)
    built: dict[str, BuiltDevice] = field(default_factory=dict)
    problems: dict[str, DeviceStatus] = field(default_factory=dict)

    def port(self, role: str) -> Any:
        outcome = self.made.get(role)
        return None if outcome is None else outcome.port

    def close(self) -> None:
        close_all([m.stop for m in self.made.values() if m.port is not None and m.stop],
                  list(self.built.values()))

    def simulators(self) -> dict[str, object]:
        return {role: b.simulator for role, b in self.built.items() if b.simulator is not None}


def build_roles(config: SiteConfig, plans: Sequence[Plan], screen: str) -> Roles:
    """Build every planned role, then check them all at once. A role that cannot be built,
    or whose check finds it missing, is closed and listed in ``problems``."""
    roles = Roles()
    for role, configured, _ in plans:
        try:
            roles.built[role] = build_configured(config, configured)
        except Exception as exc:  # a bad option, a missing plugin, a busy pty
            log.warning("%s: %s could not be built: %s", screen, role, exc)
            roles.problems[role] = unusable(role, str(exc))
    todo = [(role, make) for role, _, make in plans if role in roles.built]
    if todo:
        with ThreadPoolExecutor(len(todo), thread_name_prefix=f"{screen}-devices") as pool:
            futures = {role: pool.submit(checked, role, make, roles.built[role])
                       for role, make in todo}
        roles.made = {role: future.result() for role, future in futures.items()}
    for role, outcome in roles.made.items():
        if outcome.problem is not None:
            roles.problems[role] = outcome.problem
            with contextlib.suppress(Exception):
                roles.built.pop(role).close()
    return roles


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
