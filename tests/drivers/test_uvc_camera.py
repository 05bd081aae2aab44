"""The UVC camera driver: JPEG header parsing, Huffman-table repair, reduced-scale decode,
mode choice, the sysfs lookup of ``usb://VID:PID``, and :class:`UvcCamera`'s worker thread.

There is no camera on this machine, so the real V4L2 code paths are tested only for "no such
device" (through OpenCV's own V4L2 backend). The stream logic around OpenCV (the worker
thread, timeouts, raw MJPEG buffers, refused modes, a camera that stops) runs against small
stand-ins for ``cv2.VideoCapture`` handed in through ``capture_factory``; everything that
needs pictures runs against the synthetic camera in test_synthetic_camera.py.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.transports import TransportError, TransportTimeout
from drivers.uvc_camera import (
    MJPG,
    YUYV,
    Frame,
    FrameDecodeError,
    Mode,
    UvcCamera,
    _opencv_capture,
    choose_mode,
    decode_jpeg,
    jpeg_info,
    parse_size,
    resolve_usb_camera,
    standard_huffman_segment,
    usb_video_nodes,
    video_index,
    video_nodes,
    with_huffman_tables,
)


def encoded(width: int = 64, height: int = 48, seed: int = 1) -> bytes:
    rng = np.random.default_rng(seed)
    image = cv2.resize(rng.integers(0, 255, (6, 8, 3), dtype=np.uint8), (width, height),
                       interpolation=cv2.INTER_LINEAR)
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return buffer.tobytes()


def without_dht(data: bytes) -> bytes:
    """The JPEG with its DHT segments cut out, as some UVC cameras send MJPEG frames."""
    out, pos = bytearray(data[:2]), 2
    while True:
        marker = data[pos + 1]
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if marker == 0xDA:
            return bytes(out + data[pos:])
        if marker != 0xC4:
            out += data[pos : pos + 2 + length]
        pos += 2 + length


SMALL = encoded()


# --------------------------------------------------------------------------- JPEG headers


def test_jpeg_info_reads_the_size_without_decoding() -> None:
    info = jpeg_info(encoded(320, 240))
    assert (info.width, info.height, info.components) == (320, 240, 3)
    assert info.has_huffman_tables and info.complete
    assert encoded(320, 240)[info.sos_offset : info.sos_offset + 2] == b"\xff\xda"


def test_a_frame_cut_short_is_incomplete_and_refused() -> None:
    cut = SMALL[: len(SMALL) * 2 // 3]
    assert not jpeg_info(cut).complete
    with pytest.raises(FrameDecodeError, match="cut short"):
        decode_jpeg(cut)


def test_zero_padding_after_the_end_marker_is_accepted() -> None:
    # UVC drivers may report bytesused past the EOI marker
    padded = SMALL + bytes(100)
    assert jpeg_info(padded).complete
    assert decode_jpeg(padded).shape == (48, 64, 3)


@pytest.mark.parametrize("data, words", [
    (b"", "not a JPEG"),
    (b"\x89PNG\r\n\x1a\n", "not a JPEG"),
    (b"\xff\xd8\xff\xd9", "ends before"),
    (b"\xff\xd8\xff\xe0\x00", "cut short"),
    (b"\xff\xd8\xff\xe0\x00\x01xx", "bad length"),
    (b"\xff\xd8\xff\xda\x00\x02", "without a frame header"),
    (b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x00\x00\x10\x01\x01\x11\x00", "unusable size"),
    (b"\xff\xd8\xff\xc0\x00\x0b\x08\x50\x00\x50\x00\x01\x01\x11\x00", "unusable size"),
])
def test_bad_headers_are_named(data: bytes, words: str) -> None:
    with pytest.raises(FrameDecodeError, match=words):
        jpeg_info(data)


def test_frames_without_huffman_tables_get_the_standard_ones() -> None:
    bare = without_dht(SMALL)
    assert not jpeg_info(bare).has_huffman_tables
    # libjpeg-turbo falls back to the standard tables itself ...
    assert np.array_equal(decode_jpeg(bare), decode_jpeg(SMALL))
    fixed = with_huffman_tables(bare)
    # ... and the repaired file carries them, for decoders that do not
    info = jpeg_info(fixed)
    assert info.has_huffman_tables and info.complete
    assert np.array_equal(decode_jpeg(fixed), decode_jpeg(SMALL))
    assert with_huffman_tables(SMALL) is SMALL


def test_the_standard_tables_are_those_of_t81_annex_k3() -> None:
    segment = standard_huffman_segment()
    assert segment[:2] == b"\xff\xc4"
    # Table K.3, DC luminance: class 0, id 0, code counts for lengths 1..16, values 0..11
    at = segment.index(b"\x00\x00\x01\x05\x01\x01\x01\x01\x01\x01\x00\x00\x00")
    assert segment[at + 17 : at + 29] == bytes(range(12))
    # Table K.5, AC luminance: class 1, id 0, 162 values ending with the 0x7D count
    assert b"\x10\x00\x02\x01\x03\x03\x02\x04\x03\x05\x05\x04\x04\x00\x00\x01\x7d" in segment


# --------------------------------------------------------------------------- decoding


def test_reduced_decode_divides_the_size() -> None:
    frame = Frame(0, 0.0, jpeg=encoded(1920, 1080))
    assert frame.size == (1920, 1080)
    assert frame.image().shape == (1080, 1920, 3)
    assert frame.reduced(2).shape == (540, 960, 3)
    assert frame.reduced(4).shape == (270, 480, 3)
    assert frame.reduced(8).shape == (135, 240, 3)
    assert frame.reduced(1) is frame.image()
    with pytest.raises(ValueError, match="1, 2, 4 or 8"):
        frame.reduced(3)


def test_odd_sizes_round_up_like_libjpeg_for_decoded_frames_too() -> None:
    jpeg_frame = Frame(0, 0.0, jpeg=encoded(101, 51))
    pixels_frame = Frame(0, 0.0, pixels=np.zeros((51, 101, 3), np.uint8))
    assert jpeg_frame.reduced(4).shape == pixels_frame.reduced(4).shape == (13, 26, 3)
    assert pixels_frame.size == (101, 51)
    with pytest.raises(FrameDecodeError):
        Frame(0, 0.0).image()


def exif_rotated(data: bytes, orientation: int = 6) -> bytes:
    """The JPEG with an EXIF APP1 segment saying "rotate 90°" (TIFF orientation tag)."""
    ifd = struct.pack("<H", 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def test_exif_orientation_is_ignored_so_pixels_stay_sensor_pixels() -> None:
    rotated = exif_rotated(encoded(64, 32))
    assert cv2.imdecode(np.frombuffer(rotated, np.uint8), cv2.IMREAD_COLOR).shape[:2] == (64, 32)
    assert decode_jpeg(rotated).shape[:2] == (32, 64)
    assert decode_jpeg(rotated, 2).shape[:2] == (16, 32)


# Arbitrary bytes, and valid frames with bytes overwritten, cut short or extended.
_mutated = st.builds(
    lambda data, edits, cut: _mutate(data, edits, cut),
    st.sampled_from([SMALL, without_dht(SMALL), encoded(40, 30, 2)]),
    st.lists(st.tuples(st.integers(0, 4000), st.integers(0, 255)), max_size=8),
    st.one_of(st.none(), st.integers(0, 4000)),
)


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    out = bytearray(data)
    for pos, value in edits:
        out[pos % len(out)] = value
    return bytes(out[:cut] if cut is not None else out)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.binary(max_size=300).map(lambda b: b"\xff\xd8" + b),
                 _mutated))
def test_decoding_arbitrary_bytes_raises_only_frame_decode_error(data: bytes) -> None:
    frame = Frame(0, 0.0, jpeg=data)
    for action in (lambda: frame.size, frame.image, lambda: frame.reduced(2),
                   lambda: frame.reduced(8), lambda: with_huffman_tables(data)):
        try:
            result = action()
        except FrameDecodeError:
            continue
        if isinstance(result, np.ndarray):
            assert result.ndim == 3 and result.shape[2] == 3
            width, height = frame.size  # a decoded frame has a readable header
            assert result.shape[1] <= width and result.shape[0] <= height


# --------------------------------------------------------------------------- modes

DOC_CAMERA = [Mode(w, h, MJPG, f) for w, h, f in [
    (3264, 2448, 15), (2592, 1944, 15), (2048, 1536, 15), (1920, 1080, 30), (1600, 1200, 30),
    (1280, 960, 30), (640, 480, 30)]] + [Mode(640, 480, YUYV, 30), Mode(3264, 2448, YUYV, 2)]
WEBCAM = [Mode(1920, 1080, MJPG, 30), Mode(1280, 720, MJPG, 60), Mode(640, 480, YUYV, 30)]


def test_capture_takes_the_largest_mjpeg_mode() -> None:
    assert choose_mode(DOC_CAMERA, "capture") == Mode(3264, 2448, MJPG, 15)
    assert choose_mode(WEBCAM, "capture") == Mode(1920, 1080, MJPG, 30)


def test_preview_keeps_the_capture_aspect_so_it_sees_the_same_desk() -> None:
    assert choose_mode(DOC_CAMERA, "preview") == Mode(1600, 1200, MJPG, 30)
    assert choose_mode(WEBCAM, "preview") == Mode(1920, 1080, MJPG, 30)
    sixteen_nine_only = [m for m in DOC_CAMERA if m.width != 1600]
    assert choose_mode(sixteen_nine_only, "preview") == Mode(1280, 960, MJPG, 30)


def test_slow_or_uncompressed_cameras_still_get_modes() -> None:
    slow = [Mode(1920, 1080, MJPG, 5), Mode(640, 480, YUYV, 30), Mode(3264, 2448, MJPG, 5)]
    assert choose_mode(slow, "preview") == Mode(640, 480, YUYV, 30)
    yuyv = [Mode(640, 480, YUYV, 30), Mode(1280, 720, YUYV, 10)]
    assert choose_mode(yuyv, "capture") == Mode(1280, 720, YUYV, 10)
    huge = [Mode(4208, 3120, MJPG, 10)]
    assert choose_mode(huge, "preview") == huge[0]


def test_a_configured_size_wins_when_offered() -> None:
    assert choose_mode(DOC_CAMERA, "preview", (1920, 1080)) == Mode(1920, 1080, MJPG, 30)
    assert choose_mode(DOC_CAMERA, "capture", (640, 480)) == Mode(640, 480, MJPG, 30)
    assert choose_mode(DOC_CAMERA, "capture", (123, 45)) == Mode(3264, 2448, MJPG, 15)
    with pytest.raises(ValueError, match="no modes"):
        choose_mode([], "preview")
    with pytest.raises(ValueError, match="purpose"):
        choose_mode(DOC_CAMERA, "archive")


def test_parse_size() -> None:
    assert parse_size("1920x1080") == (1920, 1080)
    assert parse_size(" 3264 X 2448 ") == (3264, 2448)
    with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
        parse_size("1080p")


# --------------------------------------------------------------------------- sysfs


def fake_sysfs(root: Path) -> Path:
    """Two UVC cameras (capture + metadata nodes each) and a PCI capture card, laid out as
    Linux lays them out: class symlinks into the device tree."""
    sysfs = root / "sys"
    cls = sysfs / "class" / "video4linux"
    cls.mkdir(parents=True)

    def camera(port: str, vid: str, pid: str, nodes: dict[int, int], name: str) -> None:
        usb = sysfs / "devices" / "pci0000:00" / "0000:00:14.0" / "usb1" / port
        usb.mkdir(parents=True)
        (usb / "idVendor").write_text(vid + "\n")
        (usb / "idProduct").write_text(pid + "\n")
        for n, index in nodes.items():
            node = usb / f"{port}:1.0" / "video4linux" / f"video{n}"
            node.mkdir(parents=True)
            (node / "index").write_text(f"{index}\n")
            (node / "name").write_text(name + "\n")
            (cls / f"video{n}").symlink_to(os.path.relpath(node, cls))

    camera("1-2", "2bdf", "0280", {10: 0, 11: 1}, "Document Camera")  # 高拍仪 main camera
    camera("1-3", "0c45", "6366", {2: 0, 3: 1}, "USB 2.0 Camera")  # its face camera
    pci = sysfs / "devices" / "pci0000:00" / "0000:00:1f.0" / "video4linux" / "video0"
    pci.mkdir(parents=True)
    (pci / "index").write_text("0\n")
    (cls / "video0").symlink_to(os.path.relpath(pci, cls))
    return sysfs


def test_usb_ids_resolve_to_capture_nodes_through_sysfs(tmp_path: Path) -> None:
    sysfs = fake_sysfs(tmp_path)
    nodes = video_nodes(sysfs)
    assert [n.device for n in nodes] == ["/dev/video2", "/dev/video3", "/dev/video10",
                                         "/dev/video11"]
    main = usb_video_nodes(0x2BDF, 0x0280, sysfs)
    assert [(n.device, n.name, n.vid_pid, n.usb_path) for n in main] == [
        ("/dev/video10", "Document Camera", "2BDF:0280", "1-2")]
    assert resolve_usb_camera(0x0C45, 0x6366, sysfs, dev_root="/run/dev") == "/run/dev/video2"
    with pytest.raises(TransportError, match="no camera with this USB id"):
        resolve_usb_camera(0x1234, 0x5678, sysfs)
    assert video_nodes(tmp_path / "nowhere") == []


# --------------------------------------------------------------------------- V4L2 devices


def test_no_such_device_is_said_plainly() -> None:
    """The real V4L2 path can only be tested for absence here: there is no camera."""
    with pytest.raises(TransportError, match="no such device"):
        UvcCamera("/dev/video97")
    # through OpenCV's own V4L2 backend: it cannot open index 97 either
    camera = UvcCamera("/dev/video97", capture_factory=_opencv_capture, open_timeout_s=3)
    with pytest.raises(TransportError, match="no such device"):
        camera.modes()
    with pytest.raises(TransportError, match="no such device"):
        camera.open(Mode(640, 480, MJPG, 30))
    with pytest.raises(TransportError, match="not open"):
        camera.read(0.1)


def test_only_character_devices_named_videoN_are_cameras(tmp_path: Path) -> None:
    (tmp_path / "video3").write_bytes(b"")
    with pytest.raises(TransportError, match="not a V4L2 video device"):
        video_index(str(tmp_path / "video3"))
    with pytest.raises(TransportError, match="not a V4L2 video device"):
        video_index("/dev/null")


class FakeCapture:
    """A stand-in for ``cv2.VideoCapture`` with a V4L2 driver behind it: accepts ``sizes``,
    and ``read()`` behaves as ``behaviour`` says."""

    def __init__(self, behaviour: str = "mjpeg", sizes: tuple[tuple[int, int], ...] = ((64, 48),),
                 opened: bool = True):
        self.behaviour = behaviour
        self.sizes = sizes
        self.opened = opened
        self.props: dict[int, float] = {cv2.CAP_PROP_FRAME_WIDTH: 640,
                                        cv2.CAP_PROP_FRAME_HEIGHT: 480, cv2.CAP_PROP_FPS: 30}
        self.set_calls: list[tuple[int, float]] = []
        self.release_called = threading.Event()
        self.unblock = threading.Event()
        self.reads = 0

    def isOpened(self) -> bool:  # OpenCV's name
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.set_calls.append((prop, value))
        if prop in (cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT):
            self.props[prop] = value
            size = (self.props[cv2.CAP_PROP_FRAME_WIDTH], self.props[cv2.CAP_PROP_FRAME_HEIGHT])
            if prop == cv2.CAP_PROP_FRAME_HEIGHT and size not in self.sizes:
                # the driver picks the nearest size it has, as V4L2 S_FMT does
                self.props[cv2.CAP_PROP_FRAME_WIDTH], self.props[cv2.CAP_PROP_FRAME_HEIGHT] = \
                    self.sizes[0]
        else:
            self.props[prop] = value
        return True

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FOURCC and self.behaviour == "yuyv-only":
            return float(cv2.VideoWriter.fourcc(*"YUYV"))
        return float(self.props.get(prop, 0.0))

    def read(self) -> tuple[bool, Any]:
        self.reads += 1
        if self.behaviour == "block":
            self.unblock.wait(30)
            return False, None
        if self.behaviour == "unplug" and self.reads > 2:
            return False, None
        time.sleep(0.01)
        if self.props.get(cv2.CAP_PROP_CONVERT_RGB, 1) == 0:
            return True, np.frombuffer(SMALL, np.uint8).reshape(1, -1).copy()
        return True, np.zeros((48, 64, 3), np.uint8)

    def release(self) -> None:
        self.release_called.set()


def fake_camera(capture: FakeCapture, **kwargs: Any) -> UvcCamera:
    return UvcCamera("/dev/video5", capture_factory=lambda index, api, params: capture, **kwargs)


def test_mjpeg_frames_arrive_as_the_raw_bytes_the_camera_sent() -> None:
    capture = FakeCapture()
    camera = fake_camera(capture)
    camera.open(Mode(64, 48, MJPG, 30))
    first, second = camera.read(1.0), camera.read(1.0)
    camera.close()
    assert (cv2.CAP_PROP_CONVERT_RGB, 0) in capture.set_calls
    assert (cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG")) in capture.set_calls
    assert first.jpeg == SMALL and first.pixels is None
    assert second.index > first.index and second.timestamp >= first.timestamp
    assert first.mode == Mode(64, 48, MJPG, 30) and first.size == (64, 48)
    assert capture.release_called.wait(2)


def test_uncompressed_modes_arrive_decoded() -> None:
    camera = fake_camera(FakeCapture())
    camera.open(Mode(64, 48, YUYV, 30))
    frame = camera.read(1.0)
    camera.close()
    assert frame.jpeg is None and frame.image().shape == (48, 64, 3)


def test_a_refused_mode_fails_the_open_plainly() -> None:
    camera = fake_camera(FakeCapture())
    with pytest.raises(TransportError, match="refused 1920x1080 MJPG"):
        camera.open(Mode(1920, 1080, MJPG, 30))


def test_modes_are_probed_once_and_keep_what_the_driver_accepts() -> None:
    capture = FakeCapture(sizes=((640, 480), (1920, 1080), (3264, 2448)))
    camera = fake_camera(capture)
    modes = camera.modes()
    assert [(m.width, m.height, m.fourcc) for m in modes] == [
        (3264, 2448, MJPG), (1920, 1080, MJPG), (640, 480, MJPG),
        (3264, 2448, YUYV), (1920, 1080, YUYV), (640, 480, YUYV)]
    calls = len(capture.set_calls)
    assert camera.modes() == modes and len(capture.set_calls) == calls
    assert capture.release_called.is_set()


def test_a_camera_that_never_delivers_times_out_and_close_does_not_hang() -> None:
    capture = FakeCapture("block")
    camera = fake_camera(capture)
    camera.open(Mode(64, 48, MJPG, 30))
    started = time.monotonic()
    with pytest.raises(TransportTimeout, match=re.escape("no picture within 0.3 s")):
        camera.read(0.3)
    assert time.monotonic() - started < 0.8
    started = time.monotonic()
    camera.close()  # the worker is stuck inside read(): close must not wait for it
    assert time.monotonic() - started < 1.5
    assert not capture.release_called.is_set()
    capture.unblock.set()  # OpenCV returns at last: the abandoned worker releases the device
    assert capture.release_called.wait(2)


def test_a_camera_that_goes_away_mid_stream_raises_transport_error() -> None:
    camera = fake_camera(FakeCapture("unplug"))
    camera.open(Mode(64, 48, MJPG, 30))
    camera.read(1.0)
    with pytest.raises(TransportError) as caught:
        for _ in range(5):
            camera.read(1.0)
    assert not isinstance(caught.value, TransportTimeout)
    assert "unplugged" in str(caught.value)  # /dev/video5 does not exist here
    camera.close()


def test_a_device_that_will_not_open() -> None:
    camera = fake_camera(FakeCapture(opened=False))
    with pytest.raises(TransportError, match="/dev/video5"):
        camera.open(Mode(64, 48, MJPG, 30))
