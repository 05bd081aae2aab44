"""Device health (``devices.health.Health``) as the counter's ports say it
(:class:`kiosk.counter_ports.DeviceStatus`), and the words for a role that cannot be used."""

from __future__ import annotations

import logging
from collections.abc import Callable

from devices.health import Health
from kiosk.counter_ports import DeviceStatus, StatusCallback

log = logging.getLogger(__name__)

ROLE_WORDS = {
    "id_card_reader": ("身份证阅读器", "ID card reader"),
    "document_camera": ("高拍仪", "document camera"),
    "receipt_printer": ("回执打印机", "receipt printer"),
    "ticket_printer": ("小票打印机", "ticket printer"),
    "rating_terminal": ("评价器", "rating terminal"),
    "code_scanner": ("扫码枪", "code scanner"),
    "announcer": ("语音播报", "announcer"),
}
"""Each role's name in Chinese and English, for messages."""

HINT_CONFIG = ("检查站点设置中该设备的 driver 和 port，或运行 bianmin doctor / Check the device's "
               "driver and port in the site configuration, or run bianmin doctor")


def status_of(role: str, health: Health) -> DeviceStatus:
    """The port's status for a role's health (the words are the role's own)."""
    return DeviceStatus(role, health.ok, health.message, health.hint)


def unusable(role: str, why: str, hint: str = HINT_CONFIG) -> DeviceStatus:
    """"X无法使用 / the X cannot be used: why", for a role that could not be built."""
    zh, en = ROLE_WORDS.get(role, (role, role))
    return DeviceStatus(role, False, f"{zh}无法使用 / the {en} cannot be used: {why}", hint)


class StatusListeners:
    """Who wants to hear of a port's status; an error in one is logged, never raised into
    the device's thread."""

    def __init__(self, owner: str):
        self._owner = owner
        self._callbacks: list[StatusCallback] = []

    def add(self, callback: StatusCallback) -> None:
        self._callbacks.append(callback)

    def tell(self, status: DeviceStatus) -> None:
        for callback in list(self._callbacks):
            try:
                callback(status)
            except Exception:
                log.exception("%s: a status callback failed", self._owner)


def call_each(callbacks: list[Callable[..., None]], *args: object, owner: str) -> None:
    """Call every callback with ``args``; a failing one is logged (without the arguments:
    they can be personal data) and the rest still run."""
    for callback in list(callbacks):
        try:
            callback(*args)
        except Exception:
            log.exception("%s: a callback failed", owner)
