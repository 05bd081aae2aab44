"""From a captured frame to a saved page: find the page again on the full-resolution frame,
put its sides on the edges, flatten it, encode the archive master and read its codes.

The order and the figures are camera.md §5 ("capture-to-page latency"): decode the captured
frame once in full; detect on its reduced-scale decode (the preview's corners belong to
another mode: a 16:9 preview is a crop of the 4:3 sensor, so they do not carry over); refine
the corners at full resolution; warp to the page's true size; JPEG q85 with its DPI; QR codes
on the warped page (zxing-cpp, a few milliseconds). The upload copy is made later, when the
case is sent, not on the clerk's time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from drivers.uvc_camera import Frame

from . import codes as codes_module
from .codes import Code
from .detect import PageDetector, refine_corners
from .geometry import Corners, as_corners
from .page import PageImage, archive_master, upload_copy, warp_page


@dataclass(frozen=True)
class CapturedPage:
    """One page as captured."""

    frame_index: int
    corners: Corners | None
    """The page in the captured frame's pixels (TL, TR, BR, BL); None when no page was found
    and the whole frame was kept."""
    page: PageImage
    """The flattened page in colour."""
    archive: bytes
    """The archive master: colour JPEG, quality 85, DPI in the file."""
    codes: tuple[Code, ...] = ()
    """QR codes on the page (appointment numbers, e-licence codes)."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Milliseconds per step: decode, detect, refine, warp, encode, codes, total."""

    def upload(self, *, mode: str = "whiten", limit_bytes: int = 2_000_000) -> bytes:
        """The upload copy (:func:`devices.imaging.page.upload_copy`)."""
        return upload_copy(self.page, mode=mode, limit_bytes=limit_bytes)


def capture_page(frame: Frame, detector: PageDetector, *, px_per_mm: float | None = None,
                 read_codes: bool = True, corners: Corners | None = None) -> CapturedPage:
    """Turn a full-resolution frame into a :class:`CapturedPage`.

    :param detector: finds the page (with the empty-desk reference it keeps).
    :param px_per_mm: the camera's scale at the desk in this frame's pixels, when known.
    :param corners: the page in this frame's pixels when the caller already knows it (a
        frame that is itself the analysed one); otherwise it is detected here.
    :raises drivers.uvc_camera.FrameDecodeError: the frame cannot be decoded.
    """
    timings: dict[str, float] = {}
    start = mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[name] = (now - mark) * 1000
        mark = now

    image = frame.image()
    lap("decode")
    quad: np.ndarray | None = None
    if corners is None:
        detection = detector.detect_frame(frame)
        if detection.found and detection.corners is not None:
            quad = np.array(detection.corners)
    else:
        quad = np.array(corners, np.float64)
    lap("detect")
    if quad is not None:
        quad = refine_corners(image, quad)
    lap("refine")
    if quad is None:
        h, w = image.shape[:2]
        whole = np.array([(0, 0), (w, 0), (w, h), (0, h)], np.float64)
        page = warp_page(image, whole, px_per_mm=px_per_mm)
    else:
        page = warp_page(image, quad, px_per_mm=px_per_mm)
    lap("warp")
    archive = archive_master(page)
    lap("encode")
    found: tuple[Code, ...] = ()
    if read_codes:
        found = tuple(codes_module.read_frame_codes(page.pixels))
    lap("codes")
    timings["total"] = (time.perf_counter() - start) * 1000
    return CapturedPage(frame.index, None if quad is None else as_corners(quad), page, archive,
                        found, timings)
