"""The code scanner behind :class:`kiosk.counter_ports.CodeScannerPort`:
``devices.code_scanner.CodeScanner`` (keyboard wedge through evdev, or serial). Scanned text
can be personal data (an ID number in a QR code): it is handed on, never logged."""

from __future__ import annotations

from collections.abc import Callable

from devices.code_scanner import CodeScanner
from devices.health import Health
from drivers.scan_decoder import Scan
from kiosk.counter_ports import DeviceStatus, StatusCallback

from .status import StatusListeners, call_each, status_of


class CodeScannerAdapter:
    """:class:`~kiosk.counter_ports.CodeScannerPort` over a :class:`CodeScanner`; callbacks
    come from the scanner's reading thread."""

    def __init__(self, scanner: CodeScanner, role: str = "code_scanner"):
        self.scanner = scanner
        self.role = role
        self._codes: list[Callable[[str], None]] = []
        self._status = StatusListeners(role)
        scanner.on_scan(self._scanned)
        scanner.on_health_changed(self._health_changed)

    def on_code(self, callback: Callable[[str], None]) -> None:
        self._codes.append(callback)

    def on_status(self, callback: StatusCallback) -> None:
        self._status.add(callback)

    def status(self) -> DeviceStatus:
        return status_of(self.role, self.scanner.health())

    def start(self) -> None:
        self.scanner.start()

    def stop(self) -> None:
        self.scanner.stop()

    def _scanned(self, scan: Scan) -> None:
        call_each(self._codes, scan.text, owner="code scanner")

    def _health_changed(self, health: Health) -> None:
        self._status.tell(status_of(self.role, health))
