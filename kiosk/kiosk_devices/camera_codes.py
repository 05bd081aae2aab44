"""QR codes held up to the kiosk's document camera, behind
:class:`kiosk.counter_ports.CodeScannerPort` (``KioskDevices.camera_codes``): the
appointment QR code on a phone, the code on a receipt, for a kiosk without a code scanner
or beside one.

The camera (``devices.document_camera.DocumentCamera``) runs only between
:meth:`CameraCodesAdapter.start` and :meth:`~CameraCodesAdapter.stop` (the screen starts it
on the screens that take a code), and its frames are searched a few times a second
(``fps``) with ``devices.imaging.codes.read_frame_codes`` (zxing-cpp, QR codes only, half
scale first: camera.md §5), on the camera's frame-dispatch thread. A code is reported once;
it is reported again only after it has been out of sight for ``forget_s`` seconds (3 s), so
a phone held still is one scan, not one per frame. Starting and stopping the camera are
handed to a control thread: stopping waits for the grab thread (up to a read timeout) and
the screen must not. Scanned text can be personal data: it is handed on, never logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from devices.document_camera import DocumentCamera
from devices.health import Health
from devices.imaging.codes import read_frame_codes
from drivers.uvc_camera import Frame, FrameDecodeError
from kiosk.counter_devices.status import StatusListeners, call_each, status_of
from kiosk.kiosk_ports import DeviceStatus, StatusCallback

log = logging.getLogger(__name__)

FPS = 4.0
"""Frames searched for codes per second while started."""
FORGET_S = 3.0
"""How long a code must be out of sight before it is reported again. Unit: s."""


class CameraCodesAdapter:
    """:class:`~kiosk.counter_ports.CodeScannerPort` over a :class:`DocumentCamera`;
    callbacks come from the camera's frame-dispatch thread.

    :param checked: the camera's health as checked at start-up; :meth:`status` says it
        until :meth:`start`.
    :param fps: frames searched per second (the camera delivers up to its ``max_fps``).
    :param forget_s: seconds a code must be gone before it counts as a new scan. Unit: s.
    """

    def __init__(self, camera: DocumentCamera, *, role: str = "document_camera",
                 checked: Health | None = None, fps: float = FPS, forget_s: float = FORGET_S,
                 clock: Callable[[], float] = time.monotonic):
        if fps <= 0:
            raise ValueError(f"fps must be above 0, not {fps:g}")
        self.camera = camera
        self.role = role
        self.fps = fps
        self.forget_s = forget_s
        self._clock = clock
        self._checked = checked
        self._lock = threading.Lock()
        self._active = False
        self._last_search = float("-inf")
        self._seen: dict[str, float] = {}  # code → when it was last in sight
        self._codes: list[Callable[[str], None]] = []
        self._status = StatusListeners(role)
        self._control = ThreadPoolExecutor(1, thread_name_prefix="kiosk-camera-control")
        camera.on_frame(self._frame)
        camera.on_health_changed(self._health_changed)

    def on_code(self, callback: Callable[[str], None]) -> None:
        self._codes.append(callback)

    def on_status(self, callback: StatusCallback) -> None:
        self._status.add(callback)

    def status(self) -> DeviceStatus:
        return status_of(self.role, self._checked or self.camera.health())

    def start(self) -> None:
        """Camera on, searching; codes seen before are new again."""
        with self._lock:
            self._active = True
            self._checked = None
            self._seen.clear()
            self._last_search = float("-inf")
        self._control.submit(self.camera.start)

    def stop(self) -> None:
        """No more codes from now on; the camera goes off on the control thread."""
        with self._lock:
            self._active = False
        self._control.submit(self.camera.stop)

    def close(self) -> None:
        """Stop and wait for the camera to be off."""
        self.stop()
        self._control.shutdown(wait=True)

    def _frame(self, frame: Frame) -> None:
        now = self._clock()
        with self._lock:
            if not self._active or now - self._last_search < 1.0 / self.fps:
                return
            self._last_search = now
        try:
            found = read_frame_codes(frame.image())
        except (FrameDecodeError, ValueError) as exc:  # a frame cut short: the next will do
            log.debug("camera codes: frame skipped (%s)", type(exc).__name__)
            return
        new = []
        with self._lock:
            if not self._active:
                return
            for text in dict.fromkeys(code.text for code in found):
                last = self._seen.get(text)
                self._seen[text] = now
                if last is None or now - last >= self.forget_s:
                    new.append(text)
        for text in new:
            call_each(self._codes, text, owner="camera codes")

    def _health_changed(self, health: Health) -> None:
        self._status.tell(status_of(self.role, health))
