"""The citizen kiosk's devices behind the ports its screen sees (kiosk/kiosk_ports.py): one
small adapter per role over the ``devices`` roles (the card reader and code scanner are the
counter's own adapters), and :func:`build_kiosk_devices`, which builds them from the site
configuration. Not importable from ``kiosk.ui`` (it imports the roles, which import the
drivers): the command that starts the kiosk builds the devices and hands the screen the
:class:`~kiosk.kiosk_ports.KioskDevices`."""

from .build import build_kiosk_devices
from .camera_codes import CameraCodesAdapter
from .printer import KioskPrinterAdapter
from .speaker import SpeakerAdapter

__all__ = ["CameraCodesAdapter", "KioskPrinterAdapter", "SpeakerAdapter", "build_kiosk_devices"]
