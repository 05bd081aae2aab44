"""Auto-capture for a document camera (高拍仪): when to take the picture, frame by frame.

The design follows ../shared/research/camera.md §3 (numbers from §5):

- The view must be still: the largest mean absolute difference, over 8×8-pixel blocks, of a
  160-pixel-wide grey copy of the preview between consecutive frames stays under
  :attr:`AutoCaptureConfig.motion_threshold`. Blocks, not the whole frame, because a hand or
  a small card moving in one corner of the view hardly changes the frame's mean; the 160-px
  copy averages the sensor noise away (0.3–0.55 grey levels on still synthetic frames against
  9–145 for a document or a hand moving; see the test module).
- The page's quad stays within 0.5 % of the frame's height of where the still run began
  (the corner error the detector is held to), and no hand touches it (``Detection.hand``),
  nor covers it (``Detection.held``: the detector carries the last good quad over a hand).
- Optionally sharp: the variance of the Laplacian on the page's part of the preview is at
  least :attr:`~AutoCaptureConfig.sharpness_ratio` of the best seen while still, so an
  autofocus drifting through its range, each step too small for the motion check, is waited
  out (0.2 ms a frame).
- All that for :attr:`~AutoCaptureConfig.settle_s` seconds (not frames: frame rates vary)
  → capture (CAPTURED; the caller takes the full frame), then LOCKED.
- Never the same page twice (§3, "check that the page content has changed"): LOCKED holds
  until the view moves; the next capture also needs the page's content to differ from the
  last capture, compared on a 64×64 grey thumbnail of the warped page
  (:func:`page_thumbnail`; :func:`thumbnail_difference` aligns the two before comparing, as
  the corners of two sightings disagree by a pixel or two at that size). This memory outlives
  the page's removal, so putting the same page back does not capture it again;
  :meth:`AutoCapture.same_page_again` allows one more capture, :meth:`AutoCapture.manual`
  captures at the next frame whatever the view.

The limit of a 64×64 thumbnail (4 mm a pixel on an A4 page): pages that differ only in
print smaller than that (two ID card backs of one design, a form where one date changed)
count as the same page; the screen's "same page again" button is the way out. Copies of one
form filled in differently, or a card with another photo, are told apart (measured in the
tests).

:class:`AutoCapture` is pure logic: no threads, no camera, no clock. The caller feeds it each
preview frame's :class:`~devices.imaging.detect.Detection` with the frame's timestamp.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from .detect import Detection
from .geometry import Corners

THUMBNAIL_SIZE = 64
"""Side of the page thumbnail (pixels) on which content change is measured (camera.md §3)."""
MOTION_WIDTH = 160
"""Width (pixels) of the grey copy of the preview on which motion is measured."""
MOTION_BLOCK = 8
"""Side (pixels of the 160-px copy) of the blocks whose mean difference is compared."""
_EPSILON_S = 1e-6  # timestamps are often index / fps: 8 / 15 - 0 must count as 0.533 s


class State(enum.Enum):
    IDLE = "idle"  # no document in view
    BUSY = "busy"  # something moves, a hand is on the page, or the page is not found
    STABLE = "stable"  # a page lies still: the settle time runs
    CAPTURED = "captured"  # capture this frame (one frame only)
    LOCKED = "locked"  # this page is captured: waiting for the next one


class Reason(enum.StrEnum):
    """Why a frame got its state: short words for logs, and keys for the screen's text."""

    NO_DOCUMENT = "no document"
    MOVING = "moving"
    HAND = "hand in view"
    HELD = "page held"
    NOT_FOUND = "page not found"
    SETTLING = "settling"
    BLURRED = "waiting for focus"
    COOL_DOWN = "cool-down"
    CAPTURED = "captured"
    MANUAL = "manual capture"
    SAME_PAGE_AGAIN = "same page again"
    SAME_PAGE = "same page as last capture"
    LOCKED = "captured, waiting for the next page"


@dataclass(frozen=True)
class AutoCaptureConfig:
    """When :class:`AutoCapture` captures. Defaults from camera.md §3/§5 and the
    measurements in tests/devices/imaging/test_autocapture.py."""

    settle_s: float = 0.5
    """Seconds the page must lie still, without a hand, before it is captured (§5: a settle
    window of 0.4–0.8 s)."""
    motion_threshold: float = 2.0
    """Grey levels (0–255): the view moves when a block of the 160-px grey preview changes
    by more than this on average between consecutive frames. Still frames of the synthetic
    camera reach 0.55, a moving card 9 and more."""
    corner_tolerance: float = 0.005
    """Fraction of the frame's height the page's corners may drift during the settle time
    (0.5 %, the detector's corner error)."""
    same_page_threshold: float = 0.47
    """:func:`thumbnail_difference` below which a page counts as the one last captured.
    Measured on the synthetic camera: the same page laid again elsewhere, both sightings'
    corners off by up to 0.5 % of the frame height, 0.05–0.39 (240 pairs, p95 0.33); the same
    design with other print 0.57–1.9; another kind of document 1.6 or more. 0.47 is the
    geometric middle of 0.39 and 0.57."""
    removal_s: float = 0.5
    """Seconds without a document before the desk counts as empty (idle); shorter gaps are
    detector misses."""
    cooldown_s: float = 1.0
    """Seconds after a capture (automatic or manual) before the next automatic one; a manual
    capture never waits."""
    sharpness_ratio: float = 0.7
    """The captured frame's sharpness (variance of the Laplacian on the page) must be at
    least this fraction of the sharpest frame of the still run; 0 turns the check off."""

    def __post_init__(self) -> None:
        checks = (
            ("settle_s", 0.0, 10.0, "seconds"),
            ("motion_threshold", 0.1, 100.0, "grey levels"),
            ("corner_tolerance", 0.0, 0.1, "of the frame height"),
            ("same_page_threshold", 0.0, 2.0, "(thumbnail difference)"),
            ("removal_s", 0.0, 60.0, "seconds"),
            ("cooldown_s", 0.0, 60.0, "seconds"),
            ("sharpness_ratio", 0.0, 1.0, "(fraction)"),
        )
        for name, low, high, unit in checks:
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise ValueError(f"{name} is from {low:g} to {high:g} {unit}, not {value!r}")


@dataclass(frozen=True)
class Decision:
    """What :meth:`AutoCapture.update` made of one frame."""

    state: State
    capture: bool
    """Take the picture now (the full frame this detection came from, or the next still)."""
    reason: str
    """A :class:`Reason`: why this state (for logs and the screen)."""
    corners: Corners | None = None
    """The page to cut from the captured frame (this frame's detection), when one is found."""
    thumbnail: np.ndarray | None = field(default=None, repr=False, compare=False)
    """On capture: the :func:`page_thumbnail` of the captured page (None without a page)."""
    still_s: float = 0.0
    """Seconds the page has lain still so far (for a progress ring on the screen)."""
    motion: float = 0.0
    """The frame's motion measure (:func:`motion_score`), for logs and tuning."""


# --------------------------------------------------------------------------- measures


def preview_grey(small_bgr: np.ndarray) -> np.ndarray:
    """The preview as a grey image 160 pixels wide (area-averaged: the noise averages out),
    on which :func:`motion_score` compares frames."""
    height, width = small_bgr.shape[:2]
    grey = small_bgr if small_bgr.ndim == 2 else cv2.cvtColor(small_bgr, cv2.COLOR_BGR2GRAY)
    out_w = min(MOTION_WIDTH, width)
    out_h = max(MOTION_BLOCK, round(height * out_w / width))
    return cv2.resize(grey, (out_w, out_h), interpolation=cv2.INTER_AREA).astype(np.float32)


def motion_score(previous: np.ndarray, current: np.ndarray) -> float:
    """The largest mean absolute difference (grey levels) over 8×8-pixel blocks between two
    :func:`preview_grey` images of the same size."""
    diff = cv2.absdiff(previous, current)
    h, w = diff.shape[:2]
    blocks = cv2.resize(diff, (max(1, w // MOTION_BLOCK), max(1, h // MOTION_BLOCK)),
                        interpolation=cv2.INTER_AREA)
    return float(blocks.max())


def _small_quad(corners: Corners | np.ndarray, small_shape: tuple[int, ...],
                full_size: tuple[int, int]) -> np.ndarray:
    h, w = small_shape[:2]
    full_w, full_h = full_size
    if full_w <= 0 or full_h <= 0:
        raise ValueError(f"the frame size must be positive, not {full_size}")
    quad = np.asarray(corners, np.float64).reshape(4, 2)
    return (quad * (w / full_w, h / full_h)).astype(np.float32)


def page_thumbnail(small_bgr: np.ndarray, corners_full: Corners | np.ndarray,
                   full_size: tuple[int, int]) -> np.ndarray:
    """The page, warped flat to a 64×64 grey uint8 thumbnail (its aspect ratio dropped).

    :param small_bgr: the reduced image the detection ran on (``Detection.small``), BGR or
        grey.
    :param corners_full: TL, TR, BR, BL in pixels of the full-size frame.
    :param full_size: ``(width, height)`` of the full-size frame (``Detection.size``).

    Warped at twice the size and then area-averaged, so an A4 page's print does not alias.
    """
    quad = _small_quad(corners_full, small_bgr.shape, full_size)
    side = 2 * THUMBNAIL_SIZE
    target = np.float32([(0, 0), (side, 0), (side, side), (0, side)])
    warp = cv2.getPerspectiveTransform(quad, target)
    flat = cv2.warpPerspective(small_bgr, warp, (side, side), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    if flat.ndim == 3:
        flat = cv2.cvtColor(flat, cv2.COLOR_BGR2GRAY)
    return cv2.resize(flat, (THUMBNAIL_SIZE, THUMBNAIL_SIZE), interpolation=cv2.INTER_AREA)


def _normalised(thumbnail: np.ndarray) -> np.ndarray:
    # the blur forgives the corner error (a pixel or two at 64 px); mean and spread out so a
    # page under brighter light is still the same page; the spread is floored so two blank
    # pages compare as the noise they are, not as amplified noise
    flat = cv2.GaussianBlur(thumbnail.astype(np.float32), (0, 0), 1.5)
    return (flat - float(flat.mean())) / max(float(flat.std()), 8.0)


def _aligned(reference: np.ndarray, moving: np.ndarray) -> np.ndarray:
    # the corners of two sightings of one page disagree by up to 0.5 % of the frame height,
    # a pixel or two at 64 px: an affine ECC fit (Evangelidis & Psarakis 2008) takes that out
    # so what remains is content; when it does not converge, compare as they are
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 50, 1e-4)
    try:
        cv2.findTransformECC(reference, moving, warp, cv2.MOTION_AFFINE, criteria, None, 3)
    except cv2.error:
        return moving
    return cv2.warpAffine(moving, warp, moving.shape[::-1],
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def thumbnail_difference(a: np.ndarray, b: np.ndarray) -> float:
    """How different two :func:`page_thumbnail` s are: 0 for the same picture, 0.05–0.39 for
    the same page laid again, 0.57 and up for other print on the same design, 1.6 and up for
    another kind of document (:attr:`AutoCaptureConfig.same_page_threshold`). About 2 ms.

    Both are blurred (σ 1.5 px) and normalised to zero mean and unit spread (the light
    varies across the desk); ``b`` is turned by the quarter turn that matches ``a`` best (the
    same page laid the other way round is the same page) and aligned to it; the result is
    the largest mean absolute difference over 8×8-pixel blocks, so a changed photo or seal
    is not averaged away by a page that is otherwise alike.
    """
    if a.shape != b.shape:
        raise ValueError(f"thumbnails differ in size: {a.shape} and {b.shape}")
    na = _normalised(a)
    turns = [np.ascontiguousarray(np.rot90(_normalised(b), k)) for k in range(4)]
    nb = min(turns, key=lambda turned: float(np.mean(np.abs(na - turned))))
    diff = np.abs(na - _aligned(na, nb))
    margin = 4  # the alignment replicates the border: leave it out
    inner = diff[margin:-margin, margin:-margin]
    h, w = inner.shape
    blocks = cv2.resize(inner, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA)
    return float(blocks.max())


def sharpness(small_bgr: np.ndarray, corners_full: Corners | np.ndarray,
              full_size: tuple[int, int]) -> float:
    """Variance of the Laplacian of the preview within the page's bounding box: higher is
    sharper. Only comparable between frames of the same page."""
    quad = _small_quad(corners_full, small_bgr.shape, full_size)
    h, w = small_bgr.shape[:2]
    x0, y0 = (max(0, int(v)) for v in quad.min(axis=0))
    x1, y1 = min(w, int(quad[:, 0].max()) + 1), min(h, int(quad[:, 1].max()) + 1)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return 0.0
    crop = small_bgr[y0:y1, x0:x1]
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_32F).var())


# --------------------------------------------------------------------------- the machine


class AutoCapture:
    """The auto-capture state machine (module docstring). Feed :meth:`update` every preview
    frame in order; act on ``Decision.capture``. One per stream, fed from one thread;
    :meth:`manual` and :meth:`same_page_again` only raise a flag the next :meth:`update`
    reads, so a screen's thread may call them."""

    def __init__(self, config: AutoCaptureConfig | None = None):
        self.config = config or AutoCaptureConfig()
        self.reset()

    def reset(self) -> None:
        """Forget everything, the last captured page included (a new customer, a new job)."""
        self._state = State.IDLE
        self._last_t: float | None = None
        self._previous: np.ndarray | None = None  # preview_grey of the previous frame
        self._last_found_t: float | None = None
        self._run_start: float | None = None  # the still run: its first frame's time
        self._anchor: np.ndarray | None = None  # and the page's corners then
        self._best_sharpness = 0.0
        self._last_thumbnail: np.ndarray | None = None
        self._last_capture_t: float | None = None
        self._manual = False
        self._again = False

    @property
    def state(self) -> State:
        return self._state

    @property
    def last_thumbnail(self) -> np.ndarray | None:
        """The thumbnail of the last captured page (None before any)."""
        return self._last_thumbnail

    def manual(self) -> None:
        """Capture at the next frame, whatever it shows."""
        self._manual = True

    def same_page_again(self) -> None:
        """Allow one more capture of the page last captured (once it lies still)."""
        self._again = True

    # -- per frame

    def update(self, detection: Detection, timestamp: float) -> Decision:
        """Take one preview frame's detection and the frame's time (monotonic seconds, from
        the caller) and say what to do."""
        if detection.small is None:
            raise ValueError("the detection carries no preview image (Detection.small)")
        if detection.found and min(detection.size) <= 0:
            raise ValueError("the detection does not say the frame's size (Detection.size)")
        if self._last_t is not None and timestamp < self._last_t:
            raise ValueError(f"frame times must not go backwards: {timestamp} after "
                             f"{self._last_t}")
        self._last_t = timestamp
        grey = preview_grey(detection.small)
        previous, self._previous = self._previous, grey
        # the first frame (or the first of a new mode) has nothing to compare with: it starts
        # no still run, but it does not make an empty desk busy either
        fresh = previous is None or previous.shape != grey.shape
        motion = 0.0 if fresh else motion_score(previous, grey)
        found = detection.found and detection.corners is not None
        if found:
            self._last_found_t = timestamp
        decision = self._decide(detection, timestamp, found,
                                motion > self.config.motion_threshold, fresh)
        self._state = decision.state
        return replace(decision, motion=motion)

    def _decide(self, detection: Detection, t: float, found: bool, moving: bool,
                fresh: bool) -> Decision:
        config = self.config
        if self._manual:
            self._manual = False
            return self._capture(detection, t, Reason.MANUAL)
        if not found:
            self._break_run()
            if moving:
                return Decision(State.BUSY, False, Reason.MOVING)
            if self._last_found_t is None or t - self._last_found_t >= config.removal_s:
                return Decision(State.IDLE, False, Reason.NO_DOCUMENT)
            if self._state in (State.LOCKED, State.CAPTURED):
                return Decision(State.LOCKED, False, Reason.LOCKED)  # a detector miss
            return Decision(State.BUSY, False, Reason.NOT_FOUND)
        corners = detection.corners
        assert corners is not None
        quad = np.asarray(corners, np.float64).reshape(4, 2)
        tolerance = config.corner_tolerance * detection.size[1]
        drifted = self._anchor is not None and float(
            np.max(np.hypot(*(quad - self._anchor).T))) > tolerance
        if detection.hand or detection.held or moving or drifted or fresh:
            self._break_run()
            reason = (Reason.HAND if detection.hand else Reason.HELD if detection.held
                      else Reason.MOVING)
            return Decision(State.BUSY, False, reason, corners)
        # still, found, no hand: the run goes on (or starts)
        if self._run_start is None:
            self._run_start, self._anchor, self._best_sharpness = t, quad, 0.0
        still_s = t - self._run_start
        if self._state in (State.LOCKED, State.CAPTURED) and not self._again:
            return Decision(State.LOCKED, False, Reason.LOCKED, corners, still_s=still_s)
        sharp = 0.0
        if config.sharpness_ratio > 0:
            sharp = sharpness(detection.small, corners, detection.size)
            self._best_sharpness = max(self._best_sharpness, sharp)
        if still_s + _EPSILON_S < config.settle_s:
            return Decision(State.STABLE, False, Reason.SETTLING, corners, still_s=still_s)
        if sharp < config.sharpness_ratio * self._best_sharpness:
            return Decision(State.STABLE, False, Reason.BLURRED, corners, still_s=still_s)
        if self._last_capture_t is not None \
                and t - self._last_capture_t + _EPSILON_S < config.cooldown_s:
            return Decision(State.STABLE, False, Reason.COOL_DOWN, corners, still_s=still_s)
        thumbnail = page_thumbnail(detection.small, corners, detection.size)
        if self._again:
            self._again = False
            return self._capture(detection, t, Reason.SAME_PAGE_AGAIN, thumbnail, still_s)
        if self._last_thumbnail is not None and thumbnail_difference(
                thumbnail, self._last_thumbnail) < config.same_page_threshold:
            return Decision(State.LOCKED, False, Reason.SAME_PAGE, corners, still_s=still_s)
        return self._capture(detection, t, Reason.CAPTURED, thumbnail, still_s)

    def _capture(self, detection: Detection, t: float, reason: Reason,
                 thumbnail: np.ndarray | None = None, still_s: float = 0.0) -> Decision:
        corners = detection.corners if detection.found else None
        if thumbnail is None and corners is not None and detection.small is not None:
            thumbnail = page_thumbnail(detection.small, corners, detection.size)
        if thumbnail is not None:
            self._last_thumbnail = thumbnail
        self._last_capture_t = t
        return Decision(State.CAPTURED, True, reason, corners, thumbnail, still_s)

    def _break_run(self) -> None:
        self._run_start = None
        self._anchor = None
