"""Document cameras (高拍仪) as USB Video Class devices, captured through OpenCV's V4L2 backend.

Sources:

- USB Video Class 1.1/1.5, "Payload Format for Motion-JPEG": each video frame is one
  baseline JPEG; some cameras leave out the Huffman tables (DHT), as Motion-JPEG in AVI
  does, and rely on the standard tables of ITU-T T.81 Annex K.3;
- OpenCV ``modules/videoio/src/cap_v4l.cpp``: with ``CAP_PROP_CONVERT_RGB = 0`` and an
  MJPEG pixel format, ``read()`` returns the driver's buffer undecoded as a 1×N ``uint8``
  array of ``bytesused`` bytes; the first frame after stream-on is dropped by OpenCV
  (``V4L_ABORT_BADJPEG``); a DQBUF waits in ``select()`` for
  ``OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT`` seconds (default 10, read once per process), and
  ``CAP_PROP_READ_TIMEOUT_MSEC`` is not honoured by the V4L2 backend (only by FFmpeg/GStreamer);
- ../shared/research/camera.md §5: reduced-scale JPEG decode (``IMREAD_REDUCED_COLOR_2/4/8``,
  libjpeg's DCT scaling) turns a 1080p MJPEG frame into a 960×540 image in ~4 ms, a quarter of
  a full decode plus resize; only the captured frame is fully decoded.

What this module gives:

- :class:`Mode`, :class:`Frame` and the :class:`FrameSource` protocol every camera (real or
  :mod:`drivers.sim.synthetic_camera`) implements;
- pure JPEG helpers: :func:`jpeg_info` (size and segments from the header, no decode) and
  :func:`with_huffman_tables` (adds the Annex K tables to a frame that lacks them);
- :func:`choose_mode` (the preview and capture modes of a camera's list);
- :func:`usb_video_nodes` / :func:`resolve_usb_camera` (``usb://VID:PID`` → ``/dev/videoN``
  through ``/sys/class/video4linux``);
- :class:`UvcCamera`, the V4L2 :class:`FrameSource`.

Mode listing: OpenCV has no API to enumerate a camera's formats (``VIDIOC_ENUM_FMT`` /
``VIDIOC_ENUM_FRAMESIZES`` are not exposed), so :meth:`UvcCamera.modes` asks for each of
:data:`COMMON_SIZES` × MJPG/YUYV and keeps what the driver accepts unchanged.

Never a frozen caller: a :class:`UvcCamera` stream runs in its own worker thread that alone
touches the ``VideoCapture``; :meth:`UvcCamera.read` waits on that thread's latest frame with
a timeout. A worker stuck inside OpenCV is abandoned and releases the device when OpenCV
returns (after ``OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT``, which this module sets to 2 s unless
the environment already sets it).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from .transports import TransportError, TransportTimeout

MJPG = "MJPG"
YUYV = "YUYV"

COMMON_SIZES: tuple[tuple[int, int], ...] = (
    (640, 480), (800, 600), (1024, 768), (1280, 720), (1280, 960), (1600, 1200),
    (1920, 1080), (2048, 1536), (2592, 1944), (3264, 2448), (3840, 2160), (4208, 3120),
)
"""Sizes :meth:`UvcCamera.modes` asks a camera for: the usual 4:3 document-camera ladder
(2 to 13 MP) plus the 16:9 sizes webcams offer."""

MAX_SIDE = 16384
"""Largest width or height a frame header may claim; larger is refused before decoding
(no document camera comes near it, and a corrupt header must not allocate gigabytes)."""

PREVIEW_MAX_AREA = 1920 * 1080
PREVIEW_MIN_FPS = 15.0


class FrameDecodeError(ValueError):
    """A frame's bytes are not a complete baseline JPEG that can be decoded."""


# --------------------------------------------------------------------------- modes


@dataclass(frozen=True)
class Mode:
    """One format a camera streams in: size in pixels, pixel format, frames per second."""

    width: int
    height: int
    fourcc: str
    fps: float

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def aspect(self) -> float:
        return self.width / self.height

    def as_dict(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "fourcc": self.fourcc,
                "fps": self.fps}

    def __str__(self) -> str:
        return f"{self.width}x{self.height} {self.fourcc} {self.fps:g} fps"


def parse_size(text: str) -> tuple[int, int]:
    """``"1920x1080"`` → ``(1920, 1080)``; :class:`ValueError` in plain words otherwise."""
    match = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text)
    if not match:
        raise ValueError(f"{text!r} is not a size; write WIDTHxHEIGHT, e.g. 1920x1080")
    return int(match.group(1)), int(match.group(2))


def choose_mode(modes: Sequence[Mode], purpose: str,
                size: tuple[int, int] | None = None) -> Mode:
    """The mode to stream in for a purpose.

    - ``"capture"``: the largest MJPEG mode (ties: the higher frame rate); a camera without
      MJPEG gets its largest mode of any format.
    - ``"preview"``: an MJPEG mode of at most 1920×1080 pixels and at least 15 fps, preferring
      the capture mode's aspect ratio (a 16:9 mode of a 4:3 sensor is usually a crop, so the
      preview would show less of the desk than the photo takes), then the larger, then the
      faster. Without such a mode: the fastest mode of at most 1080p, then anything.

    :param size: ``(width, height)`` a site configured; the fastest mode of that size wins
        when the camera offers it (MJPEG first), otherwise the rules above apply.
    :raises ValueError: no modes, or an unknown purpose.
    """
    if purpose not in ("preview", "capture"):
        raise ValueError(f"purpose is preview or capture, not {purpose!r}")
    if not modes:
        raise ValueError("the camera offers no modes")
    if size is not None:
        sized = [m for m in modes if (m.width, m.height) == size]
        if sized:
            return max(sized, key=lambda m: (m.fourcc == MJPG, m.fps))
    mjpeg = [m for m in modes if m.fourcc == MJPG]
    if purpose == "capture":
        return max(mjpeg or modes, key=lambda m: (m.area, m.fps))
    aspect = choose_mode(modes, "capture").aspect
    small = [m for m in mjpeg if m.area <= PREVIEW_MAX_AREA and m.fps >= PREVIEW_MIN_FPS]
    if small:
        return max(small, key=lambda m: (abs(m.aspect - aspect) < 0.01, m.area, m.fps))
    within = [m for m in modes if m.area <= PREVIEW_MAX_AREA]
    if within:
        return max(within, key=lambda m: (m.fps, m.fourcc == MJPG, m.area))
    return min(modes, key=lambda m: (m.area, -m.fps))


# --------------------------------------------------------------------------- JPEG headers


@dataclass(frozen=True)
class JpegInfo:
    width: int
    height: int
    components: int
    has_huffman_tables: bool
    sos_offset: int  # where the (first) start-of-scan marker begins
    complete: bool  # ends with EOI (after any zero padding the driver left)


_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # DHT, JPG, DAC are not frames
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RSTn: no length field


def jpeg_info(data: bytes) -> JpegInfo:
    """Size and structure of a JPEG from its header segments, without decoding.

    Walks the markers from SOI up to SOS (ITU-T T.81 §B.1).

    :raises FrameDecodeError: not a JPEG, a header cut short, no frame header before the
        scan, or a size of 0 or above :data:`MAX_SIDE`.
    """
    if len(data) < 4 or data[0] != 0xFF or data[1] != 0xD8:
        raise FrameDecodeError("not a JPEG (no start-of-image marker)")
    pos = 2
    size: tuple[int, int, int] | None = None
    dht = False
    while True:
        while pos < len(data) and data[pos] != 0xFF:  # tolerate stray bytes between segments
            pos += 1
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= len(data):
            raise FrameDecodeError("JPEG header cut short (no start-of-scan)")
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE or marker == 0x00:
            continue
        if marker == 0xD9:
            raise FrameDecodeError("JPEG ends before its scan")
        if marker == 0xD8:
            raise FrameDecodeError("JPEG header has a second start-of-image marker")
        if pos + 2 > len(data):
            raise FrameDecodeError("JPEG header cut short")
        (length,) = struct.unpack_from(">H", data, pos)
        if length < 2 or pos + length > len(data):
            raise FrameDecodeError(f"JPEG segment FF{marker:02X} has a bad length")
        if marker == 0xDA:
            if size is None:
                raise FrameDecodeError("JPEG scan without a frame header")
            height, width, components = size
            complete = bytes(data).rstrip(b"\x00").endswith(b"\xff\xd9")
            return JpegInfo(width, height, components, dht, pos - 2, complete)
        if marker == 0xC4:
            dht = True
        elif marker in _SOF:
            if length < 8:
                raise FrameDecodeError("JPEG frame header too short")
            _, height, width, components = struct.unpack_from(">BHHB", data, pos + 2)
            if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE) or components == 0:
                raise FrameDecodeError(f"JPEG claims an unusable size {width}x{height}")
            size = (height, width, components)
        pos += length


_STANDARD_DHT: bytes | None = None


def standard_huffman_segment() -> bytes:
    """The four Huffman tables of T.81 Annex K.3 as DHT segments.

    Taken from a JPEG that libjpeg encodes itself: libjpeg writes exactly these tables
    unless asked to optimise them (``jpeg_set_defaults`` → ``std_huff_tables``), so they are
    not retyped here.
    """
    global _STANDARD_DHT
    if _STANDARD_DHT is None:
        pixels = np.zeros((16, 16, 3), np.uint8)
        ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_OPTIMIZE, 0])
        if not ok:  # pragma: no cover - OpenCV always encodes this
            raise RuntimeError("OpenCV cannot encode a JPEG")
        _STANDARD_DHT = b"".join(_segments(encoded.tobytes(), 0xC4))
    return _STANDARD_DHT


def _segments(data: bytes, wanted: int) -> Iterable[bytes]:
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if marker == wanted:
            yield data[pos : pos + 2 + length]
        if marker == 0xDA:
            return
        pos += 2 + length


def with_huffman_tables(data: bytes) -> bytes:
    """The frame as a stand-alone JPEG file: the standard Huffman tables are inserted before
    the scan when the camera left them out (UVC MJPEG, like AVI MJPEG, may). libjpeg-turbo
    decodes such frames anyway; other viewers and archive tools may not.

    :raises FrameDecodeError: not a JPEG (see :func:`jpeg_info`).
    """
    info = jpeg_info(data)
    if info.has_huffman_tables:
        return data
    return data[: info.sos_offset] + standard_huffman_segment() + data[info.sos_offset :]


# --------------------------------------------------------------------------- frames

_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8}


@dataclass(eq=False)
class Frame:
    """One picture from a camera.

    A camera streaming MJPEG hands over the JPEG bytes it sent (``jpeg``), undecoded: the
    preview path decodes them at reduced scale (:meth:`reduced`), the captured frame in full
    (:meth:`image`), and an archive can keep the bytes as they are. A camera streaming an
    uncompressed format hands over the decoded BGR image (``pixels``) instead.

    Decoding raises only :class:`FrameDecodeError`.
    """

    index: int
    """Frame number from the source, increasing."""
    timestamp: float
    """``time.monotonic()`` when the source handed the frame over."""
    jpeg: bytes | None = None
    pixels: np.ndarray | None = None
    mode: Mode | None = None
    """The mode the camera streamed in when it sent this frame."""
    truth: list[Any] = field(default_factory=list)
    """Ground truth from a simulator (:class:`drivers.sim.synthetic_camera.DocTruth`);
    empty from a real camera."""
    _image: np.ndarray | None = field(default=None, init=False, repr=False)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``, from the JPEG header when there is one (no decode)."""
        if self.jpeg is not None:
            info = jpeg_info(self.jpeg)
            return info.width, info.height
        if self.pixels is not None:
            return int(self.pixels.shape[1]), int(self.pixels.shape[0])
        raise FrameDecodeError("the frame carries no picture")

    def image(self) -> np.ndarray:
        """The full-size BGR image (decoded once, then kept)."""
        if self._image is None:
            if self.jpeg is not None:
                self._image = decode_jpeg(self.jpeg, 1)
            elif self.pixels is not None:
                self._image = self.pixels
            else:
                raise FrameDecodeError("the frame carries no picture")
        return self._image

    def reduced(self, scale: int) -> np.ndarray:
        """The BGR image at 1/``scale`` size (``scale`` 1, 2, 4 or 8), decoded straight at
        that scale from the JPEG (camera.md §5), so a 1080p preview frame costs about as much
        as a 540p one. Sizes round up, as libjpeg's scaled output does."""
        if scale not in _REDUCED:
            raise ValueError(f"scale is 1, 2, 4 or 8, not {scale!r}")
        if scale == 1:
            return self.image()
        if self.jpeg is not None:
            return decode_jpeg(self.jpeg, scale)
        full = self.image()
        height, width = full.shape[:2]
        size = (-(-width // scale), -(-height // scale))
        return cv2.resize(full, size, interpolation=cv2.INTER_AREA)


def decode_jpeg(data: bytes, scale: int = 1) -> np.ndarray:
    """Decode a camera JPEG to BGR at 1/``scale`` size.

    EXIF orientation is ignored on purpose: coordinates must stay those of the sensor (the
    simulator's ground truth and every detected quad are in frame pixels).

    :raises FrameDecodeError: not a complete JPEG, or libjpeg could not decode it.
    """
    info = jpeg_info(data)
    if not info.complete:
        # A frame cut short on the USB bus would decode with a grey lower part; better none.
        raise FrameDecodeError("the JPEG frame is cut short (no end-of-image marker)")
    flags = _REDUCED[scale] | cv2.IMREAD_IGNORE_ORIENTATION
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error as exc:
        raise FrameDecodeError(f"the JPEG frame cannot be decoded ({exc.err})") from exc
    if image is None or image.ndim != 3:
        raise FrameDecodeError("the JPEG frame cannot be decoded")
    return image


class FrameSource(Protocol):
    """A camera: real (:class:`UvcCamera`) or simulated
    (:class:`drivers.sim.synthetic_camera.SyntheticCamera`).

    - :meth:`modes` lists what the camera can stream (may open the device briefly);
    - :meth:`open` starts streaming in a mode, or switches a running stream to it;
    - :meth:`read` returns a frame newer than the last one read, within ``timeout_s``:
      :class:`TransportTimeout` when none came, :class:`TransportError` when the camera is
      gone (unplugged), never a longer wait;
    - :meth:`close` is idempotent.
    """

    name: str
    mode: Mode | None

    def modes(self) -> list[Mode]: ...

    def open(self, mode: Mode) -> None: ...

    def read(self, timeout_s: float) -> Frame: ...

    def close(self) -> None: ...


# --------------------------------------------------------------------------- sysfs lookup


@dataclass(frozen=True)
class VideoNode:
    """A V4L2 device node and the USB device it belongs to."""

    device: str  # /dev/videoN
    name: str  # the driver's name for it (sysfs ``name``), e.g. the camera's product string
    index: int  # sysfs ``index``: 0 is a UVC camera's capture node, 1 its metadata node
    vid_pid: str  # "VVVV:PPPP", upper-case hex
    usb_path: str  # the USB port path, e.g. "1-2.3"


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def video_nodes(sysfs_root: str | Path = "/sys", dev_root: str | Path = "/dev") -> list[VideoNode]:
    """Every ``/sys/class/video4linux/videoN`` that sits on a USB device, in N order.

    :param sysfs_root: where sysfs is mounted (a fake tree in tests).
    :param dev_root: where the device nodes are, for the returned paths.
    """
    folder = Path(sysfs_root) / "class" / "video4linux"
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    found: list[tuple[int, VideoNode]] = []
    for entry in entries:
        match = re.fullmatch(r"video(\d+)", entry.name)
        if not match:
            continue
        real = entry.resolve()
        usb_dir = next((p for p in (real, *real.parents) if (p / "idVendor").is_file()), None)
        if usb_dir is None:
            continue  # not a USB camera (a PCI capture card, v4l2loopback)
        vid = _read_text(usb_dir / "idVendor").upper()
        pid = _read_text(usb_dir / "idProduct").upper()
        index_text = _read_text(entry / "index")
        node = VideoNode(device=str(Path(dev_root) / entry.name), name=_read_text(entry / "name"),
                         index=int(index_text) if index_text.isdigit() else 0,
                         vid_pid=f"{vid}:{pid}", usb_path=usb_dir.name)
        found.append((int(match.group(1)), node))
    return [node for _, node in sorted(found, key=lambda pair: pair[0])]


def usb_video_nodes(vid: int, pid: int, sysfs_root: str | Path = "/sys",
                    dev_root: str | Path = "/dev") -> list[VideoNode]:
    """The capture nodes (sysfs ``index`` 0) of the USB devices with this id, in N order.

    UVC cameras get two nodes since Linux 4.16; the second (index 1) carries metadata only.
    A two-camera 高拍仪 (document + face camera) under one id gives two capture nodes.
    """
    wanted = f"{vid:04X}:{pid:04X}"
    return [node for node in video_nodes(sysfs_root, dev_root)
            if node.vid_pid == wanted and node.index == 0]


def resolve_usb_camera(vid: int, pid: int, sysfs_root: str | Path = "/sys",
                       dev_root: str | Path = "/dev") -> str:
    """``/dev/videoN`` of the first camera with this USB id (looked up at each open, so a
    camera replugged on another port or renumbered is still found).

    :raises TransportError: no such camera is plugged in.
    """
    nodes = usb_video_nodes(vid, pid, sysfs_root, dev_root)
    if not nodes:
        raise TransportError(f"usb://{vid:04X}:{pid:04X}: no camera with this USB id is plugged "
                             "in; check the cable, or list cameras with `v4l2-ctl --list-devices`")
    return nodes[0].device


# --------------------------------------------------------------------------- V4L2 capture

CaptureFactory = Callable[[int, int, Sequence[int]], Any]
"""``factory(index, api, params)`` → an object with the ``cv2.VideoCapture`` methods used
here (isOpened, set, get, read, release). Injected in tests; OpenCV's by default."""


def _opencv_capture(index: int, api: int, params: Sequence[int]) -> Any:
    return cv2.VideoCapture(index, api, list(params))


def fourcc_code(fourcc: str) -> int:
    return cv2.VideoWriter.fourcc(*fourcc)


def fourcc_text(code: float) -> str:
    value = int(code)
    return "".join(chr((value >> (8 * i)) & 0xFF) for i in range(4))


def video_index(device: str) -> int:
    """N of a ``/dev/videoN`` path (symlinks such as ``/dev/v4l/by-id/...`` are followed).

    Opened by index because this OpenCV build's V4L2 backend refuses to open by file name.

    :raises TransportError: no such device, or not a video node.
    """
    path = Path(device)
    try:
        is_device = stat.S_ISCHR(path.stat().st_mode)
    except FileNotFoundError:
        raise TransportError(f"{device}: no such device; is the camera plugged in?") from None
    except OSError as exc:
        raise TransportError(f"{device}: {exc.strerror}") from exc
    match = re.fullmatch(r"video(\d+)", path.resolve().name)
    if not is_device or not match:
        raise TransportError(f"{device}: not a V4L2 video device (expected /dev/videoN)")
    return int(match.group(1))


def _configure(capture: Any, mode: Mode) -> Mode:
    """Ask for ``mode`` and return what the driver actually set."""
    # FOURCC first: a size is only valid within a pixel format.
    capture.set(cv2.CAP_PROP_FOURCC, fourcc_code(mode.fourcc))
    capture.set(cv2.CAP_PROP_FRAME_WIDTH, mode.width)
    capture.set(cv2.CAP_PROP_FRAME_HEIGHT, mode.height)
    if mode.fps:
        capture.set(cv2.CAP_PROP_FPS, mode.fps)
    return Mode(int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                fourcc_text(capture.get(cv2.CAP_PROP_FOURCC)),
                round(float(capture.get(cv2.CAP_PROP_FPS)), 2))


class _Stream:
    """One open stream: a worker thread owns the ``VideoCapture`` (OpenCV objects are not
    safe to share between threads) and keeps only the newest frame."""

    def __init__(self, camera: UvcCamera, mode: Mode, first_index: int):
        self.camera = camera
        self.requested = mode
        self.mode: Mode | None = None
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._error: TransportError | None = None
        self._opened = False
        self._stop = threading.Event()
        self._next_index = first_index
        self.thread = threading.Thread(target=self._run, name=f"uvc {camera.name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        camera = self.camera
        capture = None
        try:
            capture = camera.capture_factory(camera.index, camera.api, camera.open_params())
            if not capture.isOpened():
                raise TransportError(camera.explain_open_failure())
            # Raw MJPEG: the undecoded driver buffer instead of a BGR image (module docstring).
            capture.set(cv2.CAP_PROP_CONVERT_RGB, 0 if self.requested.fourcc == MJPG else 1)
            actual = _configure(capture, self.requested)
            if (actual.width, actual.height, actual.fourcc) != (
                    self.requested.width, self.requested.height, self.requested.fourcc):
                raise TransportError(f"{camera.name}: the camera refused {self.requested} "
                                     f"(it set {actual})")
            self.mode = actual
            with self._cond:
                self._opened = True
                self._cond.notify_all()
            while not self._stop.is_set():
                ok, buffer = capture.read()
                if self._stop.is_set():
                    break
                if not ok or buffer is None or buffer.size == 0:
                    raise TransportError(camera.explain_read_failure())
                self._publish(buffer)
        except TransportError as exc:
            self._fail(exc)
        except Exception as exc:  # cv2.error, a driver surprise: report it, plainly
            self._fail(TransportError(f"{camera.name}: capture failed ({exc})"))
        finally:
            if capture is not None:
                with contextlib.suppress(Exception):
                    capture.release()

    def _publish(self, buffer: np.ndarray) -> None:
        now = time.monotonic()
        if buffer.ndim == 3:  # decoded by OpenCV (YUYV, or a backend that ignored CONVERT_RGB)
            frame = Frame(self._next_index, now, pixels=buffer, mode=self.mode)
        else:
            frame = Frame(self._next_index, now, jpeg=buffer.tobytes(), mode=self.mode)
        with self._cond:
            self._next_index += 1
            self._frame = frame
            self._cond.notify_all()

    def _fail(self, error: TransportError) -> None:
        with self._cond:
            self._error = error
            self._cond.notify_all()

    def wait_open(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self._opened:
                if self._error is not None:
                    raise self._error
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TransportTimeout(f"{self.camera.name}: the camera did not open within "
                                           f"{timeout_s:g} s")
                self._cond.wait(left)

    def read(self, after: int, timeout_s: float) -> Frame:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._frame is None or self._frame.index <= after:
                if self._error is not None:
                    raise self._error
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TransportTimeout(f"{self.camera.name}: no picture within "
                                           f"{timeout_s:g} s; the camera stopped sending frames")
                self._cond.wait(left)
            return self._frame

    @property
    def next_index(self) -> int:
        with self._cond:
            return self._next_index

    def stop(self, wait_s: float = 1.0) -> None:
        """Ask the worker to stop; wait a little. A worker stuck inside OpenCV is left to
        finish on its own (it releases the device when OpenCV returns)."""
        self._stop.set()
        if threading.current_thread() is not self.thread:
            self.thread.join(wait_s)


class UvcCamera:
    """A UVC camera on V4L2 through OpenCV, as a :class:`FrameSource`.

    :param device: ``/dev/videoN`` (or a symlink to one, e.g. ``/dev/v4l/by-id/...``).
    :param sizes: sizes :meth:`modes` asks the camera for.
    :param open_timeout_s: longest wait for the device to open or to answer the mode probe.
    :param capture_factory: makes the ``VideoCapture`` (tests inject a fake).
    :raises TransportError: the device does not exist or is not a video node.
    """

    def __init__(self, device: str, *, sizes: Sequence[tuple[int, int]] = COMMON_SIZES,
                 open_timeout_s: float = 5.0, capture_factory: CaptureFactory | None = None):
        # Bound how long an abandoned worker keeps the device busy (module docstring); only
        # effective before OpenCV's first V4L2 read in this process.
        os.environ.setdefault("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", "2")
        self.name = device
        self.sizes = tuple(sizes)
        self.open_timeout_s = open_timeout_s
        self.capture_factory = capture_factory or _opencv_capture
        self.api = cv2.CAP_V4L2
        self.index = video_index(device) if capture_factory is None else _loose_index(device)
        self.mode: Mode | None = None
        self._modes: list[Mode] | None = None
        self._stream: _Stream | None = None
        self._last = -1
        self._next_index = 0

    def open_params(self) -> list[int]:
        # Honoured by the backends that support them (not V4L2: see the module docstring).
        timeout_ms = int(self.open_timeout_s * 1000)
        return [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms,
                cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms]

    def explain_open_failure(self) -> str:
        path = Path(self.name)
        if not path.exists():
            return f"{self.name}: no such device; is the camera plugged in?"
        if not os.access(path, os.R_OK | os.W_OK):
            return (f"{self.name}: permission denied; add the service user to the video group "
                    "(or bianmin), or check the udev rule")
        return f"{self.name}: cannot open the camera; is another program using it?"

    def explain_read_failure(self) -> str:
        if not Path(self.name).exists():
            return f"{self.name}: the camera was unplugged"
        return f"{self.name}: the camera stopped sending frames (USB bandwidth or power?)"

    # -- FrameSource

    def modes(self) -> list[Mode]:
        """The modes the camera accepts among :attr:`sizes` × MJPG/YUYV (probed once, then
        cached). Must not be called while streaming: probing changes the format.

        :raises TransportError: the camera cannot be opened, or the probe did not finish
            within ``open_timeout_s`` plus a second per size.
        """
        if self._modes is not None:
            return list(self._modes)
        if self._stream is not None:
            raise TransportError(f"{self.name}: modes are probed before streaming starts")
        result: list[Any] = []
        done = threading.Event()

        def probe() -> None:
            try:
                result.append(self._probe())
            except Exception as exc:  # handed to the caller below
                result.append(exc)
            finally:
                done.set()

        threading.Thread(target=probe, name=f"uvc probe {self.name}", daemon=True).start()
        if not done.wait(self.open_timeout_s + len(self.sizes)):
            raise TransportTimeout(f"{self.name}: the camera did not answer the format probe")
        outcome = result[0]
        if isinstance(outcome, TransportError):
            raise outcome
        if isinstance(outcome, Exception):
            raise TransportError(f"{self.name}: format probe failed ({outcome})")
        self._modes = outcome
        return list(outcome)

    def _probe(self) -> list[Mode]:
        capture = self.capture_factory(self.index, self.api, self.open_params())
        try:
            if not capture.isOpened():
                raise TransportError(self.explain_open_failure())
            found: dict[tuple[int, int, str], Mode] = {}
            for fourcc in (MJPG, YUYV):
                for width, height in self.sizes:
                    actual = _configure(capture, Mode(width, height, fourcc, 30.0))
                    if (actual.width, actual.height, actual.fourcc) == (width, height, fourcc):
                        found[(width, height, fourcc)] = actual
            return sorted(found.values(), key=lambda m: (m.fourcc != MJPG, -m.area, -m.fps))
        finally:
            with contextlib.suppress(Exception):
                capture.release()

    def open(self, mode: Mode) -> None:
        """Start streaming in ``mode`` (a running stream is stopped first: V4L2 changes the
        format only with the stream off).

        :raises TransportError: cannot open, the camera refused the mode, or it did not
            open within ``open_timeout_s``.
        """
        self.close()
        stream = _Stream(self, mode, self._next_index)
        try:
            stream.wait_open(self.open_timeout_s)
        except TransportError:
            stream.stop(0.0)
            raise
        self._stream = stream
        self.mode = stream.mode

    def read(self, timeout_s: float) -> Frame:
        stream = self._stream
        if stream is None:
            raise TransportError(f"{self.name}: the camera is not open")
        frame = stream.read(self._last, timeout_s)
        self._last = frame.index
        return frame

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            self._next_index = stream.next_index
            stream.stop()
        self.mode = None


def _loose_index(device: str) -> int:
    """The N in a device name, for injected (fake) captures that need no real node."""
    match = re.search(r"(\d+)$", device)
    return int(match.group(1)) if match else 0
