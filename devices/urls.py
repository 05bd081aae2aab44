"""Device URLs: the one way a port is named, in the config, in ``bianmin doctor`` and in logs.

    serial:///dev/ttyUSB0?baud=115200   a serial port or USB-serial bridge
    usb://0400:C35A                     a USB device by vendor and product id (hex)
    tcp://192.168.1.50:9100             a network device
    file:///dev/usb/lp0                 a device file (USB printer class) or a plain file
    sim://idcard?card=resident_elderly  the built-in simulator of a device, with its options
    audio://default                     an audio output (ALSA device name, or default)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

SCHEMES = ("serial", "usb", "tcp", "file", "sim", "audio")


class DeviceUrlError(ValueError):
    """A device URL that cannot be used, said plainly."""


@dataclass(frozen=True)
class DeviceUrl:
    scheme: str
    target: str  # path for serial/file, "host:port" for tcp, "VID:PID" for usb, name for sim
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.target.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def vid_pid(self) -> tuple[int, int]:
        vid, pid = self.target.split(":")
        return int(vid, 16), int(pid, 16)

    def __str__(self) -> str:
        return self.text


def parse_device_url(text: str) -> DeviceUrl:
    """Parse and check a device URL; :class:`DeviceUrlError` says what is wrong."""
    if "://" not in text:
        hint = f" (did you mean serial://{text}?)" if re.fullmatch(r"/dev/\S+|COM\d+", text) else ""
        raise DeviceUrlError(f"{text!r} is not a device URL{hint}")
    parts = urlsplit(text)
    scheme = parts.scheme
    if scheme not in SCHEMES:
        raise DeviceUrlError(f"{text!r}: unknown scheme {scheme!r}; use one of "
                             + ", ".join(f"{s}://" for s in SCHEMES))
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    if scheme in ("serial", "file"):
        target = parts.path
        if not target.startswith("/"):
            raise DeviceUrlError(f"{text!r}: give an absolute path, e.g. {scheme}:///dev/ttyUSB0")
        if scheme == "serial" and "baud" in options and not options["baud"].isdigit():
            raise DeviceUrlError(f"{text!r}: baud must be a number, e.g. baud=115200")
    elif scheme == "tcp":
        target = parts.netloc
        try:
            port = parts.port
        except ValueError as exc:
            raise DeviceUrlError(f"{text!r}: the port must be a number from 1 to 65535") from exc
        if not parts.hostname or port is None:
            raise DeviceUrlError(f"{text!r}: give host and port, e.g. tcp://192.168.1.50:9100")
    elif scheme == "usb":
        target = parts.netloc.upper()
        if not re.fullmatch(r"[0-9A-F]{4}:[0-9A-F]{4}", target):
            raise DeviceUrlError(f"{text!r}: give the vendor and product id in hex, "
                                 "e.g. usb://0400:C35A")
    elif scheme == "audio":
        target = parts.netloc or parts.path.lstrip("/") or "default"
    else:  # sim
        target = parts.netloc or parts.path.lstrip("/")
        if not target:
            raise DeviceUrlError(f"{text!r}: name the simulator, e.g. sim://printer")
    return DeviceUrl(scheme, target, options, text)
