"""The document camera (高拍仪) behind :class:`kiosk.counter_ports.ScannerPort`: a
``devices.document_camera.DocumentCamera`` driven by an auto-capture
``devices.imaging.session.ScanSession``.

Everything heavy happens on the camera's frame-dispatch thread, never the screen's: the
preview picture is cut down to at most 640 px wide there (from the reduced-scale decode the
detector already made, camera.md §5), and each captured page's upload copy (≤ 2 MB, the
Shanghai 一网通办 per-file limit, devices/imaging/page.py) and its strip thumbnail (PNG, at
most 160 px tall) are made there too. Previews are rate-limited to ``preview_fps``.

The camera runs only while a material is being captured (:meth:`ScannerAdapter.start` /
:meth:`~ScannerAdapter.stop`), so it is not busy all day; start and stop are handed to a
control thread, because stopping waits for the grab thread (up to a read timeout) and the
screen must not.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
from PIL import Image

from devices.document_camera import DocumentCamera
from devices.health import DeviceState, Health, not_opened
from devices.imaging.autocapture import Decision, State
from devices.imaging.capture import CapturedPage
from devices.imaging.detect import Detection
from devices.imaging.page import UploadTooLarge
from devices.imaging.session import ScanSession, SessionConfig
from kiosk.counter_ports import DeviceStatus, Page, Preview, StatusCallback

from .status import StatusListeners, call_each, status_of

log = logging.getLogger(__name__)

PREVIEW_WIDTH = 640
"""Widest preview picture handed to the screen. Unit: pixels."""
THUMBNAIL_HEIGHT = 160
"""Tallest strip thumbnail. Unit: pixels."""
UPLOAD_LIMIT = 2_000_000
"""Largest upload copy. Unit: bytes (一网通办 portals cap a file at 2 MB)."""

HINTS = {
    State.IDLE: "请放入材料 / place the page",
    State.BUSY: "请放稳 / hold still",
    State.STABLE: "请放稳 / hold still",
    State.CAPTURED: "已拍摄 / captured",
    State.LOCKED: "请换下一页 / next page",
}
"""What the clerk reads under the preview, per auto-capture state."""

SIZE_NAMES = {
    "id_card": "ID-1", "passport": "ID-3", "a4": "A4", "a5": "A5", "a6": "A6", "b5": "B5",
    "hukou_page": "户口簿", "hukou_spread": "户口簿对开",
}
"""``devices.imaging.page.KNOWN_SIZES`` keys as the strip names the paper (ISO/IEC 7810
card sizes, ISO 216 paper sizes)."""

HINT_RETAKE = "请重新拍摄这一页 / Capture the page again"
NOT_OPENED = not_opened("文档摄像头", "document camera").message
"""The camera's health before its first open (devices/document_camera.py)."""


def preview_of(decision: Decision, detection: Detection,
               width: int = PREVIEW_WIDTH) -> Preview | None:
    """The screen's preview of one analysed frame: RGB at most ``width`` px wide, with the
    page's corners in its pixels. None when the detection kept no picture."""
    small = detection.small
    if small is None or detection.size[0] <= 0:
        return None
    height_px, width_px = small.shape[:2]
    if width_px > width:
        small = cv2.resize(small, (width, max(1, round(height_px * width / width_px))),
                           interpolation=cv2.INTER_AREA)
    code = cv2.COLOR_GRAY2RGB if small.ndim == 2 else cv2.COLOR_BGR2RGB
    rgb = cv2.cvtColor(small, code)
    corners = decision.corners
    if corners is None and detection.found:
        corners = detection.corners
    quad = None
    if corners is not None:
        sx = rgb.shape[1] / detection.size[0]
        sy = rgb.shape[0] / detection.size[1]
        quad = tuple((float(x) * sx, float(y) * sy) for x, y in corners)
    return Preview(rgb, quad, decision.state.value, HINTS.get(decision.state, ""))


def thumbnail_png(pixels: np.ndarray, height: int = THUMBNAIL_HEIGHT) -> bytes:
    """The page as a PNG at most ``height`` px tall (area-averaged, so print does not
    alias)."""
    h, w = pixels.shape[:2]
    if h > height:
        pixels = cv2.resize(pixels, (max(1, round(w * height / h)), height),
                            interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".png", pixels)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise ValueError("the thumbnail could not be encoded")
    return data.tobytes()


def page_of(captured: CapturedPage, settled_at: float) -> Page:
    """The port's page: upload copy, thumbnail, paper size and codes.

    :raises devices.imaging.page.UploadTooLarge: the page does not fit 2 MB.
    """
    upload = captured.upload(limit_bytes=UPLOAD_LIMIT)
    with Image.open(io.BytesIO(upload)) as image:  # the header only: no decode
        width, height = image.size
    return Page(upload=upload, thumbnail=thumbnail_png(captured.page.pixels), width=width,
                height=height, size_name=SIZE_NAMES.get(captured.page.kind or "", ""),
                codes=tuple(code.text for code in captured.codes),
                settled_at_monotonic=settled_at)


class PreviewPacer:
    """At most ``fps`` previews a second: a preview is due on a schedule that advances by
    one period per preview sent, so a frame that arrives a little early (camera jitter) is
    not dropped (up to a tenth of a period early) while the long-run rate stays at ``fps``;
    never two closer than half a period."""

    def __init__(self, fps: float, clock: Callable[[], float] = time.monotonic):
        self.period = 1.0 / fps if fps > 0 else float("inf")
        self._clock = clock
        self._due = float("-inf")

    def take(self) -> bool:
        """True when a preview may go now (and counts it)."""
        now = self._clock()
        if now < self._due - 0.1 * self.period:
            return False
        self._due = max(self._due + self.period, now + 0.6 * self.period)
        return True


class ScannerAdapter:
    """:class:`~kiosk.counter_ports.ScannerPort` over a :class:`DocumentCamera` (module
    docstring).

    :param view_width_mm: desk width the camera sees, from the device's options (tells A4
        from A5).
    :param preview_fps: most previews a second.
    """

    def __init__(self, camera: DocumentCamera, *, view_width_mm: float | None = None,
                 preview_fps: float = 10.0, role: str = "document_camera"):
        self.camera = camera
        self.role = role
        self.session = ScanSession(camera, on_page=self._captured, on_decision=self._decided,
                                   on_error=self._failed,
                                   config=SessionConfig(view_width_mm=view_width_mm))
        self._pacer = PreviewPacer(preview_fps)
        self._previews: list[Callable[[Preview], None]] = []
        self._pages: list[Callable[[Page], None]] = []
        self._status = StatusListeners(role)
        self._settled_at = 0.0
        self._decisions = threading.Event()
        self._control = ThreadPoolExecutor(1, thread_name_prefix="camera-control")
        camera.on_health_changed(self._health_changed)

    # -- the port

    def on_preview(self, callback: Callable[[Preview], None]) -> None:
        self._previews.append(callback)

    def on_page(self, callback: Callable[[Page], None]) -> None:
        self._pages.append(callback)

    def on_status(self, callback: StatusCallback) -> None:
        self._status.add(callback)

    def status(self) -> DeviceStatus:
        return status_of(self.role, self.camera.health())

    def start(self) -> None:
        self._command(self.camera.start)

    def stop(self) -> None:
        self._command(self.camera.stop)

    def _command(self, command: Callable[[], None]) -> None:
        try:
            self._control.submit(command)
        except RuntimeError:  # closed: the counter is shutting down
            log.info("document camera: a start or stop after close was ignored")

    def capture_now(self) -> None:
        self.session.manual()

    def same_page_again(self) -> None:
        self.session.same_page_again()

    def calibrate(self) -> None:
        self.session.calibrate_desk()

    # -- start-up and shut-down

    def warm_up(self, timeout_s: float) -> bool:
        """Calibrate the desk on the first frame (the desk is expected clear when the
        counter starts), then stop the camera again. False when no frame came within
        ``timeout_s`` (the camera's health says why)."""
        self._decisions.clear()
        self.session.calibrate_desk()
        deadline = time.monotonic() + timeout_s
        self.camera.start()
        try:
            # the first decision follows the calibration, photo included
            while not self._decisions.wait(0.05):
                health = self.camera.health()
                if health.state is DeviceState.MISSING and health.message != NOT_OPENED:
                    return False  # not there at all: no use waiting out the timeout
                if time.monotonic() >= deadline:
                    return False
            return True
        finally:
            self.camera.stop()

    def close(self) -> None:
        self._control.shutdown(wait=True, cancel_futures=True)
        self.camera.stop()

    # -- the camera's frame-dispatch thread

    def _decided(self, decision: Decision, detection: Detection) -> None:
        if decision.capture:
            self._settled_at = time.monotonic()  # the page was judged still: now
        self._decisions.set()
        if not self._previews or not self._pacer.take():
            return
        preview = preview_of(decision, detection)
        if preview is not None:
            call_each(self._previews, preview, owner="document camera preview")

    def _captured(self, captured: CapturedPage) -> None:
        settled_at = self._settled_at or time.monotonic()
        started = time.perf_counter()
        try:
            page = page_of(captured, settled_at)
        except UploadTooLarge as exc:
            self._status.tell(DeviceStatus(self.role, False, str(exc), HINT_RETAKE))
            return
        log.info("page captured: %s, %d bytes to upload, made in %.0f ms (capture %.0f ms)",
                 page.size_name or "unknown size", len(page.upload),
                 (time.perf_counter() - started) * 1000, captured.timings_ms.get("total", 0.0))
        call_each(self._pages, page, owner="document camera page")

    def _failed(self, message: str) -> None:
        self._status.tell(DeviceStatus(self.role, False, message, HINT_RETAKE))

    def _health_changed(self, health: Health) -> None:
        self._status.tell(status_of(self.role, health))
