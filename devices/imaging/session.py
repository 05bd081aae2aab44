"""A scanning session at the counter: the document camera's preview frames go through the
page tracker and the auto-capture state machine; when a page has settled, the camera takes
a full-resolution photo and :func:`~devices.imaging.capture.capture_page` turns it into a
saved page, handed to ``on_page``.

The empty desk: :meth:`ScanSession.calibrate_desk` keeps the current picture as the
reference (the technician or clerk does this once with the desk cleared; the counter app
offers it), and a photo in the capture mode as the photo's reference. While the desk then
lies empty and still for ``refresh_s``, the preview's reference is renewed, so the slow drift
of daylight does not build up. Without a reference the session never learns one by itself: a
white page on a light desk, not seen without a reference, would be learnt as desk.

Everything runs on the camera's frame-dispatch thread; a slow capture only delays the next
preview frame (the camera keeps the newest frame, so nothing queues up). Errors in the
callbacks are logged, never raised into the camera.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from drivers.uvc_camera import Frame, FrameDecodeError

from ..document_camera import DocumentCamera, NoFrameError
from .autocapture import AutoCapture, Decision, State
from .capture import CapturedPage, capture_page
from .detect import Detection, PageDetector, reduced_scale
from .tracker import PageTracker

log = logging.getLogger(__name__)

PageCallback = Callable[[CapturedPage], None]
DecisionCallback = Callable[[Decision, Detection], None]
ErrorCallback = Callable[[str], None]


@dataclass(frozen=True)
class SessionConfig:
    capture_timeout_s: float = 5.0
    """Longest wait for the full-resolution photo."""
    refresh_s: float = 10.0
    """Seconds the desk must lie empty and still before the reference is renewed."""
    view_width_mm: float | None = None
    """Width of desk the camera sees across the middle of the picture, in millimetres (set at
    installation; it tells an A4 page from an A5 one and sizes pages that match no standard
    size). None: the camera's own setting (``DocumentCamera.view_width_mm``), if any."""
    read_codes: bool = True
    """Read QR codes on each captured page."""


class ScanSession:
    """Auto-capture on a running :class:`DocumentCamera` (module docstring)."""

    def __init__(self, camera: DocumentCamera, *, on_page: PageCallback,
                 on_decision: DecisionCallback | None = None,
                 on_error: ErrorCallback | None = None,
                 tracker: PageTracker | None = None, autocapture: AutoCapture | None = None,
                 config: SessionConfig | None = None):
        self.camera = camera
        self.tracker = tracker or PageTracker()
        # the photo is another mode (often another crop of the sensor): its own detector and
        # its own picture of the empty desk
        self.photo_detector = PageDetector(self.tracker.detector.config)
        self.autocapture = autocapture or AutoCapture()
        self.config = config or SessionConfig()
        self._on_page = on_page
        self._on_decision = on_decision
        self._on_error = on_error
        self._lock = threading.Lock()
        self._empty_since: float | None = None
        self._calibrate = False
        self.pages = 0
        camera.on_frame(self._frame)

    # -- commands (any thread)

    def calibrate_desk(self) -> None:
        """Take the next preview frame as the empty desk."""
        with self._lock:
            self._calibrate = True

    def manual(self) -> None:
        self.autocapture.manual()

    def same_page_again(self) -> None:
        self.autocapture.same_page_again()

    # -- the frame-dispatch thread

    def _frame(self, frame: Frame) -> None:
        try:
            self._handle(frame)
        except FrameDecodeError as exc:
            log.warning("document camera: a frame could not be decoded (%s)", exc)
        except Exception:  # a bug here must not stop the camera's callbacks
            log.exception("scan session failed on a frame")
            self._error("扫描出错，请重试 / scanning failed, please try again")

    def _handle(self, frame: Frame) -> None:
        with self._lock:
            calibrate, self._calibrate = self._calibrate, False
        if calibrate:
            self._calibrate_desk(frame)
        detection = self.tracker.update_frame(frame)
        decision = self.autocapture.update(detection, frame.timestamp)
        self._refresh_reference(frame, detection, decision)
        if self._on_decision is not None:
            self._on_decision(decision, detection)
        if decision.capture:
            self._capture(frame)

    def _calibrate_desk(self, frame: Frame) -> None:
        detector = self.tracker.detector
        detector.set_reference(frame.reduced(reduced_scale(frame.size[1],
                                                           detector.config.decode_height)))
        self.tracker.reset()
        self._empty_since = None
        try:
            photo = self._photo(frame)
        except NoFrameError as exc:
            self.photo_detector.set_reference(None)
            self._error(f"桌面校准只完成了预览部分 / the desk was calibrated for the preview "
                        f"only: {exc}")
            return
        self.photo_detector.set_reference(photo.reduced(reduced_scale(
            photo.size[1], self.photo_detector.config.decode_height)))

    def _refresh_reference(self, frame: Frame, detection: Detection,
                           decision: Decision) -> None:
        detector = self.tracker.detector
        empty = (not detection.found and not detection.hand_in_view
                 and decision.state is State.IDLE and decision.motion
                 < self.autocapture.config.motion_threshold)
        if not empty or not detector.has_reference:
            self._empty_since = None
            return
        if self._empty_since is None:
            self._empty_since = frame.timestamp
        elif frame.timestamp - self._empty_since >= self.config.refresh_s:
            detector.set_reference(detection.small if detection.small is not None
                                   else frame.reduced(2))
            self._empty_since = frame.timestamp

    def _capture(self, preview: Frame) -> None:
        try:
            photo = self._photo(preview)
        except NoFrameError as exc:
            self._error(str(exc))
            return
        px_per_mm = None
        view_width_mm = self.config.view_width_mm or self.camera.view_width_mm
        if view_width_mm:
            px_per_mm = photo.size[0] / view_width_mm
        try:
            page = capture_page(photo, self.photo_detector, px_per_mm=px_per_mm,
                                read_codes=self.config.read_codes)
        except FrameDecodeError as exc:
            self._error(f"照片无法解码，请重拍 / the photo cannot be decoded, please capture "
                        f"again ({exc})")
            return
        self.pages += 1
        self._on_page(page)

    def _photo(self, preview: Frame) -> Frame:
        """The full-resolution photo: the preview frame itself when the camera streams its
        largest mode, else a photo in the capture mode."""
        capture_mode = self.camera.capture_mode
        if capture_mode is None or preview.mode == capture_mode:
            return preview
        return self.camera.capture(self.config.capture_timeout_s)

    def _error(self, message: str) -> None:
        if self._on_error is not None:
            try:
                self._on_error(message)
            except Exception:
                log.exception("scan session error callback failed")
