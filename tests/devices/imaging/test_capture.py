"""From a captured 8 MP frame to a saved page (devices/imaging/capture.py): the corners found
again and refined at full resolution, the page's kind from the camera's scale, the archive
JPEG with its DPI, and the QR code read from the page.

Measured when written (synthetic camera, 8 MP, dark desk, seed 3): corners off by 0.033–0.043 %
of the height; capture_page 35–120 ms (decode 18–35, detect 11–29, refine 2–3, warp 2–15,
encode 1–33, codes 1–14).
"""

from __future__ import annotations

import functools
import io

import numpy as np
import pytest
from PIL import Image

from devices.imaging import geometry
from devices.imaging.capture import CapturedPage, capture_page
from devices.imaging.detect import PageDetector
from drivers.sim.camera_suite import jpeg
from drivers.sim.synthetic_camera import SyntheticCamera, SyntheticCameraConfig
from drivers.uvc_camera import Frame, FrameDecodeError, Mode

SEED = 3
QR_TEXT = "BM-2024-0042 预约号 17"
VIEW_WIDTH_MM = 430.0  # the simulator sees 430 mm across the middle of its view


def camera(script: str) -> SyntheticCamera:
    return SyntheticCamera(SyntheticCameraConfig(script=script, size="8mp", realtime=False,
                                                 seed=SEED, qr_text=QR_TEXT))


def mode_8mp(cam: SyntheticCamera) -> Mode:
    return next(m for m in cam.modes() if m.width == 3264)


@functools.cache
def rendered(script: str, index: int) -> tuple[Frame, list]:
    cam = camera(script)
    mode = mode_8mp(cam)
    image, truths = cam.render(index, mode)
    return Frame(index, index / 15, jpeg=jpeg(image), mode=mode, truth=truths), truths


@functools.cache
def detector() -> PageDetector:
    """The photo detector, with its picture of the empty desk in the capture mode."""
    cam = camera("empty")
    empty, _ = cam.render(0, mode_8mp(cam))
    found = PageDetector()
    found.set_reference(empty)
    return found


def captured(script: str, index: int, **kwargs: object) -> CapturedPage:
    frame, _ = rendered(script, index)
    return capture_page(frame, detector(), px_per_mm=frame.size[0] / VIEW_WIDTH_MM, **kwargs)


PAGES = [
    pytest.param("a4", 40, "a4", (297.0, 210.0), id="a4-form"),  # laid landscape
    pytest.param("idcard", 40, "id_card", (85.6, 54.0), id="id-card-front"),
    pytest.param("idcard", 120, "id_card", (85.6, 54.0), id="id-card-back"),
    pytest.param("qr", 40, "a5", (148.0, 210.0), id="qr-page"),
]


@pytest.mark.parametrize(("script", "index", "kind", "size_mm"), PAGES)
def test_page_is_found_flattened_and_archived(script: str, index: int, kind: str,
                                              size_mm: tuple[float, float]) -> None:
    frame, truths = rendered(script, index)
    (truth,) = truths
    assert truth.settled and not truth.held
    page = captured(script, index)
    assert page.frame_index == index
    assert page.corners is not None
    error = geometry.max_corner_distance(np.array(page.corners), np.array(truth.frame_ordered()))
    assert error <= 0.002 * frame.size[1]
    assert page.page.kind == kind
    assert page.page.size_mm == size_mm
    assert page.page.mode == "colour"
    # the page's resolution: the sensor's own (3264 px over 430 mm: about 193 dpi)
    assert page.page.dpi == pytest.approx(3264 / VIEW_WIDTH_MM * 25.4, rel=0.03)
    height, width = page.page.pixels.shape[:2]
    assert width / height == pytest.approx(size_mm[0] / size_mm[1], rel=0.01)
    with Image.open(io.BytesIO(page.archive)) as archive:
        assert archive.format == "JPEG"
        assert archive.size == (width, height)
        assert archive.info["dpi"] == pytest.approx((page.page.dpi, page.page.dpi), abs=0.5)
    assert set(page.timings_ms) >= {"decode", "detect", "refine", "warp", "encode", "codes",
                                    "total"}
    assert page.timings_ms["total"] >= sum(v for k, v in page.timings_ms.items()
                                           if k != "total") - 1e-6


def test_the_qr_code_on_the_page_is_read() -> None:
    page = captured("qr", 40)
    assert [code.text for code in page.codes] == [QR_TEXT]
    assert page.codes[0].format.lower().replace("-", "").replace("_", "") == "qrcode"
    assert captured("idcard", 40).codes == ()
    assert captured("qr", 40, read_codes=False).codes == ()


def test_without_the_scale_the_aspect_is_kept_and_only_a_card_is_known() -> None:
    """A4 and A5 share an aspect ratio: without the camera's scale the page is flattened to
    √2 but its kind stays open; an ID card's aspect is its own."""
    frame, _ = rendered("a4", 40)
    page = capture_page(frame, detector()).page
    assert page.kind is None
    assert page.size_mm[0] / page.size_mm[1] == pytest.approx(297 / 210, rel=0.005)
    card, _ = rendered("idcard", 40)
    assert capture_page(card, detector()).page.kind == "id_card"


def test_corners_from_the_caller_are_refined_not_redetected() -> None:
    frame, (truth,) = rendered("idcard", 40)
    exact = np.array(truth.frame_ordered())
    rough = exact + np.array([(9.0, -7.0), (-8.0, 6.0), (7.0, 8.0), (-6.0, -9.0)])
    page = capture_page(frame, PageDetector(), corners=rough, read_codes=False,
                        px_per_mm=frame.size[0] / VIEW_WIDTH_MM)
    assert page.corners is not None
    assert geometry.max_corner_distance(np.array(page.corners), exact) <= 0.002 * 2448
    assert page.page.kind == "id_card"


def test_an_empty_desk_keeps_the_whole_frame() -> None:
    _, truths = rendered("empty", 5)
    assert truths == []
    page = captured("empty", 5)
    assert page.corners is None
    height, width = page.page.pixels.shape[:2]
    assert width == pytest.approx(3264, rel=0.02) and height == pytest.approx(2448, rel=0.02)
    assert page.page.kind is None
    assert page.page.size_mm[0] == pytest.approx(VIEW_WIDTH_MM, rel=0.02)
    with Image.open(io.BytesIO(page.archive)) as archive:
        assert archive.size == (width, height)


@pytest.mark.parametrize("data", [
    b"not a jpeg at all",
    b"\xff\xd8\xff\xe0\x00\x10JFIF",  # a header cut short
], ids=["garbage", "cut-short-header"])
def test_a_corrupt_frame_raises_frame_decode_error(data: bytes) -> None:
    with pytest.raises(FrameDecodeError):
        capture_page(Frame(7, 0.0, jpeg=data), detector())


def test_a_frame_cut_short_on_the_bus_raises_frame_decode_error() -> None:
    frame, _ = rendered("idcard", 40)
    assert frame.jpeg is not None
    cut = Frame(frame.index, 0.0, jpeg=frame.jpeg[: len(frame.jpeg) // 2])
    with pytest.raises(FrameDecodeError):
        capture_page(cut, detector())


def test_the_upload_copy_is_made_on_demand() -> None:
    page = captured("idcard", 40, read_codes=False)
    copy = page.upload(limit_bytes=400_000)
    assert len(copy) <= 400_000
    with Image.open(io.BytesIO(copy)) as image:
        image.load()
        assert image.size[0] > 0
