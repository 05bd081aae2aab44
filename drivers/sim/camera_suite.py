"""A labelled suite of document-camera scenes for measuring page detection (issue 5, the
cases of ../shared/research/camera.md §2): the synthetic camera's scripts on each desk, seen
as they are, under a shadow, and through a stronger tilt and turn of the camera, with the
ground-truth corners of every document and the empty-desk reference frame of each case.

Variants are applied to the rendered frame, as the camera would see them:

- ``plain``: the simulator's own frame (mild keystone, uneven LED light, contact shadows);
- ``shadow``: a soft shadow across the view (someone standing at the desk, the room's light
  behind them): the light falls to 55 % from one side to the other, over a soft edge about a
  third of the frame wide. The empty-desk reference was taken without it, as it would have
  been;
- ``tilt``: the camera arm knocked: a further rotation of up to ±25° and a keystone of up to
  8 % of the frame, applied to the reference too (the camera is fixed to the desk).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..uvc_camera import Mode
from .synthetic_camera import DocTruth, SyntheticCamera, SyntheticCameraConfig

VARIANTS = ("plain", "shadow", "tilt")
SUITE_DESKS = ("dark", "light", "textured")
SUITE_SCRIPTS = ("idcard", "a4", "booklet", "qr", "mixed")


@dataclass(frozen=True)
class SuiteCase:
    desk: str
    script: str
    variant: str
    seed: int
    size: str = "1080p"

    @property
    def name(self) -> str:
        return f"{self.script}/{self.desk}/{self.variant}/s{self.seed}"


@dataclass
class SuiteFrame:
    case: SuiteCase
    index: int
    image: np.ndarray
    truths: list[DocTruth] = field(default_factory=list)

    def in_view(self, margin: float = 0.01) -> list[DocTruth]:
        """Documents wholly in view: all four corners inside the frame by ``margin`` × its
        height (the detection tolerance), and no other document lying over them."""
        h, w = self.image.shape[:2]
        m = margin * h
        shown = []
        for k, t in enumerate(self.truths):
            if not all(m <= x <= w - m and m <= y <= h - m for x, y in t.corners):
                continue
            # the simulator draws documents in this order: later ones lie on top
            if any(_overlap(t, above) for above in self.truths[k + 1 :]):
                continue
            shown.append(t)
        return shown


def cases(size: str = "1080p", seeds: tuple[int, ...] = (1, 2)) -> list[SuiteCase]:
    return [SuiteCase(desk, script, variant, seed, size)
            for script in SUITE_SCRIPTS for desk in SUITE_DESKS for variant in VARIANTS
            for seed in seeds]


class CaseScene:
    """Renders one case's frames and its empty-desk reference."""

    def __init__(self, case: SuiteCase):
        self.case = case
        config = SyntheticCameraConfig(desk=case.desk, script=case.script, size=case.size,
                                       seed=case.seed, realtime=False)
        self.camera = SyntheticCamera(config)
        self.mode: Mode = self.camera.modes()[0] if case.size == "1080p" else next(
            m for m in self.camera.modes() if m.width == 3264)
        empty = SyntheticCamera(SyntheticCameraConfig(desk=case.desk, script="empty",
                                                      size=case.size, seed=case.seed,
                                                      realtime=False))
        rng = np.random.default_rng([case.seed, len(case.script), len(case.desk), 17])
        w, h = self.mode.width, self.mode.height
        self.warp = _tilt(rng, w, h) if case.variant == "tilt" else None
        self.shade = _shadow(rng, w, h) if case.variant == "shadow" else None
        reference, _ = empty.render(0, self.mode)
        self.reference = self._warp(reference)

    @property
    def length(self) -> int:
        return self.camera.length

    def _warp(self, image: np.ndarray) -> np.ndarray:
        if self.warp is None:
            return image
        h, w = image.shape[:2]
        return cv2.warpPerspective(image, self.warp, (w, h), flags=cv2.INTER_LINEAR,
                                   borderMode=cv2.BORDER_REFLECT_101)

    def frame(self, index: int) -> SuiteFrame:
        image, truths = self.camera.render(index, self.mode)
        image = self._warp(image)
        if self.shade is not None:
            image = cv2.multiply(image, self.shade, scale=1 / 255.0)
        if self.warp is not None:
            truths = [_moved(t, self.warp) for t in truths]
        return SuiteFrame(self.case, index, image, truths)

    def truths(self, index: int) -> list[DocTruth]:
        truths = self.camera.truth_at(index, self.mode)
        if self.warp is not None:
            truths = [_moved(t, self.warp) for t in truths]
        return truths

    def frames(self, indices: list[int] | None = None) -> Iterator[SuiteFrame]:
        for index in indices if indices is not None else range(self.length):
            yield self.frame(index)


def jpeg(image: np.ndarray, quality: int = 85) -> bytes:
    """The frame as the camera's MJPEG would carry it."""
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def _overlap(a: DocTruth, b: DocTruth) -> bool:
    area, _ = cv2.intersectConvexConvex(a.as_array(), b.as_array())
    return area > 1.0


def _moved(truth: DocTruth, warp: np.ndarray) -> DocTruth:
    pts = cv2.perspectiveTransform(truth.as_array().reshape(-1, 1, 2).astype(np.float64), warp)
    corners = tuple((float(x), float(y)) for x, y in pts.reshape(4, 2))
    return DocTruth(truth.kind, corners, truth.settled, truth.held,  # type: ignore[arg-type]
                    truth.still_frames)


def _tilt(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    angle = math.radians(float(rng.uniform(12, 25)) * float(rng.choice([-1, 1])))
    keystone = float(rng.uniform(0.04, 0.08))
    centre = np.array([w / 2, h / 2])
    src = np.array([(0, 0), (w, 0), (w, h), (0, h)], np.float64)
    # keystone: the far edge seen wider than the near one
    dst = src.copy()
    dst[0, 0] -= keystone * w
    dst[1, 0] += keystone * w
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    dst = (dst - centre) @ rot.T * 0.92 + centre
    return cv2.getPerspectiveTransform(src.astype(np.float32), dst.astype(np.float32))


def _shadow(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    theta = float(rng.uniform(0, 2 * math.pi))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    d = (xs - w / 2) * math.cos(theta) + (ys - h / 2) * math.sin(theta)
    edge = float(rng.uniform(-0.15, 0.15)) * min(w, h)
    softness = 0.35 * min(w, h)
    light = 1.0 - 0.45 / (1.0 + np.exp(-(d - edge) / (softness / 4)))
    shade = (light * 255).astype(np.uint8)
    return cv2.cvtColor(shade, cv2.COLOR_GRAY2BGR)
