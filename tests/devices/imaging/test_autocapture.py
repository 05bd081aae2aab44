"""Auto-capture (devices/imaging/autocapture.py): the state machine on hand-made frames, the
same-page measure on synthetic pages, and whole runs of the synthetic camera's scripts, first
with detections built from the ground truth, then with the real PageDetector.

Measurements behind the defaults (1080p synthetic camera, dark desk, seed 0; previews
480×270 as the detector makes them):

- motion_score on still frames: 0.25–0.55 grey levels (noise σ 2 at full size); a card or a
  hand moving: 9–145 (a card just entering the view at its edge: 0.6); a thumb wobbling on a
  held page: 0.5–8. Threshold 2.0.
- thumbnail_difference, both sightings' corners off by up to ±0.5 % of the frame height:
  the same page laid again elsewhere (the simulator's ID card front and back, A4 form, QR
  page, booklet; 4 placements × 12 corner errors each) 0.05–0.39, p95 0.33; the same design
  with other print (the simulator's seeds 1–4 against 0) 0.57–1.9, except the ID card back
  whose seeds differ only in the guilloche (0.06–0.2: the same page to 64×64 px); another
  kind of document 1.6–2.0. Threshold 0.47. On the hand-made pages below: same 0.05–0.15,
  different 0.8–1.7.
- The real detector on the idcard script (1080p, dark desk): corners off by 3.1 px median,
  4.2 px at most (0.39 % of the height); it misses frame 89 only (the back card sliding in
  under the hand).
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np
import pytest

from devices.imaging import geometry
from devices.imaging.autocapture import (
    AutoCapture,
    AutoCaptureConfig,
    Decision,
    Reason,
    State,
    motion_score,
    page_thumbnail,
    preview_grey,
    thumbnail_difference,
)
from devices.imaging.detect import Detection, PageDetector
from drivers.sim.synthetic_camera import SyntheticCamera, SyntheticCameraConfig

FULL = (1920, 1080)
SMALL = (480, 270)
FPS = 15.0
SETTLE_FRAMES = math.ceil(AutoCaptureConfig().settle_s * FPS)  # 8 frames at 15 fps

# --------------------------------------------------------------------------- hand-made frames


def make_page(seed: int, size: tuple[int, int] = (240, 160), fine: bool = False) -> np.ndarray:
    """A paper document (BGR): lines of dark bars, a coloured block, a red seal; ``fine``
    adds print too small to see at the 160-px motion scale."""
    rng = np.random.default_rng(seed)
    w, h = size
    page = np.full((h, w, 3), (236, 238, 240), np.uint8)
    for y in range(14, h - 14, 12):
        x = 12
        while x < w - 30:
            length = int(rng.integers(8, 40))
            cv2.rectangle(page, (x, y), (min(x + length, w - 12), y + 5), (50, 50, 50), -1)
            x += length + int(rng.integers(4, 12))
    bx, by = int(rng.integers(10, w - 70)), int(rng.integers(10, h - 60))
    colour = tuple(int(v) for v in rng.integers(60, 200, 3))
    cv2.rectangle(page, (bx, by), (bx + 55, by + 45), colour, -1)
    cv2.circle(page, (int(rng.integers(30, w - 30)), int(rng.integers(30, h - 30))), 22,
               (40, 40, 200), 3)
    if fine:
        grain = rng.integers(0, 2, (h, w), np.uint8) * 90
        page = cv2.subtract(page, cv2.cvtColor(grain, cv2.COLOR_GRAY2BGR))
    return page


def quad(cx: float, cy: float, w: float, h: float, angle: float = 0.0) -> np.ndarray:
    """Corners (full-frame pixels, TL, TR, BR, BL in the image) of a w×h rectangle turned by
    ``angle`` degrees about (cx, cy)."""
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    box = np.array([(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)])
    return box @ rot.T + (cx, cy)


def shifted(corners: np.ndarray, dx: float, dy: float = 0.0) -> np.ndarray:
    return np.asarray(corners, np.float64) + np.array([dx, dy])


NOISE = [np.random.default_rng(seed).normal(0, 1.5, (SMALL[1], SMALL[0], 3)).round()
         .astype(np.int16) for seed in range(8)]
"""Sensor noise, σ 1.5 grey levels at the preview's scale; frame n gets NOISE[n % 8]."""
DESK = np.dstack([np.tile(np.linspace(52, 70, SMALL[0]), (SMALL[1], 1))] * 3).astype(np.uint8)


def scene(page: np.ndarray | None, corners: np.ndarray | None, *, noise_seed: int,
          light: float = 1.0, blob: tuple[float, float] | None = None, blur: float = 0.0,
          print_turns: int = 0) -> np.ndarray:
    """The preview (480×270 BGR) of the desk with ``page`` laid at ``corners`` (full-frame
    pixels, the page's own TL first), a skin-coloured blob (a hand) centred at ``blob``
    (full-frame pixels), focus blur (σ, preview pixels) and sensor noise."""
    small = DESK.copy()
    if page is not None and corners is not None:
        h, w = page.shape[:2]
        src = np.float32([(0, 0), (w, 0), (w, h), (0, h)])
        dst = np.roll(np.asarray(corners, np.float32) / 4.0, -print_turns, axis=0)
        warp = cv2.getPerspectiveTransform(src, dst)
        flat = cv2.warpPerspective(page, warp, SMALL, flags=cv2.INTER_AREA)
        mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), warp, SMALL)
        small[mask > 127] = cv2.convertScaleAbs(flat, alpha=light)[mask > 127]
    if blob is not None:
        cv2.ellipse(small, (int(blob[0] / 4), int(blob[1] / 4)), (28, 36), 20, 0, 360,
                    (130, 160, 210), -1)
    if blur:  # the camera out of focus
        small = cv2.GaussianBlur(small, (0, 0), blur)
    noise = NOISE[noise_seed % len(NOISE)]
    return np.clip(small.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def detection(small: np.ndarray, corners: np.ndarray | None = None, *, hand: bool = False,
              held: bool = False) -> Detection:
    if corners is None:
        return Detection(False, None, (), size=FULL, small=small)
    ordered = geometry.as_corners(geometry.order_corners(corners))
    return Detection(True, ordered, (ordered,), hand=hand, held=held, size=FULL, small=small)


class Desk:
    """Feeds an AutoCapture frame after frame at ``fps``, the timestamps index / fps."""

    def __init__(self, config: AutoCaptureConfig | None = None, fps: float = FPS):
        self.capture = AutoCapture(config)
        self.fps = fps
        self.index = 0
        self.log: list[Decision] = []

    def frame(self, page: np.ndarray | None = None, corners: np.ndarray | None = None, *,
              hand: bool = False, held: bool = False, found: bool | None = None,
              **scene_options: object) -> Decision:
        small = scene(page, corners, noise_seed=self.index, **scene_options)  # type: ignore[arg-type]
        seen = corners if (found if found is not None else page is not None) else None
        decision = self.capture.update(detection(small, seen, hand=hand, held=held),
                                       self.index / self.fps)
        self.index += 1
        self.log.append(decision)
        return decision

    def frames(self, count: int, *args: object, **kwargs: object) -> list[Decision]:
        return [self.frame(*args, **kwargs) for _ in range(count)]  # type: ignore[arg-type]

    def arrive(self, page: np.ndarray, corners: np.ndarray, frames: int = 6) -> None:
        """The page slides in with a hand on it, from 300 px to the right, and is let go."""
        for k in range(frames):
            shift = 300.0 * (frames - 1 - k) / frames
            moved = shifted(corners, shift)
            self.frame(page, moved, hand=True, blob=(moved[:, 0].max() + 40, moved[:, 1].mean()))

    def settle(self, page: np.ndarray, corners: np.ndarray, frames: int,
               **kw: object) -> list[Decision]:
        return self.frames(frames, page, corners, **kw)

    @property
    def captures(self) -> list[int]:
        return [i for i, d in enumerate(self.log) if d.capture]


PAGE_A = make_page(1)
PAGE_B = make_page(2)
AT = quad(900, 520, 960, 640, 3.0)


def states(decisions: list[Decision]) -> list[str]:
    return [d.state.value for d in decisions]


# --------------------------------------------------------------------------- configuration


@pytest.mark.parametrize("field, value", [
    ("settle_s", -0.1), ("settle_s", math.nan), ("motion_threshold", 0.0),
    ("corner_tolerance", 0.5), ("same_page_threshold", -1.0), ("removal_s", 100.0),
    ("cooldown_s", -1.0), ("sharpness_ratio", 1.5),
])
def test_config_rejects_values_out_of_range(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        AutoCaptureConfig(**{field: value})


def test_config_is_frozen() -> None:
    config = AutoCaptureConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.settle_s = 1.0  # type: ignore[misc]


def test_update_rejects_time_going_backwards_and_detections_without_image() -> None:
    capture = AutoCapture()
    capture.update(detection(scene(None, None, noise_seed=0)), 1.0)
    with pytest.raises(ValueError, match="backwards"):
        capture.update(detection(scene(None, None, noise_seed=1)), 0.5)
    with pytest.raises(ValueError, match="preview image"):
        capture.update(Detection(False, None, size=FULL), 2.0)
    with pytest.raises(ValueError, match="size"):
        unsized = Detection(True, geometry.as_corners(AT), small=scene(None, None, noise_seed=2))
        capture.update(unsized, 2.0)


# --------------------------------------------------------------------------- transitions


def test_empty_desk_stays_idle() -> None:
    desk = Desk()
    decisions = desk.frames(20)
    assert states(decisions) == ["idle"] * 20
    assert all(d.reason == Reason.NO_DOCUMENT and not d.capture for d in decisions)
    assert max(d.motion for d in decisions) < 1.0  # sensor noise is far below the threshold


def test_page_arrives_settles_is_captured_once_then_locked() -> None:
    desk = Desk()
    desk.frames(3)
    desk.arrive(PAGE_A, AT)
    assert states(desk.log[3:]) == ["busy"] * 6
    assert {d.reason for d in desk.log[3:]} == {Reason.HAND}
    run = desk.settle(PAGE_A, AT, 40)
    # the first still frame starts the run; capture once it has lasted settle_s (8 frames)
    assert states(run[: SETTLE_FRAMES + 2]) == (
        ["busy"] + ["stable"] * SETTLE_FRAMES + ["captured"])
    assert run[0].reason == Reason.MOVING  # the hand left between the last two frames
    assert [round(d.still_s * FPS) for d in run[1 : SETTLE_FRAMES + 2]] == list(
        range(SETTLE_FRAMES + 1))
    captured = run[SETTLE_FRAMES + 1]
    assert captured.capture and captured.reason == Reason.CAPTURED
    assert captured.still_s >= 0.5
    assert states(run[SETTLE_FRAMES + 2 :]) == ["locked"] * (40 - SETTLE_FRAMES - 2)
    assert desk.captures == [3 + 6 + SETTLE_FRAMES + 1]
    # the decision carries the page to cut and the thumbnail of what was captured
    assert np.allclose(captured.corners, geometry.order_corners(AT), atol=0.1)
    assert captured.thumbnail is not None and captured.thumbnail.shape == (64, 64)
    assert captured.thumbnail.dtype == np.uint8
    assert desk.capture.last_thumbnail is captured.thumbnail


@pytest.mark.parametrize("fps, settle_s, frames", [(15, 0.5, 8), (30, 0.5, 15), (15, 1.0, 15),
                                                   (5, 0.5, 3), (25, 0.4, 10)])
def test_settle_time_is_in_seconds_whatever_the_frame_rate(fps: float, settle_s: float,
                                                           frames: int) -> None:
    desk = Desk(AutoCaptureConfig(settle_s=settle_s), fps=fps)
    desk.arrive(PAGE_A, AT)
    desk.settle(PAGE_A, AT, frames + 5)
    # the first still frame is the one after the hand left (6 arriving frames, 1 leaving)
    assert desk.captures == [6 + 1 + frames]


def test_a_hand_on_the_page_blocks_capture() -> None:
    desk = Desk()
    desk.arrive(PAGE_A, AT)
    # the hand rests on the page, hardly moving: only the detector's flag tells
    held_still = desk.settle(PAGE_A, AT, 30, hand=True, blob=(1420, 520))
    assert states(held_still) == ["busy"] * 30
    assert {d.reason for d in held_still} == {Reason.HAND}
    assert max(d.motion for d in held_still[2:]) < 1.0
    desk.settle(PAGE_A, AT, SETTLE_FRAMES + 3)
    assert desk.captures == [6 + 30 + 1 + SETTLE_FRAMES]


def test_a_held_quad_blocks_capture() -> None:
    desk = Desk()
    desk.arrive(PAGE_A, AT)
    held = desk.settle(PAGE_A, AT, 20, held=True)
    assert states(held) == ["busy"] * 20 and {d.reason for d in held} == {Reason.HELD}
    desk.settle(PAGE_A, AT, SETTLE_FRAMES + 3)
    assert len(desk.captures) == 1


def test_motion_elsewhere_in_view_blocks_capture() -> None:
    desk = Desk()
    desk.arrive(PAGE_A, AT)
    # the page lies still but a hand moves about the desk beside it
    moving = [desk.frame(PAGE_A, AT, blob=(200 + 25 * k, 900)) for k in range(20)]
    assert states(moving) == ["busy"] * 20
    assert {d.reason for d in moving} == {Reason.MOVING}
    assert min(d.motion for d in moving) > AutoCaptureConfig().motion_threshold
    assert desk.captures == []


def test_a_quad_drifting_beyond_half_a_percent_restarts_the_settle_time() -> None:
    capture = AutoCapture()
    image = scene(PAGE_A, AT, noise_seed=0)
    decisions = []
    for k in range(30):  # the same picture, but the detector's quad creeps 1 px a frame
        decisions.append(capture.update(detection(image, shifted(AT, k)), k / FPS))
    assert not any(d.capture for d in decisions)
    # 0.5 % of 1080 px is 5.4 px: the quad is 6 px from where the run began 6 frames later
    assert [d.state for d in decisions[1:9]] == [State.STABLE] * 6 + [State.BUSY, State.STABLE]
    assert decisions[7].reason == Reason.MOVING
    # held steady, it captures
    for k in range(30, 30 + SETTLE_FRAMES + 1):
        decisions.append(capture.update(detection(image, shifted(AT, 29)), k / FPS))
    assert sum(d.capture for d in decisions[30:]) == 1


def test_motion_without_a_content_change_does_not_capture_again() -> None:
    desk = Desk()
    desk.arrive(PAGE_A, AT)
    desk.settle(PAGE_A, AT, 20)
    assert len(desk.captures) == 1
    # a hand comes, nudges the page a little, and leaves
    nudged = quad(930, 540, 960, 640, 1.0)
    for k in range(8):
        desk.frame(PAGE_A, AT if k < 4 else nudged, hand=True, blob=(1500 - 20 * k, 600))
    after = desk.settle(PAGE_A, nudged, 25)
    assert len(desk.captures) == 1
    assert states(after[: SETTLE_FRAMES + 2]) == (
        ["busy"] + ["stable"] * SETTLE_FRAMES + ["locked"])
    assert after[SETTLE_FRAMES + 1].reason == Reason.SAME_PAGE
    assert states(after[SETTLE_FRAMES + 2 :]) == ["locked"] * (25 - SETTLE_FRAMES - 2)


def test_a_different_page_after_a_capture_is_captured() -> None:
    desk = Desk()
    desk.arrive(PAGE_A, AT)
    desk.settle(PAGE_A, AT, 20)
    desk.arrive(PAGE_B, quad(960, 500, 900, 600, -2.0))  # laid on top of A
    desk.settle(PAGE_B, quad(960, 500, 900, 600, -2.0), 20)
    assert desk.captures == [6 + 1 + SETTLE_FRAMES, 6 + 20 + 6 + 1 + SETTLE_FRAMES]
    first, second = desk.captures
    assert thumbnail_difference(desk.log[first].thumbnail, desk.log[second].thumbnail) > 0.5


def test_removal_then_the_same_page_back_is_not_captured_unless_asked() -> None:
    desk = Desk()
    desk.arrive(PAGE_A, AT)
    desk.settle(PAGE_A, AT, 20)
    # two frames the detector misses: still locked, not idle
    missed = desk.frames(2, PAGE_A, AT, found=False)
    assert states(missed) == ["locked", "locked"]
    desk.settle(PAGE_A, AT, 3)
    # the page is taken away: busy while it moves, idle once the desk is empty for removal_s
    for k in range(4):
        desk.frame(PAGE_A, shifted(AT, 400.0 * (k + 1)), found=False, blob=(1700, 500))
    empty = desk.frames(15)
    assert states(empty[:1]) == ["busy"]
    assert "idle" in states(empty) and states(empty)[-1] == "idle"
    assert states(empty).index("idle") <= math.ceil(0.5 * FPS) + 1
    # the same page put back, a little moved and turned upside down
    back = quad(1000, 560, 960, 640, 181.0)
    desk.arrive(PAGE_A, back)
    again = desk.settle(PAGE_A, back, 20)
    assert len(desk.captures) == 1
    assert again[SETTLE_FRAMES + 1].state is State.LOCKED
    assert again[SETTLE_FRAMES + 1].reason == Reason.SAME_PAGE
    # "same page again": one more capture of it, at the next frame (it is already still)
    desk.capture.same_page_again()
    asked = desk.settle(PAGE_A, back, 20)
    assert asked[0].capture and asked[0].reason == Reason.SAME_PAGE_AGAIN
    assert states(asked[1:]) == ["locked"] * 19
    assert len(desk.captures) == 2


def test_same_page_again_before_the_page_is_back() -> None:
    desk = Desk()
    desk.arrive(PAGE_A, AT)
    desk.settle(PAGE_A, AT, 12)
    desk.frames(10)
    desk.capture.same_page_again()
    desk.arrive(PAGE_A, AT)
    desk.settle(PAGE_A, AT, 20)
    assert [desk.log[i].reason for i in desk.captures] == [Reason.CAPTURED,
                                                           Reason.SAME_PAGE_AGAIN]


def test_manual_capture_at_the_next_frame_whatever_it_shows() -> None:
    desk = Desk()
    desk.frames(3)
    desk.capture.manual()
    empty = desk.frame()
    assert empty.capture and empty.state is State.CAPTURED and empty.reason == Reason.MANUAL
    assert empty.corners is None and empty.thumbnail is None
    assert not desk.frame().capture  # once
    # with a page moving under a hand
    desk.arrive(PAGE_A, AT)
    desk.capture.manual()
    moving = desk.frame(PAGE_A, shifted(AT, 50.0), hand=True, blob=(1500, 500))
    assert moving.capture and moving.reason == Reason.MANUAL and moving.corners is not None
    assert desk.capture.last_thumbnail is moving.thumbnail
    # that page was captured by hand: letting it settle does not capture it again
    rest = desk.settle(PAGE_A, shifted(AT, 50.0), 25)
    assert not any(d.capture for d in rest)
    # the manual capture started the cool-down too; after it, the page is known
    reasons = [d.reason for d in rest]
    assert Reason.COOL_DOWN in reasons and reasons.count(Reason.SAME_PAGE) == 1
    assert set(reasons[reasons.index(Reason.SAME_PAGE) + 1 :]) == {Reason.LOCKED}


def test_cool_down_between_automatic_captures() -> None:
    desk = Desk(AutoCaptureConfig(settle_s=0.2, cooldown_s=2.0))
    desk.arrive(PAGE_A, AT)
    desk.settle(PAGE_A, AT, 5)
    desk.arrive(PAGE_B, AT, frames=2)
    waiting = desk.settle(PAGE_B, AT, 30)
    first, second = desk.captures
    assert (second - first) / FPS == pytest.approx(2.0)
    assert Reason.COOL_DOWN in {d.reason for d in waiting}


FOCUS_HUNT = [0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.5, 0.45, 0.4, 0.3, 0.2, 0.0]
"""Focus blur (σ, preview pixels) frame after frame while the autofocus hunts: each step too
small for the motion check, the dip deep enough to lose most of the fine print."""


def test_waits_for_focus() -> None:
    fine = make_page(3, fine=True)
    desk = Desk()
    desk.arrive(fine, AT)
    desk.settle(fine, AT, 4)
    hunt = [desk.frame(fine, AT, blur=sigma) for sigma in FOCUS_HUNT]
    assert max(d.motion for d in hunt) < AutoCaptureConfig().motion_threshold
    assert [d.reason for d in hunt[:3]] == [Reason.SETTLING] * 3
    assert Reason.BLURRED in {d.reason for d in hunt}
    (captured,) = [k for k, d in enumerate(hunt) if d.capture]
    # the first frame back within 70 % of the sharpest seen
    assert captured == FOCUS_HUNT.index(0.4, 5)
    assert FOCUS_HUNT[captured - 1] > 0.4


def test_focus_check_can_be_turned_off() -> None:
    fine = make_page(3, fine=True)
    desk = Desk(AutoCaptureConfig(sharpness_ratio=0.0))
    desk.arrive(fine, AT)
    desk.settle(fine, AT, 4)
    hunt = [desk.frame(fine, AT, blur=sigma) for sigma in FOCUS_HUNT]
    # the still run began on the second of the 4 settling frames (the first saw the hand go)
    assert [k for k, d in enumerate(hunt) if d.capture] == [SETTLE_FRAMES - 3]


# --------------------------------------------------------------------------- measures


def test_motion_score_sees_a_small_local_change_the_frame_mean_hides() -> None:
    a = preview_grey(scene(PAGE_A, AT, noise_seed=1))
    b = preview_grey(scene(PAGE_A, AT, noise_seed=2, blob=(1800, 1000)))
    # a hand in a corner of the view: the frame's mean difference is diluted tenfold
    assert motion_score(a, b) > 10 * float(cv2.absdiff(a, b).mean())
    assert motion_score(a, preview_grey(scene(PAGE_A, AT, noise_seed=3))) < 1.0


def test_page_thumbnail_scales_full_frame_corners_into_the_preview() -> None:
    small = scene(PAGE_A, AT, noise_seed=0)
    thumb = page_thumbnail(small, AT, FULL)
    reference = cv2.resize(cv2.cvtColor(PAGE_A, cv2.COLOR_BGR2GRAY), (64, 64),
                           interpolation=cv2.INTER_AREA)
    assert thumb.shape == (64, 64) and thumb.dtype == np.uint8
    assert thumbnail_difference(thumb, reference) < 0.25
    # the same page seen in an 8 MP frame's 1/4-scale preview: same thumbnail
    big = cv2.resize(small, (816, 459), interpolation=cv2.INTER_LINEAR)
    assert thumbnail_difference(page_thumbnail(big, AT * 1.7, (3264, 1836)), thumb) < 0.15


def test_same_page_threshold_separates_relaid_pages_from_different_ones() -> None:
    """The same page laid elsewhere, turned, lit differently, its corners off by up to
    0.5 % of the frame height, stays under the threshold; other pages are well over it."""
    threshold = AutoCaptureConfig().same_page_threshold
    rng = np.random.default_rng(7)
    error = 0.005 * FULL[1]
    poses = [quad(900, 520, 960, 640, 3.0), quad(1100, 480, 960, 640, -5.0),
             quad(800, 600, 960, 640, 92.0), quad(1000, 540, 960, 640, 178.0)]
    same, different = [], []
    for seed in (1, 2, 3, 4):
        page = make_page(seed)
        reference = page_thumbnail(scene(page, poses[0], noise_seed=0), poses[0], FULL)
        for k, pose in enumerate(poses[1:]):
            seen = pose + rng.uniform(-error, error, (4, 2))
            small = scene(page, pose, noise_seed=k + 1, light=0.85 + 0.1 * k)
            # the detector orders corners as seen; the page's own TL may be any of them
            same.append(thumbnail_difference(
                reference, page_thumbnail(small, geometry.order_corners(seen), FULL)))
        for other in (1, 2, 3, 4):
            if other != seed:
                small = scene(make_page(other), poses[1], noise_seed=9)
                different.append(thumbnail_difference(
                    reference, page_thumbnail(small, poses[1], FULL)))
    assert max(same) < 0.7 * threshold, same
    assert min(different) > 1.3 * threshold, different


# --------------------------------------------------------------------------- synthetic camera


def _inside(corners: tuple[tuple[float, float], ...]) -> bool:
    pts = np.asarray(corners)
    return bool(np.all(pts >= 0) and np.all(pts[:, 0] <= FULL[0]) and np.all(pts[:, 1] <= FULL[1]))


def _hand_engaged(cam: SyntheticCamera, index: int) -> bool:
    # the truth says when a thumb is *on* a document (held), not when the hand is still in
    # view coming or going; the script knows (engage > 0: the hand is drawn)
    return any(track.engage[i] > 0 for track, i in cam._states(index))


@dataclasses.dataclass
class Run:
    script: str
    truths: list  # per frame, the documents wholly in view, nearest the centre first
    hands: list[bool]  # a hand is drawn (coming, holding or going)
    smalls: list[np.ndarray]
    detections: list[Detection] | None  # the real detector's, where asked


def _render(script: str, detect: bool = False) -> Run:
    cam = SyntheticCamera(SyntheticCameraConfig(realtime=False, size="1080p", desk="dark",
                                                script=script))
    detector = PageDetector() if detect else None
    truths, hands, smalls, detections = [], [], [], []
    centre = np.array(FULL) / 2
    for index in range(cam.length):
        image, truth = cam.render(index)
        whole = [t for t in truth if _inside(t.corners)]
        whole.sort(key=lambda t: float(np.hypot(*(np.mean(t.corners, axis=0) - centre))))
        truths.append(whole)
        hands.append(_hand_engaged(cam, index))
        smalls.append(cv2.resize(image, SMALL, interpolation=cv2.INTER_AREA))
        if detector is not None:
            detections.append(detector.detect_image(image))
    return Run(script, truths, hands, smalls, detections if detect else None)


@pytest.fixture(scope="module")
def idcard_run() -> Run:
    return _render("idcard", detect=True)


@pytest.fixture(scope="module")
def a4_run() -> Run:
    return _render("a4")


@pytest.fixture(scope="module")
def mixed_run() -> Run:
    return _render("mixed")


def _truth_detection(run: Run, index: int) -> Detection:
    if not run.truths[index]:
        return Detection(False, None, (), size=FULL, small=run.smalls[index])
    doc = run.truths[index][0]
    corners = doc.frame_ordered()
    return Detection(True, corners, (corners,), hand=doc.held, held=doc.held, size=FULL,
                     small=run.smalls[index])


def _play(run: Run, loops: int, real: bool = False) -> list[tuple[int, Decision]]:
    """Feed the run ``loops`` times over (the camera loops its script); the captures as
    (frame index within the script, decision)."""
    capture = AutoCapture()
    length = len(run.smalls)
    captures = []
    for n in range(loops * length):
        index = n % length
        assert run.detections is not None or not real
        found = run.detections[index] if real else _truth_detection(run, index)
        decision = capture.update(found, n / FPS)
        if decision.capture:
            captures.append((n, decision))
    return captures


def _check_captures(run: Run, captures: list[tuple[int, Decision]], expected: list[str],
                    corner_error: float = 0.2) -> None:
    length = len(run.smalls)
    assert [run.truths[n % length][0].kind for n, _ in captures] == expected
    settle_frames = AutoCaptureConfig().settle_s * FPS
    for n, decision in captures:
        index = n % length
        docs = run.truths[index]
        # never while a document moves or a hand is on it (or still in view)
        assert all(d.settled and not d.held for d in docs), (index, docs)
        assert not run.hands[index], index
        assert geometry.max_corner_distance(np.array(decision.corners),
                                            np.array(docs[0].frame_ordered())) <= corner_error
        # and soon: within the settle time + 3 frames of the view coming to rest
        ready = index
        while ready > 0 and run.truths[ready - 1] and not run.hands[ready - 1] and all(
                d.settled for d in run.truths[ready - 1]):
            ready -= 1
        assert index - ready <= settle_frames + 3, (index, ready)


def test_synthetic_idcard_front_and_back_once_each_per_loop(idcard_run: Run) -> None:
    captures = _play(idcard_run, loops=2)
    _check_captures(idcard_run, captures, ["id_card_front", "id_card_back"] * 2)


def test_synthetic_a4_once_and_not_again_when_the_same_page_comes_back(a4_run: Run) -> None:
    # the page is held again halfway through its still time: still one capture; the second
    # loop lays the same page in the same place: no capture at all
    captures = _play(a4_run, loops=2)
    _check_captures(a4_run, captures, ["a4_form"])
    assert captures[0][0] < len(a4_run.smalls)


def test_synthetic_mixed_desk_captures_the_centre_page_once(mixed_run: Run) -> None:
    # three documents; they lie still together only once (the cards come and go while others
    # move), and the detector's choice is the one nearest the centre, the QR page
    captures = _play(mixed_run, loops=2)
    _check_captures(mixed_run, captures, ["qr_page"])


def test_real_detector_on_the_idcard_script(idcard_run: Run) -> None:
    """The same run with PageDetector's own detections (no reference frame) must give the
    same captures. Frames the detector gets wrong are listed in the failure message."""
    assert idcard_run.detections is not None
    pairs = list(zip(idcard_run.truths, idcard_run.detections, strict=True))
    wrong = {"false positives": [i for i, (t, d) in enumerate(pairs) if d.found and not t],
             "missed": [i for i, (t, d) in enumerate(pairs) if t and not d.found],
             "missed while still": [i for i, (t, d) in enumerate(pairs)
                                    if t and not d.found and t[0].settled]}
    captures = _play(idcard_run, loops=2, real=True)
    assert len(captures) == 4, f"captures at {[n for n, _ in captures]}; detector: {wrong}"
    _check_captures(idcard_run, captures, ["id_card_front", "id_card_back"] * 2,
                    corner_error=0.005 * FULL[1])
    assert wrong["missed while still"] == [], wrong
