"""A simulated document camera (高拍仪): a desk seen from above on which documents arrive,
settle, are held and are taken away, delivered as MJPEG frames through the same
:class:`~drivers.uvc_camera.FrameSource` protocol as a real UVC camera, with the ground truth
of every document's corners per frame.

The scene (../shared/research/camera.md §2 and §5 for the cases that matter to detection):

- a desk, ``dark``, ``light`` (white paper on a light desk: low contrast) or ``textured``
  (wood grain, which gives edge detectors false lines), lit a little unevenly;
- documents at their real sizes: ID card front (portrait side) and back (emblem side),
  85.6×54 mm with ISO/IEC 7810 rounded corners; an A4 form with a table, text and a red seal;
  an open household-register (户口簿-like) booklet spread in two tints; an A5 page with a QR
  code (``qrcode``, error correction M, encoding ``qr_text``);
- a camera 4:3 sensor (3264×2448) seeing about 430×322 mm of desk (420 mm across at the near
  edge, 440 at the far one) through a slightly tilted lens (a homography: keystone and a small
  rotation), with square pixels at the centre of the view as a real sensor has. The 1920×1080
  mode is the sensor's centre 16:9 band scaled down, as UVC cameras usually make 16:9 from a
  4:3 sensor, so it sees 430×242 mm: an A4 page is laid landscape (the usual 高拍仪 base
  marking) to fit both;
- a hand (skin-coloured arm, back of the hand and thumb) that brings and takes documents,
  and holds some with the thumb over the edge nearest the user, moving slightly;
- a soft contact shadow under each document (the LED sits above the far edge), uneven
  light, mild blur and sensor noise, then JPEG at quality 85 like a camera's MJPEG.

Ground truth: :attr:`Frame.truth <drivers.uvc_camera.Frame.truth>` lists a :class:`DocTruth`
per document at least partly in view: its kind, its corners TL, TR, BR, BL in frame pixels
(the document's own corners as printed, so an upside-down card has TL at the lower right;
the sharp corners where a rounded card's edges meet; points may lie outside the frame while a
document slides in or out), ``settled`` (not moved since the previous frame), ``held`` (a
thumb lies over its edge) and ``still_frames`` (frames without movement so far).
:meth:`SyntheticCamera.truth_at` gives the same without rendering.

Configuration (:class:`SyntheticCameraConfig`, also ``sim://camera?...`` via
:meth:`SyntheticCameraConfig.from_url_options`): desk, script, frame rate, the largest size,
seed, real-time pacing, noise, blur, settle time, QR text, looping, and faults:
``unplug_after`` (frames: the camera disappears), ``replug_after_s`` (it comes back),
``stall_after`` (frames after each open: the stream stops without an error).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import cv2
import numpy as np
import qrcode
import qrcode.constants

from ..transports import TransportError, TransportTimeout
from ..uvc_camera import MJPG, Frame, Mode

# --------------------------------------------------------------------------- configuration

SIZES: dict[str, tuple[int, int]] = {
    "1080p": (1920, 1080), "1920x1080": (1920, 1080),
    "8mp": (3264, 2448), "3264x2448": (3264, 2448),
}
DESKS = ("dark", "light", "textured")
SCRIPTS = ("idcard", "a4", "booklet", "qr", "mixed", "empty")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SyntheticCameraConfig:
    """How the simulated camera looks and behaves. URL options use the same names."""

    desk: str = "dark"
    """Desk surface: ``dark``, ``light`` or ``textured`` (wood)."""
    script: str = "mixed"
    """What happens on the desk: ``idcard``, ``a4``, ``booklet``, ``qr``, ``mixed`` or
    ``empty`` (the bare desk: the reference frame for background subtraction)."""
    fps: float = 15.0
    """Frames per second of every mode, and of the pacing when ``realtime``."""
    size: str = "8mp"
    """The largest mode: ``8mp`` (3264×2448, also offers 1920×1080) or ``1080p`` (a 2 MP
    camera: 1920×1080 only)."""
    seed: int = 0
    """Varies desk texture, document placement and noise; the same seed gives the same
    frames."""
    realtime: bool = True
    """Pace frames at ``fps`` in wall-clock time, and let the scene advance while nobody
    reads (as a real camera does); false: every read renders the next frame at once."""
    noise: float = 2.0
    """Sensor noise, standard deviation in grey levels (0–20)."""
    blur: float = 0.8
    """Focus blur, Gaussian sigma in pixels at 1080p (scaled with the mode; 0–3)."""
    settle_frames: int = 20
    """Frames a document lies still (without a hand) before it is taken away."""
    qr_text: str = "https://zwfw.example.gov.cn/q/SIM-0001"
    """What the QR code on the ``qr`` page encodes."""
    loop: bool = True
    """Start the script again after its end (false: the desk stays empty)."""
    unplug_after: int | None = None
    """Frames delivered before the camera is unplugged (reads and opens then fail)."""
    replug_after_s: float | None = None
    """Seconds after an unplug until the camera is back; None: it stays unplugged."""
    stall_after: int | None = None
    """Frames after each open before the stream stops (reads time out; reopening helps)."""

    def __post_init__(self) -> None:
        if self.desk not in DESKS:
            raise ValueError(f"desk is one of {', '.join(DESKS)}, not {self.desk!r}")
        if self.script not in SCRIPTS:
            raise ValueError(f"script is one of {', '.join(SCRIPTS)}, not {self.script!r}")
        if self.size not in SIZES:
            raise ValueError(f"size is 1080p or 8mp, not {self.size!r}")
        if not 1.0 <= self.fps <= 60.0:
            raise ValueError(f"fps is from 1 to 60, not {self.fps:g}")
        if not 0.0 <= self.noise <= 20.0:
            raise ValueError(f"noise is from 0 to 20 grey levels, not {self.noise:g}")
        if not 0.0 <= self.blur <= 3.0:
            raise ValueError(f"blur is from 0 to 3 pixels, not {self.blur:g}")
        if not 1 <= self.settle_frames <= 1000:
            raise ValueError(f"settle_frames is from 1 to 1000, not {self.settle_frames}")
        if not 0 < len(self.qr_text) <= 300:
            raise ValueError("qr_text must have 1 to 300 characters")
        for name in ("unplug_after", "stall_after"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} is a number of frames (0 or more), not {value}")
        if self.replug_after_s is not None and self.replug_after_s < 0:
            raise ValueError(f"replug_after_s is seconds (0 or more), not {self.replug_after_s}")

    @classmethod
    def from_url_options(cls, options: Mapping[str, str]) -> SyntheticCameraConfig:
        """Build from ``sim://camera?desk=light&script=idcard&fps=15&size=1080p`` options.
        Unknown options and bad values are errors, said plainly."""
        names = {f.name for f in fields(cls)}
        if unknown := set(options) - names:
            raise ValueError(f"unknown camera simulator options: {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(sorted(names))}")
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            try:
                if key in ("fps", "noise", "blur"):
                    kwargs[key] = float(value)
                elif key in ("seed", "settle_frames"):
                    kwargs[key] = int(value)
                elif key in ("unplug_after", "stall_after"):
                    kwargs[key] = int(value) if value else None
                elif key == "replug_after_s":
                    kwargs[key] = float(value) if value else None
                elif key in ("realtime", "loop"):
                    kwargs[key] = _boolean(key, value)
                elif key == "size":
                    kwargs[key] = value.lower()
                else:
                    kwargs[key] = value
            except ValueError as exc:
                if "invalid literal" in str(exc) or "could not convert" in str(exc):
                    raise ValueError(f"camera simulator option {key} must be a number, "
                                     f"not {value!r}") from exc
                raise
        return cls(**kwargs)


def _boolean(key: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ValueError(f"camera simulator option {key} is true or false, not {value!r}")


# --------------------------------------------------------------------------- ground truth

Point = tuple[float, float]


@dataclass(frozen=True)
class DocTruth:
    """Where a document is in one frame (module docstring)."""

    kind: str
    """``id_card_front``, ``id_card_back``, ``a4_form``, ``booklet`` or ``qr_page``."""
    corners: tuple[Point, Point, Point, Point]
    """TL, TR, BR, BL of the document as printed, in frame pixels."""
    settled: bool
    """The document has not moved since the previous frame."""
    held: bool
    """A hand lies over one of its edges."""
    still_frames: int = 0
    """Consecutive frames, this one included, in which the document has not moved."""

    def as_array(self) -> np.ndarray:
        return np.array(self.corners, np.float32)

    def frame_ordered(self) -> tuple[Point, Point, Point, Point]:
        """The corners as a detector orders them: clockwise in the image, starting with the
        one nearest the frame's top-left (for comparing with a detected quad)."""
        pts = self.as_array()
        centre = pts.mean(axis=0)
        angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
        ordered = pts[np.argsort(angles)]  # y grows downwards: ascending angle is clockwise
        start = int(np.argmin(ordered.sum(axis=1)))
        ordered = np.roll(ordered, -start, axis=0)
        return tuple((float(x), float(y)) for x, y in ordered)  # type: ignore[return-value]


# --------------------------------------------------------------------------- the scene

SENSOR = (3264, 2448)
# the near edge's width and the depth of the view; the far edge is 20 mm wider (keystone).
# 322.5 = 430 × 3/4: the middle of the view, 430 mm wide, has square pixels on the 4:3 sensor
FOV_MM = (420.0, 322.5)
DOC_MM: dict[str, tuple[float, float]] = {
    "id_card_front": (85.6, 54.0), "id_card_back": (85.6, 54.0),
    "a4_form": (210.0, 297.0), "booklet": (210.0, 145.0), "qr_page": (148.0, 210.0),
}
CARD_RADIUS_MM = 3.18  # ISO/IEC 7810 ID-1
# contact shadow per kind: (offset towards the user in mm, darkening 0-1)
SHADOW: dict[str, tuple[float, float]] = {
    "id_card_front": (1.0, 0.35), "id_card_back": (1.0, 0.35), "booklet": (1.4, 0.4),
    "paper": (0.6, 0.25),
}
QR_MM = 34.0
HAND_RETREAT_MM = 90.0  # how far the hand is drawn back when not engaged
THUMB_OVER_MM = 12.0  # how far the thumb reaches over the document's edge


@dataclass(frozen=True)
class Pose:
    """A document's centre on the desk (mm) and its rotation (degrees, clockwise on the
    image)."""

    x: float
    y: float
    angle: float


def _desk_to_sensor() -> np.ndarray:
    """The tilted camera: desk mm → sensor pixels. The far (upper) edge of the view is
    wider than the near one by 20 mm and the view is turned by 0.6°."""
    w, h = FOV_MM
    keystone = 10.0
    desk = np.array([(-keystone, 0.0), (w + keystone, 0.0), (w, h), (0.0, h)])
    turn = math.radians(0.6)
    centre = np.array([w / 2, h / 2])
    rot = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    desk = (desk - centre) @ rot.T + centre
    sensor = np.array([(0, 0), (SENSOR[0], 0), SENSOR, (0, SENSOR[1])], np.float64)
    return cv2.getPerspectiveTransform(desk.astype(np.float32), sensor.astype(np.float32))


_H_SENSOR = _desk_to_sensor()


def mode_homography(width: int, height: int) -> np.ndarray:
    """Desk mm → frame pixels of a mode: the sensor's centre band of the mode's aspect ratio,
    scaled to the mode's size."""
    sw, sh = SENSOR
    if width / height >= sw / sh:
        crop_w, crop_h = sw, sw * height / width
    else:
        crop_w, crop_h = sh * width / height, sh
    x0, y0 = (sw - crop_w) / 2, (sh - crop_h) / 2
    scale = width / crop_w
    crop = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale], [0, 0, 1]])
    return crop @ _H_SENSOR


def _doc_to_desk(kind: str, pose: Pose) -> np.ndarray:
    w, h = DOC_MM[kind]
    a = math.radians(pose.angle)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, pose.x - c * w / 2 + s * h / 2],
                     [s, c, pose.y - s * w / 2 - c * h / 2],
                     [0, 0, 1]])


def _apply(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float64).reshape(-1, 2)
    ones = np.ones((len(pts), 1))
    out = np.hstack([pts, ones]) @ h.T
    return out[:, :2] / out[:, 2:3]


def _corners_mm(kind: str) -> np.ndarray:
    w, h = DOC_MM[kind]
    return np.array([(0, 0), (w, 0), (w, h), (0, h)], np.float64)


# --------------------------------------------------------------------------- scripts


@dataclass
class _Track:
    """One document's life on the desk: a pose and a hand engagement (0: no hand; 1: thumb
    fully over the edge) per frame from ``start``."""

    kind: str
    start: int
    poses: list[Pose]
    engage: list[float]

    @property
    def end(self) -> int:
        return self.start + len(self.poses)

    def __post_init__(self) -> None:
        # frames without movement up to each frame; appearing counts as a movement
        self.still: list[int] = []
        for i, pose in enumerate(self.poses):
            moved = i == 0 or self.poses[i - 1] != pose
            self.still.append(0 if moved else self.still[-1] + 1)


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


class _Builder:
    def __init__(self, kind: str, start: int, pose: Pose, engage: float = 1.0):
        self.kind, self.start = kind, start
        self.pose, self.e = pose, engage
        self.poses: list[Pose] = []
        self.engage: list[float] = []

    def move(self, frames: int, to: Pose, engage: float | None = None) -> _Builder:
        start_pose, start_e = self.pose, self.e
        end_e = start_e if engage is None else engage
        for i in range(1, frames):
            t = _ease(i / frames)
            self.poses.append(Pose(round(start_pose.x + (to.x - start_pose.x) * t, 4),
                                   round(start_pose.y + (to.y - start_pose.y) * t, 4),
                                   round(start_pose.angle + (to.angle - start_pose.angle) * t, 4)))
            self.engage.append(start_e + (end_e - start_e) * t)
        self.poses.append(to)  # exactly the target, so the still frames that follow match it
        self.engage.append(end_e)
        self.pose, self.e = to, end_e
        return self

    def still(self, frames: int) -> _Builder:
        self.poses += [self.pose] * frames
        self.engage += [self.e] * frames
        return self

    def hand(self, frames: int, engage: float) -> _Builder:
        start_e = self.e
        for i in range(1, frames + 1):
            self.poses.append(self.pose)
            self.engage.append(start_e + (engage - start_e) * (i / frames))
        self.e = engage
        return self

    def track(self) -> _Track:
        return _Track(self.kind, self.start, self.poses, self.engage)


def _offscreen(kind: str, target: Pose, side: str = "bottom") -> Pose:
    reach = max(DOC_MM[kind]) / 2 + 60.0
    if side == "right":
        return Pose(FOV_MM[0] + reach, target.y + 20, target.angle - 12)
    return Pose(target.x + 25, FOV_MM[1] + reach, target.angle + 14)


def _place(builder: _Builder, target: Pose, settle: int, *, held_still: int = 0,
           hold_again: int = 0, leave: str = "bottom") -> _Builder:
    """Bring a document in with the hand, nudge it into place, let go, let it lie, take it
    away. ``held_still``: frames it lies still with the thumb still on it before the hand
    lets go; ``hold_again``: frames the hand comes back and holds it still (moving a little)
    in the middle of the settled time."""
    kind = builder.kind
    near = Pose(target.x + 14, target.y + 26, target.angle + 7)
    builder.move(14, near).move(8, target).still(3 + held_still).hand(6, 0.0)
    if hold_again:
        builder.still(settle // 2).hand(5, 1.0).still(hold_again).hand(5, 0.0)
        builder.still(settle - settle // 2)
    else:
        builder.still(settle)
    builder.hand(5, 1.0).move(14, _offscreen(kind, target, leave))
    return builder


def build_script(name: str, settle: int, seed: int) -> tuple[list[_Track], int]:
    """The documents of a script and its length in frames."""
    rng = np.random.default_rng([seed, 7])

    def jitter(pose: Pose, mm: float = 8.0, degrees: float = 3.0) -> Pose:
        return Pose(pose.x + float(rng.uniform(-mm, mm)), pose.y + float(rng.uniform(-mm, mm)),
                    pose.angle + float(rng.uniform(-degrees, degrees)))

    def new(kind: str, start: int, target: Pose) -> _Builder:
        return _Builder(kind, start, _offscreen(kind, target))

    cx, cy = FOV_MM[0] / 2, FOV_MM[1] / 2
    tracks: list[_Track] = []
    if name == "idcard":
        front = jitter(Pose(cx - 10, cy, -6.0), 20, 6)
        t1 = _place(new("id_card_front", 4, front), front, settle).track()
        back = jitter(Pose(cx + 15, cy + 5, 174.0), 20, 6)  # laid upside down
        t2 = _place(new("id_card_back", t1.end + 6, back), back, settle,
                    held_still=settle // 2, leave="right").track()
        tracks = [t1, t2]
    elif name == "a4":
        # a portrait form laid landscape; little jitter: 1080p sees only 242 mm of 322
        page = jitter(Pose(cx, cy, 90.0), 4, 1.0)
        tracks = [_place(new("a4_form", 4, page), page, settle, hold_again=10).track()]
    elif name == "booklet":
        spread = jitter(Pose(cx, cy, 0.0), 12, 3)
        tracks = [_place(new("booklet", 4, spread), spread, settle,
                         held_still=settle).track()]
    elif name == "qr":
        page = jitter(Pose(cx, cy, 0.0), 6, 3)
        tracks = [_place(new("qr_page", 4, page), page, settle).track()]
    elif name == "mixed":
        left = jitter(Pose(82.0, cy - 10, -9.0), 6, 3)
        right = jitter(Pose(FOV_MM[0] - 80, cy + 15, 7.0), 6, 3)
        centre = jitter(Pose(cx, cy, 1.5), 5, 1.5)
        b1 = _Builder("id_card_front", 4, _offscreen("id_card_front", left))
        b2 = _Builder("id_card_back", 16, _offscreen("id_card_back", right))
        b3 = _Builder("qr_page", 40, _offscreen("qr_page", centre))
        for builder, target in ((b1, left), (b2, right), (b3, centre)):
            near = Pose(target.x + 14, target.y + 26, target.angle + 7)
            builder.move(14, near).move(8, target).still(3).hand(6, 0.0)
        # all three lie still together for settle_frames, then go in the order they came
        b3.still(settle)
        together = b3.start + len(b3.poses)
        for builder in (b1, b2):
            builder.still(together - builder.start - len(builder.poses))
        b3.hand(5, 1.0).move(14, _offscreen("qr_page", centre))
        b1.still(6).hand(5, 1.0).move(14, _offscreen("id_card_front", left))
        b2.still(20).hand(5, 1.0).move(14, _offscreen("id_card_back", right, "right"))
        tracks = [b1.track(), b2.track(), b3.track()]
    elif name != "empty":
        raise ValueError(f"unknown script {name!r}")
    length = max((t.end for t in tracks), default=0) + 10
    return tracks, max(length, 30)


# --------------------------------------------------------------------------- textures

INK = (40, 40, 40)
LABEL_BLUE = (150, 115, 70)
RED = (45, 40, 200)


class _Canvas:
    """Drawing in millimetres on a texture of ``p`` pixels per millimetre."""

    def __init__(self, w_mm: float, h_mm: float, p: float, colour: tuple[int, int, int]):
        self.p = p
        self.img = np.empty((max(2, round(h_mm * p)), max(2, round(w_mm * p)), 3), np.uint8)
        self.img[:] = colour

    def px(self, mm: float) -> int:
        return round(mm * self.p)

    def bar(self, x: float, y: float, w: float, h: float, colour: tuple[int, int, int]) -> None:
        cv2.rectangle(self.img, (self.px(x), self.px(y)), (self.px(x + w), self.px(y + h)),
                      colour, -1, cv2.LINE_AA)

    def line(self, x0: float, y0: float, x1: float, y1: float, colour: tuple[int, int, int],
             mm: float = 0.3) -> None:
        cv2.line(self.img, (self.px(x0), self.px(y0)), (self.px(x1), self.px(y1)), colour,
                 max(1, self.px(mm)), cv2.LINE_AA)

    def text(self, x: float, y: float, text: str, height_mm: float,
             colour: tuple[int, int, int]) -> None:
        scale = height_mm * self.p / 22.0  # Hershey simplex capitals are ~22 px at scale 1
        cv2.putText(self.img, text, (self.px(x), self.px(y)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    colour, max(1, round(scale * 2)), cv2.LINE_AA)

    def circle(self, x: float, y: float, r: float, colour: tuple[int, int, int],
               mm: float = -1) -> None:
        thickness = -1 if mm < 0 else max(1, self.px(mm))
        cv2.circle(self.img, (self.px(x), self.px(y)), self.px(r), colour, thickness, cv2.LINE_AA)

    def star(self, x: float, y: float, r: float, colour: tuple[int, int, int]) -> None:
        pts = []
        for i in range(10):
            radius = r if i % 2 == 0 else r * 0.4
            a = -math.pi / 2 + i * math.pi / 5
            pts.append((self.px(x + radius * math.cos(a)), self.px(y + radius * math.sin(a))))
        cv2.fillPoly(self.img, [np.array(pts, np.int32)], colour, cv2.LINE_AA)

    def waves(self, colour: tuple[int, int, int], rng: np.random.Generator, count: int) -> None:
        h, w = self.img.shape[:2]
        xs = np.arange(0, w, max(1, w // 200))
        for _ in range(count):
            y0, amp = rng.uniform(0, h), rng.uniform(0.05, 0.15) * h
            period, phase = rng.uniform(0.3, 0.8) * w, rng.uniform(0, 2 * math.pi)
            ys = y0 + amp * np.sin(xs / period * 2 * math.pi + phase)
            pts = np.stack([xs, ys], axis=1).astype(np.int32)
            cv2.polylines(self.img, [pts], False, colour, 1, cv2.LINE_AA)

    def text_lines(self, rng: np.random.Generator, x: float, y: float, w: float, rows: int,
                   pitch: float, colour: tuple[int, int, int] = INK, h: float = 2.6) -> None:
        for i in range(rows):
            self.bar(x, y + i * pitch, w * float(rng.uniform(0.55, 1.0)), h, colour)

    def seal(self, x: float, y: float, r: float, rng: np.random.Generator) -> None:
        """A red official seal (公章), blended like ink over what is printed below."""
        mask = np.zeros(self.img.shape[:2], np.uint8)
        cv2.circle(mask, (self.px(x), self.px(y)), self.px(r), 255, max(1, self.px(r * 0.06)),
                   cv2.LINE_AA)
        pts = []
        for i in range(10):
            radius = r * 0.3 if i % 2 == 0 else r * 0.12
            a = -math.pi / 2 + i * math.pi / 5
            pts.append((self.px(x + radius * math.cos(a)), self.px(y + radius * math.sin(a))))
        cv2.fillPoly(mask, [np.array(pts, np.int32)], 255, cv2.LINE_AA)
        for i in range(12):  # the ring of characters, as small blocks along the arc
            a = math.radians(-210 + i * 20)
            cx, cy = x + r * 0.72 * math.cos(a), y + r * 0.72 * math.sin(a)
            size = r * 0.09
            cv2.rectangle(mask, (self.px(cx - size), self.px(cy - size)),
                          (self.px(cx + size), self.px(cy + size)), 255, -1, cv2.LINE_AA)
        cv2.rectangle(mask, (self.px(x - r * 0.45), self.px(y + r * 0.45)),
                      (self.px(x + r * 0.45), self.px(y + r * 0.58)), 255, -1, cv2.LINE_AA)
        strength = float(rng.uniform(0.75, 0.95))  # seals are never inked evenly
        alpha = (mask.astype(np.float32) / 255.0 * strength)[..., None]
        red = np.array(RED, np.float32) / 255.0
        blended = self.img.astype(np.float32) * (1 - alpha + alpha * red)
        self.img = blended.clip(0, 255).astype(np.uint8)


def _id_front(p: float, rng: np.random.Generator) -> np.ndarray:
    c = _Canvas(*DOC_MM["id_card_front"], p, (232, 230, 226))
    c.waves((214, 206, 196), rng, 14)
    c.bar(6, 8.5, 6.5, 2.2, LABEL_BLUE)  # 姓名
    c.bar(15, 7.8, 17, 3.4, INK)
    c.bar(6, 15, 6.5, 2.2, LABEL_BLUE)  # 性别
    c.bar(15, 14.5, 3.2, 3.0, INK)
    c.bar(26, 15, 6.5, 2.2, LABEL_BLUE)  # 民族
    c.bar(35, 14.5, 3.2, 3.0, INK)
    c.bar(6, 21.5, 6.5, 2.2, LABEL_BLUE)  # 出生
    c.bar(15, 21, 30, 3.0, INK)
    c.bar(6, 28, 6.5, 2.2, LABEL_BLUE)  # 住址
    c.text_lines(rng, 15, 27.5, 36, 3, 4.6, h=3.0)
    c.bar(55, 6, 25, 33, (208, 202, 196))  # portrait
    cv2.ellipse(c.img, (c.px(67.5), c.px(19)), (c.px(6.2), c.px(8)), 0, 0, 360, (92, 92, 98),
                -1, cv2.LINE_AA)
    cv2.ellipse(c.img, (c.px(67.5), c.px(39)), (c.px(11), c.px(10)), 0, 180, 360, (70, 78, 90),
                -1, cv2.LINE_AA)
    c.bar(55, 39, 25, 2, (232, 230, 226))
    c.bar(6, 46, 15, 2.2, LABEL_BLUE)  # 公民身份号码
    c.text(25, 49, "11010519491231002X", 3.0, (30, 30, 30))
    return c.img


def _id_back(p: float, rng: np.random.Generator) -> np.ndarray:
    c = _Canvas(*DOC_MM["id_card_back"], p, (226, 234, 228))
    c.waves((200, 218, 206), rng, 16)
    c.circle(14, 14, 8.5, RED)
    c.star(14, 13, 4.0, (40, 200, 240))
    c.circle(14, 14, 8.5, (40, 180, 230), 0.5)
    c.bar(29, 9, 47, 5, (35, 35, 35))  # 中华人民共和国
    c.bar(33, 19, 39, 7.5, (30, 30, 30))  # 居民身份证
    c.bar(15, 38, 11, 2.2, (60, 60, 60))  # 签发机关
    c.bar(30, 37.5, 28, 3.0, INK)
    c.bar(15, 45, 11, 2.2, (60, 60, 60))  # 有效期限
    c.text(30, 48.2, "2016.03.01-2036.03.01", 2.8, (30, 30, 30))
    return c.img


def _a4(p: float, rng: np.random.Generator) -> np.ndarray:
    c = _Canvas(*DOC_MM["a4_form"], p, (246, 246, 243))
    c.bar(55, 18, 100, 8, (35, 35, 35))  # title
    c.bar(75, 30, 60, 3, (95, 95, 95))
    top, bottom, rows = 45.0, 215.0, 17
    for i in range(rows + 1):
        y = top + i * (bottom - top) / rows
        c.line(18, y, 192, y, (60, 60, 60))
    for x in (18, 60, 120, 145, 192):
        c.line(x, top, x, bottom, (60, 60, 60))
    for i in range(rows):
        y = top + i * (bottom - top) / rows + 3.5
        c.bar(21, y, float(rng.uniform(14, 34)), 2.8, INK)
        c.bar(63, y, float(rng.uniform(10, 50)), 2.8, INK)
        c.bar(123, y, float(rng.uniform(8, 18)), 2.8, INK)
        c.bar(148, y, float(rng.uniform(10, 38)), 2.8, INK)
    c.text_lines(rng, 18, 224, 174, 5, 6.0)
    c.bar(18, 268, 24, 3, INK)  # 申请人签字
    c.line(45, 272, 100, 272, INK)
    c.bar(120, 268, 14, 3, INK)  # 日期
    c.line(137, 272, 190, 272, INK)
    c.bar(95, 285, 20, 2.5, (120, 120, 120))  # page number
    c.seal(150, 250, 21, rng)
    return c.img


def _booklet(p: float, rng: np.random.Generator) -> np.ndarray:
    c = _Canvas(*DOC_MM["booklet"], p, (222, 234, 220))
    half = c.px(105)
    c.img[:, half:] = (226, 222, 240)
    ink_red, table = (40, 40, 150), (120, 110, 170)
    c.bar(24, 9, 58, 7, ink_red)  # 常住人口登记卡
    for page_x in (8.0, 113.0):
        for i in range(11):
            y = 24 + i * 10.5
            c.line(page_x, y, page_x + 89, y, table)
        for x in (page_x, page_x + 22, page_x + 55, page_x + 89):
            c.line(x, 24, x, 129, table, 0.25)
        for i in range(10):
            y = 27.5 + i * 10.5
            c.bar(page_x + 3, y, 15, 2.6, (80, 70, 120))
            c.bar(page_x + 25, y, float(rng.uniform(12, 28)), 3.0, INK)
            c.bar(page_x + 58, y, float(rng.uniform(10, 26)), 3.0, INK)
    c.bar(128, 10, 60, 5, (60, 60, 60))
    c.seal(180, 118, 12, rng)
    # the fold: pages curve down into the spine, so it is darker
    xs = np.arange(c.img.shape[1], dtype=np.float32) / p - 105.0
    shade = 1.0 - 0.28 * np.exp(-(xs / 3.0) ** 2)
    c.img = (c.img.astype(np.float32) * shade[None, :, None]).astype(np.uint8)
    return c.img


def qr_matrix(text: str) -> np.ndarray:
    """The QR code's modules (True: dark), with its 4-module quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(text)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def _qr_page(p: float, rng: np.random.Generator, text: str) -> np.ndarray:
    c = _Canvas(*DOC_MM["qr_page"], p, (247, 247, 247))
    c.bar(14, 14, 120, 8, (40, 40, 40))
    c.text_lines(rng, 14, 32, 120, 8, 6.0)
    size = c.px(QR_MM)
    modules = np.where(qr_matrix(text), 0, 255).astype(np.uint8)
    code = cv2.resize(modules, (size, size), interpolation=cv2.INTER_NEAREST)
    x0, y0 = c.px(74 - QR_MM / 2), c.px(88)
    c.img[y0 : y0 + size, x0 : x0 + size] = code[..., None]
    c.text_lines(rng, 30, 88 + QR_MM + 6, 88, 2, 6.0, (90, 90, 90))
    c.text_lines(rng, 14, 150, 120, 6, 6.5)
    c.bar(60, 196, 28, 2.5, (120, 120, 120))
    return c.img


def _outline_mm(kind: str) -> np.ndarray:
    """The document's outline in its own mm: a rectangle, with rounded corners for cards."""
    w, h = DOC_MM[kind]
    if not kind.startswith("id_card"):
        return _corners_mm(kind)
    r = CARD_RADIUS_MM
    pts = []
    for cx, cy, start in ((w - r, r, -90), (w - r, h - r, 0), (r, h - r, 90), (r, r, 180)):
        for step in range(9):
            a = math.radians(start + step * 90 / 8)
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return np.array(pts)


# --------------------------------------------------------------------------- desk and hand


def _low_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    h, w = shape
    small = rng.standard_normal((h // cell + 2, w // cell + 2)).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _desk_texture(desk: str, p: float, extent: tuple[float, float, float, float],
                  rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = extent
    shape = (round((y1 - y0) * p), round((x1 - x0) * p))
    low = _low_noise(rng, shape, max(8, round(40 * p)))
    fine = _low_noise(rng, shape, 2)
    if desk == "dark":
        value = 52 + 4 * low + 2 * fine
        colour = np.array([1.0, 1.0, 1.08], np.float32)
    elif desk == "light":
        value = 219 + 4 * low + 1.5 * fine
        colour = np.array([0.99, 1.0, 1.01], np.float32)
    else:  # wood: grain lines along x, bent by low-frequency noise, plus a darker knot
        ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32) / p
        bend = 5.0 * _low_noise(rng, shape, max(8, round(140 * p)))
        grain = np.sin((ys + bend + 0.015 * xs) * (2 * math.pi / 3.2))
        grain = np.sign(grain) * np.abs(grain) ** 3  # thin dark lines, not a sine wave
        streak = np.sin((ys + 0.6 * bend) * (2 * math.pi / 17.0))
        value = 112 + 10 * grain + 10 * streak + 8 * low + 5 * fine
        kx, ky = float(rng.uniform(40, 380)), float(rng.uniform(40, 280))
        knot = np.exp(-(((xs + x0 - kx) / 18) ** 2 + ((ys + y0 - ky) / 7) ** 2))
        value -= 40 * knot
        seam = float(rng.uniform(30, 60))  # the joint between two boards: a straight line
        value -= 45 * np.exp(-(((ys + y0 - seam) / 0.5) ** 2))
        colour = np.array([0.58, 0.86, 1.18], np.float32)
    return np.clip(value[..., None] * colour, 0, 255).astype(np.uint8)


def _capsule(a: np.ndarray, b: np.ndarray, radius: float) -> np.ndarray:
    d = b - a
    length = float(np.hypot(*d)) or 1.0
    u = d / length
    n = np.array([-u[1], u[0]])
    pts = []
    for end, sign in ((b, 1.0), (a, -1.0)):
        for step in range(13):
            t = math.pi * step / 12 - math.pi / 2
            pts.append(end + radius * (sign * u * math.cos(t) + n * math.sin(t) * sign))
    return np.array(pts)


def _ellipse(centre: np.ndarray, u: np.ndarray, n: np.ndarray, ru: float,
             rn: float) -> np.ndarray:
    return np.array([centre + u * ru * math.cos(t) + n * rn * math.sin(t)
                     for t in np.linspace(0, 2 * math.pi, 32, endpoint=False)])


SKIN = ((118, 148, 196), (128, 160, 210), (136, 168, 218), (142, 176, 226))
SKIN_EDGE = (86, 108, 150)


def hand_shapes(kind: str, pose: Pose, engage: float, frame_index: int) -> list[np.ndarray]:
    """Arm, palm and thumb outlines (desk mm) of a hand holding a document at the edge
    nearest the user (largest desk y), drawn back by (1 − engage) × 90 mm. The fingers are
    under the document, out of sight; the thumb lies on it."""
    corners = _apply(_doc_to_desk(kind, pose), _corners_mm(kind))
    edges = [(corners[i], corners[(i + 1) % 4]) for i in range(4)]
    a, b = max(edges, key=lambda e: (e[0][1] + e[1][1]))
    centre = corners.mean(axis=0)
    u = (b - a) / (float(np.hypot(*(b - a))) or 1.0)
    n = np.array([-u[1], u[0]])
    if np.dot(n, (a + b) / 2 - centre) < 0:
        n = -n
    anchor = a + (b - a) * 0.4
    wobble = np.array([1.2 * math.sin(0.9 * frame_index), 0.8 * math.cos(0.6 * frame_index)])
    anchor = anchor + n * (1.0 - engage) * HAND_RETREAT_MM + wobble
    tilt = n * math.cos(math.radians(20)) + u * math.sin(math.radians(20))
    return [
        _capsule(anchor + n * 110, anchor + n * 520, 38.0),  # arm, off the view
        _ellipse(anchor + n * 50 - u * 4, u, n, 42.0, 46.0),  # back of the hand
        _capsule(anchor + tilt * 16, anchor - tilt * (THUMB_OVER_MM - 8.0), 8.0),  # thumb
    ]


# --------------------------------------------------------------------------- the camera


@dataclass
class _ModeCache:
    h: np.ndarray  # desk mm -> frame px
    desk: np.ndarray  # lit, blurred desk in frame pixels
    shade: np.ndarray  # lighting, one channel, uint8 (255 = full)
    noise: np.ndarray | None  # uint8, mean at `noise_bias`, a little larger than the frame
    noise_bias: int
    px_per_mm: float
    blur: float


class SyntheticCamera:
    """A document camera that renders its frames (module docstring). Thread-safe for one
    reader plus control calls (:meth:`seek`, :meth:`unplug`, :meth:`replug`) from others.

    :param clock: monotonic seconds (pacing, replug timing, frame timestamps).
    """

    def __init__(self, config: SyntheticCameraConfig | None = None, *,
                 clock: Callable[[], float] = time.monotonic):
        self.config = config or SyntheticCameraConfig()
        self.name = "sim://camera"
        self._clock = clock
        self._lock = threading.Lock()
        self._tracks, self.length = build_script(self.config.script, self.config.settle_frames,
                                                 self.config.seed)
        self._textures: dict[tuple[str, float], np.ndarray] = {}
        self.mode: Mode | None = None
        self._next_index = 0
        self._opened_at = 0.0
        self._opened_index = 0
        self._since_open = 0
        self.delivered = 0
        """Frames delivered since the camera was made or last replugged."""
        self.unplugged_at: float | None = None

    # -- FrameSource

    def modes(self) -> list[Mode]:
        self._check_plugged()
        fps = self.config.fps
        largest = SIZES[self.config.size]
        sizes = [largest] if largest == SIZES["1080p"] else [SIZES["8mp"], SIZES["1080p"]]
        return [Mode(w, h, MJPG, fps) for w, h in sizes]

    def open(self, mode: Mode | None = None) -> None:
        """Start (or switch) streaming; ``None``: the largest mode."""
        modes = self.modes()
        mode = mode or modes[0]
        if mode not in modes:
            raise TransportError(f"{self.name}: the camera does not offer {mode}")
        with self._lock:
            self.mode = mode
            self._opened_at = self._clock()
            self._opened_index = self._next_index
            self._since_open = 0

    def read(self, timeout_s: float) -> Frame:
        with self._lock:
            mode = self.mode
        if mode is None:
            raise TransportError(f"{self.name}: the camera is not open")
        self._check_plugged()
        config = self.config
        stall = config.stall_after is not None and self._since_open >= config.stall_after
        if stall:
            time.sleep(max(0.0, timeout_s))
            self._check_plugged()
            raise TransportTimeout(f"{self.name}: no picture within {timeout_s:g} s; the camera "
                                   "stopped sending frames")
        index = self._next_frame_index(timeout_s)
        image, truths = self.render(index, mode)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if not ok:  # pragma: no cover
            raise TransportError(f"{self.name}: JPEG encoding failed")
        with self._lock:
            self._next_index = index + 1
            self._since_open += 1
            self.delivered += 1
        return Frame(index, self._clock(), jpeg=encoded.tobytes(), mode=mode, truth=truths)

    def close(self) -> None:
        with self._lock:
            self.mode = None

    # -- controls

    def seek(self, index: int) -> None:
        """Make ``index`` the next frame read (realtime pacing restarts from there)."""
        with self._lock:
            self._next_index = self._opened_index = max(0, index)
            self._opened_at = self._clock()

    def unplug(self) -> None:
        with self._lock:
            self.unplugged_at = self._clock()
            self.mode = None

    def replug(self) -> None:
        with self._lock:
            self.unplugged_at = None
            self.delivered = 0

    @property
    def unplugged(self) -> bool:
        with self._lock:
            return self._is_unplugged()

    def _is_unplugged(self) -> bool:
        config = self.config
        if self.unplugged_at is None and config.unplug_after is not None \
                and self.delivered >= config.unplug_after:
            self.unplugged_at = self._clock()
            self.mode = None
        if self.unplugged_at is not None and config.replug_after_s is not None \
                and self._clock() - self.unplugged_at >= config.replug_after_s:
            self.unplugged_at = None
            self.delivered = 0
        return self.unplugged_at is not None

    def _check_plugged(self) -> None:
        with self._lock:
            if self._is_unplugged():
                raise TransportError(f"{self.name}: the camera was unplugged (no such device)")

    def _next_frame_index(self, timeout_s: float) -> int:
        with self._lock:
            index = self._next_index
            if not self.config.realtime:
                return index
            period = 1.0 / self.config.fps
            now = self._clock()
            # a real camera keeps exposing while nobody reads: the scene moves on
            due_index = self._opened_index + int((now - self._opened_at) / period)
            index = max(index, due_index)
            due = self._opened_at + (index - self._opened_index) * period
        wait = due - now
        if wait > timeout_s:  # cannot happen at fps >= 1 with sane timeouts, but never hang
            time.sleep(max(0.0, timeout_s))
            raise TransportTimeout(f"{self.name}: no picture within {timeout_s:g} s")
        if wait > 0:
            time.sleep(wait)
        return index

    # -- the scene

    def _script_index(self, index: int) -> int:
        if self.config.loop and self.length:
            return index % self.length
        return index

    def _states(self, index: int) -> list[tuple[_Track, int]]:
        f = self._script_index(index)
        return [(t, f - t.start) for t in self._tracks if t.start <= f < t.end]

    def truth_at(self, index: int, mode: Mode | None = None) -> list[DocTruth]:
        """The ground truth of frame ``index`` in ``mode`` (default: the current or largest
        mode), without rendering."""
        mode = mode or self.mode or self.modes()[0]
        h = mode_homography(mode.width, mode.height)
        return [t for t in (self._truth(track, i, h, mode) for track, i in self._states(index))
                if t is not None]

    def _truth(self, track: _Track, i: int, h: np.ndarray, mode: Mode) -> DocTruth | None:
        pose = track.poses[i]
        corners = _apply(h @ _doc_to_desk(track.kind, pose), _corners_mm(track.kind))
        if not _overlaps(corners, mode.width, mode.height):
            return None
        engage = track.engage[i]
        held = THUMB_OVER_MM - (1.0 - engage) * HAND_RETREAT_MM > 0
        return DocTruth(track.kind, tuple((float(x), float(y)) for x, y in corners),  # type: ignore[arg-type]
                        settled=i > 0 and track.poses[i - 1] == pose, held=held,
                        still_frames=track.still[i])

    def render(self, index: int, mode: Mode | None = None) -> tuple[np.ndarray, list[DocTruth]]:
        """Frame ``index`` in ``mode`` as a BGR image, with its ground truth."""
        mode = mode or self.mode or self.modes()[0]
        cache = self._cache(mode)
        frame = cache.desk.copy()
        height, width = frame.shape[:2]
        dirty: list[tuple[int, int, int, int]] = []
        hands: list[np.ndarray] = []
        for track, i in self._states(index):
            pose = track.poses[i]
            to_frame = cache.h @ _doc_to_desk(track.kind, pose)
            box = self._paste(frame, cache, track.kind, to_frame)
            if box:
                dirty.append(box)
            if track.engage[i] > 0:
                shapes = hand_shapes(track.kind, pose, track.engage[i], index)
                hands.extend(_apply(cache.h, s) for s in shapes)
        if hands:
            dirty.append(self._draw_hands(frame, hands, cache.px_per_mm))
        if dirty and cache.blur > 0:
            x0 = max(0, min(b[0] for b in dirty) - 4)
            y0 = max(0, min(b[1] for b in dirty) - 4)
            x1 = min(width, max(b[2] for b in dirty) + 4)
            y1 = min(height, max(b[3] for b in dirty) + 4)
            if x1 > x0 and y1 > y0:
                frame[y0:y1, x0:x1] = cv2.GaussianBlur(frame[y0:y1, x0:x1], (0, 0), cache.blur)
        if cache.noise is not None:
            rng = np.random.default_rng([self.config.seed, index, 3])
            dy, dx = (int(v) for v in rng.integers(0, 16, 2))
            cv2.add(frame, cache.noise[dy : dy + height, dx : dx + width], dst=frame)
            bias = cache.noise_bias
            cv2.subtract(frame, (bias, bias, bias, 0), dst=frame)
        truths = [t for t in (self._truth(track, i, cache.h, mode)
                              for track, i in self._states(index)) if t is not None]
        return frame, truths

    def _paste(self, frame: np.ndarray, cache: _ModeCache, kind: str,
               to_frame: np.ndarray) -> tuple[int, int, int, int] | None:
        height, width = frame.shape[:2]
        outline = _apply(to_frame, _outline_mm(kind))
        x0 = max(0, math.floor(outline[:, 0].min()) - 2)
        y0 = max(0, math.floor(outline[:, 1].min()) - 2)
        x1 = min(width, math.ceil(outline[:, 0].max()) + 2)
        y1 = min(height, math.ceil(outline[:, 1].max()) + 2)
        if x1 <= x0 or y1 <= y0:
            return None
        p = cache.px_per_mm
        self._shadow(frame, outline, kind, p, cache.blur)
        texture = self._texture(kind, p)
        from_texture = np.diag([1 / p, 1 / p, 1.0])
        shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
        warp = shift @ to_frame @ from_texture
        patch = cv2.warpPerspective(texture, warp, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)
        shade = cv2.cvtColor(cache.shade[y0:y1, x0:x1], cv2.COLOR_GRAY2BGR)
        patch = cv2.multiply(patch, shade, scale=1 / 255.0)
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        pts = np.round((outline - (x0, y0)) * 16).astype(np.int32)  # 4 fractional bits
        cv2.fillPoly(mask, [pts], 255, cv2.LINE_8, shift=4)
        cv2.copyTo(patch, mask, frame[y0:y1, x0:x1])  # writes into the frame's view
        return x0, y0, x1, y1

    @staticmethod
    def _shadow(frame: np.ndarray, outline: np.ndarray, kind: str, p: float,
                blur: float) -> None:
        """The soft contact shadow a document casts under the camera's LED (which sits above
        the far edge): a few tenths of a millimetre to a millimetre towards the user, darker
        for thicker documents. Only its rim outside the document stays visible."""
        offset_mm, strength = SHADOW.get(kind, SHADOW["paper"])
        sigma = max(0.8, 0.6 * p + blur)
        pad = int(3 * sigma) + 2
        height, width = frame.shape[:2]
        moved = outline + np.array([0.3 * offset_mm * p, offset_mm * p])
        x0 = max(0, int(moved[:, 0].min()) - pad)
        y0 = max(0, int(moved[:, 1].min()) - pad)
        x1 = min(width, int(moved[:, 0].max()) + pad)
        y1 = min(height, int(moved[:, 1].max()) + pad)
        if x1 <= x0 or y1 <= y0:
            return
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        pts = np.round((moved - (x0, y0)) * 16).astype(np.int32)
        cv2.fillPoly(mask, [pts], int(255 * strength), cv2.LINE_AA, shift=4)
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)
        keep = cv2.cvtColor(255 - mask, cv2.COLOR_GRAY2BGR)
        roi = frame[y0:y1, x0:x1]
        roi[:] = cv2.multiply(roi, keep, scale=1 / 255.0)

    def _draw_hands(self, frame: np.ndarray, shapes: list[np.ndarray],
                    px_per_mm: float) -> tuple[int, int, int, int]:
        edge = max(1, round(px_per_mm * 0.4))
        for k, shape in enumerate(shapes):
            pts = np.round(shape * 16).astype(np.int32)
            cv2.fillPoly(frame, [pts], SKIN[k % len(SKIN)], cv2.LINE_AA, shift=4)
            cv2.polylines(frame, [pts], True, SKIN_EDGE, edge, cv2.LINE_AA, shift=4)
        allpts = np.vstack(shapes)
        height, width = frame.shape[:2]
        return (max(0, int(allpts[:, 0].min())), max(0, int(allpts[:, 1].min())),
                min(width, int(allpts[:, 0].max()) + 1), min(height, int(allpts[:, 1].max()) + 1))

    def _texture(self, kind: str, p: float) -> np.ndarray:
        key = (kind, p)
        texture = self._textures.get(key)
        if texture is None:
            rng = np.random.default_rng([self.config.seed, sorted(DOC_MM).index(kind), 11])
            if kind == "id_card_front":
                texture = _id_front(p, rng)
            elif kind == "id_card_back":
                texture = _id_back(p, rng)
            elif kind == "a4_form":
                texture = _a4(p, rng)
            elif kind == "booklet":
                texture = _booklet(p, rng)
            else:
                texture = _qr_page(p, rng, self.config.qr_text)
            self._textures[key] = texture
        return texture

    def _cache(self, mode: Mode) -> _ModeCache:
        c = self.config
        return _mode_cache(c.desk, c.seed, c.noise, c.blur, mode.width, mode.height)


@functools.lru_cache(maxsize=3)
def _mode_cache(desk_kind: str, seed: int, noise_sigma: float, blur_sigma: float, width: int,
                height: int) -> _ModeCache:
    """Desk, lighting and noise of one mode: built once (0.7 s at 8 MP), shared read-only by
    every camera with the same settings."""
    h = mode_homography(width, height)
    # pixels per mm at the view's centre, rounded so textures are shared between calls
    centre = _apply(h, [(FOV_MM[0] / 2, FOV_MM[1] / 2), (FOV_MM[0] / 2 + 10, FOV_MM[1] / 2)])
    p = round(float(np.hypot(*(centre[1] - centre[0]))) / 10, 2)
    rng = np.random.default_rng([seed, 5])
    extent = (-60.0, -40.0, FOV_MM[0] + 60.0, FOV_MM[1] + 45.0)
    p_desk = min(p, 4.0)  # desks are smooth: a coarser texture, scaled up, is enough
    texture = _desk_texture(desk_kind, p_desk, extent, rng)
    to_frame = h @ np.array([[1 / p_desk, 0, extent[0]], [0, 1 / p_desk, extent[1]], [0, 0, 1]])
    desk = cv2.warpPerspective(texture, to_frame, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)
    ys, xs = np.ogrid[0:height, 0:width]
    r2 = ((xs / width - 0.5) ** 2 + (ys / height - 0.45) ** 2) / 0.5
    # LED light above the far edge: brighter at the top, falling off to the corners
    light = 1.0 - 0.16 * r2 - 0.05 * (ys / height)
    shade = (light * 255).clip(0, 255).astype(np.uint8)
    desk = cv2.multiply(desk, cv2.cvtColor(shade, cv2.COLOR_GRAY2BGR), scale=1 / 255.0)
    blur = blur_sigma * height / 1080.0
    if blur > 0:
        desk = cv2.GaussianBlur(desk, (0, 0), blur)
    noise = None
    bias = 0
    if noise_sigma > 0:
        bias = math.ceil(3 * noise_sigma)
        nrng = np.random.default_rng([seed, 9])
        values = nrng.standard_normal((height + 16, width + 16, 3), np.float32)
        values *= noise_sigma
        values += bias
        noise = np.clip(values, 0, 2 * bias).astype(np.uint8)
    for array in (desk, shade, noise):
        if array is not None:
            array.flags.writeable = False
    return _ModeCache(h, desk, shade, noise, bias, p, blur)


def _overlaps(corners: np.ndarray, width: int, height: int) -> bool:
    frame = np.array([(0, 0), (width, 0), (width, height), (0, height)], np.float32)
    area, _ = cv2.intersectConvexConvex(corners.astype(np.float32), frame)
    return area > 1.0
