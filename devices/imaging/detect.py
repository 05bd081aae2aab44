"""Finding documents on the desk of a document camera (高拍仪), frame by frame.

The approach and its figures are in ../shared/research/camera.md §2 and §5:

- Work on a reduced image (the MJPEG frame decoded straight at 1/2–1/8 scale, at least 300
  px high), search a copy about 400 px wide: the quad is found there in a few milliseconds,
  its sides placed on the steepest step into the page nearby on the decoded image, and
  :func:`refine_corners` does the same at full resolution once a page is captured.
- Segment the documents from the desk. The camera is fixed, so with a reference frame of the
  empty desk the documents are what the desk did not show: steps in the log ratio to it,
  flooded from the frame's rim (:func:`reference_mask`); that is what keeps white paper on a
  light desk findable, and under a shadow. Without a reference, documents are what is brighter
  than the desk (Otsu).
- Take the hand out before fitting: skin-coloured pixels (YCrCb) that differ from the desk are
  removed from the mask, and the page's outline is the convex hull of what remains, so a thumb
  over one edge leaves a notch the hull bridges instead of dragging a corner along with it.
- Fit each side as a line through the outline points near it (not the notch, not the rounded
  corners of a card) and intersect neighbouring sides: the corners are where the edges meet,
  as a card's corners are defined (ISO/IEC 7810 rounds them).
- Reject what is not a document wholly in view: shapes touching the frame's rim, print inside
  a larger shape or lying on paper (a page half in view), shapes that are not four-sided.

:class:`PageDetector` is stateless between frames; :class:`~devices.imaging.tracker.PageTracker`
adds what needs memory (the last good quad while a hand covers an edge).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from drivers.uvc_camera import Frame

from . import geometry
from .geometry import Corners

REDUCED_SCALES = (8, 4, 2, 1)


@dataclass(frozen=True)
class DetectorConfig:
    """How :class:`PageDetector` looks for documents."""

    decode_height: int = 300
    """The frame is decoded at the largest JPEG scale (1/2, 1/4, 1/8) that keeps it at least
    this many pixels high: 960×540 at 1080p, 408×306 at 8 MP, 800×600 at 1600×1200. The
    sides are placed on that image; 540 rows at 1080p halve the corner error of 270."""
    work_width: int = 400
    """Documents are looked for on a copy of the decoded image shrunk by a whole factor to
    about this width (pixels): 480 px at 1080p, 408 at 8 MP."""
    min_area: float = 0.01
    """The smallest document, as a fraction of the frame's area (an ID card at 8 MP is about
    0.035)."""
    max_area: float = 0.95
    """The largest document, as a fraction of the frame's area."""
    reference_threshold: float = 1.5
    """The least slope of the frame's log ratio to the empty desk, in grey levels per pixel of
    the reduced image, that counts as a document's edge (the bar is raised to three times the
    picture's median slope when the noise is higher). White paper on a light desk is 3–8 %
    brighter than the desk, a step of 6–16 grey levels over two or three pixels; a soft shadow
    changes the light by about 1 grey level per pixel; smoothed sensor noise has a median slope
    of 0.5–0.8."""
    max_angle_error: float = 40.0
    """Degrees an interior angle may differ from 90 (perspective and the camera's tilt)."""
    min_fill: float = 0.80
    """The share of the fitted quad the document's pixels must cover (a hand's notch
    included)."""


@dataclass(frozen=True)
class Detection:
    """What one frame shows. Coordinates are pixels of the full-size frame."""

    found: bool
    """A document lies wholly in view."""
    corners: Corners | None
    """The chosen document's corners, TL, TR, BR, BL as seen in the image."""
    quads: tuple[Corners, ...] = ()
    """Every document found, the chosen one (nearest the centre) first."""
    hand: bool = False
    """A hand (skin) touches the chosen document."""
    hand_in_view: bool = False
    """Skin is in view at all (an arm reaching in, a hand over the page)."""
    held: bool = False
    """``corners`` were carried over from an earlier frame because a hand covers the page."""
    ms: float = 0.0
    """Milliseconds spent detecting (decoding excluded when detection was handed an image)."""
    size: tuple[int, int] = (0, 0)
    """``(width, height)`` of the full-size frame."""
    small: np.ndarray | None = field(default=None, repr=False, compare=False)
    """The reduced BGR image the detection ran on (for motion checks downstream)."""


def reduced_scale(height: int, decode_height: int) -> int:
    """The largest JPEG decode scale that keeps the image at least ``decode_height`` high."""
    for scale in REDUCED_SCALES:
        if height // scale >= decode_height:
            return scale
    return 1


class PageDetector:
    """Finds documents in one frame (module docstring). Not thread-safe: one per stream."""

    def __init__(self, config: DetectorConfig | None = None):
        self.config = config or DetectorConfig()
        self._reference: np.ndarray | None = None

    # -- the empty desk

    def set_reference(self, image: np.ndarray | None) -> None:
        """Keep a BGR picture of the empty desk (any scale: it is resized to each frame)."""
        self._reference = None if image is None else np.ascontiguousarray(image)
        self._reference_cache: dict[tuple[int, int], Reference] = {}

    @property
    def has_reference(self) -> bool:
        return self._reference is not None

    def _reference_at(self, shape: tuple[int, int]) -> Reference | None:
        """The reference at this size; None when it shows another field of view (a picture of
        another aspect ratio is another crop of the sensor, not the same desk)."""
        if self._reference is None:
            return None
        cached = self._reference_cache.get(shape)
        if cached is None:
            h, w = shape
            ref = self._reference
            rh, rw = ref.shape[:2]
            if abs(rw / rh - w / h) > 0.01 * (w / h):
                return None
            if (rh, rw) != (h, w):
                ref = cv2.resize(ref, (w, h), interpolation=cv2.INTER_AREA)
            cached = Reference.of(cv2.GaussianBlur(ref, (5, 5), 1.0))
            self._reference_cache[shape] = cached
        return cached

    # -- detection

    def detect_frame(self, frame: Frame) -> Detection:
        """Detect on a camera frame, decoding its JPEG at reduced scale."""
        start = time.perf_counter()
        width, height = frame.size
        small = frame.reduced(reduced_scale(height, self.config.decode_height))
        detection = self.detect(small, full_size=(width, height))
        return _with_ms(detection, (time.perf_counter() - start) * 1000)

    def detect_image(self, image: np.ndarray) -> Detection:
        """Detect on a full-size BGR image (reduced here by resizing)."""
        start = time.perf_counter()
        height, width = image.shape[:2]
        scale = reduced_scale(height, self.config.decode_height)
        small = image if scale == 1 else cv2.resize(
            image, (-(-width // scale), -(-height // scale)), interpolation=cv2.INTER_AREA)
        detection = self.detect(small, full_size=(width, height))
        return _with_ms(detection, (time.perf_counter() - start) * 1000)

    def detect(self, small: np.ndarray, *, full_size: tuple[int, int] | None = None) -> Detection:
        """Detect on a reduced BGR image; coordinates are returned in pixels of ``full_size``
        (default: the image's own size)."""
        start = time.perf_counter()
        if small.ndim != 3 or small.shape[2] != 3 or min(small.shape[:2]) < 16:
            raise ValueError("detection needs a BGR picture at least 16 pixels on each side")
        full_w, full_h = full_size or (small.shape[1], small.shape[0])
        # segment on a copy about work_width wide; place the sides on `small` itself
        k = max(1, small.shape[1] // self.config.work_width)
        work = small if k == 1 else cv2.resize(
            small, (small.shape[1] // k, small.shape[0] // k), interpolation=cv2.INTER_AREA)
        h, w = work.shape[:2]
        kx, ky = small.shape[1] / w, small.shape[0] / h
        sx, sy = full_w / small.shape[1], full_h / small.shape[0]
        blurred = cv2.GaussianBlur(work, (5, 5), 1.0)
        mask, level, changed, on_paper = self._foreground(blurred)
        reference = self._reference_at(blurred.shape[:2]) is not None
        # a hand reaches in over the desk: skin that borders on the bare desk (an ID card's
        # photo is an island inside the card); and only where skin can be told from the desk
        # or where something lies on it
        candidates = cv2.bitwise_and(skin_mask(blurred), cv2.bitwise_or(changed, mask))
        skin = _bordering(candidates, _from_rim(cv2.bitwise_not(mask)))
        mask[skin > 0] = 0
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        # a hand is more than a few skin-coloured pixels (a pink stamp, a face on a page)
        hand_in_view = bool(cv2.countNonZero(skin)) and cv2.countNonZero(
            cv2.erode(skin, kernel, iterations=2)) > 0.002 * w * h
        skin_near = cv2.dilate(skin, kernel, iterations=2) if hand_in_view else skin
        found: list[tuple[np.ndarray, bool]] = []
        small_grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        min_area = self.config.min_area * w * h
        blobs = [(cv2.contourArea(c), c) for c in contours]
        blobs = [(area, c, cv2.convexHull(c)) for area, c in blobs if area >= min_area]
        desk_level = _rim_level(level)

        def plausible(area: float, quad: np.ndarray) -> bool:
            centre = tuple(float(v) for v in quad.mean(axis=0))
            if any(other > area and cv2.pointPolygonTest(hull, centre, False) >= 0
                   for other, _, hull in blobs):
                return False  # print inside a page that is not all in view
            if _around(level, quad) - desk_level > on_paper:
                return False  # it lies on paper, not on the desk: print on a page half in view
            # without a reference a page must be far brighter than the desk
            return reference or _inside(level, quad) - desk_level >= _BRIGHT_PAGE

        accepted = [q for area, contour, _ in blobs for q in self._quads(contour, mask, w, h)
                    if plausible(area, q)]
        for quad in accepted:
            quad = quad * (kx, ky)
            reach = _REACH * max(kx, ky)
            for _ in range(2):
                refined = refine_corners(small_grey, quad, reach_px=reach)
                moved = geometry.max_corner_distance(refined, quad)
                quad = refined
                if moved <= 0.6 * reach:
                    break  # the outline was close; else once more: it was far off
            band = np.zeros((h, w), np.uint8)
            cv2.polylines(band, [np.round(quad / (kx, ky)).astype(np.int32)], True, 1, 3)
            touched = hand_in_view and bool(np.any(skin_near[band > 0]))
            found.append((quad, touched))
        centre = np.array([small.shape[1] / 2, small.shape[0] / 2])
        found.sort(key=lambda item: (not geometry.contains(item[0], centre),
                                     float(np.hypot(*(item[0].mean(axis=0) - centre)))))
        quads = tuple(geometry.as_corners(q * (sx, sy)) for q, _ in found)
        ms = (time.perf_counter() - start) * 1000
        if not quads:
            return Detection(False, None, (), hand_in_view=hand_in_view, ms=ms,
                             size=(full_w, full_h), small=small)
        return Detection(True, quads[0], quads, hand=found[0][1], hand_in_view=hand_in_view,
                         ms=ms, size=(full_w, full_h), small=small)

    def _foreground(self, blurred: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """The document mask; the log brightness against the desk (the ratio to the empty
        desk, or plain log brightness without one); where skin colour can be a hand; and how
        much brighter than the desk a document's surroundings may be before it counts as lying
        on paper.

        Skin can be a hand wherever the desk is not skin-coloured itself; where it is (a wooden
        desk), only where the picture is clearly brighter than the desk (a hand over wood is;
        the wood in a shadow is darker)."""
        reference = self._reference_at(blurred.shape[:2])
        if reference is not None:
            mask, ratio = reference_mask(blurred, reference, self.config.reference_threshold,
                                         with_ratio=True)
            level = cv2.cvtColor(ratio, cv2.COLOR_BGR2GRAY)
            _, brighter = cv2.threshold(level, _BRIGHTER, 255, cv2.THRESH_BINARY)
            allowed = cv2.bitwise_or(cv2.bitwise_not(reference.skin), brighter.astype(np.uint8))
            return mask, level, allowed, _ON_PAPER
        grey = cv2.cvtColor(blurred, cv2.COLOR_BGR2GRAY)
        _, mask = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        level = cv2.LUT(grey, _LOG8)
        # no reference: the desk is what the frame's rim mostly shows
        rim = np.concatenate([blurred[:3].reshape(-1, 3), blurred[-3:].reshape(-1, 3),
                              blurred[:, :3].reshape(-1, 3), blurred[:, -3:].reshape(-1, 3)])
        desk = np.median(rim, axis=0).astype(np.uint8).reshape(1, 1, 3)
        if skin_mask(desk)[0, 0]:
            desk_level = float(_LOG8[int(cv2.cvtColor(desk, cv2.COLOR_BGR2GRAY)[0, 0])])
            _, allowed = cv2.threshold(level, desk_level + _BRIGHTER, 255, cv2.THRESH_BINARY)
            allowed = allowed.astype(np.uint8)
        else:
            allowed = np.full(grey.shape, 255, np.uint8)
        return mask, level, allowed, _ON_PAPER_NO_REFERENCE

    def _quads(self, contour: np.ndarray, mask: np.ndarray, w: int, h: int) -> list[np.ndarray]:
        """The document outlined by one blob of the mask; or, when the blob is not one clean
        document, those left after cutting its hair-line bridges (a page half out of view
        touching a card, both lying on the desk)."""
        quad = self._fit(contour, cv2.contourArea(contour), w, h)
        if quad is not None:
            return [quad]
        x, y, bw, bh = cv2.boundingRect(contour)
        blob = np.zeros((bh + 2, bw + 2), np.uint8)
        cv2.drawContours(blob, [contour - (x - 1, y - 1)], -1, 255, cv2.FILLED)
        blob &= mask[max(0, y - 1) : y + bh + 1, max(0, x - 1) : x + bw + 1] \
            if x >= 1 and y >= 1 and x + bw + 1 <= w and y + bh + 1 <= h else blob
        blob = cv2.morphologyEx(blob, cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
        parts, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE,
                                    offset=(x - 1, y - 1))
        out = []
        for part in parts:
            part_area = cv2.contourArea(part)
            if part_area < self.config.min_area * w * h:
                continue
            quad = self._fit(part, part_area, w, h)
            if quad is not None:
                out.append(quad)
        return out

    def _fit(self, contour: np.ndarray, blob_area: float, w: int, h: int) -> np.ndarray | None:
        config = self.config
        hull = cv2.convexHull(contour)
        hull_area = cv2.contourArea(hull)
        if hull_area > config.max_area * w * h:
            return None
        quad = fit_quad(contour, hull)
        if quad is None or not geometry.is_convex(quad):
            return None
        if np.any(quad < -1.0) or np.any(quad[:, 0] > w) or np.any(quad[:, 1] > h):
            return None  # a corner outside the picture: the document is not all in view
        quad_area = geometry.area(quad)
        if quad_area <= 0 or hull_area / quad_area < config.min_fill:
            return None
        if np.any(np.abs(geometry.interior_angles(quad) - 90.0) > config.max_angle_error):
            return None
        if _touches_border(contour, w, h):
            return None
        if blob_area / quad_area < config.min_fill and _outline_support(contour, quad) < 0.8:
            # neither a solid shape nor a closed outline with a gap (a page whose edge fades
            # in a shadow): two documents in an L, a page and a hand, ...
            return None
        return quad


def _outline_support(contour: np.ndarray, quad: np.ndarray) -> float:
    """The share of the quad's perimeter that the blob's outline runs along (within 2 px)."""
    x, y, bw, bh = cv2.boundingRect(np.vstack([contour.reshape(-1, 2),
                                               np.round(quad).astype(np.int32)]))
    outline = np.zeros((bh + 6, bw + 6), np.uint8)
    cv2.drawContours(outline, [contour - (x - 3, y - 3)], -1, 255, 5)
    q = np.asarray(quad, np.float64) - (x - 3, y - 3)
    ts = np.linspace(0.0, 1.0, 25, endpoint=False)
    pts = np.vstack([q[i] + np.outer(ts, q[(i + 1) % 4] - q[i]) for i in range(4)])
    cols = np.clip(np.round(pts[:, 0]).astype(int), 0, bw + 5)
    rows = np.clip(np.round(pts[:, 1]).astype(int), 0, bh + 5)
    return float(np.mean(outline[rows, cols] > 0))


def _with_ms(detection: Detection, ms: float) -> Detection:
    return dataclasses.replace(detection, ms=ms)


def _bordering(mask: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The pieces of ``mask`` (0/255) that touch ``region`` (0/255) or come within 2 px."""
    if not cv2.countNonZero(mask):
        return mask
    x, y, bw, bh = cv2.boundingRect(mask)  # work on the part that has any: often small
    h, w = mask.shape
    x0, y0, x1, y1 = max(0, x - 2), max(0, y - 2), min(w, x + bw + 2), min(h, y + bh + 2)
    part = mask[y0:y1, x0:x1]
    near = cv2.dilate(region[y0:y1, x0:x1], np.ones((5, 5), np.uint8))
    count, labels = cv2.connectedComponents(part, connectivity=8)
    touching = np.zeros(count, bool)
    touching[labels[cv2.bitwise_and(near, part) > 0]] = True
    touching[0] = False
    out = np.zeros_like(mask)
    out[y0:y1, x0:x1] = touching[labels].astype(np.uint8) * 255
    return out


def _from_rim(mask: np.ndarray) -> np.ndarray:
    """The parts of ``mask`` (0/255) connected to the picture's rim."""
    if not cv2.countNonZero(mask):
        return mask
    framed = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=255)
    cv2.floodFill(framed, None, (0, 0), 128, flags=8)
    return ((framed[1:-1, 1:-1] == 128) * 255).astype(np.uint8)


def _rim_level(level: np.ndarray) -> float:
    """The desk's level: the upper quartile of the frame's rim (a shadow or a page touching
    part of the rim does not pull it)."""
    rim = np.concatenate([level[:3].ravel(), level[-3:].ravel(), level[:, :3].ravel(),
                          level[:, -3:].ravel()])
    return float(np.percentile(rim, 75))


def _around(level: np.ndarray, quad: np.ndarray) -> float:
    """The median level just outside the quad's sides (their middle 70 %)."""
    q = np.asarray(quad, np.float64)
    ts = np.linspace(0.15, 0.85, 16)
    pts = []
    for i in range(4):
        a, b = q[i], q[(i + 1) % 4]
        d = b - a
        out = np.array([d[1], -d[0]]) / (float(np.hypot(*d)) or 1.0)  # clockwise: outwards
        pts.append(a + np.outer(ts, d) + out * _AROUND_PX)
    xy = np.vstack(pts).astype(np.float32)
    values = cv2.remap(level, xy[:, :1].copy(), xy[:, 1:].copy(), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    return float(np.median(values))


def _inside(level: np.ndarray, quad: np.ndarray) -> float:
    """The median level over a 7 × 7 grid inside the quad (its middle 70 % each way)."""
    q = np.asarray(quad, np.float64)
    u = np.linspace(0.15, 0.85, 7)
    a, b = np.meshgrid(u, u)
    a, b = a.ravel()[:, None], b.ravel()[:, None]
    pts = ((1 - a) * (1 - b) * q[0] + a * (1 - b) * q[1] + a * b * q[2]
           + (1 - a) * b * q[3]).astype(np.float32)
    values = cv2.remap(level, pts[:, :1].copy(), pts[:, 1:].copy(), cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    return float(np.median(values))


def _touches_border(contour: np.ndarray, w: int, h: int) -> bool:
    pts = contour.reshape(-1, 2)
    return bool(np.any(pts[:, 0] <= 0) or np.any(pts[:, 1] <= 0)
                or np.any(pts[:, 0] >= w - 1) or np.any(pts[:, 1] >= h - 1))


_BRIGHTER = 0.1
"""On a skin-coloured (wooden) desk, skin is a hand only where the picture is this much
brighter than the desk (log ratio: 0.1 ≈ 10 %; a hand over wood is about 40 % brighter)."""
_ON_PAPER = 0.025
"""How much brighter than the desk (log ratio) the ground just outside a shape may be before
the shape counts as print on a page (paper is 3 % brighter than a light desk at least)."""
_ON_PAPER_NO_REFERENCE = 0.3
"""The same without a reference, against the rim's brightness (a wooden desk varies by 10 %,
paper is twice as bright as a dark or wooden desk)."""
_BRIGHT_PAGE = 0.3
"""Without a reference: how much brighter (log: 0.3 ≈ 35 %) than the desk the inside of a
document must be (paper is about twice as bright as a dark or wooden desk; the bright grain of
a wooden desk is not)."""
_AROUND_PX = 4.0
"""How far outside a shape's sides its surroundings are sampled, in pixels of the work image."""

_REACH = 4.0
"""How far (pixels of the work image) a side may move onto an edge when it is placed."""

_NOISE_FACTOR = 3.0
"""A step must be this many times steeper than the picture's median slope (mostly desk:
sensor noise), so a noisier camera or a darker desk raises the bar by itself."""


_LOG8 = np.log(np.arange(256, dtype=np.float32) + 8.0).astype(np.float32)
"""log(v + 8) for every 8-bit value: the +8 keeps the log's noise finite near black."""


@dataclass(frozen=True)
class Reference:
    """The empty desk as :func:`reference_mask` needs it, computed once."""

    log: np.ndarray
    grey: np.ndarray
    skin: np.ndarray
    """Where the desk itself is skin-coloured (255)."""

    @classmethod
    def of(cls, image: np.ndarray) -> Reference:
        if image.ndim == 2:
            return cls(cv2.LUT(image, _LOG8), image, np.zeros_like(image))
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        return cls(cv2.LUT(image, _LOG8), grey, skin_mask(image))


def reference_mask(image: np.ndarray, reference: np.ndarray | Reference, threshold: float, *,
                   with_ratio: bool = False) -> Any:
    """Everything on the desk that was not there in the empty-desk reference: 255, else 0.

    The frame is compared with the reference as the log of their ratio. On the bare desk that
    ratio is flat: zero, or a slow slope where a shadow or a dimmer lamp scales the light (by
    the same factor on desk and paper, so the log ratio stays smooth). A document's edge is a
    step in it, however faint its contrast with the desk (white paper on a light desk is about
    8 %), and the step survives a shadow. So: mark the steps (the steepest channel's slope,
    taken back to grey levels per pixel, above ``threshold`` and above three times the median
    slope), let the desk flood in from the frame's rim through everything without a step, and
    what the flood does not reach is on the desk now. A document touching the rim is flooded
    too: it is not all in view. Where a faint edge also lies in a shadow (white paper on a
    light desk in a shadow), the step can sink into the noise and the flood leaks into the
    document: that document is missed in that frame.
    """
    ref = reference if isinstance(reference, Reference) else Reference.of(reference)
    ratio = cv2.subtract(cv2.LUT(image, _LOG8), ref.log)
    gx = cv2.Sobel(ratio, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    gy = cv2.Sobel(ratio, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    slope = cv2.add(cv2.absdiff(gx, 0), cv2.absdiff(gy, 0))
    if slope.ndim == 3:  # the steepest channel: paper and desk differ in tint as well
        b, g, r = cv2.split(slope)
        slope = cv2.max(cv2.max(b, g), r)
    # in grey levels per pixel, where noise is about the same everywhere (in the log it is
    # larger on a dark desk, and larger still in a shadow on it)
    level = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    slope = cv2.multiply(slope, cv2.min(level, ref.grey).astype(np.float32) + 8.0)
    noise = float(np.median(slope[::4, ::4]))
    steps = (slope > max(_NOISE_FACTOR * noise, threshold)).astype(np.uint8)
    # the desk floods in from the rim: a free border round the picture joins every place
    # where the rim is free, and one fill from its corner reaches all of them
    free = cv2.copyMakeBorder(1 - steps, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)
    cv2.floodFill(free, None, (0, 0), 2, flags=4)
    found = ((free[1:-1, 1:-1] != 2) * 255).astype(np.uint8)
    # the flood stops a pixel or so outside an edge (the step's own width): give it back,
    # which also drops the specks noise leaves on a dark desk
    found = cv2.erode(found, np.ones((3, 3), np.uint8))
    return (found, ratio) if with_ratio else found


def skin_mask(bgr: np.ndarray) -> np.ndarray:
    """Pixels whose colour is skin's (a hand or an arm): 255, else 0. The YCrCb box is the
    usual one (Chai & Ngan 1999), narrowed on the red side so a red seal is not skin."""
    ycrcb = cv2.cvtColor(bgr, cv2.COLOR_BGR2YCrCb)
    return cv2.inRange(ycrcb, (50, 136, 77), (255, 173, 125))


def fit_quad(contour: np.ndarray, hull: np.ndarray | None = None) -> np.ndarray | None:
    """Four corners of the document outlined by ``contour``: the hull simplified to four
    vertices, then each side refitted as a line through the outline points that lie on the
    hull, and neighbouring sides intersected."""
    if hull is None:
        hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    approx = None
    for fraction in (0.02, 0.03, 0.045, 0.06, 0.08):
        candidate = cv2.approxPolyDP(hull, fraction * perimeter, True)
        if len(candidate) == 4:
            approx = candidate
            break
        if len(candidate) < 4:
            break
    if approx is None:
        return None
    rough = geometry.order_corners(approx.reshape(4, 2))
    points = contour.reshape(-1, 2).astype(np.float64)
    # only outline points close to a side's line count for it: those on the hull, the true
    # edge, and not a notch a thumb leaves or the rounding of a card's corner
    edge_points = points[:: max(1, len(points) // 400)]
    lines = []
    for i in range(4):
        a, b = rough[i], rough[(i + 1) % 4]
        d = b - a
        length = float(np.hypot(*d))
        if length < 4:
            return None
        u = d / length
        n = np.array([-u[1], u[0]])
        rel = edge_points - a
        t = rel @ u / length
        dist = np.abs(rel @ n)
        near = edge_points[(t > 0.12) & (t < 0.88) & (dist < max(2.0, 0.03 * length))]
        if len(near) < 5:
            lines.append((a, u))
            continue
        # least squares is enough here: refine_corners places the sides on the edges after
        lines.append(_fit_line(near, cv2.DIST_L2))
    corners = _side_crossings(lines)
    if any(p is None for p in corners):
        return None
    quad = np.array(corners)
    if geometry.max_corner_distance(quad, rough) > 0.15 * math.sqrt(geometry.area(rough)):
        return None  # the refit disagrees with the outline: not a clean four-sided shape
    return quad


Line = tuple[np.ndarray, np.ndarray]


def _fit_line(points: np.ndarray, distance: int) -> Line:
    """A line (a point on it, its unit direction) through ``points``."""
    vx, vy, x0, y0 = cv2.fitLine(points.astype(np.float32), distance, 0, 0.01, 0.01)
    return np.array([float(x0[0]), float(y0[0])]), np.array([float(vx[0]), float(vy[0])])


def _side_crossings(lines: list[Line]) -> list[np.ndarray | None]:
    """Corner i where side i − 1 meets side i (None where they are parallel)."""
    return [geometry.line_intersection(*lines[i - 1], *lines[i]) for i in range(4)]


def refine_corners(image: np.ndarray, corners: np.ndarray | Corners, *,
                   search: float = 0.012, reach_px: float | None = None) -> np.ndarray:
    """Move each side of a quad onto the strongest parallel edge nearby and intersect the
    refitted sides: on the full-resolution frame after a quad found on a reduced one (the
    search reaches ``search`` × the image height), or on the reduced image itself to put the
    sides where the brightness changes fastest rather than where a threshold cut (``reach_px``).
    A side with no clear edge keeps its position; so does the whole quad if the refit moves a
    corner further than twice the reach."""
    quad = np.asarray(corners, np.float64).reshape(4, 2)
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape[:2]
    reach = reach_px if reach_px is not None else max(3.0, search * h)
    step = max(0.5, reach / 8)
    offsets = np.arange(-reach, reach + step / 2, step)
    ts = np.linspace(0.12, 0.88, _SIDE_SAMPLES)
    # every side's sample lines in one remap: 4 × samples rows of len(offsets) pixels
    starts = quad
    deltas = np.roll(quad, -1, axis=0) - quad
    lengths = np.hypot(*deltas.T)
    if np.any(lengths < 8):
        return quad
    normals = np.stack([-deltas[:, 1], deltas[:, 0]], axis=1) / lengths[:, None]
    bases = starts[:, None, :] + ts[None, :, None] * deltas[:, None, :]  # (4, n, 2)
    xs = bases[..., :1] + offsets * normals[:, None, :1]  # (4, n, k)
    ys = bases[..., 1:] + offsets * normals[:, None, 1:]
    profiles = cv2.remap(grey, xs.reshape(4 * len(ts), -1).astype(np.float32),
                         ys.reshape(4 * len(ts), -1).astype(np.float32), cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=-1).astype(np.float32)
    inside = ((xs.min(axis=2) >= 1) & (ys.min(axis=2) >= 1)
              & (xs.max(axis=2) <= w - 2) & (ys.max(axis=2) <= h - 2)).ravel()
    # the samples run from outside to inside: a document's edge is a step up into it, the
    # outer edge of its contact shadow a step down; a step down still counts (a document
    # darker than the desk) but only when it is twice as strong as any step up
    rise = profiles[:, 2:] - profiles[:, :-2]
    grad = np.where(rise > 0, rise, -0.5 * rise)
    k = np.argmax(grad, axis=1)
    rows = np.arange(len(k))
    peak = grad[rows, k]
    # sub-pixel: a parabola through the peak and its neighbours
    left = grad[rows, np.maximum(k - 1, 0)]
    right = grad[rows, np.minimum(k + 1, grad.shape[1] - 1)]
    den = left - 2 * peak + right
    safe = np.where(np.abs(den) > 1e-6, den, 1.0)
    shift = np.clip(np.where(np.abs(den) > 1e-6, 0.5 * (left - right) / safe, 0.0), -1, 1)
    position = (offsets[0] + (k + 1 + shift) * step).reshape(4, -1)
    peak, inside = peak.reshape(4, -1), inside.reshape(4, -1)
    # a sample counts when its step is clear: 6 grey levels, and a third of the side's mean
    counts = np.maximum(inside.sum(axis=1), 1)
    means = np.where(inside, peak, 0.0).sum(axis=1) / counts
    strong_all = inside & (peak >= np.maximum(6.0, 0.35 * means)[:, None])
    lines = []
    for i in range(4):
        strong = strong_all[i]
        if strong.sum() < len(ts) // 3:
            lines.append((quad[i], deltas[i] / lengths[i]))
            continue
        pts = bases[i][strong] + position[i][strong, None] * normals[i]
        lines.append(_fit_line(pts, cv2.DIST_HUBER))
    refined = np.array([quad[i] if p is None else p for i, p in enumerate(_side_crossings(lines))])
    if geometry.max_corner_distance(refined, quad) > 2 * reach:
        return quad
    return refined


_SIDE_SAMPLES = 32
