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
from importlib import import_module
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

    kind: str  # which role class it builds: id_card_reader, printer, sign, scanner, ...
    model: str
    sim: str  # the simulator's name in sim://NAME
    default_baud: int
    options: Mapping[str, type] | str = field(default_factory=dict)
    """Allowed option names and types, or ``"module:NAME"`` of such a table, imported only
    when a configuration uses the driver (keeps start-up light)."""
    schemes: tuple[str, ...] = ("serial", "usb", "tcp", "file", "sim")
    """The port URL schemes this driver can use."""

    def option_types(self) -> Mapping[str, type]:
        if isinstance(self.options, str):
            module, _, name = self.options.partition(":")
            return getattr(import_module(module), name)
        return self.options


_SERIAL = ("serial", "usb", "tcp", "sim")
_SAM = DriverSpec(
    "id_card_reader", "GA 467 SAM ID card reader", "idcard", 115200,
    {"fingerprints": bool, "wlt_decoder": str, "wlt_symbol": str, "poll_interval_s": float,
     "timeout_s": float},
)
_ESCPOS = DriverSpec("printer", "ESC/POS receipt printer", "printer", 9600, {"timeout_s": float})
_ANNOUNCER = ("audio", "file", "sim")

DRIVERS: dict[str, dict[str, DriverSpec]] = {
    "id_card_reader": {"ga467-sam": _SAM},
    "ticket_printer": {"escpos-generic": _ESCPOS},
    "receipt_printer": {"escpos-generic": _ESCPOS},
    "window_sign": {
        "led-sign": DriverSpec("sign", "serial LED window sign", "sign", 9600,
                               "devices.window_sign:SIGN_OPTIONS", _SERIAL),
    },
    "code_scanner": {
        "keyboard-wedge": DriverSpec("scanner", "keyboard-wedge code scanner", "scanner", 9600,
                                     "devices.code_scanner:WEDGE_OPTIONS", ("file", "sim")),
        "serial-scanner": DriverSpec("scanner", "serial code scanner", "scanner", 9600,
                                     "devices.code_scanner:SERIAL_OPTIONS", _SERIAL),
    },
    "rating_terminal": {
        "bianmin-rating-v1": DriverSpec("rating", "rating terminal (Bianmin protocol v1)",
                                        "rating", 9600,
                                        {"timeout_s": float, "heartbeat_interval_s": float},
                                        _SERIAL),
        "keypad-5key": DriverSpec("keypad", "5-key USB rating keypad", "rating", 9600,
                                  {"keys": str, "debounce_s": float, "grab": bool}, ("file",)),
    },
    "document_camera": {
        "uvc-generic": DriverSpec(
            "camera", "UVC document camera (高拍仪)", "camera", 0,
            {"purpose": str, "preview_size": str, "capture_size": str, "max_fps": float,
             "read_timeout_s": float, "reopen_interval_s": float, "capture_skip_frames": int,
             "view_width_mm": float},
            ("file", "usb", "sim")),
    },
    "announcer": {
        "clips": DriverSpec("announcer", "Mandarin calls from recorded clips", "announcer", 0,
                            "devices.announcer:ANNOUNCER_OPTIONS", _ANNOUNCER),
        "espeak-ng": DriverSpec("announcer", "Mandarin calls by espeak-ng", "announcer", 0,
                                "devices.announcer:ANNOUNCER_OPTIONS", _ANNOUNCER),
    },
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
    if url.scheme not in spec.schemes:
        return [(("port",), f"{driver} cannot use a {url.scheme}:// port; use "
                 + ", ".join(f"{s}://" for s in spec.schemes))]
    if url.scheme == "sim":
        if url.target != spec.sim:
            problems.append((("port",), f"the simulator of {driver} is sim://{spec.sim}, "
                             f"not sim://{url.target}"))
        else:
            try:
                config = _sim_config(spec, url.options)
            except ValueError as exc:
                problems.append((("port",), str(exc)))
            else:
                problems += _sim_fits_driver(spec, driver, config)
    types = spec.option_types()
    for key, value in options.items():
        wanted = types.get(key)
        if wanted is None:
            known = ", ".join(sorted(types)) or "none"
            problems.append((("options", key), f"unknown option {key!r} for {driver} "
                             f"(known options: {known})"))
        elif not _fits(value, wanted):
            problems.append((("options", key), f"expected {_type_words(wanted)}, "
                             f"got {value!r}"))
    if spec.kind == "announcer" and not problems:
        from .announcer import option_problems

        problems += [(("options", key) if key != "driver" else ("driver",), message)
                     for key, message in option_problems(driver, options)]
    return problems


def _sim_fits_driver(spec: DriverSpec, driver: str, config: Any) -> list[Problem]:
    if spec.kind == "scanner":
        wanted = "wedge" if driver == "keyboard-wedge" else "serial"
        if config.mode != wanted:
            return [(("port",), f"{driver} needs sim://scanner?mode={wanted}")]
    return []


def _fits(value: Any, wanted: type) -> bool:
    if wanted is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, wanted) and (wanted is bool or not isinstance(value, bool))


def _type_words(wanted: type) -> str:
    return {bool: "true or false", float: "a number", str: "a string", int: "an integer"}[wanted]


# --- simulators ----------------------------------------------------------------------------

_SIM_CONFIGS = {
    "id_card_reader": "drivers.sim.sam_reader:SamSimConfig",
    "printer": "drivers.sim.escpos_printer:EscPosSimConfig",
    "sign": "drivers.sim.led_sign:LedSignSimConfig",
    "scanner": "drivers.sim.code_scanner:CodeScannerSimConfig",
    "rating": "drivers.sim.rating_terminal:RatingSimConfig",
    "announcer": "drivers.sim.announcer:AnnouncerSimConfig",
    "camera": "drivers.sim.synthetic_camera:SyntheticCameraConfig",
}


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def _sim_config(spec: DriverSpec, options: Mapping[str, str]) -> Any:
    if spec.kind not in _SIM_CONFIGS:
        raise ValueError(f"{spec.model} has no simulator")
    return _load(_SIM_CONFIGS[spec.kind]).from_url_options(options)


def start_simulator(spec: DriverSpec, url: DeviceUrl) -> Any:
    """A running simulator for a ``sim://`` port; serial ones serve a pseudo-terminal at
    ``.path``."""
    config = _sim_config(spec, url.options)
    if spec.kind == "id_card_reader":
        return _load("drivers.sim.sam_reader:SamReaderSim")(config)
    if spec.kind == "printer":
        return _PrinterSimulator(_load("drivers.sim.escpos_printer:EscPosSim")(config))
    if spec.kind == "sign":
        return _load("drivers.sim.led_sign:LedSignSim")(config)
    if spec.kind == "rating":
        return _load("drivers.sim.rating_terminal:RatingTerminalSim")(config)
    if spec.kind == "announcer":
        return _load("drivers.sim.announcer:AnnouncerSim")(config)
    raise ValueError(f"{spec.model} has no simulator")


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
                 *, printer_profile: Any = None, compose: Any = None) -> BuiltDevice:
    """Make the role object for one configured device (not yet started).

    :param printer_profile: a :class:`drivers.escpos_printer.EscPosProfile` for printers.
    :param compose: for the announcer, the application's call composer
        (kiosk.domain.call_text.composer); devices cannot import the application.
    """
    problems = check_device(role, driver, port, options)
    if problems:
        raise ValueError("; ".join(message for _, message in problems))
    spec = DRIVERS[role][driver]
    url = parse_device_url(port)
    if spec.kind == "scanner":
        from .code_scanner import CodeScanner, scanner_from_url

        open_source, simulator = scanner_from_url(port, options)
        return BuiltDevice(role, driver, url, CodeScanner(open_source), _unusable, simulator)
    if spec.kind == "camera":
        from .document_camera import DocumentCamera, camera_options, source_opener

        device = DocumentCamera(source_opener(url), **camera_options(dict(options)))
        return BuiltDevice(role, driver, url, device, _unusable)
    if spec.kind == "announcer":
        from .announcer import build_announcer, sink_for_port

        simulator = start_simulator(spec, url) if url.scheme == "sim" else None
        sink = simulator or sink_for_port(port, options)
        device = build_announcer(driver, sink, options, compose=compose)
        return BuiltDevice(role, driver, url, device, _unusable, simulator)
    if spec.kind == "keypad":
        from drivers.rating_keypad import parse_keymap

        from .rating_terminal import RatingTerminal, keypad_opener

        keys = options.get("keys")
        grab = bool(options.get("grab", True))
        device = RatingTerminal(
            kind="keypad", open_keys=keypad_opener(url.target, grab=grab),
            keymap=parse_keymap(str(keys)) if keys else None,
            debounce_s=float(options.get("debounce_s", 0.3)))
        return BuiltDevice(role, driver, url, device, _unusable)
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
    elif spec.kind == "printer":
        from drivers.escpos_printer import EscPosProfile

        from .ticket_printer import TicketPrinter

        device = TicketPrinter(opener, printer_profile or EscPosProfile.for_paper(80),
                               timeout_s=float(options.get("timeout_s", 5.0)))
    elif spec.kind == "sign":
        from .window_sign import sign_from_options

        device = sign_from_options(opener, dict(options))
    else:  # rating terminal, our protocol
        from .rating_terminal import RatingTerminal

        device = RatingTerminal(
            opener, kind="bianmin", timeout_s=float(options.get("timeout_s", 2.0)),
            heartbeat_interval_s=float(options.get("heartbeat_interval_s", 5.0)))
    return BuiltDevice(role, driver, url, device, opener, simulator)


def _unusable() -> Transport:
    raise TransportError("this device is not reached through a byte transport")


def probers() -> dict[str, Callable[[Transport], bool]]:
    """Handshakes that tell a role from the bytes a device answers, for discovery."""
    # The printer first: DLE EOT is a real-time query a SAM reader ignores, while a SAM
    # frame sent to a printer would print as junk characters.
    from drivers.rating_bianmin import BianminRatingTerminal
    from drivers.sam_ga467 import SamReader

    return {"ticket_printer": _printer_answers_status, "id_card_reader": SamReader.probe,
            "rating_terminal": BianminRatingTerminal.probe}


def _printer_answers_status(transport: Transport) -> bool:
    """An ESC/POS printer answers ``DLE EOT 1`` with a status byte of the right shape."""
    from drivers.escpos_printer import EscPosPrinter, EscPosProfile

    printer = EscPosPrinter(transport, EscPosProfile(), timeout_s=1.0, status_timeout_s=0.5)
    return printer.status() is not None
