"""The counter's devices behind the ports the screen sees (kiosk/counter_ports.py): one small
adapter per role over the ``devices`` roles, and :func:`build_counter_devices`, which builds
them from the site configuration. Not importable from ``kiosk.ui`` (it imports the roles,
which import the drivers): the command that starts the counter builds the devices and
hands the screen the :class:`~kiosk.counter_ports.CounterDevices`."""

from .build import build_counter_devices
from .card import CardReaderAdapter
from .code_scanner import CodeScannerAdapter
from .printer import PrinterAdapter
from .rating import RatingAdapter
from .scanner import ScannerAdapter

__all__ = ["CardReaderAdapter", "CodeScannerAdapter", "PrinterAdapter", "RatingAdapter",
           "ScannerAdapter", "build_counter_devices"]
