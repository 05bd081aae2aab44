"""A captured page as a flat picture of the paper: perspective-corrected to the document's true
size, in the modes a counter needs, encoded with its resolution written into the file.

What an archive expects (../shared/research/camera.md §6, DA/T 31-2017 《纸质档案数字化规范》
as quoted there): at least 200 dpi, colour whenever the page carries a red seal, a photo or a
red header, and JPEG (or TIFF/JPEG 2000) for long-term storage. Hence two outputs per page:

- :func:`archive_master`: the colour original, JPEG quality 85, at the sensor's native
  resolution (capped at ``max_dpi``), DPI in the JFIF header;
- :func:`upload_copy`: a derivative for portals that cap the file size (Shanghai 一网通办:
  2 MB per file), whitened (去底色) by default, made smaller step by step until it fits.

Sizes of the documents a counter sees, to snap a measured outline to (``KNOWN_SIZES``):

- ID-1 cards (居民身份证, bank cards): 85.60 × 53.98 mm, ISO/IEC 7810:2003 §5.1; the ID card
  is specified as 85.6 × 54.0 mm (GA 450-2013 居民身份证卡体技术规范).
- ID-3 (passport data page): 125 × 88 mm, ISO/IEC 7810:2003 §5.3.
- A4, A5, A6, B5: ISO 216:2007, identical to GB/T 148-1997 (印刷、书写和绘图纸幅面尺寸).
- 户口簿 (household register) inner page 105 × 143 mm, and an open spread of two pages:
  secondary sources only (e.g. http://www.myjjw.001ce.com/bwyc/2023/0214/446592.html,
  https://zijian.www.zjwjpx.com/a/167502439970195.html); others claim A5 or 130 × 185 mm,
  so treat it as indicative. (The synthetic camera's booklet is 210 × 145 mm.)

Aspect ratio under perspective: Zhang & He, "Whiteboard scanning and image enhancement",
Digital Signal Processing 17(2), 2007, §2 — the rectangle's aspect ratio from its four image
corners, with the focal length estimated from the same corners and the principal point at the
image centre. When the corners do not fit a pinhole camera (the focal length comes out
imaginary or absurd), the mean of opposite sides is used instead.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
from PIL import Image

from . import geometry

MODES = ("colour", "whiten", "grey", "bw")

MM_PER_INCH = 25.4

KNOWN_SIZES: dict[str, tuple[float, float]] = {
    # kind: (short side, long side) in mm; sources in the module docstring
    "id_card": (54.0, 85.6),
    "passport": (88.0, 125.0),
    "a4": (210.0, 297.0),
    "a5": (148.0, 210.0),
    "a6": (105.0, 148.0),
    "b5": (176.0, 250.0),
    "hukou_page": (105.0, 143.0),
    "hukou_spread": (143.0, 210.0),
}

ASPECT_TOLERANCE = 0.035
"""How far (relative) a measured aspect ratio may lie from a known size's to snap to it. Two
known aspects closer than this (A-series 1.414 and 户口簿 1.362 are 3.8 % apart) are told
apart by the nearer one."""
SIZE_TOLERANCE = 0.08
"""How far (relative) the measured long side may lie from a known size's when the scale is
known: the scale changes across a tilted camera's view by a few per cent."""
SAME_ASPECT = 0.012
"""Known sizes whose aspects differ by less than this share an aspect (A4, A5, A6, B5, ID-3)."""
FOCAL_RANGE = (0.6, 1.7)
"""A focal length estimated from a page's corners is believed within this range of the
prior (the frame's width, in pixels); outside it the prior is used."""
ASSUMED_DPI = 200.0
"""Resolution assumed when neither the document's size nor the camera's scale is known."""


@dataclass(frozen=True)
class PageImage:
    """A flat picture of a page and the paper it shows."""

    pixels: np.ndarray
    """BGR uint8 (modes ``colour``, ``whiten``) or single-channel uint8 (``grey``, ``bw``)."""
    dpi: float
    """Pixels per inch of the paper (a whole number, as JFIF stores it)."""
    size_mm: tuple[float, float]
    """(width, height) of the paper as placed, in millimetres."""
    kind: str | None
    """A key of :data:`KNOWN_SIZES` when the outline was snapped to a known size, else None
    (the size then comes from the camera's scale or from :data:`ASSUMED_DPI`)."""
    mode: str = "colour"
    """One of :data:`MODES`."""

    def __post_init__(self) -> None:
        px = self.pixels
        if not isinstance(px, np.ndarray) or px.dtype != np.uint8 or px.ndim not in (2, 3) \
                or (px.ndim == 3 and px.shape[2] != 3) or min(px.shape[:2]) < 1:
            raise ValueError("a page's pixels are a BGR or single-channel uint8 image")
        if self.mode not in MODES:
            raise ValueError(f"mode is one of {', '.join(MODES)}, not {self.mode!r}")
        if not self.dpi > 0:
            raise ValueError(f"dpi must be positive, not {self.dpi}")

    @property
    def width_px(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height_px(self) -> int:
        return int(self.pixels.shape[0])


# --------------------------------------------------------------------------- geometry


def _clockwise(corners: np.ndarray) -> np.ndarray:
    """The corners as given when they run clockwise in the image (the caller may start with
    any corner, to turn the output), else in the detector's order."""
    q = np.asarray(corners, np.float64).reshape(4, 2)
    if not np.all(np.isfinite(q)) or not geometry.is_convex(q) or geometry.area(q) < 16:
        raise ValueError("页面四角无效 / the page corners do not form a convex quadrilateral")
    d1 = np.roll(q, -1, axis=0) - q
    d2 = np.roll(q, -2, axis=0) - np.roll(q, -1, axis=0)
    if float(np.sum(d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0])) > 0:  # y down: >0 is clockwise
        return q
    return geometry.order_corners(q)


def _mean_sides(q: np.ndarray) -> tuple[float, float]:
    """Mean width (top, bottom) and mean height (left, right) of the quad in pixels."""
    top, right, bottom, left = geometry.side_lengths(q)
    return (top + bottom) / 2, (left + right) / 2


def estimate_aspect(corners: np.ndarray | Sequence[Sequence[float]],
                    image_size: tuple[int, int], *, focal_px: float | None = None) -> float:
    """Width over height (TL→TR over TL→BL) of the rectangle the quad shows.

    Zhang & He 2007 §2: with the rectangle's corners m1 (0, 0), m2 (w, 0), m3 (0, h),
    m4 (w, h) in homogeneous image coordinates, k2 = ((m1×m4)·m3)/((m2×m4)·m3),
    k3 = ((m1×m4)·m2)/((m3×m4)·m2), n2 = k2·m2 − m1, n3 = k3·m3 − m1 and
    (w/h)² = (n2ᵀ A⁻ᵀA⁻¹ n2)/(n3ᵀ A⁻ᵀA⁻¹ n3), A the camera matrix (principal point at the
    image centre, square pixels; f from ``focal_px``, else from the corners when that is
    plausible, else the frame's width).

    :param image_size: (width, height) of the frame the corners are in.
    :param focal_px: the camera's focal length in pixels, when calibrated.
    """
    q = _clockwise(np.asarray(corners, np.float64))
    horizontal, vertical = _mean_sides(q)
    simple = horizontal / vertical
    u0, v0 = image_size[0] / 2.0, image_size[1] / 2.0
    m1, m2, m4, m3 = (np.array([x, y, 1.0]) for x, y in q)  # TL, TR, BR, BL
    d2 = np.dot(np.cross(m2, m4), m3)
    d3 = np.dot(np.cross(m3, m4), m2)
    if abs(d2) < 1e-9 or abs(d3) < 1e-9:
        return simple
    k2 = np.dot(np.cross(m1, m4), m3) / d2
    k3 = np.dot(np.cross(m1, m4), m2) / d3
    n2, n3 = k2 * m2 - m1, k3 * m3 - m1
    f = focal_px
    if f is None:
        # A document camera's lens sees about 50–60° across (f ≈ the frame's width). The
        # corners' own estimate of f is better when the page shows enough perspective, but
        # from a small quad with a pixel of noise it can be far off: keep it only near the
        # prior (a wrong f within ±40 % costs ≤ 3 % of aspect, a wild one 10 % or more).
        f = prior = float(image_size[0])
        nz = n2[2] * n3[2]
        if abs(nz) > 1e-12:
            f2 = -((n2[0] * n3[0] - (n2[0] * n3[2] + n2[2] * n3[0]) * u0 + nz * u0 * u0)
                   + (n2[1] * n3[1] - (n2[1] * n3[2] + n2[2] * n3[1]) * v0 + nz * v0 * v0)) / nz
            if math.isfinite(f2) and (FOCAL_RANGE[0] * prior) ** 2 <= f2 \
                    <= (FOCAL_RANGE[1] * prior) ** 2:
                f = math.sqrt(f2)
    a_inv = np.array([[1 / f, 0, -u0 / f], [0, 1 / f, -v0 / f], [0, 0, 1.0]])
    w2 = float(np.sum((a_inv @ n2) ** 2))
    h2 = float(np.sum((a_inv @ n3) ** 2))
    if not (w2 > 0 and h2 > 0):
        return simple
    ratio = math.sqrt(w2 / h2)
    # a document camera looks nearly straight down: a large correction means bad corners
    return ratio if abs(math.log(ratio / simple)) < 0.15 else simple


def snap_size(aspect: float, long_mm: float | None = None) -> tuple[str | None, float | None]:
    """The known document a measured outline is, if it can be told: ``(kind, aspect)``.

    ``aspect`` is long side over short side. Without ``long_mm`` (the scale is unknown) a kind
    is returned only when one known size has that aspect; when several share it (A4, A5, …)
    the kind is None but their common aspect is returned, so the page is still square.
    ``(None, None)``: nothing known matches.
    """
    if not aspect >= 1:
        aspect = 1 / aspect if aspect > 0 else math.inf
    near = []
    for kind, (short, long) in KNOWN_SIZES.items():
        err = abs(math.log(aspect / (long / short)))
        size_ok = long_mm is None or abs(math.log(long_mm / long)) <= math.log1p(SIZE_TOLERANCE)
        if err <= math.log1p(ASPECT_TOLERANCE) and size_ok:
            near.append((err, kind))
    if not near:
        return None, None
    near.sort()
    best = near[0][1]
    best_aspect = KNOWN_SIZES[best][1] / KNOWN_SIZES[best][0]
    if long_mm is not None or len(near) == 1:
        return best, best_aspect
    aspects = [KNOWN_SIZES[k][1] / KNOWN_SIZES[k][0] for _, k in near]
    if max(aspects) / min(aspects) - 1 <= SAME_ASPECT:
        return None, best_aspect
    return None, None


def warp_page(image: np.ndarray, corners: np.ndarray | Sequence[Sequence[float]], *,
              px_per_mm: float | None = None, max_dpi: float = 300.0, kind: str | None = None,
              focal_px: float | None = None,
              desk_to_image: np.ndarray | None = None) -> PageImage:
    """The page inside ``corners``, flattened to its true aspect ratio and size.

    The output keeps the page as placed: its top edge runs from the first corner to the second
    (TL→TR as seen in the image, as the detector orders them; pass the corners starting
    elsewhere, clockwise, to turn the page). The resolution is the quad's own (no upsampling
    beyond what the sensor gives), rounded to a whole dpi and capped at ``max_dpi``.

    :param corners: TL, TR, BR, BL in pixels of ``image`` (the full frame, whose centre is
        taken as the lens's principal point).
    :param px_per_mm: the camera's scale at the desk (pixels per millimetre), when known; it
        tells A4 from A5 (same aspect) and sizes pages that match no known size.
    :param kind: a key of :data:`KNOWN_SIZES` when the caller knows what lies there.
    :param focal_px: the camera's focal length in pixels, when calibrated.
    :param desk_to_image: the calibrated homography from desk millimetres to pixels of
        ``image`` (a fixed document camera can be calibrated once, e.g. on a printed grid);
        the page's sides are then measured in millimetres and neither ``px_per_mm`` nor the
        aspect estimate is needed.
    """
    if image is None or not isinstance(image, np.ndarray) or image.ndim not in (2, 3) \
            or image.dtype != np.uint8:
        raise ValueError("无法读取图像 / cannot read the image: expected a uint8 BGR array")
    if kind is not None and kind not in KNOWN_SIZES:
        raise ValueError(f"unknown document kind {kind!r}; known: {', '.join(KNOWN_SIZES)}")
    if not max_dpi > 0:
        raise ValueError(f"max_dpi must be positive, not {max_dpi}")
    q = _clockwise(np.asarray(corners, np.float64))
    height_img, width_img = image.shape[:2]
    horizontal, vertical = _mean_sides(q)
    measured_mm: tuple[float, float] | None = None
    if desk_to_image is not None:
        to_desk = np.linalg.inv(np.asarray(desk_to_image, np.float64).reshape(3, 3))
        on_desk = cv2.perspectiveTransform(q.reshape(1, 4, 2), to_desk).reshape(4, 2)
        measured_mm = _mean_sides(on_desk)
        aspect_wh = measured_mm[0] / measured_mm[1]
    else:
        aspect_wh = estimate_aspect(q, (width_img, height_img), focal_px=focal_px)
    landscape = aspect_wh >= 1.0
    aspect = aspect_wh if landscape else 1 / aspect_wh
    # the quad's size in pixels along its own axes, with the perspective-corrected aspect
    mean_px = math.sqrt(horizontal * vertical)
    if measured_mm is not None:
        px_per_mm = mean_px / math.sqrt(measured_mm[0] * measured_mm[1])
    long_px = mean_px * math.sqrt(aspect)

    size_mm: tuple[float, float] | None = None
    if kind is not None:
        short, long = KNOWN_SIZES[kind]
        size_mm = (long, short) if landscape else (short, long)
    else:
        long_mm = long_px / px_per_mm if px_per_mm else None
        kind, snapped = snap_size(aspect, long_mm)
        if kind is not None:
            short, long = KNOWN_SIZES[kind]
            size_mm = (long, short) if landscape else (short, long)
        else:
            if snapped is not None:
                aspect = snapped
            scale = px_per_mm if px_per_mm else ASSUMED_DPI / MM_PER_INCH
            long_mm = mean_px * math.sqrt(aspect) / scale
            short_mm = long_mm / aspect
            size_mm = (long_mm, short_mm) if landscape else (short_mm, long_mm)
    w_mm, h_mm = size_mm
    if kind is None and not px_per_mm:
        native_dpi = ASSUMED_DPI
    else:
        native_dpi = math.sqrt(horizontal / w_mm * vertical / h_mm) * MM_PER_INCH
    dpi = float(max(1, round(min(native_dpi, max_dpi))))
    out_w = max(1, round(w_mm / MM_PER_INCH * dpi))
    out_h = max(1, round(h_mm / MM_PER_INCH * dpi))
    pixels = _warp(image, q, out_w, out_h, dpi / native_dpi)
    return PageImage(pixels, dpi, (round(float(w_mm), 2), round(float(h_mm), 2)), kind, "colour")


def _warp(image: np.ndarray, q: np.ndarray, out_w: int, out_h: int,
          reduction: float) -> np.ndarray:
    """Map the quad onto an ``out_w`` × ``out_h`` rectangle whose outer edges are the
    quad's edges."""
    src = q.astype(np.float64)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if reduction < 0.75:
        # warpPerspective samples bilinearly (INTER_AREA is not available for it), which
        # aliases when it shrinks a lot: shrink the region with INTER_AREA first
        x0, y0 = np.floor(src.min(axis=0)).astype(int) - 2
        x1, y1 = np.ceil(src.max(axis=0)).astype(int) + 2
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(image.shape[1], x1), min(image.shape[0], y1)
        if x1 - x0 >= 4 and y1 - y0 >= 4:
            region = image[y0:y1, x0:x1]
            small_w = max(2, round((x1 - x0) * reduction))
            small_h = max(2, round((y1 - y0) * reduction))
            image = cv2.resize(region, (small_w, small_h), interpolation=cv2.INTER_AREA)
            src = (src - (x0, y0)) * (small_w / (x1 - x0), small_h / (y1 - y0))
    dst = np.array([(0, 0), (out_w, 0), (out_w, out_h), (0, out_h)], np.float64)
    # cv2 puts pixel centres at whole numbers; the corners are taken as the paper's corners
    # with pixel i spanning [i, i + 1), so both sides shift by half a pixel. (Half a pixel
    # is 0.06 mm at 8 MP; this way the synthetic camera's texture lines up best.)
    h = cv2.getPerspectiveTransform((src - 0.5).astype(np.float32),
                                    (dst - 0.5).astype(np.float32))
    return cv2.warpPerspective(image, h, (out_w, out_h), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def resize_page(page: PageImage, dpi: float) -> PageImage:
    """The page at another resolution (same paper size), INTER_AREA when shrinking."""
    dpi = float(max(1, round(dpi)))
    w_mm, h_mm = page.size_mm
    out_w = max(1, round(w_mm / MM_PER_INCH * dpi))
    out_h = max(1, round(h_mm / MM_PER_INCH * dpi))
    if (out_w, out_h) == (page.width_px, page.height_px):
        return replace(page, dpi=dpi)
    shrink = out_w < page.width_px
    pixels = cv2.resize(page.pixels, (out_w, out_h),
                        interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    return replace(page, pixels=pixels, dpi=dpi)


# --------------------------------------------------------------------------- modes

WHITE_POINT = 0.88
"""Paper at or above this share of the local background turns pure white (hides the paper's
grain and the sensor's noise)."""
BLACK_POINT = 0.30
"""Ink at or below this share of the local background turns pure black."""
BW_THRESHOLD = 0.70
"""Bilevel: darker than this share of the local background is black. Body text (≈0.2),
table rules and pale blue labels (≈0.45–0.6) and seals (≈0.35 in grey) come out black;
paper grain and shading (≥0.9) white."""
BACKGROUND_MM = 16.0
"""The background estimate ignores dark marks narrower than this (text, rules, a 8 mm title
bar, a seal's strokes); larger dark areas (a photo) are not mistaken for shading thanks to
:data:`SHADING_FLOOR`."""
SHADING_FLOOR = 0.6
"""Uneven light never darkens the paper below this share of its brightest part; a darker
"background" is content, and the estimate is held at this floor there."""


def _background(pixels: np.ndarray, dpi: float) -> np.ndarray:
    """The paper's brightness without what is printed on it (flat-field), same shape as
    ``pixels``: a morphological closing (max then min filter) at about 2 px/mm, which wipes
    out dark marks narrower than :data:`BACKGROUND_MM`, then a light smoothing."""
    h, w = pixels.shape[:2]
    # shrink by a whole factor: INTER_AREA is 5x faster then than at a fractional one
    k = max(1, min(round(dpi / MM_PER_INCH / 2.0), h // 4, w // 4))
    small = cv2.resize(pixels, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)
    size = max(3, round(BACKGROUND_MM * dpi / MM_PER_INCH / k) | 1)
    # a square kernel: separable, so 15x faster than a disc, and shading has no direction
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    closed = cv2.GaussianBlur(closed, (0, 0), 1.5)
    channels = closed.shape[2] if closed.ndim == 3 else 1
    paper = np.percentile(closed[::3, ::3].reshape(-1, channels), 90, axis=0)
    floor = np.maximum(paper * SHADING_FLOOR, 1.0).astype(np.uint8)
    if closed.ndim == 3:
        np.maximum(closed, floor.reshape(1, 1, -1), out=closed)
    else:
        np.maximum(closed, floor[0], out=closed)
    return cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR)


def _levels_lut(white: float, black: float) -> np.ndarray:
    """LUT from ``255 · ratio / white`` (saturated) to the output level."""
    q = np.arange(256, dtype=np.float64) / 255.0 * white  # the ratio each value stands for
    return (np.clip((q - black) / (white - black), 0, 1) * 255 + 0.5).astype(np.uint8)


_WHITEN_LUT = _levels_lut(WHITE_POINT, BLACK_POINT)


def whiten(pixels: np.ndarray, dpi: float) -> np.ndarray:
    """去底色: divide each channel by the paper's own brightness there (flat-field; shading
    and tinted paper go), then set levels so paper is white and ink black. Colours survive —
    a red seal stays red, as archives require (camera.md §6, DA/T 31-2017)."""
    background = _background(pixels, dpi)
    ratio = cv2.divide(pixels, background, scale=255.0 / WHITE_POINT)
    return cv2.LUT(ratio, _WHITEN_LUT)


def bilevel(grey: np.ndarray, dpi: float) -> np.ndarray:
    """Black and white (0/255): flat-field the grey page, then a threshold relative to the
    local background (:data:`BW_THRESHOLD`). This is a locally adaptive threshold whose
    "local" is the paper, not a window: unlike ``cv2.adaptiveThreshold`` with a small block it
    keeps filled areas filled instead of hollowing them out."""
    background = _background(grey, dpi)
    ratio = cv2.divide(grey, background, scale=255.0)
    # a light blur first: sensor noise would otherwise break faint rules into dots
    ratio = cv2.GaussianBlur(ratio, (3, 3), 0)
    _, bw = cv2.threshold(ratio, 255 * BW_THRESHOLD, 255, cv2.THRESH_BINARY)
    return bw


def apply_mode(page: PageImage, mode: str) -> PageImage:
    """The page in ``mode``: ``colour`` (as captured), ``whiten`` (去底色), ``grey`` or ``bw``
    (bilevel; seals go black, so not for pages that must keep colour). Colour is needed for
    ``colour`` and ``whiten``; grey can still become ``bw``."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {', '.join(MODES)}, not {mode!r}")
    if mode == page.mode:
        return page
    colour = page.pixels.ndim == 3
    if mode in ("colour", "whiten"):
        if page.mode != "colour":
            raise ValueError(f"a {page.mode} page cannot become {mode}: keep the colour page")
        if mode == "colour":
            return page
        return replace(page, pixels=whiten(page.pixels, page.dpi), mode=mode)
    if page.mode == "bw":
        raise ValueError(f"a bw page cannot become {mode}")
    grey = cv2.cvtColor(page.pixels, cv2.COLOR_BGR2GRAY) if colour else page.pixels
    if mode == "grey":
        return replace(page, pixels=grey, mode=mode)
    return replace(page, pixels=bilevel(grey, page.dpi), mode=mode)


# --------------------------------------------------------------------------- encoding


def _pil(page: PageImage) -> Image.Image:
    px = page.pixels
    if px.ndim == 3:
        return Image.fromarray(cv2.cvtColor(px, cv2.COLOR_BGR2RGB), "RGB")
    if page.mode == "bw":
        return Image.fromarray(px, "L").convert("1", dither=Image.Dither.NONE)
    return Image.fromarray(px, "L")


def _dpi(page: PageImage) -> tuple[int, int]:
    d = max(1, round(page.dpi))
    return d, d


def encode_jpeg(page: PageImage, quality: int = 85) -> bytes:
    """JPEG (baseline, 4:2:0 for colour) with the resolution in the JFIF header (units: dots
    per inch), so viewers, printers and img2pdf size the page 1:1. A bilevel page is stored
    as 8-bit grey."""
    if not 1 <= quality <= 95:
        raise ValueError(f"JPEG quality is from 1 to 95, not {quality}")
    img = _pil(page)
    if img.mode == "1":
        img = img.convert("L")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, dpi=_dpi(page))
    return out.getvalue()


def encode_png(page: PageImage, *, compress_level: int = 6) -> bytes:
    """PNG with the resolution in the pHYs chunk (pixels per metre); a bilevel page as
    1 bit per pixel."""
    out = io.BytesIO()
    _pil(page).save(out, "PNG", dpi=_dpi(page), compress_level=compress_level)
    return out.getvalue()


def archive_master(page: PageImage) -> bytes:
    """The archive master: the colour page as JPEG quality 85 at its native resolution
    (camera.md §6 proposal; DA/T 31-2017 wants colour for seals and ≥ 200 dpi, which the page
    has when the sensor allows)."""
    if page.mode != "colour":
        raise ValueError("存档原件须为彩色 / the archive master is the colour page, "
                         f"not a {page.mode} one")
    return encode_jpeg(page, 85)


class UploadTooLarge(ValueError):
    """The page could not be made small enough for the upload limit."""


UPLOAD_QUALITIES = (75, 60, 45)
UPLOAD_MIN_DPI = 150.0
"""Resolution an upload copy keeps unless nothing else fits (text stays legible)."""
UPLOAD_FLOOR_DPI = 72.0
"""Below this an upload copy is useless: give up."""
UPLOAD_MAX_ENCODES = 10


def upload_copy(page: PageImage, *, mode: str = "whiten", limit_bytes: int = 2_000_000) -> bytes:
    """A derivative of the page for a portal that caps file size: JPEG (PNG for ``bw``) of at
    most ``limit_bytes``. Tries quality 75, 60, 45 at the page's resolution, then quality 60 at
    lower resolutions predicted from the size so far, keeping ≥ 150 dpi unless nothing else
    fits; at most :data:`UPLOAD_MAX_ENCODES` encodings.

    :raises UploadTooLarge: it does not fit even at :data:`UPLOAD_FLOOR_DPI`.
    """
    if limit_bytes <= 0:
        raise ValueError(f"limit_bytes must be positive, not {limit_bytes}")

    def derive(dpi: float) -> PageImage:
        base = page if dpi >= page.dpi else resize_page(page, dpi)
        return apply_mode(base, mode)  # the page itself when it is in the mode already

    def encode(p: PageImage, quality: int) -> bytes:
        return encode_png(p) if mode == "bw" else encode_jpeg(p, quality)

    qualities = (0,) if mode == "bw" else UPLOAD_QUALITIES  # PNG has no quality
    reduced_quality = qualities[min(1, len(qualities) - 1)]
    dpi = float(page.dpi)
    tries: list[tuple[int, float, int]] = []  # size, dpi, quality
    current = derive(dpi)
    last = 0
    for quality in qualities:  # first the quality, at full resolution
        data = encode(current, quality)
        tries.append((len(data), dpi, quality))
        if len(data) <= limit_bytes:
            return data
        if quality == reduced_quality:
            last = len(data)
    while len(tries) < UPLOAD_MAX_ENCODES and dpi > UPLOAD_FLOOR_DPI:
        # bytes grow about with the pixel count: aim a little under the limit
        target = dpi * math.sqrt(limit_bytes / last) * 0.93
        floor = UPLOAD_MIN_DPI if dpi > UPLOAD_MIN_DPI else UPLOAD_FLOOR_DPI
        dpi = float(max(UPLOAD_FLOOR_DPI, round(min(dpi - 1, max(target, floor)))))
        data = encode(derive(dpi), reduced_quality)
        tries.append((len(data), dpi, reduced_quality))
        if len(data) <= limit_bytes:
            return data
        last = len(data)
    size, at_dpi, at_q = min(tries)
    detail = f"{at_dpi:g} dpi" + (f", quality {at_q}" if mode != "bw" else "")
    raise UploadTooLarge(
        f"无法压缩到 {limit_bytes} 字节以内 / cannot fit the page under {limit_bytes} bytes: "
        f"the smallest try was {size} bytes ({mode}, {detail})")
