"""The document camera role (高拍仪): a live stream for the preview and the detector, and a
full-resolution photo on demand.

One grab thread owns the camera (:class:`drivers.uvc_camera.FrameSource`) and keeps only the
newest frame: a slow consumer never backs the camera up, it just skips frames (a V4L2 driver
queue read slowly hands out ever older pictures). Frames stay MJPEG bytes until a consumer
decodes them, at reduced scale for the preview (../shared/research/camera.md §5).

- :meth:`DocumentCamera.latest` returns the newest frame (or waits for one, within a
  timeout); :meth:`~DocumentCamera.on_frame` callbacks get frames from a separate dispatch
  thread at most ``max_fps`` times a second, so a slow callback delays only itself;
- :meth:`~DocumentCamera.capture` switches to the capture mode (the largest MJPEG mode),
  takes one frame, and switches back: camera.md §5 (never archive the 1080p preview);
- modes are chosen by :func:`drivers.uvc_camera.choose_mode`, once per (re)open.

Failures never escape the grab thread: a lost camera (:class:`TransportError`: unplugged,
no such device, permission) reports ``MISSING``; a camera that stops sending frames
(:class:`TransportTimeout`) reports ``ERROR``. Either way the camera is closed, the stale
frame is dropped, and it is reopened through ``open_source`` every ``reopen_interval_s``
until a frame arrives again, which reports ``OK``. Every wait a caller makes has a timeout.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers.transports import TransportError, TransportTimeout
from drivers.uvc_camera import (
    Frame,
    FrameSource,
    Mode,
    UvcCamera,
    choose_mode,
    parse_size,
    resolve_usb_camera,
)

from .health import HINT_PERMISSION, OK, DeviceState, Health, HealthReport, not_opened
from .urls import DeviceUrl, parse_device_url

log = logging.getLogger(__name__)

FrameCallback = Callable[[Frame], None]
HealthCallback = Callable[[Health], None]

HINT_NO_PICTURE = ("拔下摄像头再插上，不要接在 USB 集线器上 / Unplug the camera and plug it in "
                   "again; do not connect it through a USB hub")
HINT_CAMERA_CABLE = ("检查摄像头的 USB 线，或换一个 USB 口 / Check the camera's USB cable, or try "
                     "another USB port")
PURPOSES = ("preview", "capture")


class NoFrameError(TimeoutError):
    """No frame within the time allowed; the message says why, in Chinese and English."""


@dataclass
class _CaptureRequest:
    done: threading.Event
    frame: Frame | None = None
    error: BaseException | None = None
    cancelled: bool = False


def _missing(exc: TransportError) -> Health:
    text = str(exc)
    if isinstance(exc, TransportTimeout):
        return Health(DeviceState.ERROR, f"文档摄像头没有画面 / the document camera sends no "
                      f"picture ({text})", HINT_NO_PICTURE)
    hint = HINT_PERMISSION if "permission" in text.lower() else HINT_CAMERA_CABLE
    return Health(DeviceState.MISSING, f"文档摄像头未连接 / the document camera is not "
                  f"connected ({text})", hint)


class DocumentCamera:
    """A document camera's stream and photos, from a grab thread.

    :param open_source: opens the camera (called again after a failure).
    :param purpose: ``preview`` streams the preview mode (captures switch to the capture
        mode and back); ``capture`` streams the capture mode itself.
    :param max_fps: most :meth:`on_frame` callbacks per second.
    :param read_timeout_s: longest wait for one frame from the camera before it counts as
        stalled, in seconds.
    :param reopen_interval_s: seconds between attempts to reopen a lost camera.
    :param capture_skip_frames: frames thrown away after switching to the capture mode (the
        first frames after a format change can be dark or half-written).
    :param preview_size: ``(width, height)`` to preview in when offered (site setting).
    :param capture_size: ``(width, height)`` to capture in when offered (site setting).
    :param view_width_mm: width of desk seen across the middle of the picture, in millimetres
        (measured at installation; the imaging pipeline sizes pages with it). None: unknown.
    :param clock: monotonic seconds (injected for tests).
    """

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        *,
        purpose: str = "preview",
        max_fps: float = 10.0,
        read_timeout_s: float = 3.0,
        reopen_interval_s: float = 3.0,
        capture_skip_frames: int = 1,
        preview_size: tuple[int, int] | None = None,
        capture_size: tuple[int, int] | None = None,
        view_width_mm: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        if purpose not in PURPOSES:
            raise ValueError(f"purpose is preview or capture, not {purpose!r}")
        if max_fps <= 0:
            raise ValueError(f"max_fps must be above 0, not {max_fps:g}")
        if view_width_mm is not None and not 20 <= view_width_mm <= 2000:
            raise ValueError(f"view_width_mm is the desk width the camera sees, 20 to 2000 mm, "
                             f"not {view_width_mm:g}")
        self._open_source = open_source
        self.purpose = purpose
        self.max_fps = max_fps
        self.read_timeout_s = read_timeout_s
        self.reopen_interval_s = reopen_interval_s
        self.capture_skip_frames = max(0, capture_skip_frames)
        self.preview_size = preview_size
        self.capture_size = capture_size
        self.view_width_mm = view_width_mm
        self._clock = clock
        self._cond = threading.Condition()
        self._report = HealthReport(not_opened("文档摄像头", "document camera"), "document camera")
        self._latest: Frame | None = None
        self._seq = 0
        self._source: FrameSource | None = None
        self._modes: list[Mode] = []
        self._preview_mode: Mode | None = None
        self._capture_mode: Mode | None = None
        self._request: _CaptureRequest | None = None
        self._frame_callbacks: list[FrameCallback] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.frames_grabbed = 0
        """Frames taken from the camera since start (the grab thread's count)."""

    # -- subscriptions and state

    def on_frame(self, callback: FrameCallback) -> None:
        """``callback(frame)`` with the newest frame, at most ``max_fps`` times a second, from
        the dispatch thread. Frames that arrive while a callback runs are skipped."""
        self._frame_callbacks.append(callback)

    def on_health_changed(self, callback: HealthCallback) -> None:
        self._report.subscribe(callback)

    def health(self) -> Health:
        return self._report.get()

    @property
    def modes(self) -> list[Mode]:
        """The camera's modes as last opened (empty before)."""
        with self._cond:
            return list(self._modes)

    @property
    def preview_mode(self) -> Mode | None:
        with self._cond:
            return self._preview_mode

    @property
    def capture_mode(self) -> Mode | None:
        with self._cond:
            return self._capture_mode

    def _stream_mode(self) -> Mode | None:
        return self._capture_mode if self.purpose == "capture" else self._preview_mode

    # -- lifecycle

    def start(self) -> None:
        if any(t.is_alive() for t in self._threads):
            return
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._run, name="document-camera", daemon=True),
            threading.Thread(target=self._dispatch, name="document-camera-frames", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop grabbing and close the camera; returns within one read timeout."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(self.read_timeout_s + 1.0)
        self._threads = []
        self._close()

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    # -- grab thread

    def _run(self) -> None:
        next_open = self._clock()
        while not self._stop.is_set():
            try:
                if self._source is None:
                    wait = next_open - self._clock()
                    if wait > 0:
                        self._stop.wait(min(wait, 0.1))
                        continue
                    if not self._open():
                        next_open = self._clock() + self.reopen_interval_s
                        continue
                request = self._take_request()
                if request is not None:
                    self._serve_capture(request)
                    continue
                frame = self._source_read(self.read_timeout_s)
                self._publish(frame)
            except TransportError as exc:
                self._lost(_missing(exc))
                next_open = self._clock() + self.reopen_interval_s
            except Exception as exc:  # never let the thread die
                log.exception("document camera grab failed")
                self._lost(Health(DeviceState.ERROR, f"摄像头程序出错 / camera software error: "
                                  f"{type(exc).__name__}", HINT_NO_PICTURE))
                next_open = self._clock() + self.reopen_interval_s

    def _source_read(self, timeout_s: float) -> Frame:
        source = self._source
        if source is None:
            raise TransportError("the camera is closed")
        return source.read(timeout_s)

    def _open(self) -> bool:
        try:
            source = self._open_source()
        except TransportError as exc:
            self._set_health(_missing(exc))
            return False
        except Exception as exc:  # a bad URL, a driver bug: report, retry later
            self._set_health(Health(DeviceState.MISSING, f"文档摄像头无法打开 / cannot open the "
                                    f"document camera: {exc}", HINT_CAMERA_CABLE))
            return False
        try:
            modes = source.modes()
            preview = choose_mode(modes, "preview", self.preview_size)
            capture = choose_mode(modes, "capture", self.capture_size)
            with self._cond:
                self._modes, self._preview_mode, self._capture_mode = modes, preview, capture
            stream_mode = self._stream_mode()
            assert stream_mode is not None
            source.open(stream_mode)
        except TransportError as exc:
            with contextlib.suppress(Exception):
                source.close()
            self._set_health(_missing(exc))
            return False
        except ValueError as exc:  # no modes at all
            with contextlib.suppress(Exception):
                source.close()
            self._set_health(Health(DeviceState.ERROR, f"摄像头没有可用的画面格式 / the camera "
                                    f"offers no usable picture format ({exc})", HINT_NO_PICTURE))
            return False
        self._source = source
        return True

    def _publish(self, frame: Frame) -> None:
        with self._cond:
            self._latest = frame
            self._seq += 1
            self.frames_grabbed += 1
            self._cond.notify_all()
        self._set_health(OK)

    def _lost(self, health: Health) -> None:
        self._close()
        with self._cond:
            self._latest = None  # never hand out the last picture of a camera that is gone
            self._cond.notify_all()
        self._set_health(health)

    def _close(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            with contextlib.suppress(Exception):
                source.close()

    def _set_health(self, health: Health) -> None:
        if self._report.set(health):
            with self._cond:
                self._cond.notify_all()  # waiters in latest()/capture() see the new state

    # -- captures, served by the grab thread

    def _take_request(self) -> _CaptureRequest | None:
        with self._cond:
            request, self._request = self._request, None
        if request is not None and request.cancelled:
            return None
        return request

    def _serve_capture(self, request: _CaptureRequest) -> None:
        source = self._source
        assert source is not None
        stream_mode, capture_mode = self._stream_mode(), self._capture_mode
        assert stream_mode is not None and capture_mode is not None
        switched = capture_mode != stream_mode
        try:
            if switched:
                source.open(capture_mode)
                for _ in range(self.capture_skip_frames):
                    source.read(self.read_timeout_s)
            request.frame = source.read(self.read_timeout_s)
        except Exception as exc:  # handed to the caller of capture()
            request.error = exc
        finally:
            request.done.set()
        if switched:
            source.open(stream_mode)  # a failure here is a lost camera: the loop handles it
        if isinstance(request.error, TransportError):
            raise request.error

    # -- dispatch thread

    def _dispatch(self) -> None:
        seen = 0
        next_time = 0.0
        while not self._stop.is_set():
            with self._cond:
                while self._seq == seen and not self._stop.is_set():
                    self._cond.wait(0.5)
                frame, seq = self._latest, self._seq
            if self._stop.is_set():
                return
            wait = next_time - self._clock()
            if wait > 0:
                self._stop.wait(wait)
                continue  # take whatever is newest after the pause
            seen = seq
            if frame is None:
                continue
            next_time = self._clock() + 1.0 / self.max_fps
            for callback in list(self._frame_callbacks):
                try:
                    callback(frame)
                except Exception:
                    log.exception("document camera frame callback %r failed", callback)

    # -- for consumers

    def latest(self, timeout_s: float, *, fresh: bool = False) -> Frame:
        """The newest frame from the stream.

        :param timeout_s: longest wait when there is no frame yet (or, with ``fresh``, no
            newer one).
        :param fresh: wait for a frame grabbed after this call (an analysis loop that must
            not see the same frame twice).
        :raises NoFrameError: none within ``timeout_s``; the message gives the camera's
            health.
        """
        deadline = self._clock() + timeout_s
        with self._cond:
            start_seq = self._seq
            while self._latest is None or (fresh and self._seq == start_seq):
                left = deadline - self._clock()
                if left <= 0:
                    raise NoFrameError(self._no_frame_message(timeout_s))
                self._cond.wait(min(left, 0.1))
            return self._latest

    def capture(self, timeout_s: float) -> Frame:
        """One frame in the capture mode (the stream switches to it and back).

        Without :meth:`start`, the camera is opened for this photo and closed again.

        :raises NoFrameError: no photo within ``timeout_s`` (the camera is missing, stalled,
            or the switch took too long); the message says which.
        """
        if not self.running:
            return self._capture_alone(timeout_s)
        request = _CaptureRequest(threading.Event())
        with self._cond:
            self._request = request
            self._cond.notify_all()
        if not request.done.wait(timeout_s):
            request.cancelled = True
            raise NoFrameError(self._no_frame_message(timeout_s, "拍照"))
        if request.error is not None:
            raise NoFrameError(f"拍照失败 / the photo failed: {request.error}") from request.error
        assert request.frame is not None
        return request.frame

    def _capture_alone(self, timeout_s: float) -> Frame:
        deadline = self._clock() + timeout_s

        def left() -> float:
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise NoFrameError(self._no_frame_message(timeout_s, "拍照"))
            return remaining

        try:
            source = self._open_source()
        except TransportError as exc:
            raise NoFrameError(_missing(exc).message) from exc
        try:
            mode = choose_mode(source.modes(), "capture", self.capture_size)
            source.open(mode)
            for _ in range(self.capture_skip_frames):
                source.read(min(self.read_timeout_s, left()))
            return source.read(min(self.read_timeout_s, left()))
        except TransportError as exc:
            raise NoFrameError(_missing(exc).message) from exc
        except ValueError as exc:
            raise NoFrameError(f"摄像头没有可用的画面格式 / the camera offers no usable picture "
                               f"format ({exc})") from exc
        finally:
            with contextlib.suppress(Exception):
                source.close()

    def _no_frame_message(self, timeout_s: float, what: str = "画面") -> str:
        english = "photo" if what == "拍照" else "picture"
        health = self._report.get()
        why = f": {health.message}" if not health.ok and health.message else ""
        return f"{timeout_s:g} 秒内没有{what} / no {english} within {timeout_s:g} s{why}"


# --------------------------------------------------------------------------- from a URL


def source_opener(url: DeviceUrl | str) -> Callable[[], FrameSource]:
    """A function that opens the camera a device URL names, afresh each time:

    - ``sim://camera?...``: one :class:`~drivers.sim.synthetic_camera.SyntheticCamera`
      (options: :class:`~drivers.sim.synthetic_camera.SyntheticCameraConfig`), the same
      object at each open so its scene and its unplug state carry on;
    - ``file:///dev/videoN``: the V4L2 node;
    - ``usb://VID:PID``: the first camera with that USB id, looked up in sysfs at each open.

    :raises ValueError: not a camera URL, or bad simulator options (plain words).
    """
    if isinstance(url, str):
        url = parse_device_url(url)
    if url.scheme == "sim":
        if url.target != "camera":
            raise ValueError(f"the camera simulator is sim://camera, not sim://{url.target}")
        from drivers.sim.synthetic_camera import SyntheticCamera, SyntheticCameraConfig

        camera = SyntheticCamera(SyntheticCameraConfig.from_url_options(url.options))
        return lambda: camera
    if url.options:
        raise ValueError(f"{url}: a camera URL takes no options")
    if url.scheme == "file":
        path = url.target
        return lambda: UvcCamera(path)
    if url.scheme == "usb":
        vid, pid = url.vid_pid
        return lambda: UvcCamera(resolve_usb_camera(vid, pid))
    raise ValueError(f"{url}: a camera is named file:///dev/videoN, usb://VID:PID or "
                     "sim://camera")


def camera_options(options: dict[str, Any]) -> dict[str, Any]:
    """``[devices.document_camera]`` options → :class:`DocumentCamera` keyword arguments
    (sizes given as ``"WIDTHxHEIGHT"``). Unknown names are the registry's to reject."""
    kwargs: dict[str, Any] = {}
    for key, value in options.items():
        if key in ("preview_size", "capture_size"):
            kwargs[key] = parse_size(str(value))
        elif key in ("max_fps", "read_timeout_s", "reopen_interval_s", "view_width_mm"):
            kwargs[key] = float(value)
        elif key == "capture_skip_frames":
            kwargs[key] = int(value)
        elif key == "purpose":
            kwargs[key] = str(value)
    return kwargs
