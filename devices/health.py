"""Device health as every role reports it: ok, missing or error, in plain words, with what
to check. Shown to the technician by ``bianmin doctor`` and to the clerk on the counter
screen; never a stack trace."""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


class DeviceState(enum.Enum):
    OK = "ok"
    MISSING = "missing"  # not connected, unplugged, not found
    ERROR = "error"  # connected but not working (paper out, SAM fault, bad answers)


@dataclass(frozen=True)
class Health:
    """``message`` says what is wrong and ``hint`` what to check, each as
    ``"中文 / English"``. When the state is ok they are usually empty, or carry a note worth
    showing (printer status unknown, paper nearly finished)."""

    state: DeviceState
    message: str = ""
    hint: str = ""
    since: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.state is DeviceState.OK

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state.value, "message": self.message, "hint": self.hint}


OK = Health(DeviceState.OK)

HINT_CABLE = "检查数据线和电源 / Check the cable and the power"
HINT_PERMISSION = ("把服务用户加入 bianmin 组并检查 udev 规则 / "
                   "Add the service user to the bianmin group and check the udev rule")
HINT_BAUD = "检查波特率设置 / Check the baud rate setting"


def not_opened(zh: str, en: str) -> Health:
    """The state of a role before its first open: missing, "X尚未打开 / the X has not been
    opened yet"."""
    return Health(DeviceState.MISSING, f"{zh}尚未打开 / the {en} has not been opened yet")


class HealthReport:
    """A role's current health and who wants to hear when it changes; thread-safe.

    A report equal in state, message and hint to the current one is not a change, so a
    polling thread may repeat itself freely. Subscribers are called outside the lock, and an
    error in one is logged, never raised into the role's thread.
    """

    def __init__(self, initial: Health, owner: str):
        self._lock = threading.Lock()
        self._health = initial
        self._subscribers: list[Callable[[Health], None]] = []
        self._owner = owner

    def get(self) -> Health:
        with self._lock:
            return self._health

    def subscribe(self, callback: Callable[[Health], None]) -> None:
        self._subscribers.append(callback)

    def set(self, health: Health) -> bool:
        """Record ``health``; True (and subscribers told) when it differs from the last."""
        with self._lock:
            old = self._health
            if (old.state, old.message, old.hint) == (health.state, health.message, health.hint):
                return False
            new = self._health = Health(health.state, health.message, health.hint)
        for callback in list(self._subscribers):
            try:
                callback(new)
            except Exception:
                log.exception("%s health callback %r failed", self._owner, callback)
        return True
