"""身份证复印: both sides of an ID card on one A4 page at true size, so the page prints 1:1 —
what a counter's photocopier makes, and what vendor SDKs call ``IdCardProcess``/``Blend``
plus ``PrintByDPI`` (../shared/research/camera.md, feature table).

Sizes: the card is ID-1, 85.6 × 54 mm with corners rounded at 3.18 mm (ISO/IEC 7810:2003
§5.1, §5.1.2; GA 450-2013 for the 居民身份证); A4 is 210 × 297 mm (ISO 216, GB/T 148-1997).

Sides, as this module names them (the usual counter wording, and the synthetic camera's):
``front`` is the 人像面 (photo on the right, name/sex/birth/address on the left, the
18-digit number along the bottom); ``back`` is the 国徽面 (the red national emblem at the upper
left, 中华人民共和国 居民身份证 to its right, issuing authority and validity at the bottom).
The card law calls the emblem side the front; the layout here does not depend on the names.

Orientation: a card can lie upside down (the synthetic camera lays the back at about 174°),
and a warped card keeps the orientation it lay in. :func:`upright_turn` decides between 0°
and 180° from what the sides show: on the back, where the red emblem is; on the front, which
end has the smooth photo and which the dense lines of text. When the cues disagree or are
weak it answers None and the card is left as it is.
"""

from __future__ import annotations

import cv2
import numpy as np

from .page import MM_PER_INCH, PageImage

CARD_MM = (85.6, 54.0)
CARD_ASPECT = CARD_MM[0] / CARD_MM[1]
CARD_RADIUS_MM = 3.18
A4_MM = (210.0, 297.0)
ASPECT_TOLERANCE = 0.08
"""How far (relative) an image's aspect may be from the card's 1.585 to be taken as a card
(a loosely cropped photo of one is fine; an A4 page, 1.414, is not)."""
GUIDE_GREY = 200
"""Cut guides: a 1-pixel line of this grey around each card."""

SIDES = ("front", "back")

# Where things are on an upright card, as fractions of its width and height (measured on the
# 2nd-generation card and drawn so by drivers/sim/synthetic_camera.py _id_front/_id_back).
PHOTO_BOX = (0.64, 0.11, 0.94, 0.73)  # x0, y0, x1, y1 on the front
MIN_RED_SHARE = 0.01
"""The emblem covers about 5 % of the back; less red than this and the back gives no cue."""
MIN_EDGE_CONTRAST = 0.25
"""The front: (text edges − photo edges) / (sum) must reach this to decide."""


def _as_bgr(pixels: np.ndarray) -> np.ndarray:
    if pixels.ndim == 2:
        return cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    return pixels


def _card_pixels(card: PageImage | np.ndarray, name: str) -> np.ndarray:
    """The card as a landscape BGR image, checked to have a card's shape."""
    if isinstance(card, PageImage):
        pixels = card.pixels
    elif isinstance(card, np.ndarray):
        pixels = card
    else:
        raise ValueError(f"{name}: expected a PageImage or an image array, "
                         f"not {type(card).__name__}")
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3) or min(pixels.shape[:2]) < 8 \
            or (pixels.ndim == 3 and pixels.shape[2] != 3):
        raise ValueError(f"{name}: 无法读取图像 / cannot read the image (expected 8-bit BGR)")
    h, w = pixels.shape[:2]
    if h > w:  # lay a portrait card landscape; upright_turn settles 0° or 180° afterwards
        pixels = cv2.rotate(pixels, cv2.ROTATE_90_CLOCKWISE)
        h, w = w, h
    aspect = w / h
    if abs(np.log(aspect / CARD_ASPECT)) > np.log1p(ASPECT_TOLERANCE):
        raise ValueError(f"{name}: 图像不是身份证的形状 / the image is not the shape of an ID "
                         f"card (85.6 × 54 mm, 1.585:1) but {aspect:.3f}:1")
    return _as_bgr(pixels)


def _small(card: np.ndarray, px_per_mm: float = 4.0) -> np.ndarray:
    w, h = round(CARD_MM[0] * px_per_mm), round(CARD_MM[1] * px_per_mm)
    return cv2.resize(card, (w, h), interpolation=cv2.INTER_AREA)


def _box(img: np.ndarray, box: tuple[float, float, float, float], turned: bool) -> np.ndarray:
    h, w = img.shape[:2]
    x0, y0, x1, y1 = box
    if turned:  # the same box on a card turned by 180°
        x0, y0, x1, y1 = 1 - x1, 1 - y1, 1 - x0, 1 - y0
    return img[round(y0 * h):round(y1 * h), round(x0 * w):round(x1 * w)]


def _back_turn(card: np.ndarray) -> int | None:
    """The emblem is red and at the upper left: its centroid says 0° or 180°."""
    hsv = cv2.cvtColor(card, cv2.COLOR_BGR2HSV)
    hue, sat, val = cv2.split(hsv)
    red = ((hue <= 8) | (hue >= 172)) & (sat >= 90) & (val >= 60)
    share = float(red.mean())
    if share < MIN_RED_SHARE:
        return None
    ys, xs = np.nonzero(red)
    h, w = red.shape
    cx, cy = xs.mean() / w, ys.mean() / h
    if cx < 0.4 and cy < 0.5:
        return 0
    if cx > 0.6 and cy > 0.5:
        return 180
    return None


def _front_turn(card: np.ndarray) -> int | None:
    """The photo (right) is smooth, the text it changes places with under a 180° turn is
    dense with edges: compare the edge energy of the photo's box with the box opposite."""
    grey = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY)
    grey = cv2.GaussianBlur(grey, (3, 3), 0)
    paper = max(1.0, float(np.percentile(grey, 90)))
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    edges = cv2.magnitude(gx, gy) / paper
    photo = float(_box(edges, PHOTO_BOX, False).mean())
    opposite = float(_box(edges, PHOTO_BOX, True).mean())
    total = photo + opposite
    if total <= 1e-6:
        return None
    contrast = (opposite - photo) / total
    if contrast >= MIN_EDGE_CONTRAST:
        return 0
    if contrast <= -MIN_EDGE_CONTRAST:
        return 180
    return None


def upright_turn(card: PageImage | np.ndarray, side: str) -> int | None:
    """Degrees (0 or 180) to turn a landscape card image so it reads upright; None when the
    cues are too weak to tell (then leave the card as it is).

    :param side: ``front`` (人像面) or ``back`` (国徽面), see the module docstring.
    """
    if side not in SIDES:
        raise ValueError(f"side is front or back, not {side!r}")
    small = _small(_card_pixels(card, side))
    return _front_turn(small) if side == "front" else _back_turn(small)


def _rounded_mask(w: int, h: int, radius: float) -> np.ndarray:
    """Coverage (0–1) of each pixel by a rectangle of w × h pixels with corners rounded at
    ``radius``: from the signed distance of the pixel's centre to the outline."""
    xs = np.arange(w, dtype=np.float32) + 0.5
    ys = np.arange(h, dtype=np.float32) + 0.5
    dx = np.maximum(np.maximum(radius - xs, xs - (w - radius)), 0)
    dy = np.maximum(np.maximum(radius - ys, ys - (h - radius)), 0)
    outside = np.hypot(dx[None, :], dy[:, None]) - radius
    return np.clip(0.5 - outside, 0.0, 1.0)


def compose_id_copy(front: PageImage | np.ndarray, back: PageImage | np.ndarray, *,
                    dpi: int = 300, guides: bool = False, upright: bool = True) -> PageImage:
    """Both sides of an ID card on a white A4 portrait page, each at 85.6 × 54 mm, centred
    across the page, the front in the upper half and the back in the lower half; the page's
    DPI is ``dpi``, so printing it at 100 % gives a true-size copy.

    :param front: the 人像面: a warped card (:func:`~devices.imaging.page.warp_page`) or a
        card image (any size with the card's aspect; resized to true size).
    :param back: the 国徽面, likewise.
    :param guides: draw a thin light-grey cut line around each card.
    :param upright: turn a card lying upside down (:func:`upright_turn`); cards whose
        orientation cannot be told are left as they are.
    """
    if not 72 <= dpi <= 1200:
        raise ValueError(f"dpi is from 72 to 1200, not {dpi}")
    page_w = round(A4_MM[0] / MM_PER_INCH * dpi)
    page_h = round(A4_MM[1] / MM_PER_INCH * dpi)
    card_w = round(CARD_MM[0] / MM_PER_INCH * dpi)
    card_h = round(CARD_MM[1] / MM_PER_INCH * dpi)
    radius = CARD_RADIUS_MM / MM_PER_INCH * dpi
    mask = _rounded_mask(card_w, card_h, radius)[..., None]
    page = np.full((page_h, page_w, 3), 255, np.uint8)
    for side, card, centre_y in (("front", front, page_h / 4), ("back", back, page_h * 3 / 4)):
        pixels = _card_pixels(card, side)
        if upright and (_front_turn if side == "front" else _back_turn)(_small(pixels)) == 180:
            pixels = cv2.rotate(pixels, cv2.ROTATE_180)
        shrink = pixels.shape[1] > card_w
        sized = cv2.resize(pixels, (card_w, card_h),
                           interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
        x0 = (page_w - card_w) // 2
        y0 = round(centre_y - card_h / 2)
        region = page[y0:y0 + card_h, x0:x0 + card_w].astype(np.float32)
        # the rounded corners show the page, not the desk the card lay on
        blended = sized.astype(np.float32) * mask + region * (1.0 - mask)
        page[y0:y0 + card_h, x0:x0 + card_w] = np.round(blended).astype(np.uint8)
        if guides:
            r = max(1, round(radius))
            _rounded_outline(page, x0 - 1, y0 - 1, card_w + 2, card_h + 2, r)
    return PageImage(page, float(dpi), A4_MM, "a4", "colour")


def _rounded_outline(page: np.ndarray, x: int, y: int, w: int, h: int, r: int) -> None:
    colour = (GUIDE_GREY,) * 3
    x1, y1 = x + w - 1, y + h - 1
    cv2.line(page, (x + r, y), (x1 - r, y), colour, 1)
    cv2.line(page, (x + r, y1), (x1 - r, y1), colour, 1)
    cv2.line(page, (x, y + r), (x, y1 - r), colour, 1)
    cv2.line(page, (x1, y + r), (x1, y1 - r), colour, 1)
    for cx, cy, start in ((x1 - r, y + r, 270), (x1 - r, y1 - r, 0), (x + r, y1 - r, 90),
                          (x + r, y + r, 180)):
        cv2.ellipse(page, (cx, cy), (r, r), 0, start, start + 90, colour, 1, cv2.LINE_AA)
