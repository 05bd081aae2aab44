"""The registry: which drivers serve which role, and building a role from ``[devices.<role>]``.

The site configuration names a driver and a port URL per role (docs/configuration.md). This
module checks both when the configuration loads (:func:`check_device`, called by the config
schema), so a typo in a driver name, a port or an option stops the program at start-up
with the file and line, not at the first print. It then opens the transport the URL names
and hands it to the driver: drivers never open their own (house style).

Importing this module is cheap: driver modules load only when a role is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drivers.transports import (
    FileTransport,
    SerialTransport,
    TcpTransport,
    Transport,
    TransportError,
)

from .urls import DeviceUrl, DeviceUrlError, parse_device_url

OptionValue = str | int | float | bool


@dataclass(frozen=True)
class DriverSpec:
    """What the config may say about one driver."""

    kind: str  # "id_card_reader" or "printer": which role class it builds
    model: str
    sim: str  # the simulator's name in sim://NAME
    default_baud: int
    options: Mapping[str, type] = field(default_factory=dict)


_SAM = DriverSpec(
    "id_card_reader", "GA 467 SAM ID card reader", "idcard", 115200,
    {"fingerprints": bool, "wlt_decoder": str, "wlt_symbol": str, "poll_interval_s": float,
     "timeout_s": float},
)
_ESCPOS = DriverSpec("printer", "ESC/POS receipt printer", "printer", 9600, {"timeout_s": float})

DRIVERS: dict[str, dict[str, DriverSpec]] = {
    "id_card_reader": {"ga467-sam": _SAM},
    "ticket_printer": {"escpos-generic": _ESCPOS},
    "receipt_printer": {"escpos-generic": _ESCPOS},
}

Problem = tuple[tuple[str, ...], str]  # (key path below [devices.<role>], plain message)


def check_device(role: str, driver: str, port: str, options: Mapping[str, Any]) -> list[Problem]:
    """Everything wrong with one ``[devices.<role>]`` table, without touching the device."""
    drivers = DRIVERS.get(role)
    if drivers is None:
        return []  # roles whose drivers come with later work accept any name for now
    spec = drivers.get(driver)
    if spec is None:
        return [(("driver",), f"unknown driver {driver!r} for {role} (known: "
                 + ", ".join(sorted(drivers)) + ")")]
    problems: list[Problem] = []
    try:
        url = parse_device_url(port)
    except DeviceUrlError as exc:
        return [(("port",), str(exc))]
    if url.scheme == "sim":
        if url.target != spec.sim:
            problems.append((("port",), f"the simulator of {driver} is sim://{spec.sim}, "
                             f"not sim://{url.target}"))
        else:
            try:
                _sim_config(spec, url.options)
            except ValueError as exc:
                problems.append((("port",), str(exc)))
    for key, value in options.items():
        wanted = spec.options.get(key)
        if wanted is None:
            known = ", ".join(sorted(spec.options)) or "none"
            problems.append((("options", key), f"unknown option {key!r} for {driver} "
                             f"(known options: {known})"))
        elif not _fits(value, wanted):
            problems.append((("options", key), f"expected {_type_words(wanted)}, "
                             f"got {value!r}"))
    return problems


def _fits(value: Any, wanted: type) -> bool:
    if wanted is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, wanted) and (wanted is bool or not isinstance(value, bool))


def _type_words(wanted: type) -> str:
    return {bool: "true or false", float: "a number", str: "a string", int: "an integer"}[wanted]


# --- simulators ----------------------------------------------------------------------------


def _sim_config(spec: DriverSpec, options: Mapping[str, str]) -> Any:
    if spec.kind == "id_card_reader":
        from drivers.sim.sam_reader import SamSimConfig

        return SamSimConfig.from_url_options(options)
    from drivers.sim.escpos_printer import EscPosSimConfig

    return EscPosSimConfig.from_url_options(options)


def start_simulator(spec: DriverSpec, url: DeviceUrl) -> Any:
    """A running simulator for a ``sim://`` port; it serves a pseudo-terminal at ``.path``."""
    config = _sim_config(spec, url.options)
    if spec.kind == "id_card_reader":
        from drivers.sim.sam_reader import SamReaderSim

        return SamReaderSim(config)
    from drivers.sim.escpos_printer import EscPosSim

    return _PrinterSimulator(EscPosSim(config))


class _PrinterSimulator:
    """The printer simulator served on a pseudo-terminal, as a serial printer would be."""

    def __init__(self, sim: Any):
        self.sim = sim
        self.link = sim.serve_pty()
        self.path = self.link.path

    def close(self) -> None:
        self.link.close()


# --- transports ----------------------------------------------------------------------------


def transport_opener(url: DeviceUrl, default_baud: int,
                     simulator: Any = None) -> Callable[[], Transport]:
    """A function that opens the URL's transport afresh each time (reconnection after an
    unplug calls it again)."""
    baud = int(url.options.get("baud", default_baud))
    if url.scheme == "serial":
        return lambda: SerialTransport(url.target, baud)
    if url.scheme == "tcp":
        host, port = url.host_port
        return lambda: TcpTransport(host, port)
    if url.scheme == "file":
        return lambda: FileTransport(url.target)
    if url.scheme == "sim":
        if simulator is None:
            raise ValueError("a sim:// port needs its simulator")
        return lambda: SerialTransport(simulator.path, baud)
    return lambda: _open_usb(url, baud)


def _open_usb(url: DeviceUrl, baud: int) -> Transport:
    """``usb://VID:PID``: the serial port (USB-serial or CDC-ACM) or the printer-class
    device file that has this id, looked up at each open so a replug on another port is
    found."""
    from serial.tools import list_ports

    from .discovery import usb_printers

    vid, pid = url.vid_pid
    for port in list_ports.comports():
        if (port.vid, port.pid) == (vid, pid):
            return SerialTransport(port.device, baud)
    for printer in usb_printers():
        if printer.vid_pid == url.target:
            return FileTransport(printer.url.removeprefix("file://"))
    raise TransportError(f"{url}: no device with USB id {url.target} is plugged in; check the "
                         "cable, or run `bianmin doctor list`")


# --- building roles ------------------------------------------------------------------------


@dataclass
class BuiltDevice:
    role: str
    driver: str
    url: DeviceUrl
    device: Any  # IdCardReader or TicketPrinter
    opener: Callable[[], Transport]
    simulator: Any = None

    def close(self) -> None:
        for part in (self.device, self.simulator):
            closer = getattr(part, "stop", None) or getattr(part, "close", None)
            if closer is not None:
                closer()


def build_device(role: str, driver: str, port: str, options: Mapping[str, OptionValue],
                 *, printer_profile: Any = None) -> BuiltDevice:
    """Make the role object for one configured device (not yet started).

    :param printer_profile: a :class:`drivers.escpos_printer.EscPosProfile` for printers.
    """
    problems = check_device(role, driver, port, options)
    if problems:
        raise ValueError("; ".join(message for _, message in problems))
    spec = DRIVERS[role][driver]
    url = parse_device_url(port)
    simulator = start_simulator(spec, url) if url.scheme == "sim" else None
    opener = transport_opener(url, spec.default_baud, simulator)
    if spec.kind == "id_card_reader":
        from drivers.wlt_plugin import load_decoder

        from .id_card_reader import IdCardReader

        decoder = load_decoder(str(options["wlt_decoder"]) if "wlt_decoder" in options else None,
                               symbol=str(options.get("wlt_symbol", "wlt2bmp")))
        device: Any = IdCardReader(
            opener, fingerprints=bool(options.get("fingerprints", False)),
            poll_interval_s=float(options.get("poll_interval_s", 0.3)),
            timeout_s=float(options.get("timeout_s", 5.0)), wlt_decoder=decoder,
        )
    else:
        from drivers.escpos_printer import EscPosProfile

        from .ticket_printer import TicketPrinter

        device = TicketPrinter(opener, printer_profile or EscPosProfile.for_paper(80),
                               timeout_s=float(options.get("timeout_s", 5.0)))
    return BuiltDevice(role, driver, url, device, opener, simulator)


def probers() -> dict[str, Callable[[Transport], bool]]:
    """Handshakes that tell a role from the bytes a device answers, for discovery."""
    from drivers.sam_ga467 import SamReader

    # The printer first: DLE EOT is a real-time query a SAM reader ignores, while a SAM
    # frame sent to a printer would print as junk characters.
    return {"ticket_printer": _printer_answers_status, "id_card_reader": SamReader.probe}


def _printer_answers_status(transport: Transport) -> bool:
    """An ESC/POS printer answers ``DLE EOT 1`` with a status byte of the right shape."""
    from drivers.escpos_printer import EscPosPrinter, EscPosProfile

    printer = EscPosPrinter(transport, EscPosProfile(), timeout_s=1.0, status_timeout_s=0.5)
    return printer.status() is not None
