"""The code scanner role: QR codes and barcodes (appointment check-in, ticket codes, case
numbers) from a keyboard-wedge scanner read through evdev, or a scanner in serial mode.

Two kinds of source, one interface (:class:`ScanSource`: ``read_scan(timeout_s)``,
``close()``):

- :class:`WedgeScanner`: :class:`drivers.evdev_input.EvdevDevice` (exclusive grab, so no
  scan lands in a text field and no input method swallows it) feeding
  :class:`drivers.scan_decoder.ScanDecoder` (bursts to scans);
- :class:`drivers.scanner_serial.SerialScanner`: USB-CDC / RS-232 lines.

:class:`CodeScanner` reads its source in a thread and calls ``on_scan`` callbacks. No
exception escapes the thread: a lost device (:class:`TransportError`: unplugged, no
permission, grabbed by another program) closes the source, reports ``MISSING`` and is
reopened through ``open_source`` every ``reopen_interval_s``. Scanned text can be personal
data (an ID number in a QR code): it is never logged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from drivers.evdev_input import EvdevDevice
from drivers.scan_decoder import Scan, ScanDecoder
from drivers.scanner_serial import DEFAULT_BAUD, LineReader, SerialScanner
from drivers.transports import Transport, TransportError

from .health import HINT_CABLE, HINT_PERMISSION, OK, DeviceState, Health, HealthReport, not_opened

log = logging.getLogger(__name__)

ScanCallback = Callable[[Scan], None]
HealthCallback = Callable[[Health], None]

NOT_CONNECTED = "找不到扫码枪 / The code scanner is not connected"
HINT_INPUT = ("把服务用户加入 input（或 bianmin）组并检查 udev 规则 / "
              "Add the service user to the input (or bianmin) group and check the udev rule")
HINT_GRABBED = ("关闭占用扫码枪的其他程序（如另一个 bianmin） / "
                "Close the other program that holds the scanner (e.g. another bianmin)")

WEDGE_OPTIONS: dict[str, type] = {
    "gap_ms": float, "end_gap_ms": float, "terminator": str, "min_length": int,
    "max_length": int, "prefix": str, "suffix": str, "require_prefix": bool, "grab": bool,
}
"""Options of the ``keyboard-wedge`` driver (``[devices.code_scanner] options``)."""
SERIAL_OPTIONS: dict[str, type] = {
    "terminator": str, "max_length": int, "line_timeout_ms": float, "encodings": str,
}
"""Options of the ``serial-scanner`` driver."""


class NoScanError(TimeoutError):
    """Nothing was scanned within the time allowed (:meth:`CodeScanner.read_once`)."""


class ScanSource(Protocol):
    def read_scan(self, timeout_s: float) -> Scan | None: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- wedge source


class WedgeScanner:
    """A keyboard-wedge scanner: an input device read through evdev, decoded into scans.

    Gaps between keys are measured on the kernel's event timestamps, so a busy Python
    thread cannot make a scan look like typing.
    """

    def __init__(self, device: EvdevDevice, decoder: ScanDecoder):
        self.device = device
        self.decoder = decoder
        if not decoder.source:
            decoder.source = f"wedge:{device.path}"
        self._ready: list[Scan] = []
        self._last_event = 0.0
        self._last_arrival = time.monotonic()
        self._inode = _inode(device.path)

    def _now(self) -> float:
        """Now on the events' clock (kernel timestamps: CLOCK_REALTIME by default)."""
        return self._last_event + (time.monotonic() - self._last_arrival)

    def read_scan(self, timeout_s: float) -> Scan | None:
        """The next scan within ``timeout_s``, or None.

        :raises TransportError: the device went away.
        """
        deadline = time.monotonic() + timeout_s
        while not self._ready:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            wait = min(left, 0.05) if self.decoder.pending else min(left, 0.5)
            events = self.device.read_events(wait)
            if events:
                self._last_arrival = time.monotonic()
                for event in events:
                    self._last_event = event.time
                    scan = self.decoder.feed(event.time, event)
                    if scan is not None:
                        self._ready.append(scan)
            else:
                self._check_present()
                scan = self.decoder.expire(self._now())
                if scan is not None:
                    self._ready.append(scan)
        return self._ready.pop(0) if self._ready else None

    def _check_present(self) -> None:
        # A character device that goes away fails the read (ENODEV). A FIFO standing in for
        # one (the simulator) only reads empty, so notice it was removed or replaced.
        if self.device.is_char_device:
            return
        if _inode(self.device.path) != self._inode:
            raise TransportError(f"{self.device.path}: the input device went away")

    def close(self) -> None:
        self.device.close()


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


# --------------------------------------------------------------------------- options


def _number(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{key} must be a number, not {value!r}")
    return float(value)


def _check_known(options: Mapping[str, Any], known: Mapping[str, type], driver: str) -> None:
    if unknown := set(options) - set(known):
        raise ValueError(f"unknown option(s) for {driver}: {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(sorted(known))})")


def decoder_from_options(options: Mapping[str, Any], source: str = "") -> ScanDecoder:
    """A :class:`ScanDecoder` from ``keyboard-wedge`` options (times in milliseconds;
    ``end_gap_ms`` 0 or absent: only the terminator or suffix end a scan)."""
    _check_known(options, WEDGE_OPTIONS, "keyboard-wedge")
    options = {k: v for k, v in options.items() if k != "grab"}
    end_gap = _number(options, "end_gap_ms", 0)
    return ScanDecoder(
        gap_s=_number(options, "gap_ms", 50) / 1000,
        terminator=str(options.get("terminator", "enter")),  # type: ignore[arg-type]
        end_gap_s=end_gap / 1000 if end_gap else None,
        min_length=int(options.get("min_length", 3)),
        max_length=int(options.get("max_length", 4096)),
        prefix=str(options.get("prefix", "")),
        suffix=str(options.get("suffix", "")),
        require_prefix=bool(options.get("require_prefix", False)),
        source=source,
    )


def line_reader_from_options(options: Mapping[str, Any], source: str = "") -> LineReader:
    """A :class:`LineReader` from ``serial-scanner`` options (``encodings`` as
    ``"utf-8,gb18030"``; ``line_timeout_ms`` in milliseconds)."""
    _check_known(options, SERIAL_OPTIONS, "serial-scanner")
    encodings = [e.strip() for e in str(options.get("encodings", "utf-8,gb18030")).split(",")
                 if e.strip()]
    try:
        return LineReader(
            terminator=str(options.get("terminator", "cr")),  # type: ignore[arg-type]
            max_length=int(options.get("max_length", 4096)),
            line_timeout_s=_number(options, "line_timeout_ms", 200) / 1000,
            encodings=tuple(encodings), source=source,
        )
    except LookupError as exc:
        raise ValueError(f"encodings: {exc}") from None


def wedge_opener(path: str, options: Mapping[str, Any] | None = None
                 ) -> Callable[[], WedgeScanner]:
    """Opens ``path`` (``/dev/input/eventN``, a ``/dev/input/by-id/...`` link, or the
    simulator's FIFO) afresh each call. Options are checked now, not at the first open."""
    options = dict(options or {})
    grab = bool(options.pop("grab", True))
    decoder_from_options(options)  # ValueError now, at configuration time

    def open_wedge() -> WedgeScanner:
        device = EvdevDevice(path, grab=grab)
        return WedgeScanner(device, decoder_from_options(options))

    return open_wedge


def serial_opener(open_transport: Callable[[], Transport],
                  options: Mapping[str, Any] | None = None) -> Callable[[], SerialScanner]:
    """Wraps a transport opener (devices.registry.transport_opener) into a scanner source
    opener. Options are checked now."""
    options = dict(options or {})
    line_reader_from_options(options)

    def open_serial() -> SerialScanner:
        return SerialScanner(open_transport(), line_reader_from_options(options))

    return open_serial


def scanner_from_url(port: str, options: Mapping[str, Any] | None = None
                     ) -> tuple[Callable[[], ScanSource], Any]:
    """``(open_source, simulator or None)`` for a device URL:

    - ``file:///dev/input/eventN`` (or a by-id link): keyboard wedge;
    - ``serial://``, ``usb://VID:PID``, ``tcp://``: serial mode (default 9600 baud);
    - ``sim://scanner?mode=serial|wedge&...``: the simulator (started here; close it).

    :raises ValueError: (or devices.urls.DeviceUrlError) a URL or option that cannot be
        used, in plain words.
    """
    from drivers.sim.code_scanner import CodeScannerSimConfig, start_scanner_sim

    from .registry import transport_opener
    from .urls import parse_device_url

    url = parse_device_url(port)
    options = dict(options or {})
    if url.scheme == "file":
        return wedge_opener(url.target, options), None
    if url.scheme == "sim":
        if url.target != "scanner":
            raise ValueError(f"the code scanner's simulator is sim://scanner, "
                             f"not sim://{url.target}")
        config = CodeScannerSimConfig.from_url_options(url.options)
        # options are checked before a simulator starts, so a bad one leaves nothing behind
        if config.mode == "wedge":
            decoder_from_options(options)
            simulator: Any = start_scanner_sim(config)
            return wedge_opener(simulator.path, options), simulator
        line_reader_from_options(options)
        simulator = start_scanner_sim(config)
        return serial_opener(transport_opener(url, DEFAULT_BAUD, simulator), options), simulator
    return serial_opener(transport_opener(url, DEFAULT_BAUD), options), None


# --------------------------------------------------------------------------- the role


def _missing(exc: TransportError) -> Health:
    text = str(exc)
    lowered = text.lower()
    if "permission" in lowered:
        hint = HINT_INPUT if "input" in lowered else HINT_PERMISSION
    elif "grabbed" in lowered or "another program" in lowered:
        hint = HINT_GRABBED
    else:
        hint = HINT_CABLE
    return Health(DeviceState.MISSING, f"{NOT_CONNECTED} ({text})", hint)


class CodeScanner:
    """Scans from one scanner, as callbacks from a reading thread.

    :param open_source: opens the scanner (:func:`wedge_opener`, :func:`serial_opener`,
        :func:`scanner_from_url`); called again after a failure.
    :param poll_s: longest single wait for a scan, in seconds (how quickly :meth:`stop`
        returns).
    :param reopen_interval_s: seconds between attempts to reopen a lost scanner.
    """

    def __init__(self, open_source: Callable[[], ScanSource], *, poll_s: float = 0.25,
                 reopen_interval_s: float = 2.0):
        self._open_source = open_source
        self.poll_s = poll_s
        self.reopen_interval_s = reopen_interval_s
        self._scan_callbacks: list[ScanCallback] = []
        self._cond = threading.Condition()
        self._report = HealthReport(not_opened("扫码枪", "code scanner"), "code scanner")
        self._source: ScanSource | None = None
        self._scans = 0
        self._last: Scan | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_scan(self, callback: ScanCallback) -> None:
        """``callback(scan)`` for every scan, from the reading thread."""
        self._scan_callbacks.append(callback)

    def on_health_changed(self, callback: HealthCallback) -> None:
        self._report.subscribe(callback)

    def health(self) -> Health:
        return self._report.get()

    # -- lifecycle

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="code-scanner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and close the scanner (releasing the evdev grab)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(self.poll_s + 2.0)
        self._thread = None
        self._close()

    close = stop

    # -- reading thread

    def _run(self) -> None:
        next_open = 0.0
        while not self._stop.is_set():
            try:
                if self._source is None:
                    wait = next_open - time.monotonic()
                    if wait > 0:
                        self._stop.wait(min(wait, self.poll_s))
                        continue
                    if not self._open():
                        next_open = time.monotonic() + self.reopen_interval_s
                        continue
                source = self._source
                assert source is not None
                scan = source.read_scan(self.poll_s)
                if scan is not None:
                    self._deliver(scan)
            except TransportError as exc:
                self._close()
                self._set_health(_missing(exc))
                next_open = time.monotonic() + self.reopen_interval_s
            except Exception as exc:  # never let the thread die; never log the scan
                log.exception("code scanner read failed")
                self._set_health(Health(DeviceState.ERROR, f"扫码程序出错 / scanner software "
                                        f"error: {type(exc).__name__}", HINT_CABLE))
                self._close()
                self._stop.wait(self.reopen_interval_s)

    def _open(self) -> bool:
        try:
            source = self._open_source()
        except TransportError as exc:
            self._set_health(_missing(exc))
            return False
        except Exception as exc:  # a bad path or option: report, retry later
            self._set_health(Health(DeviceState.MISSING, f"{NOT_CONNECTED} ({exc})",
                                    HINT_CABLE))
            return False
        self._source = source
        self._set_health(OK)
        return True

    def _deliver(self, scan: Scan) -> None:
        with self._cond:
            self._scans += 1
            self._last = scan
            self._cond.notify_all()
        for callback in list(self._scan_callbacks):
            try:
                callback(scan)
            except Exception:
                log.exception("code scanner callback %r failed", callback)

    def _close(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            with contextlib.suppress(Exception):
                source.close()

    def _set_health(self, health: Health) -> None:
        self._report.set(health)

    # -- one-shot

    def read_once(self, timeout_s: float) -> Scan:
        """Wait up to ``timeout_s`` for one scan (for ``bianmin doctor scan``).

        With the thread running this waits for its next scan; otherwise it opens the
        scanner itself and closes it afterwards.

        :raises NoScanError: nothing was scanned in time.
        :raises TransportError: the scanner cannot be opened or went away.
        """
        deadline = time.monotonic() + timeout_s
        if self._thread is not None and self._thread.is_alive():
            with self._cond:
                seen = self._scans
                while self._scans == seen:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise NoScanError(_no_scan_message(timeout_s))
                    self._cond.wait(min(left, 0.1))
                assert self._last is not None
                return self._last
        source = self._open_source()
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NoScanError(_no_scan_message(timeout_s))
                scan = source.read_scan(min(left, self.poll_s))
                if scan is not None:
                    return scan
        finally:
            with contextlib.suppress(Exception):
                source.close()


def _no_scan_message(timeout_s: float) -> str:
    return f"{timeout_s:g} 秒内没有扫到码 / nothing was scanned within {timeout_s:g} s"
