"""Device health as every role reports it: ok, missing or error, in plain words, with what
to check. Shown to the technician by ``bianmin doctor`` and to the clerk on the counter
screen; never a stack trace."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field


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
